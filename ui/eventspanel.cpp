#include "eventspanel.h"

#include "eventsfiltermodel.h"
#include "eventsloader.h"
#include "eventsmodel.h"
#include "viewsetup.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace initscope::ui
{

EventsPanel::EventsPanel(QWidget *parent)
    : QWidget(parent), m_model(new EventsModel(this)), m_proxy(new EventsFilterModel(this)),
      m_search(new EventsLoader(this)), m_stack(new QStackedWidget(this)), m_view(new QTableView(m_stack)),
      m_placeholder(new QLabel(m_stack)), m_filterEdit(new QLineEdit(this)), m_summary(new QLabel(this)),
      m_filterDelay(new QTimer(this))
{
    m_proxy->setSourceModel(m_model);

    m_filterEdit->setPlaceholderText(QStringLiteral("Filter events by kind, name, thread or record"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_search->cancel();
        m_filterDelay->stop();
        m_proxy->setText(text);
        // The records of a large process are looked through once typing pauses.
        if (m_model->rowCount() < kBackgroundSearchFrom)
            filterRecords();
        else if (!text.isEmpty())
            m_filterDelay->start();
        updateSummary();
    });
    m_filterDelay->setSingleShot(true);
    m_filterDelay->setInterval(250);
    connect(m_filterDelay, &QTimer::timeout, this, &EventsPanel::filterRecords);
    connect(m_search, &EventsLoader::recordsFound, this, [this](const QString &text, const EventsLoader::Ids &ids) {
        if (text != m_proxy->text())
            return;
        m_proxy->setRecordMatches(std::move(*ids));
        updateSummary();
    });

    setupTableView(m_view);
    m_view->setModel(m_proxy);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setEnabled(false); // greyed, as a view's placeholder text is
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_placeholder);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 2);
    bar->addWidget(m_summary, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_stack);
}

void EventsPanel::setRows(std::shared_ptr<const EventScanner> scanner, const EventScanQuery &query,
                          std::vector<EventRow> rows, const QList<LibSearch> &searches,
                          const QList<LibLoad> &loads)
{
    m_search->cancel();
    m_filterDelay->stop();
    m_loading = false;
    m_model->setRows(std::move(scanner), query, std::move(rows), searches, loads);
    m_stack->setCurrentWidget(m_view);
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    // A filter typed before the rows came applies to them; the records found for the rows
    // shown before do not.
    if (!m_proxy->text().isEmpty()) {
        m_proxy->setRecordMatches({});
        filterRecords();
    }
    updateSummary();
}

void EventsPanel::setLoading(qint64 count)
{
    clear(QStringLiteral("Loading %1 events…").arg(QLocale().toString(count)));
    m_loading = true;
    m_summary->setText(QStringLiteral("Loading…"));
}

void EventsPanel::clear(const QString &message)
{
    m_search->cancel();
    m_filterDelay->stop();
    m_loading = false;
    m_model->clear();
    m_placeholder->setText(message);
    m_stack->setCurrentWidget(message.isEmpty() ? static_cast<QWidget *>(m_view) : m_placeholder);
    updateSummary();
}

void EventsPanel::filterRecords()
{
    const QString text = m_proxy->text();
    const EventScanner *scanner = m_model->scanner();
    if (text.isEmpty() || !scanner)
        return;
    if (m_model->rowCount() < kBackgroundSearchFrom) {
        m_proxy->setRecordMatches(findInRecords(*scanner, m_model->query(), text));
        updateSummary();
        return;
    }
    m_search->findRecords(scanner->path(), m_model->query(), text);
    updateSummary();
}

bool EventsPanel::selectEvent(qint64 eventId)
{
    const int row = m_model->rowOfEvent(eventId);
    if (row < 0)
        return false;
    const QModelIndex source = m_model->index(row, 0);
    if (!m_proxy->mapFromSource(source).isValid())
        m_filterEdit->clear();
    const QModelIndex index = m_proxy->mapFromSource(source);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    return true;
}

void EventsPanel::updateSummary()
{
    if (m_loading)
        return;
    const int total = m_model->rowCount();
    QString text = m_proxy->rowCount() == total
                       ? QStringLiteral("%1 events").arg(total)
                       : QStringLiteral("%1 of %2 events").arg(m_proxy->rowCount()).arg(total);
    if (m_search->isPending() || m_filterDelay->isActive())
        text += QStringLiteral(" (searching records…)");
    m_summary->setText(text);
}

} // namespace initscope::ui
