// initscope report FILE [--json] [--run ID]: the process tree, exits, error lines and the last
// events before each failure, for every run of a bundle or for one. Documented in docs/cli.md.
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "report.h"

#include <QJsonDocument>

#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope report [--json] [--run ID] FILE\n"
    "\n"
    "Print the process tree, how each process ended, the output lines that look like\n"
    "errors and the last events before each failure of the runs in bundle FILE.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON document (format \"initscope-report\") instead of text\n"
    "  --run ID    report only the run with this id (default: every run)\n"
    "  -h, --help  show this help\n";

} // namespace

int cmdReport(const QStringList &args)
{
    int exitCode = ExitOk;
    const std::optional<BundleRuns> request =
        openBundleRuns(QStringLiteral("report"), kHelp, args, &exitCode);
    if (!request)
        return exitCode;
    const BundleReader *reader = request->reader.get();
    QList<Report> reports;
    for (qint64 id : request->runIds)
        reports.append(buildReport(*reader, id));

    if (request->json) {
        const QJsonObject doc =
            reportsToJson(reports, reader->path(), reader->formatVersion());
        writeStdout(QJsonDocument(doc).toJson(QJsonDocument::Indented));
    } else if (reports.isEmpty()) {
        writeStdout(QStringLiteral("%1 holds no runs.\n").arg(reader->path()).toUtf8());
    } else {
        QStringList texts;
        for (const Report &r : reports)
            texts.append(formatReportText(r));
        writeStdout(texts.join(QLatin1Char('\n')).toUtf8());
    }
    return std::fflush(stdout) == 0 ? ExitOk : ExitInternal;
}

} // namespace initscope::cli
