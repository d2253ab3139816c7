// Helpers the diagnosis rules share: decoding calls, naming libraries, evidence, error lines.
#include "diagnosisinternal.h"

#include "report.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace initscope::diag {

QString shortUuid(const QString &uuid)
{
    return uuid.left(8) + QStringLiteral("…");
}

QString baseName(const QString &path)
{
    return QFileInfo(path).fileName();
}

QString lineText(const OutputLine &line)
{
    return QString::fromUtf8(line.bytes);
}

bool Context::stoppedAsPlanned() const
{
    // A stop rule that matched, or the user's Cancel: the SIGTERM (or the SIGKILL after it) was
    // InitScope's.
    return (plannedStop || run.cancelled) && proc.endReason == EndReason::Signaled
           && (proc.signal == 15 || proc.signal == 9);
}

bool failedProcess(const Process &p, const Run &run)
{
    if (p.endReason == EndReason::Exec)
        return false;
    if (p.endReason == EndReason::Exited)
        return p.exitCode != 0;
    return p.endReason == EndReason::Signaled || run.timedOut || p.endReason == EndReason::Unknown;
}

bool isGpuLibrary(const QString &name)
{
    static const QRegularExpression re(
        QStringLiteral("lib(cuda|cudart|nvidia-ml|nvcuda|cublas|cublasLt|ggml-cuda)\\b"));
    return re.match(name).hasMatch();
}

bool isShim(const Context &ctx, const QString &path)
{
    for (const Artifact &a : ctx.artifacts)
        if (a.kind == QLatin1String("shim") && (a.path == path || baseName(a.path) == baseName(path)))
            return true;
    return false;
}

// "the shim libcuda.so.1 (/path)" or "the driver /path".
QString whoAnswers(const Context &ctx, const QString &path, const QString &fallback)
{
    if (path.isEmpty())
        return fallback;
    return isShim(ctx, path) ? QStringLiteral("the shim %1 (%2)").arg(baseName(path), path)
                             : QStringLiteral("%1 (%2)").arg(baseName(path), path);
}

Evidence evidenceOf(Evidence::Kind kind, qint64 id, qint64 processId, qint64 tsNs, const QString &text)
{
    Evidence e;
    e.kind = kind;
    e.id = id;
    e.processId = processId;
    e.tsNs = tsNs;
    e.text = text;
    return e;
}

Evidence eventEvidence(const Call &c)
{
    Evidence e;
    e.kind = Evidence::Kind::Event;
    e.id = c.ev.id;
    e.processId = c.ev.processId;
    e.tsNs = c.ev.tsNs;
    QString summary = c.p.value(QLatin1String("summary")).toString();
    if (!c.resolved.isEmpty())
        summary = c.resolved.value(QLatin1String("summary")).toString(summary);
    else if (!c.table.isEmpty())
        summary = c.table.value(QLatin1String("summary")).toString(summary);
    e.text = summary.isEmpty() ? c.fn : summary;
    return e;
}

Evidence lineEvidence(const Context &ctx, const OutputLine &l)
{
    Evidence e;
    e.kind = Evidence::Kind::OutputLine;
    e.id = l.number;
    e.processId = ctx.proc.id;
    e.tsNs = l.tsNs;
    e.stream = l.stream;
    e.line = l.number;
    e.text = lineText(l);
    return e;
}

Evidence processEvidence(const Context &ctx)
{
    Evidence e;
    e.kind = Evidence::Kind::Process;
    e.id = ctx.proc.id;
    e.processId = ctx.proc.id;
    e.tsNs = ctx.proc.endNs.value_or(ctx.run.durationNs);
    e.text = QStringLiteral("pid %1 %2: %3")
                 .arg(ctx.proc.pid)
                 .arg(baseName(ctx.proc.exe), describeEnd(ctx.proc));
    return e;
}

// The output line a departure explains: one that carries one of the needles (the error text the
// consumer saw), printed after the departure. Error-rule lines first; a line that ends with the
// text (the text is the whole reason) before one that only quotes it; then the shortest.
const OutputLine *pickErrorLine(const Context &ctx, const QStringList &needles, qint64 afterNs)
{
    const OutputLine *best = nullptr;
    int bestScore = 0;
    for (const OutputLine &l : ctx.lines) {
        if (l.tsNs < afterNs)
            continue;
        const QString text = lineText(l);
        int score = 0;
        for (const QString &n : needles) {
            if (n.isEmpty() || !text.contains(n, Qt::CaseInsensitive))
                continue;
            score = std::max(score, 8 + (text.endsWith(n, Qt::CaseInsensitive) ? 2 : 0));
        }
        if (score == 0)
            continue;
        if (!matchErrorRule(text).isEmpty())
            score += 4;
        if (!best || score > bestScore || (score == bestScore && l.bytes.size() < best->bytes.size())) {
            best = &l;
            bestScore = score;
        }
    }
    if (best)
        return best;
    // No line quotes the error: the first error line after the departure, if any.
    for (const OutputLine &l : ctx.lines)
        if (l.tsNs >= afterNs && !matchErrorRule(lineText(l)).isEmpty())
            return &l;
    return nullptr;
}

void attachLine(const Context &ctx, Finding &f, const OutputLine *line)
{
    if (!line)
        return;
    f.errorLine = lineText(*line);
    f.errorStream = line->stream;
    f.errorLineNumber = line->number;
    f.evidence.append(lineEvidence(ctx, *line));
}

QString endWords(const Context &ctx)
{
    if (ctx.run.timedOut && ctx.proc.endReason != EndReason::Exited)
        return QStringLiteral("was still running when the run's timeout stopped it");
    return describeEnd(ctx.proc);
}

// "; the process then printed "…" and exit code 1."
QString thenPrinted(const Context &ctx, const Finding &f)
{
    if (f.errorLine.isEmpty())
        return QStringLiteral("; the process printed no error line and ended: %1.").arg(endWords(ctx));
    return QStringLiteral("; the process then printed \"%1\" and ended: %2.").arg(f.errorLine, endWords(ctx));
}

Finding newFinding(const Context &ctx, const QString &id, qint64 tsNs, double confidence)
{
    Finding f;
    f.id = id;
    f.processId = ctx.proc.id;
    f.pid = ctx.proc.pid;
    f.tsNs = tsNs;
    f.confidence = confidence;
    return f;
}

// Calls of the same scope that succeeded before c: the bring-up steps that worked.
void addSucceededBefore(const Context &ctx, Finding &f, int index)
{
    const Call &c = ctx.calls[index];
    QSet<QString> seen;
    // A nested call's scope starts at its outer call.
    for (int i = c.depth > 0 ? qMax(0, c.outer) : 0; i < index && f.succeededBefore.size() < 8; ++i) {
        const Call &o = ctx.calls[i];
        if (!o.ok || !o.returned || o.isResolution() || seen.contains(o.fn))
            continue;
        const bool sameScope = c.depth > 0 ? (o.outer == c.outer && i != c.outer)
                                           : (o.depth == 0 && o.api == c.api);
        if (!sameScope || f.succeededBefore.size() >= 8)
            continue;
        seen.insert(o.fn);
        f.succeededBefore.append(o.fn);
        f.evidence.append(eventEvidence(o));
    }
}

QString resultWords(const Call &c)
{
    return QStringLiteral("%1 (%2, \"%3\")").arg(c.resName).arg(c.code).arg(c.resMsg);
}

QList<Call> decodeCalls(const QList<Event> &events)
{
    QList<Call> calls;
    // Repeated calls (polling, a query per attribute) have the same payload: parsed once.
    QHash<QByteArray, QJsonObject> parsed;
    for (const Event &e : events) {
        if (!e.kind.endsWith(QLatin1String(".call")))
            continue;
        Call c;
        c.ev = e;
        auto it = parsed.constFind(e.payload);
        if (it == parsed.constEnd()) {
            if (parsed.size() >= 4096)
                parsed.clear();
            it = parsed.insert(e.payload, QJsonDocument::fromJson(e.payload).object());
        }
        c.p = *it;
        c.fn = c.p.value(QLatin1String("function")).toString(e.name);
        c.api = c.p.value(QLatin1String("api")).toString();
        c.depth = c.p.value(QLatin1String("depth")).toInt();
        const QJsonObject result = c.p.value(QLatin1String("result")).toObject();
        // A call the recorder saw start but not end (a crash or a hang inside it), if ingest marks one.
        c.returned = !c.p.value(QLatin1String("unfinished")).toBool(false) &&
                     c.p.value(QLatin1String("returned")).toBool(true);
        c.ok = c.p.value(QLatin1String("ok")).toBool(true) && c.returned;
        c.code = result.value(QLatin1String("code")).toInteger();
        c.resName = result.value(QLatin1String("name")).toString();
        c.resMsg = result.value(QLatin1String("message")).toString();
        c.resolved = c.p.value(QLatin1String("resolved")).toObject();
        c.table = c.p.value(QLatin1String("exportTable")).toObject();
        calls.append(c);
    }
    // Outermost enclosing call per thread: the last depth-0 call that had started before.
    QHash<qint64, int> lastOuter;
    for (int i = 0; i < calls.size(); ++i) {
        if (calls[i].depth == 0) {
            calls[i].outer = i;
            lastOuter.insert(calls[i].ev.tid, i);
        } else {
            calls[i].outer = lastOuter.value(calls[i].ev.tid, -1);
        }
    }
    return calls;
}

qint64 outNumber(const Call &c, const char *key)
{
    return c.p.value(QLatin1String("out")).toObject().value(QLatin1String(key)).toInteger(-1);
}

} // namespace initscope::diag
