// The run timeline. Logic first, without a display: which items a time window shows, how
// everything in one pixel column becomes one mark (checked against a plain re-implementation
// on random data), lanes and nesting, windows, the ruler. Then the widget on the bundle
// `initscope demo` records (ctest runs that part under xvfb-run): lanes, the failed export-table
// request marked, hover text, selection both ways, keys and wheel, the Timeline tab of the run
// view; screenshots go to tests/artifacts/timeline_*.png.
#include "guitest.h"

#include "bundle.h"
#include "processpanel.h"
#include "runview.h"
#include "timelineindex.h"
#include "timelineplot.h"
#include "timelinewidget.h"

#include <qcustomplot.h>

#include <QDir>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPixmap>
#include <QRandomGenerator>
#include <QScreen>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <QWheelEvent>

#include <gtest/gtest.h>

#include <cmath>

using namespace initscope;
using namespace initscope::ui;

namespace
{

TimelineItem item(qint64 id, qint64 start, qint64 end, TimelineFamily family = TimelineFamily::Driver,
                  quint8 flags = 0)
{
    TimelineItem i;
    i.id = id;
    i.startNs = start;
    i.endNs = end;
    i.family = family;
    i.flags = flags;
    return i;
}

// The same merge rule as aggregate(), one item at a time: an item joins the mark when it
// starts in or before the pixel column where the mark ends.
QList<TimelineBucket> aggregateNaively(const TimelineTrack &track, qint64 from, qint64 to, double nsPerPixel)
{
    QList<TimelineBucket> out;
    auto column = [&](qint64 t) { return std::floor((double(t) - double(from)) / nsPerPixel); };
    for (qsizetype i = 0; i < track.size(); ++i) {
        const TimelineItem &it = track.at(i);
        if (it.endNs < from && (out.isEmpty() || out.last().endNs < from))
            continue; // ended before the window, and nothing visible to merge with
        if (it.startNs > to)
            break;
        if (!out.isEmpty() && column(it.startNs) <= column(out.last().endNs)) {
            TimelineBucket &b = out.last();
            b.endNs = std::max(b.endNs, it.endNs);
            ++b.count;
            b.failed += it.failed() ? 1 : 0;
            continue;
        }
        TimelineBucket b;
        b.startNs = it.startNs;
        b.endNs = it.endNs;
        b.first = i;
        b.count = 1;
        b.failed = it.failed() ? 1 : 0;
        b.family = it.family;
        out.append(b);
    }
    return out;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Visible range and level of detail

TEST(TimelineLod, VisibleRangeKeepsALongCallThatStartedBeforeTheWindow)
{
    const TimelineTrack track({item(1, 0, 1000), item(2, 100, 150), item(3, 400, 450), item(4, 2000, 2100),
                               item(5, 5000, 5001)});
    // 1 started before the window and is still running; 2 lies between it and the window but
    // rides along; 5 starts after the window.
    const auto [first, last] = track.visibleRange(500, 2500);
    EXPECT_EQ(first, 0);
    EXPECT_EQ(last, 4);
    const auto [first2, last2] = track.visibleRange(1500, 2500);
    EXPECT_EQ(first2, 3) << "everything before ended before the window";
    EXPECT_EQ(last2, 4);
    const auto [first3, last3] = track.visibleRange(6000, 7000);
    EXPECT_EQ(first3, last3) << "nothing after the last item";
}

TEST(TimelineLod, ItemsApartByMoreThanAPixelStaySeparate)
{
    const TimelineTrack track({item(1, 0, 10), item(2, 30, 40), item(3, 60, 70)});
    const QList<TimelineBucket> marks = aggregate(track, 0, 100, 1.0); // 1 ns per pixel
    ASSERT_EQ(marks.size(), 3);
    for (const TimelineBucket &m : marks)
        EXPECT_EQ(m.count, 1);
    EXPECT_EQ(marks[1].first, 1);
    EXPECT_EQ(marks[1].startNs, 30);
    EXPECT_EQ(marks[1].endNs, 40);
}

TEST(TimelineLod, EverythingInOnePixelBecomesOneMarkThatKeepsItsFailures)
{
    const TimelineTrack track({item(1, 0, 10), item(2, 30, 40, TimelineFamily::Driver, TimelineFailed),
                               item(3, 60, 70), item(4, 5000, 5010)});
    // 100 ns per pixel: the first three share column 0.
    const QList<TimelineBucket> marks = aggregate(track, 0, 10'000, 100.0);
    ASSERT_EQ(marks.size(), 2);
    EXPECT_EQ(marks[0].count, 3);
    EXPECT_EQ(marks[0].failed, 1);
    EXPECT_EQ(marks[0].startNs, 0);
    EXPECT_EQ(marks[0].endNs, 70);
    EXPECT_EQ(marks[1].count, 1);
    EXPECT_EQ(marks[1].failed, 0);
}

TEST(TimelineLod, ALongCallSwallowsTheItemsThatStartUnderIt)
{
    // Items that overlap the long one merge with it at any zoom: they share its pixels.
    const TimelineTrack track({item(1, 0, 10'000), item(2, 2000, 2100), item(3, 9000, 9100), item(4, 20'000, 20'100)});
    const QList<TimelineBucket> marks = aggregate(track, 0, 30'000, 10.0);
    ASSERT_EQ(marks.size(), 2);
    EXPECT_EQ(marks[0].count, 3);
    EXPECT_EQ(marks[0].endNs, 10'000);
    EXPECT_EQ(marks[1].first, 3);
}

TEST(TimelineLod, AMarkIsColouredByItsMostFrequentFamily)
{
    const TimelineTrack track({item(1, 0, 1, TimelineFamily::Runtime), item(2, 2, 3, TimelineFamily::Driver),
                               item(3, 4, 5, TimelineFamily::Driver), item(4, 1000, 1001, TimelineFamily::Nvml)});
    const QList<TimelineBucket> marks = aggregate(track, 0, 2000, 100.0);
    ASSERT_EQ(marks.size(), 2);
    EXPECT_EQ(marks[0].family, TimelineFamily::Driver);
    EXPECT_EQ(marks[1].family, TimelineFamily::Nvml);
    EXPECT_EQ(track.dominantFamily(0, 1), TimelineFamily::Runtime);
}

TEST(TimelineLod, AMillionItemsNeverGiveMoreMarksThanPixels)
{
    std::vector<TimelineItem> items;
    QRandomGenerator random(7);
    qint64 t = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        t += random.bounded(2000);
        items.push_back(item(i, t, t + random.bounded(3000), TimelineFamily::Driver,
                             random.bounded(500) == 0 ? TimelineFailed : 0));
    }
    const TimelineTrack track(std::move(items));
    const int width = 1600;
    const double nsPerPixel = double(track.lastNs()) / width;
    const QList<TimelineBucket> marks = aggregate(track, 0, track.lastNs(), nsPerPixel);
    EXPECT_LE(marks.size(), width + 1);
    qsizetype count = 0, failed = 0;
    double lastColumn = -1;
    for (const TimelineBucket &m : marks) {
        count += m.count;
        failed += m.failed;
        const double startColumn = std::floor(double(m.startNs) / nsPerPixel);
        EXPECT_GT(startColumn, lastColumn) << "two marks share a pixel column";
        lastColumn = std::floor(double(m.endNs) / nsPerPixel);
    }
    EXPECT_EQ(count, track.size()) << "every item is in exactly one mark";
    EXPECT_EQ(failed, track.failedIn(0, track.size()));
}

TEST(TimelineLod, AgreesWithTheOneByOneMergeOnRandomTracksAndWindows)
{
    QRandomGenerator random(11);
    for (int round = 0; round < 200; ++round) {
        std::vector<TimelineItem> items;
        const int n = 1 + int(random.bounded(400));
        for (int i = 0; i < n; ++i) {
            const qint64 start = random.bounded(100'000);
            const qint64 length = random.bounded(10) == 0 ? random.bounded(20'000) : random.bounded(300);
            items.push_back(item(i, start, start + length,
                                 random.bounded(2) ? TimelineFamily::Driver : TimelineFamily::Runtime,
                                 random.bounded(20) == 0 ? TimelineFailed : 0));
        }
        const TimelineTrack track(std::move(items));
        const qint64 from = random.bounded(90'000);
        const qint64 to = from + 1 + random.bounded(60'000);
        const double nsPerPixel = 0.5 + random.bounded(200.0);
        QList<TimelineBucket> expected = aggregateNaively(track, from, to, nsPerPixel);
        QList<TimelineBucket> actual = aggregate(track, from, to, nsPerPixel);
        // The family of a mark of one kind is the same either way; of a mixed one it is
        // checked above.
        for (auto *list : {&expected, &actual})
            for (TimelineBucket &b : *list)
                b.family = TimelineFamily::Other;
        ASSERT_EQ(actual, expected) << "round " << round << " window " << from << "–" << to << " at "
                                    << nsPerPixel << " ns/px";
    }
}

TEST(TimelineLod, AnEmptyTrackOrAnEmptyWindowGivesNoMarks)
{
    EXPECT_TRUE(aggregate(TimelineTrack(), 0, 100, 1.0).isEmpty());
    const TimelineTrack track({item(1, 10, 20)});
    EXPECT_TRUE(aggregate(track, 100, 50, 1.0).isEmpty());
    EXPECT_TRUE(aggregate(track, 0, 100, 0.0).isEmpty());
    EXPECT_TRUE(aggregate(track, 30, 100, 1.0).isEmpty());
}

// ---------------------------------------------------------------------------------------------
// Lanes

TEST(TimelineIndexBuild, GroupsThreadsUnderTheirProcessAndStacksNestedCalls)
{
    TimelineProcessInfo server{10, 100, QStringLiteral("ollama (100)"), QStringLiteral("serve"), 0, 5000, false, false};
    TimelineProcessInfo runner{11, 200, QStringLiteral("ollama (200)"), QStringLiteral("runner"), 50, 4000, true, true};
    TimelineIndexBuilder builder(1, {server, runner});
    auto row = [](qint64 id, qint64 process, qint64 tid, qint64 ts, qint64 dur, TimelineFamily family,
                  quint8 flags = 0) {
        TimelineRow r;
        r.flags = flags;
        r.id = id;
        r.processId = process;
        r.tid = tid;
        r.tsNs = ts;
        r.durNs = dur;
        r.family = family;
        return r;
    };
    builder.add(row(1, 11, 201, 100, 1000, TimelineFamily::Runtime)); // a worker thread first
    builder.add(row(2, 11, 201, 200, 100, TimelineFamily::Driver));   // inside 1
    builder.add(row(3, 11, 201, 400, 100, TimelineFamily::Driver, TimelineFailed)); // inside 1
    builder.add(row(4, 11, 200, 150, 10, TimelineFamily::Nvml));      // the main thread
    builder.add(row(5, 11, 200, 300, 0, TimelineFamily::Loader));     // an instant on its thread
    builder.add(row(6, 11, 0, 3000, 0, TimelineFamily::Output, TimelineFromOutput)); // the process lane
    builder.add(row(7, 10, 100, 20, 0, TimelineFamily::Process));     // process.start
    builder.add(row(8, -1, 0, 10, 0, TimelineFamily::Other));         // an event of the whole run
    const TimelineIndex index = builder.finish();

    QStringList lanes;
    for (const TimelineLane &lane : index.lanes)
        lanes.append(lane.title);
    EXPECT_EQ(lanes, (QStringList{QStringLiteral("run"), QStringLiteral("ollama (100)"), QStringLiteral("ollama (200)"),
                                  QStringLiteral("main thread 200"), QStringLiteral("thread 201")}));
    EXPECT_EQ(index.itemCount, 8);
    const TimelineLane &worker = index.lanes.at(4);
    ASSERT_EQ(worker.rows.size(), 2) << "the driver calls inside the runtime call go one row down";
    EXPECT_EQ(worker.rows.at(0).size(), 1);
    EXPECT_EQ(worker.rows.at(1).size(), 2);
    EXPECT_TRUE(worker.rows.at(1).at(1).failed());
    EXPECT_EQ(worker.rows.at(0).at(0).endNs, 1100);
    const TimelineLane &main = index.lanes.at(3);
    EXPECT_EQ(main.rows.size(), 1);
    EXPECT_EQ(main.instants.size(), 1);
    EXPECT_EQ(index.lanes.at(2).instants.size(), 1);
    EXPECT_TRUE(index.lanes.at(2).crashed);
    EXPECT_EQ(index.lanes.at(0).instants.size(), 1);

    const TimelineItemRef ref = findItem(index, 3);
    EXPECT_EQ(ref.lane, 4);
    EXPECT_EQ(ref.row, 1);
    EXPECT_EQ(ref.index, 1);
    EXPECT_FALSE(findItem(index, 6).isValid()) << "output ids are their own";
    EXPECT_FALSE(findItem(index, 99).isValid());
    EXPECT_EQ(index.firstNs(), 0);
    EXPECT_EQ(index.lastNs(), 5000);
}

TEST(TimelineIndexBuild, KindsMapToFamilies)
{
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("cuda.call")), TimelineFamily::Driver);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("cudart.call")), TimelineFamily::Runtime);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("nvml.call")), TimelineFamily::Nvml);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("lib.search")), TimelineFamily::Loader);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("loader.preinit")), TimelineFamily::Loader);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("process.exit")), TimelineFamily::Process);
    EXPECT_EQ(timelineFamilyOfKind(QStringLiteral("symbol.bind")), TimelineFamily::Other);
}

TEST(TimelineLayout, FindsLanesAndRowsByHeight)
{
    TimelineIndexBuilder builder(1, {TimelineProcessInfo{1, 5, QStringLiteral("p"), {}, 0, 10, false, false}});
    TimelineRow r;
    r.id = 1;
    r.processId = 1;
    r.tid = 5;
    r.durNs = 10;
    r.family = TimelineFamily::Driver;
    builder.add(r);
    const TimelineIndex index = builder.finish();
    TimelineLayout layout;
    layout.setIndex(&index);
    ASSERT_EQ(layout.laneCount(), 2);
    const TimelineLaneGeometry &thread = layout.lane(1);
    EXPECT_EQ(thread.top, TimelineLayout::kProcessHeight + TimelineLayout::kGap);
    EXPECT_EQ(layout.laneAt(5), 0);
    EXPECT_EQ(layout.laneAt(TimelineLayout::kProcessHeight + 1), -1) << "the gap between lanes";
    EXPECT_EQ(layout.laneAt(thread.top + thread.rowsTop + 3), 1);
    EXPECT_EQ(layout.trackAt(1, thread.top + thread.rowsTop + 3), 0);
    EXPECT_EQ(layout.trackAt(1, thread.top + thread.instantsTop + 1), -1);
    EXPECT_EQ(layout.laneAt(layout.contentHeight() + 10), -1);
}

TEST(TimelineLayout, CollectedFilesComeLastUnderTheirGroupWithOneStripOfLines)
{
    TimelineIndexBuilder builder(1, {TimelineProcessInfo{1, 5, QStringLiteral("p"), {}, 0, 10, false, false}});
    const int laneOfLog = builder.addCollectedLane(QStringLiteral("shim.log"), QStringLiteral("/tmp/shim.log"));
    TimelineRow line;
    line.id = 7;
    line.tsNs = 4;
    line.nameId = 3;
    line.family = TimelineFamily::Output;
    line.flags = TimelineFromCollected;
    builder.addToLane(laneOfLog, line);
    TimelineRow r;
    r.id = 1;
    r.processId = 1;
    r.tid = 5;
    r.durNs = 10;
    r.family = TimelineFamily::Driver;
    builder.add(r); // a thread lane made after the collected lane still goes with its process
    const TimelineIndex index = builder.finish();
    ASSERT_EQ(index.lanes.size(), 4);
    EXPECT_EQ(index.lanes.at(1).kind, TimelineLane::Kind::Thread);
    EXPECT_EQ(index.lanes.at(2).kind, TimelineLane::Kind::CollectedGroup);
    EXPECT_EQ(index.lanes.at(3).kind, TimelineLane::Kind::Collected);
    ASSERT_EQ(index.lanes.at(3).instants.size(), 1);
    EXPECT_EQ(index.lanes.at(3).instants.at(0).nameId, 3u);

    TimelineLayout layout;
    layout.setIndex(&index);
    ASSERT_EQ(layout.laneCount(), 4);
    EXPECT_EQ(layout.lane(2).height, TimelineLayout::kProcessHeight);
    const TimelineLaneGeometry &log = layout.lane(3);
    EXPECT_EQ(log.height, TimelineLayout::kRowHeight);
    EXPECT_EQ(log.rowCount, 0);
    EXPECT_EQ(layout.trackAt(3, log.top + log.instantsTop + 1), -1);
    EXPECT_EQ(layout.trackAt(3, log.top + log.height - 1), -2) << "no row of calls";
}

// ---------------------------------------------------------------------------------------------
// Windows and the ruler

TEST(TimelineWindow, FitShowsTheWholeRunWithAMargin)
{
    const TimeWindow w = fitWindow(1000, 1'001'000);
    EXPECT_LT(w.fromNs, 0) << "the run's start, t = 0, is in view";
    EXPECT_GT(w.toNs, 1'001'000);
    EXPECT_LT(w.width(), 1'001'000 * 1.1);
}

TEST(TimelineWindow, ClampKeepsAMinimumWidthAndStaysNearTheRun)
{
    const TimeWindow all = fitWindow(0, 1'000'000);
    EXPECT_EQ(clampWindow({500, 510}, 0, 1'000'000).width(), kTimelineMinWindowNs);
    EXPECT_NEAR((clampWindow({500, 510}, 0, 1'000'000).fromNs + clampWindow({500, 510}, 0, 1'000'000).toNs) / 2,
                505, 1e-6)
        << "grown around its centre";
    EXPECT_EQ(clampWindow({-5e9, 5e9}, 0, 1'000'000), all) << "no wider than the run";
    const TimeWindow late = clampWindow({2'000'000, 2'100'000}, 0, 1'000'000);
    EXPECT_DOUBLE_EQ(late.toNs, all.toNs) << "pushed back to the end";
    EXPECT_DOUBLE_EQ(late.width(), 100'000);
}

TEST(TimelineWindow, ZoomKeepsTheAnchorInPlace)
{
    const TimeWindow w{0, 1000};
    const TimeWindow in = zoomWindow(w, 0.5, 200);
    EXPECT_DOUBLE_EQ(in.fromNs, 100);
    EXPECT_DOUBLE_EQ(in.toNs, 600);
    EXPECT_DOUBLE_EQ((200 - in.fromNs) / in.width(), (200 - w.fromNs) / w.width());
    const TimeWindow panned = panWindow(w, 0.25);
    EXPECT_DOUBLE_EQ(panned.fromNs, 250);
    EXPECT_DOUBLE_EQ(panned.toNs, 1250);
}

TEST(TimelineWindow, ShowingAnItemMovesOnlyWhenItIsOutOfViewOrTooSmall)
{
    const TimeWindow w{0, 1'000'000};
    // 100 µs of 1 ms on 1000 px: 100 px, in view.
    EXPECT_EQ(windowShowing(w, 200'000, 300'000, 1000), w);
    // Out of view at a good size: centred on it, same zoom.
    const TimeWindow moved = windowShowing(w, 5'000'000, 5'100'000, 1000);
    EXPECT_DOUBLE_EQ(moved.width(), w.width());
    EXPECT_DOUBLE_EQ((moved.fromNs + moved.toNs) / 2, 5'050'000);
    // 50 ns on a 1 ms window is far below a pixel: zoomed in around it.
    const TimeWindow zoomed = windowShowing(w, 400'000, 400'050, 1000);
    EXPECT_LT(zoomed.width(), 10'000);
    EXPECT_LE(zoomed.fromNs, 400'000);
    EXPECT_GE(zoomed.toNs, 400'050);
}

TEST(TimelineRuler, TickStepsAreOneTwoOrFiveTimesAPowerOfTen)
{
    EXPECT_DOUBLE_EQ(timelineTickStep(1e9, 10), 1e8);
    EXPECT_DOUBLE_EQ(timelineTickStep(2.2e6, 10), 2e5);
    EXPECT_DOUBLE_EQ(timelineTickStep(4.4e3, 10), 500);
    EXPECT_DOUBLE_EQ(timelineTickStep(9e3, 10), 1000);
    EXPECT_DOUBLE_EQ(timelineTickStep(3, 10), 1) << "never below a nanosecond";
}

TEST(TimelineRuler, LabelsUseTheUnitOfTheValueAndTheDecimalsOfTheStep)
{
    EXPECT_EQ(formatTimelineTick(0, 1e6), QStringLiteral("0"));
    EXPECT_EQ(formatTimelineTick(250, 50), QStringLiteral("250 ns"));
    EXPECT_EQ(formatTimelineTick(500e3, 100e3), QStringLiteral("500 µs"));
    EXPECT_EQ(formatTimelineTick(1.5e6, 5e5), QStringLiteral("1.5 ms"));
    EXPECT_EQ(formatTimelineTick(3e6, 5e5), QStringLiteral("3 ms"));
    EXPECT_EQ(formatTimelineTick(12e9, 2e9), QStringLiteral("12 s"));
    EXPECT_EQ(formatTimelineTick(2e9 + 2e3, 2e3), QStringLiteral("2.000002 s"))
        << "deep in a long run the seconds keep their digits";
    EXPECT_EQ(formatTimelineTick(-2e6, 1e6), QStringLiteral("-2 ms"));
}

// ---------------------------------------------------------------------------------------------
// The widget on the demo bundle

namespace
{

const QString kDemo = QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE);

void saveShot(QWidget *widget, const QString &name)
{
    QTest::qWait(50);
    QPixmap shot;
    if (QGuiApplication::platformName() == QLatin1String("xcb") && widget->isWindow())
        shot = widget->screen()->grabWindow(widget->winId());
    if (shot.isNull())
        shot = widget->grab();
    ASSERT_FALSE(shot.isNull());
    const QString path = QDir(initscope::testing::artifactsDir()).filePath(name);
    EXPECT_TRUE(shot.save(path)) << path.toStdString();
}

class TimelineDemo : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }

    void SetUp() override
    {
        BundleError error;
        m_reader = BundleReader::open(kDemo, &error);
        ASSERT_TRUE(m_reader) << error.message.toStdString();
        m_run = m_reader->runs().first();
        // The request for the runtime's private interface, refused: the demo's root cause.
        for (const Event &e : m_reader->eventsOfKind(m_run.id, -1, QStringLiteral("cuda.call"))) {
            const QJsonObject p = QJsonDocument::fromJson(e.payload).object();
            if (e.name == QLatin1String("cuGetExportTable") && !p.value(QLatin1String("ok")).toBool(true)) {
                m_refused = e;
                break;
            }
        }
        ASSERT_GE(m_refused.id, 0) << "the demo bundle has a refused cuGetExportTable";
        m_widget = std::make_unique<TimelineWidget>();
        m_widget->resize(1400, 700);
        m_widget->show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(m_widget.get()));
        QSignalSpy loaded(m_widget.get(), &TimelineWidget::loaded);
        m_widget->setRun(m_reader.get(), m_run.id);
        ASSERT_TRUE(loaded.wait(30'000));
        ASSERT_TRUE(m_widget->index()) << m_widget->errorText().toStdString();
        m_widget->redrawNow();
    }

    std::unique_ptr<BundleReader> m_reader;
    initscope::Run m_run;
    Event m_refused;
    std::unique_ptr<TimelineWidget> m_widget;
};

} // namespace

TEST_F(TimelineDemo, ShowsTheProbeWithItsThreadAndEveryEvent)
{
    const TimelineIndex &index = *m_widget->index();
    ASSERT_GE(index.lanes.size(), 2);
    EXPECT_EQ(index.lanes.at(0).kind, TimelineLane::Kind::Process);
    EXPECT_TRUE(index.lanes.at(0).title.contains(QLatin1String("initscope-probe")))
        << index.lanes.at(0).title.toStdString();
    EXPECT_TRUE(index.lanes.at(0).failedEnd) << "the probe exits 1";
    EXPECT_EQ(index.lanes.at(1).kind, TimelineLane::Kind::Thread);
    EXPECT_EQ(m_widget->loadStats().eventRows, m_reader->eventCount(m_run.id));
    qsizetype outputs = 0;
    for (const Process &p : m_reader->processes(m_run.id))
        outputs += m_reader->output(p.id).size();
    EXPECT_EQ(index.itemCount, m_reader->eventCount(m_run.id) + outputs);
    const TimelineItemRef ref = findItem(index, m_refused.id);
    ASSERT_TRUE(ref.isValid());
    const TimelineItem &refused = index.lanes.at(ref.lane).rows.at(ref.row).at(ref.index);
    EXPECT_TRUE(refused.failed()) << "failure read without loading payloads into the index";
    EXPECT_EQ(refused.family, TimelineFamily::Driver);
    EXPECT_EQ(refused.endNs - refused.startNs, m_refused.durNs);
    EXPECT_GT(m_widget->lanes()->lastMarkCount(), 0);
    saveShot(m_widget.get(), QStringLiteral("timeline_demo.png"));
}

TEST_F(TimelineDemo, SelectingAnEventBringsItIntoViewAndTellsWhatItWas)
{
    QSignalSpy selected(m_widget.get(), &TimelineWidget::eventSelected);
    m_widget->selectEvent(m_refused.id);
    m_widget->redrawNow();
    EXPECT_EQ(m_widget->selectedEventId(), m_refused.id);
    EXPECT_TRUE(selected.isEmpty()) << "selection from outside is not echoed back";
    const TimeWindow w = m_widget->window();
    EXPECT_LE(w.fromNs, double(m_refused.tsNs));
    EXPECT_GE(w.toNs, double(m_refused.tsNs + m_refused.durNs));
    const std::optional<QPoint> at = m_widget->pointOfEvent(m_refused.id);
    ASSERT_TRUE(at.has_value());
    const QString tip = m_widget->toolTipAt(*at);
    EXPECT_TRUE(tip.contains(QLatin1String("cuGetExportTable"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QLatin1String("CUDA_ERROR_NOT_SUPPORTED"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QLatin1String("failed"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QLatin1String("took"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QLatin1String("arguments"))) << tip.toStdString();
    saveShot(m_widget.get(), QStringLiteral("timeline_demo_selected.png"));
}

TEST_F(TimelineDemo, ClickSelectsAndDoubleClickActivatesWithoutSelectingTwice)
{
    m_widget->selectEvent(m_refused.id);
    m_widget->redrawNow();
    const std::optional<QPoint> at = m_widget->pointOfEvent(m_refused.id);
    ASSERT_TRUE(at.has_value());
    // Click away first, so that the click below is what selects it.
    QTest::mouseClick(m_widget->plot(), Qt::LeftButton, {}, QPoint(m_widget->plot()->width() - 5, m_widget->plot()->height() - 5));
    EXPECT_EQ(m_widget->selectedEventId(), -1);
    QSignalSpy selected(m_widget.get(), &TimelineWidget::eventSelected);
    QTest::mouseClick(m_widget->plot(), Qt::LeftButton, {}, *at);
    ASSERT_EQ(selected.size(), 1);
    EXPECT_EQ(selected.at(0).at(0).toLongLong(), m_refused.processId);
    EXPECT_EQ(selected.at(0).at(1).toLongLong(), m_refused.id);
    QSignalSpy activated(m_widget.get(), &TimelineWidget::eventActivated);
    selected.clear();
    QTest::mouseDClick(m_widget->plot(), Qt::LeftButton, {}, *at);
    ASSERT_EQ(activated.size(), 1);
    EXPECT_EQ(selected.size(), 0) << "a double-click on the selected event does not select it again";
    EXPECT_EQ(activated.at(0).at(1).toLongLong(), m_refused.id);
    activated.clear();
    m_widget->plot()->setFocus();
    QTest::keyClick(m_widget->plot(), Qt::Key_Return);
    EXPECT_EQ(activated.size(), 1) << "Enter activates the selection";
}

TEST_F(TimelineDemo, KeysZoomPanAndFit)
{
    QCustomPlot *plot = m_widget->plot();
    plot->setFocus();
    const TimeWindow all = m_widget->window();
    QTest::keyClick(plot, Qt::Key_Plus);
    EXPECT_NEAR(m_widget->window().width(), all.width() / 2, all.width() * 1e-9);
    const TimeWindow zoomed = m_widget->window();
    QTest::keyClick(plot, Qt::Key_Right);
    EXPECT_NEAR(m_widget->window().fromNs, zoomed.fromNs + zoomed.width() * 0.1, zoomed.width() * 1e-9);
    QTest::keyClick(plot, Qt::Key_Left);
    QTest::keyClick(plot, Qt::Key_Left);
    EXPECT_LT(m_widget->window().fromNs, zoomed.fromNs);
    QTest::keyClick(plot, Qt::Key_Minus);
    EXPECT_GT(m_widget->window().width(), zoomed.width());
    for (int i = 0; i < 40; ++i)
        QTest::keyClick(plot, Qt::Key_Plus);
    EXPECT_DOUBLE_EQ(m_widget->window().width(), kTimelineMinWindowNs) << "zoom stops at the minimum";
    QTest::keyClick(plot, Qt::Key_Home);
    EXPECT_EQ(m_widget->window(), all);
}

TEST_F(TimelineDemo, WheelZoomsAroundTheCursor)
{
    QCustomPlot *plot = m_widget->plot();
    const TimeWindow before = m_widget->window();
    const QPointF cursor(plot->axisRect()->left() + plot->axisRect()->width() * 0.75, plot->axisRect()->center().y());
    const double under = plot->xAxis2->pixelToCoord(cursor.x());
    QWheelEvent wheel(cursor, plot->mapToGlobal(cursor), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(plot, &wheel);
    EXPECT_LT(m_widget->window().width(), before.width());
    EXPECT_NEAR(plot->xAxis2->pixelToCoord(cursor.x()), under, before.width() * 1e-6)
        << "the time under the cursor stays under it";
}

TEST_F(TimelineDemo, ZoomedIntoTheRefusedRequestShowsCallsByName)
{
    m_widget->selectEvent(m_refused.id);
    // About 30 µs around it: the calls are wide enough to carry their names.
    const double middle = double(m_refused.tsNs) + m_refused.durNs / 2.0;
    m_widget->setWindow({middle - 15'000, middle + 15'000});
    m_widget->redrawNow();
    const std::optional<QPoint> at = m_widget->pointOfEvent(m_refused.id);
    ASSERT_TRUE(at.has_value());
    const TimelineLanes::Hit hit = m_widget->lanes()->hitAt(*at);
    ASSERT_TRUE(hit.isValid());
    EXPECT_EQ(hit.bucket.count, 1) << "zoomed in, the refused call is a mark of its own";
    saveShot(m_widget.get(), QStringLiteral("timeline_demo_zoomed.png"));
}

TEST_F(TimelineDemo, TheRunViewHasATimelineTabThatFollowsTheOtherViews)
{
    RunView view;
    view.resize(1400, 900);
    view.show();
    view.setRun(m_reader.get(), m_run);
    QTabWidget *tabs = view.runTabs();
    int timelineTab = -1;
    for (int i = 0; i < tabs->count(); ++i)
        if (tabs->tabText(i) == QLatin1String("Timeline"))
            timelineTab = i;
    ASSERT_GE(timelineTab, 0);
    auto *timeline = qobject_cast<TimelineWidget *>(tabs->widget(timelineTab));
    ASSERT_TRUE(timeline);
    QSignalSpy loaded(timeline, &TimelineWidget::loaded);
    tabs->setCurrentIndex(timelineTab);
    ASSERT_TRUE(loaded.wait(30'000)) << "the timeline is read when its tab is first shown";
    // Another view selects the call: the timeline follows.
    view.selectEvent(m_refused.processId, m_refused.id);
    EXPECT_EQ(timeline->selectedEventId(), m_refused.id);
    // The timeline selects: the process views follow.
    QSignalSpy viewSelected(&view, &RunView::eventSelected);
    timeline->redrawNow();
    const std::optional<QPoint> at = timeline->pointOfEvent(m_refused.id);
    ASSERT_TRUE(at.has_value());
    QTest::mouseClick(timeline->plot(), Qt::LeftButton, {}, QPoint(5 + timeline->plot()->axisRect()->left(), timeline->plot()->height() - 3));
    QTest::mouseClick(timeline->plot(), Qt::LeftButton, {}, *at);
    ASSERT_EQ(viewSelected.size(), 1);
    EXPECT_EQ(viewSelected.at(0).at(1).toLongLong(), m_refused.id);
    EXPECT_EQ(view.currentProcessId(), m_refused.processId);
    saveShot(&view, QStringLiteral("timeline_run_view.png"));
}
