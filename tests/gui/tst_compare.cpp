// The compare view: the demo bundle (the incident) against the same probe on the healthy fake,
// its model under QAbstractItemModelTester, the first divergence selected on open, next /
// previous difference moving between differing steps only, the two timelines sharing one
// window and following the aligned steps both ways, a run against itself, and the divergent
// rows readable on light and dark palettes.
#include "guitest.h"

#include "appearance.h"
#include "bundle.h"
#include "bundlepage.h"
#include "comparemodel.h"
#include "compareview.h"
#include "mainwindow.h"
#include "rundiff.h"
#include "theme.h"
#include "timelineindex.h"
#include "timelinewidget.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QPixmap>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTest>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QWheelEvent>

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

using namespace initscope;
using namespace initscope::ui;

namespace
{

// WCAG 2 contrast ratio of two opaque colours.
double contrast(const QColor &a, const QColor &b)
{
    auto luminance = [](const QColor &c) {
        auto channel = [](double v) {
            return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
        };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) +
               0.0722 * channel(c.blueF());
    };
    const double la = luminance(a);
    const double lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor over(const QColor &top, const QColor &bottom)
{
    const double a = top.alphaF();
    return QColor::fromRgbF(float(top.redF() * a + bottom.redF() * (1 - a)),
                            float(top.greenF() * a + bottom.greenF() * (1 - a)),
                            float(top.blueF() * a + bottom.blueF() * (1 - a)));
}

// Equal to a part in a million of the width: the same window, up to rounding.
void expectSameWindow(const TimeWindow &a, const TimeWindow &b)
{
    const double tolerance = std::max(a.width(), 1.0) * 1e-6;
    EXPECT_NEAR(a.fromNs, b.fromNs, tolerance);
    EXPECT_NEAR(a.toNs, b.toNs, tolerance);
}

// The timeline's plot, where a person clicks and turns the wheel.
QWidget *plotOf(const TimelineWidget *timeline)
{
    return timeline->findChild<QWidget *>(QStringLiteral("timelinePlot"));
}

std::optional<TimelineItem> itemOf(const TimelineWidget *timeline, qint64 eventId)
{
    const std::shared_ptr<const TimelineIndex> index = timeline->index();
    const TimelineItemRef ref = index ? findItem(*index, eventId) : TimelineItemRef{};
    if (!ref.isValid())
        return std::nullopt;
    const TimelineLane &lane = index->lanes.at(ref.lane);
    return (ref.row < 0 ? lane.instants : lane.rows.at(ref.row)).at(ref.index);
}

bool inWindow(const TimelineWidget *timeline, qint64 eventId)
{
    const std::optional<TimelineItem> item = itemOf(timeline, eventId);
    const TimeWindow w = timeline->window();
    return item && item->startNs >= w.fromNs && item->endNs <= w.toNs;
}

class CompareTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        BundleError error;
        m_a = BundleReader::open(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE), &error);
        ASSERT_TRUE(m_a) << error.message.toStdString();
        m_b = BundleReader::open(QStringLiteral(INITSCOPE_GUI_HEALTHY_BUNDLE), &error);
        ASSERT_TRUE(m_b) << error.message.toStdString();
        m_runA = m_a->runs().first().id;
        m_runB = m_b->runs().first().id;
        m_holder = std::make_unique<CompareView>();
        m_holder->resize(1400, 900);
        m_holder->setRuns(m_a, m_runA, m_b, m_runB,
                          diffRuns({m_a.get(), m_runA, QStringLiteral("incident")},
                                   {m_b.get(), m_runB, QStringLiteral("healthy")}));
    }
    void TearDown() override { setColorScheme(ColorScheme::System); }

    // Shows the view and waits until both timelines are read and follow each other.
    void showLoaded()
    {
        QSignalSpy loaded(m_holder.get(), &CompareView::timelinesLoaded);
        view().show();
        view().activateWindow();
        ASSERT_TRUE(QTest::qWaitForWindowActive(m_holder.get()));
        if (!view().timelinesReady()) {
            ASSERT_TRUE(loaded.wait(30'000));
        }
        ASSERT_TRUE(view().timelinesReady())
            << view().timelineA()->errorText().toStdString() << " / "
            << view().timelineB()->errorText().toStdString();
        view().timelineA()->redrawNow();
        view().timelineB()->redrawNow();
    }

    // A screenshot for a person to look at, with both plots painted as they are now.
    void saveShot(const QString &name)
    {
        QCoreApplication::processEvents(); // pending layouts
        view().timelineA()->redrawNow();
        view().timelineB()->redrawNow();
        view().grab().save(initscope::testing::artifactsDir() + QLatin1Char('/') + name);
    }

    std::shared_ptr<BundleReader> m_a, m_b;
    qint64 m_runA = -1, m_runB = -1;
    std::unique_ptr<CompareView> m_holder;
    CompareView &view() { return *m_holder; }
};

} // namespace

TEST_F(CompareTest, OpensOnTheFirstDivergenceTheExportTableRequest)
{
    QAbstractItemModelTester tester(view().model(),
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    const int row = view().model()->firstDivergenceRow();
    ASSERT_GE(row, 0);
    EXPECT_EQ(view().view()->currentIndex().row(), row);
    EXPECT_EQ(view().model()->index(row, CompareModel::CallColumn).data().toString(),
              QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_EQ(view().model()->index(row, CompareModel::ResultAColumn).data().toString(),
              QStringLiteral("CUDA_ERROR_NOT_SUPPORTED"));
    EXPECT_EQ(view().model()->index(row, CompareModel::ResultBColumn).data().toString(),
              QStringLiteral("CUDA_SUCCESS"));
    EXPECT_TRUE(view().summaryView()->toPlainText().contains(
        QLatin1String("First divergence cuGetExportTable(CUDART_INTERFACE)")))
        << view().summaryView()->toPlainText().toStdString();
    showLoaded();
    saveShot(QStringLiteral("compare.png"));
}

TEST_F(CompareTest, NextAndPreviousDifferenceVisitOnlyDifferingSteps)
{
    const int first = view().view()->currentIndex().row();
    view().goToNextDifference();
    const int second = view().view()->currentIndex().row();
    EXPECT_NE(second, first);
    EXPECT_GE(view().model()->index(second, 0).data(CompareModel::DifferenceRole).toInt(), 0);
    view().goToPreviousDifference();
    EXPECT_EQ(view().view()->currentIndex().row(), first);
    // The steps before the divergence are the same on both sides.
    for (int r = 0; r < first; ++r)
        EXPECT_LT(view().model()->index(r, 0).data(CompareModel::DifferenceRole).toInt(), 0) << r;
}

TEST_F(CompareTest, PanningAndZoomingOneTimelineMovesTheOtherToTheSameWindowAndBack)
{
    showLoaded();
    TimelineWidget *a = view().timelineA();
    TimelineWidget *b = view().timelineB();
    expectSameWindow(a->window(), b->window());
    a->fitAll();
    const TimeWindow all = a->window();
    expectSameWindow(b->window(), all);
    // Both runs fit in the window of the whole, whichever is longer.
    EXPECT_GE(all.toNs, double(a->index()->lastNs()));
    EXPECT_GE(all.toNs, double(b->index()->lastNs()));

    a->zoomBy(0.25);
    EXPECT_NEAR(a->window().width(), all.width() * 0.25, all.width() * 1e-6)
        << "B does not push its own window back";
    expectSameWindow(b->window(), a->window());
    a->panBy(0.5);
    EXPECT_GT(a->window().fromNs, all.fromNs + all.width() * 0.1);
    expectSameWindow(b->window(), a->window());

    // And back: B leads, A follows.
    b->panBy(-0.3);
    expectSameWindow(a->window(), b->window());
    b->zoomBy(0.5, b->window().fromNs);
    expectSameWindow(a->window(), b->window());

    // The wheel on B's plot, as a person would zoom.
    QWidget *plot = plotOf(b);
    ASSERT_TRUE(plot);
    const TimeWindow before = b->window();
    const QPointF cursor(plot->width() * 0.6, plot->height() * 0.6);
    QWheelEvent wheel(cursor, plot->mapToGlobal(cursor), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(plot, &wheel);
    EXPECT_LT(b->window().width(), before.width());
    expectSameWindow(a->window(), b->window());
}

TEST_F(CompareTest, SelectingTheFirstDivergenceRowSelectsItsCallInBothTimelines)
{
    showLoaded();
    const RunDiff &diff = view().model()->diff();
    ASSERT_TRUE(diff.first.has_value());
    // Away from it first, with the timelines showing the whole runs.
    EXPECT_EQ(QApplication::focusWidget(), view().view())
        << "the aligned calls have the keyboard first";
    // Wherever the keyboard is: the table, the summary (whose own Ctrl+Home gives way), a timeline.
    for (QWidget *focus :
         {static_cast<QWidget *>(view().view()), static_cast<QWidget *>(view().summaryView()),
          plotOf(view().timelineB())}) {
        view().goToNextDifference();
        ASSERT_NE(view().view()->currentIndex().row(), view().model()->firstDivergenceRow());
        focus->setFocus();
        QTest::keyClick(focus, Qt::Key_Home, Qt::ControlModifier);
        EXPECT_EQ(view().view()->currentIndex().row(), view().model()->firstDivergenceRow())
            << focus->metaObject()->className();
    }
    view().goToNextDifference();
    view().timelineA()->fitAll();
    QTest::keyClick(view().view(), Qt::Key_Home, Qt::ControlModifier);
    EXPECT_EQ(view().view()->currentIndex().row(), view().model()->firstDivergenceRow());
    EXPECT_EQ(view().timelineA()->selectedEventId(), diff.first->eventA);
    EXPECT_EQ(view().timelineB()->selectedEventId(), diff.first->eventB);
    expectSameWindow(view().timelineA()->window(), view().timelineB()->window());
    EXPECT_TRUE(inWindow(view().timelineA(), diff.first->eventA));
    EXPECT_TRUE(inWindow(view().timelineB(), diff.first->eventB));
    EXPECT_LT(view().timelineA()->window().width(), double(view().timelineA()->index()->lastNs()))
        << "zoomed in on the pair, not left on the whole run";

    // Any row the same way: a click in the table.
    const int row = view().model()->nextDifference(view().model()->firstDivergenceRow(), true);
    ASSERT_GE(row, 0);
    const AlignedCall &step = diff.alignment.at(row);
    QTableView *table = view().view();
    QTest::mouseClick(
        table->viewport(), Qt::LeftButton, {},
        table->visualRect(view().model()->index(row, CompareModel::CallColumn)).center());
    EXPECT_EQ(table->currentIndex().row(), row);
    if (step.eventA >= 0)
        EXPECT_EQ(view().timelineA()->selectedEventId(), step.eventA);
    else
        EXPECT_EQ(view().timelineA()->selectedEventId(), -1)
            << "no call in A: nothing selected there";
    if (step.eventB >= 0)
        EXPECT_EQ(view().timelineB()->selectedEventId(), step.eventB);
    else
        EXPECT_EQ(view().timelineB()->selectedEventId(), -1)
            << "no call in B: nothing selected there";
    saveShot(QStringLiteral("compare_first_divergence.png"));
}

TEST_F(CompareTest, ClickingACallInOneTimelineSelectsItsStepAndItsPartnerInTheOther)
{
    showLoaded();
    const RunDiff &diff = view().model()->diff();
    ASSERT_TRUE(diff.first.has_value());
    TimelineWidget *a = view().timelineA();
    TimelineWidget *b = view().timelineB();
    // Zoomed in on B's refused-in-A request, so that it is a mark of its own; A follows.
    const std::optional<TimelineItem> call = itemOf(b, diff.first->eventB);
    ASSERT_TRUE(call.has_value());
    const double length = std::max<double>(call->endNs - call->startNs, 100);
    b->setWindow({call->startNs - 2 * length, call->endNs + 2 * length});
    expectSameWindow(a->window(), b->window());
    view().view()->selectionModel()->clear();
    a->clearSelection();
    b->clearSelection();
    b->redrawNow();
    const std::optional<QPoint> at = b->pointOfEvent(diff.first->eventB);
    ASSERT_TRUE(at.has_value());
    ASSERT_FALSE(inWindow(a, diff.first->eventA)) << "A's call is elsewhere on its clock";

    QTest::mouseClick(plotOf(b), Qt::LeftButton, {}, *at);
    EXPECT_EQ(b->selectedEventId(), diff.first->eventB);
    EXPECT_EQ(view().view()->currentIndex().row(), view().model()->rowOfEventB(diff.first->eventB));
    EXPECT_EQ(view().view()->currentIndex().row(), view().model()->firstDivergenceRow());
    EXPECT_EQ(a->selectedEventId(), diff.first->eventA);
    // The window widened to show the partner too, still one for both.
    expectSameWindow(a->window(), b->window());
    EXPECT_TRUE(inWindow(a, diff.first->eventA));
    EXPECT_TRUE(inWindow(b, diff.first->eventB));

    // A call that is no step (a resolver lookup, kept out of the alignment): nothing to pair.
    std::optional<TimelineItem> lookup;
    for (const TimelineLane &lane : b->index()->lanes)
        for (const TimelineTrack &track : lane.rows)
            for (qsizetype i = 0; i < track.size() && !lookup; ++i)
                if (!(track.at(i).flags & TimelineFromOutput) &&
                    view().model()->rowOfEventB(track.at(i).id) < 0)
                    lookup = track.at(i);
    ASSERT_TRUE(lookup.has_value());
    const double lookupLength = std::max<double>(lookup->endNs - lookup->startNs, 100);
    b->setWindow({lookup->startNs - 2 * lookupLength, lookup->endNs + 2 * lookupLength});
    b->redrawNow();
    const std::optional<QPoint> lookupAt = b->pointOfEvent(lookup->id);
    ASSERT_TRUE(lookupAt.has_value());
    QTest::mouseClick(plotOf(b), Qt::LeftButton, {}, *lookupAt);
    EXPECT_EQ(b->selectedEventId(), lookup->id);
    EXPECT_FALSE(view().view()->currentIndex().isValid());
    EXPECT_EQ(a->selectedEventId(), -1)
        << "A's call of the previous step is no partner of this one";
}

TEST_F(CompareTest, RunComparedWithItselfShowsNoDivergenceAndBothTimelinesLoad)
{
    m_holder = std::make_unique<CompareView>();
    m_holder->resize(1400, 500);
    m_holder->setRuns(m_a, m_runA, m_a, m_runA,
                      diffRuns({m_a.get(), m_runA, QStringLiteral("A")},
                               {m_a.get(), m_runA, QStringLiteral("B")}));
    QAbstractItemModelTester tester(view().model(),
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    EXPECT_TRUE(view().model()->diff().equivalent());
    EXPECT_EQ(view().model()->firstDivergenceRow(), -1);
    EXPECT_GT(view().model()->rowCount(), 0);
    for (int r = 0; r < view().model()->rowCount(); ++r)
        ASSERT_LT(view().model()->index(r, 0).data(CompareModel::DifferenceRole).toInt(), 0) << r;
    EXPECT_TRUE(view().summaryView()->toPlainText().contains(QLatin1String("Equivalent")));
    showLoaded();
    EXPECT_GT(view().timelineA()->index()->itemCount, 0);
    EXPECT_EQ(view().timelineA()->index()->itemCount, view().timelineB()->index()->itemCount);
    expectSameWindow(view().timelineA()->window(), view().timelineB()->window());

    // The same processes and threads: the lanes scroll together.
    EXPECT_TRUE(view().lanesFollow());
    TimelineWidget *a = view().timelineA();
    TimelineWidget *b = view().timelineB();
    a->scrollLanesBy(-100'000);
    ASSERT_EQ(a->lanesScroll(), 0);
    a->scrollLanesBy(40);
    ASSERT_GT(a->lanesScroll(), 0) << "the lanes must be taller than the view for this test";
    EXPECT_EQ(b->lanesScroll(), a->lanesScroll());
    b->scrollLanesBy(-20);
    EXPECT_EQ(a->lanesScroll(), b->lanesScroll());

    // A row selects the same call on both sides.
    const int row = view().model()->rowCount() / 2;
    view().view()->setCurrentIndex(view().model()->index(row, CompareModel::CallColumn));
    const qint64 event = view().model()->diff().alignment.at(row).eventA;
    EXPECT_EQ(a->selectedEventId(), event);
    EXPECT_EQ(b->selectedEventId(), event);

    // A click on another step's call in A: the same call in B, and the window stays where the
    // click was made, since the partner is in it.
    const int other = row + 1;
    const qint64 clicked = view().model()->diff().alignment.at(other).eventA;
    const std::optional<TimelineItem> call = itemOf(a, clicked);
    ASSERT_TRUE(call.has_value());
    const double length = std::max<double>(call->endNs - call->startNs, 100);
    a->setWindow({call->startNs - 3 * length, call->endNs + 3 * length});
    a->redrawNow();
    const std::optional<QPoint> at = a->pointOfEvent(clicked);
    ASSERT_TRUE(at.has_value());
    const TimeWindow before = a->window();
    QTest::mouseClick(plotOf(a), Qt::LeftButton, {}, *at);
    EXPECT_EQ(a->selectedEventId(), clicked);
    EXPECT_EQ(b->selectedEventId(), clicked);
    EXPECT_EQ(view().view()->currentIndex().row(), other);
    expectSameWindow(a->window(), before);
    expectSameWindow(b->window(), before);
    saveShot(QStringLiteral("compare_self.png"));
}

TEST_F(CompareTest, DivergentRowsStayReadableOnLightAndDarkPalettes)
{
    const int row = view().model()->firstDivergenceRow();
    ASSERT_GE(row, 0);
    for (const ColorScheme scheme : {ColorScheme::Light, ColorScheme::Dark}) {
        setColorScheme(scheme);
        const QPalette palette = QGuiApplication::palette();
        const QColor tint = view()
                                .model()
                                ->index(row, CompareModel::CallColumn)
                                .data(Qt::BackgroundRole)
                                .value<QColor>();
        ASSERT_TRUE(tint.isValid());
        const QColor result = view()
                                  .model()
                                  ->index(row, CompareModel::ResultAColumn)
                                  .data(Qt::ForegroundRole)
                                  .value<QColor>();
        ASSERT_TRUE(result.isValid());
        EXPECT_EQ(result, theme::failure());
        for (const QPalette::ColorRole role : {QPalette::Base, QPalette::AlternateBase}) {
            const QColor background = over(tint, palette.color(role));
            const char *name = scheme == ColorScheme::Dark ? "dark" : "light";
            EXPECT_GE(contrast(palette.color(QPalette::Text), background), 4.5)
                << name << " role " << int(role);
            EXPECT_GE(contrast(result, background), 3.0) << name << " role " << int(role);
            EXPECT_GE(contrast(theme::muted(), background), 3.0) << name << " role " << int(role);
            // The tint can be seen at all.
            EXPECT_GE(std::abs(background.red() - palette.color(role).red()) +
                          std::abs(background.green() - palette.color(role).green()),
                      12)
                << name << " role " << int(role);
        }
    }
}

// Run > Compare with the Real Driver, on a machine without a GPU: the demo (a shim refusing the
// runtime's private table) against the probe's recording on the real driver 580 that ships in
// resources/reference opens on the request the real driver answered and the shim refused; a run
// of a program no reference was recorded of gets a status message instead of a window.
TEST(CompareWithReference, DemoOpensOnTheExportTableTheRealDriverAnswered)
{
    initscope::testing::ensureApplication();
    MainWindow window;
    window.setErrorReporter([](const QString &, const QString &) {});
    ASSERT_TRUE(window.openBundle(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE)));
    std::unique_ptr<CompareView> view(window.compareWithReference());
    ASSERT_TRUE(view);
    view->setAttribute(Qt::WA_DeleteOnClose, false);
    const int row = view->model()->firstDivergenceRow();
    ASSERT_GE(row, 0);
    EXPECT_EQ(view->model()->index(row, CompareModel::CallColumn).data().toString(),
              QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_TRUE(view->windowTitle().contains(QLatin1String("against the real driver")));
    EXPECT_TRUE(QTest::qWaitFor([&] { return view->timelinesReady(); }, 30000)) << "both timelines load";
}

TEST(CompareWithReference, ProgramWithoutAReferenceSaysSoInTheStatusBar)
{
    initscope::testing::ensureApplication();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("other.initscope"));
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w);
    initscope::Run run;
    run.name = QStringLiteral("other");
    run.id = w->addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 5;
    p.exe = QStringLiteral("/usr/bin/some-other-program");
    w->addProcess(p);
    ASSERT_TRUE(w->commit(&error));
    MainWindow window;
    window.setErrorReporter([](const QString &, const QString &) {});
    ASSERT_TRUE(window.openBundle(path));
    EXPECT_EQ(window.compareWithReference(), nullptr);
    EXPECT_TRUE(window.statusBar()->currentMessage().contains(QLatin1String("No reference recording of some-other-program")))
        << window.statusBar()->currentMessage().toStdString();
}
