// initscope retry BUNDLE [VARIATION]: record a recorded run again with one thing changed, and
// compare (docs/diff.md, Retries).
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "recording.h"
#include "retry.h"
#include "rundiff.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <cstdio>

namespace initscope::cli {

int recordAndSummarize(const RecordOptions &options, RecordResult *resultOut);

namespace {

constexpr char kHelp[] =
    "usage: initscope retry [--run N] BUNDLE                  list the variations worth trying\n"
    "       initscope retry [--run N] [--yes] [-o FILE] BUNDLE VARIATION\n"
    "\n"
    "Record the run again with one thing changed (without the shims, each shim alone, another\n"
    "fake-GPU mode, CUDA_VISIBLE_DEVICES, OLLAMA_LLM_LIBRARY, LD_BIND_NOW, another injection\n"
    "mechanism), then print how the new run differs from the original. A run recorded on\n"
    "another machine is not run without --yes: its command and environment are shown first.\n"
    "\n"
    "options:\n"
    "  --run N     the run of BUNDLE to retry (default: the first)\n"
    "  -o FILE     the new bundle (default: BUNDLE's name with .retry-VARIATION)\n"
    "  --yes       run a retry of a bundle recorded on another machine\n"
    "A retry without a timeout of its own gets 60 s.\n"
    "  -h, --help  show this help\n";

int usage(const QString &message)
{
    std::fprintf(stderr, "initscope retry: %s\nRun 'initscope retry --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

} // namespace

int cmdRetry(const QStringList &args)
{
    QStringList positional;
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
        } else if (a == QLatin1String("--run") || a == QLatin1String("-o")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            const QString value = args[++i];
            if (a == QLatin1String("-o")) {
                output = value;
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
    const QString bundle = positional.first();
    if (!QFileInfo::exists(bundle)) {
        std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(bundle));
        return ExitNoInput;
    }
    BundleError error;
    std::unique_ptr<BundleReader> reader = BundleReader::open(bundle, &error);
    if (!reader) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message.simplified()));
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
        std::fprintf(stderr, "initscope: %s run %lld cannot be retried: %s\n", qPrintable(bundle),
                     static_cast<long long>(run.id), qPrintable(why));
        return ExitBadInput;
    }
    const QList<RetryVariation> variations = retryVariations(original);
    if (positional.size() == 1) {
        QString out = QStringLiteral("Variations of %1 run %2 (%3):\n").arg(bundle).arg(run.id).arg(run.name);
        for (const RetryVariation &v : variations)
            out += QStringLiteral("  %1  %2\n").arg(v.id.leftJustified(26), v.title);
        writeStdout(out.toUtf8());
        return ExitOk;
    }
    const QString id = positional[1];
    const auto it = std::find_if(variations.begin(), variations.end(), [&](const RetryVariation &v) { return v.id == id; });
    if (it == variations.end())
        return usage(QStringLiteral("no variation \"%1\" for this run (list them with: initscope retry %2)").arg(id, bundle));
    RecordOptions options = it->options;
    const QString here = QSysInfo::machineHostName();
    if (run.hostname != here && !yes) {
        writeStdout(QStringLiteral("%1 was recorded on %2, not on this machine (%3). The retry would run:\n%4"
                                   "Nothing was run. Add --yes to run it here.\n")
                        .arg(bundle, run.hostname, here, describeRetry(options))
                        .toUtf8());
        return 1;
    }
    options.outputPath = output.isEmpty()
                             ? QFileInfo(bundle).dir().filePath(QStringLiteral("%1.retry-%2.initscope").arg(QFileInfo(bundle).completeBaseName(), id))
                             : output;
    QFile::remove(options.outputPath);
    options.forwardOutput = false;
    if (!options.timeoutSeconds)
        options.timeoutSeconds = 60; // a variation may hang (that can be what it shows)
    RecordResult result;
    recordAndSummarize(options, &result);
    if (result.status != RecordResult::Status::Saved)
        return ExitInternal;
    std::unique_ptr<BundleReader> retried = BundleReader::open(result.bundlePath, &error);
    if (!retried || retried->runs().isEmpty()) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message.simplified()));
        return ExitInternal;
    }
    const RunDiff diff = diffRuns({reader.get(), run.id, QStringLiteral("%1 run %2 (original)").arg(bundle).arg(run.id)},
                                  {retried.get(), retried->runs().first().id, QStringLiteral("%1 (%2)").arg(result.bundlePath, it->title)});
    writeStdout(formatRunDiffText(diff).toUtf8());
    return ExitOk;
}

} // namespace initscope::cli
