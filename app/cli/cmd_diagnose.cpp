// initscope diagnose FILE [--json] [--run ID]: the ranked findings of the diagnosis of every run
// of a bundle or of one. initscope diagnose --ollama-log LOG [--json] [--save BUNDLE]: the same
// for a server log a user sent, imported as a bundle first. Documented in docs/diagnosis.md and
// docs/cli.md.
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "colour.h"
#include "diagnosis.h"
#include "ollamaimport.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope diagnose [--json] [--run ID] [--color=WHEN] FILE\n"
    "       initscope diagnose --ollama-log LOG [--json] [--save BUNDLE] [--color=WHEN]\n"
    "\n"
    "Say why the runs in bundle FILE failed to bring up the GPU: ranked findings, each\n"
    "with the failing step, its evidence, the consequence, the error line it explains,\n"
    "a fix and a confidence. Exit status 0 when a root cause was found, 1 when not.\n"
    "\n"
    "With --ollama-log, LOG is an Ollama server log (plain, journalctl or docker logs\n"
    "output) or llama.cpp output, with no recorded run: it is imported as a bundle of\n"
    "one run (the server and the runners it started) and diagnosed the same way.\n"
    "\n"
    "options:\n"
    "  --json              print one JSON document (format \"initscope-diagnosis\") instead of text\n"
    "  --run ID            diagnose only the run with this id (default: every run)\n"
    "  --ollama-log LOG    diagnose a server log instead of a bundle\n"
    "  --save BUNDLE       with --ollama-log: keep the imported bundle as BUNDLE\n"
    "  --color=WHEN        colour the text: auto (default: on a terminal, unless NO_COLOR is\n"
    "                      set), always or never\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 a root cause was found, 1 none was found, 64 bad command line, 65 a bundle\n"
    "or log that cannot be used, 66 no such file, 73 --save cannot be written.\n"
    "\n"
    "examples:\n"
    "  initscope diagnose ollama.initscope\n"
    "  initscope diagnose --json --run 1 ollama.initscope\n"
    "  initscope diagnose --ollama-log ollama.log --save ollama-log.initscope\n";



// Not an error of the command: the bundle was read, but nothing in it explains a failure.
constexpr int ExitNoRootCause = 1;

void printDiagnoses(const QList<Diagnosis> &reports, const QString &bundlePath, bool json,
                    const QJsonObject &extra = {})
{
    if (json) {
        QJsonObject doc = diagnosesToJson(reports, bundlePath);
        for (auto it = extra.begin(); it != extra.end(); ++it)
            doc.insert(it.key(), it.value());
        writeJson(doc);
    } else if (reports.isEmpty()) {
        writeStdout(QStringLiteral("%1 holds no runs.\n").arg(bundlePath).toUtf8());
    } else {
        QStringList texts;
        for (const Diagnosis &r : reports)
            texts.append(formatDiagnosisText(r));
        writeStyled(texts.join(QLatin1Char('\n')).toUtf8());
    }
}

int exitFor(const QList<Diagnosis> &reports)
{
    if (std::fflush(stdout) != 0)
        return ExitInternal;
    const bool rootCause = std::any_of(reports.begin(), reports.end(),
                                       [](const Diagnosis &r) { return r.hasRootCause(); });
    return rootCause ? ExitOk : ExitNoRootCause;
}

bool wantsOllamaLog(const QStringList &args)
{
    return std::any_of(args.begin(), args.end(), [](const QString &a) {
        return a == QLatin1String("--ollama-log") || a.startsWith(QLatin1String("--ollama-log="));
    });
}

// initscope diagnose --ollama-log LOG [--json] [--save BUNDLE]
int diagnoseOllamaLog(const QStringList &args)
{
    auto usageError = [](const QString &message) {
        std::fprintf(stderr, "initscope diagnose: %s\nRun 'initscope diagnose --help' for usage.\n",
                     qPrintable(message));
        return int(ExitUsage);
    };
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption logOption(QStringLiteral("ollama-log"), QString(), QStringLiteral("LOG"));
    const QCommandLineOption saveOption(QStringLiteral("save"), QString(), QStringLiteral("BUNDLE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"));
    const QCommandLineOption helpOption(QStringList{QStringLiteral("h"), QStringLiteral("help")});
    parser.addOptions({logOption, saveOption, jsonOption, helpOption});
    if (!parser.parse(QStringList{QStringLiteral("initscope")} + args))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption)) {
        writeStdout(QByteArray(kHelp));
        return ExitOk;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("--ollama-log takes the log instead of a bundle FILE (got %1)")
                              .arg(parser.positionalArguments().join(QLatin1Char(' '))));
    if (parser.values(logOption).size() > 1)
        return usageError(QStringLiteral("one --ollama-log at a time"));
    const QString logPath = parser.value(logOption);
    if (logPath.isEmpty())
        return usageError(QStringLiteral("--ollama-log needs the path of a log"));

    std::optional<QTemporaryDir> scratch; // holds the bundle when it is not to be kept
    QString bundlePath = parser.value(saveOption);
    const bool saved = !bundlePath.isEmpty();
    if (!saved) {
        scratch.emplace();
        if (!scratch->isValid()) {
            std::fprintf(stderr, "initscope: cannot create a temporary folder for the imported log: %s\n",
                         qPrintable(scratch->errorString()));
            return ExitCantCreate;
        }
        bundlePath = scratch->filePath(QStringLiteral("imported.initscope"));
    }

    OllamaImportError error;
    if (!importOllamaLog(logPath, bundlePath, &error)) {
        // Scripts and users read exactly one line.
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error.message.simplified()));
        switch (error.code) {
        case OllamaImportError::Code::Missing:
            return ExitNoInput;
        case OllamaImportError::Code::CannotWrite:
            return ExitCantCreate;
        case OllamaImportError::Code::Unreadable:
        case OllamaImportError::Code::Empty:
        case OllamaImportError::Code::NotALog:
            break;
        }
        return ExitBadInput;
    }
    BundleError bundleError;
    const std::unique_ptr<BundleReader> reader = BundleReader::open(bundlePath, &bundleError);
    if (!reader) {
        printError(bundleError.message);
        return ExitInternal;
    }
    QList<Diagnosis> reports;
    for (const Run &r : reader->runs())
        reports.append(diagnose(*reader, r.id));
    const QString logAbsolute = QFileInfo(logPath).absoluteFilePath();
    // "bundle" names the saved bundle; without --save it names the log, the only file that stays.
    for (Diagnosis &d : reports)
        d.bundlePath = saved ? bundlePath : logAbsolute;
    printDiagnoses(reports, saved ? bundlePath : logAbsolute, parser.isSet(jsonOption),
                   QJsonObject{{QStringLiteral("ollamaLog"), logAbsolute},
                               {QStringLiteral("savedBundle"), saved ? QJsonValue(bundlePath) : QJsonValue()}});
    if (saved)
        std::fprintf(stderr, "initscope: imported %s -> %s\n", qPrintable(QDir::toNativeSeparators(logAbsolute)),
                     qPrintable(bundlePath));
    return exitFor(reports);
}

} // namespace

int cmdDiagnose(const QStringList &arguments)
{
    QStringList args = arguments;
    QString why;
    if (!takeColourOption(&args, &why)) {
        std::fprintf(stderr, "initscope diagnose: %s\nRun 'initscope diagnose --help' for usage.\n", qPrintable(why));
        return ExitUsage;
    }
    if (wantsOllamaLog(args))
        return diagnoseOllamaLog(args);
    int exitCode = ExitOk;
    const std::optional<BundleRuns> request =
        openBundleRuns(QStringLiteral("diagnose"), kHelp, args, &exitCode);
    if (!request)
        return exitCode;
    const BundleReader *reader = request->reader.get();
    QList<Diagnosis> reports;
    for (qint64 id : request->runIds)
        reports.append(diagnose(*reader, id));

    printDiagnoses(reports, reader->path(), request->json);
    return exitFor(reports);
}

} // namespace initscope::cli
