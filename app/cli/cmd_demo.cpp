// initscope demo: the embedded default job. Records initscope-probe (the GPU bring-up that
// ggml and Ollama perform), prints the report, and opens the bundle in the GUI when there is
// a display.
#include "commands.h"

#include "bundle.h"
#include "recording.h"
#include "report.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>

#include <cstdio>

namespace initscope::cli {

int recordAndSummarize(const RecordOptions &options, RecordResult *result);

int cmdDemo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Records initscope-probe, prints the report and opens the bundle in initscope-gui "
        "when a display is available."));
    parser.addHelpOption();
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("Bundle to write (default: initscope-demo.initscope)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption noGui(QStringLiteral("no-gui"), QStringLiteral("Do not open the GUI."));
    parser.addOptions({output, noGui});
    if (!parser.parse(QStringList{QStringLiteral("initscope demo")} + args)) {
        std::fprintf(stderr, "initscope demo: %s\n", qPrintable(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::printf("%s", qPrintable(parser.helpText()));
        return ExitOk;
    }
    const QString binDir = QCoreApplication::applicationDirPath();
    const QString probe = binDir + QStringLiteral("/initscope-probe");
    if (!QFileInfo(probe).isExecutable()) {
        std::fprintf(stderr, "initscope demo: %s is missing; build the initscope-probe target\n",
                     qPrintable(probe));
        return ExitInternal;
    }

    RecordOptions options;
    options.command = {probe};
    options.outputPath = parser.isSet(output) ? parser.value(output)
                                              : QStringLiteral("initscope-demo.initscope");
    options.runName = QStringLiteral("demo: initscope-probe");
    options.forwardOutput = false; // the report shows it
    std::fprintf(stderr, "initscope demo: recording %s\n", qPrintable(probe));
    RecordResult result;
    const int status = recordAndSummarize(options, &result);
    if (result.status != RecordResult::Status::Saved)
        return status;

    BundleError error;
    auto reader = BundleReader::open(result.bundlePath, &error);
    if (!reader) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message));
        return ExitBadInput;
    }
    for (const Run &run : reader->runs())
        std::printf("%s", qPrintable(formatReportText(buildReport(*reader, run.id))));
    std::fflush(stdout);

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
