// The main window on the offscreen platform: opening bundles from paths, drops and the recent
// list, bad files reported without blocking or crashing, and a screenshot for people to look
// at in tests/artifacts.
#include "guitest.h"
#include "samplebundle.h"

#include "bundlepage.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "mainwindow.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processheader.h"
#include "processpanel.h"
#include "processtreemodel.h"
#include "recentfiles.h"
#include "runview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QMimeData>
#include <QPixmap>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QUrl>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

struct ReportedError {
    QString path;
    QString message;
};

class MainWindowTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        s_path = s_dir->filePath(QStringLiteral("ollama-shim.initscope"));
        QString error;
        ASSERT_TRUE(initscope::testing::writeSampleBundle(s_path, &s_ids, &error))
            << error.toStdString();
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }
    void SetUp() override
    {
        QSettings().clear();
        window = std::make_unique<MainWindow>();
        window->setErrorReporter([this](const QString &path, const QString &message) {
            errors.append({path, message});
        });
    }

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = s_dir->filePath(name);
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
        return path;
    }

    static QList<qint64> processIds(const ProcessTreeModel &model)
    {
        QList<qint64> ids;
        QList<QModelIndex> stack{QModelIndex()};
        while (!stack.isEmpty()) {
            const QModelIndex parent = stack.takeLast();
            for (int r = 0; r < model.rowCount(parent); ++r) {
                const QModelIndex i = model.index(r, 0, parent);
                ids << i.data(ProcessTreeModel::ProcessIdRole).toLongLong();
                stack << i;
            }
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    std::unique_ptr<MainWindow> window;
    QList<ReportedError> errors;
    static inline QTemporaryDir *s_dir = nullptr;
    static inline QString s_path;
    static inline initscope::testing::SampleIds s_ids;
};

TEST_F(MainWindowTest, OpensBundleShowsItsProcessesAndSavesAScreenshot)
{
    window->resize(1440, 900);
    window->show();
    ASSERT_TRUE(window->openBundle(s_path));
    EXPECT_TRUE(errors.isEmpty());
    ASSERT_EQ(window->pageCount(), 1);
    BundlePage *page = window->currentPage();
    ASSERT_NE(page, nullptr);

    EXPECT_EQ(window->windowTitle(), QStringLiteral("ollama-shim.initscope — InitScope"));
    const auto *tabs = window->findChild<QTabWidget *>();
    ASSERT_NE(tabs, nullptr);
    EXPECT_EQ(tabs->tabToolTip(0), QDir::toNativeSeparators(s_path));

    QList<qint64> written = s_ids.mainRunProcessIds();
    std::sort(written.begin(), written.end());
    EXPECT_EQ(processIds(*page->runView()->processModel()), written);

    // Opens on the failure: the runner killed by SIGSEGV, with its output.
    EXPECT_EQ(page->runView()->currentProcessId(), s_ids.runnerId);
    ProcessPanel *panel = page->runView()->processPanel();
    EXPECT_EQ(panel->header()->exitText(), QStringLiteral("SIGSEGV (core dumped)"));
    EXPECT_GT(panel->outputPanel()->model()->rowCount(), 10);
    EXPECT_GT(panel->eventsPanel()->model()->rowCount(), 5);
    EXPECT_TRUE(window->statusText().startsWith(QStringLiteral("5 processes")))
        << window->statusText().toStdString();

    QTest::qWait(50);
    const QPixmap shot = window->grab();
    ASSERT_FALSE(shot.isNull());
    const QString shotPath =
        QDir(initscope::testing::artifactsDir()).filePath(QStringLiteral("gui_mainwindow.png"));
    EXPECT_TRUE(shot.save(shotPath)) << shotPath.toStdString();
}

TEST_F(MainWindowTest, RunSelectorSwitchesBetweenRunsOfOneBundle)
{
    ASSERT_TRUE(window->openBundle(s_path));
    BundlePage *page = window->currentPage();
    ASSERT_EQ(page->runs().size(), 2);
    EXPECT_FALSE(page->runSelector()->isHidden());
    EXPECT_EQ(page->runSelector()->count(), 2);
    page->setCurrentRun(1);
    EXPECT_EQ(processIds(*page->runView()->processModel()), QList<qint64>{s_ids.probeId});
    EXPECT_EQ(page->runView()->currentProcessId(), s_ids.probeId);
    EXPECT_TRUE(window->statusText().startsWith(QStringLiteral("1 process ·")))
        << window->statusText().toStdString();
}

TEST_F(MainWindowTest, CopyingTheHugeLineGivesItWhole)
{
    ASSERT_TRUE(window->openBundle(s_path));
    OutputPanel *output = window->currentPage()->runView()->processPanel()->outputPanel();
    OutputModel *model = output->model();
    int huge = -1;
    for (int r = 0; r < model->rowCount(); ++r) {
        if (model->lineBytes(r).size() == 1024 * 1024)
            huge = r;
    }
    ASSERT_GE(huge, 0);
    output->view()->selectionModel()->select(output->view()->model()->index(huge, 0),
                                             QItemSelectionModel::ClearAndSelect |
                                                 QItemSelectionModel::Rows);
    EXPECT_EQ(output->selectedText().toUtf8(), initscope::testing::sampleHugeLine());
}

TEST_F(MainWindowTest, BadFileIsReportedAndOtherTabsStay)
{
    ASSERT_TRUE(window->openBundle(s_path));
    const QString text = writeFile(QStringLiteral("notes.initscope"), "just some text\n");
    QSignalSpy failed(window.get(), &MainWindow::openFailed);

    EXPECT_FALSE(window->openBundle(text));
    ASSERT_EQ(errors.size(), 1);
    EXPECT_EQ(errors[0].path, text);
    EXPECT_TRUE(errors[0].message.contains(QStringLiteral("notes.initscope")))
        << errors[0].message.toStdString();
    EXPECT_EQ(failed.count(), 1);

    const QString empty = writeFile(QStringLiteral("empty.initscope"), QByteArray());
    EXPECT_FALSE(window->openBundle(empty));
    EXPECT_FALSE(window->openBundle(s_dir->filePath(QStringLiteral("gone.initscope"))));
    EXPECT_EQ(errors.size(), 3);
    for (const ReportedError &e : errors)
        EXPECT_FALSE(e.message.isEmpty());

    EXPECT_EQ(window->pageCount(), 1);
    EXPECT_EQ(window->windowTitle(), QStringLiteral("ollama-shim.initscope — InitScope"));
    EXPECT_FALSE(window->recentFiles()->files().contains(text));
}

TEST_F(MainWindowTest, DamagedBundleIsReportedOrShownWithoutCrashing)
{
    QFile sample(s_path);
    ASSERT_TRUE(sample.open(QIODevice::ReadOnly));
    const QByteArray bytes = sample.readAll();
    QByteArray scribbled = bytes;
    for (qsizetype i = bytes.size() / 3; i < bytes.size() / 3 + 64 * 1024; ++i)
        scribbled[i] = char(i * 131);
    const QList<QString> damaged = {
        writeFile(QStringLiteral("truncated.initscope"), bytes.left(bytes.size() / 2)),
        writeFile(QStringLiteral("scribbled.initscope"), scribbled)};
    for (const QString &path : damaged) {
        errors.clear();
        const bool opened = window->openBundle(path);
        if (opened) {
            // Whatever could be read is shown; the tab says when something could not.
            BundlePage *page = window->currentPage();
            ASSERT_NE(page, nullptr);
            page->runView()->selectProcess(s_ids.cpuRunnerId);
            EXPECT_TRUE(errors.isEmpty());
        } else {
            ASSERT_EQ(errors.size(), 1) << path.toStdString();
            EXPECT_FALSE(errors[0].message.isEmpty());
        }
    }
}

TEST_F(MainWindowTest, SameFileTwiceKeepsOneTabAndCloseReturnsToWelcome)
{
    ASSERT_TRUE(window->openBundle(s_path));
    ASSERT_TRUE(window->openBundle(s_path));
    EXPECT_EQ(window->pageCount(), 1);
    window->closeTab(0);
    EXPECT_EQ(window->pageCount(), 0);
    EXPECT_EQ(window->windowTitle(), QStringLiteral("InitScope"));
}

TEST_F(MainWindowTest, DroppedFilesOpenInTabs)
{
    window->show();
    auto *mime = new QMimeData;
    mime->setUrls({QUrl::fromLocalFile(s_path)});
    const QPointF at(200, 200);
    QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window.get(), &enter);
    EXPECT_TRUE(enter.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window.get(), &drop);
    EXPECT_TRUE(drop.isAccepted());
    EXPECT_TRUE(QTest::qWaitFor([this] { return window->pageCount() == 1; }, 2000));
    delete mime;
    EXPECT_TRUE(errors.isEmpty());
}

TEST_F(MainWindowTest, RecentFilesKeepTenNewestFirstAndGreyMissingOnes)
{
    RecentFiles *recent = window->recentFiles();
    for (int i = 0; i < 12; ++i)
        recent->add(s_dir->filePath(QStringLiteral("old%1.initscope").arg(i)));
    ASSERT_TRUE(window->openBundle(s_path));
    const QStringList files = recent->files();
    ASSERT_EQ(files.size(), RecentFiles::kMaxEntries);
    EXPECT_EQ(files.first(), QFileInfo(s_path).absoluteFilePath());

    QMenu menu;
    recent->attachMenu(&menu);
    const QList<QAction *> actions = menu.actions();
    ASSERT_GE(actions.size(), RecentFiles::kMaxEntries);
    EXPECT_TRUE(actions[0]->isEnabled());
    EXPECT_FALSE(actions[1]->isEnabled()) << "a missing file must be greyed out";
    EXPECT_TRUE(actions[1]->text().contains(QStringLiteral("missing")));

    // Opening a missing recent entry reports it and drops it from the list.
    const QString missing = files[1];
    actions[0]->trigger(); // already open: switches to its tab, no error
    EXPECT_TRUE(errors.isEmpty());
    EXPECT_FALSE(window->openBundle(missing));
    EXPECT_FALSE(recent->files().contains(missing));
}

} // namespace
