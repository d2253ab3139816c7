#include "callspanel.h"

#include "bundle.h"
#include "callsdata.h"
#include "callsfiltermodel.h"
#include "callsmodel.h"
#include "callsworker.h"
#include "eventdetailsview.h"
#include "format.h"
#include "viewsetup.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScopedValueRollback>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <utility>

namespace initscope::ui
{

CallsPanel::CallsPanel(QWidget *parent)
    : QWidget(parent), m_model(new CallsModel(this)), m_proxy(new CallsFilterModel(this)),
      m_worker(new CallsWorker(this)), m_filterEdit(new QLineEdit(this)), m_apiCombo(new QComboBox(this)),
      m_processCombo(new QComboBox(this)), m_threadCombo(new QComboBox(this)),
      m_failedOnly(new QCheckBox(QStringLiteral("&Failed only"), this)), m_summary(new QLabel(this)),
      m_textTimer(new QTimer(this)), m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_view(new QTableView(m_splitter)), m_details(new EventDetailsView(m_splitter))
{
    m_proxy->setSourceModel(m_model);
    connect(m_worker, &CallsWorker::counted, this, [this](qint64 calls) {
        if (isLoading()) {
            m_expectedCalls = calls;
            updateSummary();
        }
    });
    connect(m_worker, &CallsWorker::loaded, this,
            [this](const std::shared_ptr<const CallsData> &calls, const QString &readError) {
                // The GUI thread's own connection, for the payloads of the rows it shows.
                QString error = readError;
                std::unique_ptr<EventScanner> scanner = calls ? EventScanner::open(m_reader->path(), &error) : nullptr;
                finishLoad(std::move(scanner), scanner ? calls : nullptr, error);
            });
    connect(m_worker, &CallsWorker::found, this,
            [this](const QString &text, const std::shared_ptr<std::vector<bool>> &rows) {
                m_proxy->setText(text, std::move(*rows));
                updateSummary();
                scrollToCurrent();
            });
    connect(m_worker, &CallsWorker::ranked, this,
            [this](CallsModel::Column column, const std::shared_ptr<std::vector<qint32>> &ranks) {
                m_model->setSortRanks(column, std::move(*ranks));
                if (m_proxy->sortColumn() == column)
                    m_proxy->resort();
                updateSummary();
                scrollToCurrent();
            });

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
    // After the view's own connection: the proxy has sorted when this runs.
    connect(m_view->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, &CallsPanel::sortRequested);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &CallsPanel::currentChanged);
    // The rows about to be painted are decoded in one read, before the paint asks row by row.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, &CallsPanel::prefetchVisible);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &CallsPanel::prefetchVisible);
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
    // Whatever a worker still does for the previous run is dropped when it ends.
    m_worker->cancel();
    m_reader = reader;
    m_runId = runId;
    m_state = LoadState::NotLoaded;
    m_expectedCalls = -1;
    m_loadError.clear();
    m_note.clear();
    m_pendingEventId = -1;
    m_pendingFailure.reset();
    m_loads.clear();
    m_labels.clear();
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

bool CallsPanel::isBusy() const
{
    return isLoading() || !m_worker->searchText().isEmpty() || m_worker->rankingColumn() >= 0;
}

void CallsPanel::load()
{
    if (m_state != LoadState::NotLoaded)
        return;
    m_state = LoadState::Loading;
    if (!m_reader) {
        finishLoad(nullptr, nullptr, QString());
        return;
    }
    for (const Process &p : m_reader->processes(m_runId)) {
        m_labels.insert(p.id, processLabel(p));
        m_pids.insert(p.id, p.pid);
    }
    const QString path = m_reader->path();
    const qint64 runId = m_runId;
    if (QFileInfo(path).size() <= m_inlineLoadLimit) {
        QString error;
        std::unique_ptr<EventScanner> scanner = EventScanner::open(path, &error);
        std::shared_ptr<const CallsData> calls = scanner ? readCalls(*scanner, runId, &error) : nullptr;
        finishLoad(std::move(scanner), std::move(calls), error);
        return;
    }
    m_worker->load(path, runId);
    updateSummary();
}

void CallsPanel::finishLoad(std::unique_ptr<EventScanner> scanner, std::shared_ptr<const CallsData> calls,
                            const QString &error)
{
    m_state = LoadState::Loaded;
    m_expectedCalls = -1;
    m_loadError = calls || !m_reader ? QString() : error;
    m_model->setCalls(std::move(scanner), std::move(calls), m_labels);
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
    // Typed or chosen while the calls were read.
    if (!m_filterEdit->text().isEmpty())
        applyTextFilter();
    sortRequested(header->sortIndicatorSection(), header->sortIndicatorOrder());
    updateSummary();
    prefetchVisible();
    if (m_pendingEventId >= 0)
        selectEvent(std::exchange(m_pendingEventId, -1));
    if (m_pendingFailure)
        goToFailure(*std::exchange(m_pendingFailure, std::nullopt));
    Q_EMIT loaded();
}

void CallsPanel::fillProcessCombo()
{
    const QSignalBlocker block(m_processCombo);
    m_processCombo->clear();
    m_processCombo->addItem(QStringLiteral("All processes"), qint64(-1));
    // In the order the processes made their first call.
    const QList<qint64> &order = m_model->calls()->processes;
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
    for (const auto &[process, tid] : m_model->calls()->threads) {
        if (processId < 0 || process == processId)
            threads.emplace(tid, process);
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
    m_worker->cancelSearch();
    const QString text = m_filterEdit->text();
    // A small run is searched here in a few milliseconds; before the calls are read there is
    // nothing to search (finishLoad() comes back here). A large one on the worker: the table
    // keeps its rows until the answer comes.
    if (text.isEmpty() || !isLoaded() || !m_model->isLarge() || text == m_proxy->text())
        m_proxy->setText(text);
    else
        m_worker->search(m_model->path(), m_model->calls(), text);
    updateSummary();
    scrollToCurrent();
}

void CallsPanel::applyFilters()
{
    const QVariant api = m_apiCombo->currentData();
    m_proxy->setApi(api.isValid() ? std::optional(CallsModel::Api(api.toInt())) : std::nullopt);
    m_proxy->setProcessId(m_processCombo->currentIndex() > 0 ? m_processCombo->currentData().toLongLong() : -1);
    m_proxy->setThread(m_threadCombo->currentIndex() > 0 ? m_threadCombo->currentData().toLongLong() : -1);
    m_proxy->setFailedOnly(m_failedOnly->isChecked());
    updateSummary();
    scrollToCurrent();
}

void CallsPanel::scrollToCurrent()
{
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
    m_worker->cancelSearch();
    m_proxy->setText(QString());
    applyFilters();
}

void CallsPanel::sortRequested(int column, Qt::SortOrder order)
{
    m_note.clear();
    const auto payloadColumn = CallsModel::Column(column);
    const bool needsKeys = (payloadColumn == CallsModel::ResultColumn || payloadColumn == CallsModel::CallColumn)
                           && isLoaded() && m_model->isLarge() && !m_model->hasSortRanks(payloadColumn);
    if (needsKeys && payloadColumn == CallsModel::CallColumn) {
        // A million decoded summaries would not fit the memory this tab keeps to: back to the
        // previous order, which the header shows again.
        m_view->horizontalHeader()->setSortIndicator(m_sortColumn, m_sortOrder);
        m_note = QStringLiteral("no sorting by call beyond %L1 calls").arg(m_model->largeRunLimit());
        updateSummary();
        return;
    }
    // Until the keys come the rows keep their time order.
    if (needsKeys && m_worker->rankingColumn() != column)
        m_worker->rank(m_model->path(), m_model->calls(), payloadColumn);
    m_sortColumn = column;
    m_sortOrder = order;
    updateSummary();
}

void CallsPanel::prefetchVisible()
{
    const int rows = m_proxy->rowCount();
    if (rows == 0)
        return;
    const int height = m_view->viewport()->height();
    const int rowHeight = std::max(1, m_view->verticalHeader()->defaultSectionSize());
    const int first = std::max(m_view->rowAt(0), 0);
    int last = m_view->rowAt(height - 1);
    if (last < 0)
        last = std::min(rows - 1, first + height / rowHeight);
    // Half a screen either way: a small scroll finds its rows decoded.
    const int margin = std::max(16, (last - first) / 2);
    std::vector<int> source;
    for (int row = std::max(0, first - margin); row <= std::min(rows - 1, last + margin); ++row)
        source.push_back(m_proxy->mapToSource(m_proxy->index(row, 0)).row());
    m_model->prefetch(source);
}

void CallsPanel::updateSummary()
{
    QString text;
    const int total = m_model->rowCount();
    auto calls = [](qint64 n) { return n == 1 ? QStringLiteral("call") : QStringLiteral("calls"); };
    if (m_state == LoadState::Loading) {
        text = m_expectedCalls >= 0
                   ? QStringLiteral("Loading %L1 %2…").arg(m_expectedCalls).arg(calls(m_expectedCalls))
                   : QStringLiteral("Loading calls…");
    } else if (!m_loadError.isEmpty()) {
        text = QStringLiteral("Could not read the calls: %1").arg(m_loadError);
    } else if (total == 0) {
        text = isLoaded() ? QStringLiteral("No traced calls in this run") : QString();
    } else {
        const int shown = m_proxy->rowCount();
        text = shown == total ? QStringLiteral("%L1 %2").arg(total).arg(calls(total))
                              : QStringLiteral("%L1 of %L2 %3").arg(shown).arg(total).arg(calls(total));
    }
    QStringList notes;
    if (!m_worker->searchText().isEmpty())
        notes << QStringLiteral("searching for “%1”…").arg(m_worker->searchText());
    if (const int column = m_worker->rankingColumn(); column >= 0) {
        const QString title = m_model->headerData(column, Qt::Horizontal).toString();
        notes << QStringLiteral("sorting by %1…").arg(title.toLower());
    }
    if (!m_note.isEmpty())
        notes << m_note;
    if (!notes.isEmpty())
        text += QStringLiteral(" — ") + notes.join(QStringLiteral("; "));
    m_summary->setText(text);
    m_summary->setToolTip(text);
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
        const EventRow &e = m_model->callRow(row);
        Q_EMIT eventSelected(e.processId, e.id);
    }
}

void CallsPanel::showDetails(int row)
{
    const Event e = m_model->event(row);
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
    if (!isLoaded()) {
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
    if (!isLoaded() || rows == 0)
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
    load();
    // Taken once the calls are read.
    if (isLoading()) {
        m_pendingFailure = forward;
        return true;
    }
    return step(forward, [this](int row) { return m_model->isFailed(row); });
}

bool CallsPanel::goToSameFunction(bool forward)
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid())
        return false;
    const qint32 function = m_model->callRow(m_proxy->mapToSource(current).row()).nameId;
    const int here = current.row();
    // Never "finds" the current row itself: without another call of the function, nothing moves.
    return step(forward, [this, function, here](int row) {
        return m_model->callRow(row).nameId == function && m_proxy->mapFromSource(m_model->index(row, 0)).row() != here;
    });
}

void CallsPanel::copySelection()
{
    QStringList lines;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows(CallsModel::CallColumn)) {
        const int row = m_proxy->mapToSource(index).row();
        const EventRow &e = m_model->callRow(row);
        lines << QStringLiteral("%1 ms  %2  %3").arg(formatMs(e.tsNs), m_model->processLabel(e.processId),
                                                    m_model->decoded(row).summary);
    }
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

} // namespace initscope::ui
