// The diagnosis engine: first departure from the bring-up sequence, per process, explained.
// The model is described in docs/diagnosis.md; the rules live in diagnosis{search,loader,calls,
// devices,death,ollama}.cpp.
#include "diagnosis.h"

#include "displaytext.h"

#include "callpayload.h"

#include "bundle.h"
#include "diagnosisinternal.h"
#include "eventscan.h"
#include "report.h"

#include <QHash>
#include <QJsonArray>
#include <QLocale>
#include <QSet>

#include <algorithm>
#include <deque>

namespace initscope {

using namespace diag;

namespace {

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
    ruleWrongFileFirst(ctx, departures);
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
    // Each fact once per finding, in the order it was first cited.
    for (Finding &f : merged) {
        QList<Evidence> unique;
        QSet<QString> seen;
        for (const Evidence &e : f.evidence) {
            const QString key = QStringLiteral("%1|%2|%3|%4").arg(int(e.kind)).arg(e.id).arg(int(e.stream)).arg(e.line);
            if (!seen.contains(key)) {
                seen.insert(key);
                unique.append(e);
            }
        }
        f.evidence = unique;
    }
    const bool failed = failedProcess(ctx.proc, ctx.run) && !ctx.stoppedAsPlanned();
    for (int i = 0; i < merged.size(); ++i)
        merged[i].severity = (failed && i == 0) ? Severity::RootCause : Severity::Contributing;

    const QList<Event> untraced = merged.isEmpty() && failed
        ? ctx.reader.eventsOfKind(ctx.run.id, ctx.proc.id, QStringLiteral("process.untraced"))
        : QList<Event>();
    if (!untraced.isEmpty()) {
        // Nothing was recorded inside it because the recorder could not enter it: that is what
        // to fix first, so that the next recording sees its bring-up.
        const Event &e = untraced.first();
        Finding f = newFinding(ctx, QStringLiteral("untraced-process"), e.tsNs, 0.4);
        f.severity = Severity::Contributing;
        f.title = QStringLiteral("process failed and was not traced");
        f.step = QStringLiteral("the recorder could not enter it (%1); its library loads and GPU calls are not "
                                "in the recording").arg(e.name);
        attachLine(ctx, f, pickErrorLine(ctx, {}, 0));
        f.evidence.append(evidenceOf(Evidence::Kind::Event, e.id, e.processId, e.tsNs, e.name));
        f.evidence.append(processEvidence(ctx));
        f.consequence = QStringLiteral("it ended: %1").arg(endWords(ctx))
            + (f.errorLine.isEmpty() ? QString() : QStringLiteral(" after printing \"%1\"").arg(f.errorLine));
        f.fix = QStringLiteral("Record a form of it the recorder can enter (dynamically linked, 64-bit, not "
                               "set-user-ID), or have its parent keep LD_AUDIT and INITSCOPE_* in its environment; "
                               "until then only its output and exit are known.");
        merged.append(f);
    } else if (merged.isEmpty() && failed) {
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

// Long runs (docs/diagnosis.md): a process with more events than this is read selectively, so
// that diagnosing a million events takes seconds and bounded memory. What the rules need of a
// long run is its bring-up, its failures and the calls that report the setup; the rest are the
// same successful calls over and over.
constexpr qint64 kFullReadEvents = 50'000;
constexpr int kBringUpCalls = 20'000;  // every call up to here
constexpr int kFailedCalls = 5'000;    // failed calls after it (unfinished ones always)
constexpr int kReportingCalls = 200;   // of each function that reports devices, versions, memory
constexpr int kLastCalls = 256;        // the calls just before the end

bool reportsSetup(QStringView fn)
{
    static const char *const prefixes[] = {"cuInit", "nvmlInit", "cuDriverGetVersion", "cudaRuntimeGetVersion",
                                           "cudaDriverGetVersion", "cuDeviceGetCount", "cudaGetDeviceCount",
                                           "nvmlDeviceGetCount", "cuDeviceTotalMem", "nvmlDeviceGetMemoryInfo",
                                           "cuMemGetInfo", "cudaMemGetInfo", "cuDeviceGetUuid", "nvmlDeviceGetUUID",
                                           "cuGetExportTable", "cuGetProcAddress"};
    for (const char *prefix : prefixes)
        if (fn.startsWith(QLatin1String(prefix)))
            return true;
    return false;
}

// The events of a long process that the rules read, in time order; *read counts them.
QList<Event> selectEvents(const EventScanner &scanner, qint64 runId, qint64 processId, QString *error)
{
    // A row with its payload as stored: made into an Event (its call payload decoded) only
    // when it is kept.
    struct Pending {
        EventRow row;
        QByteArray stored;
    };
    auto toEvent = [&](const Pending &p) {
        return scanner.toEvent(p.row, expandCallPayload(scanner.text(p.row.nameId), p.stored), runId);
    };
    QList<Event> kept;
    QSet<qint64> keptIds;
    std::deque<Pending> last;                 // the latest calls not kept otherwise
    QHash<qint64, Pending> openOuter;         // per thread: its latest outermost call, not kept yet
    QHash<qint64, qint64> keepInsideUntil;    // per thread: end of a kept failed outermost call
    QHash<qint32, int> reporting;
    int calls = 0;
    int failed = 0;
    auto keep = [&](Event &&e) {
        keptIds.insert(e.id);
        kept.append(std::move(e));
    };
    EventScanQuery query;
    query.runId = runId;
    query.processId = processId;
    query.withPayload = true;
    query.storedPayload = true;
    scanner.scan(query, [&](const EventRow &row, QByteArrayView payload) {
        if (row.status == CallStatus::NotACall) {
            keep(scanner.toEvent(row, payload.toByteArray(), runId));
            return true;
        }
        const int index = calls++;
        const bool outermost = isCompactCall(payload) ? payload.at(4) == 0
                                                      : topLevelJsonValue(payload, "depth") == QByteArrayView("0")
                                                            || topLevelJsonValue(payload, "depth").isEmpty();
        const qint64 endNs = row.tsNs + row.durNs;
        bool wanted = index < kBringUpCalls || row.status == CallStatus::Unfinished
                      || (row.status == CallStatus::Failed && failed < kFailedCalls)
                      || (!outermost && row.tsNs < keepInsideUntil.value(row.tid, -1));
        if (!wanted && reportsSetup(scanner.text(row.nameId)))
            wanted = reporting[row.nameId]++ < kReportingCalls;
        Pending p{row, payload.toByteArray()};
        if (!wanted) {
            if (outermost)
                openOuter.insert(row.tid, p);
            last.push_back(std::move(p));
            if (last.size() > size_t(kLastCalls))
                last.pop_front();
            return true;
        }
        if (row.status == CallStatus::Failed && index >= kBringUpCalls)
            ++failed;
        if (outermost) {
            openOuter.remove(row.tid);
            if (row.status != CallStatus::Ok)
                keepInsideUntil.insert(row.tid, endNs);
        } else if (auto outer = openOuter.find(row.tid); outer != openOuter.end()) {
            // The outermost call around a kept nested one comes along: it names the caller.
            if (outer->row.tsNs + outer->row.durNs >= row.tsNs && !keptIds.contains(outer->row.id))
                keep(toEvent(*outer));
            openOuter.erase(outer);
        }
        keep(toEvent(p));
        return true;
    }, error);
    for (const Pending &p : last)
        if (!keptIds.contains(p.row.id))
            keep(toEvent(p));
    std::sort(kept.begin(), kept.end(), [](const Event &a, const Event &b) {
        return a.tsNs != b.tsNs ? a.tsNs < b.tsNs : a.id < b.id;
    });
    return kept;
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
    // A run its stop rule ended (docs/run-config.md) says so in a note.
    bool plannedStop = false;
    for (const Event &e : reader.eventsOfKind(runId, -1, QStringLiteral("recorder.note")))
        plannedStop = plannedStop || e.name.startsWith(QLatin1String("stopped by the run's stop rule"));
    std::unique_ptr<EventScanner> scanner;
    for (const Process &p : reader.processes(runId)) {
        Context ctx{reader, d.run, p, {}, {}, {}, {}, artifacts, {}, {}, plannedStop, {}};
        const qint64 total = reader.eventCount(runId, p.id);
        QString scanError;
        if (total > kFullReadEvents && !scanner)
            scanner = EventScanner::open(reader.path(), &scanError);
        if (total > kFullReadEvents && scanner) {
            const QList<Event> events = selectEvents(*scanner, runId, p.id, &scanError);
            ctx.calls = decodeCalls(events);
            d.notes.append(QStringLiteral("pid %1: %2 of its %3 events read: the first %4 calls, every failed call, "
                                          "the calls that report devices, versions and memory, and the last %5")
                               .arg(p.pid)
                               .arg(QLocale(QLocale::English).toString(events.size()), QLocale(QLocale::English).toString(total))
                               .arg(QLocale(QLocale::English).toString(kBringUpCalls))
                               .arg(kLastCalls));
        } else {
            ctx.calls = decodeCalls(reader.events(runId, p.id));
        }
        if (!scanError.isEmpty())
            d.notes.append(QStringLiteral("pid %1: its events could not all be read: %2").arg(p.pid).arg(scanError));
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
    ruleOllama(reader, d.run, d.findings);
    std::stable_sort(d.findings.begin(), d.findings.end(), [](const Finding &a, const Finding &b) {
        if (severityRank(a.severity) != severityRank(b.severity))
            return severityRank(a.severity) < severityRank(b.severity);
        if (a.severity == Severity::RootCause && a.confidence != b.confidence)
            return a.confidence > b.confidence;
        return a.tsNs < b.tsNs;
    });
    return d;
}

namespace {

// Findings quote the bundle (names, paths, the error line, which may be megabytes): each field
// escaped and cut for the terminal as every string of a bundle is (core/displaytext.h).
QString line(const QString &text)
{
    return display::elide(text, 400);
}

QString block(const QString &text)
{
    return display::elide(text, 2000, display::Breaks::Keep);
}

} // namespace

QString formatDiagnosisText(const Diagnosis &d)
{
    QString out = QStringLiteral("Diagnosis of run %1: %2\n").arg(QString::number(d.run.id), line(d.run.name));
    for (const QString &note : d.notes)
        out += QStringLiteral("  Note: %1.\n").arg(block(note));
    if (d.findings.isEmpty())
        return out + QStringLiteral("  No departure from the expected GPU bring-up was recorded.\n");
    int n = 0;
    for (const Finding &f : d.findings) {
        out += QStringLiteral("\n%1. [%2] %3 (%4, confidence %5)\n")
                   .arg(QString::number(++n), severityName(f.severity), line(f.title), f.id,
                        QString::number(f.confidence, 'f', 2));
        out += QStringLiteral("   step         pid %1 at %2 ms: %3\n").arg(QString::number(f.pid), formatMs(f.tsNs), line(f.step));
        if (!f.errorLine.isEmpty())
            out += QStringLiteral("   error line   %1:%2  %3\n")
                       .arg(streamName(f.errorStream), QString::number(f.errorLineNumber), line(f.errorLine));
        out += QStringLiteral("   consequence  %1\n").arg(block(f.consequence));
        out += QStringLiteral("   fix          %1\n").arg(block(f.fix));
        out += QStringLiteral("   evidence\n");
        for (const Evidence &e : f.evidence)
            out += QStringLiteral("     %1 ms  %2 #%3  %4\n")
                       .arg(formatMs(e.tsNs), 10)
                       .arg(evidenceKindName(e.kind),
                            e.kind == Evidence::Kind::OutputLine ? QStringLiteral("%1:%2").arg(streamName(e.stream)).arg(e.line)
                                                                 : QString::number(e.id),
                            line(e.text));
    }
    return out;
}

QString formatTopFinding(const Diagnosis &d)
{
    if (d.findings.isEmpty())
        return QString();
    const Finding &f = d.findings.first();
    QString out = QStringLiteral("Diagnosis  [%1] %2 (confidence %3)\n")
                      .arg(severityName(f.severity), line(f.title), QString::number(f.confidence, 'f', 2));
    out += QStringLiteral("  step   %1\n").arg(line(f.step));
    if (!f.errorLine.isEmpty())
        out += QStringLiteral("  line   %1\n").arg(line(f.errorLine));
    out += QStringLiteral("  fix    %1\n").arg(block(f.fix));
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
    QJsonObject run{{QStringLiteral("id"), d.run.id},
                    {QStringLiteral("name"), d.run.name},
                    {QStringLiteral("rootCauseFound"), d.hasRootCause()},
                    {QStringLiteral("findings"), findings}};
    if (!d.notes.isEmpty())
        run.insert(QStringLiteral("notes"), QJsonArray::fromStringList(d.notes));
    return run;
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