// The bundle `initscope demo` records, in the main window on a real X server (ctest runs this
// under xvfb-run): screenshots of the Calls, Processes and Environment tabs on the light and
// the dark palette for people to look at (tests/artifacts/gui_demo_*.png), and the Calls tab on
// real calls: every call made through a pointer from cuGetProcAddress finds the request that
// handed it out, and the diagnosis's evidence calls are selected in it.
#include "guitest.h"

#include "appearance.h"
#include "bundle.h"
#include "bundlepage.h"
#include "callsmodel.h"
#include "callspanel.h"
#include "diagnosismodel.h"
#include "diagnosispanel.h"
#include "environmentpanel.h"
#include "mainwindow.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processpanel.h"
#include "runview.h"

#include <QDir>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPixmap>
#include <QScreen>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>
#include <QWindow>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

const QString kDemo = QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE);

// What the X server shows where it can be read back, else the widget's own rendering.
void saveShot(QWidget *window, const QString &name)
{
    QTest::qWait(100);
    QPixmap shot;
    if (QGuiApplication::platformName() == QLatin1String("xcb"))
        shot = window->screen()->grabWindow(window->winId());
    if (shot.isNull())
        shot = window->grab();
    ASSERT_FALSE(shot.isNull());
    const QString path = QDir(initscope::testing::artifactsDir()).filePath(name);
    EXPECT_TRUE(shot.save(path)) << path.toStdString();
}

class ScreensTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }
    void TearDown() override { setColorScheme(ColorScheme::System); }
};

TEST_F(ScreensTest, DemoBundleOnTheLightAndTheDarkPalette)
{
    for (const ColorScheme scheme : {ColorScheme::Light, ColorScheme::Dark}) {
        setColorScheme(scheme);
        const QString suffix = scheme == ColorScheme::Dark ? QStringLiteral("dark") : QStringLiteral("light");
        MainWindow window;
        window.setErrorReporter([](const QString &, const QString &message) { ADD_FAILURE() << message.toStdString(); });
        window.resize(1440, 900);
        window.show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
        ASSERT_TRUE(window.openBundle(kDemo));
        RunView *run = window.currentPage()->runView();

        // The Calls tab on the first failed call, its details beside it.
        run->runTabs()->setCurrentWidget(run->callsPanel());
        ASSERT_TRUE(window.goToError(true));
        EXPECT_EQ(run->runTabs()->currentWidget(), run->callsPanel());
        ASSERT_GE(run->callsPanel()->currentEventId(), 0);
        EXPECT_TRUE(run->callsPanel()->model()->isFailed(
            run->callsPanel()->model()->rowOfEvent(run->callsPanel()->currentEventId())));
        saveShot(&window, QStringLiteral("gui_demo_calls_%1.png").arg(suffix));

        run->runTabs()->setCurrentIndex(0);
        saveShot(&window, QStringLiteral("gui_demo_processes_%1.png").arg(suffix));

        ProcessPanel *panel = run->processPanel();
        panel->tabs()->setCurrentWidget(panel->environmentPanel());
        saveShot(&window, QStringLiteral("gui_demo_environment_%1.png").arg(suffix));
        window.close();
    }
}

TEST_F(ScreensTest, EveryCallThroughAResolverPointerFindsItsRequest)
{
    BundleError error;
    const std::unique_ptr<BundleReader> reader = BundleReader::open(kDemo, &error);
    ASSERT_NE(reader, nullptr) << error.message.toStdString();
    const QList<initscope::Run> runs = reader->runs();
    ASSERT_FALSE(runs.isEmpty());
    CallsPanel panel;
    panel.setRun(reader.get(), runs.first().id);
    panel.load();
    const CallsModel *model = panel.model();
    ASSERT_GT(model->rowCount(), 100);
    int throughPointers = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->decoded(row).reach != QLatin1String("cuGetProcAddress"))
            continue;
        ++throughPointers;
        const int resolver = model->resolverRow(row);
        ASSERT_GE(resolver, 0) << model->event(row).name.toStdString() << " #" << model->event(row).id;
        EXPECT_LT(resolver, row);
        const Event &request = model->event(resolver);
        EXPECT_EQ(request.processId, model->event(row).processId);
        const QJsonObject resolved =
            QJsonDocument::fromJson(request.payload).object().value(QLatin1String("resolved")).toObject();
        EXPECT_TRUE(resolved.value(QLatin1String("ownerSymbol")).toString() == model->event(row).name ||
                    resolved.value(QLatin1String("expected")).toString() == model->event(row).name)
            << model->event(row).name.toStdString();
    }
    // The CUDA runtime reaches the driver only through the resolver's pointers.
    EXPECT_GT(throughPointers, 3);
}

TEST_F(ScreensTest, EvidenceCallsOfTheDiagnosisAreSelectedInTheCallsTab)
{
    MainWindow window;
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(window.openBundle(kDemo));
    RunView *run = window.currentPage()->runView();
    run->runTabs()->setCurrentWidget(run->callsPanel());
    const DiagnosisModel *findings = run->diagnosisPanel()->model();
    ASSERT_GT(findings->rowCount(), 0);
    int calls = 0;
    const QModelIndex top = findings->index(0, 0);
    for (int i = 0; i < findings->rowCount(top); ++i) {
        const Evidence *evidence = findings->evidence(findings->index(i, 0, top));
        if (!evidence || evidence->kind != Evidence::Kind::Event ||
            run->callsPanel()->model()->rowOfEvent(evidence->id) < 0)
            continue;
        ++calls;
        run->showEvidence(*evidence);
        EXPECT_EQ(run->runTabs()->currentWidget(), run->callsPanel());
        EXPECT_EQ(run->callsPanel()->currentEventId(), evidence->id);
        EXPECT_EQ(run->currentProcessId(), evidence->processId);
    }
    EXPECT_GT(calls, 0) << "the refused export table is a call";

    // "show in output" beside the error line selects that line in its process's output.
    DiagnosisPanel *diagnosis = run->diagnosisPanel();
    ASSERT_FALSE(diagnosis->errorLineLink()->isHidden());
    Q_EMIT diagnosis->errorLineLink()->linkActivated(QStringLiteral("line"));
    EXPECT_EQ(run->runTabs()->currentIndex(), 0);
    ProcessPanel *panel = run->processPanel();
    EXPECT_EQ(panel->tabs()->currentWidget(), panel->outputPanel());
    EXPECT_EQ(panel->outputPanel()->view()->currentIndex().data(OutputModel::FullTextRole).toString(),
              diagnosis->errorLineLabel()->text());
}

} // namespace
