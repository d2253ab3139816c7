#include "eventdetailsview.h"

#include "theme.h"
#include "viewsetup.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace initscope::ui
{

namespace
{
const QString kNothingSelected =
    QStringLiteral("Select a call to see its arguments, its result and the library that answered it.");
}

EventDetailsView::EventDetailsView(QWidget *parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_model(new EventDetailsModel(this)),
      m_view(new QTreeView(this))
{
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setContentsMargins(6, 6, 6, 6);
    m_summary->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    setupTreeView(m_view);
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->header()->setSectionResizeMode(EventDetailsModel::FieldColumn, QHeaderView::ResizeToContents);
    m_view->setMouseTracking(true);
    connect(m_view, &QTreeView::clicked, this, &EventDetailsView::activate);
    connect(m_view, &QTreeView::activated, this, &EventDetailsView::activate);
    // Rows that lead elsewhere look like links: the pointing hand says they can be clicked.
    connect(m_view, &QTreeView::entered, this, [this](const QModelIndex &index) {
        m_view->viewport()->setCursor(index.data(EventDetailsModel::LinkEventIdRole).isValid()
                                          ? Qt::PointingHandCursor
                                          : Qt::ArrowCursor);
    });

    auto *copy = new QAction(QStringLiteral("&Copy"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, this, [this] {
        const QString text = selectedText();
        if (!text.isEmpty())
            QApplication::clipboard()->setText(text);
    });
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->addAction(copy);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
    clear();
}

void EventDetailsView::setCall(const Event &event, const EventDetailsModel::Context &context)
{
    m_model->setCall(event, context);
    m_summary->setText(m_model->summary());
    m_summary->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    theme::clearColor(m_summary);
    m_view->expandAll();
    m_view->show();
}

void EventDetailsView::clear()
{
    m_model->clear();
    m_summary->setText(kNothingSelected);
    m_summary->setFont(QFont());
    theme::setColor(m_summary, theme::muted);
    m_view->hide();
}

QString EventDetailsView::selectedText() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows(EventDetailsModel::FieldColumn);
    std::sort(rows.begin(), rows.end(), [this](const QModelIndex &a, const QModelIndex &b) {
        return m_view->visualRect(a).top() < m_view->visualRect(b).top();
    });
    QStringList lines;
    for (const QModelIndex &row : rows) {
        const QString value = row.siblingAtColumn(EventDetailsModel::ValueColumn).data().toString();
        lines << (value.isEmpty() ? row.data().toString()
                                  : QStringLiteral("%1: %2").arg(row.data().toString(), value));
    }
    return lines.join(QLatin1Char('\n'));
}

void EventDetailsView::activate(const QModelIndex &index)
{
    const QVariant eventId = index.data(EventDetailsModel::LinkEventIdRole);
    if (eventId.isValid())
        Q_EMIT eventActivated(index.data(EventDetailsModel::LinkProcessIdRole).toLongLong(),
                              eventId.toLongLong());
}

} // namespace initscope::ui
