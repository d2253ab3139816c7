// The Chrome trace-event export (docs/export.md, "Chrome trace"): written as it is read, one
// event at a time from EventScanner, so that a run of a million calls needs a buffer of a
// megabyte and not a document of a gigabyte.
#include "export.h"
#include "exportinternal.h"

#include "bundle.h"
#include "callpayload.h"
#include "diagnosis.h"
#include "displaytext.h"
#include "eventscan.h"
#include "report.h"

#include <QHash>
#include <QIODevice>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>

namespace initscope {

using namespace exportdetail;

namespace {

// Trace pids and tids (docs/export.md): the recorded ones for the first run exported, the same
// plus kRunStride × n for the n-th next, so that runs never share a track. An image chain whose
// pid another chain of the same run already has (pid reuse, or an imported log's pid 0) gets
// kSyntheticBase + k: Linux pids stay below 2^22 = 4194304.
constexpr qint64 kRunStride = 10'000'000;
constexpr qint64 kSyntheticBase = 5'000'000;
constexpr qint64 kFlushBytes = 1 << 20;
constexpr qsizetype kNameChars = 160;       // an instant's name (output line, finding title)
constexpr qsizetype kArgTextChars = 64 * 1024; // an output line kept in args
constexpr qint64 kProgressEvery = 1 << 15;

class TraceOut
{
public:
    explicit TraceOut(QIODevice *device) : m_device(device) { m_buf.reserve(kFlushBytes + 64 * 1024); }

    // Starts the next element of traceEvents and returns the buffer to append it to.
    QByteArray &event()
    {
        m_buf.append(m_first ? "\n" : ",\n");
        m_first = false;
        return m_buf;
    }
    QByteArray &raw() { return m_buf; }
    bool maybeFlush() { return m_buf.size() < kFlushBytes || flush(); }
    bool flush()
    {
        if (m_failed)
            return false;
        if (!m_buf.isEmpty() && m_device->write(m_buf) != m_buf.size())
            m_failed = true;
        m_buf.clear();
        return !m_failed;
    }
    bool failed() const { return m_failed; }
    QString errorString() const { return m_device->errorString(); }

private:
    QIODevice *m_device;
    QByteArray m_buf;
    bool m_first = true;
    bool m_failed = false;
};

QByteArray jsonString(QStringView text)
{
    QByteArray out;
    appendJsonString(&out, text);
    return out;
}

// The payload of an event as the members of a JSON object (without its braces), valid JSON
// whatever the bundle holds: calls stored compactly are decoded through the catalog, JSON
// payloads are parsed and written again, anything else becomes a string.
QByteArray payloadMembers(QStringView function, QByteArrayView stored)
{
    if (stored.isEmpty())
        return {};
    QByteArray json;
    if (isCompactCall(stored)) {
        // A polling loop repeats the same stored bytes: each distinct one is made once.
        thread_local QHash<QByteArray, QByteArray> recent;
        QByteArray key = function.toUtf8();
        key.append('\0');
        key.append(stored.data(), stored.size());
        if (const auto it = recent.constFind(key); it != recent.constEnd())
            return *it;
        json = display::jsonForTerminal(expandCallPayload(function, stored.toByteArray()));
        QByteArray members = json.size() >= 2 && json.front() == '{' && json.back() == '}'
                                 ? json.mid(1, json.size() - 2)
                                 : QByteArray();
        if (recent.size() >= 4096)
            recent.clear();
        recent.insert(std::move(key), members);
        return members;
    } else {
        QJsonParseError parsed;
        QJsonDocument doc = QJsonDocument::fromJson(stored.toByteArray(), &parsed);
        if (parsed.error != QJsonParseError::NoError || !doc.isObject()) {
            QByteArray member = "\"payloadText\":";
            appendJsonString(&member, display::elideBytes(stored, kArgTextChars));
            return member;
        }
        QJsonObject o = doc.object();
        o.remove(QStringLiteral("eventId"));
        json = QJsonDocument(o).toJson(QJsonDocument::Compact);
    }
    // Qt writes valid JSON with controls escaped; the bidi and invisible characters a shim's
    // strings may hold become \uXXXX as well (display::jsonForTerminal).
    json = display::jsonForTerminal(json);
    if (json.size() < 2 || json.front() != '{' || json.back() != '}')
        return {};
    return json.mid(1, json.size() - 2);
}

struct ProcessTrack {
    qint64 tracePid = 0;
    qint64 realPid = 0;
    std::optional<qint64> endNs;
};

struct Kind {
    enum Type { Call, Loader, Process, Other };
    Type type = Other;
    QString text;
    QByteArray cat; // JSON string literal
};

Kind kindOf(const QString &text)
{
    Kind k;
    k.text = text;
    if (isCallKind(text)) {
        k.type = Kind::Call;
        k.cat = text == QLatin1String("cudart.call") ? "\"runtime\""
                : text == QLatin1String("nvml.call") ? "\"nvml\""
                                                     : "\"driver\"";
    } else if (text.startsWith(QLatin1String("lib.")) || text.startsWith(QLatin1String("loader."))) {
        k.type = Kind::Loader;
        k.cat = "\"loader\"";
    } else if (text.startsWith(QLatin1String("process."))) {
        k.type = Kind::Process;
        k.cat = "\"process\"";
    } else {
        const qsizetype dot = text.indexOf(QLatin1Char('.'));
        k.cat = jsonString(dot > 0 ? QStringView(text).left(dot) : QStringView(text));
        if (k.cat == "\"\"")
            k.cat = "\"event\"";
    }
    return k;
}

class ChromeExporter
{
public:
    ChromeExporter(const BundleReader &reader, const ExportOptions &options, QIODevice *out)
        : m_reader(reader), m_options(options), m_out(out)
    {
    }

    bool run(QString *error);

private:
    void header(const QList<Run> &runs);
    void assignTracks(const Run &run, int runIndex, const QList<Process> &processes, bool prefix);
    bool streamEvents(const Run &run, QString *error);
    void outputInstants(const QList<Process> &processes);
    void findingInstants(const Diagnosis &diagnosis);
    void threadNames();
    qint64 traceTid(const ProcessTrack &track, qint64 tid) const
    {
        return tid == 0 || tid == track.realPid ? track.tracePid : tid + m_runOffset;
    }
    void metadata(const char *name, qint64 pid, std::optional<qint64> tid, const QByteArray &argName,
                  const QByteArray &argValue);

    const BundleReader &m_reader;
    const ExportOptions &m_options;
    TraceOut m_out;
    QHash<qint64, ProcessTrack> m_tracks; // by processes.id
    qint64 m_runOffset = 0;
    qint64 m_fallbackPid = 0;             // for events of the run as a whole
    QSet<QPair<qint64, qint64>> m_threads; // (trace pid, trace tid) seen in this run
    QHash<QPair<qint64, qint64>, bool> m_mainThread;
    qint64 m_done = 0;
    qint64 m_total = 0;
};

void ChromeExporter::metadata(const char *name, qint64 pid, std::optional<qint64> tid, const QByteArray &argName,
                              const QByteArray &argValue)
{
    QByteArray &b = m_out.event();
    b.append("{\"name\":\"").append(name).append("\",\"ph\":\"M\",\"pid\":").append(QByteArray::number(pid));
    if (tid)
        b.append(",\"tid\":").append(QByteArray::number(*tid));
    b.append(",\"args\":{\"").append(argName).append("\":").append(argValue).append("}}");
}

void ChromeExporter::header(const QList<Run> &runs)
{
    QByteArray &b = m_out.raw();
    b.append("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"format\":\"initscope-chrome-trace\",\"version\":\"");
    b.append(QByteArray::number(kChromeTraceExportVersion));
    b.append("\",\"exportedBy\":");
    appendJsonString(&b, QStringLiteral("InitScope " INITSCOPE_VERSION));
    b.append(",\"bundle\":");
    appendJsonString(&b, m_reader.path());
    for (const Run &r : runs) {
        b.append(",\"run ").append(QByteArray::number(r.id)).append("\":");
        appendJsonString(&b, QStringLiteral("%1; command: %2; host: %3; started %4; %5")
                                 .arg(r.name, commandLine(r.command), r.hostname, wallTimeUtc(r.startRealtimeNs),
                                      describeRunEnd(r)));
    }
    b.append("},\"traceEvents\":[");
}

void ChromeExporter::assignTracks(const Run &run, int runIndex, const QList<Process> &processes, bool prefix)
{
    m_tracks.clear();
    m_threads.clear();
    m_fallbackPid = 0;
    m_runOffset = qint64(runIndex) * kRunStride;
    QHash<qint64, int> index;
    for (int i = 0; i < processes.size(); ++i)
        index.insert(processes[i].id, i);
    // The first image of each chain of execs, and the chain's images in order.
    auto chainRoot = [&](int i) {
        for (int steps = 0; steps < processes.size(); ++steps) {
            const int prev = index.value(processes[i].previousImageId, -1);
            if (prev < 0 || prev == i)
                break;
            i = prev;
        }
        return i;
    };
    QList<int> roots;
    QHash<int, QList<int>> chains;
    for (int i = 0; i < processes.size(); ++i) {
        const int root = chainRoot(i);
        if (!chains.contains(root))
            roots.append(root);
        chains[root].append(i);
    }
    QSet<qint64> taken;
    qint64 synthetic = kSyntheticBase;
    int sortIndex = 0;
    for (int root : std::as_const(roots)) {
        const QList<int> &chain = chains[root];
        const qint64 realPid = processes[root].pid;
        qint64 pid = realPid;
        if (pid <= 0 || pid >= kSyntheticBase || taken.contains(pid))
            pid = synthetic++;
        taken.insert(pid);
        const qint64 tracePid = pid + m_runOffset;
        QStringList names;
        for (int i : chain) {
            const Process &p = processes[i];
            m_tracks.insert(p.id, ProcessTrack{tracePid, realPid, p.endNs});
            if (names.isEmpty() || names.last() != programName(p))
                names.append(programName(p));
        }
        QString name = names.join(QStringLiteral(" → "));
        if (pid != realPid)
            name += QStringLiteral(" (pid %1)").arg(realPid);
        if (prefix)
            name = QStringLiteral("run %1 · %2").arg(run.id).arg(name);
        metadata("process_name", tracePid, std::nullopt, "name", jsonString(name));
        const Process &last = processes[chain.last()];
        metadata("process_labels", tracePid, std::nullopt, "labels",
                 jsonString(QStringLiteral("%1; %2").arg(describeEnd(last), commandLine(last.argv))));
        metadata("process_sort_index", tracePid, std::nullopt, "sort_index",
                 QByteArray::number(qint64(runIndex) * 100000 + sortIndex++));
        if (m_fallbackPid == 0)
            m_fallbackPid = tracePid; // the run's first process, normally its root
    }
    if (roots.isEmpty())
        m_fallbackPid = synthetic + m_runOffset;
}

bool ChromeExporter::streamEvents(const Run &run, QString *error)
{
    QString why;
    std::unique_ptr<EventScanner> scanner = EventScanner::open(m_reader.path(), &why);
    if (!scanner) {
        *error = why;
        return false;
    }
    QHash<qint32, Kind> kinds;
    QHash<qint32, QString> names;
    QHash<qint32, QByteArray> jsonNames;
    EventScanQuery query;
    query.runId = run.id;
    query.withPayload = true;
    query.storedPayload = true;
    const bool ok = scanner->scan(query, [&](const EventRow &row, QByteArrayView payload) {
        auto kindIt = kinds.constFind(row.kindId);
        if (kindIt == kinds.constEnd())
            kindIt = kinds.insert(row.kindId, kindOf(scanner->text(row.kindId)));
        const Kind &kind = *kindIt;
        auto nameIt = names.constFind(row.nameId);
        if (nameIt == names.constEnd())
            nameIt = names.insert(row.nameId, scanner->text(row.nameId));
        const QString &name = *nameIt;

        const auto track = m_tracks.constFind(row.processId);
        const bool runEvent = track == m_tracks.constEnd();
        const qint64 pid = runEvent ? m_fallbackPid : track->tracePid;
        const qint64 tid = runEvent ? pid : traceTid(*track, row.tid);
        const bool span = kind.type == Kind::Call || row.durNs > 0;
        qint64 dur = row.durNs;
        if (row.status == CallStatus::Unfinished && dur <= 0 && !runEvent && track->endNs)
            dur = std::max<qint64>(0, *track->endNs - row.tsNs);

        QByteArray &b = m_out.event();
        b.append("{\"name\":");
        if (kind.type == Kind::Call) {
            auto jsonIt = jsonNames.constFind(row.nameId);
            if (jsonIt == jsonNames.constEnd())
                jsonIt = jsonNames.insert(row.nameId, jsonString(name.isEmpty() ? kind.text : name));
            b.append(*jsonIt);
        } else {
            appendJsonString(&b, name.isEmpty() ? kind.text
                                                : kind.text + QStringLiteral(": ") + display::elide(name, kNameChars));
        }
        b.append(",\"cat\":").append(kind.cat);
        if (span) {
            b.append(",\"ph\":\"X\",\"ts\":").append(microseconds(row.tsNs));
            b.append(",\"dur\":").append(microseconds(std::max<qint64>(0, dur)));
        } else {
            b.append(",\"ph\":\"i\",\"ts\":").append(microseconds(row.tsNs));
            b.append(runEvent ? ",\"s\":\"g\"" : kind.type == Kind::Process ? ",\"s\":\"p\"" : ",\"s\":\"t\"");
        }
        b.append(",\"pid\":").append(QByteArray::number(pid));
        b.append(",\"tid\":").append(QByteArray::number(tid));
        if (row.status == CallStatus::Failed || row.status == CallStatus::Unfinished)
            b.append(",\"cname\":\"terrible\"");
        b.append(",\"args\":{\"eventId\":").append(QByteArray::number(row.id));
        if (row.status == CallStatus::Unfinished)
            b.append(",\"unfinishedUntilProcessEnd\":true");
        const QByteArray members = payloadMembers(name, payload);
        if (!members.isEmpty())
            b.append(',').append(members);
        b.append("}}");

        m_threads.insert({pid, tid});
        if (!runEvent)
            m_mainThread.insert({pid, tid}, tid == track->tracePid);
        if (++m_done % kProgressEvery == 0 && m_options.progress)
            m_options.progress(m_done, m_total);
        return m_out.maybeFlush();
    }, &why);
    if (m_out.failed())
        return false;
    if (!ok) {
        *error = why;
        return false;
    }
    return true;
}

void ChromeExporter::outputInstants(const QList<Process> &processes)
{
    for (const Process &p : processes) {
        const auto track = m_tracks.constFind(p.id);
        if (track == m_tracks.constEnd())
            continue;
        for (const OutputLine &line : splitOutputLines(m_reader.output(p.id))) {
            const QString text = QString::fromUtf8(line.bytes);
            const QString rule = matchErrorRule(text);
            if (rule.isEmpty())
                continue;
            const QString stream = line.stream == Stream::Stderr ? QStringLiteral("stderr") : QStringLiteral("stdout");
            QByteArray &b = m_out.event();
            b.append("{\"name\":");
            appendJsonString(&b, stream + QStringLiteral(": ") + display::elideBytes(line.bytes, kNameChars));
            b.append(",\"cat\":\"output\",\"ph\":\"i\",\"s\":\"p\",\"ts\":").append(microseconds(line.tsNs));
            b.append(",\"pid\":").append(QByteArray::number(track->tracePid));
            b.append(",\"tid\":").append(QByteArray::number(track->tracePid));
            b.append(",\"cname\":\"bad\",\"args\":{\"stream\":");
            appendJsonString(&b, stream);
            b.append(",\"line\":").append(QByteArray::number(line.number));
            b.append(",\"rule\":");
            appendJsonString(&b, rule);
            b.append(",\"text\":");
            appendJsonString(&b, display::elideBytes(line.bytes, kArgTextChars));
            b.append("}}");
            m_out.maybeFlush();
        }
    }
}

void ChromeExporter::findingInstants(const Diagnosis &diagnosis)
{
    int rank = 0;
    for (const Finding &f : diagnosis.findings) {
        ++rank;
        const auto track = m_tracks.constFind(f.processId);
        const bool onProcess = track != m_tracks.constEnd();
        QByteArray &b = m_out.event();
        b.append("{\"name\":");
        appendJsonString(&b, QStringLiteral("%1: %2").arg(severityName(f.severity), display::elide(f.title, kNameChars)));
        b.append(",\"cat\":\"diagnosis\",\"ph\":\"i\",\"s\":").append(onProcess ? "\"p\"" : "\"g\"");
        b.append(",\"ts\":").append(microseconds(f.tsNs));
        const qint64 pid = onProcess ? track->tracePid : m_fallbackPid;
        b.append(",\"pid\":").append(QByteArray::number(pid));
        b.append(",\"tid\":").append(QByteArray::number(pid));
        if (f.severity == Severity::RootCause)
            b.append(",\"cname\":\"terrible\"");
        b.append(",\"args\":{\"rank\":").append(QByteArray::number(rank));
        const QList<QPair<const char *, QString>> texts = {
            {"finding", f.id},           {"severity", severityName(f.severity)}, {"title", f.title},
            {"step", f.step},            {"consequence", f.consequence},         {"fix", f.fix},
            {"errorLine", f.errorLine},  {"succeededBefore", f.succeededBefore.join(QStringLiteral(", "))}};
        for (const auto &[key, value] : texts) {
            if (value.isEmpty())
                continue;
            b.append(",\"").append(key).append("\":");
            appendJsonString(&b, display::elide(value, kArgTextChars));
        }
        b.append(",\"confidence\":").append(QByteArray::number(f.confidence, 'f', 2));
        b.append(",\"evidence\":[");
        for (qsizetype i = 0; i < f.evidence.size(); ++i) {
            const Evidence &e = f.evidence[i];
            if (i > 0)
                b.append(',');
            appendJsonString(&b, QStringLiteral("%1 #%2 at %3 ms: %4")
                                     .arg(evidenceKindName(e.kind))
                                     .arg(e.kind == Evidence::Kind::OutputLine ? qint64(e.line) : e.id)
                                     .arg(formatMs(e.tsNs), display::elide(e.text, kNameChars * 2)));
        }
        b.append("]}}");
    }
}

void ChromeExporter::threadNames()
{
    QList<QPair<qint64, qint64>> threads = m_threads.values();
    std::sort(threads.begin(), threads.end());
    for (const auto &[pid, tid] : std::as_const(threads)) {
        const bool main = m_mainThread.value({pid, tid}, tid == pid);
        metadata("thread_name", pid, tid, "name", main ? QByteArray("\"main\"") : QByteArray("\"thread\""));
        metadata("thread_sort_index", pid, tid, "sort_index", main ? "0" : "1");
    }
    m_mainThread.clear();
}

bool ChromeExporter::run(QString *error)
{
    const QList<Run> runs = runsToExport(m_reader, m_options);
    for (const Run &r : runs)
        m_total += m_reader.eventCount(r.id);
    header(runs);
    QString why;
    for (int i = 0; i < runs.size() && why.isEmpty(); ++i) {
        const Run &run = runs[i];
        const QList<Process> processes = m_reader.processes(run.id);
        assignTracks(run, i, processes, runs.size() > 1);
        if (!streamEvents(run, &why) && why.isEmpty())
            break; // the output failed
        outputInstants(processes);
        findingInstants(diagnose(m_reader, run.id));
        threadNames();
    }
    m_out.raw().append("\n]}\n");
    if (why.isEmpty())
        why = readFailure(m_reader);
    if (!why.isEmpty()) {
        if (error)
            *error = QStringLiteral("Could not read %1 to the end: %2").arg(m_reader.path(), why);
        return false;
    }
    if (!m_out.flush()) {
        if (error)
            *error = QStringLiteral("Could not write the trace: %1.").arg(m_out.errorString());
        return false;
    }
    if (m_options.progress)
        m_options.progress(m_total, m_total);
    return true;
}

} // namespace

bool writeChromeTrace(const BundleReader &reader, const ExportOptions &options, QIODevice *out, QString *error)
{
    ChromeExporter exporter(reader, options, out);
    return exporter.run(error);
}

} // namespace initscope
