// File › Export… on the bundle `initscope demo` records: the action sits in the File menu with
// its shortcut, and the current run is written in the format the file name asks for by the
// same core functions as `initscope export`, off the GUI thread, with the outcome in the status
// bar. A path that cannot be written is reported there, not in a dialog that waits for a click.
#include "guitest.h"

#include "bundlepage.h"
#include "exportmenu.h"
#include "mainwindow.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QPixmap>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

class GuiExport : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        window = std::make_unique<MainWindow>();
        window->setErrorReporter([this](const QString &, const QString &message) { errors << message; });
        window->resize(1200, 800);
        window->show();
        ASSERT_TRUE(window->openBundle(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE))) << errors.join(QLatin1Char('\n')).toStdString();
        menu = window->findChild<ExportMenu *>(QStringLiteral("exportMenu"));
        ASSERT_NE(menu, nullptr);
        ASSERT_TRUE(dir.isValid());
    }

    // Exports to path and waits for the outcome; returns the error ("" on success).
    QString exportAndWait(const QString &path)
    {
        QSignalSpy finished(menu, &ExportMenu::finished);
        if (!menu->exportTo(path))
            return QStringLiteral("not started");
        if (!finished.wait(120000))
            return QStringLiteral("no outcome within 120 s");
        return finished.first().at(1).toString();
    }

    QByteArray contents(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    std::unique_ptr<MainWindow> window;
    ExportMenu *menu = nullptr;
    QStringList errors;
    QTemporaryDir dir;
};

} // namespace

TEST_F(GuiExport, ExportIsInTheFileMenuWithItsShortcut)
{
    QMenu *file = nullptr;
    for (QAction *a : window->menuBar()->actions())
        if (a->menu() && a->text() == QLatin1String("&File"))
            file = a->menu();
    ASSERT_NE(file, nullptr);
    EXPECT_TRUE(file->actions().contains(menu->action()));
    EXPECT_EQ(menu->action()->shortcut(), QKeySequence(QStringLiteral("Ctrl+E")));
    EXPECT_EQ(menu->action()->text(), QStringLiteral("&Export…"));

    // The open menu, as a person sees it: Export enabled for the bundle in front.
    file->popup(window->mapToGlobal(QPoint(8, 8)));
    QApplication::processEvents();
    EXPECT_TRUE(menu->action()->isEnabled());
    const QPixmap shot = file->grab();
    EXPECT_FALSE(shot.isNull());
    shot.save(initscope::testing::artifactsDir() + QStringLiteral("/gui_file_menu.png"));
    file->hide();
}

TEST_F(GuiExport, EachFormatIsWrittenFromTheCurrentRunAsTheFileNameAsks)
{
    const QString html = dir.filePath(QStringLiteral("ticket.html"));
    ASSERT_EQ(exportAndWait(html), QString());
    const QByteArray page = contents(html);
    EXPECT_TRUE(page.startsWith("<!DOCTYPE html>")) << page.left(100).toStdString();
    EXPECT_TRUE(page.contains("CUDART_INTERFACE")) << "the diagnosis of the demo run";
    EXPECT_TRUE(page.contains("<svg")) << "the timeline picture";
    EXPECT_TRUE(window->statusBar()->currentMessage().startsWith(QStringLiteral("Exported "))) << window->statusBar()->currentMessage().toStdString();

    const QString trace = dir.filePath(QStringLiteral("trace.json"));
    ASSERT_EQ(exportAndWait(trace), QString());
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(contents(trace), &parseError);
    ASSERT_EQ(parseError.error, QJsonParseError::NoError) << parseError.errorString().toStdString();
    const QJsonArray events = doc.object().value(QStringLiteral("traceEvents")).toArray();
    int calls = 0;
    for (const QJsonValue &e : events)
        calls += e.toObject().value(QStringLiteral("ph")).toString() == QLatin1String("X") &&
                 e.toObject().value(QStringLiteral("name")).toString() == QLatin1String("cuGetExportTable");
    EXPECT_GE(calls, 1) << "the refused cuGetExportTable is a slice of the trace";

    const QString md = dir.filePath(QStringLiteral("issue.md"));
    ASSERT_EQ(exportAndWait(md), QString());
    EXPECT_TRUE(contents(md).startsWith("## InitScope: run ")) << contents(md).left(100).toStdString();
    EXPECT_TRUE(errors.isEmpty()) << errors.join(QLatin1Char('\n')).toStdString();
}

TEST_F(GuiExport, UnknownSuffixStartsNothingAndAnUnwritablePathIsSaidInTheStatusBar)
{
    const QString text = dir.filePath(QStringLiteral("notes.txt"));
    EXPECT_FALSE(menu->exportTo(text));
    EXPECT_FALSE(QFile::exists(text));

    const QString unwritable = dir.filePath(QStringLiteral("no-such-folder/ticket.html"));
    const QString error = exportAndWait(unwritable);
    EXPECT_FALSE(error.isEmpty());
    EXPECT_FALSE(QFile::exists(unwritable));
    EXPECT_TRUE(window->statusBar()->currentMessage().startsWith(QStringLiteral("Export failed: ")))
        << window->statusBar()->currentMessage().toStdString();
    EXPECT_TRUE(menu->action()->isEnabled()) << "a failed export leaves the action usable";
}
