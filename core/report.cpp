// Building a Report from a bundle: the process tree, line splitting, the error rules and the
// events before each failure. The text and JSON forms are in reportformat.cpp.
#include "report.h"

#include "diagnosis.h"

#include <QJsonDocument>
#include <QJsonObject>

#include "bundle.h"

#include <QHash>
#include <QRegularExpression>
#include <QStringDecoder>

#include <algorithm>

namespace initscope {

// ---------------------------------------------------------------------------------------------
// Lines and error rules

QList<OutputLine> splitOutputLines(const QList<OutputChunk> &chunks)
{
    struct Pending {
        QByteArray bytes;
        qint64 tsNs = 0;
        int number = 0;
        qint64 order = -1; // -1: no line started yet
    };
    struct Done {
        qint64 order;
        OutputLine line;
    };
    Pending pending[2];
    QList<Done> done;
    qint64 nextOrder = 0;

    auto finish = [&](Pending &p, Stream stream, bool terminated) {
        OutputLine line;
        line.stream = stream;
        line.number = ++p.number;
        line.tsNs = p.tsNs;
        line.bytes = std::move(p.bytes);
        line.terminated = terminated;
        // "\r\n" is a line break; so is a "\r" that ends the stream, since that is a "\r\n"
        // cut short by the process dying between the two bytes.
        if (line.bytes.endsWith('\r'))
            line.bytes.chop(1);
        done.append({p.order, std::move(line)});
        p.bytes.clear();
        p.order = -1;
    };

    for (const OutputChunk &chunk : chunks) {
        const int s = chunk.stream == Stream::Stderr ? 1 : 0;
        Pending &p = pending[s];
        qsizetype from = 0;
        while (from < chunk.data.size()) {
            if (p.order < 0) {
                p.order = nextOrder++;
                p.tsNs = chunk.tsNs;
            }
            const qsizetype nl = chunk.data.indexOf('\n', from);
            if (nl < 0) {
                p.bytes.append(chunk.data.constData() + from, chunk.data.size() - from);
                break;
            }
            p.bytes.append(chunk.data.constData() + from, nl - from);
            finish(p, chunk.stream, true);
            from = nl + 1;
        }
    }
    if (pending[0].order >= 0)
        finish(pending[0], Stream::Stdout, false);
    if (pending[1].order >= 0)
        finish(pending[1], Stream::Stderr, false);

    std::stable_sort(done.begin(), done.end(),
                     [](const Done &a, const Done &b) { return a.order < b.order; });
    QList<OutputLine> lines;
    lines.reserve(done.size());
    for (Done &d : done)
        lines.append(std::move(d.line));
    return lines;
}

const QList<ErrorRule> &errorRules()
{
    // Most specific first, so that the rule a line is reported under says the most about it;
    // the generic "failed" and "error" come last. Word starts (\b) keep most patterns from
    // firing inside unrelated words, but "error" matches anywhere so that names such as
    // cudaErrorNotSupported and CUDA_ERROR_NO_DEVICE count.
    static const QList<ErrorRule> rules = {
        {QStringLiteral("undefined symbol"), QStringLiteral("\\bundefined (symbol|reference)")},
        {QStringLiteral("no such file"), QStringLiteral("\\bno such file")},
        {QStringLiteral("segmentation fault"),
         QStringLiteral("\\b(segmentation fault|segfault|core dumped)")},
        {QStringLiteral("terminate called"), QStringLiteral("\\bterminate called\\b")},
        {QStringLiteral("panic"), QStringLiteral("\\bpanic")},
        {QStringLiteral("fatal"), QStringLiteral("\\bfatal")},
        {QStringLiteral("abort"), QStringLiteral("\\babort")},
        {QStringLiteral("denied"), QStringLiteral("\\bdenied\\b")},
        {QStringLiteral("not found"), QStringLiteral("\\bnot found\\b")},
        {QStringLiteral("cannot"), QStringLiteral("\\b(cannot|can't|could ?not|couldn't)\\b")},
        {QStringLiteral("unable to"), QStringLiteral("\\bunable to\\b")},
        {QStringLiteral("failed"), QStringLiteral("\\bfail(s|ed|ure|ing)?\\b")},
        {QStringLiteral("error"), QStringLiteral("error")},
    };
    return rules;
}

QString matchErrorRule(QStringView line)
{
    struct Compiled {
        QString name;
        QRegularExpression re;
    };
    // One copy per thread: the GUI builds reports off its main thread, and a shared
    // QRegularExpression is only documented as reentrant.
    static thread_local const QList<Compiled> compiled = [] {
        QList<Compiled> list;
        for (const ErrorRule &r : errorRules())
            list.append({r.name, QRegularExpression(r.pattern,
                                                    QRegularExpression::CaseInsensitiveOption |
                                                        QRegularExpression::UseUnicodePropertiesOption)});
        return list;
    }();
    for (const Compiled &c : compiled) {
        if (c.re.match(line).hasMatch())
            return c.name;
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers shared by the text and JSON forms

QString signalName(int signal)
{
    static const char *const names[] = {
        nullptr,    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
        "SIGBUS",   "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
        "SIGALRM",  "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
        "SIGTTIN",  "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO",   "SIGPWR",    "SIGSYS",
    };
    constexpr int count = int(sizeof(names) / sizeof(names[0]));
    if (signal > 0 && signal < count)
        return QString::fromLatin1(names[signal]);
    // glibc reserves 32 and 33 for its own use; SIGRTMIN as applications see it is 34.
    if (signal >= 34 && signal <= 64)
        return signal == 34 ? QStringLiteral("SIGRTMIN")
                            : QStringLiteral("SIGRTMIN+%1").arg(signal - 34);
    return QStringLiteral("SIG?");
}

QString describeEnd(const Process &process)
{
    switch (process.endReason) {
    case EndReason::Exited:
        return QStringLiteral("exit code %1").arg(process.exitCode);
    case EndReason::Signaled:
        return QStringLiteral("killed by signal %1 (%2)%3")
            .arg(signalName(process.signal))
            .arg(process.signal)
            .arg(process.coreDumped ? QStringLiteral(" [core dumped]") : QString());
    case EndReason::Exec:
        return QStringLiteral("exec'd");
    case EndReason::Unknown:
        break;
    }
    return QStringLiteral("still running or unknown");
}

QString formatMs(qint64 ns)
{
    // Integer arithmetic: a double would lose the last digits of a long run's timestamps.
    const bool negative = ns < 0;
    const quint64 abs = negative ? quint64(0) - quint64(ns) : quint64(ns);
    const quint64 us = (abs + 500) / 1000;
    return QStringLiteral("%1%2.%3")
        .arg(negative ? QStringLiteral("-") : QString())
        .arg(us / 1000)
        .arg(us % 1000, 3, 10, QLatin1Char('0'));
}

namespace {

bool isFailure(const Process &p)
{
    switch (p.endReason) {
    case EndReason::Exited:
        return p.exitCode != 0;
    case EndReason::Exec:
        return false;
    case EndReason::Signaled:
    case EndReason::Unknown:
        break;
    }
    return true;
}

QString decodeUtf8(const QByteArray &bytes, bool *valid)
{
    // Keep a leading BOM as a character: dropping bytes silently would make the text view
    // disagree with the raw bytes.
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless |
                               QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(bytes);
    *valid = !decoder.hasError();
    return text;
}

// Places every image of the run in display order. An image that replaced another by exec is
// drawn right after it (after the older image's children), at the same depth; all others hang
// under the image that forked them. Images whose parent is not in the run are top-level.
QList<ReportProcess> orderTree(QList<Process> procs)
{
    std::stable_sort(procs.begin(), procs.end(), [](const Process &a, const Process &b) {
        return a.startNs != b.startNs ? a.startNs < b.startNs : a.id < b.id;
    });
    QHash<qint64, int> byId;
    for (int i = 0; i < procs.size(); ++i)
        byId.insert(procs[i].id, i);

    QList<int> execNext(procs.size(), -1);
    QList<QList<int>> children(procs.size());
    QList<int> roots;
    for (int i = 0; i < procs.size(); ++i) {
        const Process &p = procs[i];
        const int prev = p.previousImageId >= 0 ? byId.value(p.previousImageId, -1) : -1;
        if (prev >= 0 && prev != i && execNext[prev] < 0) {
            execNext[prev] = i;
            continue;
        }
        const int parent = p.parentId >= 0 ? byId.value(p.parentId, -1) : -1;
        if (parent >= 0 && parent != i)
            children[parent].append(i);
        else
            roots.append(i);
    }

    QList<ReportProcess> rows;
    rows.reserve(procs.size());
    QList<bool> placed(procs.size(), false);
    // Depth first without recursion, so that a chain of any depth cannot exhaust the stack:
    // an image's row, then the subtrees of its children in order, then its exec successor.
    struct Pending {
        int image;
        int depth;
        int treeParent;
        bool execRow;
    };
    QList<Pending> stack;
    auto placeFrom = [&](int start) {
        stack.append({start, 0, -1, false});
        while (!stack.isEmpty()) {
            const Pending at = stack.takeLast();
            if (at.image < 0 || placed[at.image])
                continue;
            placed[at.image] = true;
            ReportProcess row;
            row.process = procs[at.image];
            row.depth = at.depth;
            row.treeParent = at.treeParent;
            row.execRow = at.execRow;
            const int rowIndex = int(rows.size());
            rows.append(std::move(row));
            stack.append({execNext[at.image], at.depth, at.treeParent, true});
            const QList<int> &kids = children[at.image];
            for (auto it = kids.crbegin(); it != kids.crend(); ++it)
                stack.append({*it, at.depth + 1, rowIndex, false});
        }
    };
    for (int r : std::as_const(roots))
        placeFrom(r);
    // Whatever a broken parent/exec link left out (a cycle) still gets a row.
    for (int i = 0; i < procs.size(); ++i) {
        if (!placed[i])
            placeFrom(i);
    }
    return rows;
}

} // namespace

Report buildReport(const BundleReader &reader, qint64 runId)
{
    return buildReport(reader, runId, diagnose(reader, runId));
}

Report buildReport(const BundleReader &reader, qint64 runId, const Diagnosis &diagnosis)
{
    Report report;
    report.bundlePath = reader.path();
    report.bundleFormatVersion = reader.formatVersion();
    const QList<Run> runs = reader.runs();
    for (const Run &r : runs) {
        if (r.id == runId)
            report.run = r;
    }
    report.processes = orderTree(reader.processes(runId));
    report.topFinding = formatTopFinding(diagnosis);

    for (ReportProcess &rp : report.processes) {
        const Process &p = rp.process;
        const QList<OutputChunk> chunks = reader.output(p.id);
        for (const OutputChunk &c : chunks)
            (c.stream == Stream::Stderr ? rp.stderrBytes : rp.stdoutBytes) += c.data.size();
        const QList<OutputLine> lines = splitOutputLines(chunks);
        for (const OutputLine &line : lines) {
            (line.stream == Stream::Stderr ? rp.stderrLines : rp.stdoutLines) = line.number;
            bool valid = true;
            QString text = decodeUtf8(line.bytes, &valid);
            QString rule = matchErrorRule(text);
            if (!rule.isEmpty())
                rp.errorLines.append({line, std::move(text), valid, std::move(rule)});
        }
        for (const LibSearch &search : reader.libSearches(runId, p.id)) {
            if (search.outcome == SearchOutcome::NotFound)
                rp.failedSearches.append(search);
        }
        rp.failed = isFailure(p);
        const QList<Event> events = reader.events(runId, p.id);
        for (const Event &e : events) {
            if (!e.kind.endsWith(QLatin1String(".call")))
                continue;
            ++rp.gpuCallCount;
            if (e.name.startsWith(QLatin1String("cuGetProcAddress"))) {
                ++rp.resolutions;
                const QJsonObject payload = QJsonDocument::fromJson(e.payload).object();
                const QString symbol = payload.value(QStringLiteral("resolved"))
                                           .toObject()
                                           .value(QStringLiteral("symbol"))
                                           .toString();
                if (payload.value(QStringLiteral("result")).toObject().value(QStringLiteral("code")).toInt(-1) == 0)
                    ++rp.resolutionsFound;
                // Hundreds of lookups are routine; the resolver's empty-name probe and the
                // lookups of the resolver itself (where ABI mix-ups happen) tell the story.
                if (!symbol.isEmpty() && !symbol.startsWith(QLatin1String("cuGetProcAddress")))
                    continue;
            }
            if (rp.gpuCalls.size() < kGpuCallLimit)
                rp.gpuCalls.append(e);
        }
        if (rp.failed) {
            // Events at the very end time count: the last write before a crash shares its
            // timestamp with the crash often enough at coarse clock resolution.
            qsizetype end = events.size();
            if (p.endNs) {
                end = std::upper_bound(events.begin(), events.end(), *p.endNs,
                                       [](qint64 t, const Event &e) { return t < e.tsNs; }) -
                      events.begin();
            }
            const qsizetype begin = std::max<qsizetype>(0, end - kLastEventCount);
            rp.lastEvents = events.mid(begin, end - begin);
        }
    }
    return report;
}

} // namespace initscope
