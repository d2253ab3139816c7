// initscope report FILE [--json] [--run ID]: the process tree, exits, error lines and the last
// events before each failure, for every run of a bundle or for one. Documented in docs/cli.md.
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "colour.h"
#include "redaction.h"
#include "report.h"

#include <QJsonDocument>

#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope report [--json] [--run ID] [--color=WHEN] [--redact OUT [--redact-name TEXT]...] FILE\n"
    "\n"
    "Print the process tree, how each process ended, the output lines that look like\n"
    "errors and the last events before each failure of the runs in bundle FILE.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON document (format \"initscope-report\") instead of text\n"
    "  --run ID    report only the run with this id (default: every run)\n"
    "  --redact OUT\n"
    "              first write a copy of FILE fit to share to OUT: the values of\n"
    "              secret-looking variables (TOKEN, SECRET, PASSWORD, KEY, AUTH, ...) and\n"
    "              URL passwords replaced by <redacted> in every environment, and those\n"
    "              values replaced wherever else they appear (arguments, output, files);\n"
    "              then report on the copy\n"
    "  --redact-name TEXT\n"
    "              with --redact: names containing TEXT are secret too (repeatable)\n"
    "  --color=WHEN\n"
    "              colour the text: auto (default: on a terminal, unless NO_COLOR is set),\n"
    "              always or never\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 reported, 64 bad command line, 65 a bundle that cannot be used,\n"
    "66 no such bundle, 73 the --redact copy cannot be written.\n"
    "\n"
    "examples:\n"
    "  initscope report ollama.initscope\n"
    "  initscope report --json --run 1 ollama.initscope\n"
    "  initscope report --redact share.initscope --redact-name HOOK ollama.initscope\n";

// Takes "--redact OUT", "--redact=OUT", "--redact-name TEXT" and "--redact-name=TEXT" out of
// args; false with *error when one lacks its value.
bool takeRedactOptions(QStringList *args, QString *out, QStringList *names, QString *error)
{
    // Whether args[i] is `option` with its value, which is taken out with it.
    auto take = [&](qsizetype i, QLatin1String option, QString *value) {
        const QString a = args->at(i);
        if (a == option && i + 1 < args->size()) {
            *value = args->at(i + 1);
            args->remove(i, 2);
            return true;
        }
        if (a.startsWith(option + QLatin1Char('='))) {
            *value = a.mid(option.size() + 1);
            args->remove(i);
            return true;
        }
        return false;
    };
    for (qsizetype i = 0; i < args->size() && args->at(i) != QLatin1String("--");) {
        QString value;
        if (take(i, QLatin1String("--redact"), &value)) {
            *out = value;
        } else if (take(i, QLatin1String("--redact-name"), &value)) {
            *names << value;
        } else if (args->at(i) == QLatin1String("--redact") || args->at(i) == QLatin1String("--redact-name")) {
            *error = QStringLiteral("%1 needs a value").arg(args->at(i));
            return false;
        } else {
            ++i;
        }
    }
    return true;
}

} // namespace

int cmdReport(const QStringList &args)
{
    int exitCode = ExitOk;
    QStringList rest = args;
    QString redactTo, why;
    QStringList redactNames;
    if (!takeColourOption(&rest, &why)) {
        std::fprintf(stderr, "initscope report: %s\nRun 'initscope report --help' for usage.\n", qPrintable(why));
        return ExitUsage;
    }
    if (!takeRedactOptions(&rest, &redactTo, &redactNames, &why)) {
        std::fprintf(stderr, "initscope report: %s\nRun 'initscope report --help' for usage.\n", qPrintable(why));
        return ExitUsage;
    }
    if (!redactNames.isEmpty() && redactTo.isEmpty()) {
        std::fprintf(stderr, "initscope report: --redact-name needs --redact OUT\n"
                             "Run 'initscope report --help' for usage.\n");
        return ExitUsage;
    }
    std::optional<BundleRuns> request = openBundleRuns(QStringLiteral("report"), kHelp, rest, &exitCode);
    if (!request)
        return exitCode;
    if (!redactTo.isEmpty()) {
        // The report is of the copy: what the user is about to share.
        const QString from = request->reader->path();
        request->reader.reset();
        RedactionPolicy policy;
        policy.namePatterns << redactNames;
        RedactionSummary summary;
        if (!redactBundleCopy(from, redactTo, policy, &summary, &why)) {
            printError(why);
            return ExitCantCreate;
        }
        BundleError error;
        request->reader = BundleReader::open(redactTo, &error);
        if (!request->reader) {
            printError(error.message);
            return ExitInternal;
        }
        printError(QStringLiteral("wrote %1 with %2 redacted").arg(redactTo, summary.describe()));
    }
    const BundleReader *reader = request->reader.get();
    QList<Report> reports;
    for (qint64 id : request->runIds)
        reports.append(buildReport(*reader, id));

    if (request->json) {
        const QJsonObject doc =
            reportsToJson(reports, reader->path(), reader->formatVersion());
        writeJson(doc);
    } else if (reports.isEmpty()) {
        writeStdout(QStringLiteral("%1 holds no runs.\n").arg(reader->path()).toUtf8());
    } else {
        QStringList texts;
        for (const Report &r : reports)
            texts.append(formatReportText(r));
        writeStyled(texts.join(QLatin1Char('\n')).toUtf8());
    }
    return std::fflush(stdout) == 0 ? ExitOk : ExitInternal;
}

} // namespace initscope::cli
