// The Events tab of a process with tens of thousands of events (docs/gui.md, "Large runs"): its
// rows are read in the background, details are decoded only for painted rows and kept in a
// bounded cache, an event asked for before the rows came is selected when they come, a later
// process supersedes a load under way, and output lines, F8 and the filter still lead to the
// events they should. The bundle is written here: one process of 50,000 calls, one of 100.
#include "guitest.h"

#include "bundle.h"
#include "eventsfiltermodel.h"
#include "eventsloader.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processpanel.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <gtest/gtest.h>

#include <memory>

using namespace initscope;
using namespace initscope::ui;

namespace
{

constexpr qint64 kMs = 1000000;
constexpr int kBigCalls = 50000;
constexpr int kSmallEvents = 100;
// Every 10,000th call, from the 5,000th, fails with "out of memory".
constexpr int kFailEvery = 10000;
constexpr int kFirstFailure = 5000;
// The call whose record alone holds a marker, for the filter.
constexpr int kMarked = 7777;
const char *const kFunctions[] = {"cuMemAlloc_v2", "cuLaunchKernel", "cuStreamSynchronize", "cuMemcpyHtoD_v2"};

qint64 callTime(int i)
{
    return 10 * kMs + qint64(i) * 10000;
}

const char *functionOf(int i)
{
    return (i % kFailEvery == kFirstFailure) ? "cuMemAlloc_v2" : kFunctions[i % 4];
}

QByteArray callPayload(int i)
{
    const bool failed = i % kFailEvery == kFirstFailure;
    const QByteArray function = functionOf(i);
    QByteArray payload = "{\"function\":\"" + function + "\",\"ok\":" + (failed ? "false" : "true")
                         + ",\"result\":{\"code\":" + (failed ? "2" : "0") + ",\"message\":\""
                         + (failed ? "out of memory" : "no error") + "\",\"name\":\""
                         + (failed ? "CUDA_ERROR_OUT_OF_MEMORY" : "CUDA_SUCCESS") + "\",\"ok\":"
                         + (failed ? "false" : "true") + "},\"summary\":\"" + function + " #"
                         + QByteArray::number(i) + "\"";
    if (i == kMarked)
        payload += ",\"tag\":\"Needle-Marker\"";
    return payload + "}";
}

class LargeProcessEvents : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        const QString path = s_dir->filePath(QStringLiteral("large.initscope"));
        BundleError error;
        std::unique_ptr<BundleWriter> w = BundleWriter::create(path, &error);
        ASSERT_NE(w, nullptr) << error.message.toStdString();
        initscope::Run run;
        run.name = QStringLiteral("large");
        run.command = {QStringLiteral("big")};
        run.durationNs = 2000 * kMs;
        s_run.id = w->addRun(run);
        run.id = s_run.id;
        s_run = run;

        Process big;
        big.runId = s_run.id;
        big.pid = 500;
        big.exe = QStringLiteral("/usr/bin/big");
        big.argv = {QStringLiteral("big")};
        big.endNs = 1900 * kMs;
        big.endReason = EndReason::Exited;
        big.id = w->addProcess(big);
        s_big = big;
        Process small = big;
        small.pid = 501;
        small.parentId = big.id;
        small.exe = QStringLiteral("/usr/bin/small");
        small.argv = {QStringLiteral("small")};
        small.id = w->addProcess(small);
        s_small = small;

        LibSearch search;
        search.processId = big.id;
        search.tid = 500;
        search.tsNs = 5 * kMs;
        search.name = QStringLiteral("libcuda.so.1");
        search.steps = {LibSearchStep{QStringLiteral("/usr/lib/libcuda.so.1"), 0x08, 1}};
        search.outcome = SearchOutcome::Found;
        search.resultPath = QStringLiteral("/usr/lib/libcuda.so.1");
        w->addLibSearch(search);
        LibLoad load;
        load.processId = big.id;
        load.tid = 500;
        load.tsNs = 6 * kMs;
        load.path = QStringLiteral("/usr/lib/libcuda.so.1");
        load.soname = QStringLiteral("libcuda.so.1");
        load.base = 0x7f0000000000;
        w->addLibLoad(load);

        s_callIds.resize(kBigCalls);
        for (int i = 0; i < kBigCalls; ++i) {
            Event e;
            e.processId = big.id;
            e.tid = 500 + i % 2;
            e.tsNs = callTime(i);
            e.durNs = 1000;
            e.kind = QStringLiteral("cuda.call");
            e.name = QLatin1String(functionOf(i));
            e.payload = callPayload(i);
            s_callIds[size_t(i)] = w->addEvent(e);
        }
        for (int i = 0; i < kSmallEvents; ++i) {
            Event e;
            e.processId = small.id;
            e.tid = 501;
            e.tsNs = 20 * kMs + i * kMs;
            e.kind = QStringLiteral("cuda.call");
            e.name = QStringLiteral("cuInit");
            e.payload = R"({"function":"cuInit","ok":true,"summary":"cuInit"})";
            const qint64 id = w->addEvent(e);
            if (i == 0)
                s_smallFirst = id;
        }
        // A line that quotes the failure of the call before it, and one that names a function.
        OutputChunk quote;
        quote.processId = big.id;
        quote.stream = Stream::Stderr;
        quote.tsNs = callTime(2 * kFailEvery + kFirstFailure + 5) + 1;
        quote.data = "allocator: OUT OF MEMORY while loading weights\n";
        w->addOutput(quote);
        OutputChunk named = quote;
        named.tsNs = callTime(40001) + 1;
        named.data = "cuStreamSynchronize took too long\n";
        w->addOutput(named);
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

        s_reader = BundleReader::open(path, &error).release();
        ASSERT_NE(s_reader, nullptr) << error.message.toStdString();
    }
    static void TearDownTestSuite()
    {
        EventsLoader::threadPool()->waitForDone();
        delete s_reader;
        s_reader = nullptr;
        delete s_dir;
        s_dir = nullptr;
    }

    void SetUp() override
    {
        panel = std::make_unique<ProcessPanel>();
        panel->resize(1200, 800);
        panel->show();
        panel->tabs()->setCurrentWidget(panel->eventsPanel());
        tester = std::make_unique<QAbstractItemModelTester>(
            model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    }
    void TearDown() override
    {
        tester.reset();
        panel.reset();
        // A load still under way must not answer the next test's panel.
        EventsLoader::threadPool()->waitForDone();
        QCoreApplication::processEvents();
    }

    EventsModel *model() const { return panel->eventsPanel()->model(); }
    QTableView *view() const { return panel->eventsPanel()->view(); }
    qint64 currentEventId() const
    {
        return view()->currentIndex().data(EventsModel::EventIdRole).toLongLong();
    }

    // Shows the big process and waits for its rows.
    void showBig()
    {
        QSignalSpy loaded(panel.get(), &ProcessPanel::eventsLoaded);
        panel->showProcess(*s_reader, s_run, s_big, nullptr);
        ASSERT_TRUE(loaded.wait(60000));
        ASSERT_EQ(loaded.count(), 1);
        EXPECT_EQ(loaded[0][0].toLongLong(), s_big.id);
    }

    static inline QTemporaryDir *s_dir = nullptr;
    static inline BundleReader *s_reader = nullptr;
    static inline initscope::Run s_run;
    static inline Process s_big;
    static inline Process s_small;
    static inline std::vector<qint64> s_callIds;
    static inline qint64 s_smallFirst = -1;

    std::unique_ptr<ProcessPanel> panel;
    std::unique_ptr<QAbstractItemModelTester> tester;
};

TEST_F(LargeProcessEvents, RowsLoadInTheBackgroundWhileTheTabSaysLoading)
{
    const qint64 total = s_reader->eventCount(s_run.id, s_big.id);
    ASSERT_EQ(total, kBigCalls + 2) << "the calls, a library search and a load";
    QSignalSpy loaded(panel.get(), &ProcessPanel::eventsLoaded);
    panel->showProcess(*s_reader, s_run, s_big, nullptr);
    EXPECT_TRUE(panel->isLoadingEvents());
    EXPECT_EQ(model()->rowCount(), 0);
    EXPECT_EQ(panel->tabs()->tabText(ProcessPanel::EventsTab),
              QStringLiteral("Events (loading %1…)").arg(QLocale().toString(total)));
    EXPECT_TRUE(panel->eventsPanel()->placeholder()->isVisible());
    EXPECT_EQ(panel->eventsPanel()->placeholder()->text(),
              QStringLiteral("Loading %1 events…").arg(QLocale().toString(total)));
    // The output is there at once.
    EXPECT_EQ(panel->outputPanel()->model()->rowCount(), 2);

    ASSERT_TRUE(loaded.wait(60000));
    EXPECT_FALSE(panel->isLoadingEvents());
    EXPECT_EQ(model()->rowCount(), total);
    EXPECT_EQ(panel->tabs()->tabText(ProcessPanel::EventsTab), QStringLiteral("Events (%1)").arg(total));
    EXPECT_TRUE(view()->isVisible());
    for (int r = 1; r < model()->rowCount(); ++r)
        ASSERT_LE(model()->eventRow(r - 1)->tsNs, model()->eventRow(r)->tsNs) << r;
    // The library rows still say what they found.
    EXPECT_EQ(model()->index(0, EventsModel::DetailsColumn).data().toString(),
              QStringLiteral("found /usr/lib/libcuda.so.1 (1 path tried)"));
    EXPECT_EQ(model()->index(1, EventsModel::DetailsColumn).data().toString(),
              QStringLiteral("soname=libcuda.so.1  base=0x7f0000000000"));
}

TEST_F(LargeProcessEvents, SmallProcessIsShownAtOnce)
{
    QSignalSpy loaded(panel.get(), &ProcessPanel::eventsLoaded);
    panel->showProcess(*s_reader, s_run, s_small, &s_big);
    EXPECT_FALSE(panel->isLoadingEvents());
    EXPECT_EQ(loaded.count(), 1);
    EXPECT_EQ(model()->rowCount(), kSmallEvents);
    EXPECT_EQ(panel->tabs()->tabText(ProcessPanel::EventsTab), QStringLiteral("Events (%1)").arg(kSmallEvents));
    EXPECT_TRUE(panel->showEvent(s_smallFirst));
    EXPECT_EQ(currentEventId(), s_smallFirst);
}

TEST_F(LargeProcessEvents, PaintedRowDecodesItsDetailsLazily)
{
    showBig();
    const int row = model()->rowOfEvent(s_callIds[30000]);
    ASSERT_GE(row, 0);
    // Nothing of the middle was read to show the first screen.
    EXPECT_FALSE(model()->hasCachedDetails(row));
    EXPECT_LT(model()->cachedDetailsCount(), EventsModel::kDetailsCacheRows / 2);

    view()->scrollTo(view()->model()->index(row, 0), QAbstractItemView::PositionAtCenter);
    view()->viewport()->repaint();
    EXPECT_TRUE(model()->hasCachedDetails(row)) << "painted";
    EXPECT_EQ(model()->index(row, EventsModel::DetailsColumn).data().toString(),
              QStringLiteral("%1 #30000").arg(QLatin1String(functionOf(30000))));
    EXPECT_EQ(model()->index(row, EventsModel::NameColumn).data().toString(), QLatin1String(functionOf(30000)));
    EXPECT_EQ(model()->index(row, EventsModel::KindColumn).data().toString(), QStringLiteral("cuda.call"));
    // The tooltip reads the whole record of its row.
    EXPECT_TRUE(model()->index(row, EventsModel::DetailsColumn).data(Qt::ToolTipRole).toString()
                    .contains(QStringLiteral("\"message\": \"no error\"")));
    // A failed call stands out without its payload being decoded.
    const int failed = model()->rowOfEvent(s_callIds[kFirstFailure]);
    EXPECT_TRUE(model()->index(failed, EventsModel::NameColumn).data(Qt::ForegroundRole).isValid());
    EXPECT_FALSE(model()->index(row, EventsModel::NameColumn).data(Qt::ForegroundRole).isValid());
}

TEST_F(LargeProcessEvents, DetailsCacheStaysBoundedAfterScrollingThroughEveryRow)
{
    showBig();
    const int rows = model()->rowCount();
    const int page = std::max(1, view()->viewport()->height() / view()->rowHeight(0));
    for (int r = 0; r < rows; r += page) {
        view()->scrollTo(view()->model()->index(r, 0), QAbstractItemView::PositionAtTop);
        view()->viewport()->repaint();
        ASSERT_LE(model()->cachedDetailsCount(), EventsModel::kDetailsCacheRows) << r;
    }
    EXPECT_TRUE(model()->hasCachedDetails(rows - 1)) << "the last page was painted";
    EXPECT_EQ(model()->cachedDetailsCount(), EventsModel::kDetailsCacheRows);
    // What fell out of the cache is read again when asked for.
    const int early = model()->rowOfEvent(s_callIds[10]);
    EXPECT_FALSE(model()->hasCachedDetails(early));
    EXPECT_EQ(model()->index(early, EventsModel::DetailsColumn).data().toString(),
              QStringLiteral("%1 #10").arg(QLatin1String(functionOf(10))));
}

TEST_F(LargeProcessEvents, ShowEventBeforeTheRowsArriveSelectsItOnceLoaded)
{
    QSignalSpy loaded(panel.get(), &ProcessPanel::eventsLoaded);
    panel->showProcess(*s_reader, s_run, s_big, nullptr);
    ASSERT_TRUE(panel->isLoadingEvents());
    EXPECT_FALSE(panel->showEvent(s_smallFirst)) << "another process's event";
    EXPECT_FALSE(panel->showEvent(999999999)) << "no such event";
    const qint64 wanted = s_callIds[42000];
    EXPECT_TRUE(panel->showEvent(wanted));
    EXPECT_EQ(panel->tabs()->currentWidget(), panel->eventsPanel());
    QSignalSpy selected(panel.get(), &ProcessPanel::eventSelected);
    ASSERT_TRUE(loaded.wait(60000));
    EXPECT_EQ(currentEventId(), wanted);
    ASSERT_EQ(selected.count(), 1);
    EXPECT_EQ(selected[0][1].toLongLong(), wanted);
    // In sight: the view scrolled to it.
    EXPECT_TRUE(view()->viewport()->rect().intersects(view()->visualRect(view()->currentIndex())));
}

TEST_F(LargeProcessEvents, ALaterProcessSupersedesALoadUnderWay)
{
    QSignalSpy loaded(panel.get(), &ProcessPanel::eventsLoaded);
    panel->showProcess(*s_reader, s_run, s_big, nullptr);
    ASSERT_TRUE(panel->showEvent(s_callIds[100]));
    panel->showProcess(*s_reader, s_run, s_small, &s_big);
    ASSERT_EQ(loaded.count(), 1);
    EXPECT_EQ(loaded[0][0].toLongLong(), s_small.id);
    // The big process's rows come back from the worker and are dropped.
    EventsLoader::threadPool()->waitForDone();
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    EXPECT_EQ(loaded.count(), 1);
    EXPECT_EQ(model()->rowCount(), kSmallEvents);
    EXPECT_EQ(panel->processId(), s_small.id);
    EXPECT_FALSE(view()->currentIndex().isValid()) << "the big process's event is not selected here";

    // And a big process shown again after another load finishes normally.
    showBig();
    EXPECT_EQ(model()->rowCount(), kBigCalls + 2);
}

TEST_F(LargeProcessEvents, OutputLineStillLeadsToTheEventItIsAbout)
{
    showBig();
    const OutputModel *output = panel->outputPanel()->model();
    ASSERT_EQ(output->rowCount(), 2);
    // Quotes the message of the failed call before it (no function named).
    ASSERT_TRUE(panel->showEventNearLine(output->index(0, 0)));
    EXPECT_EQ(panel->tabs()->currentWidget(), panel->eventsPanel());
    EXPECT_EQ(currentEventId(), s_callIds[2 * kFailEvery + kFirstFailure]);
    // Names a function: its last call before the line.
    ASSERT_TRUE(panel->showEventNearLine(output->index(1, 0)));
    int last = 40001;
    while (qstrcmp(functionOf(last), "cuStreamSynchronize") != 0)
        --last;
    EXPECT_EQ(currentEventId(), s_callIds[size_t(last)]);
}

TEST_F(LargeProcessEvents, F8WalksFailedCallsFromTheirStatus)
{
    showBig();
    panel->tabs()->setCurrentWidget(panel->eventsPanel());
    ASSERT_TRUE(panel->goToError(true));
    EXPECT_EQ(currentEventId(), s_callIds[kFirstFailure]);
    ASSERT_TRUE(panel->goToError(true));
    EXPECT_EQ(currentEventId(), s_callIds[kFailEvery + kFirstFailure]);
    ASSERT_TRUE(panel->goToError(false));
    EXPECT_EQ(currentEventId(), s_callIds[kFirstFailure]);
    // Ctrl+J: the next call of the same function.
    ASSERT_TRUE(panel->goToSameFunction(true));
    const int next = kFirstFailure + 4 - kFirstFailure % 4; // the next i % 4 == 0: cuMemAlloc_v2
    EXPECT_EQ(currentEventId(), s_callIds[size_t(next)]);
}

TEST_F(LargeProcessEvents, FilterFindsAnEventByItsRecordOffTheGuiThread)
{
    showBig();
    EventsPanel *events = panel->eventsPanel();
    events->filterEdit()->setText(QStringLiteral("needle-marker"));
    // Kinds and names are matched at once: no row has it there.
    EXPECT_EQ(events->filterModel()->rowCount(), 0);
    ASSERT_TRUE(QTest::qWaitFor([events] { return events->filterModel()->rowCount() == 1; }, 60000));
    EXPECT_EQ(events->filterModel()->index(0, 0).data(EventsModel::EventIdRole).toLongLong(), s_callIds[kMarked]);
    // A name matches without reading a record.
    events->filterEdit()->setText(QStringLiteral("cuLaunchKernel"));
    EXPECT_EQ(events->filterModel()->rowCount(), kBigCalls / 4);
    events->filterEdit()->clear();
    EXPECT_EQ(events->filterModel()->rowCount(), kBigCalls + 2);
}

} // namespace
