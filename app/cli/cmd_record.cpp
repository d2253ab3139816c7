// initscope record: run a command with the recorder injected and save a bundle.
#include "commands.h"

#include "bundleruns.h"
#include "recording.h"
#include "runmatrix.h"
#include "untraced.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>

#include <csignal>
#include <optional>
#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kExamples[] =
    "\n"
    "Exit status: the command's own (128+N for signal N); 124 timed out, 125 past\n"
    "--max-processes, 130 interrupted, 64 bad command line, 70 the records could not be\n"
    "made a bundle, 73 the bundle cannot be written, 127 the command could not be started.\n"
    "\n"
    "examples:\n"
    "  initscope record -o probe.initscope -- initscope-probe\n"
    "  initscope record --timeout 60 --env OLLAMA_DEBUG=1 -o ollama.initscope -- ollama serve\n"
    "  initscope record --preset ollama -o ollama.initscope\n"
    "  initscope record --shim ./libcuda.so.1 --shim ./libnvidia-ml.so.1 -q -- initscope-probe\n"
    "  initscope record --matrix modes.json -o modes-matrix --json\n";

// "65536", "64K", "256M", "1G" (powers of 1024); nullopt for anything else.
std::optional<qint64> parseByteSize(const QString &text)
{
    QString digits = text.trimmed();
    qint64 unit = 1;
    if (!digits.isEmpty()) {
        const QChar last = digits.back().toUpper();
        const qint64 units[] = {1ll << 10, 1ll << 20, 1ll << 30};
        const int which = QStringLiteral("KMG").indexOf(last);
        if (which >= 0) {
            unit = units[which];
            digits.chop(1);
        }
    }
    bool ok = false;
    const qint64 value = digits.toLongLong(&ok);
    if (!ok || value < 0 || value > (qint64(1) << 50) / unit)
        return std::nullopt;
    return value * unit;
}


Recording *g_recording = nullptr;

void onInterrupt(int)
{
    if (g_recording)
        g_recording->requestCancel();
}

} // namespace

// Shared with `demo` and `retry`: records and reports one line of summary on stderr, with a
// progress line headed progressTask while it runs (on a terminal; docs/cli.md, "Progress").
int recordAndSummarize(const RecordOptions &options, RecordResult *resultOut, const QString &progressTask)
{
    // A target the recorder cannot enter is still run and its processes recorded; say so first.
    const QString untraceable = untraceableTargetWarning(options);
    if (!untraceable.isEmpty())
        std::fprintf(stderr, "initscope: %s\n", qPrintable(untraceable));
    Recording recording;
    recording.setProgressTask(progressTask);
    g_recording = &recording;
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    struct sigaction oldInt {}, oldTerm {}, oldHup {};
    sigaction(SIGINT, &sa, &oldInt);
    sigaction(SIGTERM, &sa, &oldTerm);
    sigaction(SIGHUP, &sa, &oldHup);
    RecordResult result = recording.record(options);
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    sigaction(SIGHUP, &oldHup, nullptr);
    g_recording = nullptr;
    if (resultOut)
        *resultOut = result;

    switch (result.status) {
    case RecordResult::Status::StartFailed:
        std::fprintf(stderr, "initscope: %s\n", qPrintable(result.error));
        return 127;
    case RecordResult::Status::InvalidInput:
        std::fprintf(stderr, "initscope: %s\n", qPrintable(result.error));
        return ExitNoInput;
    case RecordResult::Status::Failed:
        std::fprintf(stderr, "initscope: %s\n", qPrintable(result.error));
        return result.launch.started ? ExitInternal : ExitCantCreate;
    case RecordResult::Status::Saved:
        break;
    }
    const LaunchResult &l = result.launch;
    QString outcome;
    if (l.processLimitHit)
        std::fprintf(stderr, "initscope: the target started more than %d processes (fork storm?); stopped the tree "
                             "and kept what was recorded (--max-processes)\n",
                     options.maxProcesses);
    if (l.stoppedByRule)
        outcome = QStringLiteral("stopped as planned (a line matched the stop rule: %1)").arg(l.stopLine.left(160));
    else if (l.processLimitHit)
        outcome = QStringLiteral("stopped at the process limit, process tree killed");
    else if (l.timedOut)
        outcome = QStringLiteral("timed out, process tree killed");
    else if (l.cancelled)
        outcome = QStringLiteral("cancelled, process tree killed");
    else if (l.exitSignal)
        outcome = QStringLiteral("killed by signal %1").arg(*l.exitSignal);
    else if (l.exitCode)
        outcome = QStringLiteral("exit %1").arg(*l.exitCode);
    std::fprintf(stderr, "initscope: %s; %d processes, %d events, %lld bytes of output -> %s\n",
                 qPrintable(outcome), result.stats.processes, result.stats.events,
                 static_cast<long long>(result.stats.outputBytes), qPrintable(result.bundlePath));
    if (result.stats.outputCapped > 0)
        std::fprintf(stderr, "initscope: output of %d process(es) went past the output cap: %lld bytes were "
                             "passed on but not kept (a recorder.note in the bundle says so; --output-cap)\n",
                     result.stats.outputCapped, static_cast<long long>(result.stats.outputDropped));
    if (!options.redaction.enabled)
        std::fprintf(stderr, "initscope: redaction is off: secret-looking values are kept as they are in %s\n",
                     qPrintable(result.bundlePath));
    else if (!result.stats.redaction.isEmpty())
        std::fprintf(stderr, "initscope: redacted in the bundle: %s (--no-redact NAME keeps a value)\n",
                     qPrintable(result.stats.redaction.describe()));
    if (!result.rawLoss.isEmpty())
        std::fprintf(stderr, "initscope: %s\n", qPrintable(result.rawLoss));
    if (!result.saveError.isEmpty()) {
        // Saved, but not where asked: said last, so it is the line the user sees.
        QString why = result.saveError.trimmed();
        if (why.endsWith(QLatin1Char('.')))
            why.chop(1);
        std::fprintf(stderr, "initscope: %s; the recording was saved to %s instead (raw records kept in %s)\n",
                     qPrintable(why), qPrintable(result.bundlePath), qPrintable(result.rawDirectory));
        return ExitCantCreate;
    }
    if (!result.rawDirectory.isEmpty())
        std::fprintf(stderr, "initscope: raw records kept in %s\n", qPrintable(result.rawDirectory));
    if (l.stoppedByRule)
        return ExitOk; // the run did what it was started for
    if (l.processLimitHit)
        return ExitProcessLimit;
    if (l.timedOut)
        return ExitTimeout;
    if (l.cancelled)
        return 130;
    if (l.exitSignal)
        return 128 + *l.exitSignal;
    return l.exitCode.value_or(ExitInternal);
}

// Records each variation of a matrix into its own bundle in outputDir, then prints the grid.
// Ctrl-C stops the variation being recorded and skips the rest; what was recorded stays.
int recordMatrix(const QString &path, QString outputDir, bool json)
{
    RunMatrix matrix;
    QString error;
    if (!loadRunMatrix(path, &matrix, &error)) {
        std::fprintf(stderr, "initscope record: %s\n", qPrintable(error));
        return QFileInfo::exists(path) ? ExitBadInput : ExitNoInput;
    }
    if (outputDir.isEmpty())
        outputDir = QFileInfo(path).completeBaseName() + QStringLiteral("-matrix");
    if (!QDir().mkpath(outputDir)) {
        std::fprintf(stderr, "initscope record: cannot create the folder %s\n", qPrintable(outputDir));
        return ExitCantCreate;
    }
    QList<MatrixOutcome> rows;
    int index = 0;
    bool interrupted = false;
    for (const MatrixVariation &v : matrix.variations) {
        ++index;
        RecordOptions options = v.options;
        options.outputPath = matrixBundlePath(outputDir, index, v.name);
        QFile::remove(options.outputPath);
        options.forwardOutput = false;
        std::fprintf(stderr, "[%d/%lld] %s\n", index, static_cast<long long>(matrix.variations.size()), qPrintable(v.name));
        RecordResult result;
        const int rc = recordAndSummarize(options, &result,
                                          QStringLiteral("recording variation %1 of %2 (%3)")
                                              .arg(index)
                                              .arg(matrix.variations.size())
                                              .arg(v.name));
        rows.append(summarizeMatrixRun(v.name, options.outputPath));
        if (result.launch.cancelled || rc == 130) {
            interrupted = true;
            break;
        }
    }
    if (json)
        writeJson(matrixToJson(matrix.name, rows));
    else
        writeStdout(formatMatrixGrid(rows).toUtf8());
    if (interrupted) {
        std::fprintf(stderr, "initscope record: interrupted after %lld of %lld variations\n",
                     static_cast<long long>(rows.size()), static_cast<long long>(matrix.variations.size()));
        return 130;
    }
    return ExitOk;
}

int cmdRecord(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs COMMAND with the recorder injected into it and every descendant, and saves what "
        "happened as a bundle. Exits with the command's exit status (128+N for signal N, 124 "
        "on timeout, 130 when interrupted)."));
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    // Not addHelpOption(): its --help-all lists Qt's own options, which mean nothing here.
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("Bundle to write (default: <program>-<time>.initscope)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption env(QStringLiteral("env"), QStringLiteral("Set a variable for the target."),
                                 QStringLiteral("K=V"));
    const QCommandLineOption unset(QStringLiteral("unset"),
                                   QStringLiteral("Remove a variable from the target's environment."),
                                   QStringLiteral("K"));
    const QCommandLineOption clean(QStringLiteral("clean-env"),
                                   QStringLiteral("Start from a minimal environment (PATH, HOME, USER, "
                                                  "LOGNAME, LANG, TERM, TMPDIR, TZ)."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Kill the whole tree after this many seconds."),
                                     QStringLiteral("SECONDS"));
    const QCommandLineOption quiet({QStringLiteral("q"), QStringLiteral("quiet")},
                                   QStringLiteral("Do not show the target's output while it runs."));
    const QCommandLineOption keepRaw(QStringLiteral("keep-raw"),
                                     QStringLiteral("Keep the raw record directory."));
    const QCommandLineOption name(QStringLiteral("name"), QStringLiteral("Name of the run."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption shim(QStringLiteral("shim"),
                                  QStringLiteral("Make the target load PATH wherever it asks for SONAME "
                                                 "(default: the file's own SONAME)."),
                                  QStringLiteral("PATH[:SONAME]"));
    const QCommandLineOption inject(QStringLiteral("inject"),
                                    QStringLiteral("How shims are injected: audit (default), "
                                                   "ld-library-path or ld-preload."),
                                    QStringLiteral("MODE"));
    const QCommandLineOption config(QStringLiteral("config"),
                                    QStringLiteral("Read the run from a JSON run config; options given "
                                                   "on the command line add to it or override it."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption preset(QStringLiteral("preset"),
                                    QStringLiteral("Start from a preset: probe, ollama (ollama serve on a free "
                                                   "loopback port, a private model folder, OLLAMA_DEBUG=2, stopped "
                                                   "when discovery has finished or after 60 s) or custom."),
                                    QStringLiteral("NAME"));
    const QCommandLineOption stopOn(QStringLiteral("stop-on"),
                                    QStringLiteral("Stop the tree, as planned, once a line of output contains TEXT "
                                                   "(repeatable)."),
                                    QStringLiteral("TEXT"));
    const QCommandLineOption matrix(QStringLiteral("matrix"),
                                    QStringLiteral("Record every variation of a run matrix (JSON, docs/run-config.md), "
                                                   "one bundle each in the -o folder, and print the grid of outcomes."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("With --matrix: print the grid as JSON."));
    const QCommandLineOption collect(QStringLiteral("collect"),
                                     QStringLiteral("Keep the files matching PATTERN (e.g. the shim's own log) in the "
                                                    "bundle once the run has ended (repeatable)."),
                                     QStringLiteral("PATTERN"));
    const QCommandLineOption outputCap(QStringLiteral("output-cap"),
                                       QStringLiteral("Keep at most SIZE bytes of each process's output in the bundle "
                                                      "(default 256M; suffixes K, M, G); the rest is still passed on, "
                                                      "and the bundle says how much was not kept."),
                                       QStringLiteral("SIZE"));
    const QCommandLineOption redact(QStringLiteral("redact"),
                                    QStringLiteral("Treat variables whose names contain TEXT (any case) as secret too, "
                                                   "besides TOKEN, SECRET, PASSWORD, PASSWD, KEY, CREDENTIAL, AUTH and "
                                                   "COOKIE (repeatable)."),
                                    QStringLiteral("TEXT"));
    const QCommandLineOption noRedact(QStringLiteral("no-redact"),
                                      QStringLiteral("Keep the value of variable NAME although its name looks secret "
                                                     "(repeatable)."),
                                      QStringLiteral("NAME"));
    const QCommandLineOption noRedaction(QStringLiteral("no-redaction"),
                                         QStringLiteral("Keep every value as it is; the bundle's metadata says that "
                                                        "nothing was redacted."));
    const QCommandLineOption maxProcesses(QStringLiteral("max-processes"),
                                          QStringLiteral("Stop the whole tree, keeping what was recorded, once it has "
                                                         "more than N processes at once (default 4096; 0: no limit)."),
                                          QStringLiteral("N"));
    parser.addOptions({output, env, unset, clean, timeout, quiet, keepRaw, name, shim, inject, config, preset, stopOn,
                       matrix, json, collect, outputCap, redact, noRedact, noRedaction});
    parser.addOptions({maxProcesses});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("The program and its arguments."),
                                 QStringLiteral("-- COMMAND [ARGS...]"));
    if (!parser.parse(QStringList{QStringLiteral("initscope record")} + args)) {
        std::fprintf(stderr, "initscope record: %s\n", qPrintable(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(help)) {
        // Qt names the program by its path; the command is what a user types.
        const QString text = parser.helpText().replace(QRegularExpression(QStringLiteral("^Usage: \\S+")),
                                                       QStringLiteral("usage: initscope record"));
        std::printf("%s%s", qPrintable(text), kExamples);
        return ExitOk;
    }
    if (parser.isSet(matrix))
        return recordMatrix(parser.value(matrix), parser.value(output), parser.isSet(json));
    RecordOptions options;
    if (parser.isSet(preset)) {
        QString error;
        if (!applyRecordPreset(parser.value(preset), &options, &error)) {
            std::fprintf(stderr, "initscope record: %s\n", qPrintable(error));
            return ExitUsage;
        }
    }
    if (parser.isSet(config)) {
        QString error;
        if (!loadRecordConfig(parser.value(config), &options, &error)) {
            std::fprintf(stderr, "initscope record: %s\n", qPrintable(error));
            return QFileInfo::exists(parser.value(config)) ? ExitBadInput : ExitNoInput;
        }
    }
    if (!parser.positionalArguments().isEmpty())
        options.command = parser.positionalArguments();
    if (options.command.isEmpty()) {
        std::fprintf(stderr, "initscope record: no command given (usage: initscope record [options] -- COMMAND [ARGS...])\n");
        return ExitUsage;
    }
    for (const QString &kv : parser.values(env)) {
        if (kv.indexOf(QLatin1Char('=')) <= 0) {
            std::fprintf(stderr, "initscope record: --env expects NAME=VALUE, got '%s'\n", qPrintable(kv));
            return ExitUsage;
        }
        options.setEnv << kv;
    }
    options.unsetEnv << parser.values(unset);
    options.stopOnOutput << parser.values(stopOn);
    options.collect << parser.values(collect);
    if (parser.isSet(outputCap)) {
        const std::optional<qint64> bytes = parseByteSize(parser.value(outputCap));
        if (!bytes || *bytes <= 0) {
            std::fprintf(stderr, "initscope record: --output-cap expects a size such as 65536, 64K, 256M or 1G, got '%s'\n",
                         qPrintable(parser.value(outputCap)));
            return ExitUsage;
        }
        options.outputCapBytes = *bytes;
    }
    options.redaction.namePatterns << parser.values(redact);
    options.redaction.keepNames << parser.values(noRedact);
    if (parser.isSet(noRedaction))
        options.redaction.enabled = false;
    if (parser.isSet(maxProcesses)) {
        bool ok = false;
        const int n = parser.value(maxProcesses).toInt(&ok);
        if (!ok || n < 0) {
            std::fprintf(stderr, "initscope record: --max-processes expects a number of processes (0: no limit), got '%s'\n",
                         qPrintable(parser.value(maxProcesses)));
            return ExitUsage;
        }
        options.maxProcesses = n;
    }
    options.cleanEnv = options.cleanEnv || parser.isSet(clean);
    for (const QString &value : parser.values(shim)) {
        // PATH[:SONAME] — a SONAME never contains '/', a path may contain ':'.
        const qsizetype colon = value.lastIndexOf(QLatin1Char(':'));
        if (colon > 0 && !value.mid(colon + 1).contains(QLatin1Char('/')) && colon + 1 < value.size())
            options.shims.append({value.left(colon), value.mid(colon + 1)});
        else
            options.shims.append({value, QString()});
    }
    if (parser.isSet(inject)) {
        const auto mode = injectModeFromName(parser.value(inject));
        if (!mode) {
            std::fprintf(stderr, "initscope record: --inject expects audit, ld-library-path or ld-preload, got '%s'\n",
                         qPrintable(parser.value(inject)));
            return ExitUsage;
        }
        options.inject = *mode;
    }
    if (parser.isSet(timeout)) {
        bool ok = false;
        const double seconds = parser.value(timeout).toDouble(&ok);
        if (!ok || seconds <= 0) {
            std::fprintf(stderr, "initscope record: --timeout expects a positive number of seconds, got '%s'\n",
                         qPrintable(parser.value(timeout)));
            return ExitUsage;
        }
        options.timeoutSeconds = seconds;
    }
    if (parser.isSet(output))
        options.outputPath = parser.value(output);
    options.forwardOutput = !parser.isSet(quiet);
    options.keepRawRecords = parser.isSet(keepRaw);
    if (parser.isSet(name))
        options.runName = parser.value(name);
    return recordAndSummarize(options, nullptr,
                              QStringLiteral("recording %1").arg(QFileInfo(options.command.first()).fileName()));
}

} // namespace initscope::cli
