// File > Import Log on the offscreen platform, driven through MainWindow::importLog (the slot the
// menu action calls after its file dialog): the log becomes a bundle that opens in a tab with the
// diagnosis on top, bad logs are reported without a tab, and a screenshot for people to look at.
#include "guitest.h"

#include "bundle.h"
#include "bundlepage.h"
#include "diagnosispanel.h"
#include "mainwindow.h"
#include "processtreemodel.h"
#include "runview.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

QString corpusLog(const char *name)
{
    return QStringLiteral(OLLAMA_CORPUS_DIR "/%1/log.txt").arg(QLatin1String(name));
}

class ImportLogTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }
    void SetUp() override
    {
        QSettings().clear();
        window = std::make_unique<MainWindow>();
        window->setErrorReporter([this](const QString &path, const QString &message) {
            errors << path + QStringLiteral(": ") + message;
        });
    }

    std::unique_ptr<MainWindow> window;
    QStringList errors;
    QTemporaryDir dir;
};

} // namespace

TEST_F(ImportLogTest, ImportedLogOpensInATabWithTheFindingOnTopAndSavesAScreenshot)
{
    window->resize(1440, 900);
    window->show();
    QSignalSpy imported(window.get(), &MainWindow::logImported);
    const QString bundle = dir.filePath(QStringLiteral("crash.initscope"));
    const QString opened = window->importLog(corpusLog("llama-server-discovery-crash-cpu"), bundle);
    EXPECT_EQ(opened, QFileInfo(bundle).absoluteFilePath());
    EXPECT_TRUE(errors.isEmpty()) << errors.join(u'\n').toStdString();
    EXPECT_EQ(imported.count(), 1);
    ASSERT_EQ(window->pageCount(), 1);
    BundlePage *page = window->currentPage();
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(page->runs().size(), 1);
    EXPECT_EQ(page->runs().first().name, QStringLiteral("Ollama log: log.txt"));
    EXPECT_EQ(window->windowTitle(), QStringLiteral("crash.initscope — InitScope"));

    DiagnosisPanel *diagnosis = page->runView()->diagnosisPanel();
    EXPECT_EQ(diagnosis->titleLabel()->text(),
              QStringLiteral("GPU discovery failed: the discovery subprocess died (exit status 0xc0000005)"));
    EXPECT_TRUE(diagnosis->errorLineLabel()->text().contains(QLatin1String("failure during llama-server GPU discovery")))
        << diagnosis->errorLineLabel()->text().toStdString();
    EXPECT_EQ(page->runView()->processModel()->processCount(), 1);

    QTest::qWait(50);
    const QString shot = QDir(initscope::testing::artifactsDir()).filePath(QStringLiteral("gui_import_log.png"));
    EXPECT_TRUE(window->grab().save(shot)) << shot.toStdString();
}

TEST_F(ImportLogTest, EvidenceOfARunnerErrorSelectsTheRunnerAndItsLine)
{
    const QString opened = window->importLog(corpusLog("legacy-2023-cuda-error-3"), dir.filePath(QStringLiteral("l.initscope")));
    ASSERT_FALSE(opened.isEmpty()) << errors.join(u'\n').toStdString();
    BundlePage *page = window->currentPage();
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(page->runView()->processModel()->processCount(), 3);
    const Diagnosis d = diagnose(page->reader(), page->runs().first().id);
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-runner-error"));
    EXPECT_EQ(page->runView()->diagnosisPanel()->titleLabel()->text(), top.title);
    ASSERT_FALSE(top.evidence.isEmpty());
    page->runView()->showEvidence(top.evidence.first());
    EXPECT_EQ(page->runView()->currentProcessId(), top.processId);
    const std::optional<Process> runner = page->reader().process(top.processId);
    ASSERT_TRUE(runner);
    EXPECT_EQ(runner->argv, (QStringList{QStringLiteral("ollama"), QStringLiteral("runner")}));
    // Imported processes have no pid to tell them apart: the tree names their role.
    const ProcessTreeModel *model = page->runView()->processModel();
    EXPECT_EQ(model->indexOfProcess(top.processId).data().toString(), QStringLiteral("ollama — model runner"));
    EXPECT_EQ(model->indexOfProcess(page->reader().processes(page->runs().first().id).first().id).data().toString(),
              QStringLiteral("ollama — server"));
}

TEST_F(ImportLogTest, WithoutAPathEachImportIsANewBundleInTheImportFolder)
{
    const QString first = window->importLog(corpusLog("cuinit-802-h200"));
    const QString second = window->importLog(corpusLog("cuinit-802-h200"));
    ASSERT_FALSE(first.isEmpty()) << errors.join(u'\n').toStdString();
    ASSERT_FALSE(second.isEmpty());
    EXPECT_NE(first, second);
    EXPECT_TRUE(first.startsWith(QDir(MainWindow::importDirectory()).absolutePath() + QLatin1Char('/'))) << first.toStdString();
    EXPECT_TRUE(QFileInfo(first).fileName().startsWith(QLatin1String("log.txt-"))) << first.toStdString();
    EXPECT_EQ(window->pageCount(), 2);
    // The folder File > Open starts in is not moved to the temporary one.
    EXPECT_FALSE(QSettings().contains(QStringLiteral("mainWindow/lastDirectory")));
    QFile::remove(first);
    QFile::remove(second);
}

TEST_F(ImportLogTest, FileThatIsNotALogIsReportedAndNoTabOpens)
{
    const QString notes = dir.filePath(QStringLiteral("notes.txt"));
    QFile f(notes);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("my GPU does not work, please help\n");
    f.close();
    QSignalSpy failed(window.get(), &MainWindow::openFailed);
    EXPECT_TRUE(window->importLog(notes, dir.filePath(QStringLiteral("n.initscope"))).isEmpty());
    ASSERT_EQ(errors.size(), 1);
    EXPECT_TRUE(errors.first().contains(QLatin1String("is not an Ollama or llama.cpp log"))) << errors.first().toStdString();
    EXPECT_EQ(failed.count(), 1);
    EXPECT_EQ(window->pageCount(), 0);
    EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("n.initscope"))));
}

TEST_F(ImportLogTest, FileMenuOffersImportLog)
{
    const QAction *action = window->findChild<QAction *>(QStringLiteral("importLogAction"));
    ASSERT_NE(action, nullptr);
    EXPECT_EQ(action->text(), QStringLiteral("&Import Log…"));
    EXPECT_EQ(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+I")));
    const QList<QAction *> menus = window->menuBar()->actions();
    ASSERT_FALSE(menus.isEmpty());
    EXPECT_TRUE(menus.first()->menu()->actions().contains(const_cast<QAction *>(action)));
}
