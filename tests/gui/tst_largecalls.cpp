// The Calls tab on a run of 20,000 calls (docs/gui.md, "Large runs"): rows read on a worker
// thread while the summary says how many are coming, a call asked for meanwhile selected when
// they come, a load for a run that was left dropped; failed-only from the rows alone; payloads
// read only for rows painted or asked about, into a cache that keeps to its bound however far
// one scrolls; the text searched through the records on a worker, a newer text superseding an
// older; Result sort keys made on a worker and no sorting by the Call column. The bundle is
// written here.
#include "callsample.h"
#include "guitest.h"

#include "bundle.h"
#include "callsfiltermodel.h"
#include "callsmodel.h"
#include "callspanel.h"
#include "callsworker.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QThreadPool>

#include <gtest/gtest.h>

#include <functional>
#include <memory>

using namespace initscope;
using namespace initscope::ui;

namespace
{

constexpr qint64 kMs = 1000000;
constexpr int kCalls = 20000;
// Below the run's size, so that this run is a large one for the model.
constexpr int kLargeRunLimit = 1000;
// Calls i with i % 97 == 13 fail; the last never returned.
bool failsAt(int i)
{
    return i % 97 == 13;
}
// The calls whose arguments alone hold this pointer, in two spellings.
constexpr int kMarkedLower = 1234;
constexpr int kMarkedUpper = 15000;

const char *functionOf(int i)
{
    if (i == kCalls - 1)
        return "cuInit";
    if (i % 10 == 9)
        return "nvmlDeviceGetCount_v2";
    if (i % 10 == 8)
        return "cudaGetDeviceCount";
    static const char *const driver[] = {"cuMemAlloc_v2", "cuLaunchKernel", "cuStreamSynchronize", "cuCtxGetCurrent"};
    return driver[i % 4];
}

const char *kindOf(int i)
{
    if (i % 10 == 9 && i != kCalls - 1)
        return "nvml.call";
    if (i % 10 == 8 && i != kCalls - 1)
        return "cudart.call";
    return "cuda.call";
}

QByteArray resultName(int i)
{
    const QByteArray kind = kindOf(i);
    if (kind == "nvml.call")
        return failsAt(i) ? "NVML_ERROR_UNKNOWN" : "NVML_SUCCESS";
    if (kind == "cudart.call")
        return failsAt(i) ? "cudaErrorMemoryAllocation" : "cudaSuccess";
    return failsAt(i) ? "CUDA_ERROR_OUT_OF_MEMORY" : "CUDA_SUCCESS";
}

QByteArray payloadOf(int i)
{
    if (i == kCalls - 1)
        return R"({"depth":0,"summary":"cuInit(…) had not returned when the process ended","unfinished":true})";
    const QByteArray function = functionOf(i);
    const bool failed = failsAt(i);
    QByteArray pointer = "0x7f00" + QByteArray::number(100000 + i, 16);
    if (i == kMarkedLower)
        pointer = "0xfeedface0000";
    else if (i == kMarkedUpper)
        pointer = "0xFEEDFACE0001";
    return R"({"args":{"ptr":")" + pointer + R"("},"depth":0,"function":")" + function + R"(","known":true,"ok":)"
           + (failed ? "false" : "true") + R"(,"result":{"code":)" + (failed ? "2" : "0") + R"(,"message":")"
           + (failed ? "out of memory" : "no error") + R"(","name":")" + resultName(i) + R"(","ok":)"
           + (failed ? "false" : "true") + R"(},"summary":")" + function + "(ptr=" + pointer + ") → "
           + resultName(i) + R"("})";
}

// Processes events until done() or a generous time has passed.
bool waitFor(const std::function<bool()> &done, int timeoutMs = 60000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return true;
}

class LargeCalls : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        const QString path = s_dir->filePath(QStringLiteral("largecalls.initscope"));
        BundleError error;
        std::unique_ptr<BundleWriter> w = BundleWriter::create(path, &error);
        ASSERT_NE(w, nullptr) << error.message.toStdString();
        initscope::Run run;
        run.name = QStringLiteral("large calls");
        run.command = {QStringLiteral("runner")};
        run.durationNs = 400 * kMs;
        s_runId = w->addRun(run);

        Process server;
        server.runId = s_runId;
        server.pid = 8100;
        server.exe = QStringLiteral("/usr/bin/server");
        server.argv = {QStringLiteral("server")};
        server.endNs = 390 * kMs;
        server.endReason = EndReason::Exited;
        const qint64 serverId = w->addProcess(server);
        Process runner = server;
        runner.pid = 8200;
        runner.parentId = serverId;
        runner.exe = QStringLiteral("/usr/bin/runner");
        runner.argv = {QStringLiteral("runner")};
        runner.endReason = EndReason::Signaled;
        runner.signal = 11;
        const qint64 runnerId = w->addProcess(runner);

        s_ids.resize(kCalls);
        for (int i = 0; i < kCalls; ++i) {
            Event e;
            const bool nvml = QByteArrayView(kindOf(i)) == "nvml.call";
            e.processId = nvml ? serverId : runnerId;
            e.tid = nvml ? 8105 : ((i / 1000) % 2 ? 8201 : 8200);
            e.tsNs = 10 * kMs + qint64(i) * 10000;
            e.durNs = 1000 + (i * 37) % 5000;
            e.kind = QLatin1String(kindOf(i));
            e.name = QLatin1String(functionOf(i));
            e.payload = payloadOf(i);
            s_ids[size_t(i)] = w->addEvent(e);
            if (failsAt(i) || i == kCalls - 1)
                s_failed.append(s_ids[size_t(i)]);
        }
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
        s_reader = BundleReader::open(path, &error).release();
        ASSERT_NE(s_reader, nullptr) << error.message.toStdString();

        s_samplePath = s_dir->filePath(QStringLiteral("sample.initscope"));
        QString sampleError;
        ASSERT_TRUE(initscope::testing::writeCallSample(s_samplePath, &s_sample, &sampleError))
            << sampleError.toStdString();
    }
    static void TearDownTestSuite()
    {
        CallsWorker::threadPool()->waitForDone();
        delete s_reader;
        s_reader = nullptr;
        delete s_dir;
        s_dir = nullptr;
    }

    void SetUp() override
    {
        panel = std::make_unique<CallsPanel>();
        // Any bundle is read on a worker, this run is large for the model.
        panel->setInlineLoadLimit(0);
        panel->model()->setLargeRunLimit(kLargeRunLimit);
        panel->resize(1400, 700);
        proxyTester = std::make_unique<QAbstractItemModelTester>(
            panel->filterModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    }
    void TearDown() override
    {
        proxyTester.reset();
        panel.reset();
        // A job still under way must not answer the next test's panel.
        CallsWorker::threadPool()->waitForDone();
        QCoreApplication::processEvents();
    }

    void loadAndWait()
    {
        panel->setRun(s_reader, s_runId);
        panel->load();
        ASSERT_TRUE(waitFor([this] { return panel->isLoaded(); }));
        ASSERT_EQ(panel->model()->rowCount(), kCalls);
    }

    QString summary() const { return panel->summaryLabel()->text(); }

    QList<qint64> shown() const
    {
        QList<qint64> ids;
        const QAbstractItemModel *model = panel->filterModel();
        for (int r = 0; r < model->rowCount(); ++r)
            ids << model->index(r, 0).data(CallsModel::EventIdRole).toLongLong();
        return ids;
    }

    QList<qint64> idsWhere(const std::function<bool(int)> &pick) const
    {
        QList<qint64> ids;
        for (int i = 0; i < kCalls; ++i) {
            if (pick(i))
                ids << s_ids[size_t(i)];
        }
        return ids;
    }

    std::unique_ptr<CallsPanel> panel;
    std::unique_ptr<QAbstractItemModelTester> proxyTester;
    static inline QTemporaryDir *s_dir = nullptr;
    static inline BundleReader *s_reader = nullptr;
    static inline qint64 s_runId = -1;
    static inline std::vector<qint64> s_ids;
    static inline QList<qint64> s_failed;
    static inline QString s_samplePath;
    static inline initscope::testing::CallSampleIds s_sample;
};

TEST_F(LargeCalls, BackgroundLoadSaysHowManyAreComingAndSelectsACallAskedForMeanwhile)
{
    QSignalSpy loaded(panel.get(), &CallsPanel::loaded);
    panel->setRun(s_reader, s_runId);
    panel->load();
    ASSERT_TRUE(panel->isLoading()) << "a bundle over the inline limit is read on a worker";
    EXPECT_FALSE(panel->isLoaded());
    EXPECT_EQ(panel->model()->rowCount(), 0);
    EXPECT_TRUE(summary().startsWith(QStringLiteral("Loading"))) << summary().toStdString();
    const qint64 wanted = s_ids[12345];
    EXPECT_FALSE(panel->selectEvent(wanted)) << "not there yet";
    EXPECT_TRUE(summary() == QStringLiteral("Loading calls…")
                || summary() == QStringLiteral("Loading %L1 calls…").arg(kCalls))
        << summary().toStdString();
    ASSERT_TRUE(waitFor([this] { return panel->isLoaded(); }));
    EXPECT_EQ(loaded.count(), 1);
    EXPECT_EQ(panel->model()->rowCount(), kCalls);
    EXPECT_EQ(panel->currentEventId(), wanted) << "the call asked for during the load";
    EXPECT_EQ(summary(), QStringLiteral("%L1 calls").arg(kCalls));
}

TEST_F(LargeCalls, LoadForARunThatWasLeftIsDropped)
{
    BundleError error;
    const std::unique_ptr<BundleReader> sample = BundleReader::open(s_samplePath, &error);
    ASSERT_NE(sample, nullptr) << error.message.toStdString();
    QSignalSpy loaded(panel.get(), &CallsPanel::loaded);
    panel->setRun(s_reader, s_runId);
    panel->load();
    ASSERT_TRUE(panel->isLoading());
    panel->setRun(sample.get(), s_sample.runId);
    panel->load();
    ASSERT_TRUE(waitFor([this] { return panel->isLoaded(); }));
    // Whatever the first load still did has ended and had its chance to answer.
    CallsWorker::threadPool()->waitForDone();
    QCoreApplication::processEvents();
    EXPECT_EQ(loaded.count(), 1);
    EXPECT_EQ(panel->model()->rowCount(), 12) << "the sample's calls, not the large run's";
    EXPECT_GE(panel->model()->rowOfEvent(s_sample.unfinished), 0);
    panel->setRun(nullptr, -1);
}

TEST_F(LargeCalls, FailedOnlyShowsExactlyTheCallsWrittenAsFailedWithoutReadingAPayload)
{
    // The model and the proxy alone, so that nothing paints.
    CallsModel model;
    CallsFilterModel proxy;
    proxy.setSourceModel(&model);
    const auto tester = std::make_unique<QAbstractItemModelTester>(
        &proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QString error;
    std::unique_ptr<EventScanner> scanner = EventScanner::open(s_reader->path(), &error);
    ASSERT_NE(scanner, nullptr) << error.toStdString();
    std::shared_ptr<const CallsData> calls = readCalls(*scanner, s_runId, &error);
    ASSERT_NE(calls, nullptr) << error.toStdString();
    model.setCalls(std::move(scanner), calls, {});
    ASSERT_EQ(model.rowCount(), kCalls);
    proxy.setFailedOnly(true);
    QList<qint64> ids;
    for (int r = 0; r < proxy.rowCount(); ++r)
        ids << model.callRow(proxy.mapToSource(proxy.index(r, 0)).row()).id;
    EXPECT_EQ(ids, s_failed);
    EXPECT_EQ(model.status(model.rowOfEvent(s_ids[kCalls - 1])), CallStatus::Unfinished);
    EXPECT_EQ(model.payloadsRead(), 0) << "the status came with the rows";
    EXPECT_EQ(model.decodedCount(), 0);
}

TEST_F(LargeCalls, PayloadsAreReadOnlyForRowsAskedAboutAndTheCacheKeepsToItsBoundWhileScrolling)
{
    loadAndWait();
    CallsModel *model = panel->model();
    model->setDecodedLimit(300);
    EXPECT_LE(model->decodedCount(), 300);
    // A row far from the top, which nothing has asked about yet.
    const qint64 before = model->payloadsRead();
    const int row = model->rowOfEvent(s_ids[97 * 44 + 13]);
    ASSERT_GE(row, 0);
    const CallsModel::Decoded failed = model->decoded(row);
    EXPECT_TRUE(failed.failed);
    EXPECT_FALSE(failed.result.isEmpty());
    EXPECT_GT(model->payloadsRead(), before);
    EXPECT_LE(model->payloadsRead() - before, 16) << "the row and a few after it, in one read";

    // Through every row of the table, page by page, painting each.
    panel->show();
    ASSERT_TRUE(waitFor([this] { return panel->isVisible(); }));
    QTableView *view = panel->view();
    QScrollBar *bar = view->verticalScrollBar();
    const qint64 beforeScroll = model->payloadsRead();
    int maxDecoded = 0;
    for (int value = 0;; value += bar->pageStep()) {
        bar->setValue(std::min(value, bar->maximum()));
        view->viewport()->repaint();
        maxDecoded = std::max(maxDecoded, model->decodedCount());
        if (value >= bar->maximum())
            break;
    }
    EXPECT_LE(maxDecoded, model->decodedLimit());
    EXPECT_GT(maxDecoded, 0);
    const qint64 read = model->payloadsRead() - beforeScroll;
    EXPECT_GE(read, kCalls - 300) << "every row was painted";
    EXPECT_LT(read, 2 * kCalls) << "rows are read ahead in batches, not again and again";
    // What the last page shows is decoded.
    const int last = view->rowAt(view->viewport()->height() - 1) >= 0 ? view->rowAt(view->viewport()->height() - 1)
                                                                     : kCalls - 1;
    const qint64 beforeLast = model->payloadsRead();
    model->decoded(panel->filterModel()->mapToSource(panel->filterModel()->index(last, 0)).row());
    EXPECT_EQ(model->payloadsRead(), beforeLast) << "a painted row is in the cache";
}

TEST_F(LargeCalls, TextFilterSearchesTheRecordsOnAWorkerAndTheNewestTextWins)
{
    loadAndWait();
    auto filterText = [this](const QString &text) {
        panel->filterEdit()->setText(text);
        panel->applyTextFilter();
    };
    filterText(QStringLiteral("0xFeedFace"));
    EXPECT_TRUE(panel->isBusy());
    EXPECT_TRUE(summary().contains(QStringLiteral("searching"))) << summary().toStdString();
    EXPECT_EQ(panel->filterModel()->rowCount(), kCalls) << "the table stays as it was meanwhile";
    ASSERT_TRUE(waitFor([this] { return !panel->isBusy(); }));
    EXPECT_EQ(shown(), (QList<qint64>{s_ids[kMarkedLower], s_ids[kMarkedUpper]})) << "a pointer in any case";

    // A newer text supersedes a search under way.
    filterText(QStringLiteral("out of memory"));
    filterText(QStringLiteral("cudaErrorMemoryAllocation"));
    ASSERT_TRUE(waitFor([this] { return !panel->isBusy(); }));
    EXPECT_EQ(panel->filterModel()->text(), QStringLiteral("cudaErrorMemoryAllocation"));
    EXPECT_EQ(shown(), idsWhere([](int i) { return failsAt(i) && QByteArrayView(kindOf(i)) == "cudart.call"; }));

    // A function name, combined with the other filters.
    filterText(QStringLiteral("culaunchkernel"));
    ASSERT_TRUE(waitFor([this] { return !panel->isBusy(); }));
    panel->failedOnlyBox()->setChecked(true);
    EXPECT_EQ(shown(), idsWhere([](int i) { return failsAt(i) && QByteArrayView(functionOf(i)) == "cuLaunchKernel"; }));
    EXPECT_EQ(summary(),
              QStringLiteral("%1 of %L2 calls").arg(shown().size()).arg(kCalls));
    filterText(QString());
    EXPECT_FALSE(panel->isBusy()) << "no search for no text";
}

TEST_F(LargeCalls, ResultSortKeysAreMadeOnAWorkerAndTheCallColumnDoesNotSort)
{
    loadAndWait();
    QHeaderView *header = panel->view()->horizontalHeader();
    panel->view()->sortByColumn(CallsModel::ResultColumn, Qt::AscendingOrder);
    EXPECT_EQ(shown().first(), s_ids[0]) << "time order until the keys come";
    EXPECT_TRUE(summary().contains(QStringLiteral("sorting by result"))) << summary().toStdString();
    ASSERT_TRUE(waitFor([this] { return !panel->isBusy(); }));
    const QList<qint64> byResult = shown();
    ASSERT_EQ(byResult.size(), kCalls);
    // CUDA_ERROR_OUT_OF_MEMORY < CUDA_SUCCESS < NVML_… < cudaError… < cudaSuccess < did not return
    EXPECT_EQ(byResult.first(), s_ids[13]);
    EXPECT_EQ(byResult.last(), s_ids[kCalls - 1]);
    const CallsModel *model = panel->model();
    QString previous;
    int previousRow = -1;
    for (qint64 id : byResult) {
        const int row = model->rowOfEvent(id);
        const QString result = model->decoded(row).result;
        ASSERT_LE(previous.compare(result), 0) << previous.toStdString() << " before " << result.toStdString();
        if (previous == result) {
            ASSERT_LT(previousRow, row) << "equal results keep the time order";
        }
        previous = result;
        previousRow = row;
    }

    panel->view()->sortByColumn(CallsModel::CallColumn, Qt::AscendingOrder);
    EXPECT_EQ(header->sortIndicatorSection(), int(CallsModel::ResultColumn)) << "back to the previous order";
    EXPECT_EQ(shown(), byResult);
    EXPECT_TRUE(summary().contains(QStringLiteral("no sorting by call"))) << summary().toStdString();
    panel->view()->sortByColumn(CallsModel::DurationColumn, Qt::DescendingOrder);
    EXPECT_FALSE(summary().contains(QStringLiteral("no sorting")));
    const int first = model->rowOfEvent(shown().first());
    EXPECT_EQ(model->callRow(first).durNs, 1000 + 4999) << "the longest call first";
}

} // namespace
