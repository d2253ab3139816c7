// The diagnosis engine: first departure from the bring-up sequence, per process, explained.
// The model is described in docs/diagnosis.md.
#include "diagnosis.h"

#include "apicatalog.h"
#include "bundle.h"
#include "report.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace initscope {

namespace {

// One traced call, decoded once.
struct Call {
    Event ev;
    QJsonObject p;
    QString fn;
    QString api;
    int depth = 0;
    bool returned = true; // false for a call the recorder saw start but never end
    bool ok = true;
    qint64 code = 0;
    QString resName;
    QString resMsg;
    QJsonObject resolved;
    QJsonObject table;
    int outer = -1; // index of the outermost call that encloses it (itself at depth 0)
    qint64 endNs() const { return ev.tsNs + ev.durNs; }
    bool isResolution() const { return fn.startsWith(QLatin1String("cuGetProcAddress")); }
};

// The export table that a runtime asks for before initialising and that a driver may refuse.
const QString kSkipInitProbe = QStringLiteral("f8cff951-2146-8b4e-b9e2-fb469e7c0dd9");

struct Context {
    const BundleReader &reader;
    Run run;
    Process proc;
    QList<Call> calls;
    QList<LibSearch> searches;
    QList<LibLoad> loads;
    QList<OutputLine> lines;
    QList<Artifact> artifacts;
    QString driverLib; // path of the loaded libcuda, if any
    QString nvmlLib;
};

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
    for (int i = 0; i < index; ++i) {
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

// A failed call that the process did not recover from, explained by its class.
Finding callFinding(const Context &ctx, int index)
{
    const Call &c = ctx.calls[index];
    const Call *outer = (c.outer >= 0 && c.outer != index) ? &ctx.calls[c.outer] : nullptr;
    const QString who = outer ? QStringLiteral("the %1 library (inside %2)")
                                    .arg(outer->api == QLatin1String("runtime") ? QStringLiteral("CUDA runtime")
                                                                               : outer->api,
                                         outer->fn)
                              : QStringLiteral("the program");
    const QString answerer = whoAnswers(ctx, c.api == QLatin1String("nvml") ? ctx.nvmlLib : ctx.driverLib,
                                        QStringLiteral("the library"));
    Finding f;
    if (c.fn == QLatin1String("cuGetExportTable")) {
        const QString uuid = c.table.value(QLatin1String("uuid")).toString();
        QString name = c.table.value(QLatin1String("name")).toString();
        f = newFinding(ctx, QStringLiteral("export-table-refused"), c.endNs(), 0.9);
        const QString tableWords = name.isEmpty() ? QStringLiteral("a private interface %1").arg(uuid)
                                                  : QStringLiteral("its private interface %1 (%2)").arg(shortUuid(uuid), name);
        f.title = QStringLiteral("export table %1 refused").arg(name.isEmpty() ? uuid : name);
        f.step = QStringLiteral("%1 asked the driver for %2 with cuGetExportTable and %3 refused it with %4")
                     .arg(who, tableWords, answerer, resultWords(c));
        f.fix = QStringLiteral("Make cuGetExportTable in %1 answer %2%3 with a table: the CUDA runtime needs it "
                               "to start and gives up without it. The runtime's private tables are undocumented "
                               "(slot 0 holds the table's size in bytes); forward the request to a real "
                               "libcuda.so.1 or implement the table. Only the optional skip-init probe "
                               "(f8cff951…) may be answered with CUDA_ERROR_NOT_FOUND.")
                    .arg(answerer, uuid, name.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(name));
    } else if (c.fn.startsWith(QLatin1String("cuInit")) || c.fn.startsWith(QLatin1String("nvmlInit"))) {
        f = newFinding(ctx, QStringLiteral("init-failed"), c.endNs(), 0.9);
        f.title = QStringLiteral("%1 failed with %2").arg(c.fn, c.resName);
        f.step = QStringLiteral("%1 called %2 and %3 answered %4").arg(who, c.fn, answerer, resultWords(c));
        f.fix = c.code == 100 && c.api == QLatin1String("driver")
                    ? QStringLiteral("%1 reports no device: make it present one (its device configuration, the "
                                     "device nodes /dev/nvidia*, CUDA_VISIBLE_DEVICES in the run's environment).")
                          .arg(answerer)
                    : QStringLiteral("Find why %1 fails %2 with %3 (\"%4\"): that is the first step of bring-up and "
                                     "nothing after it can work.")
                          .arg(answerer, c.fn, c.resName, c.resMsg);
    } else {
        f = newFinding(ctx, QStringLiteral("failed-call"), c.endNs(), 0.6);
        f.title = QStringLiteral("%1 returned %2").arg(c.fn, c.resName);
        f.step = QStringLiteral("%1 returned %2 at %3 ms, the first departure from the expected bring-up "
                                "(called by %4, answered by %5)")
                     .arg(c.fn, resultWords(c), formatMs(c.ev.tsNs), who, answerer);
        f.fix = QStringLiteral("Make %1 in %2 succeed for these arguments (%3), or find why it answers %4.")
                    .arg(c.fn, answerer, c.p.value(QLatin1String("summary")).toString(), c.resName);
    }
    f.evidence.append(eventEvidence(c));
    addSucceededBefore(ctx, f, index);
    QStringList needles;
    QString seen;
    if (outer && !outer->ok) {
        f.consumerView = true;
        needles << outer->resMsg;
        seen = QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer));
        f.evidence.append(eventEvidence(*outer));
    } else {
        seen = QStringLiteral("%1 saw %2").arg(who, resultWords(c));
    }
    needles << c.resMsg << c.resName << c.fn;
    attachLine(ctx, f, pickErrorLine(ctx, needles, c.endNs()));
    if (!f.succeededBefore.isEmpty())
        f.step += QStringLiteral(", after %1 succeeded").arg(f.succeededBefore.join(QStringLiteral(", ")));
    f.consequence = seen + thenPrinted(ctx, f);
    return f;
}

QList<Call> decodeCalls(const QList<Event> &events)
{
    QList<Call> calls;
    for (const Event &e : events) {
        if (!e.kind.endsWith(QLatin1String(".call")))
            continue;
        Call c;
        c.ev = e;
        c.p = QJsonDocument::fromJson(e.payload).object();
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

void ruleMissingLibraries(const Context &ctx, QList<Finding> &out)
{
    const QList<LibLoad> runLoads = ctx.reader.libLoads(ctx.run.id);
    for (const LibSearch &s : ctx.searches) {
        if (s.outcome != SearchOutcome::NotFound)
            continue;
        bool named = false;
        for (const OutputLine &l : ctx.lines)
            named = named || lineText(l).contains(baseName(s.name));
        if (!isGpuLibrary(s.name) && !named)
            continue;
        Finding f = newFinding(ctx, QStringLiteral("library-not-found"), s.tsNs, 0.95);
        f.title = QStringLiteral("%1 not found").arg(s.name);
        QStringList tried;
        for (const LibSearchStep &st : s.steps)
            tried.append(QStringLiteral("%1 (%2, %3)")
                             .arg(st.path, searchOriginName(st.origin),
                                  st.exists == 1 ? QStringLiteral("exists") : st.exists == 0 ? QStringLiteral("missing") : QStringLiteral("unknown")));
        f.step = QStringLiteral("the program asked the loader for %1 and no candidate could be loaded; tried: %2")
                     .arg(s.name, tried.isEmpty() ? QStringLiteral("no path at all") : tried.join(QStringLiteral("; ")));
        Evidence e;
        e.kind = Evidence::Kind::LibSearch;
        e.id = s.id;
        e.processId = s.processId;
        e.tsNs = s.tsNs;
        e.text = QStringLiteral("search for %1: not found after %2 candidate(s)").arg(s.name).arg(s.steps.size());
        f.evidence.append(e);
        QString elsewhere;
        for (const LibLoad &l : runLoads)
            if (baseName(l.path) == baseName(s.name) && l.processId != ctx.proc.id)
                elsewhere = l.path;
        f.fix = QStringLiteral("Make %1 findable: put the directory that holds it (the shim's or the driver's) on "
                               "LD_LIBRARY_PATH, pass it with `initscope record --shim PATH`, or install the driver.")
                    .arg(s.name);
        if (!elsewhere.isEmpty())
            f.fix += QStringLiteral(" Another process of this run loaded it from %1.").arg(elsewhere);
        attachLine(ctx, f, pickErrorLine(ctx, {baseName(s.name), QStringLiteral("cannot open shared object")}, s.tsNs));
        f.consequence = QStringLiteral("nothing from %1 could be called").arg(s.name) + thenPrinted(ctx, f);
        out.append(f);
    }
}

// Resolutions whose answer is not the ABI the catalog names for the requested version.
void ruleResolutions(const Context &ctx, QList<Finding> &out)
{
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (!c.isResolution() || c.resolved.isEmpty() || !c.ok)
            continue;
        if (!c.resolved.contains(QLatin1String("matchesExpected")) || c.resolved.value(QLatin1String("matchesExpected")).toBool())
            continue;
        const QString symbol = c.resolved.value(QLatin1String("symbol")).toString();
        const int version = c.resolved.value(QLatin1String("cudaVersion")).toInt();
        const QString expected = c.resolved.value(QLatin1String("expected")).toString();
        const QString got = c.resolved.value(QLatin1String("ownerSymbol")).toString();
        Finding f = newFinding(ctx, QStringLiteral("abi-mismatch"), c.endNs(), 0.85);
        f.title = QStringLiteral("%1 at %2 resolves to %3, not %4").arg(symbol).arg(version).arg(got, expected);
        f.step = QStringLiteral("%1 asked %2 for \"%3\" at CUDA version %4 and got %5, where a caller of that version "
                                "expects %6 (a different ABI)")
                     .arg(c.depth > 0 ? QStringLiteral("the CUDA runtime") : QStringLiteral("the program"), c.fn, symbol)
                     .arg(version)
                     .arg(got.isEmpty() ? QStringLiteral("an unnamed function") : got, expected);
        if (symbol == QLatin1String("cuGetProcAddress"))
            f.step += QStringLiteral(": the 4-argument v1 resolver where CUDA 12 and later call the 5-argument one");
        f.fix = QStringLiteral("Make the resolver of %1 hand out %2 for \"%3\" requested at version %4 (the spelling "
                               "a caller of that version was compiled against), and %5 only below it.")
                    .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")), expected, symbol)
                    .arg(version)
                    .arg(got.isEmpty() ? QStringLiteral("the old ABI") : got);
        f.evidence.append(eventEvidence(c));
        const Call *outer = (c.outer >= 0 && c.outer != i) ? &ctx.calls[c.outer] : nullptr;
        QStringList needles;
        if (outer && !outer->ok)
            needles << outer->resMsg;
        needles << symbol << QStringLiteral("insufficient");
        attachLine(ctx, f, pickErrorLine(ctx, needles, c.endNs()));
        f.consequence = (outer && !outer->ok ? QStringLiteral("%1 later returned %2").arg(outer->fn, resultWords(*outer))
                                             : QStringLiteral("the caller goes on with a function of the wrong signature"))
            + thenPrinted(ctx, f);
        out.append(f);
    }
}

// A lookup that failed for a name the program then complained about: a symbol it needed.
void ruleMissingSymbols(const Context &ctx, QList<Finding> &out)
{
    static const QRegularExpression loaderRe(QStringLiteral("(\\S+): undefined symbol: (\\w+)"));
    static const QRegularExpression importsRe(QStringLiteral("which (\\S+) imports"));
    for (const OutputLine &l : ctx.lines) {
        const QString text = lineText(l);
        if (matchErrorRule(text).isEmpty() && !text.contains(QLatin1String("undefined symbol")))
            continue;
        QStringList symbols;
        QList<const Call *> lookups;
        for (const Call &c : ctx.calls) {
            if (!c.isResolution() || c.ok)
                continue;
            const QString sym = c.resolved.value(QLatin1String("symbol")).toString();
            if (sym.isEmpty() || symbols.contains(sym))
                continue;
            if (QRegularExpression(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(sym))).match(text).hasMatch()) {
                symbols.append(sym);
                lookups.append(&c);
            }
        }
        QString consumer;
        const QRegularExpressionMatch lm = loaderRe.match(text);
        if (lm.hasMatch()) {
            consumer = lm.captured(1);
            if (!symbols.contains(lm.captured(2)))
                symbols.prepend(lm.captured(2));
        }
        const QRegularExpressionMatch im = importsRe.match(text);
        if (im.hasMatch())
            consumer = im.captured(1);
        // "… does not export A, B, C": lookups a program made with dlsym, which leave no call.
        static const QRegularExpression exportRe(QStringLiteral("does not (?:export|provide) ((?:\\w+(?:, )?)+)"));
        const QRegularExpressionMatch em = exportRe.match(text);
        if (em.hasMatch())
            for (const QString &sym : em.captured(1).split(QStringLiteral(", "), Qt::SkipEmptyParts))
                if (!symbols.contains(sym) && ApiCatalog::instance().function(sym))
                    symbols.append(sym);
        if (symbols.isEmpty())
            continue;
        const qint64 ts = lookups.isEmpty() ? l.tsNs : lookups.first()->endNs();
        Finding f = newFinding(ctx, QStringLiteral("undefined-symbol"), ts, lookups.isEmpty() ? 0.8 : 0.9);
        const QString lib = symbols.first().startsWith(QLatin1String("nvml")) ? ctx.nvmlLib : ctx.driverLib;
        const QString libWords = whoAnswers(ctx, lib, QStringLiteral("the GPU library"));
        f.title = QStringLiteral("undefined symbol %1").arg(symbols.join(QStringLiteral(", ")));
        f.step = QStringLiteral("%1 does not provide %2%3")
                     .arg(libWords, symbols.join(QStringLiteral(", ")),
                          consumer.isEmpty() ? QString() : QStringLiteral(", which %1 needs to load").arg(consumer));
        for (const Call *c : lookups)
            f.evidence.append(eventEvidence(*c));
        attachLine(ctx, f, &l);
        f.fix = QStringLiteral("Export %1 from %2%3.")
                    .arg(symbols.join(QStringLiteral(", ")), libWords,
                         consumer.isEmpty() ? QString()
                                            : QStringLiteral(": %1 imports them and the loader refuses to load it without "
                                                             "them (\"undefined symbol\")").arg(consumer));
        f.consequence = QStringLiteral("%1 cannot be loaded").arg(consumer.isEmpty() ? QStringLiteral("the consumer") : consumer)
            + thenPrinted(ctx, f);
        out.append(f);
        return; // one line names the whole set
    }
}

void ruleCalls(const Context &ctx, QList<Finding> &out, QList<Finding> &tolerated)
{
    // The call a failed outer call ended on: its last failed nested call that is not a lookup.
    QHash<int, int> culprit;
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (c.depth > 0 && !c.ok && c.returned && !c.isResolution() && c.outer >= 0 && !ctx.calls[c.outer].ok)
            culprit.insert(c.outer, i);
    }
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (c.ok || !c.returned || c.isResolution())
            continue;
        const bool optionalTable = c.table.value(QLatin1String("uuid")).toString() == kSkipInitProbe;
        const bool nestedTolerated = c.depth > 0 && (c.outer < 0 || ctx.calls[c.outer].ok || culprit.value(c.outer) != i);
        if (optionalTable || nestedTolerated) {
            Finding f = newFinding(ctx, QStringLiteral("tolerated-failure"), c.endNs(), 0.7);
            f.severity = Severity::Harmless;
            f.title = QStringLiteral("%1 failed and the caller went on").arg(c.fn);
            f.step = eventEvidence(c).text;
            f.consequence = QStringLiteral("none: the caller accepted the answer and continued");
            f.fix = QStringLiteral("Nothing required.");
            f.evidence.append(eventEvidence(c));
            tolerated.append(f);
            continue;
        }
        if (c.depth == 0 && culprit.contains(i))
            continue; // explained by the nested call it ended on
        out.append(callFinding(ctx, i));
    }
}

// Values that a successful call reported and that no working bring-up reports.
void ruleReportedValues(const Context &ctx, QList<Finding> &out)
{
    qint64 cudaBytes = -1;
    const Call *cudaMem = nullptr;
    qint64 driverVersion = -1;
    const Call *versionCall = nullptr;
    qint64 required = 0;
    QString requiredWhy;
    for (const LibLoad &l : ctx.loads) {
        static const QRegularExpression re(QStringLiteral("libcudart\\.so\\.(\\d+)"));
        const QRegularExpressionMatch m = re.match(l.soname.isEmpty() ? l.path : l.soname);
        if (m.hasMatch() && m.captured(1).toInt() * 1000 > required) {
            required = m.captured(1).toInt() * 1000;
            requiredWhy = QStringLiteral("the runtime %1 loaded").arg(baseName(l.path));
        }
    }
    for (const Call &c : ctx.calls) {
        if (!c.ok)
            continue;
        if (c.fn.startsWith(QLatin1String("cuDeviceTotalMem")) && cudaBytes < 0) {
            cudaBytes = outNumber(c, "bytes");
            cudaMem = &c;
        }
        if (c.fn == QLatin1String("cuDriverGetVersion") && !versionCall) {
            driverVersion = outNumber(c, "driverVersion");
            versionCall = &c;
        }
        if (c.fn == QLatin1String("cudaRuntimeGetVersion") && outNumber(c, "runtimeVersion") > required) {
            required = outNumber(c, "runtimeVersion");
            requiredWhy = QStringLiteral("cudaRuntimeGetVersion reported %1").arg(required);
        }
    }
    if (versionCall && driverVersion > 0 && required > driverVersion) {
        Finding f = newFinding(ctx, QStringLiteral("driver-older-than-runtime"), versionCall->endNs(), 0.9);
        auto cuda = [](qint64 v) { return QStringLiteral("CUDA %1.%2").arg(v / 1000).arg((v % 1000) / 10); };
        f.title = QStringLiteral("driver reports %1, the runtime needs %2").arg(cuda(driverVersion), cuda(required));
        f.step = QStringLiteral("cuDriverGetVersion reported %1 (%2), older than the runtime (%3: %4)")
                     .arg(driverVersion).arg(cuda(driverVersion), requiredWhy, cuda(required));
        f.evidence.append(eventEvidence(*versionCall));
        int index = int(versionCall - ctx.calls.constData());
        const Call *outer = versionCall->outer >= 0 && versionCall->outer != index ? &ctx.calls[versionCall->outer] : nullptr;
        QStringList needles;
        if (outer && !outer->ok) {
            needles << outer->resMsg;
            f.evidence.append(eventEvidence(*outer));
        }
        needles << QStringLiteral("insufficient");
        attachLine(ctx, f, pickErrorLine(ctx, needles, versionCall->endNs()));
        f.consequence = (outer && !outer->ok ? QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer))
                                             : QStringLiteral("a runtime of %1 refuses this driver").arg(cuda(required)))
            + thenPrinted(ctx, f);
        f.fix = QStringLiteral("Make %1 report at least %2 in cuDriverGetVersion (and NVML's "
                               "nvmlSystemGetCudaDriverVersion), or use a runtime of %3 or older "
                               "(for Ollama: OLLAMA_LLM_LIBRARY=cuda_v%4).")
                    .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver")))
                    .arg(required).arg(cuda(driverVersion)).arg(driverVersion / 1000);
        out.append(f);
    }
    for (const Call &c : ctx.calls) {
        if (!c.ok)
            continue;
        const bool count = c.fn.startsWith(QLatin1String("cuDeviceGetCount")) || c.fn.startsWith(QLatin1String("nvmlDeviceGetCount"));
        if (count && (outNumber(c, "count") == 0 || outNumber(c, "deviceCount") == 0)) {
            Finding f = newFinding(ctx, QStringLiteral("no-device"), c.endNs(), 0.8);
            f.title = QStringLiteral("%1 reports no device").arg(c.fn);
            f.step = QStringLiteral("%1 succeeded but counted 0 devices").arg(c.fn);
            f.evidence.append(eventEvidence(c));
            attachLine(ctx, f, pickErrorLine(ctx, {c.fn, QStringLiteral("no devices"), QStringLiteral("no CUDA-capable")}, c.endNs()));
            f.consequence = QStringLiteral("the consumer finds no GPU") + thenPrinted(ctx, f);
            f.fix = QStringLiteral("Make %1 count the device the shim presents.").arg(c.fn);
            out.append(f);
        }
        if (c.fn.startsWith(QLatin1String("nvmlDeviceGetMemoryInfo"))) {
            const QJsonObject mem = c.p.value(QLatin1String("out")).toObject().value(QLatin1String("memory")).toObject();
            if (!mem.contains(QLatin1String("total")) || mem.value(QLatin1String("total")).toInteger() != 0)
                continue;
            Finding f = newFinding(ctx, QStringLiteral("memory-disagreement"), c.endNs(), cudaBytes > 0 ? 0.9 : 0.75);
            f.title = QStringLiteral("NVML reports 0 B of device memory");
            f.step = cudaBytes > 0
                         ? QStringLiteral("%1 reported total 0 B while %2 reported %3 bytes for the same device")
                               .arg(c.fn, cudaMem->fn).arg(cudaBytes)
                         : QStringLiteral("%1 reported total 0 B, free 0 B for a device it counts").arg(c.fn);
            f.evidence.append(eventEvidence(c));
            if (cudaMem)
                f.evidence.append(eventEvidence(*cudaMem));
            attachLine(ctx, f, pickErrorLine(ctx, {c.fn, QStringLiteral("0 B"), QStringLiteral("0 MiB")}, c.endNs()));
            f.consequence = QStringLiteral("consumers that size work with NVML's numbers (Ollama: total_vram=\"0 B\") see a GPU "
                                           "without memory")
                + thenPrinted(ctx, f);
            f.fix = QStringLiteral("Make nvmlDeviceGetMemoryInfo of %1 fill nvmlMemory_t with the device's memory%2.")
                        .arg(whoAnswers(ctx, ctx.nvmlLib, QStringLiteral("the NVML library")),
                             cudaBytes > 0 ? QStringLiteral(" (%1 bytes, as the driver reports)").arg(cudaBytes) : QString());
            out.append(f);
        }
    }
}

// The CUDA runtime looks up cuGetProcAddress_v2 by dlsym and resolves everything through it;
// a runtime that called driver functions without ever calling the resolver did not find it.
void ruleMissingResolver(const Context &ctx, QList<Finding> &out)
{
    bool runtimeLoaded = false;
    for (const LibLoad &l : ctx.loads)
        runtimeLoaded = runtimeLoaded || baseName(l.path).startsWith(QLatin1String("libcudart"));
    if (!runtimeLoaded)
        return;
    const Call *first = nullptr;
    for (const Call &c : ctx.calls) {
        if (c.depth == 0 || c.api != QLatin1String("driver"))
            continue;
        if (c.isResolution())
            return;
        if (!first)
            first = &c;
    }
    if (!first)
        return;
    Finding f = newFinding(ctx, QStringLiteral("resolver-missing"), first->ev.tsNs, 0.75);
    f.title = QStringLiteral("the runtime found no cuGetProcAddress_v2");
    f.step = QStringLiteral("the CUDA runtime called driver functions (first %1) without ever calling "
                            "cuGetProcAddress_v2: %2 does not export it, so the runtime fell back to looking up each "
                            "function by its exported name")
                 .arg(first->fn, whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")));
    f.evidence.append(eventEvidence(*first));
    const Call *outer = first->outer >= 0 ? &ctx.calls[first->outer] : nullptr;
    QStringList needles;
    if (outer && !outer->ok) {
        needles << outer->resMsg;
        f.evidence.append(eventEvidence(*outer));
    }
    needles << QStringLiteral("cuGetProcAddress_v2") << QStringLiteral("insufficient");
    attachLine(ctx, f, pickErrorLine(ctx, needles, first->ev.tsNs));
    f.consequence = (outer && !outer->ok ? QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer))
                                         : QStringLiteral("the runtime works without its resolver"))
        + thenPrinted(ctx, f);
    f.fix = QStringLiteral("Export cuGetProcAddress_v2 (5 arguments: symbol, pfn, cudaVersion, flags, symbolStatus) "
                           "from %1; CUDA 12 and later runtimes look it up with dlsym before anything else.")
                .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")));
    out.append(f);
}

// Death by a signal or a hang: where the process was when it stopped answering.
void ruleDeath(const Context &ctx, QList<Finding> &out)
{
    const bool hang = ctx.run.timedOut && ctx.proc.endReason != EndReason::Exited;
    const bool crash = !hang && ctx.proc.endReason == EndReason::Signaled;
    if (!hang && !crash)
        return;
    const qint64 endNs = ctx.proc.endNs.value_or(ctx.run.durationNs);
    // The call that never returned, if the recorder saw it start.
    const Call *open = nullptr;
    for (const Call &c : ctx.calls)
        if (!c.returned)
            open = &c;
    QString where;
    double confidence = 0.9;
    QString function = open ? open->fn : QString();
    const OutputLine *last = nullptr;
    for (const OutputLine &l : ctx.lines)
        if (!last || l.tsNs >= last->tsNs)
            last = &l;
    if (function.isEmpty() && last) {
        // A last word that names a GPU entry point (many shims log each call) says where.
        static const QRegularExpression fnRe(QStringLiteral("\\b((?:cu|cuda|nvml)[A-Z]\\w*)"));
        QRegularExpressionMatchIterator it = fnRe.globalMatch(lineText(*last));
        while (it.hasNext()) {
            const QString name = it.next().captured(1);
            if (ApiCatalog::instance().function(name))
                function = name;
        }
        confidence = function.isEmpty() ? 0.6 : 0.8;
    }
    const Call *lastDone = nullptr;
    for (const Call &c : ctx.calls)
        if (c.returned && c.endNs() <= endNs)
            lastDone = &c;
    const LibLoad *lastGpuLoad = nullptr;
    for (const LibLoad &l : ctx.loads)
        if (isGpuLibrary(l.path))
            lastGpuLoad = &l;
    const QString lib = lastGpuLoad ? lastGpuLoad->path : ctx.driverLib;
    bool runtimeLoaded = false;
    for (const LibLoad &l : ctx.loads)
        runtimeLoaded = runtimeLoaded || baseName(l.path).startsWith(QLatin1String("libcudart"));
    QString predicted;
    if (function.isEmpty() && lastGpuLoad && !lastDone && baseName(lib).startsWith(QLatin1String("libcuda.so")))
        predicted = runtimeLoaded ? QStringLiteral("cuGetProcAddress_v2") : QStringLiteral("cuInit");
    if (!function.isEmpty()) {
        where = QStringLiteral("inside %1 in %2").arg(function, whoAnswers(ctx, lib, QStringLiteral("the GPU library")));
    } else if (lastGpuLoad && !lastDone) {
        where = QStringLiteral("in the first call into %1, before any traced call returned: by the bring-up "
                               "sequence most likely %2 (the first call a %3 makes after loading it)")
                    .arg(whoAnswers(ctx, lib, QStringLiteral("the GPU library")),
                         predicted.isEmpty() ? QStringLiteral("its initialisation") : predicted,
                         runtimeLoaded ? QStringLiteral("CUDA runtime") : QStringLiteral("driver-API program"));
        function = predicted.isEmpty() ? QString() : QStringLiteral("%1 (probably)").arg(predicted);
    } else if (lastDone) {
        where = QStringLiteral("after %1 returned (%2 ms), in the next step").arg(lastDone->fn, formatMs(lastDone->endNs()));
    } else {
        where = QStringLiteral("before any GPU library call");
    }
    Finding f = newFinding(ctx, hang ? QStringLiteral("hang") : QStringLiteral("crash"),
                           open ? open->ev.tsNs : endNs, confidence);
    if (hang) {
        f.title = function.isEmpty() ? QStringLiteral("hang in GPU bring-up") : QStringLiteral("hang in %1").arg(function);
        f.step = QStringLiteral("the process stopped making progress %1 and was still waiting there when the run's "
                                "timeout ended it at %2 ms")
                     .arg(where, formatMs(endNs));
        f.fix = QStringLiteral("Find what %1 waits for (a lock, a device node, a daemon, an infinite loop) and make it "
                               "return or fail with an error.")
                    .arg(function.isEmpty() ? QStringLiteral("that call") : function);
    } else {
        f.title = QStringLiteral("%1 in %2").arg(signalName(ctx.proc.signal), function.isEmpty() ? QStringLiteral("GPU bring-up") : function);
        f.step = QStringLiteral("the process was killed by %1 (%2) %3")
                     .arg(signalName(ctx.proc.signal)).arg(ctx.proc.signal).arg(where);
        f.fix = QStringLiteral("Fix the crash in %1: run the target under a debugger with the shim's symbols, or "
                               "check its pointer arguments and initialisation order.")
                    .arg(function.isEmpty() ? QStringLiteral("the GPU library") : function);
    }
    if (open)
        f.evidence.append(eventEvidence(*open));
    if (lastDone)
        f.evidence.append(eventEvidence(*lastDone));
    if (lastGpuLoad) {
        Evidence e;
        e.kind = Evidence::Kind::LibLoad;
        e.id = lastGpuLoad->id;
        e.processId = lastGpuLoad->processId;
        e.tsNs = lastGpuLoad->tsNs;
        e.text = QStringLiteral("loaded %1").arg(lastGpuLoad->path);
        f.evidence.append(e);
    }
    if (last) {
        f.errorLine = lineText(*last);
        f.errorStream = last->stream;
        f.errorLineNumber = last->number;
        f.evidence.append(lineEvidence(ctx, *last));
    }
    f.evidence.append(processEvidence(ctx));
    f.consequence = last ? QStringLiteral("the last thing it printed was \"%1\"; then it ended: %2").arg(lineText(*last), endWords(ctx))
                         : QStringLiteral("it printed nothing and ended: %1").arg(endWords(ctx));
    out.append(f);
}

QList<Finding> diagnoseProcess(Context &ctx)
{
    QList<Finding> departures;
    QList<Finding> tolerated;
    ruleMissingLibraries(ctx, departures);
    ruleResolutions(ctx, departures);
    ruleMissingResolver(ctx, departures);
    ruleMissingSymbols(ctx, departures);
    ruleCalls(ctx, departures, tolerated);
    ruleReportedValues(ctx, departures);
    ruleDeath(ctx, departures);
    std::stable_sort(departures.begin(), departures.end(),
                     [](const Finding &a, const Finding &b) { return a.tsNs < b.tsNs; });

    // One finding per class and subject: the same table refused by the program and by the runtime
    // is one cause. The earliest time stays; the words of the instance that shows the consumer's
    // view (the one inside a failed outer call, which has more evidence) win.
    QList<Finding> merged;
    QHash<QString, int> byKey;
    for (const Finding &f : departures) {
        const QString key = f.id + QLatin1Char('|') + f.title;
        const auto it = byKey.constFind(key);
        if (it == byKey.constEnd()) {
            byKey.insert(key, int(merged.size()));
            merged.append(f);
            continue;
        }
        Finding &m = merged[*it];
        if (f.consumerView && !m.consumerView) {
            const qint64 ts = m.tsNs;
            const QList<Evidence> old = m.evidence;
            m = f;
            m.tsNs = ts;
            for (const Evidence &e : old)
                m.evidence.append(e);
        } else {
            m.evidence.append(f.evidence);
        }
    }
    const bool failed = failedProcess(ctx.proc, ctx.run);
    for (int i = 0; i < merged.size(); ++i)
        merged[i].severity = (failed && i == 0) ? Severity::RootCause : Severity::Contributing;

    if (merged.isEmpty() && failed) {
        // Nothing departed from the bring-up that was recorded: say so, with the process's words.
        Finding f = newFinding(ctx, QStringLiteral("unexplained-failure"), ctx.proc.endNs.value_or(0), 0.3);
        f.severity = Severity::Contributing;
        f.title = QStringLiteral("process failed without a recorded departure");
        f.step = QStringLiteral("no recorded call, load or lookup departed from the expected bring-up");
        attachLine(ctx, f, pickErrorLine(ctx, {}, 0));
        f.evidence.append(processEvidence(ctx));
        f.consequence = QStringLiteral("the process %1").arg(endWords(ctx))
            + (f.errorLine.isEmpty() ? QString() : QStringLiteral(" after printing \"%1\"").arg(f.errorLine));
        f.fix = QStringLiteral("Record again with the GPU libraries as --shim so their calls are traced, and read the "
                               "process's full output.");
        merged.append(f);
    }
    if (!tolerated.isEmpty()) {
        // Failures the consumer went on from, in one finding so they never crowd out the cause.
        Finding f = tolerated.first();
        f.title = QStringLiteral("%1 failed call(s) the caller tolerated").arg(tolerated.size());
        QStringList steps;
        for (const Finding &t : tolerated)
            if (steps.size() < 5)
                steps.append(t.step);
        f.step = steps.join(QStringLiteral("; ")) + (tolerated.size() > 5 ? QStringLiteral("; …") : QString());
        for (int i = 1; i < tolerated.size() && f.evidence.size() < 20; ++i)
            f.evidence.append(tolerated[i].evidence);
        merged.append(f);
    }
    return merged;
}

int severityRank(Severity s)
{
    return s == Severity::RootCause ? 0 : s == Severity::Contributing ? 1 : 2;
}

QString streamName(Stream s)
{
    return s == Stream::Stdout ? QStringLiteral("stdout") : QStringLiteral("stderr");
}

} // namespace

QString severityName(Severity severity)
{
    switch (severity) {
    case Severity::RootCause:
        return QStringLiteral("root cause");
    case Severity::Contributing:
        return QStringLiteral("contributing");
    case Severity::Harmless:
        break;
    }
    return QStringLiteral("harmless");
}

QString evidenceKindName(Evidence::Kind kind)
{
    switch (kind) {
    case Evidence::Kind::Event:
        return QStringLiteral("event");
    case Evidence::Kind::LibSearch:
        return QStringLiteral("lib-search");
    case Evidence::Kind::LibLoad:
        return QStringLiteral("lib-load");
    case Evidence::Kind::OutputLine:
        return QStringLiteral("output");
    case Evidence::Kind::Process:
        break;
    }
    return QStringLiteral("process");
}

bool Diagnosis::hasRootCause() const
{
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding &f) { return f.severity == Severity::RootCause; });
}

Diagnosis diagnose(const BundleReader &reader, qint64 runId)
{
    Diagnosis d;
    d.bundlePath = reader.path();
    for (const Run &r : reader.runs())
        if (r.id == runId)
            d.run = r;
    const QList<Artifact> artifacts = reader.artifacts(runId);
    for (const Process &p : reader.processes(runId)) {
        Context ctx{reader, d.run, p, {}, {}, {}, {}, artifacts, {}, {}};
        ctx.calls = decodeCalls(reader.events(runId, p.id));
        ctx.searches = reader.libSearches(runId, p.id);
        ctx.loads = reader.libLoads(runId, p.id);
        ctx.lines = splitOutputLines(reader.output(p.id));
        for (const LibLoad &l : ctx.loads) {
            const QString name = l.soname.isEmpty() ? baseName(l.path) : l.soname;
            if (name.startsWith(QLatin1String("libcuda.so")))
                ctx.driverLib = l.path;
            if (name.startsWith(QLatin1String("libnvidia-ml.so")))
                ctx.nvmlLib = l.path;
        }
        d.findings.append(diagnoseProcess(ctx));
    }
    std::stable_sort(d.findings.begin(), d.findings.end(), [](const Finding &a, const Finding &b) {
        if (severityRank(a.severity) != severityRank(b.severity))
            return severityRank(a.severity) < severityRank(b.severity);
        if (a.severity == Severity::RootCause && a.confidence != b.confidence)
            return a.confidence > b.confidence;
        return a.tsNs < b.tsNs;
    });
    return d;
}

QString formatDiagnosisText(const Diagnosis &d)
{
    QString out = QStringLiteral("Diagnosis of run %1: %2\n").arg(d.run.id).arg(d.run.name);
    if (d.findings.isEmpty())
        return out + QStringLiteral("  No departure from the expected GPU bring-up was recorded.\n");
    int n = 0;
    for (const Finding &f : d.findings) {
        out += QStringLiteral("\n%1. [%2] %3 (%4, confidence %5)\n")
                   .arg(++n)
                   .arg(severityName(f.severity), f.title, f.id)
                   .arg(f.confidence, 0, 'f', 2);
        out += QStringLiteral("   step         pid %1 at %2 ms: %3\n").arg(f.pid).arg(formatMs(f.tsNs), f.step);
        if (!f.errorLine.isEmpty())
            out += QStringLiteral("   error line   %1:%2  %3\n").arg(streamName(f.errorStream)).arg(f.errorLineNumber).arg(f.errorLine);
        out += QStringLiteral("   consequence  %1\n").arg(f.consequence);
        out += QStringLiteral("   fix          %1\n").arg(f.fix);
        out += QStringLiteral("   evidence\n");
        for (const Evidence &e : f.evidence)
            out += QStringLiteral("     %1 ms  %2 #%3  %4\n")
                       .arg(formatMs(e.tsNs), 10)
                       .arg(evidenceKindName(e.kind))
                       .arg(e.kind == Evidence::Kind::OutputLine ? QStringLiteral("%1:%2").arg(streamName(e.stream)).arg(e.line)
                                                                 : QString::number(e.id))
                       .arg(e.text);
    }
    return out;
}

QString formatTopFinding(const Diagnosis &d)
{
    if (d.findings.isEmpty())
        return QString();
    const Finding &f = d.findings.first();
    QString out = QStringLiteral("Diagnosis  [%1] %2 (confidence %3)\n")
                      .arg(severityName(f.severity), f.title)
                      .arg(f.confidence, 0, 'f', 2);
    out += QStringLiteral("  step   %1\n").arg(f.step);
    if (!f.errorLine.isEmpty())
        out += QStringLiteral("  line   %1\n").arg(f.errorLine);
    out += QStringLiteral("  fix    %1\n").arg(f.fix);
    return out;
}

QJsonObject diagnosisToJson(const Diagnosis &d)
{
    QJsonArray findings;
    for (const Finding &f : d.findings) {
        QJsonArray evidence;
        for (const Evidence &e : f.evidence) {
            QJsonObject o{{QStringLiteral("kind"), evidenceKindName(e.kind)},
                          {QStringLiteral("processId"), e.processId},
                          {QStringLiteral("tsNs"), e.tsNs},
                          {QStringLiteral("text"), e.text}};
            if (e.kind == Evidence::Kind::OutputLine) {
                o.insert(QStringLiteral("stream"), streamName(e.stream));
                o.insert(QStringLiteral("line"), e.line);
            } else {
                o.insert(QStringLiteral("id"), e.id);
            }
            evidence.append(o);
        }
        QJsonObject o{{QStringLiteral("id"), f.id},
                      {QStringLiteral("title"), f.title},
                      {QStringLiteral("severity"), severityName(f.severity)},
                      {QStringLiteral("confidence"), f.confidence},
                      {QStringLiteral("processId"), f.processId},
                      {QStringLiteral("pid"), f.pid},
                      {QStringLiteral("tsNs"), f.tsNs},
                      {QStringLiteral("step"), f.step},
                      {QStringLiteral("succeededBefore"), QJsonArray::fromStringList(f.succeededBefore)},
                      {QStringLiteral("consequence"), f.consequence},
                      {QStringLiteral("fix"), f.fix},
                      {QStringLiteral("evidence"), evidence}};
        if (f.errorLine.isEmpty()) {
            o.insert(QStringLiteral("errorLine"), QJsonValue());
        } else {
            o.insert(QStringLiteral("errorLine"), QJsonObject{{QStringLiteral("text"), f.errorLine},
                                                              {QStringLiteral("stream"), streamName(f.errorStream)},
                                                              {QStringLiteral("line"), f.errorLineNumber}});
        }
        findings.append(o);
    }
    return QJsonObject{{QStringLiteral("id"), d.run.id},
                       {QStringLiteral("name"), d.run.name},
                       {QStringLiteral("rootCauseFound"), d.hasRootCause()},
                       {QStringLiteral("findings"), findings}};
}

QJsonObject diagnosesToJson(const QList<Diagnosis> &diagnoses, const QString &bundlePath)
{
    QJsonArray runs;
    for (const Diagnosis &d : diagnoses)
        runs.append(diagnosisToJson(d));
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-diagnosis")},
                       {QStringLiteral("version"), kDiagnosisJsonVersion},
                       {QStringLiteral("bundle"), bundlePath},
                       {QStringLiteral("runs"), runs}};
}

} // namespace initscope
