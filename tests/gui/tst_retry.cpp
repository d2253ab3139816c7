// Run › Retry With on the bundle `initscope demo` records (initscope-probe on the fake GPU in
// the incident's mode): the menu lists the run's variations and Edit Environment…; choosing one
// runs the CLI in the background, adds the run to the same bundle, reopens the tab on it and
// opens the comparison with the original; a run from another machine is shown and not run
// when declined; Cancel adds nothing; the environment dialog gives the edit against the run.
#include "guitest.h"

#include "bundle.h"
#include "origin.h"
#include "bundlepage.h"
#include "comparemodel.h"
#include "compareview.h"
#include "environmenteditdialog.h"
#include "mainwindow.h"
#include "retry.h"
#include "retrycontroller.h"

#include <QAction>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>
#include <QToolBar>

#include <gtest/gtest.h>

#include <functional>

using namespace initscope;
using namespace initscope::ui;

namespace
{

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QTest::qWait(50);
    }
    return true;
}

class RetryTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        ASSERT_TRUE(m_dir.isValid());
        m_bundle = m_dir.filePath(QStringLiteral("demo.initscope"));
        ASSERT_TRUE(QFile::copy(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE), m_bundle));
        QFile::setPermissions(m_bundle, QFile::ReadOwner | QFile::WriteOwner);
        m_window = std::make_unique<MainWindow>();
        m_window->setErrorReporter([](const QString &path, const QString &message) {
            ADD_FAILURE() << path.toStdString() << ": " << message.toStdString();
        });
        retry()->process()->setProgram(QStringLiteral(INITSCOPE_BIN_DIR "/initscope"));
        retry()->setErrorReporter([this](const QString &title, const QString &message) {
            m_errors << title + QStringLiteral(": ") + message;
        });
        retry()->setConfirmer([this](const QString &, const QString &text) {
            m_asked << text;
            return m_answer;
        });
    }

    void TearDown() override
    {
        m_window.reset();
        QThreadPool::globalInstance()->waitForDone();
    }

    RetryController *retry() const { return m_window->retryController(); }

    QAction *variationAction(const QString &id) const
    {
        retry()->refresh();
        for (QAction *action : retry()->menu()->actions()) {
            if (action->data().toString() == id)
                return action;
        }
        return nullptr;
    }

    int runsInBundle() const
    {
        BundleError error;
        auto reader = BundleReader::open(m_bundle, &error);
        EXPECT_TRUE(reader) << error.message.toStdString();
        return reader ? int(reader->runs().size()) : -1;
    }

    void setHostname(const QString &hostname)
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("edit"));
            db.setDatabaseName(m_bundle);
            ASSERT_TRUE(db.open());
            QSqlQuery q(db);
            ASSERT_TRUE(q.exec(QStringLiteral("UPDATE runs SET hostname = '%1'").arg(hostname)));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("edit"));
    }

    QTemporaryDir m_dir;
    QString m_bundle;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_errors;
    QStringList m_asked;
    bool m_answer = true;
};

} // namespace

TEST_F(RetryTest, RunMenuListsTheVariationsOfTheRecordedRunAndEditEnvironment)
{
    ASSERT_TRUE(m_window->openBundle(m_bundle));
    QMenu *runMenu = nullptr;
    for (QAction *action : m_window->menuBar()->actions()) {
        if (action->menu() && action->text() == QLatin1String("&Run"))
            runMenu = action->menu();
    }
    ASSERT_TRUE(runMenu);
    EXPECT_TRUE(runMenu->actions().contains(retry()->menuAction()));
    EXPECT_TRUE(m_window->findChild<QToolBar *>(QStringLiteral("mainToolBar"))->actions().contains(retry()->menuAction()));
    EXPECT_TRUE(retry()->menuAction()->isEnabled());

    Q_EMIT retry()->menu()->aboutToShow();
    QStringList ids;
    QAction *edit = nullptr;
    for (QAction *action : retry()->menu()->actions()) {
        if (!action->data().toString().isEmpty())
            ids << action->data().toString();
        if (action->objectName() == QLatin1String("retryEditEnvironmentAction"))
            edit = action;
    }
    RecordOptions recorded;
    QString why;
    ASSERT_TRUE(optionsOfRun(m_window->currentPage()->runs().first().configJson, &recorded, &why)) << why.toStdString();
    QStringList expected;
    for (const RetryVariation &v : retryVariations(recorded))
        expected << v.id;
    EXPECT_EQ(ids, expected) << "the menu is core's list for this run";
    for (const char *id : {"without-shims", "only-shim-1", "fakegpu-healthy", "bind-now", "inject-ld-preload", "as-recorded"})
        EXPECT_TRUE(ids.contains(QLatin1String(id))) << id;
    EXPECT_FALSE(ids.contains(QStringLiteral("fakegpu-no-export-tables"))) << "the mode the run already had";
    ASSERT_TRUE(edit);
    EXPECT_TRUE(edit->isEnabled());
    EXPECT_EQ(variationAction(QStringLiteral("fakegpu-healthy"))->text(), QStringLiteral("With the fake GPU in mode healthy"));

    m_window->closeTab(0);
    EXPECT_FALSE(retry()->menuAction()->isEnabled()) << "no run, nothing to retry";
}

TEST_F(RetryTest, ChoosingAVariationAddsTheRunToTheBundleAndOpensAComparisonWithTheOriginal)
{
    ASSERT_TRUE(m_window->openBundle(m_bundle));
    ASSERT_EQ(runsInBundle(), 1);
    QAction *healthy = variationAction(QStringLiteral("fakegpu-healthy"));
    ASSERT_TRUE(healthy);
    healthy->trigger();
    EXPECT_TRUE(m_asked.isEmpty()) << "a run from this machine runs without asking";
    ASSERT_TRUE(retry()->isRunning()) << m_errors.join(QLatin1Char('\n')).toStdString();
    ASSERT_TRUE(retry()->progressDialog());
    EXPECT_TRUE(retry()->progressDialog()->isVisible());
    EXPECT_FALSE(retry()->menuAction()->isEnabled()) << "one retry at a time";

    ASSERT_TRUE(waitFor([this] { return retry()->compareView() != nullptr || !m_errors.isEmpty(); }, 150000))
        << "no comparison opened";
    ASSERT_TRUE(m_errors.isEmpty()) << m_errors.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(runsInBundle(), 2) << "the retry is stored in the same bundle";

    // The tab was reopened on the new run.
    ASSERT_EQ(m_window->pageCount(), 1);
    BundlePage *page = m_window->currentPage();
    ASSERT_EQ(page->runs().size(), 2);
    EXPECT_EQ(page->currentRun(), 1);
    EXPECT_TRUE(page->runs()[1].configJson.contains("\"INITSCOPE_FAKEGPU_MODE\":\"healthy\""));
    EXPECT_TRUE(m_window->statusBar()->currentMessage().startsWith(QLatin1String("Added run 2 to demo.initscope")))
        << m_window->statusBar()->currentMessage().toStdString();

    CompareView *view = retry()->compareView();
    EXPECT_TRUE(view->isVisible());
    EXPECT_TRUE(view->isWindow()) << "a window of its own beside the bundle's";
    const RunDiff &diff = view->model()->diff();
    EXPECT_FALSE(diff.equivalent());
    ASSERT_TRUE(diff.first.has_value());
    EXPECT_EQ(diff.first->call, QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_TRUE(diff.labelA.startsWith(QLatin1String("run 1 (original)"))) << diff.labelA.toStdString();
    EXPECT_TRUE(diff.labelB.startsWith(QLatin1String("run 2 ("))) << diff.labelB.toStdString();
    EXPECT_TRUE(retry()->menuAction()->isEnabled());
    EXPECT_TRUE(waitFor([view] { return view->timelinesReady(); }, 30000)) << "both runs' timelines under the list";
    view->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/retry_compare.png"));
}

TEST_F(RetryTest, RunFromAnotherMachineShowsTheExactCommandAndEnvironmentAndRunsNothingWhenDeclined)
{
    setHostname(QStringLiteral("gpu-box-7"));
    ASSERT_TRUE(m_window->openBundle(m_bundle));
    m_answer = false;
    EXPECT_FALSE(retry()->retry(QStringLiteral("bind-now"), {QStringLiteral("MY_SETTING=on")}));
    ASSERT_EQ(m_asked.size(), 1);
    const QString text = m_asked.first();
    EXPECT_TRUE(text.contains(QLatin1String("<b>gpu-box-7</b>"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QLatin1String("initscope-probe"))) << "the command";
    EXPECT_TRUE(text.contains(QLatin1String("set        INITSCOPE_FAKEGPU_MODE=no-export-tables"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QLatin1String("set        LD_BIND_NOW=1"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QLatin1String("set        MY_SETTING=on"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QLatin1String("libcuda.so.1"))) << "the shims";
    EXPECT_TRUE(text.contains(QLatin1String("Changed from the recorded run: set LD_BIND_NOW=1; set MY_SETTING=on")))
        << text.toStdString();
    EXPECT_FALSE(retry()->isRunning());
    EXPECT_EQ(runsInBundle(), 1);
}

// A stranger's bundle that names this machine, or one of ours whose command was changed
// afterwards, lacks this user's mark over what it would run (core/origin.h): it is asked about.
TEST_F(RetryTest, BundleThatOnlyNamesThisMachineOrWasChangedAfterRecordingIsAskedAbout)
{
    {
        BundleError error;
        auto reader = BundleReader::open(m_bundle, &error);
        ASSERT_TRUE(reader) << error.message.toStdString();
        ASSERT_TRUE(recordedHere(*reader, reader->runs().first())) << "the demo was recorded here, by this user";
    }
    for (const char *edit : {"UPDATE runs SET command = json_insert(command, '$[#]', '--extra')",
                             "DELETE FROM meta WHERE key LIKE 'origin.%'"}) {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("edit"));
            db.setDatabaseName(m_bundle);
            ASSERT_TRUE(db.open());
            QSqlQuery q(db);
            ASSERT_TRUE(q.exec(QString::fromLatin1(edit))) << q.lastError().text().toStdString();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("edit"));
        setHostname(QSysInfo::machineHostName());
        m_asked.clear();
        m_answer = false;
        ASSERT_TRUE(m_window->openBundle(m_bundle));
        EXPECT_FALSE(retry()->retry(QStringLiteral("bind-now"), {}));
        ASSERT_EQ(m_asked.size(), 1) << edit;
        EXPECT_TRUE(m_asked.first().contains(QLatin1String("carries no mark of a run recorded here by you")))
            << m_asked.first().toStdString();
        EXPECT_FALSE(retry()->isRunning());
        EXPECT_EQ(runsInBundle(), 1);
        while (m_window->pageCount() > 0)
            m_window->closeTab(0);
    }
}

TEST_F(RetryTest, CancellingARetryAddsNoRunToTheBundle)
{
    ASSERT_TRUE(m_window->openBundle(m_bundle));
    // The fake GPU hangs in cuInit: the retry would take its whole timeout.
    QAction *hang = variationAction(QStringLiteral("fakegpu-hang-in-init"));
    ASSERT_TRUE(hang);
    hang->trigger();
    ASSERT_TRUE(retry()->isRunning());
    QTest::qWait(2000);
    QPushButton *cancel = retry()->progressDialog()->findChild<QPushButton *>();
    ASSERT_TRUE(cancel);
    cancel->click();
    ASSERT_TRUE(waitFor([this] { return !retry()->isRunning(); }, 30000)) << "the retry did not stop";
    QTest::qWait(50);
    EXPECT_TRUE(m_errors.isEmpty()) << m_errors.join(QLatin1Char('\n')).toStdString();
    EXPECT_TRUE(m_window->statusBar()->currentMessage().startsWith(QLatin1String("Retry cancelled")))
        << m_window->statusBar()->currentMessage().toStdString();
    EXPECT_EQ(runsInBundle(), 1);
    EXPECT_EQ(retry()->compareView(), nullptr);
    for (const QString &name : QDir(m_dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot))
        EXPECT_EQ(name, QStringLiteral("demo.initscope")) << "a cancelled retry leaves no temporary file";
}

TEST(EnvironmentEditDialog, GivesTheEditAgainstTheRecordedRun)
{
    initscope::testing::ensureApplication();
    RecordOptions recorded;
    recorded.setEnv = {QStringLiteral("INITSCOPE_FAKEGPU_MODE=no-export-tables"), QStringLiteral("KEEP=1"),
                       QStringLiteral("DROP=1")};
    recorded.unsetEnv = {QStringLiteral("CUDA_VISIBLE_DEVICES")};
    EnvironmentEditDialog dialog(recorded);
    QTableWidget *table = dialog.table();
    ASSERT_EQ(table->rowCount(), 4);
    QStringList set, unset;
    ASSERT_TRUE(dialog.edits(&set, &unset));
    EXPECT_TRUE(set.isEmpty()) << set.join(QLatin1Char(' ')).toStdString();
    EXPECT_TRUE(unset.isEmpty()) << "the recorded run, unedited";

    table->item(0, EnvironmentEditDialog::ValueColumn)->setText(QStringLiteral("healthy"));
    table->removeRow(2); // DROP
    table->item(1, EnvironmentEditDialog::RemoveColumn)->setCheckState(Qt::Checked); // KEEP
    dialog.addVariable(QStringLiteral("OLLAMA_DEBUG"), QStringLiteral("1"));
    dialog.addVariable(QStringLiteral("LD_PRELOAD"), QString(), true);
    ASSERT_TRUE(dialog.edits(&set, &unset));
    EXPECT_EQ(set, (QStringList{QStringLiteral("INITSCOPE_FAKEGPU_MODE=healthy"), QStringLiteral("OLLAMA_DEBUG=1")}));
    EXPECT_EQ(unset, (QStringList{QStringLiteral("KEEP"), QStringLiteral("LD_PRELOAD"), QStringLiteral("DROP")}));

    dialog.addVariable(QStringLiteral("BAD=NAME"), QStringLiteral("x"));
    QString error;
    EXPECT_FALSE(dialog.edits(&set, &unset, &error));
    EXPECT_TRUE(error.contains(QLatin1String("BAD=NAME"))) << error.toStdString();
}
