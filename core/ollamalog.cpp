#include "ollamalog.h"

#include <QRegularExpression>

namespace initscope {

namespace {

const QRegularExpression &journaldPrefix()
{
    // "<month> <day> hh:mm:ss <host> <identifier>[<pid>]: " — the month may be localized ("2月").
    static const QRegularExpression re(
        QStringLiteral(R"(^\S+ +\d{1,2} \d{2}:\d{2}:\d{2} \S+ ([^\s\[\]:]+)\[(\d+)\]: ?)"));
    return re;
}

const QRegularExpression &composePrefix()
{
    static const QRegularExpression re(QStringLiteral(R"(^[A-Za-z0-9][\w.-]*\s+\| )"));
    return re;
}

const QRegularExpression &timestampPrefix()
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) )"));
    return re;
}

const QRegularExpression &logfmtStart()
{
    static const QRegularExpression re(QStringLiteral(R"(time=\d{4}-\d{2}-\d{2}T)"));
    return re;
}

const QRegularExpression &legacyRecord()
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) (\S+\.go:\d+): (?:(INFO|WARN|ERROR|DEBUG) )?(.*)$)"));
    return re;
}

// A record whose time= was cut off by whoever posted it: "level=INFO source=routes.go:2054 msg=…".
const QRegularExpression &timelessLogfmtRecord()
{
    static const QRegularExpression re(QStringLiteral(R"(^level=[A-Z]+ source=\S+\.go:\d+ )"));
    return re;
}

bool isLogfmtRecord(const QString &text)
{
    return logfmtStart().match(text).capturedStart() == 0 || timelessLogfmtRecord().match(text).hasMatch();
}

// True when a double quote opened on this line is still open at its end, i.e. the line was
// wrapped inside a quoted value.
bool hasOpenQuote(const QString &text)
{
    bool open = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (open && text.at(i) == u'\\') {
            ++i;
            continue;
        }
        if (text.at(i) == u'"')
            open = !open;
    }
    return open;
}

QString readQuoted(const QString &text, qsizetype &i)
{
    QString out;
    ++i; // opening quote
    while (i < text.size()) {
        const QChar c = text.at(i);
        if (c == u'\\' && i + 1 < text.size()) {
            const QChar e = text.at(i + 1);
            out += e == u'n' ? QChar(u'\n') : e == u't' ? QChar(u'\t') : e;
            i += 2;
            continue;
        }
        ++i;
        if (c == u'"')
            break;
        out += c;
    }
    return out;
}

// An unquoted value ends at a space outside brackets: extra_envs=map[A:1 B:2] is one value.
QString readBare(const QString &text, qsizetype &i)
{
    const qsizetype start = i;
    int depth = 0;
    while (i < text.size()) {
        const QChar c = text.at(i);
        if (c == u'[')
            ++depth;
        else if (c == u']' && depth > 0)
            --depth;
        else if (c == u' ' && depth == 0)
            break;
        ++i;
    }
    return text.mid(start, i - start);
}

struct Piece {
    int line = 0;
    int endLine = 0;
    OllamaLine source;
    QString text;
};

const QStringList &runnerErrorMarkers()
{
    static const QStringList markers = {
        QStringLiteral("failed to initialize CUDA"),
        QStringLiteral("CUDA error"),
        QStringLiteral("cudaMalloc failed"),
        QStringLiteral("ggml_cuda_host_malloc: failed"),
        QStringLiteral("no CUDA devices found"),
        QStringLiteral("failed to initialize ROCm"),
    };
    return markers;
}

bool isInProcessDiscoveryFailure(const QString &msg)
{
    // "Unable to load cudart library …", "Unable to load cudart CUDA management library …",
    // "Unable to load CUDA management library …: nvml vram init failure: 999"
    return (msg.startsWith(QLatin1String("Unable to load ")) && msg.contains(QLatin1String("librar")))
        || msg.contains(QLatin1String("cuda driver library init failure"))
        || msg.startsWith(QLatin1String("unknown error initializing cuda driver library"));
}

// What Ollama's in-process C probe prints when a driver or NVML call fails.
const QRegularExpression &probeErrorRe()
{
    static const QRegularExpression re(QStringLiteral(
        R"(\b(?:(?:cu|cuda|nvml)[A-Z]\w* err: -?\d+|failed to get device context -?\d+))"));
    return re;
}

bool statesNoGpu(const QString &text)
{
    return text.contains(QLatin1String("no compatible GPUs were discovered"))
        || text == QLatin1String("no GPU detected");
}

// NAME=value pairs of a "subprocess" record: every field (current builds), or the bracketed
// list of environment="[A=1 B=2]" (early 2025).
QStringList subprocessEnv(const QMap<QString, QString> &fields)
{
    QStringList env;
    const QString list = fields.value(QStringLiteral("environment"));
    if (list.startsWith(u'[') && list.endsWith(u']')) {
        for (const QString &kv : list.mid(1, list.size() - 2).split(u' ', Qt::SkipEmptyParts))
            if (kv.contains(u'='))
                env << kv;
        return env;
    }
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (!it.key().isEmpty())
            env << it.key() + u'=' + it.value();
    return env;
}

bool endsDiscovery(const QString &msg)
{
    return msg == QLatin1String("inference compute")
        || msg == QLatin1String("GPU bootstrap discovery took")
        || msg.startsWith(QLatin1String("new model will fit"))
        || msg == QLatin1String("loaded runners");
}

} // namespace

OllamaLine stripOllamaPrefix(const QString &line)
{
    OllamaLine out;
    if (const auto m = journaldPrefix().match(line); m.hasMatch()) {
        out.prefix = OllamaPrefix::Journald;
        out.process = m.captured(1);
        out.pid = m.captured(2).toLongLong();
        out.text = line.mid(m.capturedEnd());
    } else if (const auto c = composePrefix().match(line); c.hasMatch()) {
        out.prefix = OllamaPrefix::DockerCompose;
        out.text = line.mid(c.capturedEnd());
    } else if (const auto t = timestampPrefix().match(line); t.hasMatch()) {
        out.prefix = OllamaPrefix::Timestamp;
        out.text = line.mid(t.capturedEnd());
    } else {
        out.text = line;
    }
    return out;
}

QStringList splitGluedRecords(const QString &text)
{
    QStringList out;
    qsizetype start = 0;
    auto it = logfmtStart().globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        const qsizetype at = m.capturedStart();
        // "time=" inside a quoted value or right after '=' is data; anywhere else a record was glued on.
        if (at == 0 || text.at(at - 1) == u'=' || hasOpenQuote(text.left(at)))
            continue;
        out << text.mid(start, at - start).trimmed();
        start = at;
    }
    out << text.mid(start);
    return out;
}

QMap<QString, QString> parseLogfmt(const QString &text)
{
    QMap<QString, QString> out;
    QStringList words;
    qsizetype i = 0;
    while (i < text.size()) {
        if (text.at(i) == u' ') {
            ++i;
            continue;
        }
        QString key;
        if (text.at(i) == u'"') {
            key = readQuoted(text, i);
        } else {
            const qsizetype start = i;
            while (i < text.size() && text.at(i) != u' ' && text.at(i) != u'=')
                ++i;
            key = text.mid(start, i - start);
        }
        if (i < text.size() && text.at(i) == u'=' && !key.isEmpty()) {
            ++i;
            out.insert(key, i < text.size() && text.at(i) == u'"' ? readQuoted(text, i) : readBare(text, i));
        } else {
            words << key;
            if (i < text.size() && text.at(i) == u'=')
                ++i;
        }
    }
    if (!words.isEmpty())
        out.insert(QString(), words.join(u' '));
    return out;
}

QMap<QString, QString> parseGoMap(const QString &text)
{
    QMap<QString, QString> out;
    QString body = text.trimmed();
    if (!body.startsWith(QLatin1String("map[")) || !body.endsWith(u']'))
        return out;
    body = body.mid(4, body.size() - 5);
    qsizetype i = 0;
    while (i < body.size()) {
        if (body.at(i) == u' ') {
            ++i;
            continue;
        }
        const QString entry = readBare(body, i);
        const qsizetype colon = entry.indexOf(u':');
        if (colon > 0)
            out.insert(entry.left(colon), entry.mid(colon + 1));
    }
    return out;
}

OllamaRunnerRole ollamaRunnerRole(const QString &cmd, bool duringDiscovery, bool restrictedToDevices)
{
    if (cmd.contains(QLatin1String("gpu-discover")))
        return OllamaRunnerRole::GpuDiscover;
    if (!duringDiscovery || cmd.contains(QLatin1String("--model")))
        return OllamaRunnerRole::Model;
    return restrictedToDevices ? OllamaRunnerRole::Validation : OllamaRunnerRole::Bootstrap;
}

QString ollamaPrefixName(OllamaPrefix prefix)
{
    switch (prefix) {
    case OllamaPrefix::None: return QStringLiteral("none");
    case OllamaPrefix::Journald: return QStringLiteral("journald");
    case OllamaPrefix::DockerCompose: return QStringLiteral("docker-compose");
    case OllamaPrefix::Timestamp: return QStringLiteral("timestamp");
    }
    return {};
}

QString ollamaFormatName(OllamaFormat format)
{
    switch (format) {
    case OllamaFormat::None: return QStringLiteral("none");
    case OllamaFormat::Legacy: return QStringLiteral("legacy");
    case OllamaFormat::Logfmt: return QStringLiteral("logfmt");
    case OllamaFormat::Mixed: return QStringLiteral("mixed");
    }
    return {};
}

QString ollamaRunnerRoleName(OllamaRunnerRole role)
{
    switch (role) {
    case OllamaRunnerRole::Model: return QStringLiteral("model");
    case OllamaRunnerRole::Bootstrap: return QStringLiteral("bootstrap");
    case OllamaRunnerRole::Validation: return QStringLiteral("validation");
    case OllamaRunnerRole::GpuDiscover: return QStringLiteral("gpu-discover");
    }
    return {};
}

OllamaLog parseOllamaLog(const QByteArray &text)
{
    OllamaLog log;
    const QStringList physical = QString::fromUtf8(text).split(u'\n');

    // Physical lines → logical records: prefixes off, wrapped quoted values rejoined, glued
    // records split.
    QList<Piece> pieces;
    for (qsizetype n = 0; n < physical.size(); ++n) {
        QString raw = physical.at(n);
        if (raw.endsWith(u'\r'))
            raw.chop(1);
        Piece piece{int(n + 1), int(n + 1), stripOllamaPrefix(raw), {}};
        QString joined = piece.source.text;
        const bool record = isLogfmtRecord(joined) || legacyRecord().match(joined).hasMatch();
        for (int extra = 0; record && hasOpenQuote(joined) && extra < 4 && n + 1 < physical.size(); ++extra) {
            QString next = physical.at(++n);
            if (next.endsWith(u'\r'))
                next.chop(1);
            joined += stripOllamaPrefix(next).text;
        }
        piece.endLine = int(n + 1);
        if (log.prefix == OllamaPrefix::None)
            log.prefix = piece.source.prefix;
        if (piece.source.prefix == OllamaPrefix::Journald && log.serverPid == 0
            && piece.source.process == QLatin1String("ollama"))
            log.serverPid = piece.source.pid;
        for (const QString &part : splitGluedRecords(joined)) {
            Piece p = piece;
            p.text = part;
            pieces << p;
        }
    }

    static const QRegularExpression versionRe(QStringLiteral(R"(\(version ([^)\s]+)\))"));
    static const QRegularExpression portRe(QStringLiteral(R"(--port (\d+))"));
    static const QRegularExpression deviceRe(QStringLiteral(R"(^\s*Device \d+: (.+)$)"));
    static const QRegularExpression firstKeyRe(QStringLiteral(R"((?:^|\s)[A-Za-z_][\w.]*=)"));

    int logfmtCount = 0;
    int legacyCount = 0;
    bool discovering = true;
    bool lastRunnerHasSubprocess = false;
    for (const Piece &piece : std::as_const(pieces)) {
        OllamaRecord rec;
        rec.line = piece.line;
        rec.endLine = piece.endLine;
        rec.prefix = piece.source.prefix;
        rec.pid = piece.source.pid;
        if (isLogfmtRecord(piece.text)) {
            ++logfmtCount;
            rec.fields = parseLogfmt(piece.text);
            rec.time = rec.fields.take(QStringLiteral("time"));
            rec.level = rec.fields.take(QStringLiteral("level"));
            rec.source = rec.fields.take(QStringLiteral("source"));
            rec.msg = rec.fields.take(QStringLiteral("msg"));
        } else if (const auto m = legacyRecord().match(piece.text); m.hasMatch()) {
            ++legacyCount;
            rec.time = m.captured(1);
            rec.source = m.captured(2);
            rec.level = m.captured(3);
            const QString rest = m.captured(4);
            const auto k = firstKeyRe.match(rest);
            rec.msg = (k.hasMatch() ? rest.left(k.capturedStart()) : rest).trimmed();
            if (k.hasMatch())
                rec.fields = parseLogfmt(rest.mid(k.capturedStart()));
            rec.fields.remove(QString());
        } else {
            // Raw output: runner or ggml stderr, GIN access lines, CUDA probe traces.
            const QString line = piece.text.trimmed();
            for (const QString &marker : runnerErrorMarkers()) {
                if (line.contains(marker)) {
                    log.runnerErrors << line;
                    break;
                }
            }
            if (const auto d = deviceRe.match(piece.text); d.hasMatch())
                log.ggmlDevices << d.captured(1);
            if (probeErrorRe().match(line).hasMatch())
                log.probeErrors << line;
            if (statesNoGpu(line))
                log.noCompatibleGpus = true;
            continue;
        }

        const QString &msg = rec.msg;
        if (msg == QLatin1String("server config"))
            log.env = parseGoMap(rec.fields.value(QStringLiteral("env")));
        if (const auto v = versionRe.match(msg); v.hasMatch() && log.version.isEmpty())
            log.version = v.captured(1);
        for (const char *key : {"total_vram", "total vram"}) {
            if (rec.fields.contains(QLatin1String(key)))
                log.totalVram = rec.fields.value(QLatin1String(key));
        }
        if (msg == QLatin1String("inference compute")) {
            const QString library = rec.fields.value(QStringLiteral("library"));
            const QString id = rec.fields.value(QStringLiteral("id"));
            if (library.compare(QLatin1String("cpu"), Qt::CaseInsensitive) == 0 || id == QLatin1String("cpu")) {
                log.libraryCpu = true;
            } else {
                OllamaGpu gpu;
                gpu.id = id;
                gpu.library = library;
                gpu.compute = rec.fields.value(QStringLiteral("compute"));
                gpu.driver = rec.fields.value(QStringLiteral("driver"));
                const QString description = rec.fields.value(QStringLiteral("description"));
                gpu.name = description.isEmpty() ? rec.fields.value(QStringLiteral("name")) : description;
                gpu.total = rec.fields.value(QStringLiteral("total"));
                gpu.available = rec.fields.value(QStringLiteral("available"));
                log.gpus << gpu;
            }
        }
        if (msg.contains(QLatin1String("failure during")) && msg.contains(QLatin1String("GPU discovery"))) {
            log.discoveryFailures << OllamaDiscoveryFailure{rec.line, rec.fields.value(QStringLiteral("error")),
                                                            rec.fields.value(QStringLiteral("OLLAMA_LIBRARY_PATH"))};
        } else if (msg == QLatin1String("native GPU discovery failed")) {
            // The gpu-discover subprocess failed; its stderr (ggml's own lines) is in the record.
            log.discoveryFailures << OllamaDiscoveryFailure{rec.line, rec.fields.value(QStringLiteral("error")), {}};
            const QStringList stderrLines = rec.fields.value(QStringLiteral("stderr")).split(u'\n', Qt::SkipEmptyParts);
            for (const QString &l : stderrLines) {
                for (const QString &marker : runnerErrorMarkers()) {
                    if (l.contains(marker)) {
                        log.runnerErrors << l.trimmed();
                        break;
                    }
                }
            }
        } else if (isInProcessDiscoveryFailure(msg)) {
            log.discoveryFailures << OllamaDiscoveryFailure{rec.line, msg, {}};
        }
        if (statesNoGpu(msg))
            log.noCompatibleGpus = true;
        if (msg == QLatin1String("bootstrap discovery took") || msg == QLatin1String("GPU bootstrap discovery took"))
            log.bootstrapDurations << rec.fields.value(QStringLiteral("duration"));

        if (msg == QLatin1String("starting runner") || msg == QLatin1String("starting llama server")
            || msg == QLatin1String("starting llama runner")) {
            OllamaRunner runner;
            runner.line = rec.line;
            runner.cmd = rec.fields.value(QStringLiteral("cmd"));
            runner.port = portRe.match(runner.cmd).captured(1).toInt();
            // Runners of builds without runner-based discovery serve models.
            const bool discoveryRunner = discovering && msg == QLatin1String("starting runner");
            runner.role = ollamaRunnerRole(runner.cmd, discoveryRunner, false);
            log.runners << runner;
            lastRunnerHasSubprocess = false;
        } else if (msg == QLatin1String("subprocess")) {
            if (log.runners.isEmpty() || lastRunnerHasSubprocess) {
                // An excerpt that starts after the "starting runner" record: the environment
                // Ollama set is all there is of that runner.
                OllamaRunner runner;
                runner.line = rec.line;
                runner.role = ollamaRunnerRole(QString(), discovering, false);
                log.runners << runner;
            }
            lastRunnerHasSubprocess = true;
            OllamaRunner &runner = log.runners.last();
            runner.env = subprocessEnv(rec.fields);
            runner.libraryPath = rec.fields.value(QStringLiteral("OLLAMA_LIBRARY_PATH"));
            const bool restricted = rec.fields.contains(QStringLiteral("GGML_CUDA_INIT"))
                || rec.fields.contains(QStringLiteral("CUDA_VISIBLE_DEVICES"))
                || rec.fields.contains(QStringLiteral("ROCR_VISIBLE_DEVICES"))
                || rec.fields.contains(QStringLiteral("HIP_VISIBLE_DEVICES"));
            if (runner.role == OllamaRunnerRole::Bootstrap && restricted)
                runner.role = OllamaRunnerRole::Validation;
        }
        if (endsDiscovery(msg))
            discovering = false;
        log.records << rec;
    }

    if (logfmtCount && legacyCount)
        log.format = OllamaFormat::Mixed;
    else if (logfmtCount)
        log.format = OllamaFormat::Logfmt;
    else if (legacyCount)
        log.format = OllamaFormat::Legacy;

    log.causes = log.runnerErrors;
    for (const OllamaDiscoveryFailure &failure : std::as_const(log.discoveryFailures)) {
        if (!failure.error.isEmpty() && !log.causes.contains(failure.error))
            log.causes << failure.error;
    }
    log.cpuFallback = log.libraryCpu || log.totalVram == QLatin1String("0 B") || log.noCompatibleGpus
        || (log.gpus.isEmpty() && !log.causes.isEmpty());
    return log;
}

} // namespace initscope
