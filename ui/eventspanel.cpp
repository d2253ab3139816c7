#include "eventspanel.h"

#include "eventsmodel.h"
#include "viewsetup.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace initscope::ui
{

EventsPanel::EventsPanel(QWidget *parent)
    : QWidget(parent), m_model(new EventsModel(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_view(new QTableView(this)), m_filterEdit(new QLineEdit(this)), m_summary(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filterEdit->setPlaceholderText(QStringLiteral("Filter events by kind, name or details"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filterEdit, &QLineEdit::textChanged, this, &EventsPanel::updateSummary);

    setupTableView(m_view);
    m_view->setModel(m_proxy);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 2);
    bar->addWidget(m_summary, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_view);
}

void EventsPanel::setEvents(const QList<Event> &events, const QList<LibSearch> &searches,
                            const QList<LibLoad> &loads)
{
    m_model->setEvents(events, searches, loads);
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    updateSummary();
}

bool EventsPanel::selectEvent(qint64 eventId)
{
    QModelIndex source;
    for (int row = 0; row < m_model->rowCount() && !source.isValid(); ++row) {
        const QModelIndex i = m_model->index(row, 0);
        if (i.data(EventsModel::EventIdRole).toLongLong() == eventId)
            source = i;
    }
    if (!source.isValid())
        return false;
    if (!m_proxy->mapFromSource(source).isValid())
        m_filterEdit->clear();
    const QModelIndex index = m_proxy->mapFromSource(source);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    return true;
}

void EventsPanel::updateSummary()
{
    const int total = m_model->rowCount();
    m_summary->setText(m_proxy->rowCount() == total
                           ? QStringLiteral("%1 events").arg(total)
                           : QStringLiteral("%1 of %2 events").arg(m_proxy->rowCount()).arg(total));
}

} // namespace initscope::ui
