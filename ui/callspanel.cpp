#include "callspanel.h"

#include "bundle.h"
#include "callsfiltermodel.h"
#include "callsmodel.h"
#include "eventdetailsview.h"
#include "format.h"
#include "viewsetup.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScopedValueRollback>
#include <QSet>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <utility>

namespace initscope::ui
{

namespace
{
const char *const kCallKinds[] = {"cuda.call", "cudart.call", "nvml.call"};
}

CallsPanel::CallsPanel(QWidget *parent)
    : QWidget(parent), m_model(new CallsModel(this)), m_proxy(new CallsFilterModel(this)),
      m_filterEdit(new QLineEdit(this)), m_apiCombo(new QComboBox(this)),
      m_processCombo(new QComboBox(this)), m_threadCombo(new QComboBox(this)),
      m_failedOnly(new QCheckBox(QStringLiteral("&Failed only"), this)), m_summary(new QLabel(this)),
      m_textTimer(new QTimer(this)), m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_view(new QTableView(m_splitter)), m_details(new EventDetailsView(m_splitter))
{
    m_proxy->setSourceModel(m_model);

    m_filterEdit->setPlaceholderText(QStringLiteral("Filter calls by function, argument, value or result"));
    m_filterEdit->setClearButtonEnabled(true);
    m_apiCombo->addItem(QStringLiteral("All APIs"));
    for (CallsModel::Api api : {CallsModel::Api::Driver, CallsModel::Api::Runtime, CallsModel::Api::Nvml})
        m_apiCombo->addItem(CallsModel::apiName(api), int(api));
    m_apiCombo->setToolTip(QStringLiteral("Driver API (cu…), runtime API (cuda…) or NVML (nvml…)"));
    m_processCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_processCombo->setMaximumWidth(320);
    m_threadCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_failedOnly->setToolTip(QStringLiteral("Only calls whose result says failure, and calls that never returned"));

    m_textTimer->setSingleShot(true);
    m_textTimer->setInterval(200);
    connect(m_textTimer, &QTimer::timeout, this, &CallsPanel::applyTextFilter);
    connect(m_filterEdit, &QLineEdit::textChanged, m_textTimer, qOverload<>(&QTimer::start));
    connect(m_apiCombo, &QComboBox::currentIndexChanged, this, &CallsPanel::applyFilters);
    connect(m_processCombo, &QComboBox::currentIndexChanged, this, [this] {
        fillThreadCombo();
        applyFilters();
    });
    connect(m_threadCombo, &QComboBox::currentIndexChanged, this, &CallsPanel::applyFilters);
    connect(m_failedOnly, &QCheckBox::toggled, this, &CallsPanel::applyFilters);

    setupTableView(m_view);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setModel(m_proxy);
    // Time order is the source order; sorting by time costs nothing.
    m_view->horizontalHeader()->setSortIndicator(CallsModel::TimeColumn, Qt::AscendingOrder);
    m_view->setSortingEnabled(true);
    m_view->horizontalHeader()->setSortIndicatorShown(true);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &CallsPanel::currentChanged);
    auto *copy = new QAction(QStringLiteral("&Copy Call"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, this, &CallsPanel::copySelection);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->addAction(copy);
    // Columns can be hidden and shown again from the header's menu.
    QHeaderView *header = m_view->horizontalHeader();
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, [this, header](const QPoint &at) {
        QMenu menu;
        for (int column = 0; column < CallsModel::ColumnCount; ++column) {
            QAction *action = menu.addAction(m_model->headerData(column, Qt::Horizontal).toString());
            action->setCheckable(true);
            action->setChecked(!header->isSectionHidden(column));
            // The call itself always stays.
            action->setEnabled(column != CallsModel::CallColumn);
            connect(action, &QAction::toggled, header,
                    [header, column](bool shown) { header->setSectionHidden(column, !shown); });
        }
        menu.exec(header->mapToGlobal(at));
    });

    connect(m_details, &EventDetailsView::eventActivated, this, [this](qint64 processId, qint64 eventId) {
        if (selectEvent(eventId))
            Q_EMIT eventSelected(processId, eventId);
    });

    m_splitter->setObjectName(QStringLiteral("callsSplitter"));
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_details);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setSizes({980, 460});

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 3);
    bar->addWidget(m_apiCombo);
    bar->addWidget(m_processCombo);
    bar->addWidget(m_threadCombo);
    bar->addWidget(m_failedOnly);
    bar->addSpacing(12);
    bar->addWidget(m_summary, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_splitter, 1);
    setRun(nullptr, -1);
}

void CallsPanel::setRun(const BundleReader *reader, qint64 runId)
{
    m_reader = reader;
    m_runId = runId;
    m_loaded = false;
    m_pendingEventId = -1;
    m_loads.clear();
    m_pids.clear();
    m_model->clear();
    m_details->clear();
    {
        const QSignalBlocker blockProcess(m_processCombo);
        const QSignalBlocker blockThread(m_threadCombo);
        m_processCombo->clear();
        m_threadCombo->clear();
    }
    clearFilters();
    if (isVisible())
        load();
    updateSummary();
}

void CallsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    load();
}

void CallsPanel::load()
{
    if (m_loaded)
        return;
    m_loaded = true;
    QList<Event> calls;
    QHash<qint64, QString> labels;
    if (m_reader) {
        for (const char *kind : kCallKinds)
            calls += m_reader->eventsOfKind(m_runId, -1, QString::fromLatin1(kind));
        std::stable_sort(calls.begin(), calls.end(), [](const Event &a, const Event &b) {
            return a.tsNs != b.tsNs ? a.tsNs < b.tsNs : a.id < b.id;
        });
        for (const Process &p : m_reader->processes(m_runId)) {
            labels.insert(p.id, processLabel(p));
            m_pids.insert(p.id, p.pid);
        }
    }
    m_model->setCalls(std::move(calls), labels);
    fillProcessCombo();
    fillThreadCombo();
    // One process or one thread needs no column to say which.
    m_view->setColumnHidden(CallsModel::ProcessColumn, m_processCombo->count() <= 2);
    m_view->setColumnHidden(CallsModel::ThreadColumn, m_threadCombo->count() <= 2);
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    // The decoded call is what a reader came for: the columns before it stay narrow (a long
    // function or result name is elided, its tooltip has it whole).
    QHeaderView *header = m_view->horizontalHeader();
    for (int column : {int(CallsModel::FunctionColumn), int(CallsModel::ResultColumn)})
        header->resizeSection(column, std::min(header->sectionSize(column), 180));
    updateSummary();
    if (m_pendingEventId >= 0)
        selectEvent(std::exchange(m_pendingEventId, -1));
}

void CallsPanel::fillProcessCombo()
{
    const QSignalBlocker block(m_processCombo);
    m_processCombo->clear();
    m_processCombo->addItem(QStringLiteral("All processes"), qint64(-1));
    // In the order the processes made their first call.
    QList<qint64> order;
    QSet<qint64> seen;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const qint64 id = m_model->event(row).processId;
        if (!seen.contains(id)) {
            seen.insert(id);
            order << id;
        }
    }
    for (qint64 id : order)
        m_processCombo->addItem(m_model->processLabel(id), id);
    m_processCombo->setEnabled(order.size() > 1);
}

void CallsPanel::fillThreadCombo()
{
    const qint64 processId = m_processCombo->currentData().toLongLong();
    const qint64 previous = m_threadCombo->currentData().isValid() ? m_threadCombo->currentData().toLongLong() : -1;
    const QSignalBlocker block(m_threadCombo);
    m_threadCombo->clear();
    m_threadCombo->addItem(QStringLiteral("All threads"), qint64(-1));
    std::map<qint64, qint64> threads; // tid → the process of its first call
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const Event &e = m_model->event(row);
        if (processId < 0 || e.processId == processId)
            threads.emplace(e.tid, e.processId);
    }
    for (const auto &[tid, process] : threads) {
        QString label = QStringLiteral("thread %1").arg(tid);
        if (m_pids.value(process, -1) == tid)
            label += QStringLiteral(" (main)");
        m_threadCombo->addItem(label, tid);
    }
    const int keep = m_threadCombo->findData(previous);
    m_threadCombo->setCurrentIndex(keep >= 0 ? keep : 0);
    m_threadCombo->setEnabled(threads.size() > 1);
}

void CallsPanel::applyTextFilter()
{
    m_textTimer->stop();
    m_proxy->setText(m_filterEdit->text());
    updateSummary();
}

void CallsPanel::applyFilters()
{
    const QVariant api = m_apiCombo->currentData();
    m_proxy->setApi(api.isValid() ? std::optional(CallsModel::Api(api.toInt())) : std::nullopt);
    m_proxy->setProcessId(m_processCombo->currentIndex() > 0 ? m_processCombo->currentData().toLongLong() : -1);
    m_proxy->setThread(m_threadCombo->currentIndex() > 0 ? m_threadCombo->currentData().toLongLong() : -1);
    m_proxy->setFailedOnly(m_failedOnly->isChecked());
    updateSummary();
    const QModelIndex current = m_view->currentIndex();
    if (current.isValid())
        m_view->scrollTo(current, QAbstractItemView::PositionAtCenter);
}

void CallsPanel::clearFilters()
{
    {
        const QSignalBlocker a(m_filterEdit);
        const QSignalBlocker b(m_apiCombo);
        const QSignalBlocker c(m_processCombo);
        const QSignalBlocker d(m_failedOnly);
        m_filterEdit->clear();
        m_apiCombo->setCurrentIndex(0);
        m_processCombo->setCurrentIndex(0);
        m_failedOnly->setChecked(false);
    }
    fillThreadCombo();
    {
        const QSignalBlocker block(m_threadCombo);
        m_threadCombo->setCurrentIndex(0);
    }
    m_textTimer->stop();
    m_proxy->setText(QString());
    applyFilters();
}

void CallsPanel::updateSummary()
{
    const int total = m_model->rowCount();
    if (total == 0) {
        m_summary->setText(m_loaded ? QStringLiteral("No traced calls in this run") : QString());
        return;
    }
    const int shown = m_proxy->rowCount();
    const QString calls = total == 1 ? QStringLiteral("call") : QStringLiteral("calls");
    m_summary->setText(shown == total ? QStringLiteral("%1 %2").arg(total).arg(calls)
                                      : QStringLiteral("%1 of %2 %3").arg(shown).arg(total).arg(calls));
}

qint64 CallsPanel::currentEventId() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.data(CallsModel::EventIdRole).toLongLong() : -1;
}

void CallsPanel::currentChanged()
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid()) {
        m_details->clear();
        return;
    }
    const int row = m_proxy->mapToSource(current).row();
    showDetails(row);
    if (!m_selecting) {
        const Event &e = m_model->event(row);
        Q_EMIT eventSelected(e.processId, e.id);
    }
}

void CallsPanel::showDetails(int row)
{
    const Event &e = m_model->event(row);
    EventDetailsModel::Context context;
    context.processLabel = m_model->processLabel(e.processId);
    context.api = CallsModel::apiName(m_model->api(row));
    if (m_reader) {
        auto loads = m_loads.find(e.processId);
        if (loads == m_loads.end())
            loads = m_loads.insert(e.processId, m_reader->libLoads(m_runId, e.processId));
        context.loads = *loads;
    }
    if (const int resolver = m_model->resolverRow(row); resolver >= 0)
        context.resolver = m_model->event(resolver);
    m_details->setCall(e, context);
}

bool CallsPanel::selectEvent(qint64 eventId)
{
    if (!m_loaded) {
        m_pendingEventId = eventId;
        return false;
    }
    const int row = m_model->rowOfEvent(eventId);
    if (row < 0)
        return false;
    // Already there: leave the view where the user has it.
    if (currentEventId() == eventId)
        return true;
    const QModelIndex source = m_model->index(row, 0);
    if (!m_proxy->mapFromSource(source).isValid())
        clearFilters();
    const QModelIndex index = m_proxy->mapFromSource(source);
    const QScopedValueRollback guard(m_selecting, true);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    return true;
}

bool CallsPanel::step(bool forward, const std::function<bool(int)> &matches)
{
    load();
    const int rows = m_proxy->rowCount();
    if (rows == 0)
        return false;
    const QModelIndex current = m_view->currentIndex();
    const int start = current.isValid() ? current.row() : (forward ? -1 : rows);
    for (int i = 1; i <= rows; ++i) {
        const int r = ((start + (forward ? i : -i)) % rows + rows) % rows;
        const QModelIndex index = m_proxy->index(r, 0);
        if (matches(m_proxy->mapToSource(index).row())) {
            m_view->setCurrentIndex(index);
            m_view->scrollTo(index);
            return true;
        }
    }
    return false;
}

bool CallsPanel::goToFailure(bool forward)
{
    return step(forward, [this](int row) { return m_model->isFailed(row); });
}

bool CallsPanel::goToSameFunction(bool forward)
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid())
        return false;
    const QString function = m_model->event(m_proxy->mapToSource(current).row()).name;
    const int here = current.row();
    // Never "finds" the current row itself: without another call of the function, nothing moves.
    return step(forward, [this, &function, here](int row) {
        return m_proxy->mapFromSource(m_model->index(row, 0)).row() != here && m_model->event(row).name == function;
    });
}

void CallsPanel::copySelection()
{
    QStringList lines;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows(CallsModel::CallColumn)) {
        const int row = m_proxy->mapToSource(index).row();
        const Event &e = m_model->event(row);
        lines << QStringLiteral("%1 ms  %2  %3").arg(formatMs(e.tsNs), m_model->processLabel(e.processId),
                                                    m_model->decoded(row).summary);
    }
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

} // namespace initscope::ui
