// Ollama: what the server concluded about the GPUs (CPU fallback, total_vram "0 B", library=cpu,
// no compatible GPUs) and why, related to the runner's real error. Reads the server's own output
// with parseOllamaLog(); works the same on a recorded run and on a log imported as a bundle.
// docs/diagnosis.md, "Ollama".
#include "diagnosisinternal.h"

#include "apicatalog.h"
#include "ollamaimport.h"
#include "ollamalog.h"
#include "report.h"
#include "setupadvice.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <optional>

namespace initscope::diag {

namespace {

// Confidence of what a log says, always below that of a recorded call (0.9).
constexpr double kKnownCodeConfidence = 0.75;
constexpr double kDiscoveryConfidence = 0.6;
constexpr double kUnknownReasonConfidence = 0.5;
constexpr double kGenericConfidence = 0.4;

QString quoted(const QString &text, int max = 160)
{
    const QString t = text.trimmed();
    return QLatin1Char('"') + (t.size() > max ? t.left(max - 1) + QStringLiteral("…") : t) + QLatin1Char('"');
}

bool isOllamaServer(const Process &p)
{
    const QString program = baseName(p.exe.isEmpty() ? p.argv.value(0) : p.exe);
    const QString arg0 = baseName(p.argv.value(0));
    const bool ollama = program == QLatin1String("ollama") || program == QLatin1String("ollama.exe")
        || arg0 == QLatin1String("ollama") || arg0 == QLatin1String("ollama.exe");
    return ollama && p.argv.contains(QLatin1String("serve"));
}

bool isRunnerLike(const Process &p)
{
    const QString arg0 = baseName(p.argv.value(0));
    return p.argv.contains(QLatin1String("runner")) || p.argv.contains(QLatin1String("gpu-discover"))
        || arg0.startsWith(QLatin1String("ollama_llama_server")) || arg0.startsWith(QLatin1String("llama-server"));
}

int portOf(const QStringList &argv)
{
    const qsizetype at = argv.indexOf(QLatin1String("--port"));
    return at >= 0 ? argv.value(at + 1).toInt() : 0;
}

QString roleWords(OllamaRunnerRole role)
{
    switch (role) {
    case OllamaRunnerRole::Model: return QStringLiteral("model runner");
    case OllamaRunnerRole::Bootstrap: return QStringLiteral("bootstrap runner");
    case OllamaRunnerRole::Validation: return QStringLiteral("validation runner");
    case OllamaRunnerRole::GpuDiscover: return QStringLiteral("gpu-discover subprocess");
    }
    return QStringLiteral("runner");
}

QByteArray joinedText(const QList<OutputLine> &lines)
{
    QByteArray text;
    for (const OutputLine &l : lines) {
        text += l.bytes;
        text += '\n';
    }
    return text;
}

Evidence outputEvidence(qint64 processId, const OutputLine &l)
{
    Evidence e;
    e.kind = Evidence::Kind::OutputLine;
    e.id = l.number;
    e.processId = processId;
    e.tsNs = l.tsNs;
    e.stream = l.stream;
    e.line = l.number;
    e.text = lineText(l);
    return e;
}

// A result code read from an error text, with what the catalog and the setup knowledge say.
struct CodeInfo {
    ApiFamily family = ApiFamily::Unknown;
    qint64 code = -1;
    QString via;     // "cuInit", "the CUDA runtime", …
    QString name;    // CUDA_ERROR_SYSTEM_NOT_READY
    QString message; // "system not yet initialized"
    SetupAdvice advice;
    bool known() const { return code >= 0 && !name.isEmpty(); }
    QString words() const
    {
        return QStringLiteral("%1 returned %2 (%3, \"%4\")").arg(via, name).arg(code).arg(message);
    }
};

SetupAdvice extraAdvice(ApiFamily family, qint64 code)
{
    SetupAdvice a = setupAdvice(family, code);
    if (a.cause.isEmpty() && family != ApiFamily::Nvml && code == 801)
        // The incident InitScope was built for (DOMAIN.md §1, §2.5).
        a = {QStringLiteral("the driver library refused an operation the CUDA runtime needs while it initialises; "
                            "with a replacement libcuda.so.1 (a shim) this is typically the runtime's private "
                            "export table (cuGetExportTable) being refused after cuInit succeeded"),
             QStringLiteral("If libcuda.so.1 is a shim or wrapper, make its cuGetExportTable answer the tables the "
                            "runtime asks for. Record the program with `initscope record --shim …` to see which "
                            "request is refused."),
             false};
    return a;
}

CodeInfo decodeErrorText(const QString &text)
{
    CodeInfo info;
    static const QRegularExpression callErr(QStringLiteral(R"(\b((?:cu|cuda|nvml)[A-Z]\w*) err: (-?\d+))"));
    static const QRegularExpression contextErr(QStringLiteral(R"(failed to get device context (-?\d+))"));
    static const QRegularExpression initFailure(QStringLiteral(R"((cudart|cuda driver library|nvml vram|nvml) init failure: (-?\d+))"));
    static const QRegularExpression cudaErrorN(QStringLiteral(R"(\bCUDA error (\d+)\b)"));
    static const QRegularExpression reasonRe(QStringLiteral(R"((?:failed to initialize CUDA|CUDA error): (.+)$)"));
    if (const auto m = callErr.match(text); m.hasMatch()) {
        info.via = m.captured(1);
        info.code = m.captured(2).toLongLong();
        info.family = info.via.startsWith(QLatin1String("nvml")) ? ApiFamily::Nvml
            : info.via.startsWith(QLatin1String("cuda"))         ? ApiFamily::Runtime
                                                                 : ApiFamily::Driver;
    } else if (const auto c = contextErr.match(text); c.hasMatch()) {
        info.via = QStringLiteral("creating a context on the device (cuCtxCreate)");
        info.code = c.captured(1).toLongLong();
        info.family = ApiFamily::Driver;
    } else if (const auto f = initFailure.match(text); f.hasMatch()) {
        const QString lib = f.captured(1);
        info.code = f.captured(2).toLongLong();
        if (lib == QLatin1String("cudart")) {
            info.family = ApiFamily::Runtime;
            info.via = QStringLiteral("the CUDA runtime's initialisation");
        } else if (lib.startsWith(QLatin1String("nvml"))) {
            info.family = ApiFamily::Nvml;
            info.via = QStringLiteral("nvmlInit");
        } else {
            info.family = ApiFamily::Driver;
            info.via = QStringLiteral("the driver's cuInit");
        }
    } else if (const auto n = cudaErrorN.match(text); n.hasMatch()) {
        info.family = ApiFamily::Runtime;
        info.code = n.captured(1).toLongLong();
        info.via = QStringLiteral("a CUDA runtime call");
    } else if (const auto r = reasonRe.match(text.trimmed()); r.hasMatch()) {
        // ggml prints cudaGetErrorString(): find the code whose message it is.
        const QString reason = r.captured(1).trimmed();
        for (const ResultCodeInfo &rc : ApiCatalog::instance().results(ApiFamily::Runtime)) {
            if (rc.message.compare(reason, Qt::CaseInsensitive) == 0) {
                info.family = ApiFamily::Runtime;
                info.code = rc.code;
                info.via = text.contains(QLatin1String("ggml_cuda_init")) ? QStringLiteral("ggml's first CUDA runtime call")
                                                                          : QStringLiteral("a CUDA runtime call");
                break;
            }
        }
    }
    if (info.code >= 0) {
        const ResultCodeInfo rc = ApiCatalog::instance().result(info.family, info.code);
        if (rc.known) {
            info.name = rc.name;
            info.message = rc.message;
        }
        info.advice = extraAdvice(info.family, info.code);
    }
    return info;
}

// The short reason of a runner error line, for a title.
QString runnerErrorTitle(const QString &line, const CodeInfo &code)
{
    static const QRegularExpression initRe(QStringLiteral(R"(failed to initialize (CUDA|ROCm): (.+)$)"));
    static const QRegularExpression cudaErr(QStringLiteral(R"(CUDA error(?: (\d+))?(?: at \S+)?: (.+)$)"));
    QString title;
    if (const auto m = initRe.match(line); m.hasMatch())
        title = QStringLiteral("ggml could not initialise %1: %2").arg(m.captured(1), m.captured(2).trimmed());
    else if (const auto c = cudaErr.match(line); c.hasMatch())
        title = QStringLiteral("CUDA error%1: %2")
                    .arg(c.captured(1).isEmpty() ? QString() : QLatin1Char(' ') + c.captured(1), c.captured(2).trimmed());
    else
        title = QStringLiteral("GPU error reported by ggml: %1").arg(quoted(line, 100));
    if (code.known())
        title += QStringLiteral(" (%1, %2)").arg(code.name).arg(code.code);
    return title;
}

// What the discovery error of Ollama's own record means.
QString discoveryErrorWords(const QString &error, bool *timeout, bool *crash, QString *status)
{
    static const QRegularExpression exitRe(QStringLiteral(R"(exit status (0x[0-9a-fA-F]+|-?\d+))"));
    *timeout = error.contains(QLatin1String("timeout")) || error.contains(QLatin1String("deadline exceeded"))
        || error.contains(QLatin1String("timed out"));
    *crash = false;
    if (*timeout)
        return QStringLiteral("the discovery subprocess did not report its devices before Ollama's discovery timeout");
    if (const auto m = exitRe.match(error); m.hasMatch()) {
        *crash = true;
        *status = QStringLiteral("exit status %1").arg(m.captured(1));
        const QString code = m.captured(1).toLower();
        if (code == QLatin1String("0xc0000005"))
            return QStringLiteral("the discovery subprocess crashed with an access violation (exit status 0xc0000005, "
                                  "Windows STATUS_ACCESS_VIOLATION)");
        if (code == QLatin1String("0xc0000409"))
            return QStringLiteral("the discovery subprocess was stopped by a fail-fast check (exit status 0xc0000409, "
                                  "Windows STATUS_STACK_BUFFER_OVERRUN)");
        return QStringLiteral("the discovery subprocess exited with status %1").arg(m.captured(1));
    }
    if (error.contains(QLatin1String("signal:")) || error.contains(QLatin1String("crashed"))) {
        *crash = true;
        *status = error.left(80);
        return QStringLiteral("the discovery subprocess crashed (%1)").arg(error);
    }
    return QString();
}

const QRegularExpression &gpuWordRe()
{
    static const QRegularExpression re(QStringLiteral(
        R"(\b(?:cuda\w*|cu[A-Z]\w+|gpu\w*|amdgpu|nvidia|nvml\w*|rocm|rocblas|hip\w*|vulkan|ggml\w*|cublas\w*|libcuda\S*|vram)\b)"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}

// A line at WARN or ERROR level, or one without a record syntax (raw output).
bool errorLevelOrRaw(const QString &text)
{
    static const QRegularExpression levelRe(QStringLiteral(R"(\blevel=(\w+)|^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \S+: (?:(\w+) )?)"));
    const auto m = levelRe.match(stripOllamaPrefix(text).text);
    if (!m.hasMatch())
        return true;
    const QString level = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
    return level == QLatin1String("WARN") || level == QLatin1String("ERROR");
}

struct RunnerProc {
    Process proc;
    QList<OutputLine> lines;
    std::optional<OllamaRunner> logRunner; // the log's "starting runner" entry it matches
    QString role;                          // "bootstrap runner", …
    QString words() const
    {
        QStringList what;
        if (proc.pid > 0)
            what << QStringLiteral("pid %1").arg(proc.pid);
        if (logRunner && logRunner->port > 0)
            what << QStringLiteral("port %1").arg(logRunner->port);
        return what.isEmpty() ? QStringLiteral("the %1").arg(role)
                              : QStringLiteral("the %1 (%2)").arg(role, what.join(QStringLiteral(", ")));
    }
};

// One line of one process.
struct LineRef {
    qint64 processId = -1;
    qint64 pid = 0;
    const OutputLine *line = nullptr;
    QString who; // "the bootstrap runner (port 46331)", "the server"
};

class ServerAnalysis
{
public:
    ServerAnalysis(const BundleReader &reader, const Run &run, const QList<Process> &procs, const Process &server,
                   bool imported)
        : m_run(run), m_server(server), m_imported(imported)
    {
        m_lines = splitOutputLines(reader.output(server.id));
        m_log = parseOllamaLog(joinedText(m_lines));
        m_ollama = isOllamaServer(server);
        collectRunners(reader, procs);
    }

    void run(QList<Finding> &findings);

private:
    const OutputLine *serverLine(int n) const
    {
        return n >= 1 && n <= m_lines.size() ? &m_lines.at(n - 1) : nullptr;
    }
    QString serverWords() const
    {
        if (!m_ollama)
            return QStringLiteral("the process that wrote this log");
        return m_server.pid > 0 ? QStringLiteral("the Ollama server (pid %1)").arg(m_server.pid)
                                : QStringLiteral("the Ollama server");
    }
    void collectRunners(const BundleReader &reader, const QList<Process> &procs);
    std::optional<LineRef> findLine(const QString &needle) const;
    Finding newFindingFor(const LineRef &where, const QString &id, double confidence) const;
    QList<Evidence> conclusionEvidence(QString *words, const OutputLine **first) const;
    const RunnerProc *runnerStartedBefore(int serverLineNumber) const;

    Run m_run;
    Process m_server;
    bool m_imported = false;
    bool m_ollama = false;
    QList<OutputLine> m_lines;
    OllamaLog m_log;
    QList<RunnerProc> m_runners;
};

void ServerAnalysis::collectRunners(const BundleReader &reader, const QList<Process> &procs)
{
    QHash<qint64, const Process *> byId;
    for (const Process &p : procs)
        byId.insert(p.id, &p);
    auto descends = [&](const Process &p) {
        qint64 at = p.parentId;
        for (int guard = 0; at >= 0 && guard < 64; ++guard) {
            if (at == m_server.id)
                return true;
            const Process *parent = byId.value(at);
            at = parent ? parent->parentId : -1;
        }
        return false;
    };
    for (const Process &p : procs) {
        if (p.id == m_server.id || p.endReason == EndReason::Exec || !descends(p))
            continue;
        if (!m_imported && !isRunnerLike(p))
            continue;
        RunnerProc r;
        r.proc = p;
        m_runners << r;
    }
    std::stable_sort(m_runners.begin(), m_runners.end(),
                     [](const RunnerProc &a, const RunnerProc &b) { return a.proc.startNs < b.proc.startNs; });
    // The log's runners: by port where both know it, then in order.
    QList<bool> used(m_log.runners.size(), false);
    for (RunnerProc &r : m_runners) {
        const int port = portOf(r.proc.argv);
        for (qsizetype i = 0; port > 0 && i < m_log.runners.size(); ++i) {
            if (!used.at(i) && m_log.runners.at(i).port == port) {
                used[i] = true;
                r.logRunner = m_log.runners.at(i);
                break;
            }
        }
    }
    for (RunnerProc &r : m_runners) {
        for (qsizetype i = 0; !r.logRunner && i < m_log.runners.size(); ++i) {
            if (!used.at(i) && (m_log.runners.at(i).port == 0 || portOf(r.proc.argv) == 0)) {
                used[i] = true;
                r.logRunner = m_log.runners.at(i);
            }
        }
        if (r.logRunner)
            r.role = roleWords(r.logRunner->role);
        else if (r.proc.argv.contains(QLatin1String("gpu-discover")))
            r.role = roleWords(OllamaRunnerRole::GpuDiscover);
        else if (r.proc.argv.contains(QLatin1String("--model")))
            r.role = roleWords(OllamaRunnerRole::Model);
        else
            r.role = QStringLiteral("runner");
        r.lines = splitOutputLines(reader.output(r.proc.id));
    }
}

std::optional<LineRef> ServerAnalysis::findLine(const QString &needle) const
{
    // A runner's own line is where the text was written; the server's copy (forwarded at
    // OLLAMA_DEBUG=2) comes second.
    for (const RunnerProc &r : m_runners)
        for (const OutputLine &l : r.lines)
            if (lineText(l).contains(needle))
                return LineRef{r.proc.id, r.proc.pid, &l, r.words()};
    for (const OutputLine &l : m_lines)
        if (lineText(l).contains(needle))
            return LineRef{m_server.id, m_server.pid, &l, serverWords()};
    return std::nullopt;
}

const RunnerProc *ServerAnalysis::runnerStartedBefore(int serverLineNumber) const
{
    const RunnerProc *best = nullptr;
    for (const RunnerProc &r : m_runners)
        if (r.logRunner && r.logRunner->line <= serverLineNumber && (!best || r.logRunner->line > best->logRunner->line))
            best = &r;
    return best;
}

Finding ServerAnalysis::newFindingFor(const LineRef &where, const QString &id, double confidence) const
{
    Finding f;
    f.id = id;
    f.processId = where.processId;
    f.pid = where.pid;
    f.tsNs = where.line ? where.line->tsNs : 0;
    f.confidence = confidence;
    f.severity = Severity::RootCause;
    if (where.line) {
        f.errorLine = lineText(*where.line);
        f.errorStream = where.line->stream;
        f.errorLineNumber = where.line->number;
        f.evidence << outputEvidence(where.processId, *where.line);
    }
    return f;
}

// The lines where Ollama states that it has no usable GPU.
QList<Evidence> ServerAnalysis::conclusionEvidence(QString *words, const OutputLine **first) const
{
    QList<Evidence> out;
    QStringList said;
    *first = nullptr;
    for (const OllamaRecord &rec : m_log.records) {
        QString w;
        if (rec.msg == QLatin1String("inference compute")
            && (rec.fields.value(QStringLiteral("library")).compare(QLatin1String("cpu"), Qt::CaseInsensitive) == 0
                || rec.fields.value(QStringLiteral("id")) == QLatin1String("cpu")))
            w = QStringLiteral("library=cpu");
        for (const char *key : {"total_vram", "total vram"})
            if (rec.fields.value(QLatin1String(key)) == QLatin1String("0 B"))
                w = QStringLiteral("total_vram=\"0 B\"");
        if (rec.msg.contains(QLatin1String("no compatible GPUs were discovered")) || rec.msg == QLatin1String("no GPU detected"))
            w = QLatin1Char('"') + rec.msg + QLatin1Char('"');
        const OutputLine *l = serverLine(rec.line);
        if (w.isEmpty() || !l)
            continue;
        if (!said.contains(w))
            said << w;
        if (!*first)
            *first = l;
        out << outputEvidence(m_server.id, *l);
    }
    *words = said.join(QStringLiteral(", "));
    return out;
}

void ServerAnalysis::run(QList<Finding> &findings)
{
    QSet<qint64> ours{m_server.id};
    for (const RunnerProc &r : m_runners)
        ours.insert(r.proc.id);

    // 1. A root cause the engine found in the server or one of its runners (recorded calls, or
    //    output rules such as an undefined symbol): the real error.
    std::optional<Finding> recorded;
    for (const Finding &f : std::as_const(findings)) {
        if (f.severity != Severity::RootCause || !ours.contains(f.processId) || f.id.startsWith(QLatin1String("ollama-")))
            continue;
        // A server runs until it is stopped: the run's timeout ending it is no cause of its
        // GPU discovery's outcome.
        if (f.processId == m_server.id && f.id == QLatin1String("hang"))
            continue;
        if (!recorded || f.confidence > recorded->confidence
            || (f.confidence == recorded->confidence && f.tsNs < recorded->tsNs))
            recorded = f;
    }

    QString conclusionWords;
    const OutputLine *conclusionLine = nullptr;
    const QList<Evidence> conclusion = conclusionEvidence(&conclusionWords, &conclusionLine);
    const QString concludedWords = conclusion.isEmpty()
        ? QString()
        : QStringLiteral("; Ollama then concluded %1 (%2 line %3)")
              .arg(conclusionWords, m_ollama ? QStringLiteral("server") : QStringLiteral("log"))
              .arg(conclusionLine ? conclusionLine->number : 0);

    // 2. Without one, the cause the log names, most direct first.
    std::optional<Finding> cause;
    QString causeWho; // for the conclusion's step
    if (!recorded) {
        QList<Evidence> more; // other distinct causes, as evidence of the first
        // a. Runner and ggml error lines.
        QStringList runnerErrors;
        for (const RunnerProc &r : m_runners)
            for (const QString &e : parseOllamaLog(joinedText(r.lines)).runnerErrors)
                if (!runnerErrors.contains(e))
                    runnerErrors << e;
        for (const QString &e : std::as_const(m_log.runnerErrors))
            if (!runnerErrors.contains(e))
                runnerErrors << e;
        for (const QString &e : std::as_const(runnerErrors)) {
            const std::optional<LineRef> where = findLine(e);
            if (!where)
                continue;
            if (cause) {
                more << outputEvidence(where->processId, *where->line);
                continue;
            }
            const CodeInfo code = decodeErrorText(e);
            QString who = QStringLiteral("%1 printed").arg(where->who);
            if (where->processId == m_server.id) {
                const RunnerProc *r = runnerStartedBefore(int(where->line - m_lines.constData()) + 1);
                who = !m_ollama ? QStringLiteral("the log shows")
                    : r         ? QStringLiteral("the server's log shows, from %1,").arg(r->words())
                                : QStringLiteral("the server's log shows (runner or ggml output that Ollama passes on)");
            }
            Finding f = newFindingFor(*where, QStringLiteral("ollama-runner-error"),
                                      code.known() ? kKnownCodeConfidence : kUnknownReasonConfidence);
            f.title = runnerErrorTitle(e, code);
            f.step = QStringLiteral("%1 %2").arg(who, quoted(e));
            if (code.known())
                f.step += QStringLiteral(": %1").arg(code.words())
                    + (code.advice.cause.isEmpty() ? QString() : QStringLiteral(" — %1").arg(code.advice.cause));
            else
                f.step += QStringLiteral("; InitScope knows no result code for this reason, so the line itself is "
                                         "the finding");
            f.consequence = (e.contains(QLatin1String("failed to initialize"))
                                 ? QStringLiteral("ggml went on without that GPU backend, so the process had no GPU")
                                 : e.contains(QLatin1String("CUDA error"))
                                 ? QStringLiteral("ggml stops the process on a CUDA error, so the runner ended here")
                                 : QStringLiteral("the process had no working GPU"))
                + concludedWords + QLatin1Char('.');
            f.fix = !code.advice.fix.isEmpty()
                ? code.advice.fix
                : QStringLiteral("Record the server with `initscope record -- ollama serve`: the runner's calls into "
                                 "libcuda and libcudart then show which call failed and with what result.");
            causeWho = where->who;
            cause = f;
        }
        // b. Ollama's own discovery failures and in-process probe errors.
        for (const OllamaDiscoveryFailure &d : std::as_const(m_log.discoveryFailures)) {
            const OutputLine *l = serverLine(d.line);
            if (!l)
                continue;
            if (cause) {
                more << outputEvidence(m_server.id, *l);
                continue;
            }
            QString extra;
            for (const OllamaRecord &rec : std::as_const(m_log.records))
                if (rec.line == d.line && !rec.fields.value(QStringLiteral("extra_envs")).isEmpty()
                    && rec.fields.value(QStringLiteral("extra_envs")) != QLatin1String("map[]"))
                    extra = rec.fields.value(QStringLiteral("extra_envs"));
            const RunnerProc *r = runnerStartedBefore(d.line);
            QString subject = d.libraryPath.isEmpty() ? QString()
                                                      : QStringLiteral(" for the library directories %1").arg(d.libraryPath);
            if (!extra.isEmpty())
                subject += QStringLiteral(" (%1 — a validation pass restricted to devices)").arg(extra);
            const CodeInfo code = decodeErrorText(d.error);
            bool timeout = false;
            bool crash = false;
            QString status;
            const QString meaning = discoveryErrorWords(d.error, &timeout, &crash, &status);
            const LineRef where{m_server.id, m_server.pid, l, serverWords()};
            Finding f = newFindingFor(where, QStringLiteral("ollama-discovery-failed"),
                                      code.known() ? kKnownCodeConfidence : kDiscoveryConfidence);
            f.title = code.known() ? QStringLiteral("GPU discovery failed: %1 returned %2 (%3)").arg(code.via, code.name).arg(code.code)
                : timeout          ? QStringLiteral("GPU discovery timed out: %1").arg(d.error)
                : crash            ? QStringLiteral("GPU discovery failed: the discovery subprocess died (%1)").arg(status)
                                   : QStringLiteral("GPU discovery failed: %1").arg(d.error.left(120));
            f.step = QStringLiteral("%1 logged %2%3 at line %4")
                         .arg(serverWords(), quoted(d.error), subject)
                         .arg(l->number);
            if (r)
                f.step += QStringLiteral(", after starting %1").arg(r->words());
            if (code.known())
                f.step += QStringLiteral(": %1").arg(code.words())
                    + (code.advice.cause.isEmpty() ? QString() : QStringLiteral(" — %1").arg(code.advice.cause));
            else if (!meaning.isEmpty())
                f.step += QStringLiteral(": %1").arg(meaning);
            f.consequence = QStringLiteral("Ollama did not use the devices that discovery would have reported")
                + concludedWords + QLatin1Char('.');
            if (!code.advice.fix.isEmpty())
                f.fix = code.advice.fix;
            else if (timeout)
                f.fix = QStringLiteral("Find what the discovery subprocess waits for: set OLLAMA_DEBUG=2 so Ollama logs "
                                       "its output, or record the server with `initscope record -- ollama serve` to see "
                                       "the GPU call it hangs in.");
            else if (crash)
                f.fix = QStringLiteral("The subprocess died while it loaded the GPU libraries%1. Its own output is not in "
                                       "this log: set OLLAMA_DEBUG=2 so Ollama logs it, or record the server with "
                                       "`initscope record -- ollama serve`, which keeps every subprocess's output and "
                                       "the call it died in. Meanwhile OLLAMA_LLM_LIBRARY can point Ollama at another "
                                       "library directory.")
                            .arg(d.libraryPath.isEmpty() ? QString() : QStringLiteral(" of %1").arg(d.libraryPath));
            else
                f.fix = QStringLiteral("Set OLLAMA_DEBUG=2 so Ollama logs the discovery subprocess's own output, or "
                                       "record the server with `initscope record -- ollama serve`.");
            causeWho = serverWords();
            cause = f;
        }
        for (const QString &e : std::as_const(m_log.probeErrors)) {
            const std::optional<LineRef> where = findLine(e);
            if (!where)
                continue;
            if (cause) {
                more << outputEvidence(where->processId, *where->line);
                continue;
            }
            const CodeInfo code = decodeErrorText(e);
            Finding f = newFindingFor(*where, QStringLiteral("ollama-discovery-failed"),
                                      code.known() ? kKnownCodeConfidence : kUnknownReasonConfidence);
            f.title = code.known() ? QStringLiteral("GPU probe failed: %1 returned %2 (%3)").arg(code.via, code.name).arg(code.code)
                                   : QStringLiteral("GPU probe failed: %1").arg(e.left(120));
            f.step = QStringLiteral("Ollama's in-process GPU probe printed %1").arg(quoted(e));
            if (code.known())
                f.step += QStringLiteral(": %1").arg(code.words())
                    + (code.advice.cause.isEmpty() ? QString() : QStringLiteral(" — %1").arg(code.advice.cause));
            f.consequence = QStringLiteral("Ollama could not query that GPU") + concludedWords + QLatin1Char('.');
            f.fix = !code.advice.fix.isEmpty() ? code.advice.fix
                                               : QStringLiteral("Record the server with `initscope record -- ollama serve` "
                                                                "to see the failing call and its result.");
            causeWho = QStringLiteral("Ollama's GPU probe");
            cause = f;
        }
        // c. Nothing the rules name, but Ollama says it has no GPU: the first GPU error line.
        if (!cause && !conclusion.isEmpty()) {
            std::optional<LineRef> first;
            auto consider = [&](qint64 processId, qint64 pid, const QString &who, const QList<OutputLine> &lines) {
                for (const OutputLine &l : lines) {
                    const QString text = lineText(l);
                    if (text.contains(QLatin1String("[GIN")) || matchErrorRule(text).isEmpty()
                        || !gpuWordRe().match(text).hasMatch() || !errorLevelOrRaw(text))
                        continue;
                    if (!first || l.tsNs < first->line->tsNs)
                        first = LineRef{processId, pid, &l, who};
                    break;
                }
            };
            consider(m_server.id, m_server.pid, serverWords(), m_lines);
            for (const RunnerProc &r : m_runners)
                consider(r.proc.id, r.proc.pid, r.words(), r.lines);
            if (first) {
                Finding f = newFindingFor(*first, QStringLiteral("ollama-gpu-error"), kGenericConfidence);
                f.title = QStringLiteral("GPU error: %1").arg(quoted(lineText(*first->line), 100));
                f.step = QStringLiteral("%1 printed %2, the first error line about the GPU; no rule names this "
                                        "failure")
                             .arg(first->who, quoted(lineText(*first->line)));
                f.consequence = QStringLiteral("it is the only GPU failure the log shows") + concludedWords + QLatin1Char('.');
                f.fix = QStringLiteral("Record the server with `initscope record -- ollama serve` to see the call that "
                                       "failed, or set OLLAMA_DEBUG=2 so the runners' output is logged.");
                causeWho = first->who;
                cause = f;
            }
        }
        if (cause) {
            for (const Evidence &e : std::as_const(more))
                if (cause->evidence.size() < 12)
                    cause->evidence << e;
        }
    }

    // 3. Ollama's conclusion, related to the cause and ranked after it.
    if (!conclusion.isEmpty() && m_ollama) {
        Finding f;
        f.id = QStringLiteral("ollama-cpu-fallback");
        f.title = QStringLiteral("Ollama fell back to the CPU (%1)").arg(conclusionWords);
        f.severity = Severity::Contributing;
        f.processId = m_server.id;
        f.pid = m_server.pid;
        f.tsNs = conclusionLine->tsNs;
        f.errorLine = lineText(*conclusionLine);
        f.errorStream = conclusionLine->stream;
        f.errorLineNumber = conclusionLine->number;
        f.evidence = conclusion;
        f.step = QStringLiteral("Ollama's GPU discovery ended without a usable GPU: the server logged %1 (line %2)")
                     .arg(conclusionWords)
                     .arg(conclusionLine->number);
        if (recorded) {
            const RunnerProc *r = nullptr;
            for (const RunnerProc &rp : m_runners)
                if (rp.proc.id == recorded->processId)
                    r = &rp;
            const QString who = r ? r->words()
                                  : QStringLiteral("the server itself (pid %1)").arg(recorded->pid);
            f.step += QStringLiteral(". The cause is the root cause above: %1 failed first — \"%2\" (%3, pid %4)")
                          .arg(who, recorded->title, recorded->id)
                          .arg(recorded->pid);
            f.fix = QStringLiteral("Fix the root cause above (pid %1, %2): %3").arg(recorded->pid).arg(recorded->id, recorded->fix);
            f.confidence = 0.85;
            if (r && r->logRunner) {
                if (const OutputLine *start = serverLine(r->logRunner->line))
                    f.evidence << outputEvidence(m_server.id, *start);
            }
            Evidence proc;
            proc.kind = Evidence::Kind::Process;
            proc.id = recorded->processId;
            proc.processId = recorded->processId;
            proc.tsNs = recorded->tsNs;
            proc.text = QStringLiteral("pid %1: %2").arg(recorded->pid).arg(recorded->title);
            f.evidence << proc;
            for (const OllamaDiscoveryFailure &d : std::as_const(m_log.discoveryFailures))
                if (const OutputLine *l = serverLine(d.line); l && f.evidence.size() < 16)
                    f.evidence << outputEvidence(m_server.id, *l);
        } else if (cause) {
            f.step += QStringLiteral(". The cause is the root cause above: %1 (%2, in the output of %3)")
                          .arg(cause->title, cause->id, causeWho);
            f.fix = QStringLiteral("Fix the root cause above: %1").arg(cause->fix);
            f.confidence = 0.8;
            if (!cause->evidence.isEmpty())
                f.evidence << cause->evidence.first();
        } else {
            f.step += QStringLiteral(". The log does not say why: Ollama logs the runners' own errors only at "
                                     "OLLAMA_DEBUG=2, and a failure to start one only at OLLAMA_DEBUG=1");
            f.fix = QStringLiteral("Run the server with OLLAMA_DEBUG=2 so the runners' output is logged, or record it "
                                   "with `initscope record -- ollama serve`, which keeps every runner's output and "
                                   "traces its GPU calls.");
            f.confidence = 0.5;
        }
        f.consequence = QStringLiteral("models are loaded on the CPU only, with no layer offloaded to a GPU: inference "
                                       "is slow and `ollama ps` shows 100% CPU.");
        if (cause)
            findings << *cause;
        findings << f;
    } else if (cause) {
        findings << *cause;
    }
}

} // namespace

void ruleOllama(const BundleReader &reader, const Run &run, QList<Finding> &findings)
{
    const QList<Process> procs = reader.processes(run.id);
    const bool imported = isImportedLogRun(run);
    if (imported) {
        // Nothing of an imported log was recorded, so "no recorded departure" says nothing.
        findings.removeIf([](const Finding &f) { return f.id == QLatin1String("unexplained-failure"); });
    }
    QList<const Process *> servers;
    for (const Process &p : procs)
        if (isOllamaServer(p))
            servers << &p;
    if (imported && servers.isEmpty() && !procs.isEmpty()) {
        // A llama.cpp log: the process that wrote it is the first the import made.
        const Process *first = &procs.first();
        for (const Process &p : procs)
            if (p.id < first->id)
                first = &p;
        servers << first;
    }
    for (const Process *server : std::as_const(servers)) {
        ServerAnalysis analysis(reader, run, procs, *server, imported);
        analysis.run(findings);
    }
}

} // namespace initscope::diag
