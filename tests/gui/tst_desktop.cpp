// Desktop manners of the main window: geometry, toolbar and splitter sizes kept in QSettings
// (a temporary location, guitest.h) and restored by the next window; the theme's colours
// readable on the light and the dark palette; SVG toolbar icons drawn sharp at twice the scale;
// the shortcuts dialog listing the navigation keys.
#include "callsample.h"
#include "guitest.h"

#include "appearance.h"
#include "bundlepage.h"
#include "callspanel.h"
#include "diagnosispanel.h"
#include "mainwindow.h"
#include "processpanel.h"
#include "runview.h"
#include "shortcutsdialog.h"
#include "theme.h"

#include <QAction>
#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QMenuBar>
#include <QMouseEvent>
#include <QSettings>
#include <QSplitter>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QTreeWidget>

#include <gtest/gtest.h>

#include <cmath>

using namespace initscope;
using namespace initscope::ui;

namespace
{

QString samplePath()
{
    static QTemporaryDir dir;
    static const QString path = [] {
        const QString p = dir.filePath(QStringLiteral("desktop.initscope"));
        initscope::testing::CallSampleIds ids;
        QString error;
        EXPECT_TRUE(initscope::testing::writeCallSample(p, &ids, &error)) << error.toStdString();
        return p;
    }();
    return path;
}

// Drags the splitter's first handle by delta pixels, as a user does: only a drag is kept.
void dragHandle(QSplitter *splitter, int delta)
{
    QSplitterHandle *handle = splitter->handle(1);
    ASSERT_NE(handle, nullptr);
    const QPointF from = QRectF(handle->rect()).center();
    const QPointF to = from + (splitter->orientation() == Qt::Vertical ? QPointF(0, delta) : QPointF(delta, 0));
    QMouseEvent press(QEvent::MouseButtonPress, from, handle->mapToGlobal(from), Qt::LeftButton, Qt::LeftButton,
                      Qt::NoModifier);
    QApplication::sendEvent(handle, &press);
    QMouseEvent move(QEvent::MouseMove, to, handle->mapToGlobal(to), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(handle, &move);
    QMouseEvent release(QEvent::MouseButtonRelease, to, handle->mapToGlobal(to), Qt::LeftButton, Qt::NoButton,
                        Qt::NoModifier);
    QApplication::sendEvent(handle, &release);
}

// WCAG 2 contrast ratio of two opaque colours.
double contrast(const QColor &a, const QColor &b)
{
    auto luminance = [](const QColor &c) {
        auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
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

class DesktopTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }
    void SetUp() override { QSettings().clear(); }
    void TearDown() override { setColorScheme(ColorScheme::System); }
};

TEST_F(DesktopTest, WindowToolbarAndSplitterSizesAreRestoredByTheNextWindow)
{
    QList<int> diagnosis;
    QList<int> processes;
    QList<int> calls;
    {
        MainWindow window;
        window.resize(1210, 830);
        window.show();
        ASSERT_TRUE(window.openBundle(samplePath()));
        window.findChild<QToolBar *>(QStringLiteral("mainToolBar"))->hide();
        RunView *run = window.currentPage()->runView();
        run->runTabs()->setCurrentWidget(run->callsPanel());
        QTest::qWait(20);
        dragHandle(run->verticalSplitter(), -90);
        dragHandle(run->callsPanel()->splitter(), -150);
        run->runTabs()->setCurrentIndex(0);
        auto *processSplitter = run->findChild<QSplitter *>(QStringLiteral("processSplitter"));
        ASSERT_NE(processSplitter, nullptr);
        dragHandle(processSplitter, 70);
        diagnosis = run->verticalSplitter()->sizes();
        processes = processSplitter->sizes();
        calls = run->callsPanel()->splitter()->sizes();
        window.close();
    }
    ASSERT_EQ(diagnosis.size(), 2);
    EXPECT_TRUE(QSettings().contains(QStringLiteral("splitters/diagnosisSplitter")));

    MainWindow window;
    EXPECT_EQ(window.size(), QSize(1210, 830));
    window.show();
    EXPECT_TRUE(window.findChild<QToolBar *>(QStringLiteral("mainToolBar"))->isHidden());
    ASSERT_TRUE(window.openBundle(samplePath()));
    RunView *run = window.currentPage()->runView();
    EXPECT_EQ(run->verticalSplitter()->sizes(), diagnosis);
    EXPECT_EQ(run->findChild<QSplitter *>(QStringLiteral("processSplitter"))->sizes(), processes);
    run->runTabs()->setCurrentWidget(run->callsPanel());
    EXPECT_EQ(run->callsPanel()->splitter()->sizes(), calls);
}

TEST_F(DesktopTest, ThemeColoursStayReadableOnLightAndDarkPalettes)
{
    for (const ColorScheme scheme : {ColorScheme::Light, ColorScheme::Dark}) {
        setColorScheme(scheme);
        const bool dark = scheme == ColorScheme::Dark;
        EXPECT_EQ(theme::darkPalette(), dark);
        const QPalette palette = QGuiApplication::palette();
        const QList<QPair<const char *, QColor>> colours = {
            {"failure", theme::failure()}, {"stderr", theme::stderrText()}, {"warning", theme::warning()},
            {"muted", theme::muted()},     {"success", theme::success()},   {"link", palette.color(QPalette::Link)}};
        for (const auto &[name, colour] : colours) {
            for (const QPalette::ColorRole role : {QPalette::Base, QPalette::AlternateBase, QPalette::Window}) {
                EXPECT_GE(contrast(colour, palette.color(role)), 3.0)
                    << name << " on " << (dark ? "dark" : "light") << " role " << int(role) << ": "
                    << colour.name().toStdString() << " / " << palette.color(role).name().toStdString();
            }
        }
        // stderr lines: red text on their red tint.
        EXPECT_GE(contrast(theme::stderrText(), over(theme::stderrBackground(), palette.color(QPalette::Base))), 3.0);
        EXPECT_GE(contrast(palette.color(QPalette::Text), palette.color(QPalette::Base)), 7.0);
    }
    // The light variants are what the model dumps of the other tests were written with.
    setColorScheme(ColorScheme::Light);
    EXPECT_EQ(theme::failure().name(), QStringLiteral("#d32f2f"));
}

TEST_F(DesktopTest, ColorSchemeNamesAreReadAsUsersWriteThem)
{
    EXPECT_EQ(colorSchemeFromName(u"dark"), ColorScheme::Dark);
    EXPECT_EQ(colorSchemeFromName(u"Light"), ColorScheme::Light);
    EXPECT_EQ(colorSchemeFromName(u"SYSTEM"), ColorScheme::System);
    EXPECT_EQ(colorSchemeFromName(u""), std::nullopt);
    EXPECT_EQ(colorSchemeFromName(u"sepia"), std::nullopt);
}

TEST_F(DesktopTest, ToolbarIconsAreSvgAndSharpAtTwiceTheScale)
{
    MainWindow window;
    const auto *bar = window.findChild<QToolBar *>(QStringLiteral("mainToolBar"));
    ASSERT_NE(bar, nullptr);
    int icons = 0;
    for (const QAction *action : bar->actions()) {
        if (action->isSeparator())
            continue;
        ++icons;
        ASSERT_FALSE(action->icon().isNull()) << action->text().toStdString();
        // A vector icon has no fixed sizes and is drawn for the size asked, device pixels included.
        EXPECT_TRUE(action->icon().availableSizes().isEmpty()) << action->text().toStdString();
        const QImage image = action->icon().pixmap(QSize(24, 24), 2.0).toImage();
        EXPECT_EQ(image.size(), QSize(48, 48)) << action->text().toStdString()
                                               << " (the Qt SVG icon engine, libqt6svg6, must be installed)";
        int opaque = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                opaque += qAlpha(image.pixel(x, y)) > 200 ? 1 : 0;
        EXPECT_GT(opaque, 48 * 48 / 10) << action->text().toStdString() << " draws nothing";
    }
    EXPECT_EQ(icons, 6) << "open, import log, previous error, next error, next call of the same function, retry";
}

TEST_F(DesktopTest, WindowCarriesTheApplicationIcon)
{
    MainWindow window;
    const QIcon icon = window.windowIcon();
    ASSERT_FALSE(icon.isNull()) << "no window icon: task bars show a generic one";
    const QImage image = icon.pixmap(QSize(32, 32), 1.0).toImage();
    ASSERT_EQ(image.size(), QSize(32, 32));
    int opaque = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            opaque += qAlpha(image.pixel(x, y)) > 200 ? 1 : 0;
    EXPECT_GT(opaque, 32 * 32 / 2) << "the icon draws little: the built-in drawing is missing";
}

TEST_F(DesktopTest, ShortcutsDialogListsTheKeysOfEveryMenu)
{
    MainWindow window;
    EXPECT_EQ(window.nextErrorAction()->shortcut(), QKeySequence(Qt::Key_F8));
    EXPECT_EQ(window.previousErrorAction()->shortcut(), QKeySequence(Qt::SHIFT | Qt::Key_F8));
    EXPECT_EQ(window.nextSameFunctionAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_J));
    EXPECT_FALSE(window.nextErrorAction()->isEnabled()) << "nothing to walk through without a bundle";
    ASSERT_TRUE(window.openBundle(samplePath()));
    EXPECT_TRUE(window.nextErrorAction()->isEnabled());

    ShortcutsDialog dialog(window.menuBar());
    QStringList rows;
    for (int g = 0; g < dialog.list()->topLevelItemCount(); ++g) {
        const QTreeWidgetItem *group = dialog.list()->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i)
            rows << group->text(0) + QStringLiteral(" / ") + group->child(i)->text(0) + QStringLiteral(" = ") +
                        group->child(i)->text(1);
    }
    for (const QString &expected :
         {QStringLiteral("Go / Next Error = F8"), QStringLiteral("Go / Previous Error = Shift+F8"),
          QStringLiteral("Go / Next Call of the Same Function = Ctrl+J"),
          QStringLiteral("Go / Previous Call of the Same Function = Ctrl+Shift+J"),
          QStringLiteral("File / Open = Ctrl+O")})
        EXPECT_TRUE(rows.contains(expected)) << expected.toStdString() << "\n" << rows.join(QLatin1Char('\n')).toStdString();
}

} // namespace

// Switching between light and dark while a run is open recolours what carries meaning: labels
// coloured through theme::setColor and rich text rebuilt through theme::onPaletteChange.
TEST_F(DesktopTest, LiveSwitchToDarkRecoloursLabelsAndRichText)
{
    setColorScheme(ColorScheme::Light);
    DiagnosisPanel panel;
    panel.clear(); // the title in the success colour
    QLabel rich;
    int rebuilt = 0;
    theme::onPaletteChange(&rich, [&] {
        ++rebuilt;
        rich.setText(QStringLiteral("<b style=\"color:%1\">x</b>").arg(theme::failure().name()));
    });
    const QColor lightSuccess = theme::success();
    EXPECT_EQ(panel.titleLabel()->palette().color(QPalette::WindowText), lightSuccess);

    setColorScheme(ColorScheme::Dark);
    QCoreApplication::processEvents();
    ASSERT_TRUE(theme::darkPalette());
    EXPECT_NE(theme::success(), lightSuccess);
    EXPECT_EQ(panel.titleLabel()->palette().color(QPalette::WindowText), theme::success());
    // The label's other roles follow the new palette.
    EXPECT_EQ(panel.titleLabel()->palette().color(QPalette::Window), QApplication::palette().color(QPalette::Window));
    EXPECT_GE(rebuilt, 1);
    EXPECT_TRUE(rich.text().contains(theme::failure().name()));

    // A later colour replaces the earlier one and follows the palette back to light.
    panel.setPending(QStringLiteral("Diagnosing…"));
    setColorScheme(ColorScheme::Light);
    QCoreApplication::processEvents();
    EXPECT_EQ(panel.titleLabel()->palette().color(QPalette::WindowText), theme::muted());
}
