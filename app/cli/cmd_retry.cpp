// initscope retry BUNDLE [VARIATION]: record a recorded run again with one thing changed, add it
// to the same bundle, and compare it with the original (docs/diff.md, Retries).
#include "commands.h"
#include "origin.h"

#include "bundle.h"
#include "bundleruns.h"
#include "colour.h"
#include "displaytext.h"
#include "recording.h"
#include "retry.h"
#include "rundiff.h"

#include <QFileInfo>
#include <QSysInfo>

#include <cstdio>
#include <unistd.h>

namespace initscope::cli {

int recordAndSummarize(const RecordOptions &options, RecordResult *resultOut, const QString &progressTask);

namespace {

constexpr char kHelp[] =
    "usage: initscope retry [--run N] BUNDLE                  list the variations worth trying\n"
    "       initscope retry [--run N] [--yes] [-o FILE] [--env K=V]... [--unset K]... [--color=WHEN] BUNDLE VARIATION\n"
    "\n"
    "Record the run again with one thing changed (without the shims, each shim alone, another\n"
    "fake-GPU mode, CUDA_VISIBLE_DEVICES, OLLAMA_LLM_LIBRARY, LD_BIND_NOW, another injection\n"
    "mechanism, or as-recorded with nothing changed), add it to BUNDLE as a new run, and print\n"
    "how it differs from the original. A run recorded on another machine is not run before its\n"
    "command and environment are shown and a person said yes (or --yes was given).\n"
    "\n"
    "options:\n"
    "  --run N      the run of BUNDLE to retry (default: the first)\n"
    "  --env K=V    also set K=V for the retry (repeatable)\n"
    "  --unset K    also remove K from the retry's environment (repeatable)\n"
    "  -o FILE      write the retry to a new bundle FILE instead of adding it to BUNDLE\n"
    "  --yes        run a retry of a bundle recorded on another machine without asking\n"
    "  --color=WHEN colour the comparison: auto (default: on a terminal, unless NO_COLOR is\n"
    "               set), always or never\n"
    "  -h, --help   show this help\n"
    "A retry without a timeout of its own gets 60 s.\n"
    "\n"
    "Exit status: 0 retry stored and compared, 1 a retry from another machine not confirmed,\n"
    "64 bad command line or variation, 65 the bundle or run cannot be used, 66 no such bundle,\n"
    "70 the recording failed, 130 interrupted (nothing added).\n"
    "\n"
    "examples:\n"
    "  initscope retry ollama.initscope\n"
    "  initscope retry --run 1 ollama.initscope without-shims\n"
    "  initscope retry --env CUDA_VISIBLE_DEVICES=0 -o retry.initscope ollama.initscope as-recorded\n";

int usage(const QString &message)
{
    std::fprintf(stderr, "initscope retry: %s\nRun 'initscope retry --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

// Asks on the terminal; false when the answer is not yes or there is no terminal to ask on.
bool confirmOnTerminal()
{
    if (!::isatty(STDIN_FILENO)) {
        writeStdout("Not asking: standard input is not a terminal.\n"
                    "Nothing was run. Add --yes to run it here.\n");
        return false;
    }
    writeStdout("Run it here? [y/N] ");
    std::fflush(stdout);
    char line[64] = {};
    const bool yes = std::fgets(line, sizeof line, stdin) &&
                     (QByteArray(line).trimmed().toLower() == "y" || QByteArray(line).trimmed().toLower() == "yes");
    if (!yes)
        writeStdout("Nothing was run.\n");
    return yes;
}

} // namespace

int cmdRetry(const QStringList &arguments)
{
    QStringList args = arguments;
    if (QString why; !takeColourOption(&args, &why))
        return usage(why);
    QStringList positional, setEnv, unsetEnv;
    qint64 runId = -1;
    QString output;
    bool yes = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            writeStdout(kHelp);
            return ExitOk;
        } else if (a == QLatin1String("--yes")) {
            yes = true;
        } else if (a == QLatin1String("--run") || a == QLatin1String("-o") || a == QLatin1String("--env") ||
                   a == QLatin1String("--unset")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            const QString value = args[++i];
            if (a == QLatin1String("-o")) {
                output = value;
            } else if (a == QLatin1String("--env")) {
                setEnv << value;
            } else if (a == QLatin1String("--unset")) {
                unsetEnv << value;
            } else {
                bool ok = false;
                runId = value.toLongLong(&ok);
                if (!ok || runId < 1)
                    return usage(QStringLiteral("--run needs a run id (1, 2, ...)"));
            }
        } else if (a.startsWith(QLatin1Char('-')) && a.size() > 1) {
            return usage(QStringLiteral("unknown option %1").arg(a));
        } else {
            positional.append(a);
        }
    }
    if (positional.isEmpty() || positional.size() > 2)
        return usage(QStringLiteral("give a bundle, and a variation to run"));
    if (positional.size() == 1 && (!setEnv.isEmpty() || !unsetEnv.isEmpty()))
        return usage(QStringLiteral("--env and --unset go with a variation (as-recorded for none)"));
    const QString bundle = positional.first();
    if (!QFileInfo::exists(bundle)) {
        std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(bundle));
        return ExitNoInput;
    }
    BundleError error;
    std::unique_ptr<BundleReader> reader = BundleReader::open(bundle, &error);
    if (!reader) {
        printError(error.message);
        return ExitBadInput;
    }
    Run run;
    for (const Run &r : reader->runs())
        if (runId < 0 ? run.id < 0 : r.id == runId)
            run = r;
    if (run.id < 0) {
        std::fprintf(stderr, "initscope: %s has no run %lld\n", qPrintable(bundle), static_cast<long long>(runId));
        return ExitBadInput;
    }
    RecordOptions original;
    QString why;
    if (!optionsOfRun(run.configJson, &original, &why)) {
        printError(QStringLiteral("%1 run %2 cannot be retried: %3").arg(bundle, QString::number(run.id), why));
        return ExitBadInput;
    }
    const QList<RetryVariation> variations = retryVariations(original);
    if (positional.size() == 1) {
        QString out = QStringLiteral("Variations of %1 run %2 (%3):\n")
                          .arg(display::elide(bundle, 600), QString::number(run.id), display::elide(run.name, 200));
        for (const RetryVariation &v : variations)
            out += QStringLiteral("  %1  %2\n").arg(v.id.leftJustified(26), v.title);
        writeStdout(out.toUtf8());
        return ExitOk;
    }
    const QString id = positional[1];
    const auto it = std::find_if(variations.begin(), variations.end(), [&](const RetryVariation &v) { return v.id == id; });
    if (it == variations.end())
        return usage(QStringLiteral("no variation \"%1\" for this run (list them with: initscope retry %2)").arg(id, bundle));
    RetryVariation variation = *it;
    if (!applyEnvironmentEdits(&variation, setEnv, unsetEnv, &why))
        return usage(why);
    RecordOptions &options = variation.options;
    options.fallbackTimeoutSeconds = kRetryTimeoutSeconds;
    const QString here = QSysInfo::machineHostName();
    if (!recordedHere(*reader, run) && !yes) {
        // Every value shown is the bundle's, escaped (core/displaytext.h): what is read here is
        // what would run, byte for byte, with nothing hidden or reordered.
        QStringList changes;
        for (const QString &change : retryChanges(original, options))
            changes << display::elide(change, 600);
        // A bundle that names this host but lacks the mark was written by someone else, or
        // changed since (core/origin.h): as foreign as one from another machine.
        const QString where =
            run.hostname == here
                ? QStringLiteral("names this machine (%1) but carries no mark of a run recorded here by this user, so "
                                 "it may come from someone else")
                      .arg(display::escape(here))
                : QStringLiteral("was recorded on %1, not on this machine (%2)")
                      .arg(run.hostname.isEmpty() ? QStringLiteral("an unnamed machine") : display::elide(run.hostname, 200),
                           display::escape(here));
        writeStdout(QStringLiteral("%1 %2. The retry would run:\n%3Changed from the recorded run: %4\n")
                        .arg(display::elide(bundle, 600), where, describeRetry(options),
                             changes.isEmpty() ? QStringLiteral("nothing") : changes.join(QStringLiteral("; ")))
                        .toUtf8());
        if (!confirmOnTerminal())
            return 1;
    }
    const bool append = output.isEmpty();
    options.outputPath = append ? bundle : output;
    options.appendToOutput = append;
    options.keepCancelledRun = false; // a cancelled retry shows nothing; it adds no run
    options.forwardOutput = false;
    RecordResult result;
    recordAndSummarize(options, &result, QStringLiteral("retrying %1").arg(variation.id));
    if (result.status != RecordResult::Status::Saved)
        return result.launch.cancelled ? 130 : ExitInternal;
    std::unique_ptr<BundleReader> retried = BundleReader::open(result.bundlePath, &error);
    if (!retried) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message.simplified()));
        return ExitInternal;
    }
    writeStdout(QStringLiteral("%1 run %2 (%3) to %4: %5.\n")
                    .arg(append ? QStringLiteral("Added") : QStringLiteral("Saved the retry as"))
                    .arg(result.runId)
                    .arg(options.runName, result.bundlePath, variation.title)
                    .toUtf8());
    // The original is read from the file as it was opened above; the new run from the file now.
    const RunDiff diff = diffRuns({reader.get(), run.id, QStringLiteral("%1 run %2 (original)").arg(bundle).arg(run.id)},
                                  {retried.get(), result.runId, QStringLiteral("%1 run %2 (%3)").arg(result.bundlePath).arg(result.runId).arg(variation.title)});
    writeStyled(formatRunDiffText(diff).toUtf8());
    return ExitOk;
}

} // namespace initscope::cli
