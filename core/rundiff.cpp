// Run diff (docs/diff.md).
#include "rundiff.h"

#include "displaytext.h"

#include "bundle.h"
#include "callpayload.h"
#include "diagnosis.h"
#include "eventscan.h"
#include "report.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace initscope {

namespace {

struct Item {
    qint64 eventId = -1;
    qint64 tsNs = 0;
    QString key;    // normalisedCall
    QString result; // result name
    QString answer; // identity of the answering library (hash, else path)
    QString answerText;
};

struct Side {
    const BundleReader *reader = nullptr;
    std::unique_ptr<EventScanner> scanner; // the calls, read lean (SQLite's C API)
    qint64 runId = -1;
    QList<Process> processes;
    QHash<QString, QString> libraryIdentity; // path → sha256 (gpu-library artifacts)
};

QString baseName(const QString &path)
{
    return QFileInfo(path).fileName();
}

// What a process is, without what changes between identical runs (pids, ports, temp dirs).
QString roleOf(const Process &p)
{
    QStringList words{baseName(p.exe.isEmpty() ? p.argv.value(0) : p.exe)};
    static const QRegularExpression volatileRe(QStringLiteral("\\d{3,}|/tmp/[^ ]*"));
    for (int i = 1; i < p.argv.size() && i < 4; ++i)
        if (!p.argv[i].startsWith(QLatin1Char('/')))
            words.append(QString(p.argv[i]).replace(volatileRe, QStringLiteral("#")));
    return words.join(QLatin1Char(' '));
}

// Myers' O(ND) diff of two key sequences: the edit script as pairs (index in a or -1, index
// in b or -1), in order.
QList<QPair<int, int>> alignSequences(const QList<int> &a, const QList<int> &b)
{
    const int n = int(a.size()), m = int(b.size());
    const int max = n + m;
    QList<QList<int>> trace;
    QList<int> v(2 * max + 3, 0);
    const int offset = max + 1;
    int found = -1;
    for (int d = 0; d <= max && found < 0; ++d) {
        trace.append(v);
        for (int k = -d; k <= d; k += 2) {
            int x;
            if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                x = v[offset + k + 1];
            else
                x = v[offset + k - 1] + 1;
            int y = x - k;
            while (x < n && y < m && a[x] == b[y]) {
                ++x;
                ++y;
            }
            v[offset + k] = x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    // Walk back through the trace.
    QList<QPair<int, int>> script;
    int x = n, y = m;
    for (int d = found; d > 0; --d) {
        const QList<int> &pv = trace[d];
        const int k = x - y;
        int prevK;
        if (k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1]))
            prevK = k + 1;
        else
            prevK = k - 1;
        const int prevX = pv[offset + prevK];
        const int prevY = prevX - prevK;
        while (x > prevX && y > prevY)
            script.prepend({--x, --y});
        if (x == prevX)
            script.prepend({-1, --y});
        else
            script.prepend({--x, -1});
    }
    while (x > 0 && y > 0)
        script.prepend({--x, --y});
    return script;
}

// Calls per thread, in order of first appearance, without the resolver's lookups.
QList<QList<Item>> threadsOf(const Side &s, const Process &p, QSet<QString> &resolved)
{
    QMap<qint64, int> order; // tid → index
    QList<QList<Item>> threads;
    if (!s.scanner)
        return threads;
    QString driverLib;
    for (const LibLoad &l : s.reader->libLoads(s.runId, p.id))
        if ((l.soname.isEmpty() ? baseName(l.path) : l.soname).startsWith(QLatin1String("libcuda.so")))
            driverLib = l.path;
    // What a payload says, by the function and its stored bytes: repeated calls are decoded
    // and read once.
    struct Reading {
        QJsonObject payload;
        QString function;
        QString key;
        QString result;
    };
    QList<Reading> readings;
    QHash<QByteArray, qsizetype> readingOf;
    struct CallEvent {
        qint64 id;
        qint64 tid;
        qint64 tsNs;
        qsizetype reading;
    };
    QList<CallEvent> events;
    EventScanQuery query;
    query.runId = s.runId;
    query.processId = p.id;
    query.kinds = {QStringLiteral("cuda.call"), QStringLiteral("cudart.call"), QStringLiteral("nvml.call")};
    query.withPayload = true;
    query.storedPayload = true;
    // The file's own order reads the table front to back; the time order is made here.
    query.inTimeOrder = false;
    QByteArray key;
    s.scanner->scan(query, [&](const EventRow &row, QByteArrayView stored) {
        key.setNum(row.nameId);
        key.append('\0');
        key.append(stored);
        auto it = readingOf.constFind(key);
        if (it == readingOf.constEnd()) {
            const QString name = s.scanner->text(row.nameId);
            Reading r;
            r.payload = QJsonDocument::fromJson(expandCallPayload(name, stored.toByteArray())).object();
            r.function = r.payload.value(QLatin1String("function")).toString(name);
            r.key = normalisedCall(r.payload, r.function);
            r.result = r.payload.value(QLatin1String("result")).toObject().value(QLatin1String("name")).toString();
            readings.append(std::move(r));
            it = readingOf.insert(key, readings.size() - 1);
        }
        events.append({row.id, row.tid, row.tsNs, *it});
        return true;
    });
    std::sort(events.begin(), events.end(), [](const CallEvent &x, const CallEvent &y) {
        return x.tsNs != y.tsNs ? x.tsNs < y.tsNs : x.id < y.id;
    });
    for (const CallEvent &e : std::as_const(events)) {
        const Reading *reading = &readings.at(e.reading);
        const QJsonObject &payload = reading->payload;
        const QString &fn = reading->function;
        if (fn.startsWith(QLatin1String("cuGetProcAddress"))) {
            const QJsonObject r = payload.value(QLatin1String("resolved")).toObject();
            if (r.value(QLatin1String("ok")).toBool() && payload.value(QLatin1String("ok")).toBool())
                resolved.insert(r.value(QLatin1String("symbol")).toString());
            continue;
        }
        if (!order.contains(e.tid)) {
            order.insert(e.tid, int(threads.size()));
            threads.append(QList<Item>());
        }
        Item item;
        item.eventId = e.id;
        item.tsNs = e.tsNs;
        item.key = reading->key;
        item.result = reading->result;
        if (!payload.value(QLatin1String("returned")).toBool(true) || payload.value(QLatin1String("unfinished")).toBool())
            item.result = QStringLiteral("(never returned)");
        const QString api = payload.value(QLatin1String("api")).toString();
        if (api == QLatin1String("driver") && !driverLib.isEmpty()) {
            item.answerText = driverLib;
            item.answer = s.libraryIdentity.value(driverLib, driverLib);
        }
        threads[order.value(e.tid)].append(item);
    }
    return threads;
}

QMap<QString, QString> envMap(const QStringList &env)
{
    QMap<QString, QString> m;
    for (const QString &kv : env) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        const QString name = kv.left(eq);
        // What InitScope itself sets differs between any two recordings.
        if (name.startsWith(QLatin1String("INITSCOPE_")) || name == QLatin1String("LD_AUDIT"))
            continue;
        m.insert(name, eq < 0 ? QString() : kv.mid(eq + 1));
    }
    return m;
}

QStringList outputLines(const BundleReader &reader, qint64 processId)
{
    QStringList out;
    for (const OutputLine &l : splitOutputLines(reader.output(processId)))
        out.append(normalisedLine(QString::fromUtf8(l.bytes)));
    return out;
}

} // namespace

QString callDifferenceKindName(CallDifference::Kind kind)
{
    switch (kind) {
    case CallDifference::Kind::OnlyInA:
        return QStringLiteral("only-in-a");
    case CallDifference::Kind::OnlyInB:
        return QStringLiteral("only-in-b");
    case CallDifference::Kind::ResultDiffers:
        return QStringLiteral("result");
    case CallDifference::Kind::AnswerDiffers:
        break;
    }
    return QStringLiteral("answer");
}

QString normalisedCall(const QJsonObject &payload, const QString &function)
{
    QStringList parts;
    const QJsonObject table = payload.value(QLatin1String("exportTable")).toObject();
    if (!table.isEmpty())
        parts.append(table.value(QLatin1String("name")).toString(table.value(QLatin1String("uuid")).toString()));
    const QJsonObject args = payload.value(QLatin1String("args")).toObject();
    for (auto it = args.constBegin(); it != args.constEnd(); ++it) {
        const QJsonValue v = it.value();
        if (v.isString() && (v.toString().startsWith(QLatin1String("0x")) || v.toString().isEmpty()))
            continue; // a pointer: differs between runs, says nothing about what was asked
        if (v.isNull() || v.isObject() || v.isArray())
            continue;
        parts.append(QStringLiteral("%1=%2").arg(it.key(), v.isString() ? v.toString() : v.toVariant().toString()));
    }
    return QStringLiteral("%1(%2)").arg(function, parts.join(QStringLiteral(", ")));
}

QString normalisedLine(const QString &line)
{
    static const QRegularExpression hex(QStringLiteral("0x[0-9a-fA-F]+"));
    static const QRegularExpression time(QStringLiteral("\\d{1,4}[-/:]\\d{2}[-/:]\\d{2}[T ]?[\\d:.,]*Z?|\\b\\d+(\\.\\d+)? ?(ms|us|µs|ns|s)\\b"));
    static const QRegularExpression pid(QStringLiteral("\\b(pid|port|tid)[=: ]+\\d+"));
    static const QRegularExpression tmp(QStringLiteral("/tmp/[^ :\"']+"));
    QString s = line;
    s.replace(hex, QStringLiteral("0x…"));
    s.replace(time, QStringLiteral("<time>"));
    s.replace(pid, QStringLiteral("\\1 #"));
    s.replace(tmp, QStringLiteral("/tmp/…"));
    return s.trimmed();
}

bool RunDiff::equivalent() const
{
    for (const ProcessPair &p : processes)
        if (p.a < 0 || p.b < 0)
            return false;
    return calls.isEmpty() && resolverOnlyA.isEmpty() && resolverOnlyB.isEmpty() && libraries.isEmpty() &&
           environment.isEmpty() && config.isEmpty() && outputOnlyA.isEmpty() && outputOnlyB.isEmpty() &&
           diagnosisA == diagnosisB;
}

RunDiff diffRuns(const DiffSide &da, const DiffSide &db, const DiffOptions &options)
{
    RunDiff d;
    d.labelA = da.label;
    d.labelB = db.label;
    Side a{da.reader, nullptr, da.runId, da.reader->processes(da.runId), {}};
    Side b{db.reader, nullptr, db.runId, db.reader->processes(db.runId), {}};
    for (Side *s : {&a, &b}) {
        QString error;
        s->scanner = EventScanner::open(s->reader->path(), &error);
        if (!s->scanner)
            d.libraries.append(QStringLiteral("the calls of %1 could not be read: %2")
                                   .arg(s->reader->path(), error));
    }
    for (Side *s : {&a, &b})
        for (const Artifact &art : s->reader->artifacts(s->runId))
            if (art.kind == QLatin1String("gpu-library") && !art.sha256.isEmpty())
                s->libraryIdentity.insert(art.path, QString::fromLatin1(art.sha256));

    // Processes: same role, in order of start.
    QList<bool> usedB(b.processes.size(), false);
    for (const Process &pa : a.processes) {
        const QString role = roleOf(pa);
        int match = -1;
        for (int j = 0; j < b.processes.size() && match < 0; ++j)
            if (!usedB[j] && roleOf(b.processes[j]) == role)
                match = j;
        if (match >= 0)
            usedB[match] = true;
        d.processes.append({pa.id, match >= 0 ? b.processes[match].id : -1, pa.pid,
                            match >= 0 ? b.processes[match].pid : 0, role});
    }
    for (int j = 0; j < b.processes.size(); ++j)
        if (!usedB[j])
            d.processes.append({-1, b.processes[j].id, 0, b.processes[j].pid, roleOf(b.processes[j])});

    QSet<QString> resolvedA, resolvedB;
    auto processById = [](const Side &s, qint64 id) {
        for (const Process &p : s.processes)
            if (p.id == id)
                return p;
        return Process();
    };
    for (const ProcessPair &pair : std::as_const(d.processes)) {
        if (pair.a < 0 || pair.b < 0) {
            d.libraries.append(QStringLiteral("process %1 only in %2").arg(pair.role, pair.a < 0 ? QStringLiteral("B") : QStringLiteral("A")));
            continue;
        }
        const Process pa = processById(a, pair.a), pb = processById(b, pair.b);
        // Calls, thread by thread.
        const QList<QList<Item>> ta = threadsOf(a, pa, resolvedA), tb = threadsOf(b, pb, resolvedB);
        for (qsizetype t = 0; t < std::max(ta.size(), tb.size()); ++t) {
            const QList<Item> ia = t < ta.size() ? ta[t] : QList<Item>(), ib = t < tb.size() ? tb[t] : QList<Item>();
            QHash<QString, int> ids;
            QList<int> ka, kb;
            for (const Item &i : ia)
                ka.append(int(ids.insert(i.key, ids.value(i.key, int(ids.size()))).value()));
            for (const Item &i : ib)
                kb.append(int(ids.insert(i.key, ids.value(i.key, int(ids.size()))).value()));
            qint64 lastA = 0, lastB = 0;
            for (const auto &[x, y] : alignSequences(ka, kb)) {
                CallDifference c;
                c.processA = pair.a;
                c.processB = pair.b;
                AlignedCall step;
                step.processA = pair.a;
                step.processB = pair.b;
                if (x >= 0) {
                    step.eventA = ia[x].eventId;
                    step.tsA = ia[x].tsNs;
                    step.resultA = ia[x].result;
                    step.call = ia[x].key;
                }
                if (y >= 0) {
                    step.eventB = ib[y].eventId;
                    step.tsB = ib[y].tsNs;
                    step.resultB = ib[y].result;
                    step.call = ib[y].key;
                }
                if (x >= 0 && y >= 0) {
                    const Item &l = ia[x], &r = ib[y];
                    lastA = l.tsNs;
                    lastB = r.tsNs;
                    if (l.result == r.result && (!options.compareAnswers || l.answer == r.answer)) {
                        ++d.alignedCalls;
                        d.alignment.append(step);
                        continue;
                    }
                    c.kind = l.result != r.result ? CallDifference::Kind::ResultDiffers : CallDifference::Kind::AnswerDiffers;
                    c.eventA = l.eventId;
                    c.eventB = r.eventId;
                    c.tsA = l.tsNs;
                    c.tsB = r.tsNs;
                    c.call = l.key;
                    c.resultA = l.result;
                    c.resultB = r.result;
                    c.answerA = l.answerText;
                    c.answerB = r.answerText;
                } else if (x >= 0) {
                    c.kind = CallDifference::Kind::OnlyInA;
                    c.eventA = ia[x].eventId;
                    c.tsA = lastA = ia[x].tsNs;
                    c.tsB = lastB;
                    c.call = ia[x].key;
                    c.resultA = ia[x].result;
                } else {
                    c.kind = CallDifference::Kind::OnlyInB;
                    c.eventB = ib[y].eventId;
                    c.tsB = lastB = ib[y].tsNs;
                    c.tsA = lastA;
                    c.call = ib[y].key;
                    c.resultB = ib[y].result;
                }
                step.difference = int(d.calls.size());
                d.alignment.append(step);
                d.calls.append(c);
            }
        }
        // Environment.
        const QMap<QString, QString> ea = envMap(pa.env), eb = envMap(pb.env);
        QSet<QString> names;
        for (const QString &k : ea.keys())
            names.insert(k);
        for (const QString &k : eb.keys())
            names.insert(k);
        QStringList sorted(names.begin(), names.end());
        std::sort(sorted.begin(), sorted.end());
        for (const QString &k : sorted) {
            if (ea.value(k, QStringLiteral("\x01")) == eb.value(k, QStringLiteral("\x01")))
                continue;
            d.environment.append(QStringLiteral("%1: %2: %3 → %4")
                                     .arg(pair.role, k,
                                          ea.contains(k) ? ea.value(k) : QStringLiteral("(unset)"),
                                          eb.contains(k) ? eb.value(k) : QStringLiteral("(unset)")));
        }
        // Libraries: what was loaded (by file name) and how each search ended.
        QSet<QString> la, lb;
        for (const LibLoad &l : a.reader->libLoads(a.runId, pa.id))
            la.insert(baseName(l.path));
        for (const LibLoad &l : b.reader->libLoads(b.runId, pb.id))
            lb.insert(baseName(l.path));
        for (const QString &n : la)
            if (!lb.contains(n))
                d.libraries.append(QStringLiteral("%1: %2 loaded in A only").arg(pair.role, n));
        for (const QString &n : lb)
            if (!la.contains(n))
                d.libraries.append(QStringLiteral("%1: %2 loaded in B only").arg(pair.role, n));
        QHash<QString, QString> sa, sb;
        for (const LibSearch &s : a.reader->libSearches(a.runId, pa.id))
            sa.insert(s.name, searchOutcomeName(s.outcome));
        for (const LibSearch &s : b.reader->libSearches(b.runId, pb.id))
            sb.insert(s.name, searchOutcomeName(s.outcome));
        for (auto it = sa.constBegin(); it != sa.constEnd(); ++it)
            if (sb.contains(it.key()) && sb.value(it.key()) != it.value())
                d.libraries.append(QStringLiteral("%1: search for %2: %3 in A, %4 in B").arg(pair.role, it.key(), it.value(), sb.value(it.key())));
        // Output lines present in one run only (as multisets of normalised lines).
        QHash<QString, int> count;
        const QStringList oa = outputLines(*a.reader, pa.id), ob = outputLines(*b.reader, pb.id);
        for (const QString &l : ob)
            ++count[l];
        for (const QString &l : oa) {
            if (count.value(l) > 0)
                --count[l];
            else if (!l.isEmpty())
                d.outputOnlyA.append(l);
        }
        QHash<QString, int> countA;
        for (const QString &l : oa)
            ++countA[l];
        for (const QString &l : ob) {
            if (countA.value(l) > 0)
                --countA[l];
            else if (!l.isEmpty())
                d.outputOnlyB.append(l);
        }
    }
    std::sort(d.libraries.begin(), d.libraries.end());
    for (const QString &s : resolvedA)
        if (!resolvedB.contains(s))
            d.resolverOnlyA.append(s);
    for (const QString &s : resolvedB)
        if (!resolvedA.contains(s))
            d.resolverOnlyB.append(s);
    std::sort(d.resolverOnlyA.begin(), d.resolverOnlyA.end());
    std::sort(d.resolverOnlyB.begin(), d.resolverOnlyB.end());

    // Config: the recorded options, key by key (the output path differs by design).
    Run runA, runB;
    for (const Run &r : a.reader->runs())
        if (r.id == a.runId)
            runA = r;
    for (const Run &r : b.reader->runs())
        if (r.id == b.runId)
            runB = r;
    const QJsonObject cfgA = QJsonDocument::fromJson(runA.configJson).object(), cfgB = QJsonDocument::fromJson(runB.configJson).object();
    QSet<QString> keys;
    for (const QString &k : cfgA.keys())
        keys.insert(k);
    for (const QString &k : cfgB.keys())
        keys.insert(k);
    QStringList sortedKeys(keys.begin(), keys.end());
    std::sort(sortedKeys.begin(), sortedKeys.end());
    for (const QString &k : sortedKeys) {
        if (k == QLatin1String("name") || k == QLatin1String("output"))
            continue;
        const QJsonValue va = cfgA.value(k), vb = cfgB.value(k);
        if (va != vb) {
            auto text = [](const QJsonValue &v) {
                return v.isUndefined() ? QStringLiteral("(none)")
                                       : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
            };
            d.config.append(QStringLiteral("%1: %2 → %3").arg(k, text(va), text(vb)));
        }
    }

    const Diagnosis diagA = diagnose(*a.reader, a.runId), diagB = diagnose(*b.reader, b.runId);
    d.diagnosisA = diagA.findings.isEmpty() ? QStringLiteral("(no finding)") : diagA.findings.first().title;
    d.diagnosisB = diagB.findings.isEmpty() ? QStringLiteral("(no finding)") : diagB.findings.first().title;

    // The first divergence: the earliest on A's clock (a call only in B counts at the A call
    // it follows).
    for (const CallDifference &c : std::as_const(d.calls))
        if (!d.first || c.tsA < d.first->tsA || (c.tsA == d.first->tsA && c.tsB < d.first->tsB))
            d.first = c;
    return d;
}

namespace {
constexpr qsizetype kDiffLineChars = 400;
} // namespace

QString formatRunDiffText(const RunDiff &d)
{
    // Every string here comes from one of the two bundles: each line of it is escaped and cut to
    // one line of the terminal's worth (core/displaytext.h); --json keeps them whole.
    const auto shown = [](const QString &text, qsizetype limit = kDiffLineChars) { return display::elide(text, limit); };
    QString out = QStringLiteral("A  %1\nB  %2\n\n").arg(shown(d.labelA), shown(d.labelB));
    if (d.equivalent())
        return out + QStringLiteral("Equivalent: the same processes, calls, results, libraries, environment, output and diagnosis.\n");
    auto describe = [&](const CallDifference &c) {
        switch (c.kind) {
        case CallDifference::Kind::OnlyInA:
            return shown(QStringLiteral("%1 → %2 in A, not made in B").arg(c.call, c.resultA));
        case CallDifference::Kind::OnlyInB:
            return shown(QStringLiteral("%1 → %2 in B, not made in A").arg(c.call, c.resultB));
        case CallDifference::Kind::ResultDiffers:
            return shown(QStringLiteral("%1 → %2 in A, %3 in B").arg(c.call, c.resultA, c.resultB));
        case CallDifference::Kind::AnswerDiffers:
            break;
        }
        return shown(QStringLiteral("%1 answered by %2 in A, %3 in B").arg(c.call, c.answerA, c.answerB));
    };
    if (d.first)
        out += QStringLiteral("First divergence  %1 (A at %2 ms, B at %3 ms; events #%4 / #%5)\n\n")
                   .arg(describe(*d.first), formatMs(d.first->tsA), formatMs(d.first->tsB),
                        QString::number(d.first->eventA), QString::number(d.first->eventB));
    out += QStringLiteral("Processes\n");
    for (const ProcessPair &p : d.processes)
        out += QStringLiteral("  %1  %2 ↔ %3\n")
                   .arg(shown(p.role), p.a < 0 ? QStringLiteral("—") : QStringLiteral("pid %1").arg(p.pidA),
                        p.b < 0 ? QStringLiteral("—") : QStringLiteral("pid %1").arg(p.pidB));
    out += QStringLiteral("\nCalls  %1 aligned and equal, %2 different\n").arg(d.alignedCalls).arg(d.calls.size());
    for (int i = 0; i < d.calls.size() && i < 40; ++i)
        out += QStringLiteral("  [%1] %2\n").arg(callDifferenceKindName(d.calls[i].kind), describe(d.calls[i]));
    if (d.calls.size() > 40)
        out += QStringLiteral("  … %1 more\n").arg(d.calls.size() - 40);
    if (!d.resolverOnlyA.isEmpty() || !d.resolverOnlyB.isEmpty())
        out += QStringLiteral("\nResolved through cuGetProcAddress in A only: %1\nin B only: %2\n")
                   .arg(d.resolverOnlyA.isEmpty() ? QStringLiteral("—") : shown(d.resolverOnlyA.join(QStringLiteral(", ")), 4000),
                        d.resolverOnlyB.isEmpty() ? QStringLiteral("—") : shown(d.resolverOnlyB.join(QStringLiteral(", ")), 4000));
    auto section = [&](const QString &title, const QStringList &lines) {
        if (lines.isEmpty())
            return;
        out += QStringLiteral("\n%1\n").arg(title);
        for (int i = 0; i < lines.size() && i < 30; ++i)
            out += QStringLiteral("  %1\n").arg(shown(lines[i]));
        if (lines.size() > 30)
            out += QStringLiteral("  … %1 more\n").arg(lines.size() - 30);
    };
    section(QStringLiteral("Libraries"), d.libraries);
    section(QStringLiteral("Environment"), d.environment);
    section(QStringLiteral("Config"), d.config);
    section(QStringLiteral("Output only in A"), d.outputOnlyA);
    section(QStringLiteral("Output only in B"), d.outputOnlyB);
    if (d.diagnosisA != d.diagnosisB)
        out += QStringLiteral("\nDiagnosis\n  A: %1\n  B: %2\n").arg(shown(d.diagnosisA), shown(d.diagnosisB));
    return out;
}

QJsonObject runDiffToJson(const RunDiff &d)
{
    auto callJson = [](const CallDifference &c) {
        return QJsonObject{{QStringLiteral("kind"), callDifferenceKindName(c.kind)},
                           {QStringLiteral("call"), c.call},
                           {QStringLiteral("processA"), c.processA},
                           {QStringLiteral("processB"), c.processB},
                           {QStringLiteral("eventA"), c.eventA},
                           {QStringLiteral("eventB"), c.eventB},
                           {QStringLiteral("tsA"), c.tsA},
                           {QStringLiteral("tsB"), c.tsB},
                           {QStringLiteral("resultA"), c.resultA},
                           {QStringLiteral("resultB"), c.resultB},
                           {QStringLiteral("answerA"), c.answerA},
                           {QStringLiteral("answerB"), c.answerB}};
    };
    QJsonArray processes, calls;
    for (const ProcessPair &p : d.processes)
        processes.append(QJsonObject{{QStringLiteral("role"), p.role},
                                     {QStringLiteral("a"), p.a},
                                     {QStringLiteral("b"), p.b},
                                     {QStringLiteral("pidA"), p.pidA},
                                     {QStringLiteral("pidB"), p.pidB}});
    for (const CallDifference &c : d.calls)
        calls.append(callJson(c));
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-diff")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("a"), d.labelA},
                       {QStringLiteral("b"), d.labelB},
                       {QStringLiteral("equivalent"), d.equivalent()},
                       {QStringLiteral("firstDivergence"), d.first ? QJsonValue(callJson(*d.first)) : QJsonValue()},
                       {QStringLiteral("processes"), processes},
                       {QStringLiteral("alignedCalls"), d.alignedCalls},
                       {QStringLiteral("calls"), calls},
                       {QStringLiteral("resolverOnlyA"), QJsonArray::fromStringList(d.resolverOnlyA)},
                       {QStringLiteral("resolverOnlyB"), QJsonArray::fromStringList(d.resolverOnlyB)},
                       {QStringLiteral("libraries"), QJsonArray::fromStringList(d.libraries)},
                       {QStringLiteral("environment"), QJsonArray::fromStringList(d.environment)},
                       {QStringLiteral("config"), QJsonArray::fromStringList(d.config)},
                       {QStringLiteral("outputOnlyA"), QJsonArray::fromStringList(d.outputOnlyA)},
                       {QStringLiteral("outputOnlyB"), QJsonArray::fromStringList(d.outputOnlyB)},
                       {QStringLiteral("diagnosisA"), d.diagnosisA},
                       {QStringLiteral("diagnosisB"), d.diagnosisB}};
}

} // namespace initscope
