// The text and JSON forms of a Report (docs/cli.md shows both). Kept apart from building the
// report so that the shapes users and scripts read are in one place.
#include "report.h"

#include "displaytext.h"

#include <QHash>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSet>

#include <algorithm>

namespace initscope {

// ---------------------------------------------------------------------------------------------
// Text

namespace {

constexpr int kTextLineLimit = 200; // characters of an error line shown in the text view
constexpr int kLabelLimit = 90;     // characters of a process label in the tree
constexpr int kPayloadLimit = 80;

constexpr int kCommandLimit = 500;   // characters of the run's command line
constexpr int kTreeIndentLimit = 24; // tree levels drawn as columns; deeper ones say their depth

// Every string of the bundle reaches the text through this (core/displaytext.h): escaped so
// that nothing in it acts on the terminal, and cut to the space its line has.
QString shorten(QStringView s, int limit)
{
    return display::elide(s, limit);
}

QString processLabel(const ReportProcess &rp)
{
    const Process &p = rp.process;
    QString exe = p.exe.isEmpty() ? p.argv.value(0) : p.exe;
    if (exe.isEmpty())
        exe = QStringLiteral("?");
    QString label = QStringLiteral("pid %1 ").arg(p.pid);
    if (rp.execRow)
        label += QStringLiteral("exec → ");
    label += shellQuote(exe);
    if (p.argv.size() > 1)
        label += QLatin1Char(' ') + commandLine(p.argv.mid(1));
    return shorten(label, kLabelLimit);
}


QDateTime wallTime(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1000000, Qt::UTC);
}

// pstree-style prefix: one "│  " or "   " per ancestor level, then the row's own connector.
// An exec row continues its predecessor's line instead of branching.
QList<QString> treePrefixes(const QList<ReportProcess> &rows)
{
    // The first image of each exec chain is the row that branches off the parent; the rows
    // between an image and its exec successor are all deeper (its children).
    QList<int> chainHead(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        chainHead[i] = i;
        if (!rows[i].execRow)
            continue;
        for (int j = i - 1; j >= 0 && rows[j].depth >= rows[i].depth; --j) {
            if (rows[j].depth == rows[i].depth) {
                chainHead[i] = chainHead[j];
                break;
            }
        }
    }
    QList<bool> lastChain(rows.size(), true);
    QSet<int> parentsSeen;
    for (int i = int(rows.size()) - 1; i >= 0; --i) {
        if (rows[i].execRow)
            continue;
        lastChain[i] = !parentsSeen.contains(rows[i].treeParent);
        parentsSeen.insert(rows[i].treeParent);
    }

    // Each row's columns are its tree parent's plus one, made once per row (rows come after
    // their tree parent). Deeper than kTreeIndentLimit the columns stop and the depth is said:
    // a chain thousands of levels deep stays one short line per process.
    QList<QString> columns(rows.size());
    QList<QString> prefixes(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        const ReportProcess &r = rows[i];
        if (r.depth == 0)
            continue;
        const bool last = lastChain[chainHead[i]];
        const QString connector = r.execRow ? (last ? QStringLiteral("   ") : QStringLiteral("│  "))
                                            : (last ? QStringLiteral("└─ ") : QStringLiteral("├─ "));
        const QString inherited =
            r.treeParent >= 0 && rows[r.treeParent].depth > 0 ? columns[r.treeParent] : QString();
        if (r.depth > kTreeIndentLimit) {
            prefixes[i] = QStringLiteral("[depth %1] ").arg(r.depth) + connector;
            continue;
        }
        prefixes[i] = inherited + connector;
        if (r.depth < kTreeIndentLimit)
            columns[i] = inherited + (last ? QStringLiteral("   ") : QStringLiteral("│  "));
    }
    return prefixes;
}

} // namespace

// The loader tries glibc-hwcaps and legacy platform subdirectories (tls/, haswell/, x86_64/
// …) of every directory before the directory itself. In text, those candidates are folded
// into the directory they belong to; JSON keeps every one.
struct TrailEntry {
    qsizetype step = 0;
    int variants = 0;
    bool variantExists = false;
};

QList<TrailEntry> condenseTrail(const QList<LibSearchStep> &steps)
{
    auto dirOf = [](const QString &path) { return path.left(path.lastIndexOf(QLatin1Char('/'))); };
    QList<qsizetype> baseOf(steps.size(), -1);
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QString dir = dirOf(steps[i].path);
        const QString file = steps[i].path.mid(dir.size());
        for (qsizetype j = i + 1; j < steps.size(); ++j) {
            const QString base = dirOf(steps[j].path);
            if (steps[j].origin == steps[i].origin && !base.isEmpty() &&
                steps[j].path.mid(base.size()) == file && dir.startsWith(base + QLatin1Char('/'))) {
                baseOf[i] = j;
                break;
            }
        }
    }
    QList<TrailEntry> entries;
    QHash<qsizetype, qsizetype> entryOf;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        if (baseOf[i] >= 0)
            continue;
        entryOf.insert(i, entries.size());
        entries.append({i, 0, false});
    }
    for (qsizetype i = 0; i < steps.size(); ++i) {
        qsizetype base = baseOf[i];
        while (base >= 0 && baseOf[base] >= 0)
            base = baseOf[base];
        if (base < 0)
            continue;
        TrailEntry &entry = entries[entryOf.value(base)];
        ++entry.variants;
        entry.variantExists |= steps[i].exists == 1;
    }
    return entries;
}

QString formatReportText(const Report &report)
{
    const Run &run = report.run;
    QStringList out;

    out.append(run.name.isEmpty() ? QStringLiteral("Run %1").arg(run.id)
                                  : QStringLiteral("Run %1: %2").arg(run.id).arg(shorten(run.name, kLabelLimit)));
    out.append(QStringLiteral("  command   %1").arg(shorten(commandLine(run.command), kCommandLimit)));
    QString started = run.startRealtimeNs > 0
                          ? wallTime(run.startRealtimeNs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) +
                                QStringLiteral(" UTC")
                          : QStringLiteral("unknown");
    if (!run.hostname.isEmpty())
        started += QStringLiteral(" on ") + shorten(run.hostname, kLabelLimit);
    out.append(QStringLiteral("  started   %1").arg(started));
    out.append(QStringLiteral("  duration  %1 ms").arg(formatMs(run.durationNs)));
    out.append(QStringLiteral("  result    %1").arg(describeRunEnd(run)));
    out.append(QString());

    // What went wrong, before the evidence (initscope diagnose gives every finding).
    out.append(QStringLiteral("Top finding"));
    if (report.topFinding.isEmpty()) {
        out.append(QStringLiteral("  (nothing departed from a healthy GPU bring-up)"));
    } else {
        for (const QString &line : report.topFinding.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            out.append(QStringLiteral("  ") + line);
    }
    out.append(QString());

    // Process tree
    out.append(QStringLiteral("Processes (times in ms since run start)"));
    const QList<ReportProcess> &rows = report.processes;
    if (rows.isEmpty()) {
        out.append(QStringLiteral("  (no processes recorded)"));
    } else {
        const QList<QString> prefixes = treePrefixes(rows);
        QStringList starts, ends, labels;
        qsizetype ws = 5, we = 3, wl = 7;
        for (int i = 0; i < rows.size(); ++i) {
            const Process &p = rows[i].process;
            starts.append(formatMs(p.startNs));
            ends.append(p.endNs ? formatMs(*p.endNs) : QStringLiteral("-"));
            labels.append(prefixes[i] + processLabel(rows[i]));
            ws = std::max(ws, starts.last().size());
            we = std::max(we, ends.last().size());
            wl = std::max(wl, labels.last().size());
        }
        out.append(QStringLiteral("  %1  %2  %3  result")
                       .arg(QStringLiteral("start"), ws)
                       .arg(QStringLiteral("end"), we)
                       .arg(QStringLiteral("process"), -int(wl)));
        for (int i = 0; i < rows.size(); ++i) {
            // The label (the bundle's text) goes in last: a "%4" in it stays text.
            out.append(QStringLiteral("  %1  %2  %4  %3")
                           .arg(starts[i], ws)
                           .arg(ends[i], we)
                           .arg(describeEnd(rows[i].process))
                           .arg(labels[i], -int(wl)));
        }
    }
    out.append(QString());

    // Error lines, compiler-diagnostic style: stream:line, time, text.
    out.append(QStringLiteral("Error lines"));
    bool anyError = false;
    for (const ReportProcess &rp : rows) {
        if (rp.errorLines.isEmpty())
            continue;
        anyError = true;
        out.append(QStringLiteral("  %1 — %2").arg(processLabel(rp), describeEnd(rp.process)));
        QStringList locs, times;
        qsizetype wloc = 0, wt = 0;
        for (const ErrorLine &e : rp.errorLines) {
            locs.append(QStringLiteral("%1:%2")
                            .arg(e.line.stream == Stream::Stderr ? QStringLiteral("stderr")
                                                                  : QStringLiteral("stdout"))
                            .arg(e.line.number));
            times.append(formatMs(e.line.tsNs));
            wloc = std::max(wloc, locs.last().size());
            wt = std::max(wt, times.last().size());
        }
        for (int i = 0; i < rp.errorLines.size(); ++i) {
            const ErrorLine &e = rp.errorLines[i];
            // Valid text is the bytes decoded; other bytes are shown as \xNN, as they are.
            qsizetype omitted = 0;
            QString text = e.utf8Valid ? display::escapeBytes(e.text.toUtf8(), kTextLineLimit, &omitted)
                                       : display::escapeBytes(e.line.bytes, kTextLineLimit, &omitted);
            if (omitted > 0)
                text += QStringLiteral("… [%1 characters in full, see --json]").arg(e.text.size());
            if (!e.utf8Valid)
                text += QStringLiteral(" [not valid UTF-8]");
            out.append(QStringLiteral("    %1  %2 ms  %3")
                           .arg(locs[i], -int(wloc))
                           .arg(times[i], wt)
                           .arg(text));
        }
    }
    if (!anyError)
        out.append(QStringLiteral("  (no output line matched the error rules)"));
    out.append(QString());

    out.append(QStringLiteral("Libraries not found"));
    bool anyMissing = false;
    for (const ReportProcess &rp : rows) {
        if (rp.failedSearches.isEmpty())
            continue;
        anyMissing = true;
        out.append(QStringLiteral("  %1 — %2").arg(processLabel(rp), describeEnd(rp.process)));
        for (const LibSearch &search : rp.failedSearches) {
            QString head = QStringLiteral("    %1 ms  %2").arg(formatMs(search.tsNs), shorten(search.name, kTextLineLimit));
            if (!search.requester.isEmpty())
                head += QStringLiteral(", asked for by %1").arg(shorten(search.requester, kTextLineLimit));
            head += search.steps.size() == 1
                        ? QStringLiteral(": not found, 1 path tried")
                        : QStringLiteral(": not found, %1 paths tried").arg(search.steps.size());
            out.append(head);
            qsizetype wo = 0;
            for (const LibSearchStep &step : search.steps)
                wo = std::max(wo, searchOriginName(step.origin).size());
            for (const TrailEntry &entry : condenseTrail(search.steps)) {
                const LibSearchStep &step = search.steps.at(entry.step);
                QString state = step.exists == 1   ? QStringLiteral("  (exists, not loaded)")
                                : step.exists == 0 ? QStringLiteral("  (absent)")
                                                   : QString();
                if (entry.variants > 0)
                    state += QStringLiteral(" + %1 hwcaps/platform subdirectories%2")
                                 .arg(entry.variants)
                                 .arg(entry.variantExists ? QStringLiteral(", one exists")
                                                          : QStringLiteral(", absent"));
                out.append(QStringLiteral("      %1  %2%3")
                               .arg(searchOriginName(step.origin), -int(wo))
                               .arg(shorten(step.path, kTextLineLimit), state));
            }
        }
    }
    if (!anyMissing)
        out.append(QStringLiteral("  (every library that was asked for was found)"));
    out.append(QString());

    out.append(QStringLiteral("GPU library calls"));
    bool anyCalls = false;
    for (const ReportProcess &rp : rows) {
        if (rp.gpuCallCount == 0)
            continue;
        anyCalls = true;
        out.append(QStringLiteral("  %1 — %2 calls, %3 resolutions through cuGetProcAddress (%4 found)")
                       .arg(processLabel(rp), QString::number(rp.gpuCallCount), QString::number(rp.resolutions),
                            QString::number(rp.resolutionsFound)));
        for (const Event &e : rp.gpuCalls) {
            const QJsonObject payload = QJsonDocument::fromJson(e.payload).object();
            QString line = payload.value(QStringLiteral("summary")).toString(e.name);
            for (const char *detail : {"resolved", "exportTable"}) {
                const QJsonObject d = payload.value(QLatin1String(detail)).toObject();
                if (d.contains(QStringLiteral("summary")))
                    line = d.value(QStringLiteral("summary")).toString();
            }
            const QJsonObject result = payload.value(QStringLiteral("result")).toObject();
            // Functions that return a string (cudaGetErrorString) have no result code.
            const bool ok = !result.contains(QStringLiteral("code")) ||
                            result.value(QStringLiteral("ok")).toBool(result.value(QStringLiteral("code")).toInt(-1) == 0);
            out.append(QStringLiteral("    %1 ms  %2%3")
                           .arg(formatMs(e.tsNs), 10)
                           .arg(ok ? QStringLiteral("  ") : QStringLiteral("! "))
                           .arg(shorten(line, kTextLineLimit)));
        }
        if (rp.gpuCalls.size() == kGpuCallLimit)
            out.append(QStringLiteral("    … more in the bundle (initscope report --json, or the GUI's Events tab)"));
    }
    if (!anyCalls)
        out.append(QStringLiteral("  (no call into libcuda, libcudart or libnvidia-ml was recorded)"));
    out.append(QString());

    out.append(QStringLiteral("Last events before each failure"));
    bool anyFailure = false;
    for (const ReportProcess &rp : rows) {
        if (!rp.failed)
            continue;
        anyFailure = true;
        const Process &p = rp.process;
        out.append(QStringLiteral("  %1 — %2%3")
                       .arg(processLabel(rp), describeEnd(p),
                            p.endNs ? QStringLiteral(" at %1 ms").arg(formatMs(*p.endNs))
                                    : QString()));
        if (rp.lastEvents.isEmpty()) {
            out.append(QStringLiteral("    (no events recorded)"));
            continue;
        }
        QStringList names, kinds;
        qsizetype wt = 0, wk = 0, wn = 0;
        for (const Event &e : rp.lastEvents) {
            QString name = e.name;
            if (e.durNs > 0)
                name += QStringLiteral(" (%1 ms)").arg(formatMs(e.durNs));
            names.append(shorten(name, kLabelLimit));
            kinds.append(shorten(e.kind, kLabelLimit));
            wt = std::max(wt, formatMs(e.tsNs).size());
            wk = std::max(wk, kinds.last().size());
            wn = std::max(wn, names.last().size());
        }
        for (int i = 0; i < rp.lastEvents.size(); ++i) {
            const Event &e = rp.lastEvents[i];
            const bool payload = !e.payload.isEmpty() && e.payload != "{}";
            QString line = QStringLiteral("    %1 ms  ").arg(formatMs(e.tsNs), wt) +
                           kinds[i].leftJustified(wk) + QStringLiteral("  ") +
                           (payload ? names[i].leftJustified(wn) : names[i]);
            // A traced call reads best as its decoded one-line summary.
            const QString summary =
                QJsonDocument::fromJson(e.payload).object().value(QStringLiteral("summary")).toString();
            if (!summary.isEmpty())
                line += QStringLiteral("  ") + shorten(summary, kTextLineLimit);
            else if (payload)
                line += QStringLiteral("  ") +
                        display::elideBytes(e.payload, kPayloadLimit);
            out.append(line);
        }
    }
    if (!anyFailure)
        out.append(QStringLiteral("  (no process failed)"));

    return out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

QJsonValue optionalInt(const std::optional<qint64> &v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}

QJsonValue idOrNull(qint64 id)
{
    return id >= 0 ? QJsonValue(id) : QJsonValue(QJsonValue::Null);
}

QString streamName(Stream s)
{
    return s == Stream::Stderr ? QStringLiteral("stderr") : QStringLiteral("stdout");
}

QString endReasonName(EndReason r)
{
    switch (r) {
    case EndReason::Exited:
        return QStringLiteral("exited");
    case EndReason::Signaled:
        return QStringLiteral("signaled");
    case EndReason::Exec:
        return QStringLiteral("exec");
    case EndReason::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QJsonObject endToJson(const Process &p)
{
    const bool exited = p.endReason == EndReason::Exited;
    const bool signaled = p.endReason == EndReason::Signaled;
    return {
        {QStringLiteral("reason"), endReasonName(p.endReason)},
        {QStringLiteral("exitCode"), exited ? QJsonValue(p.exitCode) : QJsonValue()},
        {QStringLiteral("signal"), signaled ? QJsonValue(p.signal) : QJsonValue()},
        {QStringLiteral("signalName"), signaled ? QJsonValue(signalName(p.signal)) : QJsonValue()},
        {QStringLiteral("coreDumped"), signaled && p.coreDumped},
        {QStringLiteral("text"), describeEnd(p)},
    };
}

QJsonObject errorLineToJson(const ErrorLine &e)
{
    return {
        {QStringLiteral("stream"), streamName(e.line.stream)},
        {QStringLiteral("line"), e.line.number},
        {QStringLiteral("tsNs"), e.line.tsNs},
        {QStringLiteral("text"), e.text},
        {QStringLiteral("utf8Valid"), e.utf8Valid},
        // The exact bytes travel only when the text cannot carry them.
        {QStringLiteral("base64"), e.utf8Valid ? QJsonValue()
                                               : QJsonValue(QString::fromLatin1(
                                                     e.line.bytes.toBase64()))},
        {QStringLiteral("bytes"), qint64(e.line.bytes.size())},
        {QStringLiteral("terminated"), e.line.terminated},
        {QStringLiteral("rule"), e.rule},
    };
}

QJsonObject eventToJson(const Event &e)
{
    QJsonValue payload = QJsonObject();
    if (!e.payload.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(e.payload, &error);
        payload = error.error == QJsonParseError::NoError && doc.isObject()
                      ? QJsonValue(doc.object())
                      : QJsonValue(QString::fromUtf8(e.payload));
    }
    return {
        {QStringLiteral("id"), e.id},
        {QStringLiteral("tsNs"), e.tsNs},
        {QStringLiteral("durNs"), e.durNs},
        {QStringLiteral("tid"), e.tid},
        {QStringLiteral("kind"), e.kind},
        {QStringLiteral("name"), e.name},
        {QStringLiteral("payload"), payload},
    };
}

QJsonObject processToJson(const Report &report, const ReportProcess &rp)
{
    const Process &p = rp.process;
    QJsonArray errors;
    for (const ErrorLine &e : rp.errorLines)
        errors.append(errorLineToJson(e));
    QJsonArray events;
    for (const Event &e : rp.lastEvents)
        events.append(eventToJson(e));
    QJsonArray missing;
    for (const LibSearch &search : rp.failedSearches) {
        QJsonArray steps;
        for (const LibSearchStep &step : search.steps) {
            steps.append(QJsonObject{
                {QStringLiteral("path"), step.path},
                {QStringLiteral("origin"), qint64(step.origin)},
                {QStringLiteral("originName"), searchOriginName(step.origin)},
                {QStringLiteral("exists"),
                 step.exists < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(step.exists == 1)}});
        }
        missing.append(QJsonObject{{QStringLiteral("id"), search.id},
                                   {QStringLiteral("tsNs"), search.tsNs},
                                   {QStringLiteral("tid"), search.tid},
                                   {QStringLiteral("name"), search.name},
                                   {QStringLiteral("requester"), search.requester},
                                   {QStringLiteral("steps"), steps}});
    }
    const qint64 treeParentId =
        rp.treeParent >= 0 ? report.processes.at(rp.treeParent).process.id : -1;
    return {
        {QStringLiteral("id"), p.id},
        {QStringLiteral("pid"), p.pid},
        {QStringLiteral("ppid"), p.ppid},
        {QStringLiteral("parentId"), idOrNull(p.parentId)},
        {QStringLiteral("previousImageId"), idOrNull(p.previousImageId)},
        {QStringLiteral("execSeq"), p.execSeq},
        {QStringLiteral("depth"), rp.depth},
        {QStringLiteral("treeParentId"), idOrNull(treeParentId)},
        {QStringLiteral("execRow"), rp.execRow},
        {QStringLiteral("exe"), p.exe},
        {QStringLiteral("argv"), QJsonArray::fromStringList(p.argv)},
        {QStringLiteral("recorded"), p.recorded},
        {QStringLiteral("startNs"), p.startNs},
        {QStringLiteral("endNs"), optionalInt(p.endNs)},
        {QStringLiteral("end"), endToJson(p)},
        {QStringLiteral("failed"), rp.failed},
        {QStringLiteral("output"),
         QJsonObject{{QStringLiteral("stdoutBytes"), rp.stdoutBytes},
                     {QStringLiteral("stderrBytes"), rp.stderrBytes},
                     {QStringLiteral("stdoutLines"), rp.stdoutLines},
                     {QStringLiteral("stderrLines"), rp.stderrLines}}},
        {QStringLiteral("errorLines"), errors},
        {QStringLiteral("lastEvents"), events},
        {QStringLiteral("failedLibrarySearches"), missing},
    };
}

} // namespace

QJsonObject runReportToJson(const Report &report)
{
    const Run &run = report.run;
    QJsonArray processes;
    for (const ReportProcess &rp : report.processes)
        processes.append(processToJson(report, rp));
    const QJsonObject result{
        {QStringLiteral("exitCode"), run.exitCode ? QJsonValue(*run.exitCode) : QJsonValue()},
        {QStringLiteral("signal"), run.exitSignal ? QJsonValue(*run.exitSignal) : QJsonValue()},
        {QStringLiteral("signalName"),
         run.exitSignal ? QJsonValue(signalName(*run.exitSignal)) : QJsonValue()},
        {QStringLiteral("timedOut"), run.timedOut},
        {QStringLiteral("cancelled"), run.cancelled},
        {QStringLiteral("text"), describeRunEnd(run)},
    };
    return {
        {QStringLiteral("id"), run.id},
        {QStringLiteral("name"), run.name},
        {QStringLiteral("command"), QJsonArray::fromStringList(run.command)},
        {QStringLiteral("hostname"), run.hostname},
        {QStringLiteral("recorderVersion"), run.recorderVersion},
        {QStringLiteral("startRealtimeNs"), run.startRealtimeNs},
        {QStringLiteral("startTime"),
         run.startRealtimeNs > 0
             ? QJsonValue(wallTime(run.startRealtimeNs).toString(Qt::ISODateWithMs))
             : QJsonValue()},
        {QStringLiteral("durationNs"), run.durationNs},
        {QStringLiteral("result"), result},
        {QStringLiteral("topFinding"), report.topFinding.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(report.topFinding)},
        {QStringLiteral("processes"), processes},
    };
}

QJsonObject reportsToJson(const QList<Report> &reports, const QString &bundlePath,
                          int bundleFormatVersion)
{
    QJsonArray runs;
    for (const Report &r : reports)
        runs.append(runReportToJson(r));
    return {
        {QStringLiteral("format"), QStringLiteral("initscope-report")},
        {QStringLiteral("version"), kReportJsonVersion},
        {QStringLiteral("bundle"),
         QJsonObject{{QStringLiteral("path"), bundlePath},
                     {QStringLiteral("formatVersion"), bundleFormatVersion}}},
        {QStringLiteral("runs"), runs},
    };
}

QJsonObject reportToJson(const Report &report)
{
    return reportsToJson({report}, report.bundlePath, report.bundleFormatVersion);
}

QString describeRunEnd(const Run &run)
{
    // The reason InitScope stopped the run comes first: the signal that follows is its effect.
    QStringList parts;
    if (run.timedOut)
        parts.append(QStringLiteral("timed out"));
    if (run.cancelled)
        parts.append(QStringLiteral("cancelled"));
    if (run.exitCode)
        parts.append(QStringLiteral("exit code %1").arg(*run.exitCode));
    if (run.exitSignal)
        parts.append(QStringLiteral("killed by signal %1 (%2)")
                         .arg(signalName(*run.exitSignal))
                         .arg(*run.exitSignal));
    if (parts.isEmpty())
        parts.append(QStringLiteral("unknown"));
    return parts.join(QStringLiteral("; "));
}

QString shellQuote(const QString &arg)
{
    const auto plain = [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
               QStringView(u"_@%+=:,./-").contains(c);
    };
    if (!arg.isEmpty() && std::all_of(arg.begin(), arg.end(), plain))
        return arg;
    QString quoted = arg;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString commandLine(const QStringList &argv)
{
    QStringList parts;
    for (const QString &a : argv)
        parts.append(shellQuote(a));
    return parts.join(QLatin1Char(' '));
}

} // namespace initscope
