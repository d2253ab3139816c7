#include "runview.h"

#include "bundle.h"
#include "callspanel.h"
#include "devicepanel.h"
#include "deviceview.h"
#include "diagnosispanel.h"
#include "ollamaimport.h"
#include "processpanel.h"
#include "processtreemodel.h"
#include "symbolcheck.h"
#include "symbolspanel.h"
#include "timelinewidget.h"
#include "viewsetup.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLocale>
#include <QPointer>
#include <QThreadPool>
#include <QHeaderView>
#include <QScopedValueRollback>
#include <QSplitter>
#include <QTabWidget>
#include <QTreeView>

#include <algorithm>

namespace initscope::ui
{

RunView::RunView(QWidget *parent)
    : QWidget(parent), m_model(new ProcessTreeModel(this)), m_view(new QTreeView(this)),
      m_panel(new ProcessPanel(this)), m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_diagnosis(new DiagnosisPanel(this)), m_vertical(new QSplitter(Qt::Vertical, this)),
      m_runTabs(new QTabWidget(this)), m_symbols(new SymbolsPanel(this)), m_device(new DevicePanel(this)),
      m_calls(new CallsPanel(this)), m_timeline(new TimelineWidget(this))
{
    setupTreeView(m_view);
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setExpandsOnDoubleClick(true);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RunView::showCurrent);

    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_panel);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    // Initial proportions; the splitter keeps what the user drags afterwards.
    m_splitter->setSizes({520, 880});

    // The diagnosis answers the question the user came with; the process views below hold
    // its evidence.
    connect(m_diagnosis, &DiagnosisPanel::evidenceActivated, this, &RunView::showEvidence);
    // Below it: the processes, or the symbol check of the run's shims and consumers (computed
    // the first time its tab is shown).
    m_runTabs->setDocumentMode(true);
    m_runTabs->addTab(m_splitter, QStringLiteral("Processes"));
    m_runTabs->addTab(m_calls, QStringLiteral("Calls"));
    m_runTabs->addTab(m_timeline, QStringLiteral("Timeline"));
    m_runTabs->addTab(m_symbols, QStringLiteral("Symbols"));
    m_runTabs->addTab(m_device, QStringLiteral("Device"));
    connect(m_runTabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_runTabs->widget(index) == m_symbols)
            showSymbols();
        if (m_runTabs->widget(index) == m_device)
            showDevice();
        if (m_runTabs->widget(index) == m_timeline)
            showTimeline();
    });
    connect(m_device, &DevicePanel::eventActivated, this, [this](qint64 processId, qint64 eventId) {
        Evidence e;
        e.kind = Evidence::Kind::Event;
        e.id = eventId;
        e.processId = processId;
        showEvidence(e);
    });
    // A call selected in the Calls tab is selected in its process's Events too, and back.
    connect(m_calls, &CallsPanel::eventSelected, this, [this](qint64 processId, qint64 eventId) {
        selectEvent(processId, eventId);
        Q_EMIT eventSelected(processId, eventId);
    });
    connect(m_panel, &ProcessPanel::eventSelected, this, [this](qint64 processId, qint64 eventId) {
        if (m_syncing)
            return;
        m_calls->selectEvent(eventId);
        m_timeline->selectEvent(eventId);
        Q_EMIT eventSelected(processId, eventId);
    });
    // The timeline selects like the other views; a double-click opens the event or output
    // line in the process views.
    connect(m_timeline, &TimelineWidget::eventSelected, this, [this](qint64 processId, qint64 eventId) {
        selectEvent(processId, eventId);
        Q_EMIT eventSelected(processId, eventId);
    });
    connect(m_timeline, &TimelineWidget::eventActivated, this, [this](qint64 processId, qint64 eventId) {
        Evidence e;
        e.kind = Evidence::Kind::Event;
        e.id = eventId;
        e.processId = processId;
        showEvidence(e);
    });
    connect(m_timeline, &TimelineWidget::outputActivated, this,
            [this](qint64 processId, Stream stream, int line) {
                Evidence e;
                e.kind = Evidence::Kind::OutputLine;
                e.processId = processId;
                e.stream = stream;
                e.line = line;
                showEvidence(e);
            });
    m_splitter->setObjectName(QStringLiteral("processSplitter"));
    m_vertical->setObjectName(QStringLiteral("diagnosisSplitter"));
    m_vertical->addWidget(m_diagnosis);
    m_vertical->addWidget(m_runTabs);
    m_vertical->setChildrenCollapsible(true);
    m_vertical->setCollapsible(1, false);
    m_vertical->setStretchFactor(0, 0);
    m_vertical->setStretchFactor(1, 1);
    m_vertical->setSizes({330, 570});

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_vertical);
}

void RunView::setRun(const BundleReader *reader, const Run &run)
{
    m_reader = reader;
    m_run = run;
    m_symbolsShown = false;
    m_deviceShown = false;
    m_calls->setRun(reader, run.id);
    if (m_runTabs->currentWidget() == m_symbols)
        showSymbols();
    if (m_runTabs->currentWidget() == m_device)
        showDevice();
    m_timelineShown = false;
    if (m_runTabs->currentWidget() == m_timeline)
        showTimeline();
    else
        m_timeline->setRun(nullptr, -1);
    const QList<Process> processes = reader ? reader->processes(run.id) : QList<Process>();
    QHash<qint64, QString> roles;
    if (reader && isImportedLogRun(run)) {
        // The import names each process's role in its process.start event.
        for (const Process &p : processes)
            for (const Event &e : reader->events(run.id, p.id))
                if (e.kind == QLatin1String("process.start"))
                    roles.insert(p.id, importedProcessRole(e.payload));
    }
    m_model->setRoles(roles);
    m_model->setProcesses(processes);
    m_view->expandAll();
    startDiagnosis();
    // Fit the content, within bounds: a few short names must not squeeze the columns, a
    // long exec chain must not push the command line out of sight.
    const QFontMetrics fm = m_view->fontMetrics();
    const int minimum[] = {fm.horizontalAdvance(QStringLiteral("initscope-probe (00000)")),
                           fm.horizontalAdvance(QStringLiteral("exit 255")),
                           fm.horizontalAdvance(QStringLiteral("00.000 ms"))};
    for (int c = 0; c < ProcessTreeModel::CommandColumn; ++c) {
        m_view->resizeColumnToContents(c);
        m_view->setColumnWidth(c, std::clamp(m_view->columnWidth(c), minimum[c] + 16, 360));
    }

    QModelIndex start = m_model->firstFailure();
    if (!start.isValid())
        start = m_model->index(0, 0);
    if (start.isValid()) {
        m_view->setCurrentIndex(start);
        m_view->scrollTo(start);
    } else {
        m_panel->clear();
    }
}

namespace
{
qint64 g_backgroundDiagnosisFrom = 50'000;
}

void RunView::setBackgroundDiagnosisFrom(qint64 events)
{
    g_backgroundDiagnosisFrom = events;
}

qint64 RunView::backgroundDiagnosisFrom()
{
    return g_backgroundDiagnosisFrom;
}

void RunView::startDiagnosis()
{
    const quint64 generation = ++m_diagnosisGeneration;
    if (!m_reader) {
        m_diagnosis->clear();
        Q_EMIT diagnosisReady();
        return;
    }
    const qint64 events = m_reader->eventCount(m_run.id);
    if (events <= g_backgroundDiagnosisFrom) {
        m_diagnosis->setDiagnosis(diagnose(*m_reader, m_run.id));
        Q_EMIT diagnosisReady();
        return;
    }
    // A connection belongs to its thread: the worker opens the bundle again for itself.
    m_diagnosis->setPending(QStringLiteral("Diagnosing %1 events…").arg(QLocale().toString(events)));
    const QString path = m_reader->path();
    const qint64 runId = m_run.id;
    QPointer<RunView> self(this);
    QThreadPool::globalInstance()->start([self, path, runId, generation] {
        BundleError error;
        Diagnosis diagnosis;
        if (std::unique_ptr<BundleReader> reader = BundleReader::open(path, &error))
            diagnosis = diagnose(*reader, runId);
        else
            diagnosis.notes.append(error.message);
        QCoreApplication *app = QCoreApplication::instance();
        if (!app)
            return;
        QMetaObject::invokeMethod(app, [self, generation, diagnosis] {
            if (!self || self->m_diagnosisGeneration != generation)
                return;
            self->m_diagnosis->setDiagnosis(diagnosis);
            Q_EMIT self->diagnosisReady();
        });
    });
}

void RunView::showSymbols()
{
    if (m_symbolsShown)
        return;
    m_symbolsShown = true;
    m_symbols->setResult(m_reader ? checkRecordedRun(*m_reader, m_run.id) : SymbolCheckResult());
}

void RunView::showDevice()
{
    if (m_deviceShown)
        return;
    m_deviceShown = true;
    m_device->setReport(m_reader ? buildDeviceReport(storedMachineFacts(*m_reader, m_run.id), m_reader, m_run.id)
                                 : DeviceReport());
}

void RunView::showTimeline()
{
    if (m_timelineShown)
        return;
    m_timelineShown = true;
    m_timeline->setRun(m_reader, m_run.id);
}

void RunView::selectProcess(qint64 processId)
{
    const QModelIndex index = m_model->indexOfProcess(processId);
    if (index.isValid())
        m_view->setCurrentIndex(index);
}

void RunView::selectEvent(qint64 processId, qint64 eventId)
{
    m_calls->selectEvent(eventId);
    m_timeline->selectEvent(eventId);
    const QScopedValueRollback guard(m_syncing, true);
    selectProcess(processId);
    if (currentProcessId() == processId)
        m_panel->showEvent(eventId);
}

void RunView::showEvidence(const Evidence &evidence)
{
    // Evidence lives in the process views; a call is also selected in the Calls tab, which
    // stays in front when it is.
    const bool call = evidence.kind == Evidence::Kind::Event && m_calls->selectEvent(evidence.id);
    if (!call || m_runTabs->currentWidget() != m_calls)
        m_runTabs->setCurrentWidget(m_splitter);
    if (evidence.processId >= 0)
        selectProcess(evidence.processId);
    if (!m_reader || currentProcessId() != evidence.processId)
        return;
    qint64 eventId = -1;
    switch (evidence.kind) {
    case Evidence::Kind::Event:
        eventId = evidence.id;
        break;
    case Evidence::Kind::LibSearch:
        for (const LibSearch &s : m_reader->libSearches(m_run.id, evidence.processId)) {
            if (s.id == evidence.id)
                eventId = s.eventId;
        }
        break;
    case Evidence::Kind::LibLoad:
        for (const LibLoad &l : m_reader->libLoads(m_run.id, evidence.processId)) {
            if (l.id == evidence.id)
                eventId = l.eventId;
        }
        break;
    case Evidence::Kind::OutputLine:
        m_panel->showOutputLine(evidence.stream, evidence.line);
        return;
    case Evidence::Kind::Process:
        return;
    }
    if (eventId >= 0)
        m_panel->showEvent(eventId);
}

qint64 RunView::currentProcessId() const
{
    const Process *p = m_model->process(m_view->currentIndex());
    return p ? p->id : -1;
}

void RunView::showCurrent()
{
    const QModelIndex current = m_view->currentIndex();
    const Process *p = m_model->process(current);
    if (!p || !m_reader) {
        m_panel->clear();
        Q_EMIT processShown(-1);
        return;
    }
    // The header names the process that forked this one, which is not the tree parent
    // when this image came from an exec.
    const Process *parent = m_model->process(m_model->indexOfProcess(p->parentId));
    m_panel->showProcess(*m_reader, m_run, *p, parent);
    Q_EMIT processShown(p->id);
}

} // namespace initscope::ui
