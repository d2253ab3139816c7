// initscope diagnose FILE [--json] [--run ID]: the ranked findings of the diagnosis of every run
// of a bundle or of one. Documented in docs/diagnosis.md.
#include "commands.h"

#include "bundle.h"
#include "diagnosis.h"

#include <QCommandLineParser>
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

void writeStdout(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

int usageError(const QString &message)
{
    std::fprintf(stderr, "initscope diagnose: %s\nRun 'initscope diagnose --help' for usage.\n",
                 qPrintable(message));
    return ExitUsage;
}

// Not an error of the command: the bundle was read, but nothing in it explains a failure.
constexpr int ExitNoRootCause = 1;

} // namespace

int cmdDiagnose(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption jsonOption(QStringLiteral("json"));
    const QCommandLineOption runOption(QStringLiteral("run"), QString(), QStringLiteral("ID"));
    const QCommandLineOption helpOption(QStringList{QStringLiteral("h"), QStringLiteral("help")});
    parser.addOptions({jsonOption, runOption, helpOption});
    parser.addPositionalArgument(QStringLiteral("file"), QString());

    // QCommandLineParser takes the program name as the first element.
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

    std::optional<qint64> onlyRun;
    if (parser.isSet(runOption)) {
        bool ok = false;
        const qint64 id = parser.value(runOption).toLongLong(&ok);
        if (!ok)
            return usageError(
                QStringLiteral("--run needs a run id, not '%1'").arg(parser.value(runOption)));
        onlyRun = id;
    }

    BundleError error;
    const std::unique_ptr<BundleReader> reader = BundleReader::open(files.first(), &error);
    if (!reader) {
        // Scripts and users read exactly one line; a message must never spill over.
        QString message = error.message.simplified();
        if (message.isEmpty())
            message = QStringLiteral("%1: cannot open the bundle").arg(files.first());
        std::fprintf(stderr, "initscope: %s\n", qPrintable(message));
        return error.code == BundleError::Code::Missing ? ExitNoInput : ExitBadInput;
    }

    const QList<Run> runs = reader->runs();
    QList<Diagnosis> reports;
    if (onlyRun) {
        bool found = false;
        for (const Run &r : runs)
            found = found || r.id == *onlyRun;
        if (!found) {
            QStringList ids;
            for (const Run &r : runs)
                ids.append(QString::number(r.id));
            return usageError(QStringLiteral("%1 has no run with id %2 (runs: %3)")
                                  .arg(files.first())
                                  .arg(*onlyRun)
                                  .arg(ids.isEmpty() ? QStringLiteral("none")
                                                     : ids.join(QStringLiteral(", "))));
        }
        reports.append(diagnose(*reader, *onlyRun));
    } else {
        for (const Run &r : runs)
            reports.append(diagnose(*reader, r.id));
    }

    if (parser.isSet(jsonOption)) {
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
