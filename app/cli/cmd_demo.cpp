// initscope demo: the embedded default job. Records initscope-probe (the GPU bring-up that
// ggml and Ollama perform), prints the report, and opens the bundle in the GUI when there is
// a display.
#include "commands.h"

#include "bundleruns.h"
#include "colour.h"

#include "bundle.h"
#include "recording.h"
#include "report.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

#include <cstdio>

namespace initscope::cli {

int recordAndSummarize(const RecordOptions &options, RecordResult *result, const QString &progressTask);

namespace {

// The fake GPU's default variant, in the build tree or installed beside the recorder.
QString findFakeGpu(const QString &binDir)
{
    for (const QString &rel : {QStringLiteral("../lib/fakegpu/default"),
                               QStringLiteral("../lib/initscope/fakegpu/default"),
                               QStringLiteral("../lib/x86_64-linux-gnu/initscope/fakegpu/default")}) {
        const QString dir = QDir::cleanPath(binDir + QLatin1Char('/') + rel);
        if (QFileInfo::exists(dir + QStringLiteral("/libcuda.so.1")))
            return dir;
    }
    return {};
}

} // namespace

int cmdDemo(const QStringList &arguments)
{
    QStringList args = arguments;
    if (QString why; !takeColourOption(&args, &why)) {
        std::fprintf(stderr, "initscope demo: %s\n", qPrintable(why));
        return ExitUsage;
    }
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Records initscope-probe against the fake GPU in the incident's mode (a shim without "
        "the runtime's private export tables), prints the report and opens the bundle in "
        "initscope-gui when a display is available."));
    // Not addHelpOption(): its --help-all lists Qt's own options, which mean nothing here.
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("Bundle to write (default: initscope-demo.initscope)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption noGui(QStringLiteral("no-gui"), QStringLiteral("Do not open the GUI."));
    // Taken out of the arguments above (colour.h); listed here for the help.
    const QCommandLineOption colour(QStringLiteral("color"),
                                    QStringLiteral("Colour the report: auto (default: on a terminal, unless NO_COLOR "
                                                   "is set), always or never."),
                                    QStringLiteral("WHEN"));
    parser.addOptions({output, noGui, colour});
    if (!parser.parse(QStringList{QStringLiteral("initscope demo")} + args)) {
        std::fprintf(stderr, "initscope demo: %s\n", qPrintable(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(help)) {
        // Qt names the program by its path; the command is what a user types.
        const QString text = parser.helpText().replace(QRegularExpression(QStringLiteral("^Usage: \\S+")),
                                                       QStringLiteral("usage: initscope demo"));
        std::printf("%s", qPrintable(text));
        std::printf("\nExit status: 0 the bundle was saved and reported, 70 initscope-probe, the fake GPU or the\n"
                    "recorder is missing, otherwise that of record.\n"
                    "\n"
                    "examples:\n"
                    "  initscope demo\n"
                    "  initscope demo --no-gui -o demo.initscope\n");
        return ExitOk;
    }
    const QString binDir = QCoreApplication::applicationDirPath();
    const QString probe = binDir + QStringLiteral("/initscope-probe");
    if (!QFileInfo(probe).isExecutable()) {
        std::fprintf(stderr, "initscope demo: %s is missing; build the initscope-probe target\n",
                     qPrintable(probe));
        return ExitInternal;
    }

    // The embedded default: the project's fake GPU in the incident's mode — a resolver that
    // hands out every entry point, but no private export tables.
    const QString fake = findFakeGpu(binDir);
    if (fake.isEmpty()) {
        std::fprintf(stderr, "initscope demo: the fake GPU (lib/fakegpu/default/libcuda.so.1) is missing; "
                             "build the fakegpu target\n");
        return ExitInternal;
    }
    RecordOptions options;
    options.command = {probe};
    options.shims = {{fake + QStringLiteral("/libcuda.so.1"), QString()},
                     {fake + QStringLiteral("/libnvidia-ml.so.1"), QString()}};
    options.setEnv = {QStringLiteral("INITSCOPE_FAKEGPU_MODE=no-export-tables")};
    options.outputPath = parser.isSet(output) ? parser.value(output)
                                              : QStringLiteral("initscope-demo.initscope");
    options.runName = QStringLiteral("demo: initscope-probe");
    options.forwardOutput = false; // the report shows it
    std::fprintf(stderr, "initscope demo: recording %s\n", qPrintable(probe));
    RecordResult result;
    const int status = recordAndSummarize(options, &result, QStringLiteral("recording initscope-probe"));
    if (result.status != RecordResult::Status::Saved)
        return status;

    BundleError error;
    auto reader = BundleReader::open(result.bundlePath, &error);
    if (!reader) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message));
        return ExitBadInput;
    }
    bool runtimeLoaded = false;
    for (const Run &run : reader->runs()) {
        writeStyled(formatReportText(buildReport(*reader, run.id)).toUtf8());
        for (const LibLoad &load : reader->libLoads(run.id))
            runtimeLoaded |= load.path.section(QLatin1Char('/'), -1).startsWith(QLatin1String("libcudart.so"));
    }
    std::fflush(stdout);
    if (!runtimeLoaded)
        std::fprintf(stderr, "initscope demo: no CUDA runtime (libcudart.so.*) is installed here, so the "
                             "demo shows the driver-level run only; with the runtime in "
                             "/usr/local/cuda/lib64 it shows the incident's export-table failure\n");

    const bool display = !qEnvironmentVariableIsEmpty("DISPLAY") ||
                         !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    const QString gui = binDir + QStringLiteral("/initscope-gui");
    if (!parser.isSet(noGui) && display && QFileInfo(gui).isExecutable()) {
        // Detached and without our stdout/stderr, so that a pipe reading the report ends
        // when the report does, not when the window is closed.
        QProcess viewer;
        viewer.setProgram(gui);
        viewer.setArguments({QFileInfo(result.bundlePath).absoluteFilePath()});
        viewer.setStandardInputFile(QProcess::nullDevice());
        viewer.setStandardOutputFile(QProcess::nullDevice());
        viewer.setStandardErrorFile(QProcess::nullDevice());
        if (viewer.startDetached())
            std::fprintf(stderr, "initscope demo: opened %s in initscope-gui\n",
                         qPrintable(result.bundlePath));
    } else if (!parser.isSet(noGui)) {
        std::fprintf(stderr, "initscope demo: no display; open it later with: %s %s\n",
                     qPrintable(gui), qPrintable(result.bundlePath));
    }
    // The probe failing is the expected result on a machine without a GPU driver: the demo
    // itself succeeded once the bundle is saved and reported.
    return ExitOk;
}

} // namespace initscope::cli
