// initscope export --format chrome|html|markdown [--run ID] [-o OUT] FILE: a bundle as a Chrome
// trace, an HTML report or a Markdown summary (core/export.h). Documented in docs/cli.md and
// docs/export.md.
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "export.h"
#include "progress.h"

#include <QCommandLineParser>
#include <QFile>
#include <QSaveFile>

#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope export [--format chrome|html|markdown] [--run ID] [-o OUT] FILE\n"
    "\n"
    "Write the runs of bundle FILE in a form to share with people who do not run InitScope:\n"
    "  chrome    Chrome trace-event JSON for Perfetto UI (ui.perfetto.dev) and\n"
    "            chrome://tracing: one track per process and thread, every call a slice,\n"
    "            library loads, process events, error lines and findings as instants\n"
    "  html      one self-contained HTML file for a support ticket: diagnosis with\n"
    "            evidence, timeline picture, processes, error lines, library loads\n"
    "  markdown  a short summary to paste into an issue: diagnosis, error lines,\n"
    "            processes\n"
    "\n"
    "options:\n"
    "  --format F   chrome, html or markdown (default: from OUT's extension, .json,\n"
    "               .html or .md)\n"
    "  --run ID     export only the run with this id (default: every run)\n"
    "  -o, --output OUT\n"
    "               file to write, replaced only once it is complete; '-' or none:\n"
    "               standard output\n"
    "  -h, --help   show this help\n"
    "\n"
    "examples:\n"
    "  initscope export -o trace.json ollama.initscope\n"
    "  initscope export -o ticket.html --run 2 ollama.initscope\n"
    "  initscope export --format markdown ollama.initscope | xclip -selection clipboard\n";

int usageError(const QString &message)
{
    std::fprintf(stderr, "initscope export: %s\nRun 'initscope export --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

} // namespace

int cmdExport(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption formatOption(QStringLiteral("format"), QString(), QStringLiteral("F"));
    const QCommandLineOption runOption(QStringLiteral("run"), QString(), QStringLiteral("ID"));
    const QCommandLineOption outputOption(QStringList{QStringLiteral("o"), QStringLiteral("output")}, QString(),
                                          QStringLiteral("OUT"));
    const QCommandLineOption helpOption(QStringList{QStringLiteral("h"), QStringLiteral("help")});
    parser.addOptions({formatOption, runOption, outputOption, helpOption});
    parser.addPositionalArgument(QStringLiteral("file"), QString());
    if (!parser.parse(QStringList{QStringLiteral("initscope")} + args))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption)) {
        writeStdout(QByteArray(kHelp));
        return ExitOk;
    }
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        return usageError(QStringLiteral("no bundle file given"));
    if (files.size() > 1)
        return usageError(QStringLiteral("one bundle file at a time (got %1)").arg(files.size()));
    const QString output = parser.value(outputOption);
    const bool toStdout = output.isEmpty() || output == QLatin1String("-");

    std::optional<ExportFormat> format;
    if (parser.isSet(formatOption)) {
        format = exportFormatFromName(parser.value(formatOption));
        if (!format)
            return usageError(QStringLiteral("unknown format '%1' (chrome, html or markdown)").arg(parser.value(formatOption)));
    } else if (!toStdout) {
        format = exportFormatForPath(output);
        if (!format)
            return usageError(QStringLiteral("cannot tell the format from '%1': give --format chrome|html|markdown "
                                             "or name it .json, .html or .md").arg(output));
    } else {
        return usageError(QStringLiteral("say which format: --format chrome|html|markdown (or -o OUT.json|.html|.md)"));
    }

    std::optional<qint64> onlyRun;
    if (parser.isSet(runOption)) {
        bool ok = false;
        onlyRun = parser.value(runOption).toLongLong(&ok);
        if (!ok)
            return usageError(QStringLiteral("--run needs a run id, not '%1'").arg(parser.value(runOption)));
    }

    BundleError bundleError;
    std::unique_ptr<BundleReader> reader = BundleReader::open(files.first(), &bundleError);
    if (!reader) {
        printError(bundleError.message.isEmpty() ? QStringLiteral("%1: cannot open the bundle").arg(files.first())
                                                 : bundleError.message);
        return bundleError.code == BundleError::Code::Missing ? ExitNoInput : ExitBadInput;
    }
    ExportOptions options;
    if (onlyRun) {
        QStringList ids;
        for (const Run &r : reader->runs())
            ids.append(QString::number(r.id));
        if (!ids.contains(QString::number(*onlyRun)))
            return usageError(QStringLiteral("%1 has no run with id %2 (runs: %3)")
                                  .arg(files.first())
                                  .arg(*onlyRun)
                                  .arg(ids.isEmpty() ? QStringLiteral("none") : ids.join(QStringLiteral(", "))));
        options.runIds = {*onlyRun};
    }

    // The output first: a file that cannot be created is said before any work.
    QSaveFile file(toStdout ? QString() : output);
    QFile standardOutput;
    QIODevice *device = nullptr;
    if (toStdout) {
        std::fflush(stdout);
        if (!standardOutput.open(stdout, QIODevice::WriteOnly)) {
            printError(QStringLiteral("cannot write to standard output"));
            return ExitCantCreate;
        }
        device = &standardOutput;
    } else {
        if (!file.open(QIODevice::WriteOnly)) {
            printError(QStringLiteral("cannot write %1: %2").arg(output, file.errorString()));
            return ExitCantCreate;
        }
        device = &file;
    }

    Progress progress(QStringLiteral("exporting %1").arg(exportFormatName(*format)), 0,
                      *format == ExportFormat::ChromeTrace ? QStringLiteral("events") : QStringLiteral("runs"));
    options.progress = [&progress](qint64 done, qint64 total) {
        progress.setTotal(total);
        progress.update(done);
    };
    QString error;
    const bool ok = writeExport(*format, *reader, options, device, &error);
    progress.clear();
    if (!ok) {
        if (!toStdout)
            file.cancelWriting();
        printError(error);
        // A bundle that could not be read to the end is the input's fault; anything else is
        // the output's.
        return reader->queryError() ? ExitBadInput : ExitCantCreate;
    }
    if (toStdout) {
        if (!standardOutput.flush()) {
            printError(QStringLiteral("the export could not be written to standard output"));
            return ExitCantCreate;
        }
        return ExitOk;
    }
    if (!file.commit()) {
        printError(QStringLiteral("cannot write %1: %2").arg(output, file.errorString()));
        return ExitCantCreate;
    }
    return ExitOk;
}

} // namespace initscope::cli
