// A bundle from a stranger in the GUI (docs/reliability.md, "Bundles from others"). This test
// binary forbids itself to start any process (a seccomp filter kills it if it tries), so every
// test here also proves that opening a bundle, switching every tab, selecting every process and
// call, the diagnosis and the Retry menu declined start nothing; the shell snippets in the bundle
// would leave marker files. Every string a model, label or dialog shows is escaped and bounded;
// trees 2,000 deep and 10,000 wide open; unreadable bundles get a message box with the reason.
#include "guitest.h"
#include "hostilebundle.h"
#include "nochildren.h"

#include "bundlepage.h"
#include "callsmodel.h"
#include "callspanel.h"
#include "devicepanel.h"
#include "diagnosismodel.h"
#include "diagnosispanel.h"
#include "environmentmodel.h"
#include "environmentpanel.h"
#include "eventdetailsmodel.h"
#include "eventdetailsview.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "format.h"
#include "librariespanel.h"
#include "libraryloadmodel.h"
#include "librarysearchmodel.h"
#include "mainwindow.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processheader.h"
#include "processpanel.h"
#include "processtreemodel.h"
#include "retrycontroller.h"
#include "runfilesmodel.h"
#include "runview.h"
#include "symbolspanel.h"
#include "symbolsmodel.h"
#include "devicemodel.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTextDocument>
#include <QThreadPool>
#include <QTimer>
#include <QTreeView>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;
using initscope::test::findUnsafe;

namespace
{

// A cell shows at most kCellChars characters and the elision note.
constexpr qsizetype kCellBound = kCellChars + 40;
constexpr qsizetype kToolTipBound = 8 * kToolTipChars;

class HostileGui : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        s_markers = s_dir->filePath(QStringLiteral("markers"));
        ASSERT_TRUE(QDir().mkpath(s_markers));
        s_bundle = s_dir->filePath(QStringLiteral("from-a-stranger.initscope"));
        QString why;
        ASSERT_TRUE(initscope::test::writeHostileBundle(s_bundle, s_markers, &s_ids, &why)) << qPrintable(why);
        // From here on, starting a process ends this test binary with SIGSYS.
        ASSERT_TRUE(initscope::test::forbidChildProcesses(&why)) << qPrintable(why);
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }

    void SetUp() override
    {
        window = std::make_unique<MainWindow>();
        window->setErrorReporter([this](const QString &path, const QString &message) {
            errors << path + QStringLiteral(": ") + message;
        });
        window->resize(1500, 950);
    }

    void TearDown() override
    {
        window.reset();
        QThreadPool::globalInstance()->waitForDone();
        EXPECT_EQ(QDir(s_markers).entryList(QDir::Files | QDir::Hidden), QStringList())
            << "a shell snippet of the bundle was run";
    }

    static bool waitFor(const std::function<bool()> &done, int ms = 60000)
    {
        return QTest::qWaitFor(done, ms);
    }

    // Every string a model gives for display or as a tooltip: nothing raw, nothing huge.
    static void expectModelShownSafely(const QAbstractItemModel &model, const char *name, bool mayBeEmpty = false)
    {
        int checked = 0;
        QList<QModelIndex> parents{QModelIndex()};
        while (!parents.isEmpty()) {
            const QModelIndex parent = parents.takeLast();
            for (int r = 0; r < model.rowCount(parent); ++r) {
                for (int c = 0; c < model.columnCount(parent); ++c) {
                    const QModelIndex i = model.index(r, c, parent);
                    const QString shown = i.data(Qt::DisplayRole).toString();
                    QString what;
                    EXPECT_EQ(findUnsafe(shown.toUtf8(), &what), -1)
                        << name << " row " << r << " column " << c << ": " << qPrintable(what) << " in "
                        << qPrintable(shown.left(200));
                    EXPECT_LE(shown.size(), kCellBound) << name << " row " << r << " column " << c;
                    const QString tip = i.data(Qt::ToolTipRole).toString();
                    EXPECT_EQ(findUnsafe(tip.toUtf8(), &what), -1)
                        << name << " tooltip row " << r << " column " << c << ": " << qPrintable(what);
                    EXPECT_LE(tip.size(), kToolTipBound) << name << " tooltip row " << r << " column " << c;
                    ++checked;
                }
                if (model.hasChildren(model.index(r, 0, parent)))
                    parents << model.index(r, 0, parent);
            }
        }
        EXPECT_TRUE(mayBeEmpty || checked > 0) << name << " showed nothing";
    }

    static void expectTextShownSafely(const QString &text, const QString &where, qsizetype bound = kCellBound)
    {
        QString what;
        EXPECT_EQ(findUnsafe(text.toUtf8(), &what), -1) << qPrintable(where) << ": " << qPrintable(what) << " in "
                                                        << qPrintable(text.left(300));
        EXPECT_LE(text.size(), bound) << qPrintable(where);
    }

    QList<QProcess *> processes() const { return window->findChildren<QProcess *>(); }

    std::unique_ptr<MainWindow> window;
    QStringList errors;
    static inline QTemporaryDir *s_dir = nullptr;
    static inline QString s_markers;
    static inline QString s_bundle;
    static inline initscope::test::HostileBundle s_ids;
};

TEST_F(HostileGui, BrowsingEveryTabProcessAndCallAndDecliningEveryRetryStartsNothing)
{
    window->show();
    ASSERT_TRUE(window->openBundle(s_bundle));
    EXPECT_TRUE(errors.isEmpty()) << qPrintable(errors.join(QLatin1Char('\n')));
    BundlePage *page = window->currentPage();
    RunView *view = page->runView();
    ASSERT_TRUE(waitFor([view] { return !view->diagnosisPanel()->isPending(); }));

    for (int run = 0; run < page->runs().size(); ++run) {
        page->setCurrentRun(run);
        ASSERT_TRUE(waitFor([view] { return !view->diagnosisPanel()->isPending(); }));
        // Every tab of the run, then every process with every tab of the process.
        for (int t = 0; t < view->runTabs()->count(); ++t) {
            view->runTabs()->setCurrentIndex(t);
            QTest::qWait(20);
        }
        EXPECT_TRUE(waitFor([view] { return view->callsPanel()->isLoaded(); }));
        for (const qint64 id : {s_ids.rootId, s_ids.childId}) {
            view->selectProcess(id);
            ProcessPanel *panel = view->processPanel();
            for (int t = 0; t < panel->tabs()->count(); ++t) {
                panel->tabs()->setCurrentIndex(t);
                QTest::qWait(20);
            }
            ASSERT_TRUE(waitFor([panel] { return !panel->isLoadingEvents(); }));
            // Each event's details, as a click on its row shows them.
            EventsPanel *events = panel->eventsPanel();
            for (int r = 0; r < events->view()->model()->rowCount(); ++r)
                events->view()->setCurrentIndex(events->view()->model()->index(r, 0));
        }
        CallsPanel *calls = view->callsPanel();
        for (int r = 0; r < calls->view()->model()->rowCount(); ++r)
            calls->view()->setCurrentIndex(calls->view()->model()->index(r, 0));
        window->grab();
    }

    // Run › Retry With: every variation and Edit Environment…, each declined when asked.
    page->setCurrentRun(0);
    RetryController *retry = window->retryController();
    QStringList asked;
    retry->setConfirmer([&asked](const QString &, const QString &text) {
        asked << text;
        return false;
    });
    retry->setEnvironmentEditor([](const RecordOptions &, QStringList *set, QStringList *) {
        *set << QStringLiteral("EXTRA=1");
        return true;
    });
    QStringList retryErrors;
    retry->setErrorReporter([&retryErrors](const QString &title, const QString &message) {
        retryErrors << title + QStringLiteral(": ") + message;
    });
    retry->refresh();
    int variations = 0;
    for (QAction *action : retry->menu()->actions()) {
        if (action->isSeparator() || !action->isEnabled())
            continue;
        action->trigger();
        ++variations;
    }
    EXPECT_GT(variations, 1);
    EXPECT_EQ(asked.size(), variations) << qPrintable(retryErrors.join(QLatin1Char('\n')));
    EXPECT_FALSE(retry->isRunning());
    for (const QString &text : asked) {
        // The exact command and environment, escaped: the dialog hides and reorders nothing.
        expectTextShownSafely(text, QStringLiteral("retry confirmation"), 64 * 1024);
        EXPECT_TRUE(text.contains(QStringLiteral("touch %1/retry-ran").arg(s_markers))) << qPrintable(text);
        EXPECT_TRUE(text.contains(QStringLiteral("\\x1b[2J\\x1b[H&lt;U+202E&gt;gpj.so&lt;U+202C&gt;")))
            << qPrintable(text);
        EXPECT_TRUE(text.contains(QStringLiteral("  set        FAKE=ok\\n  set        LOOKS_HARMLESS=1\n")))
            << qPrintable(text);
    }
    EXPECT_TRUE(processes().isEmpty()) << "a QProcess was made, so something was about to run";
}

TEST_F(HostileGui, EveryShownStringIsEscapedAndBoundedAndTheWindowShowsAt5MiB)
{
    QElapsedTimer clock;
    clock.start();
    window->show();
    ASSERT_TRUE(window->openBundle(s_bundle));
    RunView *view = window->currentPage()->runView();
    ASSERT_TRUE(waitFor([view] { return !view->diagnosisPanel()->isPending(); }));
    view->selectProcess(s_ids.rootId);
    ProcessPanel *panel = view->processPanel();
    ASSERT_TRUE(waitFor([panel] { return !panel->isLoadingEvents(); }));
    window->grab();
    // Models built and the window painted with values of 5 MiB in argv, environment and output:
    // seconds at most, however loaded the machine (an unbounded cell takes minutes to lay out).
    EXPECT_LT(clock.elapsed(), 60000);

    expectModelShownSafely(*view->processModel(), "process tree");
    expectModelShownSafely(*panel->environmentPanel()->model(), "environment");
    expectModelShownSafely(*panel->environmentPanel()->filesModel(), "run files");
    expectModelShownSafely(*panel->outputPanel()->model(), "output");
    expectModelShownSafely(*panel->eventsPanel()->model(), "events");
    expectModelShownSafely(*panel->librariesPanel()->searchModel(), "library searches");
    expectModelShownSafely(*panel->librariesPanel()->loadModel(), "library loads");
    expectModelShownSafely(*view->diagnosisPanel()->model(), "diagnosis");
    view->runTabs()->setCurrentWidget(view->callsPanel());
    ASSERT_TRUE(waitFor([view] { return view->callsPanel()->isLoaded(); }));
    expectModelShownSafely(*view->callsPanel()->model(), "calls");
    view->callsPanel()->view()->setCurrentIndex(view->callsPanel()->view()->model()->index(0, 0));
    expectModelShownSafely(*view->callsPanel()->details()->model(), "call details");
    expectTextShownSafely(view->callsPanel()->details()->summaryLabel()->text(), QStringLiteral("call summary"));

    // The huge values are there, cut, with their size said; the whole line is one role away.
    const EnvironmentModel *env = panel->environmentPanel()->model();
    bool hugeEnv = false;
    for (int r = 0; r < env->rowCount(); ++r) {
        const QModelIndex value = env->index(r, EnvironmentModel::ValueColumn);
        if (value.data(Qt::EditRole).toString().size() == initscope::test::kHugeBytes + 0) {
            hugeEnv = true;
            EXPECT_TRUE(value.data().toString().endsWith(QStringLiteral(" more bytes)")));
        }
    }
    EXPECT_TRUE(hugeEnv);
    const QModelIndex root = view->processModel()->indexOfProcess(s_ids.rootId, ProcessTreeModel::CommandColumn);
    EXPECT_TRUE(root.data().toString().endsWith(QStringLiteral(" more bytes)"))) << qPrintable(root.data().toString().right(80));

    ProcessHeader *header = panel->header();
    expectTextShownSafely(header->titleText(), QStringLiteral("header title"));
    expectTextShownSafely(header->commandText(), QStringLiteral("header command"));
    expectTextShownSafely(panel->environmentPanel()->configView()->toPlainText(), QStringLiteral("run config"), 64 * 1024);
    expectTextShownSafely(view->diagnosisPanel()->titleLabel()->text(), QStringLiteral("diagnosis title"));
    expectTextShownSafely(view->diagnosisPanel()->errorLineLabel()->text(), QStringLiteral("diagnosis error line"));
    expectTextShownSafely(window->windowTitle(), QStringLiteral("window title"));

    view->selectProcess(s_ids.childId);
    ASSERT_TRUE(waitFor([panel] { return !panel->isLoadingEvents(); }));
    expectModelShownSafely(*panel->outputPanel()->model(), "output of the child");
    // The 5 MiB line: cut in its cell, whole (escaped) for Copy.
    const OutputModel *output = panel->outputPanel()->model();
    int hugeRow = -1;
    for (int r = 0; r < output->rowCount(); ++r) {
        if (output->lineBytes(r).size() > initscope::test::kHugeBytes / 2)
            hugeRow = r;
    }
    ASSERT_GE(hugeRow, 0);
    EXPECT_TRUE(output->index(hugeRow, OutputModel::TextColumn).data().toString().contains(QStringLiteral(" more bytes)")));
    const QString full = output->index(hugeRow, OutputModel::TextColumn).data(OutputModel::FullTextRole).toString();
    EXPECT_GT(full.size(), initscope::test::kHugeBytes);
    EXPECT_EQ(findUnsafe(full.toUtf8()), -1);

    for (int t = 0; t < view->runTabs()->count(); ++t) {
        view->runTabs()->setCurrentIndex(t);
        QTest::qWait(20);
    }
    // The bundle keeps no ELF facts: the Symbols tab says so in its findings.
    expectModelShownSafely(*view->symbolsPanel()->model(), "symbols", true);
    expectTextShownSafely(view->symbolsPanel()->findingsView()->toPlainText(), QStringLiteral("symbol findings"),
                          64 * 1024);
    expectTextShownSafely(view->devicePanel()->findingsView()->toPlainText(), QStringLiteral("device findings"),
                          64 * 1024);
    view->runTabs()->setCurrentIndex(0);
    view->selectProcess(s_ids.rootId);
    QTest::qWait(50);
    const QString shot = QDir(initscope::testing::artifactsDir()).filePath(QStringLiteral("gui_hostile.png"));
    EXPECT_TRUE(window->grab().save(shot)) << qPrintable(shot);
    EXPECT_TRUE(processes().isEmpty());
}

TEST_F(HostileGui, ChainOf2000ProcessesAndTenThousandSiblingsOpenAndShowEveryProcess)
{
    const QString deep = s_dir->filePath(QStringLiteral("deep.initscope"));
    const QString wide = s_dir->filePath(QStringLiteral("wide.initscope"));
    QString why;
    ASSERT_TRUE(initscope::test::writeDeepChainBundle(deep, 2000, &why)) << qPrintable(why);
    ASSERT_TRUE(initscope::test::writeWideBundle(wide, 10000, &why)) << qPrintable(why);
    window->show();
    for (const QString &path : {deep, wide}) {
        QElapsedTimer clock;
        clock.start();
        ASSERT_TRUE(window->openBundle(path)) << qPrintable(errors.join(QLatin1Char('\n')));
        RunView *view = window->currentPage()->runView();
        ASSERT_TRUE(waitFor([view] { return !view->diagnosisPanel()->isPending(); }, 120000));
        const ProcessTreeModel *model = view->processModel();
        EXPECT_EQ(model->processCount(), path == deep ? 2001 : 10001);
        // The deepest (or last) process is in the tree, reachable and selectable.
        const qint64 last = path == deep ? model->data(model->firstFailure(), ProcessTreeModel::ProcessIdRole).toLongLong()
                                         : -1;
        if (path == deep) {
            // Past kDepthLimit levels the tree lists, in order, and says each depth.
            int nested = 0;
            for (QModelIndex i = model->firstFailure(); i.parent().isValid(); i = i.parent())
                ++nested;
            EXPECT_EQ(nested, ProcessTreeModel::kDepthLimit + 1);
            EXPECT_TRUE(model->firstFailure().data().toString().startsWith(QStringLiteral("[depth 2000] spawner (3000)")))
                << qPrintable(model->firstFailure().data().toString());
            const QModelIndex listed = model->firstFailure().parent();
            EXPECT_EQ(model->rowCount(listed), 2000 - ProcessTreeModel::kDepthLimit);
            EXPECT_TRUE(model->index(0, 0, listed).data().toString().startsWith(
                QStringLiteral("[depth %1] ").arg(ProcessTreeModel::kDepthLimit + 1)));
            view->selectProcess(last);
            EXPECT_EQ(view->currentProcessId(), last);
        } else {
            EXPECT_EQ(model->rowCount(model->index(0, 0)), 10000);
        }
        window->grab();
        // Seconds at most on any machine: a tree walk per row or per level would take minutes.
        EXPECT_LT(clock.elapsed(), 90000) << qPrintable(path);
        expectTextShownSafely(window->statusText(), QStringLiteral("status"));
    }
    EXPECT_TRUE(processes().isEmpty());
}

// ---------------------------------------------------------------------------------------------
// Bundles that cannot be read: the message box of a real window, with the reason.

TEST_F(HostileGui, UnreadableBundlesPutUpAMessageBoxWithTheReasonAndTheWindowStaysUsable)
{
    // The window's own reporter, as a user gets it: a message box, answered here.
    window = std::make_unique<MainWindow>();
    window->show();
    auto sqlite = [](const QString &path, const QStringList &statements) {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("edit"));
            db.setDatabaseName(path);
            EXPECT_TRUE(db.open());
            QSqlQuery q(db);
            for (const QString &s : statements)
                EXPECT_TRUE(q.exec(s)) << qPrintable(s);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("edit"));
    };
    QString why;
    const QString newer = s_dir->filePath(QStringLiteral("newer.initscope"));
    ASSERT_TRUE(initscope::test::writeWideBundle(newer, 10, &why)) << qPrintable(why);
    sqlite(newer, {QStringLiteral("UPDATE meta SET value = '99' WHERE key = 'format_version'")});
    const QString truncated = s_dir->filePath(QStringLiteral("truncated.initscope"));
    ASSERT_TRUE(initscope::test::writeWideBundle(truncated, 200, &why)) << qPrintable(why);
    {
        QFile f(truncated);
        ASSERT_TRUE(f.open(QIODevice::ReadWrite));
        ASSERT_TRUE(f.resize(f.size() / 2 + 100));
    }
    const QString other = s_dir->filePath(QStringLiteral("other.sqlite"));
    sqlite(other, {QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")});
    const QString strangeName = s_dir->filePath(QStringLiteral("<b>bold\u202Eevil\x1b[2J.initscope"));
    {
        QFile f(strangeName);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("just text\n");
    }

    const QList<QPair<QString, QString>> cases = {
        {newer, QStringLiteral("uses format version 99")},
        {truncated, QStringLiteral("is damaged")},
        {other, QStringLiteral("is an SQLite database but not an InitScope bundle")},
        {strangeName, QStringLiteral("is not an InitScope bundle")},
    };
    for (const auto &[path, reason] : cases) {
        QString boxText;
        QTimer answer;
        answer.setInterval(20);
        QObject::connect(&answer, &QTimer::timeout, [&] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                boxText = box->text();
                box->button(QMessageBox::Ok) ? box->button(QMessageBox::Ok)->click() : box->reject();
            }
        });
        answer.start();
        EXPECT_FALSE(window->openBundle(path));
        answer.stop();
        // What the box shows, as its label renders it (rich text when it looks like HTML).
        QTextDocument shown;
        if (Qt::mightBeRichText(boxText))
            shown.setHtml(boxText);
        else
            shown.setPlainText(boxText);
        EXPECT_TRUE(shown.toPlainText().contains(reason)) << qPrintable(boxText);
        EXPECT_EQ(findUnsafe(boxText.toUtf8()), -1) << qPrintable(boxText);
        if (path == strangeName) {
            EXPECT_TRUE(shown.toPlainText().contains(QStringLiteral("<b>bold<U+202E>evil\\x1b[2J.initscope")))
                << "the name as it is, not rendered: " << qPrintable(boxText);
        }
        EXPECT_EQ(window->pageCount(), 0);
    }
    // Still usable: the next bundle opens.
    EXPECT_TRUE(window->openBundle(s_bundle));
    EXPECT_EQ(window->pageCount(), 1);
}

} // namespace
