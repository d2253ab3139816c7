// initscope diff A B: two runs aligned, the first divergence first (docs/diff.md).
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "colour.h"
#include "displaytext.h"
#include "references.h"
#include "rundiff.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope diff [--run N] [--run M] [--json] [--color=WHEN] A B\n"
    "       initscope diff --reference [--run N] [--json] [--color=WHEN] A\n"
    "\n"
    "Align two recorded runs and show where they part: the first divergence (a call made in\n"
    "one run only, a different result, a different answering library), every other call\n"
    "difference, library, environment, config and output differences and the two diagnoses.\n"
    "A and B are bundles, possibly the same file. The first --run picks A's run, the second\n"
    "B's (default: the first run of A, and of B the first run, or the second when A and B are\n"
    "the same file). Exit status 0 when the runs are equivalent, 1 when they differ, 2 on error.\n"
    "\n"
    "options:\n"
    "  --run N     the run to compare (once for A, once more for B)\n"
    "  --reference compare A with the recording of the same program on a real driver\n"
    "              (resources/reference; $INITSCOPE_REFERENCE_DIR adds a folder)\n"
    "  --json      print one JSON document (format \"initscope-diff\")\n"
    "  --color=WHEN\n"
    "              colour the text: auto (default: on a terminal, unless NO_COLOR is set),\n"
    "              always or never\n"
    "  -h, --help  show this help\n"
    "\n"
    "examples:\n"
    "  initscope diff before.initscope after.initscope\n"
    "  initscope diff --run 1 --run 2 ollama.initscope ollama.initscope\n"
    "  initscope diff --reference --json ollama.initscope\n";

constexpr int kExitDiffError = 2;

int fail(const QString &message)
{
    // The message may name a file or quote a bundle: one line, escaped.
    std::fprintf(stderr, "initscope diff: %s\n", qPrintable(display::elide(message.simplified(), 600)));
    return kExitDiffError;
}

} // namespace

int cmdDiff(const QStringList &arguments)
{
    QStringList args = arguments;
    if (QString why; !takeColourOption(&args, &why))
        return fail(why);
    QStringList files;
    QList<qint64> runs;
    bool json = false, reference = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            writeStdout(kHelp);
            return ExitOk;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a == QLatin1String("--reference")) {
            reference = true;
        } else if (a == QLatin1String("--run")) {
            bool ok = false;
            const qint64 id = i + 1 < args.size() ? args[++i].toLongLong(&ok) : 0;
            if (!ok || id < 1)
                return fail(QStringLiteral("--run needs a run id (1, 2, ...)"));
            if (runs.size() == 2)
                return fail(QStringLiteral("--run is given at most twice (A's run, then B's)"));
            runs.append(id);
        } else if (a.startsWith(QLatin1Char('-')) && a.size() > 1) {
            return fail(QStringLiteral("unknown option %1").arg(a));
        } else {
            files.append(a);
        }
    }
    if (reference) {
        if (files.size() != 1)
            return fail(QStringLiteral("--reference compares one bundle, A, with the matching reference"));
        BundleError error;
        const auto a = BundleReader::open(files.first(), &error);
        if (!QFileInfo::exists(files.first()))
            return fail(QStringLiteral("%1: no such file").arg(files.first()));
        if (!a || a->runs().isEmpty())
            return fail(a ? QStringLiteral("%1 holds no runs").arg(files.first()) : error.message.simplified());
        const QString program = programOfRun(*a, runs.isEmpty() ? a->runs().first().id : runs.first());
        const QString found = findReference(program);
        if (found.isEmpty())
            return fail(QStringLiteral("no reference recording of %1 (looked in %2)").arg(program, referenceDirs().join(QStringLiteral(", "))));
        files.append(found);
        runs = runs.mid(0, 1);
    }
    if (files.size() != 2)
        return fail(QStringLiteral("give two bundles, A and B (the same file twice to compare two of its runs)"));
    std::unique_ptr<BundleReader> readers[2];
    for (int i = 0; i < 2; ++i) {
        if (!QFileInfo::exists(files[i]))
            return fail(QStringLiteral("%1: no such file").arg(files[i]));
        BundleError error;
        readers[i] = BundleReader::open(files[i], &error);
        if (!readers[i])
            return fail(error.message.simplified());
    }
    const bool sameFile = QFileInfo(files[0]).canonicalFilePath() == QFileInfo(files[1]).canonicalFilePath();
    qint64 ids[2] = {-1, -1};
    for (int i = 0; i < 2; ++i) {
        const QList<Run> all = readers[i]->runs();
        if (all.isEmpty())
            return fail(QStringLiteral("%1 holds no runs").arg(files[i]));
        if (i < runs.size())
            ids[i] = runs[i];
        else
            ids[i] = (i == 1 && sameFile && all.size() > 1 && ids[0] == all.first().id) ? all[1].id : all.first().id;
        if (std::none_of(all.begin(), all.end(), [&](const Run &r) { return r.id == ids[i]; }))
            return fail(QStringLiteral("%1 has no run %2").arg(files[i]).arg(ids[i]));
    }
    const RunDiff diff = diffRuns({readers[0].get(), ids[0], QStringLiteral("%1 run %2").arg(files[0]).arg(ids[0])},
                                  {readers[1].get(), ids[1], QStringLiteral("%1 run %2").arg(files[1]).arg(ids[1])},
                                  DiffOptions{!reference});
    if (json)
        writeJson(runDiffToJson(diff));
    else
        writeStyled(formatRunDiffText(diff).toUtf8());
    if (std::fflush(stdout) != 0)
        return kExitDiffError;
    return diff.equivalent() ? ExitOk : 1;
}

} // namespace initscope::cli
