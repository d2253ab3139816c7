// Run › Run Matrix (docs/run-config.md, "In the GUI"): four variations of the probe on the fake GPU
// recorded from the matrix window end as four different rows, failing ones tinted, the grid model
// under QAbstractItemModelTester and compared through its dump, a double-click opening the row's
// bundle in the main window; Cancel in the middle of a run leaves "cancelled" rows and no process
// behind. Screenshots of both in tests/artifacts.
#include "guitest.h"

#include "appearance.h"
#include "bundlepage.h"
#include "mainwindow.h"
#include "matrixmodel.h"
#include "matrixwindow.h"
#include "recordprocess.h"
#include "runmenu.h"
#include "theme.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

#include <csignal>

using namespace initscope;
using namespace initscope::ui;

namespace
{

const QString kProgram = QStringLiteral(INITSCOPE_BIN_DIR "/initscope");

class MatrixTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }
    void SetUp() override { QSettings().clear(); }
    void TearDown() override { setColorScheme(ColorScheme::System); }

    QString writeMatrix(const QString &file, const QString &name, const QJsonObject &base, const QJsonArray &variations)
    {
        const QString path = dir.filePath(file);
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(QJsonObject{{QStringLiteral("name"), name},
                                          {QStringLiteral("base"), base},
                                          {QStringLiteral("variations"), variations}})
                    .toJson());
        return path;
    }

    QTemporaryDir dir;
};

QJsonObject variation(const char *name, const char *variable = nullptr, const char *value = nullptr)
{
    QJsonObject v{{QStringLiteral("name"), QLatin1String(name)}};
    if (variable)
        v.insert(QStringLiteral("environment"),
                 QJsonObject{{QStringLiteral("set"), QJsonObject{{QLatin1String(variable), QLatin1String(value)}}}});
    return v;
}

// Pids of the processes whose command line holds text, ours aside.
QList<int> processesWith(const QByteArray &text)
{
    QList<int> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool numeric = false;
        const int pid = entry.toInt(&numeric);
        if (!numeric || pid == QCoreApplication::applicationPid())
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(text))
            pids << pid;
    }
    return pids;
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QTest::qWait(50);
    }
    return true;
}

} // namespace

TEST_F(MatrixTest, FourFakeGpuVariationsEndAsFourDifferentRowsAndOpenTheirBundles)
{
    const QString fake = QStringLiteral(FAKEGPU_DIR "/default");
    const QJsonObject base{
        {QStringLiteral("command"), QJsonArray{QStringLiteral(INITSCOPE_BIN_DIR "/initscope-probe"), QStringLiteral("--driver-only")}},
        {QStringLiteral("shims"), QJsonArray{QJsonObject{{QStringLiteral("path"), fake + QStringLiteral("/libcuda.so.1")}},
                                             QJsonObject{{QStringLiteral("path"), fake + QStringLiteral("/libnvidia-ml.so.1")}}}},
        {QStringLiteral("environment"),
         QJsonObject{{QStringLiteral("set"), QJsonObject{{QStringLiteral("INITSCOPE_FAKEGPU_MODE"), QStringLiteral("healthy")}}}}}};
    QJsonObject noShims = variation("no shims");
    noShims.insert(QStringLiteral("shims"), QJsonArray());
    const QString matrix = writeMatrix(QStringLiteral("modes.json"), QStringLiteral("fake GPU modes"), base,
                                       {variation("healthy"), variation("incident", "INITSCOPE_FAKEGPU_MODE", "no-export-tables"),
                                        variation("hidden devices", "CUDA_VISIBLE_DEVICES", "-1"), noShims});

    MainWindow main;
    main.setErrorReporter([](const QString &path, const QString &message) {
        ADD_FAILURE() << path.toStdString() << ": " << message.toStdString();
    });
    auto *runMenu = main.findChild<RunMenu *>();
    ASSERT_NE(runMenu, nullptr);
    runMenu->setProgram(kProgram);
    MatrixWindow *window = runMenu->openMatrix(matrix);
    ASSERT_NE(window, nullptr);
    MatrixModel *model = window->model();
    const auto tester = std::make_unique<QAbstractItemModelTester>(model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_EQ(model->rowCount(), 4);
    EXPECT_EQ(model->index(2, MatrixModel::EndColumn).data().toString(), QStringLiteral("waiting"));
    EXPECT_EQ(window->outputDirectory(), dir.filePath(QStringLiteral("modes-matrix")));

    QSignalSpy finished(window, &MatrixWindow::finished);
    QList<int> startedRows;
    QObject::connect(window->process(), &RecordProcess::variationStarted, window,
            [&startedRows](int index, int, const QString &) { startedRows << index; });
    ASSERT_TRUE(window->start());
    EXPECT_FALSE(window->runButton()->isEnabled());
    EXPECT_TRUE(window->cancelButton()->isEnabled());
    ASSERT_TRUE(finished.wait(90000)) << window->log()->toPlainText().toStdString();
    EXPECT_FALSE(finished.first().first().toBool());
    EXPECT_EQ(startedRows, (QList<int>{0, 1, 2, 3})) << "progress for every variation";
    EXPECT_EQ(window->progressBar()->value(), 4);
    EXPECT_EQ(window->statusLabel()->text(), QStringLiteral("All 4 variations recorded. Double-click a row to open its bundle."));
    EXPECT_TRUE(window->runButton()->isEnabled());
    EXPECT_FALSE(window->cancelButton()->isEnabled());

    auto cell = [model](int row, int column) { return model->index(row, column).data().toString(); };
    EXPECT_EQ(cell(0, MatrixModel::EndColumn), QStringLiteral("exit 0"));
    EXPECT_EQ(cell(0, MatrixModel::DevicesColumn), QStringLiteral("1 (CUDA driver API)"));
    EXPECT_EQ(cell(0, MatrixModel::TopFindingColumn), QStringLiteral("no departure"));
    EXPECT_EQ(cell(1, MatrixModel::TopFindingColumn), QStringLiteral("export table CUDART_INTERFACE refused"));
    EXPECT_EQ(cell(2, MatrixModel::TopFindingColumn), QStringLiteral("CUDA_VISIBLE_DEVICES=\"-1\" hides every device"));
    EXPECT_EQ(cell(3, MatrixModel::TopFindingColumn), QStringLiteral("libcuda.so.1 not found"));
    EXPECT_TRUE(cell(3, MatrixModel::ErrorLineColumn).contains(QLatin1String("cannot open shared object file")));
    // Only the failing rows are tinted.
    EXPECT_FALSE(model->index(0, MatrixModel::VariationColumn).data(Qt::BackgroundRole).isValid());
    for (int row = 1; row < 4; ++row)
        EXPECT_EQ(model->index(row, MatrixModel::VariationColumn).data(Qt::BackgroundRole).value<QColor>(),
                  theme::stderrBackground())
            << row;
    QString dump = initscope::testing::dumpModel(*model);
    dump.replace(dir.path(), QStringLiteral("<tmp>"));
    initscope::testing::expectMatchesGolden(QStringLiteral("matrix_fake_gpu.txt"), dump);

    window->resize(1280, 560);
    QTest::qWait(50);
    window->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/matrix_window.png"));
    setColorScheme(ColorScheme::Dark);
    QTest::qWait(50);
    EXPECT_EQ(model->index(1, MatrixModel::EndColumn).data(Qt::ForegroundRole).value<QColor>(), theme::failure())
        << "the dark variant once the palette is dark";
    window->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/matrix_window_dark.png"));
    setColorScheme(ColorScheme::System);

    // A double-click on a row opens its bundle in the main window.
    QSignalSpy openRequested(window, &MatrixWindow::openBundleRequested);
    const QRect rect = window->view()->visualRect(model->index(1, MatrixModel::VariationColumn));
    // (QTest sends a double-click as the second press only: the first press comes from a click.)
    QTest::mouseClick(window->view()->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(window->view()->viewport(), Qt::LeftButton, {}, rect.center());
    ASSERT_EQ(openRequested.count(), 1);
    ASSERT_EQ(main.pageCount(), 1);
    EXPECT_EQ(QFileInfo(main.currentPage()->path()).fileName(), QStringLiteral("02-incident.initscope"));
    window->close();
}

TEST_F(MatrixTest, CancelMidRunLeavesCancelledRowsAndNoStrayProcess)
{
    // A target that runs until it is stopped, recognisable by its command line.
    const QByteArray marker = "initscope-matrix-cancel-" + QByteArray::number(QCoreApplication::applicationPid());
    const QJsonObject base{{QStringLiteral("command"),
                            QJsonArray{QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                       QStringLiteral("while :; do sleep 0.1; done; : %1").arg(QLatin1String(marker))}}};
    const QString matrix = writeMatrix(QStringLiteral("forever.json"), QStringLiteral("until cancelled"), base,
                                       {variation("first"), variation("second", "X", "2"), variation("third", "X", "3")});
    MatrixWindow window;
    window.setProgram(kProgram);
    QString error;
    ASSERT_TRUE(window.load(matrix, &error)) << error.toStdString();
    const auto tester = std::make_unique<QAbstractItemModelTester>(window.model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    window.show();
    QSignalSpy finished(&window, &MatrixWindow::finished);
    ASSERT_TRUE(window.start());
    const qint64 cli = window.process()->processId();
    ASSERT_TRUE(waitFor([&] { return window.model()->state(0) == MatrixModel::State::Recording && !processesWith(marker).isEmpty(); },
                        20000))
        << window.log()->toPlainText().toStdString();

    EXPECT_EQ(window.model()->index(1, MatrixModel::EndColumn).data().toString(), QStringLiteral("waiting"));
    EXPECT_EQ(window.statusLabel()->text(), QStringLiteral("Recording 1 of 3: first"));
    window.resize(1280, 420);
    window.grab().save(initscope::testing::artifactsDir() + QStringLiteral("/matrix_window_running.png"));

    QTest::mouseClick(window.cancelButton(), Qt::LeftButton);
    ASSERT_TRUE(finished.wait(RecordProcess::kCancelGraceMs + 10000)) << window.log()->toPlainText().toStdString();
    EXPECT_TRUE(finished.first().first().toBool());

    // The variation in flight keeps what it recorded; the others never ran.
    MatrixModel *model = window.model();
    EXPECT_EQ(model->index(0, MatrixModel::EndColumn).data().toString(), QStringLiteral("cancelled"));
    EXPECT_FALSE(model->bundlePath(0).isEmpty());
    // Stopped by its user: whatever its diagnosis says is no verdict, so nothing is red.
    EXPECT_EQ(model->index(0, MatrixModel::TopFindingColumn).data(Qt::ForegroundRole).value<QColor>(), theme::muted());
    EXPECT_FALSE(model->index(0, MatrixModel::EndColumn).data(Qt::BackgroundRole).isValid());
    for (int row = 1; row < 3; ++row) {
        EXPECT_EQ(model->state(row), MatrixModel::State::Cancelled) << row;
        EXPECT_EQ(model->index(row, MatrixModel::EndColumn).data().toString(), QStringLiteral("cancelled"));
        EXPECT_EQ(model->index(row, MatrixModel::TopFindingColumn).data().toString(), QStringLiteral("not recorded"));
        EXPECT_TRUE(model->bundlePath(row).isEmpty());
    }
    EXPECT_EQ(window.statusLabel()->text(), QStringLiteral("Cancelled: 1 of 3 variations recorded."));
    EXPECT_FALSE(window.process()->isRunning());
    EXPECT_TRUE(waitFor([&] { return processesWith(marker).isEmpty(); }, 3000)) << "the target's tree is gone";
    EXPECT_TRUE(processesWith(QFile::encodeName(matrix)).isEmpty()) << "initscope record is gone";
    EXPECT_NE(::kill(pid_t(cli), 0), 0);

    QTest::qWait(50);
    window.grab().save(initscope::testing::artifactsDir() + QStringLiteral("/matrix_window_cancelled.png"));
}
