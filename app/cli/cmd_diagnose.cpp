// initscope diagnose FILE [--json] [--run ID]: the ranked findings of the diagnosis of every run
// of a bundle or of one. Documented in docs/diagnosis.md.
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "diagnosis.h"

#include <QJsonDocument>

#include <algorithm>
#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope diagnose [--json] [--run ID] FILE\n"
    "\n"
    "Say why the runs in bundle FILE failed to bring up the GPU: ranked findings, each\n"
    "with the failing step, its evidence, the consequence, the error line it explains,\n"
    "a fix and a confidence. Exit status 0 when a root cause was found, 1 when not.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON document (format \"initscope-diagnosis\") instead of text\n"
    "  --run ID    diagnose only the run with this id (default: every run)\n"
    "  -h, --help  show this help\n";



// Not an error of the command: the bundle was read, but nothing in it explains a failure.
constexpr int ExitNoRootCause = 1;

} // namespace

int cmdDiagnose(const QStringList &args)
{
    int exitCode = ExitOk;
    const std::optional<BundleRuns> request =
        openBundleRuns(QStringLiteral("diagnose"), kHelp, args, &exitCode);
    if (!request)
        return exitCode;
    const BundleReader *reader = request->reader.get();
    QList<Diagnosis> reports;
    for (qint64 id : request->runIds)
        reports.append(diagnose(*reader, id));

    if (request->json) {
        const QJsonObject doc = diagnosesToJson(reports, reader->path());
        writeStdout(QJsonDocument(doc).toJson(QJsonDocument::Indented));
    } else if (reports.isEmpty()) {
        writeStdout(QStringLiteral("%1 holds no runs.\n").arg(reader->path()).toUtf8());
    } else {
        QStringList texts;
        for (const Diagnosis &r : reports)
            texts.append(formatDiagnosisText(r));
        writeStdout(texts.join(QLatin1Char('\n')).toUtf8());
    }
    if (std::fflush(stdout) != 0)
        return ExitInternal;
    const bool rootCause = std::any_of(reports.begin(), reports.end(),
                                       [](const Diagnosis &r) { return r.hasRootCause(); });
    return rootCause ? ExitOk : ExitNoRootCause;
}

} // namespace initscope::cli
