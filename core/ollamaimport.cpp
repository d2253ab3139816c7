// A server log as a bundle: processes from the log's own statements, lines to the process that
// wrote them, times from the log. docs/ollama-logs.md, "Importing a log".
#include "ollamaimport.h"

#include "bundle.h"
#include "ollamalog.h"

#include <QCryptographicHash>
#include <QDate>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <optional>

namespace initscope {

namespace {

constexpr qint64 kNsPerSec = 1000000000;
// Lines without a time of their own, and lines that share one, follow the line before by this
// much, so that the order of the log survives in every view that sorts by time.
constexpr qint64 kLineStepNs = 1000;

// Seconds since the epoch of a civil date and time read as UTC.
qint64 civilSeconds(int year, int month, int day, int hour, int minute, int second)
{
    const QDate date(year, month, day);
    if (!date.isValid() || hour > 23 || minute > 59 || second > 60)
        return -1;
    return (date.toJulianDay() - QDate(1970, 1, 1).toJulianDay()) * 86400 + hour * 3600 + minute * 60 + second;
}

qint64 fractionNs(const QString &digits)
{
    if (digits.isEmpty())
        return 0;
    return digits.left(9).leftJustified(9, u'0').toLongLong();
}

// "2025-11-01T15:21:31.705-04:00", "2024-03-06T13:07:32.514600912Z", "2024-09-27 13:50:04".
// zoned is set when the text names its offset from UTC.
std::optional<qint64> isoNs(const QString &text, bool *zoned)
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 secs = civilSeconds(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt(),
                                     m.captured(4).toInt(), m.captured(5).toInt(), m.captured(6).toInt());
    if (secs < 0)
        return std::nullopt;
    qint64 offset = 0;
    const QString zone = m.captured(8);
    *zoned = !zone.isEmpty();
    if (!zone.isEmpty() && zone != QLatin1String("Z")) {
        const QString digits = QString(zone).remove(u':');
        offset = (digits.mid(1, 2).toInt() * 3600 + digits.mid(3, 2).toInt() * 60) * (digits.at(0) == u'-' ? -1 : 1);
    }
    return (secs - offset) * kNsPerSec + fractionNs(m.captured(7));
}

int monthNumber(const QString &name)
{
    static const QStringList months = {QStringLiteral("jan"), QStringLiteral("feb"), QStringLiteral("mar"),
                                       QStringLiteral("apr"), QStringLiteral("may"), QStringLiteral("jun"),
                                       QStringLiteral("jul"), QStringLiteral("aug"), QStringLiteral("sep"),
                                       QStringLiteral("oct"), QStringLiteral("nov"), QStringLiteral("dec")};
    const int index = int(months.indexOf(name.left(3).toLower()));
    if (index >= 0)
        return index + 1;
    // Localized journald months such as "2月".
    static const QRegularExpression numbered(QStringLiteral(R"(^(\d{1,2})\D)"));
    const auto m = numbered.match(name);
    return m.hasMatch() ? m.captured(1).toInt() : 0;
}

// The times one line states: an absolute one (a zoned timestamp) and/or a wall-clock one without
// a zone (journald, the Go log date, Docker Desktop, GIN), in ns as if it were UTC.
struct LineTimes {
    std::optional<qint64> absolute;
    std::optional<qint64> wall;
    bool wallNeedsYear = false; // journald: month and day only
    int month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

LineTimes lineTimes(const QString &line, const OllamaLine &stripped)
{
    LineTimes t;
    const QString prefix = line.left(line.size() - stripped.text.size());
    const QString text = stripped.text;

    static const QRegularExpression recordTime(QStringLiteral(R"((?:^|\s)time=(\S+))"));
    static const QRegularExpression goLogDate(QStringLiteral(R"(^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})\b)"));
    static const QRegularExpression ginDate(QStringLiteral(R"(\[GIN\] (\d{4})/(\d{2})/(\d{2}) - (\d{2}):(\d{2}):(\d{2}))"));
    static const QRegularExpression journald(QStringLiteral(R"(^(\S+) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) )"));

    bool zoned = false;
    if (const auto m = recordTime.match(text); m.hasMatch()) {
        if (const auto ns = isoNs(m.captured(1), &zoned))
            (zoned ? t.absolute : t.wall) = ns;
    }
    auto civil = [](const QRegularExpressionMatch &m) -> std::optional<qint64> {
        const qint64 s = civilSeconds(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt(),
                                      m.captured(4).toInt(), m.captured(5).toInt(), m.captured(6).toInt());
        return s < 0 ? std::nullopt : std::optional<qint64>(s * kNsPerSec);
    };
    if (!t.wall) {
        if (const auto m = goLogDate.match(text); m.hasMatch())
            t.wall = civil(m);
        else if (const auto g = ginDate.match(text); g.hasMatch())
            t.wall = civil(g);
    }
    switch (stripped.prefix) {
    case OllamaPrefix::Timestamp:
        if (const auto ns = isoNs(prefix.trimmed(), &zoned)) {
            if (zoned && !t.absolute)
                t.absolute = ns;
            else if (!zoned && !t.wall)
                t.wall = ns;
        }
        break;
    case OllamaPrefix::Journald:
        if (const auto m = journald.match(prefix); m.hasMatch() && !t.wall) {
            t.month = monthNumber(m.captured(1));
            t.day = m.captured(2).toInt();
            t.hour = m.captured(3).toInt();
            t.minute = m.captured(4).toInt();
            t.second = m.captured(5).toInt();
            t.wallNeedsYear = t.month > 0;
        }
        break;
    case OllamaPrefix::None:
    case OllamaPrefix::DockerCompose:
        break;
    }
    return t;
}

// ns since run start of every line: from the log's own times where a line has one, else the
// time of the line before; never earlier than the line before.
struct Timeline {
    QList<qint64> ns;
    qint64 startRealtimeNs = 0; // 0 when no line states a year
};

Timeline buildTimeline(const QStringList &lines, const QList<OllamaLine> &stripped)
{
    QList<LineTimes> times;
    times.reserve(lines.size());
    int year = 0;
    std::optional<qint64> offset; // wall - absolute, learnt from a line that has both
    for (qsizetype i = 0; i < lines.size(); ++i) {
        times << lineTimes(lines.at(i), stripped.at(i));
        const LineTimes &t = times.last();
        if (!year && (t.absolute || t.wall))
            year = QDate(1970, 1, 1).addDays((t.absolute ? *t.absolute : *t.wall) / kNsPerSec / 86400).year();
    }
    const bool knownYear = year != 0;
    if (!knownYear)
        year = 2001; // only differences matter then
    QList<std::optional<qint64>> absolute;
    absolute.reserve(times.size());
    for (LineTimes &t : times) {
        if (t.wallNeedsYear) {
            const qint64 s = civilSeconds(year, t.month, t.day, t.hour, t.minute, t.second);
            if (s >= 0)
                t.wall = s * kNsPerSec;
        }
        // journald and Go-log times are seconds of local time: learn the zone from a line that
        // also carries a zoned time (at seconds resolution).
        if (!offset && t.absolute && t.wall)
            offset = (*t.wall / kNsPerSec - *t.absolute / kNsPerSec) * kNsPerSec;
    }
    for (const LineTimes &t : times) {
        if (t.absolute)
            absolute << t.absolute;
        else if (t.wall)
            absolute << std::optional<qint64>(*t.wall - offset.value_or(0));
        else
            absolute << std::nullopt;
    }
    Timeline out;
    qsizetype first = -1;
    for (qsizetype i = 0; i < absolute.size() && first < 0; ++i)
        if (absolute.at(i))
            first = i;
    const qint64 t0 = first < 0 ? 0 : *absolute.at(first) - first * kLineStepNs;
    if (first >= 0 && knownYear)
        out.startRealtimeNs = t0;
    qint64 previous = -kLineStepNs;
    for (qsizetype i = 0; i < absolute.size(); ++i) {
        qint64 ns = previous + kLineStepNs;
        if (absolute.at(i))
            ns = std::max(ns, *absolute.at(i) - t0);
        out.ns << ns;
        previous = ns;
    }
    return out;
}

bool isProbeLine(const QString &text)
{
    // Ollama's own in-process CUDA/NVML probe (gpu_info_*.c) and the HTTP access log.
    static const QRegularExpression re(QStringLiteral(
        R"(^(?:\[GIN|initializing /|initializing [A-Za-z]:\\|dlsym: |calling (?:cu|nvml)|raw version |CUDA driver version|device count |releasing (?:cuda|nvml)|\[GPU-[^\]]*\] |\[\d+\] CUDA |nvml\w* |cuda driver library |(?:cu|nvml)\w+ err: ))"));
    return re.match(text).hasMatch();
}

bool looksLikeLlamaCpp(const QString &text)
{
    static const QRegularExpression re(QStringLiteral(
        R"(\b(?:ggml_\w+|llama_\w+|llm_load_\w+|load_backend:|load_tensors:|print_info:|CUDA error\b|ggml-cuda))"));
    return re.match(text).hasMatch();
}

QString roleName(OllamaRunnerRole role)
{
    switch (role) {
    case OllamaRunnerRole::Model: return QStringLiteral("model runner");
    case OllamaRunnerRole::Bootstrap: return QStringLiteral("bootstrap runner");
    case OllamaRunnerRole::Validation: return QStringLiteral("validation runner");
    case OllamaRunnerRole::GpuDiscover: return QStringLiteral("gpu-discover");
    }
    return {};
}

QString journaldHost(const QString &line)
{
    static const QRegularExpression re(QStringLiteral(R"(^\S+ +\d{1,2} \d{2}:\d{2}:\d{2} (\S+) [^\s\[\]:]+\[\d+\]:)"));
    const auto m = re.match(line);
    return m.hasMatch() ? m.captured(1) : QString();
}

QStringList splitCommand(const QString &cmd)
{
    return cmd.split(u' ', Qt::SkipEmptyParts);
}

bool isOllamaBinary(const QString &path)
{
    const QString name = path.section(QRegularExpression(QStringLiteral(R"([/\\])")), -1);
    return name == QLatin1String("ollama") || name == QLatin1String("ollama.exe");
}

struct ImportedProcess {
    Process process;
    QString role;
    int line = 0; // the log line that made it
    QString summary;
};

QString problemOf(const QByteArray &text, const OllamaLog &log)
{
    if (text.isEmpty())
        return QStringLiteral("it is empty");
    if (text.left(65536).contains('\0'))
        return QStringLiteral("it is a binary file, not a text log");
    if (!log.records.isEmpty() || log.serverPid != 0 || !log.runnerErrors.isEmpty() || !log.ggmlDevices.isEmpty())
        return QString();
    const QStringList lines = QString::fromUtf8(text).split(u'\n');
    for (const QString &line : lines)
        if (looksLikeLlamaCpp(stripOllamaPrefix(line).text))
            return QString();
    return QStringLiteral("none of its %1 lines is an Ollama server record (time=… level=… source=….go:… msg=…, "
                          "or YYYY/MM/DD hh:mm:ss file.go:N: …), a journald line of ollama[pid] or ggml/llama.cpp "
                          "output")
        .arg(lines.size() - (text.endsWith('\n') ? 1 : 0));
}

} // namespace

QString ollamaLogProblem(const QByteArray &text)
{
    return problemOf(text, text.isEmpty() ? OllamaLog() : parseOllamaLog(text));
}

bool isImportedLogRun(const Run &run)
{
    if (run.configJson.isEmpty())
        return false;
    return QJsonDocument::fromJson(run.configJson).object().value(QLatin1String("kind")).toString()
        == QLatin1String(kImportedLogKind);
}

QString importedProcessRole(const QByteArray &processStartPayload)
{
    const QJsonObject o = QJsonDocument::fromJson(processStartPayload).object();
    return o.value(QLatin1String("imported")).toBool() ? o.value(QLatin1String("role")).toString() : QString();
}

namespace {

// Why text cannot be imported, as the error to report; nullopt when it can.
std::optional<OllamaImportError> refusal(const QByteArray &text, const OllamaLog &log, const QString &sourcePath)
{
    if (text.isEmpty())
        return OllamaImportError{OllamaImportError::Code::Empty, QStringLiteral("The log %1 is empty.").arg(sourcePath)};
    if (const QString problem = problemOf(text, log); !problem.isEmpty())
        return OllamaImportError{OllamaImportError::Code::NotALog,
                                 QStringLiteral("%1 is not an Ollama or llama.cpp log: %2.").arg(sourcePath, problem)};
    return std::nullopt;
}

void importParsed(const QByteArray &text, const OllamaLog &log, const QString &sourcePath, BundleWriter &writer,
                  OllamaImportStats *statsOut)
{
    const QString fileName = QFileInfo(sourcePath).fileName();

    // Physical lines with their exact bytes (terminator included); a last line without a
    // newline stays without one.
    QList<QByteArray> rawLines;
    for (qsizetype start = 0; start < text.size();) {
        qsizetype end = text.indexOf('\n', start);
        end = end < 0 ? text.size() : end + 1;
        rawLines << text.mid(start, end - start);
        start = end;
    }
    QStringList lines;
    QList<OllamaLine> stripped;
    lines.reserve(rawLines.size());
    for (const QByteArray &raw : std::as_const(rawLines)) {
        QString line = QString::fromUtf8(raw);
        while (line.endsWith(u'\n') || line.endsWith(u'\r'))
            line.chop(1);
        lines << line;
        stripped << stripOllamaPrefix(line);
    }
    const Timeline timeline = buildTimeline(lines, stripped);
    const int lineCount = int(lines.size());

    // Lines that belong to a server record (a record wrapped over several lines included).
    QList<bool> recordLine(lineCount, false);
    for (const OllamaRecord &r : log.records)
        for (int n = r.line; n <= std::max(r.line, r.endLine) && n <= lineCount; ++n)
            recordLine[n - 1] = true;

    // Processes: the log's writer first, then one per runner it started, then the other journald
    // identifiers (systemd's lines of the unit, …).
    const bool ollama = log.format != OllamaFormat::None || log.serverPid != 0 || !log.runners.isEmpty();
    QString ollamaPath;
    for (const OllamaRunner &r : log.runners) {
        const QString program = splitCommand(r.cmd).value(0);
        if (ollamaPath.isEmpty() && isOllamaBinary(program))
            ollamaPath = program;
    }
    QString host;
    for (const QString &line : std::as_const(lines))
        if (host.isEmpty())
            host = journaldHost(line);

    Run run;
    run.name = QStringLiteral("Ollama log: %1").arg(fileName);
    run.command = {QStringLiteral("imported-log"), sourcePath};
    run.hostname = host;
    run.startRealtimeNs = timeline.startRealtimeNs;
    run.durationNs = timeline.ns.isEmpty() ? 0 : timeline.ns.last();
    const QByteArray sha = QCryptographicHash::hash(text, QCryptographicHash::Sha256).toHex();
    run.configJson = QJsonDocument(QJsonObject{
                                       {QStringLiteral("kind"), QString::fromLatin1(kImportedLogKind)},
                                       {QStringLiteral("recorded"), false},
                                       {QStringLiteral("source"), sourcePath},
                                       {QStringLiteral("sha256"), QString::fromLatin1(sha)},
                                       {QStringLiteral("bytes"), text.size()},
                                       {QStringLiteral("lines"), lineCount},
                                       {QStringLiteral("logFormat"), ollamaFormatName(log.format)},
                                       {QStringLiteral("prefix"), ollamaPrefixName(log.prefix)},
                                       {QStringLiteral("serverPid"), log.serverPid},
                                       {QStringLiteral("ollamaVersion"), log.version},
                                       {QStringLiteral("note"),
                                        QStringLiteral("made from a log file by InitScope; nothing was recorded: "
                                                       "processes, roles and times are read from the log")},
                                   })
                         .toJson(QJsonDocument::Compact);
    const qint64 runId = writer.addRun(run);

    Artifact artifact;
    artifact.runId = runId;
    artifact.kind = QStringLiteral("log");
    artifact.path = sourcePath;
    artifact.size = text.size();
    artifact.sha256 = sha;
    artifact.content = text;
    writer.addArtifact(artifact);

    QList<ImportedProcess> procs;
    ImportedProcess main;
    main.process.runId = runId;
    main.process.pid = log.serverPid;
    if (ollama) {
        main.process.exe = ollamaPath.isEmpty() ? QStringLiteral("ollama") : ollamaPath;
        main.process.argv = {main.process.exe, QStringLiteral("serve")};
        main.role = QStringLiteral("server");
        main.summary = QStringLiteral("the Ollama server whose log this is");
    } else {
        main.process.exe = QStringLiteral("llama.cpp");
        main.process.argv = {main.process.exe};
        main.role = QStringLiteral("log");
        main.summary = QStringLiteral("the program that wrote this llama.cpp/ggml output");
    }
    main.line = 1;
    procs << main;

    QList<int> runnerOfLine(lineCount, -1); // index into procs of the runner started at a line
    for (const OllamaRunner &r : log.runners) {
        ImportedProcess p;
        p.process.runId = runId;
        p.process.ppid = log.serverPid;
        p.process.argv = splitCommand(r.cmd);
        if (p.process.argv.isEmpty())
            p.process.argv = {main.process.exe, QStringLiteral("runner")};
        p.process.exe = p.process.argv.constFirst();
        p.process.env = r.env;
        p.role = roleName(r.role);
        p.line = r.line;
        p.summary = QStringLiteral("%1 started at log line %2%3%4")
                        .arg(p.role)
                        .arg(r.line)
                        .arg(r.port ? QStringLiteral(", port %1").arg(r.port) : QString(),
                             r.cmd.isEmpty() ? QStringLiteral("; its command is not in the log") : QString());
        if (r.line >= 1 && r.line <= lineCount)
            runnerOfLine[r.line - 1] = int(procs.size());
        procs << p;
    }
    const int runnerCount = int(procs.size()) - 1;

    // Other writers of a journald log: systemd[1] and the like.
    QHash<QString, int> otherByKey;
    QList<int> owner(lineCount, 0);
    int activeRunner = -1;
    int previousOwner = 0;
    QString mainIdentifier = log.serverPid ? QStringLiteral("ollama") : QString();
    for (int i = 0; i < lineCount; ++i) {
        const OllamaLine &s = stripped.at(i);
        if (runnerOfLine.at(i) >= 0)
            activeRunner = runnerOfLine.at(i);
        if (s.prefix == OllamaPrefix::Journald && mainIdentifier.isEmpty() && s.process != QLatin1String("systemd"))
            mainIdentifier = s.process;
        int who = 0;
        if (s.prefix == OllamaPrefix::Journald && s.process != mainIdentifier) {
            const QString key = QStringLiteral("%1[%2]").arg(s.process).arg(s.pid);
            if (!otherByKey.contains(key)) {
                ImportedProcess p;
                p.process.runId = runId;
                p.process.pid = s.pid;
                p.process.exe = s.process;
                p.process.argv = {s.process};
                p.role = QStringLiteral("other");
                p.line = i + 1;
                p.summary = QStringLiteral("%1, another writer in this journal excerpt").arg(key);
                otherByKey.insert(key, int(procs.size()));
                procs << p;
            }
            who = otherByKey.value(key);
        } else if (recordLine.at(i)) {
            who = 0;
        } else if (s.text.trimmed().isEmpty()) {
            who = previousOwner; // blank lines stay with what they separate
        } else if (activeRunner >= 0 && !isProbeLine(s.text.trimmed())) {
            // Runner and ggml stderr that the server passed on.
            who = activeRunner;
        }
        owner[i] = who;
        previousOwner = who;
    }

    // Into the bundle: processes with their start, then every line as one output chunk of the
    // process it belongs to.
    QList<qint64> ids;
    for (ImportedProcess &p : procs) {
        const int at = std::clamp(p.line, 1, std::max(1, lineCount)) - 1;
        p.process.startNs = timeline.ns.isEmpty() ? 0 : timeline.ns.at(at);
        p.process.endReason = EndReason::Unknown;
        p.process.recorded = false;
        if (&p != &procs.first() && p.role != QLatin1String("other"))
            p.process.parentId = ids.first();
        p.process.id = writer.addProcess(p.process);
        ids << p.process.id;

        Event start;
        start.processId = p.process.id;
        start.runId = runId;
        start.tid = p.process.pid;
        start.tsNs = p.process.startNs;
        start.kind = QStringLiteral("process.start");
        start.name = p.process.exe;
        start.payload = QJsonDocument(QJsonObject{{QStringLiteral("pid"), p.process.pid},
                                                  {QStringLiteral("ppid"), p.process.ppid},
                                                  {QStringLiteral("execSeq"), 0},
                                                  {QStringLiteral("recorded"), false},
                                                  {QStringLiteral("imported"), true},
                                                  {QStringLiteral("role"), p.role},
                                                  {QStringLiteral("logLine"), p.line},
                                                  {QStringLiteral("argv"), QJsonArray::fromStringList(p.process.argv)},
                                                  {QStringLiteral("summary"), p.summary}})
                            .toJson(QJsonDocument::Compact);
        writer.addEvent(start);
    }
    for (int i = 0; i < lineCount; ++i) {
        OutputChunk chunk;
        chunk.processId = ids.at(owner.at(i));
        chunk.stream = Stream::Stderr;
        chunk.tsNs = timeline.ns.at(i);
        chunk.data = rawLines.at(i);
        writer.addOutput(chunk);
    }
    if (statsOut) {
        statsOut->lines = lineCount;
        statsOut->processes = int(procs.size());
        statsOut->runners = runnerCount;
        statsOut->bytes = text.size();
    }
}

} // namespace

bool importOllamaLogData(const QByteArray &text, const QString &sourcePath, BundleWriter &writer,
                         OllamaImportStats *stats, OllamaImportError *error)
{
    const OllamaLog log = text.isEmpty() ? OllamaLog() : parseOllamaLog(text);
    if (const std::optional<OllamaImportError> refused = refusal(text, log, sourcePath)) {
        if (error)
            *error = *refused;
        return false;
    }
    importParsed(text, log, sourcePath, writer, stats);
    return true;
}

bool importOllamaLog(const QString &logPath, const QString &bundlePath, OllamaImportError *error,
                     OllamaImportStats *stats)
{
    auto fail = [&](OllamaImportError::Code code, const QString &message) {
        if (error)
            *error = {code, message};
        return false;
    };
    const QFileInfo info(logPath);
    const QString path = info.absoluteFilePath();
    if (!info.exists())
        return fail(OllamaImportError::Code::Missing, QStringLiteral("The log %1 does not exist.").arg(path));
    if (info.isDir())
        return fail(OllamaImportError::Code::Unreadable, QStringLiteral("%1 is a directory, not a log.").arg(path));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(OllamaImportError::Code::Unreadable,
                    QStringLiteral("The log %1 cannot be read: %2.").arg(path, file.errorString()));
    const QByteArray text = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return fail(OllamaImportError::Code::Unreadable,
                    QStringLiteral("The log %1 cannot be read: %2.").arg(path, file.errorString()));
    file.close();
    // A log that cannot be imported is refused before anything is created.
    const OllamaLog log = text.isEmpty() ? OllamaLog() : parseOllamaLog(text);
    if (const std::optional<OllamaImportError> refused = refusal(text, log, path)) {
        if (error)
            *error = *refused;
        return false;
    }

    BundleError bundleError;
    auto writer = BundleWriter::create(bundlePath, &bundleError);
    if (!writer)
        return fail(OllamaImportError::Code::CannotWrite, bundleError.message);
    writer->setMetadata(QStringLiteral("created_by"), QStringLiteral("initscope " INITSCOPE_VERSION));
    writer->setMetadata(QStringLiteral("imported_from"), path);
    importParsed(text, log, path, *writer, stats);
    if (!writer->commit(&bundleError))
        return fail(OllamaImportError::Code::CannotWrite, bundleError.message);
    return true;
}

} // namespace initscope
