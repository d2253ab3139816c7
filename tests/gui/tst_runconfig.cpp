// Run configurations in the GUI (docs/run-config.md, "In the GUI"): what is typed into the editor
// is what `initscope record --config` reads, a config loaded and saved again is unchanged, what
// the CLI would refuse cannot be saved, saved configs are listed under Run › Record With, and
// recording one runs the CLI and opens its bundle. Screenshots of the editor and the list.
#include "guitest.h"

#include "appearance.h"
#include "bundle.h"
#include "mainwindow.h"
#include "recording.h"
#include "recordprogressdialog.h"
#include "runconfigdialog.h"
#include "runconfiglist.h"
#include "runmenu.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

const QString kFakeGpu = QStringLiteral(FAKEGPU_DIR "/default");

class RunConfigTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { initscope::testing::ensureApplication(); }
    void SetUp() override { QSettings().clear(); }
    void TearDown() override { setColorScheme(ColorScheme::System); }

    QString file(const QString &name) const { return dir.filePath(name); }
    void write(const QString &name, const QByteArray &content) const
    {
        QFile f(file(name));
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
    static QJsonObject readJson(const QString &path)
    {
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::ReadOnly)) << path.toStdString();
        return QJsonDocument::fromJson(f.readAll()).object();
    }
    static void selectData(QComboBox *box, const QString &data)
    {
        const int index = box->findData(data);
        ASSERT_GE(index, 0) << data.toStdString();
        box->setCurrentIndex(index);
    }

    QTemporaryDir dir;
};

// The doc's example config (docs/run-config.md), as the editor writes it.
const char *const kExampleConfig = R"({
    "name": "ollama with the incident shim",
    "preset": "ollama",
    "command": ["/usr/local/bin/ollama", "serve"],
    "workingDirectory": "/tmp",
    "environment": {"clean": true, "set": {"OLLAMA_DEBUG": "1", "CUDA_VISIBLE_DEVICES": "0"}, "unset": ["LD_LIBRARY_PATH"]},
    "timeoutSeconds": 90,
    "shims": [{"path": "/opt/shim/libcuda.so.1", "soname": "libcuda.so.1"}, {"path": "/opt/shim/libnvidia-ml.so.1"}],
    "injection": "ld-library-path",
    "output": "ollama-incident.initscope",
    "stopOnOutput": ["listening on"],
    "collect": ["/tmp/shim-*.log"]
})";

} // namespace

TEST_F(RunConfigTest, WhatIsTypedIsWhatTheCliReads)
{
    RunConfigDialog dialog;
    QTest::keyClicks(dialog.nameEdit(), QStringLiteral("echo with shims"));
    selectData(dialog.presetBox(), QStringLiteral("custom"));
    QTest::keyClicks(dialog.programEdit(), QStringLiteral("/bin/sh"));
    QTest::keyClicks(dialog.argumentsEdit(), QStringLiteral("-c \"echo $A $B\" arg0"));
    QTest::keyClicks(dialog.workingDirectoryEdit(), dir.path());
    dialog.timeoutBox()->setValue(12.5);
    dialog.cleanEnvironmentBox()->setChecked(true);
    dialog.addVariable(QStringLiteral("A"), QStringLiteral("1"));
    dialog.addVariable(QStringLiteral("B"), QStringLiteral("two words"));
    dialog.addVariable(QStringLiteral("LD_LIBRARY_PATH"), QString(), true);
    dialog.addShim(kFakeGpu + QStringLiteral("/libcuda.so.1"), QStringLiteral("libcuda.so.1"));
    dialog.addShim(kFakeGpu + QStringLiteral("/libnvidia-ml.so.1"));
    selectData(dialog.injectionBox(), QStringLiteral("ld-preload"));
    dialog.stopOnEdit()->setPlainText(QStringLiteral("ready to serve\n\nlistening on"));
    dialog.collectEdit()->setPlainText(QStringLiteral("  /tmp/shim-*.log  \n"));
    EXPECT_EQ(dialog.problem(), QString());

    const QString path = file(QStringLiteral("typed.json"));
    QString error;
    ASSERT_TRUE(dialog.saveTo(path, &error)) << error.toStdString();
    RecordOptions read;
    ASSERT_TRUE(loadRecordConfig(path, &read, &error)) << error.toStdString();
    EXPECT_EQ(read.runName, QStringLiteral("echo with shims"));
    EXPECT_EQ(read.preset, QStringLiteral("custom"));
    EXPECT_EQ(read.command, (QStringList{QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("echo $A $B"),
                                         QStringLiteral("arg0")}));
    EXPECT_EQ(read.workingDirectory, dir.path());
    ASSERT_TRUE(read.timeoutSeconds.has_value());
    EXPECT_EQ(*read.timeoutSeconds, 12.5);
    EXPECT_TRUE(read.cleanEnv);
    EXPECT_EQ(read.setEnv, (QStringList{QStringLiteral("A=1"), QStringLiteral("B=two words")}));
    EXPECT_EQ(read.unsetEnv, QStringList{QStringLiteral("LD_LIBRARY_PATH")});
    ASSERT_EQ(read.shims.size(), 2);
    EXPECT_EQ(read.shims[0].path, kFakeGpu + QStringLiteral("/libcuda.so.1"));
    EXPECT_EQ(read.shims[0].soname, QStringLiteral("libcuda.so.1"));
    EXPECT_EQ(read.shims[1].soname, QString()) << "empty: the file's own SONAME, decided when recording";
    EXPECT_EQ(read.inject, InjectMode::LdPreload);
    EXPECT_EQ(read.stopOnOutput, (QStringList{QStringLiteral("ready to serve"), QStringLiteral("listening on")}));
    EXPECT_EQ(read.collect, QStringList{QStringLiteral("/tmp/shim-*.log")});
    EXPECT_TRUE(read.outputPath.isEmpty());
    // Nothing that was not typed: no output, no empty keys.
    EXPECT_FALSE(readJson(path).contains(QStringLiteral("output")));
}

TEST_F(RunConfigTest, ArgumentsWithSpacesAndQuotesSurviveTheArgumentsField)
{
    const QStringList words{QStringLiteral("-c"), QStringLiteral("echo \"$A\" done"), QStringLiteral("plain"),
                            QStringLiteral("a\"b"), QStringLiteral("tab\there")};
    const QString text = RunConfigDialog::joinArguments(words);
    EXPECT_EQ(RunConfigDialog::splitArguments(text), words) << text.toStdString();
    RunConfigDialog dialog;
    RecordOptions typed;
    typed.command = QStringList{QStringLiteral("/bin/sh")} + words;
    dialog.setOptions(typed);
    EXPECT_EQ(dialog.options().command, typed.command);
}

TEST_F(RunConfigTest, LoadedConfigIsSavedBackUnchangedAndShowsItsPreset)
{
    write(QStringLiteral("example.json"), kExampleConfig);
    RunConfigDialog dialog;
    QString error;
    ASSERT_TRUE(dialog.load(file(QStringLiteral("example.json")), &error)) << error.toStdString();
    EXPECT_EQ(dialog.presetBox()->currentData().toString(), QStringLiteral("ollama"));
    EXPECT_EQ(dialog.programEdit()->text(), QStringLiteral("/usr/local/bin/ollama"));
    EXPECT_EQ(dialog.argumentsEdit()->text(), QStringLiteral("serve"));
    EXPECT_EQ(dialog.environmentTable()->rowCount(), 3);
    EXPECT_EQ(dialog.shimTable()->rowCount(), 2);
    EXPECT_EQ(dialog.timeoutBox()->value(), 90.0);
    EXPECT_TRUE(dialog.windowTitle().startsWith(QLatin1String("example.json")));
    EXPECT_EQ(dialog.problem(), QString());

    const QString saved = file(QStringLiteral("saved.json"));
    ASSERT_TRUE(dialog.saveTo(saved, &error)) << error.toStdString();
    EXPECT_EQ(readJson(saved), QJsonDocument::fromJson(kExampleConfig).object());
    // The preset stays a preset: not its port, its folder or its stop texts frozen into the file.
    const QJsonObject env = readJson(saved).value(QStringLiteral("environment")).toObject();
    EXPECT_FALSE(env.value(QStringLiteral("set")).toObject().contains(QStringLiteral("OLLAMA_HOST")));
    EXPECT_EQ(readJson(saved).value(QStringLiteral("stopOnOutput")).toArray().size(), 1);

    // Empty program: the preset's command, shown as the field's placeholder.
    dialog.programEdit()->clear();
    dialog.argumentsEdit()->clear();
    EXPECT_EQ(dialog.problem(), QString());
    EXPECT_TRUE(dialog.programEdit()->placeholderText().contains(QLatin1String("ollama serve")));
    EXPECT_FALSE(dialog.config().contains(QStringLiteral("command")));

    dialog.resize(1080, 700);
    dialog.show();
    QTest::qWait(50);
    dialog.grab().save(initscope::testing::artifactsDir() + QStringLiteral("/runconfig_dialog.png"));
    setColorScheme(ColorScheme::Dark);
    QTest::qWait(50);
    dialog.grab().save(initscope::testing::artifactsDir() + QStringLiteral("/runconfig_dialog_dark.png"));
}

TEST_F(RunConfigTest, WhatTheCliWouldRefuseCannotBeSaved)
{
    RunConfigDialog dialog;
    const QString path = file(QStringLiteral("refused.json"));
    QString error;
    EXPECT_FALSE(dialog.saveTo(path, &error));
    EXPECT_EQ(error, QStringLiteral("Give the program to run, or choose a preset that has one."));
    EXPECT_FALSE(dialog.problemLabel()->isHidden());
    EXPECT_FALSE(QFile::exists(path));

    selectData(dialog.presetBox(), QStringLiteral("probe"));
    EXPECT_EQ(dialog.problem(), QString()) << "the probe preset has a command";
    dialog.addVariable(QStringLiteral("BAD=NAME"), QStringLiteral("1"));
    EXPECT_EQ(dialog.problem(), QStringLiteral("\"BAD=NAME\" is not a variable name."));
    dialog.environmentTable()->item(0, RunConfigDialog::EnvNameColumn)->setText(QStringLiteral("GOOD"));
    dialog.addVariable(QStringLiteral("GOOD"), QString(), true);
    EXPECT_EQ(dialog.problem(), QStringLiteral("GOOD is in the environment table twice."));

    // A file the CLI refuses is refused with the CLI's own words.
    write(QStringLiteral("colour.json"), R"({"command": ["/bin/true"], "colour": "red"})");
    RecordOptions cli;
    QString cliError;
    EXPECT_FALSE(loadRecordConfig(file(QStringLiteral("colour.json")), &cli, &cliError));
    RunConfigDialog other;
    EXPECT_FALSE(other.load(file(QStringLiteral("colour.json")), &error));
    EXPECT_EQ(error, cliError);
    EXPECT_TRUE(error.contains(QLatin1String("unknown key \"colour\""))) << error.toStdString();
}

TEST_F(RunConfigTest, SavedConfigsAreListedUnderRecordWithAndInTheListDialog)
{
    const QString configs = file(QStringLiteral("configs"));
    ASSERT_TRUE(QDir().mkpath(configs));
    setRunConfigDirectory(configs);
    write(QStringLiteral("configs/b.json"), R"({"name": "Probe on the fake GPU", "preset": "probe"})");
    write(QStringLiteral("configs/a.json"), R"({"command": ["/bin/true"]})");
    write(QStringLiteral("configs/broken.json"), R"({"command": "/bin/true"})");
    write(QStringLiteral("configs/notes.txt"), "not a config");

    MainWindow window;
    auto *runMenu = window.findChild<RunMenu *>();
    ASSERT_NE(runMenu, nullptr);
    QMetaObject::invokeMethod(runMenu->recordMenu(), "aboutToShow");
    QStringList texts;
    for (QAction *action : runMenu->recordMenu()->actions()) {
        if (!action->isSeparator())
            texts << action->text() + (action->isEnabled() ? QString() : QStringLiteral(" (disabled)"));
    }
    EXPECT_EQ(texts, (QStringList{QStringLiteral("a"), QStringLiteral("broken (disabled)"),
                                  QStringLiteral("Probe on the fake GPU"), QStringLiteral("Config &File…")}));

    QStringList runActions;
    for (QAction *action : runMenu->menu()->actions()) {
        if (action->objectName() == QLatin1String("newRunConfigAction") || action->objectName() == QLatin1String("runConfigsAction")
            || action->objectName() == QLatin1String("runMatrixAction") || action->menu() == runMenu->recordMenu())
            runActions << action->text();
    }
    EXPECT_EQ(runActions, (QStringList{QStringLiteral("&New Run Configuration…"), QStringLiteral("Run &Configurations…"),
                                       QStringLiteral("&Record With"), QStringLiteral("Run &Matrix…")}));
    runMenu->menu()->popup(QPoint(0, 0));
    QTest::qWait(50);
    runMenu->menu()->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/runconfig_run_menu.png"));
    runMenu->menu()->hide();

    RunConfigsDialog list(&window);
    ASSERT_EQ(list.list()->topLevelItemCount(), 3);
    EXPECT_EQ(list.list()->topLevelItem(0)->text(RunConfigsDialog::TargetColumn), QStringLiteral("/bin/true"));
    EXPECT_TRUE(list.list()->topLevelItem(1)->text(RunConfigsDialog::TargetColumn).contains(QLatin1String("\"command\" must be an array")));
    EXPECT_EQ(list.list()->topLevelItem(2)->text(RunConfigsDialog::TargetColumn), QStringLiteral("probe preset"));
    list.show();
    QTest::qWait(50);
    list.grab().save(initscope::testing::artifactsDir() + QStringLiteral("/runconfig_list.png"));
}

TEST_F(RunConfigTest, RecordWithRunsTheCliOnTheSavedConfigAndOpensItsBundle)
{
    RunConfigDialog dialog;
    QTest::keyClicks(dialog.nameEdit(), QStringLiteral("greeting"));
    QTest::keyClicks(dialog.programEdit(), QStringLiteral("/bin/sh"));
    QTest::keyClicks(dialog.argumentsEdit(), QStringLiteral("-c \"echo $GREETING from $WHO; test -z $HIDDEN\""));
    dialog.addVariable(QStringLiteral("GREETING"), QStringLiteral("hello there"));
    dialog.addVariable(QStringLiteral("WHO"), QStringLiteral("the editor"));
    dialog.addVariable(QStringLiteral("HIDDEN"), QString(), true);
    const QString config = file(QStringLiteral("greeting.json"));
    QString error;
    ASSERT_TRUE(dialog.saveTo(config, &error)) << error.toStdString();

    qputenv("HIDDEN", "should not reach the target");
    MainWindow window;
    window.setErrorReporter([](const QString &path, const QString &message) {
        ADD_FAILURE() << path.toStdString() << ": " << message.toStdString();
    });
    auto *runMenu = window.findChild<RunMenu *>();
    ASSERT_NE(runMenu, nullptr);
    runMenu->setProgram(QStringLiteral(INITSCOPE_BIN_DIR "/initscope"));
    QSignalSpy opened(&window, &MainWindow::bundleOpened);
    const QString bundle = file(QStringLiteral("greeting.initscope"));
    RecordProgressDialog *progress = runMenu->record(config, bundle);
    ASSERT_NE(progress, nullptr);
    EXPECT_TRUE(opened.wait(30000)) << progress->log()->toPlainText().toStdString();
    qunsetenv("HIDDEN");
    ASSERT_EQ(opened.count(), 1);
    EXPECT_EQ(opened.first().first().toString(), QFileInfo(bundle).absoluteFilePath());
    EXPECT_EQ(window.pageCount(), 1);

    BundleError bundleError;
    auto reader = BundleReader::open(bundle, &bundleError);
    ASSERT_TRUE(reader) << bundleError.message.toStdString();
    const initscope::Run run = reader->runs().first();
    EXPECT_EQ(run.name, QStringLiteral("greeting"));
    EXPECT_EQ(run.exitCode.value_or(-1), 0) << "HIDDEN was unset";
    const QList<Process> processes = reader->processes(run.id);
    ASSERT_FALSE(processes.isEmpty());
    EXPECT_TRUE(processes.first().env.contains(QStringLiteral("GREETING=hello there")));
    QByteArray out;
    for (const OutputChunk &chunk : reader->output(processes.first().id))
        out += chunk.data;
    EXPECT_TRUE(out.contains("hello there from the editor")) << out.toStdString();
}

TEST_F(RunConfigTest, CancelledRecordingStaysOpenWithTheBundleOfWhatItRecorded)
{
    RecordOptions typed;
    typed.runName = QStringLiteral("sleeper");
    typed.command = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("echo waiting for nothing; exec sleep 30")};
    const QString config = file(QStringLiteral("sleeper.json"));
    QString error;
    ASSERT_TRUE(saveRecordConfig(config, recordConfigToJson(typed), &error)) << error.toStdString();

    MainWindow window;
    auto *runMenu = window.findChild<RunMenu *>();
    ASSERT_NE(runMenu, nullptr);
    runMenu->setProgram(QStringLiteral(INITSCOPE_BIN_DIR "/initscope"));
    QSignalSpy opened(&window, &MainWindow::bundleOpened);
    RecordProgressDialog *progress = runMenu->record(config, file(QStringLiteral("sleeper.initscope")));
    ASSERT_NE(progress, nullptr);
    QSignalSpy finished(progress, &RecordProgressDialog::finished);
    QElapsedTimer timer;
    timer.start();
    while (!progress->log()->toPlainText().contains(QLatin1String("waiting for nothing")) && timer.elapsed() < 20000)
        QTest::qWait(50);
    ASSERT_TRUE(progress->log()->toPlainText().contains(QLatin1String("waiting for nothing")))
        << "the target's output is shown as it comes";
    EXPECT_TRUE(progress->isRunning());
    QTest::mouseClick(progress->cancelButton(), Qt::LeftButton);
    ASSERT_TRUE(finished.wait(20000));
    EXPECT_TRUE(finished.first().at(1).toBool());
    EXPECT_LT(timer.elapsed(), 15000) << "stopped, not waited for";
    EXPECT_TRUE(progress->isVisible()) << "the dialog stays to say what happened";
    EXPECT_EQ(progress->statusLabel()->text(), QStringLiteral("Cancelled. The bundle keeps what was recorded until then."));
    EXPECT_TRUE(progress->openButton()->isEnabled());
    EXPECT_EQ(opened.count(), 0);
    progress->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/runconfig_record_cancelled.png"));
    QTest::mouseClick(progress->openButton(), Qt::LeftButton);
    EXPECT_EQ(opened.count(), 1);
    EXPECT_EQ(window.pageCount(), 1);
}
