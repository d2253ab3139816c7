#include "processpanel.h"

#include "bundle.h"
#include "environmentpanel.h"
#include "eventscan.h"
#include "eventsfiltermodel.h"
#include "eventsloader.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "format.h"
#include "librariespanel.h"
#include "outputfiltermodel.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processheader.h"
#include "report.h"

#include <QAction>
#include <QFrame>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

#include <functional>
#include <utility>

namespace initscope::ui
{

ProcessPanel::ProcessPanel(QWidget *parent)
    : QWidget(parent), m_header(new ProcessHeader(this)), m_tabs(new QTabWidget(this)),
      m_output(new OutputPanel(m_tabs)), m_events(new EventsPanel(m_tabs)),
      m_libraries(new LibrariesPanel(m_tabs)), m_environment(new EnvironmentPanel(m_tabs)),
      m_loader(new EventsLoader(this))
{
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_output, QStringLiteral("Output"));
    m_tabs->addTab(m_events, QStringLiteral("Events"));
    m_tabs->addTab(m_libraries, QStringLiteral("Libraries"));
    m_tabs->addTab(m_environment, QStringLiteral("Environment"));

    connect(m_events->view()->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid() && m_processId >= 0)
                    Q_EMIT eventSelected(m_processId, current.data(EventsModel::EventIdRole).toLongLong());
            });
    // An output line leads to what the process was doing when it wrote it.
    auto *nearest = new QAction(QStringLiteral("Show &Nearest Event"), this);
    nearest->setToolTip(QStringLiteral("Select the event this line is about (double-click a line)"));
    connect(nearest, &QAction::triggered, this,
            [this] { showEventNearLine(m_output->view()->currentIndex()); });
    m_output->view()->addAction(nearest);
    connect(m_output->view(), &QTreeView::activated, this, &ProcessPanel::showEventNearLine);
    connect(m_loader, &EventsLoader::rowsLoaded, this,
            [this](const EventScanQuery &query, const EventsLoader::Rows &rows, const QString &error) {
                if (query.processId != m_processId || !m_scanner)
                    return;
                const qint64 pending = std::exchange(m_pendingEventId, -1);
                if (rows->empty() && !error.isEmpty()) {
                    m_events->clear(QStringLiteral("The events could not be read: %1").arg(error));
                    setEventsTitle(0, false);
                } else {
                    setEventsTitle(qint64(rows->size()), false);
                    m_events->setRows(m_scanner, query, std::move(*rows), std::exchange(m_loadingSearches, {}),
                                      std::exchange(m_loadingLoads, {}));
                    if (pending >= 0)
                        m_events->selectEvent(pending);
                }
                Q_EMIT eventsLoaded(query.processId);
            });

    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_header);
    layout->addWidget(line);
    layout->addWidget(m_tabs, 1);
    clear();
}

void ProcessPanel::showProcess(const BundleReader &reader, const Run &run, const Process &p,
                               const Process *parent)
{
    m_header->setProcess(run, p, parent);
    m_output->setOutput(reader.output(p.id),
                        QStringLiteral("%1-%2").arg(processName(p)).arg(p.pid));
    const QList<LibSearch> searches = reader.libSearches(run.id, p.id);
    const QList<LibLoad> loads = reader.libLoads(run.id, p.id);
    m_processId = p.id;
    const bool eventsShown = loadEvents(reader, run.id, p.id, searches, loads);
    m_libraries->setLibraries(searches, loads);
    m_environment->setEnvironment(p.env);
    // Config and files belong to the run: read once, not at every process.
    if (&reader != m_filesReader || reader.path() != m_filesBundle || run.id != m_filesRunId) {
        m_filesReader = &reader;
        m_filesBundle = reader.path();
        m_filesRunId = run.id;
        m_environment->setRunFiles(reader.artifacts(run.id), run.configJson);
    }

    const int lines = m_output->model()->rowCount();
    m_tabs->setTabText(OutputTab, lines == 1 ? QStringLiteral("Output (1 line)")
                                             : QStringLiteral("Output (%1 lines)").arg(lines));
    m_tabs->setTabText(LibrariesTab, QStringLiteral("Libraries (%1 searched, %2 loaded)")
                                         .arg(searches.size())
                                         .arg(loads.size()));
    m_tabs->setTabText(EnvironmentTab, QStringLiteral("Environment (%1)").arg(p.env.size()));
    m_tabs->setEnabled(true);
    if (eventsShown)
        Q_EMIT eventsLoaded(p.id);
}

bool ProcessPanel::loadEvents(const BundleReader &reader, qint64 runId, qint64 processId,
                              const QList<LibSearch> &searches, const QList<LibLoad> &loads)
{
    m_loader->cancel();
    m_pendingEventId = -1;
    m_loadingSearches.clear();
    m_loadingLoads.clear();
    // Opened again for every process: a millisecond, and never the rows of a file replaced
    // since it was last shown.
    QString error;
    m_scanner = EventScanner::open(reader.path(), &error);
    if (!m_scanner) {
        m_events->clear(QStringLiteral("The events could not be read: %1").arg(error));
        setEventsTitle(0, false);
        return true;
    }
    EventScanQuery query;
    query.runId = runId;
    query.processId = processId;
    const qint64 count = m_scanner->countOfProcess(processId);
    if (count < kBackgroundLoadFrom) {
        std::vector<EventRow> rows = m_scanner->rows(query, &error);
        setEventsTitle(qint64(rows.size()), false);
        m_events->setRows(m_scanner, query, std::move(rows), searches, loads);
        return true;
    }
    // Reading and sorting half a million rows takes a second: the window paints meanwhile.
    m_loadingSearches = searches;
    m_loadingLoads = loads;
    m_events->setLoading(count);
    setEventsTitle(count, true);
    m_loader->loadRows(reader.path(), query);
    return false;
}

void ProcessPanel::setEventsTitle(qint64 count, bool loading)
{
    m_tabs->setTabText(EventsTab, loading ? QStringLiteral("Events (loading %1…)").arg(QLocale().toString(count))
                                          : QStringLiteral("Events (%1)").arg(count));
}

bool ProcessPanel::isLoadingEvents() const
{
    return m_loader->isPending();
}

bool ProcessPanel::showEvent(qint64 eventId)
{
    if (isLoadingEvents()) {
        // The rows are on their way: one lookup says whether the event will be among them.
        const std::optional<Event> e = m_scanner ? m_scanner->event(eventId) : std::nullopt;
        if (!e || e->processId != m_processId)
            return false;
        m_pendingEventId = eventId;
        m_tabs->setCurrentWidget(m_events);
        return true;
    }
    if (!m_events->selectEvent(eventId))
        return false;
    m_tabs->setCurrentWidget(m_events);
    return true;
}

bool ProcessPanel::showOutputLine(Stream stream, int line)
{
    if (!m_output->selectLine(stream, line))
        return false;
    m_tabs->setCurrentWidget(m_output);
    return true;
}

namespace
{

constexpr int kLookBack = 2000; // events looked through for one the line names

// The result message of a failed call's payload ("operation not supported").
QString failureMessage(const QByteArray &payload)
{
    return QJsonDocument::fromJson(payload).object().value(QLatin1String("result")).toObject()
        .value(QLatin1String("message")).toString();
}

// The row of the event an output line is about. Output is timestamped when the pipe was read,
// after the write and often after the process has moved on, so looking back from the line's
// time: the last event whose function or library the line names, else the last failed call
// whose result message the line quotes, else the event that came last; the first event for a
// line that came before all of them. -1 when there are no events. Names come with the rows;
// only the payloads of the failed calls looked at are read.
int eventForLine(const EventsModel &events, qint64 ts, const QString &text)
{
    int lo = 0;
    int hi = events.rowCount();
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (events.eventRow(mid)->tsNs <= ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    const int last = lo - 1;
    if (last < 0)
        return events.rowCount() > 0 ? 0 : -1;
    QList<int> failed; // latest first
    for (int row = last; row >= 0 && row > last - kLookBack; --row) {
        // Calls and libraries; a process event is named after the program, which many lines name.
        if (events.isCall(row) || events.kind(row).startsWith(QLatin1String("lib."))) {
            QString name = events.name(row);
            if (name.contains(QLatin1Char('/')))
                name = name.section(QLatin1Char('/'), -1);
            if (name.size() >= 4 && text.contains(name))
                return row;
        }
        if (events.isFailedCall(row))
            failed.append(row);
    }
    const QHash<qint64, QByteArray> payloads = events.payloads(failed);
    for (int row : failed) {
        const QString message = failureMessage(payloads.value(events.eventRow(row)->id));
        if (message.size() >= 4 && text.contains(message, Qt::CaseInsensitive))
            return row;
    }
    return last;
}

} // namespace

bool ProcessPanel::showEventNearLine(const QModelIndex &outputIndex)
{
    if (!outputIndex.isValid())
        return false;
    const QModelIndex line = outputIndex.model() == m_output->filterModel()
                                 ? m_output->filterModel()->mapToSource(outputIndex)
                                 : outputIndex;
    const OutputModel *output = m_output->model();
    const QString text = safeText(output->lineBytes(line.row()), 4096);
    const int row = eventForLine(*m_events->model(), output->lineTimeNs(line.row()), text);
    return row >= 0 && showEvent(m_events->model()->eventRow(row)->id);
}

namespace
{
// The next matching row of view in its order, starting after its current row and wrapping
// around; the current row itself is the last one tried when includeCurrent is set.
QModelIndex nextRow(QAbstractItemView *view, bool forward, bool includeCurrent,
                    const std::function<bool(const QModelIndex &)> &matches)
{
    const QAbstractItemModel *model = view->model();
    const int rows = model->rowCount();
    const QModelIndex current = view->currentIndex();
    const int start = current.isValid() ? current.row() : (forward ? -1 : rows);
    for (int i = 1; i <= rows; ++i) {
        const int r = ((start + (forward ? i : -i)) % rows + rows) % rows;
        if (r == start && !includeCurrent)
            break;
        const QModelIndex index = model->index(r, 0);
        if (matches(index))
            return index;
    }
    return {};
}
} // namespace

bool ProcessPanel::stepEvents(bool forward, bool includeCurrent,
                              const std::function<bool(int row, int current)> &matches)
{
    const EventsFilterModel *proxy = m_events->filterModel();
    const QModelIndex current = m_events->view()->currentIndex();
    const int here = current.isValid() ? proxy->mapToSource(current).row() : -1;
    const QModelIndex found =
        nextRow(m_events->view(), forward, includeCurrent, [&](const QModelIndex &index) {
            return matches(proxy->mapToSource(index).row(), here);
        });
    if (!found.isValid())
        return false;
    m_tabs->setCurrentWidget(m_events);
    m_events->view()->setCurrentIndex(found);
    m_events->view()->scrollTo(found);
    return true;
}

bool ProcessPanel::goToError(bool forward)
{
    if (m_tabs->currentWidget() == m_output) {
        QTreeView *view = m_output->view();
        const QModelIndex found = nextRow(view, forward, true, [](const QModelIndex &index) {
            return !matchErrorRule(index.data(OutputModel::FullTextRole).toString()).isEmpty();
        });
        if (!found.isValid())
            return false;
        view->setCurrentIndex(found);
        view->scrollTo(found);
        return true;
    }
    // A single failure is found from itself too: F8 then says where it is instead of nothing.
    // The call status came with the rows: no payload is read.
    const EventsModel *events = m_events->model();
    return stepEvents(forward, true, [events](int row, int) { return events->isFailedCall(row); });
}

bool ProcessPanel::goToSameFunction(bool forward)
{
    const EventsModel *events = m_events->model();
    return stepEvents(forward, false, [events](int row, int current) {
        if (current < 0 || !events->isCall(current))
            return false;
        const EventRow *e = events->eventRow(row);
        const EventRow *here = events->eventRow(current);
        return e->kindId == here->kindId && e->nameId == here->nameId;
    });
}

void ProcessPanel::clear()
{
    m_loader->cancel();
    m_pendingEventId = -1;
    m_loadingSearches.clear();
    m_loadingLoads.clear();
    m_processId = -1;
    m_filesReader = nullptr;
    m_filesBundle.clear();
    m_filesRunId = -1;
    m_environment->setRunFiles({}, {});
    m_header->clear();
    m_output->setOutput({}, QString());
    m_events->clear();
    m_scanner.reset();
    m_libraries->setLibraries({}, {});
    m_environment->setEnvironment({});
    m_tabs->setTabText(OutputTab, QStringLiteral("Output"));
    m_tabs->setTabText(EventsTab, QStringLiteral("Events"));
    m_tabs->setTabText(LibrariesTab, QStringLiteral("Libraries"));
    m_tabs->setTabText(EnvironmentTab, QStringLiteral("Environment"));
    m_tabs->setEnabled(false);
}

} // namespace initscope::ui
