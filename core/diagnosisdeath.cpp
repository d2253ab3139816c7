// Death by a signal or a hang: where the process was when it stopped answering.
#include "diagnosisinternal.h"

#include "apicatalog.h"
#include "report.h"

#include <QRegularExpression>

namespace initscope::diag {

namespace {

// Signals that only ever come from another process or the kernel's decision, never from a
// fault of the process's own code: SIGKILL (the OOM killer, `kill -9`, a supervisor), SIGTERM,
// SIGINT, SIGHUP, SIGQUIT.
bool sentFromOutside(int signal)
{
    return signal == 9 || signal == 15 || signal == 2 || signal == 1 || signal == 3;
}

} // namespace

void ruleDeath(const Context &ctx, QList<Finding> &out)
{
    const bool hang = ctx.run.timedOut && ctx.proc.endReason != EndReason::Exited;
    const bool crash = !hang && ctx.proc.endReason == EndReason::Signaled && !ctx.stoppedAsPlanned();
    if (!hang && !crash)
        return;
    const qint64 endNs = ctx.proc.endNs.value_or(ctx.run.durationNs);
    // The call that never returned, if the recorder saw it start; with several threads, the
    // innermost open call of each (a hang often has every worker waiting somewhere).
    const Call *open = nullptr;
    QList<const Call *> openPerThread;
    for (const Call &c : ctx.calls) {
        if (c.returned)
            continue;
        open = &c;
        bool known = false;
        for (const Call *&o : openPerThread) {
            if (o->ev.tid != c.ev.tid)
                continue;
            known = true;
            if (c.depth >= o->depth)
                o = &c;
        }
        if (!known)
            openPerThread.append(&c);
    }
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
    QString threads;
    if (openPerThread.size() > 1) {
        QStringList each;
        for (const Call *c : openPerThread)
            each.append(QStringLiteral("%1 (thread %2)").arg(c->fn).arg(c->ev.tid));
        threads = QStringLiteral("; %1 threads were inside traced calls: %2")
                      .arg(openPerThread.size())
                      .arg(each.join(QStringLiteral(", ")));
    }
    Finding f = newFinding(ctx, hang ? QStringLiteral("hang") : QStringLiteral("crash"),
                           open ? open->ev.tsNs : endNs, confidence);
    if (hang) {
        f.title = function.isEmpty() ? QStringLiteral("hang in GPU bring-up") : QStringLiteral("hang in %1").arg(function);
        f.step = QStringLiteral("the process stopped making progress %1 and was still waiting there when the run's "
                                "timeout ended it at %2 ms")
                     .arg(where, formatMs(endNs)) +
                 threads;
        f.fix = QStringLiteral("Find what %1 waits for (a lock, a device node, a daemon, an infinite loop) and make it "
                               "return or fail with an error.")
                    .arg(function.isEmpty() ? QStringLiteral("that call") : function);
    } else {
        f.title = QStringLiteral("%1 in %2").arg(signalName(ctx.proc.signal), function.isEmpty() ? QStringLiteral("GPU bring-up") : function);
        f.step = QStringLiteral("the process was killed by %1 (%2) %3")
                     .arg(signalName(ctx.proc.signal)).arg(ctx.proc.signal).arg(where) +
                 threads;
        if (sentFromOutside(ctx.proc.signal)) {
            // No fault of the process raises these: another process or the kernel sent them,
            // so the question is who, not what the code did wrong.
            f.step += QStringLiteral("; %1 is not raised by a fault of the process itself: it was sent from "
                                     "outside (the kernel's out-of-memory killer, a supervisor's timeout or "
                                     "shutdown, a person)")
                          .arg(signalName(ctx.proc.signal));
            f.fix = QStringLiteral("Find who sent %1: the kernel log (dmesg, journalctl -k) names the out-of-memory "
                                   "killer's victims (\"Out of memory: Killed process %2\"); the parent or service "
                                   "manager that runs the program (systemd, a container runtime, Ollama's server) "
                                   "logs its timeouts and stops. If the process was stuck in %3, find what it "
                                   "waited for.")
                        .arg(signalName(ctx.proc.signal))
                        .arg(ctx.proc.pid)
                        .arg(function.isEmpty() ? QStringLiteral("GPU bring-up") : function);
        } else {
            f.fix = QStringLiteral("Fix the crash in %1: run the target under a debugger with the shim's symbols, or "
                                   "check its pointer arguments and initialisation order.")
                        .arg(function.isEmpty() ? QStringLiteral("the GPU library") : function);
        }
    }
    if (open)
        f.evidence.append(eventEvidence(*open));
    for (const Call *c : openPerThread)
        if (c != open)
            f.evidence.append(eventEvidence(*c));
    if (lastDone)
        f.evidence.append(eventEvidence(*lastDone));
    if (lastGpuLoad) {
        f.evidence.append(evidenceOf(Evidence::Kind::LibLoad, lastGpuLoad->id, lastGpuLoad->processId, lastGpuLoad->tsNs,
                                     QStringLiteral("loaded %1").arg(lastGpuLoad->path)));
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

} // namespace initscope::diag
