#include "exportbundle.h"

#include "bundle.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace initscope::test {

namespace {

constexpr qint64 kMs = 1000000;

QByteArray callPayload(const QString &api, const QString &fn, int code, const QString &resultName, bool unfinished = false)
{
    QJsonObject p{{QStringLiteral("function"), fn},
                  {QStringLiteral("api"), api},
                  {QStringLiteral("args"), QJsonObject{{QStringLiteral("flags"), 0}}},
                  {QStringLiteral("ok"), code == 0},
                  {QStringLiteral("summary"), QStringLiteral("%1(0) → %2").arg(fn, resultName)}};
    if (unfinished) {
        p.insert(QStringLiteral("unfinished"), true);
        p.remove(QStringLiteral("ok"));
        p.insert(QStringLiteral("summary"), QStringLiteral("%1(0) never returned").arg(fn));
    } else {
        p.insert(QStringLiteral("result"), QJsonObject{{QStringLiteral("code"), code},
                                                       {QStringLiteral("name"), resultName},
                                                       {QStringLiteral("ok"), code == 0}});
    }
    return QJsonDocument(p).toJson(QJsonDocument::Compact);
}

} // namespace

bool writeExportBundle(const QString &path, ExportBundle *ids, QString *why)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    if (!w) {
        *why = error.message;
        return false;
    }
    Run run;
    run.name = QStringLiteral("probe <b>bold</b>");
    run.command = {QStringLiteral("/usr/bin/probe"), QStringLiteral("--all")};
    run.startRealtimeNs = 1767609021118000000;
    run.durationNs = 100 * kMs;
    run.exitCode = 1;
    run.hostname = QStringLiteral("gpu-host");
    ids->runId = w->addRun(run);

    Process root;
    root.runId = ids->runId;
    root.pid = 500;
    root.ppid = 1;
    root.exe = QStringLiteral("/usr/bin/probe");
    root.argv = run.command;
    root.startNs = 0;
    root.endNs = 95 * kMs;
    root.endReason = EndReason::Exited;
    root.exitCode = 1;
    root.recorded = true;
    ids->rootId = w->addProcess(root);

    Process child;
    child.runId = ids->runId;
    child.pid = 502;
    child.ppid = 500;
    child.parentId = ids->rootId;
    child.exe = QStringLiteral("/usr/bin/ggml-runner");
    child.argv = {child.exe, QStringLiteral("<script>alert('argv')</script>")};
    child.startNs = 40 * kMs;
    child.endNs = 80 * kMs;
    child.endReason = EndReason::Signaled;
    child.signal = 11;
    child.recorded = true;
    ids->childId = w->addProcess(child);
    ids->childEndNs = *child.endNs;

    auto event = [&](qint64 processId, qint64 tid, qint64 ts, qint64 dur, const QString &kind, const QString &name,
                     const QByteArray &payload) {
        Event e;
        e.processId = processId;
        e.tid = tid;
        e.tsNs = ts;
        e.durNs = dur;
        e.kind = kind;
        e.name = name;
        e.payload = payload;
        return w->addEvent(e);
    };
    event(ids->rootId, 500, 0, 0, QStringLiteral("process.start"), root.exe, R"({"pid":500})");
    LibSearch search;
    search.processId = ids->rootId;
    search.tid = 500;
    search.tsNs = 1 * kMs;
    search.name = QStringLiteral("libcuda.so.1");
    search.steps = {{QStringLiteral("/opt/shim/libcuda.so.1"), quint32(SearchOrigin::LibraryPath), 1}};
    search.outcome = SearchOutcome::Found;
    search.resultPath = QStringLiteral("/opt/shim/libcuda.so.1");
    w->addLibSearch(search);
    LibLoad load;
    load.processId = ids->rootId;
    load.tid = 500;
    load.tsNs = 2 * kMs;
    load.path = QStringLiteral("/opt/shim/libcuda.so.1");
    load.soname = QStringLiteral("libcuda.so.1");
    w->addLibLoad(load);

    const QString drv = QStringLiteral("driver"), rt = QStringLiteral("runtime"), nvml = QStringLiteral("nvml");
    int calls = 0;
    auto call = [&](qint64 processId, qint64 tid, qint64 ts, qint64 dur, const char *kind, const QString &api,
                    const QString &fn, int code, const QString &resultName) {
        ++calls;
        return event(processId, tid, ts, dur, QString::fromLatin1(kind), fn, callPayload(api, fn, code, resultName));
    };
    call(ids->rootId, 500, 3 * kMs, kMs, "cuda.call", drv, QStringLiteral("cuInit"), 0, QStringLiteral("CUDA_SUCCESS"));
    call(ids->rootId, 500, 5 * kMs, kMs / 2, "cuda.call", drv, QStringLiteral("cuDeviceGetCount"), 0, QStringLiteral("CUDA_SUCCESS"));
    call(ids->rootId, 501, 6 * kMs, 2 * kMs, "nvml.call", nvml, QStringLiteral("nvmlInit_v2"), 0, QStringLiteral("NVML_SUCCESS"));
    call(ids->rootId, 501, 10 * kMs, 5 * kMs, "cudart.call", rt, QStringLiteral("cudaGetDeviceCount"), 801,
         QStringLiteral("cudaErrorNotSupported"));
    // Inside the runtime call: the export table it was refused.
    call(ids->rootId, 501, 11 * kMs, 1 * kMs, "cuda.call", drv, QStringLiteral("cuGetExportTable"), 801,
         QStringLiteral("CUDA_ERROR_NOT_SUPPORTED"));
    call(ids->rootId, 500, 12 * kMs, 1234, "cuda.call", drv, QStringLiteral("cuDriverGetVersion"), 0,
         QStringLiteral("CUDA_SUCCESS"));
    event(ids->rootId, 500, 95 * kMs, 0, QStringLiteral("process.exit"), QStringLiteral("exit 1"), R"({"pid":500,"exitCode":1})");

    event(ids->childId, 502, 40 * kMs, 0, QStringLiteral("process.start"), child.exe, R"({"pid":502})");
    call(ids->childId, 502, 45 * kMs, kMs, "cuda.call", drv, QStringLiteral("cuDriverGetVersion"), 0, QStringLiteral("CUDA_SUCCESS"));
    ++calls;
    ids->unfinishedCallId = event(ids->childId, 502, 70 * kMs, 10 * kMs, QStringLiteral("cuda.call"), QStringLiteral("cuInit"),
                                  callPayload(drv, QStringLiteral("cuInit"), 0, QString(), true));
    event(ids->childId, 502, 80 * kMs, 0, QStringLiteral("process.exit"), QStringLiteral("signal 11"),
          R"({"pid":502,"signal":11,"coreDumped":false})");
    ids->callsInFirstRun = calls;

    auto output = [&](qint64 processId, Stream stream, qint64 ts, const QByteArray &data) {
        OutputChunk c;
        c.processId = processId;
        c.stream = stream;
        c.tsNs = ts;
        c.data = data;
        w->addOutput(c);
    };
    output(ids->rootId, Stream::Stderr, 16 * kMs, "ggml_cuda_init: failed to initialize CUDA: operation not supported\n");
    output(ids->rootId, Stream::Stderr, 17 * kMs, QByteArray(kScriptLine) + "\n| a | b |\n");
    output(ids->childId, Stream::Stderr, 79 * kMs, "runner: fatal error in cuInit\n");

    // A second run of the same program: the same pid again.
    Run second = run;
    second.name = QStringLiteral("retry");
    second.exitCode = 0;
    ids->secondRunId = w->addRun(second);
    Process again = root;
    again.id = -1;
    again.runId = ids->secondRunId;
    again.exitCode = 0;
    const qint64 againId = w->addProcess(again);
    calls = 0;
    call(againId, 500, 3 * kMs, kMs, "cuda.call", drv, QStringLiteral("cuInit"), 0, QStringLiteral("CUDA_SUCCESS"));
    call(againId, 500, 5 * kMs, kMs, "cuda.call", drv, QStringLiteral("cuDeviceGetCount"), 0, QStringLiteral("CUDA_SUCCESS"));
    ids->callsInSecondRun = calls;

    if (!w->commit(&error)) {
        *why = error.message;
        return false;
    }
    return true;
}

} // namespace initscope::test
