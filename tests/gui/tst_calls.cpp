// The run's Calls tab on a bundle whose calls look exactly like ingest's (callsample.h): the
// calls model, its filters and sorting, and the details model under QAbstractItemModelTester
// and compared through text dumps; resolver requests found for calls made through their
// pointers; the selection shared with the process views both ways; F8 and Ctrl+J; output lines
// leading to their nearest event; the run's config and files in the Environment tab.
#include "callsample.h"
#include "guitest.h"

#include "bundle.h"
#include "bundlepage.h"
#include "callsfiltermodel.h"
#include "callsmodel.h"
#include "callspanel.h"
#include "devicepanel.h"
#include "environmentpanel.h"
#include "eventdetailsmodel.h"
#include "eventdetailsview.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "mainwindow.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processpanel.h"
#include "runfilesmodel.h"
#include "runview.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;
using initscope::testing::CallSampleIds;

namespace
{

std::unique_ptr<QAbstractItemModelTester> watch(QAbstractItemModel *model)
{
    return std::make_unique<QAbstractItemModelTester>(model,
                                                      QAbstractItemModelTester::FailureReportingMode::Fatal);
}

class CallsTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        s_path = s_dir->filePath(QStringLiteral("calls.initscope"));
        QString error;
        ASSERT_TRUE(initscope::testing::writeCallSample(s_path, &s_ids, &error)) << error.toStdString();
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }
    void SetUp() override
    {
        BundleError error;
        reader = BundleReader::open(s_path, &error);
        ASSERT_NE(reader, nullptr) << error.message.toStdString();
    }

    // The ids of the rows the panel's table shows, in its order.
    static QList<qint64> shown(const CallsPanel &panel)
    {
        QList<qint64> ids;
        const QAbstractItemModel *model = panel.view()->model();
        for (int r = 0; r < model->rowCount(); ++r)
            ids << model->index(r, 0).data(CallsModel::EventIdRole).toLongLong();
        return ids;
    }

    std::unique_ptr<BundleReader> reader;
    static inline QTemporaryDir *s_dir = nullptr;
    static inline QString s_path;
    static inline CallSampleIds s_ids;
};

TEST_F(CallsTest, ModelListsEveryCallOfTheRunInTimeOrder)
{
    CallsPanel panel;
    const auto modelTester = watch(panel.model());
    const auto proxyTester = watch(panel.filterModel());
    panel.setRun(reader.get(), s_ids.runId);
    EXPECT_FALSE(panel.isLoaded()) << "the calls are read when the tab is first shown";
    EXPECT_EQ(panel.model()->rowCount(), 0);
    panel.load();
    const QList<qint64> expected = {s_ids.nvmlInit,       s_ids.nvmlCount,      s_ids.nvmlName,
                                    s_ids.resolveInit,    s_ids.resolveExportTable, s_ids.resolveMissing,
                                    s_ids.deviceCount,    s_ids.initViaPointer, s_ids.exportTable,
                                    s_ids.initOtherThread, s_ids.driverCount,   s_ids.unfinished};
    EXPECT_EQ(shown(panel), expected);
    initscope::testing::expectMatchesGolden(QStringLiteral("calls_model.txt"),
                                            initscope::testing::dumpModel(*panel.model()));
    panel.setRun(nullptr, -1);
    EXPECT_EQ(panel.model()->rowCount(), 0);
}

TEST_F(CallsTest, FailedCallsAreTheOnesWhoseResultSaysSoAndTheOneThatNeverReturned)
{
    CallsPanel panel;
    panel.setRun(reader.get(), s_ids.runId);
    panel.load();
    panel.failedOnlyBox()->setChecked(true);
    EXPECT_EQ(shown(panel),
              (QList<qint64>{s_ids.resolveMissing, s_ids.deviceCount, s_ids.exportTable, s_ids.unfinished}));
    const CallsModel *model = panel.model();
    const CallsModel::Decoded unfinished = model->decoded(model->rowOfEvent(s_ids.unfinished));
    EXPECT_TRUE(unfinished.unfinished);
    EXPECT_EQ(unfinished.result, QStringLiteral("did not return"));
    // The status read from the payload bytes with the row and the decoded payload agree on
    // every row.
    for (int row = 0; row < model->rowCount(); ++row)
        EXPECT_EQ(model->isFailed(row), model->decoded(row).failed) << row;
}

TEST_F(CallsTest, FiltersNarrowByTextApiProcessAndThread)
{
    CallsPanel panel;
    const auto proxyTester = watch(panel.filterModel());
    panel.setRun(reader.get(), s_ids.runId);
    panel.load();
    auto filterText = [&panel](const QString &text) {
        panel.filterEdit()->setText(text);
        panel.applyTextFilter();
    };
    // A value the call wrote, a pointer it was passed, a function name in any case.
    filterText(QStringLiteral("initscope fake gpu"));
    EXPECT_EQ(shown(panel), QList<qint64>{s_ids.nvmlName});
    filterText(QStringLiteral("0x7f59dbc885a0"));
    EXPECT_EQ(shown(panel), QList<qint64>{s_ids.exportTable});
    filterText(QStringLiteral("\"cuGraphAddNode\""));
    EXPECT_EQ(shown(panel), QList<qint64>{s_ids.resolveMissing}) << "quotes are matched as the summary shows them";
    filterText(QStringLiteral("CUINIT"));
    EXPECT_EQ(shown(panel), (QList<qint64>{s_ids.resolveInit, s_ids.initViaPointer, s_ids.initOtherThread,
                                           s_ids.unfinished}));
    filterText(QString());

    QComboBox *api = panel.apiCombo();
    api->setCurrentIndex(api->findData(int(CallsModel::Api::Runtime)));
    EXPECT_EQ(shown(panel), QList<qint64>{s_ids.deviceCount});
    api->setCurrentIndex(api->findData(int(CallsModel::Api::Nvml)));
    EXPECT_EQ(shown(panel), (QList<qint64>{s_ids.nvmlInit, s_ids.nvmlCount, s_ids.nvmlName}));
    api->setCurrentIndex(0);

    QComboBox *process = panel.processCombo();
    ASSERT_EQ(process->count(), 3) << "all, then the two processes that made calls";
    process->setCurrentIndex(process->findData(s_ids.serverId));
    EXPECT_EQ(shown(panel).size(), 3);
    // Threads of the selected process only, the main thread named.
    QComboBox *thread = panel.threadCombo();
    EXPECT_EQ(thread->count(), 2);
    process->setCurrentIndex(process->findData(s_ids.runnerId));
    ASSERT_EQ(thread->count(), 3);
    EXPECT_EQ(thread->itemText(1), QStringLiteral("thread 7200 (main)"));
    thread->setCurrentIndex(thread->findData(qint64(7203)));
    EXPECT_EQ(shown(panel), (QList<qint64>{s_ids.initOtherThread, s_ids.driverCount, s_ids.unfinished}));
    panel.failedOnlyBox()->setChecked(true);
    EXPECT_EQ(shown(panel), QList<qint64>{s_ids.unfinished});
    EXPECT_TRUE(panel.filterModel()->isFiltering());

    // Selecting a call that the filters hide clears them.
    EXPECT_TRUE(panel.selectEvent(s_ids.nvmlName));
    EXPECT_FALSE(panel.filterModel()->isFiltering());
    EXPECT_EQ(panel.currentEventId(), s_ids.nvmlName);
    EXPECT_EQ(shown(panel).size(), 12);
}

TEST(CallPayloads, KeysAreReadAtTheTopLevelOnly)
{
    // A nested object's "ok" and a string that looks like a key are not the call's verdict.
    EXPECT_EQ(CallsModel::topLevelBool(R"({"a":{"ok":false},"ok":true})", "ok"), true);
    EXPECT_FALSE(CallsModel::payloadFailed(R"({"a":{"ok":false},"ok":true})"));
    EXPECT_FALSE(CallsModel::payloadFailed(R"({"s":"x\"ok\":false","ok":true})"));
    EXPECT_TRUE(CallsModel::payloadFailed(R"({"resolved":{"ok":true},"ok":false})"));
    // Without an "ok" of its own the result code decides.
    EXPECT_TRUE(CallsModel::payloadFailed(R"({"result":{"code":3}})"));
    EXPECT_FALSE(CallsModel::payloadFailed(R"({"result":{"code":0}})"));
    EXPECT_TRUE(CallsModel::payloadFailed(R"j({"depth":0,"summary":"cuInit(…)","unfinished":true})j"));
    EXPECT_EQ(CallsModel::topLevelSlice(R"({"a":[1,{"b":2}],"b":"q\"x"})", "b"), QByteArrayView(R"("q\"x")"));
    EXPECT_EQ(CallsModel::topLevelSlice(R"({"a":[1,{"b":2}],"c":{"d":[]}})", "c"), QByteArrayView(R"({"d":[]})"));
    EXPECT_TRUE(CallsModel::topLevelSlice(R"({"a":{"b":1}})", "b").isEmpty());
    EXPECT_EQ(CallsModel::topLevelBool(R"({"ok":null})", "ok"), std::nullopt);
}

TEST_F(CallsTest, SortsByAnyColumnKeepingTimeOrderAmongEquals)
{
    CallsPanel panel;
    panel.setRun(reader.get(), s_ids.runId);
    panel.load();
    panel.view()->sortByColumn(CallsModel::DurationColumn, Qt::DescendingOrder);
    EXPECT_EQ(shown(panel).first(), s_ids.deviceCount) << "the 400 µs cudaGetDeviceCount is the longest";
    panel.view()->sortByColumn(CallsModel::FunctionColumn, Qt::AscendingOrder);
    const QList<qint64> byFunction = shown(panel);
    const qsizetype first = byFunction.indexOf(s_ids.initViaPointer);
    ASSERT_GE(first, 0);
    EXPECT_EQ(byFunction.mid(first, 3),
              (QList<qint64>{s_ids.initViaPointer, s_ids.initOtherThread, s_ids.unfinished}));
    panel.view()->sortByColumn(CallsModel::ResultColumn, Qt::AscendingOrder);
    EXPECT_EQ(shown(panel).mid(0, 2), (QList<qint64>{s_ids.resolveMissing, s_ids.exportTable}))
        << "CUDA_ERROR_NOT_FOUND < CUDA_ERROR_NOT_SUPPORTED < cudaErrorNotSupported";
    panel.view()->sortByColumn(CallsModel::TimeColumn, Qt::AscendingOrder);
    EXPECT_EQ(shown(panel).first(), s_ids.nvmlInit);
}

TEST_F(CallsTest, CallsThroughAPointerFindTheRequestThatHandedItOut)
{
    CallsPanel panel;
    panel.setRun(reader.get(), s_ids.runId);
    panel.load();
    const CallsModel *m = panel.model();
    auto resolverOf = [m](qint64 eventId) {
        const int row = m->resolverRow(m->rowOfEvent(eventId));
        return row < 0 ? qint64(-1) : m->event(row).id;
    };
    EXPECT_EQ(resolverOf(s_ids.initViaPointer), s_ids.resolveInit);
    EXPECT_EQ(resolverOf(s_ids.exportTable), s_ids.resolveExportTable);
    EXPECT_EQ(resolverOf(s_ids.initOtherThread), s_ids.resolveInit) << "any thread of the process";
    EXPECT_EQ(resolverOf(s_ids.driverCount), -1) << "bound through the PLT";
    EXPECT_EQ(resolverOf(s_ids.nvmlInit), -1) << "found with dlsym";
    EXPECT_EQ(resolverOf(s_ids.resolveMissing), -1);
}

TEST_F(CallsTest, DetailsDecodeTheCallAndLinkToItsResolverRequest)
{
    CallsPanel panel;
    panel.resize(1400, 700);
    panel.setRun(reader.get(), s_ids.runId);
    panel.load();
    EventDetailsModel *details = panel.details()->model();
    const auto tester = watch(details);
    QSignalSpy selected(&panel, &CallsPanel::eventSelected);

    ASSERT_TRUE(panel.selectEvent(s_ids.initViaPointer));
    EXPECT_EQ(selected.count(), 0) << "selectEvent() is not a user's selection";
    EXPECT_EQ(details->eventId(), s_ids.initViaPointer);
    EXPECT_EQ(panel.details()->summaryLabel()->text(), QStringLiteral("cuInit(Flags=0x0) → CUDA_SUCCESS"));
    initscope::testing::expectMatchesGolden(QStringLiteral("call_details_pointer.txt"),
                                            initscope::testing::dumpModel(*details));

    // The resolver request is a link: a click selects it, as a user's selection.
    panel.show();
    QModelIndex link;
    for (int s = 0; s < details->rowCount() && !link.isValid(); ++s) {
        const QModelIndex section = details->index(s, 0);
        for (int r = 0; r < details->rowCount(section); ++r) {
            const QModelIndex value = details->index(r, EventDetailsModel::ValueColumn, section);
            if (value.data(EventDetailsModel::LinkEventIdRole).isValid()) {
                link = value;
                break;
            }
        }
    }
    ASSERT_TRUE(link.isValid());
    EXPECT_EQ(link.data(EventDetailsModel::LinkEventIdRole).toLongLong(), s_ids.resolveInit);
    QTreeView *tree = panel.details()->view();
    tree->scrollTo(link);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(link).center());
    EXPECT_EQ(panel.currentEventId(), s_ids.resolveInit);
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected[0][0].toLongLong(), s_ids.runnerId);
    EXPECT_EQ(selected[0][1].toLongLong(), s_ids.resolveInit);
    EXPECT_EQ(details->eventId(), s_ids.resolveInit);

    ASSERT_TRUE(panel.selectEvent(s_ids.exportTable));
    initscope::testing::expectMatchesGolden(QStringLiteral("call_details_export_table.txt"),
                                            initscope::testing::dumpModel(*details));
    ASSERT_TRUE(panel.selectEvent(s_ids.driverCount));
    initscope::testing::expectMatchesGolden(QStringLiteral("call_details_binding.txt"),
                                            initscope::testing::dumpModel(*details));
    ASSERT_TRUE(panel.selectEvent(s_ids.unfinished));
    EXPECT_TRUE(initscope::testing::dumpModel(*details).contains(
        QStringLiteral("Returned | no: the process ended inside this call {fg=#d32f2f}")));
}

TEST_F(CallsTest, RunFilesListEachFileOnceWithItsHash)
{
    RunFilesModel model;
    const auto tester = watch(&model);
    model.setArtifacts(reader->artifacts(s_ids.runId));
    EXPECT_EQ(model.rowCount(), 3) << "config, the shim (also loaded), the runtime; no ELF or machine facts";
    initscope::testing::expectMatchesGolden(QStringLiteral("run_files_model.txt"),
                                            initscope::testing::dumpModel(model));
}

class CallsWindowTest : public CallsTest
{
protected:
    void SetUp() override
    {
        CallsTest::SetUp();
        QSettings().clear();
        window = std::make_unique<MainWindow>();
        window->setErrorReporter([](const QString &, const QString &message) {
            ADD_FAILURE() << message.toStdString();
        });
        window->resize(1440, 900);
        window->show();
        ASSERT_TRUE(window->openBundle(s_path));
        run = window->currentPage()->runView();
        calls = run->callsPanel();
    }

    void activate()
    {
        window->activateWindow();
        ASSERT_TRUE(QTest::qWaitForWindowActive(window.get()));
    }

    qint64 currentProcessEvent() const
    {
        return run->processPanel()->eventsPanel()->view()->currentIndex().data(EventsModel::EventIdRole).toLongLong();
    }

    std::unique_ptr<MainWindow> window;
    RunView *run = nullptr;
    CallsPanel *calls = nullptr;
};

TEST_F(CallsWindowTest, SelectingACallSelectsItInItsProcessAndBack)
{
    QSignalSpy selected(run, &RunView::eventSelected);
    EXPECT_FALSE(calls->isLoaded());
    run->runTabs()->setCurrentWidget(calls);
    ASSERT_TRUE(calls->isLoaded());

    // Calls tab → the process tree and that process's Events tab.
    QTableView *table = calls->view();
    const QModelIndex exportTable = table->model()->index(
        calls->filterModel()->mapFromSource(calls->model()->index(calls->model()->rowOfEvent(s_ids.exportTable), 0)).row(), 0);
    table->scrollTo(exportTable);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(exportTable).center());
    EXPECT_EQ(calls->currentEventId(), s_ids.exportTable);
    EXPECT_EQ(run->currentProcessId(), s_ids.runnerId);
    EXPECT_EQ(currentProcessEvent(), s_ids.exportTable);
    EXPECT_EQ(run->runTabs()->currentWidget(), calls) << "the Calls tab stays in front";
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected[0][1].toLongLong(), s_ids.exportTable);

    // The Events tab of a process → the Calls tab.
    run->runTabs()->setCurrentIndex(0);
    run->selectProcess(s_ids.serverId);
    EventsPanel *events = run->processPanel()->eventsPanel();
    ASSERT_TRUE(events->selectEvent(s_ids.nvmlName));
    EXPECT_EQ(calls->currentEventId(), s_ids.nvmlName);
    EXPECT_EQ(selected.last()[0].toLongLong(), s_ids.serverId);
    EXPECT_EQ(selected.last()[1].toLongLong(), s_ids.nvmlName);
    // An event that is no call leaves the Calls tab as it was.
    run->selectProcess(s_ids.runnerId);
    ASSERT_TRUE(events->selectEvent(s_ids.runnerStart));
    EXPECT_EQ(calls->currentEventId(), s_ids.nvmlName);

    // Evidence that is a call is selected in the Calls tab, which stays in front when it is.
    run->runTabs()->setCurrentWidget(calls);
    Evidence evidence;
    evidence.kind = Evidence::Kind::Event;
    evidence.id = s_ids.initOtherThread;
    evidence.processId = s_ids.runnerId;
    run->showEvidence(evidence);
    EXPECT_EQ(run->runTabs()->currentWidget(), calls);
    EXPECT_EQ(calls->currentEventId(), s_ids.initOtherThread);
    EXPECT_EQ(currentProcessEvent(), s_ids.initOtherThread);

    // RunView::selectEvent, for other views of the run, selects everywhere and says nothing.
    const qsizetype before = selected.count();
    run->selectEvent(s_ids.serverId, s_ids.nvmlCount);
    EXPECT_EQ(calls->currentEventId(), s_ids.nvmlCount);
    EXPECT_EQ(run->currentProcessId(), s_ids.serverId);
    EXPECT_EQ(currentProcessEvent(), s_ids.nvmlCount);
    EXPECT_EQ(selected.count(), before);
}

TEST_F(CallsWindowTest, F8WalksFailedCallsAndCtrlJCallsOfOneFunction)
{
    activate();
    run->runTabs()->setCurrentWidget(calls);
    calls->selectEvent(s_ids.nvmlInit);
    calls->view()->setFocus();
    auto press = [this](int key, Qt::KeyboardModifiers modifiers = {}) {
        QTest::keyClick(calls->view(), Qt::Key(key), modifiers);
        return calls->currentEventId();
    };
    EXPECT_EQ(press(Qt::Key_F8), s_ids.resolveMissing);
    EXPECT_EQ(press(Qt::Key_F8), s_ids.deviceCount);
    EXPECT_EQ(press(Qt::Key_F8), s_ids.exportTable);
    EXPECT_EQ(press(Qt::Key_F8), s_ids.unfinished);
    EXPECT_EQ(press(Qt::Key_F8), s_ids.resolveMissing) << "wraps around";
    EXPECT_EQ(press(Qt::Key_F8, Qt::ShiftModifier), s_ids.unfinished);
    // The process views follow.
    EXPECT_EQ(currentProcessEvent(), s_ids.unfinished);

    calls->selectEvent(s_ids.initViaPointer);
    EXPECT_EQ(press(Qt::Key_J, Qt::ControlModifier), s_ids.initOtherThread);
    EXPECT_EQ(press(Qt::Key_J, Qt::ControlModifier), s_ids.unfinished);
    EXPECT_EQ(press(Qt::Key_J, Qt::ControlModifier | Qt::ShiftModifier), s_ids.initOtherThread);

    // From another tab F8 brings the Calls tab to the front.
    run->runTabs()->setCurrentIndex(run->runTabs()->indexOf(run->devicePanel()));
    calls->selectEvent(s_ids.nvmlInit);
    QTest::keyClick(window.get(), Qt::Key_F8);
    EXPECT_EQ(run->runTabs()->currentWidget(), calls);
    EXPECT_EQ(calls->currentEventId(), s_ids.resolveMissing);

    // In the Processes tab: failed calls of the process in its Events tab.
    run->runTabs()->setCurrentIndex(0);
    run->selectProcess(s_ids.runnerId);
    ProcessPanel *panel = run->processPanel();
    panel->tabs()->setCurrentWidget(panel->eventsPanel());
    ASSERT_TRUE(panel->eventsPanel()->selectEvent(s_ids.runnerStart));
    QTest::keyClick(panel->eventsPanel()->view(), Qt::Key_F8);
    EXPECT_EQ(currentProcessEvent(), s_ids.resolveMissing);
    QTest::keyClick(panel->eventsPanel()->view(), Qt::Key_F8);
    EXPECT_EQ(currentProcessEvent(), s_ids.deviceCount);
    ASSERT_TRUE(panel->eventsPanel()->selectEvent(s_ids.initViaPointer));
    QTest::keyClick(panel->eventsPanel()->view(), Qt::Key_J, Qt::ControlModifier);
    EXPECT_EQ(currentProcessEvent(), s_ids.initOtherThread);
}

TEST_F(CallsWindowTest, OutputErrorLinesAndTheEventNearestToALine)
{
    activate();
    run->selectProcess(s_ids.runnerId);
    ProcessPanel *panel = run->processPanel();
    OutputPanel *output = panel->outputPanel();
    panel->tabs()->setCurrentWidget(output);
    output->view()->setFocus();
    QTest::keyClick(output->view(), Qt::Key_F8);
    const QModelIndex line = output->view()->currentIndex();
    ASSERT_TRUE(line.isValid());
    EXPECT_EQ(line.data(OutputModel::FullTextRole).toString(),
              QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported"));
    QTest::keyClick(output->view(), Qt::Key_F8);
    EXPECT_EQ(output->view()->currentIndex().data(OutputModel::FullTextRole).toString(),
              QStringLiteral("runner: cudaGetDeviceCount returned 801 (cudaErrorNotSupported)"));
    QTest::keyClick(output->view(), Qt::Key_F8);
    EXPECT_EQ(output->view()->currentIndex(), line) << "wraps around";
    QTest::keyClick(output->view(), Qt::Key_F8, Qt::ShiftModifier);
    EXPECT_NE(output->view()->currentIndex(), line);
    QTest::keyClick(output->view(), Qt::Key_F8, Qt::ShiftModifier);
    EXPECT_EQ(output->view()->currentIndex(), line);

    // Double-click: the event the line is about. This one names no function but quotes the
    // message of the failed calls before it: the last of them.
    // (QTest sends a double-click as the second press only: the first press comes from a click.)
    const QPoint at = output->view()->visualRect(line.siblingAtColumn(OutputModel::TextColumn)).center();
    QTest::mouseClick(output->view()->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(output->view()->viewport(), Qt::LeftButton, {}, at);
    EXPECT_EQ(panel->tabs()->currentWidget(), panel->eventsPanel());
    EXPECT_EQ(currentProcessEvent(), s_ids.exportTable);
    // The Calls tab, read only now, opens on the same call.
    EXPECT_FALSE(calls->isLoaded());
    run->runTabs()->setCurrentWidget(calls);
    EXPECT_EQ(calls->currentEventId(), s_ids.exportTable);
    run->runTabs()->setCurrentIndex(0);
    // A line that names a function: its last call before the line, not the calls after it.
    int named = -1;
    for (int row = 0; row < output->model()->rowCount(); ++row) {
        if (output->model()->lineBytes(row).contains("cudaGetDeviceCount returned"))
            named = row;
    }
    ASSERT_GE(named, 0);
    EXPECT_TRUE(panel->showEventNearLine(output->model()->index(named, 0)));
    EXPECT_EQ(currentProcessEvent(), s_ids.deviceCount);
    // A line that names nothing the process did: the event that came last before it.
    EXPECT_TRUE(panel->showEventNearLine(output->model()->index(0, 0)));
    EXPECT_EQ(currentProcessEvent(), s_ids.runnerStart);
}

TEST_F(CallsWindowTest, EnvironmentTabShowsTheRunConfigAndFilesWithHashes)
{
    run->selectProcess(s_ids.runnerId);
    EnvironmentPanel *environment = run->processPanel()->environmentPanel();
    EXPECT_EQ(environment->filesModel()->rowCount(), 3);
    const QString config = environment->configView()->toPlainText();
    EXPECT_TRUE(config.contains(QStringLiteral("\"path\": \"/opt/shim/libcuda.so.1\""))) << config.toStdString();
    EXPECT_TRUE(config.contains(QLatin1Char('\n'))) << "pretty-printed";
    // The same for every process of the run.
    run->selectProcess(s_ids.serverId);
    EXPECT_EQ(environment->filesModel()->rowCount(), 3);
    EXPECT_EQ(environment->configView()->toPlainText(), config);
}

TEST_F(CallsWindowTest, ScreenshotOfTheCallsTab)
{
    run->runTabs()->setCurrentWidget(calls);
    calls->selectEvent(s_ids.initViaPointer);
    QTest::qWait(50);
    const QPixmap shot = window->grab();
    ASSERT_FALSE(shot.isNull());
    const QString path = QDir(initscope::testing::artifactsDir()).filePath(QStringLiteral("gui_calls_sample.png"));
    EXPECT_TRUE(shot.save(path)) << path.toStdString();
}

} // namespace
