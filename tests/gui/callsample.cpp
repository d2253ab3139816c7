#include "callsample.h"

#include "bundle.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace initscope::testing
{

namespace
{

constexpr qint64 kMs = 1000000;
const QString kShim = QStringLiteral("/opt/shim/libcuda.so.1");
const QString kShimHash = QStringLiteral("8f1d5c2e0a4b7d9e3f6a1c8b5e2d7f4a9c0b3e6d1f8a5c2b7e4d9f0a3c6b1e8d");

QJsonObject result(qint64 code, const char *name, const char *message)
{
    return {{QStringLiteral("code"), code},
            {QStringLiteral("known"), true},
            {QStringLiteral("message"), QLatin1String(message)},
            {QStringLiteral("name"), QLatin1String(name)},
            {QStringLiteral("ok"), code == 0}};
}

QJsonObject success(const char *api)
{
    return qstrcmp(api, "nvml") == 0 ? result(0, "NVML_SUCCESS", "Success") : result(0, "CUDA_SUCCESS", "no error");
}

class Writer
{
public:
    explicit Writer(BundleWriter &w) : m_w(w) {}

    qint64 call(qint64 processId, qint64 tid, qint64 ts, qint64 dur, const char *kind, const char *name,
                QJsonObject payload)
    {
        Event e;
        e.processId = processId;
        e.tid = tid;
        e.tsNs = ts;
        e.durNs = dur;
        e.kind = QLatin1String(kind);
        e.name = QLatin1String(name);
        payload.insert(QStringLiteral("function"), QLatin1String(name));
        payload.insert(QStringLiteral("known"), true);
        if (!payload.contains(QStringLiteral("depth")))
            payload.insert(QStringLiteral("depth"), 0);
        if (!payload.contains(QStringLiteral("ok")))
            payload.insert(QStringLiteral("ok"), payload.value(QStringLiteral("result")).toObject().value(QStringLiteral("ok")).toBool(true));
        e.payload = QJsonDocument(payload).toJson(QJsonDocument::Compact);
        return m_w.addEvent(e);
    }

    qint64 resolve(qint64 processId, qint64 tid, qint64 ts, const char *symbol, int version, const char *pointer)
    {
        const bool found = pointer != nullptr;
        const QString sym = QLatin1String(symbol);
        QJsonObject resolved{
            {QStringLiteral("cudaVersion"), version},
            {QStringLiteral("expected"), sym},
            {QStringLiteral("flags"), QStringLiteral("CU_GET_PROC_ADDRESS_DEFAULT")},
            {QStringLiteral("function"), QStringLiteral("cuGetProcAddress_v2")},
            {QStringLiteral("ok"), found},
            {QStringLiteral("pointer"), found ? QJsonValue(QLatin1String(pointer)) : QJsonValue()},
            {QStringLiteral("result"), found ? success("driver") : result(500, "CUDA_ERROR_NOT_FOUND", "named symbol not found")},
            {QStringLiteral("symbol"), sym},
            {QStringLiteral("symbolStatus"), QJsonValue()},
        };
        if (found) {
            resolved.insert(QStringLiteral("owner"), kShim);
            resolved.insert(QStringLiteral("ownerSymbol"), sym);
            resolved.insert(QStringLiteral("matchesExpected"), true);
        }
        const QString outcome = found ? QStringLiteral("CUDA_SUCCESS: %1 in libcuda.so.1").arg(sym)
                                      : QStringLiteral("CUDA_ERROR_NOT_FOUND: named symbol not found");
        resolved.insert(QStringLiteral("summary"),
                        QStringLiteral("cuGetProcAddress_v2(\"%1\", %2, CU_GET_PROC_ADDRESS_DEFAULT) → %3")
                            .arg(sym).arg(version).arg(outcome));
        QJsonObject payload{
            {QStringLiteral("api"), QStringLiteral("driver")},
            {QStringLiteral("args"), QJsonObject{{QStringLiteral("cudaVersion"), version},
                                                 {QStringLiteral("flags"), QStringLiteral("CU_GET_PROC_ADDRESS_DEFAULT")},
                                                 {QStringLiteral("pfn"), QStringLiteral("0x7ffd5a1c3da8")},
                                                 {QStringLiteral("symbol"), QStringLiteral("0x55d0c1e4487d")},
                                                 {QStringLiteral("symbolStatus"), QJsonValue()}}},
            {QStringLiteral("reach"), QStringLiteral("dlsym")},
            {QStringLiteral("resolved"), resolved},
            {QStringLiteral("result"), resolved.value(QStringLiteral("result"))},
            {QStringLiteral("summary"),
             QStringLiteral("cuGetProcAddress_v2(symbol=0x55d0c1e4487d, pfn=%1, cudaVersion=%2, "
                            "flags=CU_GET_PROC_ADDRESS_DEFAULT, symbolStatus=NULL) → %3")
                 .arg(found ? QStringLiteral("&") + QLatin1String(pointer) : QStringLiteral("0x7ffd5a1c3da8"))
                 .arg(version)
                 .arg(found ? QStringLiteral("CUDA_SUCCESS") : outcome)},
        };
        if (found)
            payload.insert(QStringLiteral("out"), QJsonObject{{QStringLiteral("pfn"), QLatin1String(pointer)}});
        return call(processId, tid, ts, 1500, "cuda.call", "cuGetProcAddress_v2", payload);
    }

    void output(qint64 processId, Stream stream, qint64 ts, const QByteArray &line)
    {
        OutputChunk c;
        c.processId = processId;
        c.stream = stream;
        c.tsNs = ts;
        c.data = line + '\n';
        m_w.addOutput(c);
    }

    qint64 event(qint64 processId, qint64 tid, qint64 ts, const char *kind, const char *name, const QByteArray &payload)
    {
        Event e;
        e.processId = processId;
        e.tid = tid;
        e.tsNs = ts;
        e.kind = QLatin1String(kind);
        e.name = QLatin1String(name);
        e.payload = payload;
        return m_w.addEvent(e);
    }

    void load(qint64 processId, qint64 tid, qint64 ts, const QString &path, const QString &soname, quint64 base)
    {
        LibLoad l;
        l.processId = processId;
        l.tid = tid;
        l.tsNs = ts;
        l.path = path;
        l.soname = soname;
        l.base = base;
        m_w.addLibLoad(l);
    }

    void artifact(qint64 runId, const char *kind, const QString &path, qint64 size, const QString &sha256,
                  const QByteArray &content = {})
    {
        Artifact a;
        a.runId = runId;
        a.kind = QLatin1String(kind);
        a.path = path;
        a.size = size;
        a.sha256 = sha256.toLatin1();
        a.content = content;
        m_w.addArtifact(a);
    }

private:
    BundleWriter &m_w;
};

} // namespace

bool writeCallSample(const QString &path, CallSampleIds *ids, QString *error)
{
    BundleError bundleError;
    std::unique_ptr<BundleWriter> bundle = BundleWriter::create(path, &bundleError);
    if (!bundle) {
        *error = bundleError.message;
        return false;
    }
    Writer w(*bundle);
    const QByteArray config = R"({"name":"calls sample","command":["ollama","serve"],"shims":[{"path":"/opt/shim/libcuda.so.1","soname":"libcuda.so.1"}],"injection":"audit","environment":{"clean":false,"set":{"OLLAMA_DEBUG":"1"},"unset":[]}})";

    Run run;
    run.name = QStringLiteral("calls sample");
    run.command = {QStringLiteral("ollama"), QStringLiteral("serve")};
    run.configJson = config;
    run.startRealtimeNs = qint64(1717236000) * 1000000000;
    run.durationNs = 40 * kMs;
    run.exitCode = 1;
    run.hostname = QStringLiteral("gpu-test-02");
    run.recorderVersion = QStringLiteral("0.1.0");
    ids->runId = bundle->addRun(run);

    Process server;
    server.runId = ids->runId;
    server.pid = 7100;
    server.ppid = 7099;
    server.exe = QStringLiteral("/usr/local/bin/ollama");
    server.argv = run.command;
    server.env = {QStringLiteral("PATH=/usr/bin:/bin"), QStringLiteral("OLLAMA_DEBUG=1")};
    server.startNs = 0;
    server.endNs = 40 * kMs;
    server.endReason = EndReason::Exited;
    server.exitCode = 1;
    server.recorded = true;
    ids->serverId = bundle->addProcess(server);

    Process runner = server;
    runner.pid = 7200;
    runner.ppid = 7100;
    runner.parentId = ids->serverId;
    runner.argv = {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner")};
    runner.env << QStringLiteral("LD_LIBRARY_PATH=/opt/shim");
    runner.startNs = 8 * kMs;
    runner.endNs = 32 * kMs;
    runner.endReason = EndReason::Signaled;
    runner.signal = 11;
    ids->runnerId = bundle->addProcess(runner);

    const qint64 s = ids->serverId;
    const qint64 r = ids->runnerId;
    w.event(s, 7100, 0, "process.start", "ollama", R"({"pid":7100,"ppid":7099})");
    w.load(s, 7105, 5 * kMs, QStringLiteral("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"),
           QStringLiteral("libnvidia-ml.so.1"), 0x7f3a10000000);
    const QJsonObject nvmlOk = success("nvml");
    ids->nvmlInit = w.call(s, 7105, 6 * kMs, 4000, "nvml.call", "nvmlInit_v2",
                           {{QStringLiteral("api"), QStringLiteral("nvml")}, {QStringLiteral("args"), QJsonObject()},
                            {QStringLiteral("reach"), QStringLiteral("dlsym")}, {QStringLiteral("result"), nvmlOk},
                            {QStringLiteral("summary"), QStringLiteral("nvmlInit_v2() → NVML_SUCCESS")}});
    ids->nvmlCount = w.call(s, 7105, 6 * kMs + 100000, 300, "nvml.call", "nvmlDeviceGetCount_v2",
                            {{QStringLiteral("api"), QStringLiteral("nvml")},
                             {QStringLiteral("args"), QJsonObject{{QStringLiteral("deviceCount"), QStringLiteral("0x7ffee9f13eb8")}}},
                             {QStringLiteral("out"), QJsonObject{{QStringLiteral("deviceCount"), 1}}},
                             {QStringLiteral("reach"), QStringLiteral("dlsym")}, {QStringLiteral("result"), nvmlOk},
                             {QStringLiteral("summary"), QStringLiteral("nvmlDeviceGetCount_v2(deviceCount=&1) → NVML_SUCCESS")}});
    ids->nvmlName = w.call(s, 7105, 6 * kMs + 200000, 900, "nvml.call", "nvmlDeviceGetName",
                           {{QStringLiteral("api"), QStringLiteral("nvml")},
                            {QStringLiteral("args"), QJsonObject{{QStringLiteral("device"), QStringLiteral("0x7f5a1c8a2008")},
                                                                 {QStringLiteral("length"), 96},
                                                                 {QStringLiteral("name"), QStringLiteral("0x7ffee9f14030")}}},
                            {QStringLiteral("out"), QJsonObject{{QStringLiteral("name"), QStringLiteral("InitScope Fake GPU")}}},
                            {QStringLiteral("reach"), QStringLiteral("dlsym")}, {QStringLiteral("result"), nvmlOk},
                            {QStringLiteral("summary"),
                             QStringLiteral("nvmlDeviceGetName(device=0x7f5a1c8a2008, name=&\"InitScope Fake GPU\", length=96) → NVML_SUCCESS")}});

    ids->runnerStart = w.event(r, 7200, 8 * kMs, "process.start", "ollama", R"({"pid":7200,"ppid":7100})");
    w.output(r, Stream::Stdout, 9 * kMs, "runner: loading libcuda.so.1");
    w.load(r, 7200, 10 * kMs, kShim, QStringLiteral("libcuda.so.1"), 0x7f5a1c800000);
    ids->resolveInit = w.resolve(r, 7200, 11 * kMs, "cuInit", 2000, "0x7f5a1c8ef580");
    ids->resolveExportTable = w.resolve(r, 7200, 11 * kMs + 100000, "cuGetExportTable", 3000, "0x7f5a1c8f14d0");
    ids->resolveMissing = w.resolve(r, 7200, 11 * kMs + 200000, "cuGraphAddNode", 12030, nullptr);
    w.load(r, 7200, 12 * kMs, QStringLiteral("/usr/local/cuda/lib64/libcudart.so.12"), QStringLiteral("libcudart.so.12"),
           0x7f5a1b000000);
    const QJsonObject notSupported = result(801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported");
    ids->deviceCount = w.call(
        r, 7200, 12 * kMs + 500000, 400000, "cudart.call", "cudaGetDeviceCount",
        {{QStringLiteral("api"), QStringLiteral("runtime")},
         {QStringLiteral("args"), QJsonObject{{QStringLiteral("count"), QStringLiteral("0x7fff6d1177b4")}}},
         {QStringLiteral("reach"), QStringLiteral("dlsym")},
         {QStringLiteral("result"), result(801, "cudaErrorNotSupported", "operation not supported")},
         {QStringLiteral("summary"),
          QStringLiteral("cudaGetDeviceCount(count=0x7fff6d1177b4) → cudaErrorNotSupported: operation not supported")}});
    ids->initViaPointer = w.call(r, 7200, 12 * kMs + 600000, 5000, "cuda.call", "cuInit",
                                 {{QStringLiteral("api"), QStringLiteral("driver")},
                                  {QStringLiteral("args"), QJsonObject{{QStringLiteral("Flags"), QStringLiteral("0x0")}}},
                                  {QStringLiteral("depth"), 1}, {QStringLiteral("reach"), QStringLiteral("cuGetProcAddress")},
                                  {QStringLiteral("result"), success("driver")},
                                  {QStringLiteral("summary"), QStringLiteral("cuInit(Flags=0x0) → CUDA_SUCCESS")}});
    const QString tableSummary = QStringLiteral(
        "cuGetExportTable(CUDART_INTERFACE 6bd5fb6c-5bf4-e74a-8987-d93912fd9df9) → CUDA_ERROR_NOT_SUPPORTED: operation not supported");
    ids->exportTable = w.call(
        r, 7200, 12 * kMs + 700000, 370, "cuda.call", "cuGetExportTable",
        {{QStringLiteral("api"), QStringLiteral("driver")},
         {QStringLiteral("args"), QJsonObject{{QStringLiteral("pExportTableId"), QStringLiteral("0x7f59dbc885a0")},
                                              {QStringLiteral("ppExportTable"), QStringLiteral("0x7f5a1c254cd0")}}},
         {QStringLiteral("depth"), 1},
         {QStringLiteral("exportTable"),
          QJsonObject{{QStringLiteral("function"), QStringLiteral("cuGetExportTable")}, {QStringLiteral("known"), true},
                      {QStringLiteral("name"), QStringLiteral("CUDART_INTERFACE")}, {QStringLiteral("ok"), false},
                      {QStringLiteral("result"), notSupported}, {QStringLiteral("summary"), tableSummary},
                      {QStringLiteral("table"), QJsonValue()},
                      {QStringLiteral("uuid"), QStringLiteral("6bd5fb6c-5bf4-e74a-8987-d93912fd9df9")}}},
         {QStringLiteral("reach"), QStringLiteral("cuGetProcAddress")},
         {QStringLiteral("result"), notSupported},
         {QStringLiteral("summary"), QStringLiteral("cuGetExportTable(ppExportTable=0x7f5a1c254cd0, pExportTableId=0x7f59dbc885a0) "
                                                    "→ CUDA_ERROR_NOT_SUPPORTED: operation not supported")}});
    w.output(r, Stream::Stderr, 13 * kMs, "ggml_cuda_init: failed to initialize CUDA: operation not supported");
    w.output(r, Stream::Stdout, 19 * kMs, "runner: retrying on thread 7203");
    ids->initOtherThread = w.call(r, 7203, 20 * kMs, 4000, "cuda.call", "cuInit",
                                  {{QStringLiteral("api"), QStringLiteral("driver")},
                                   {QStringLiteral("args"), QJsonObject{{QStringLiteral("Flags"), QStringLiteral("0x0")}}},
                                   {QStringLiteral("reach"), QStringLiteral("cuGetProcAddress")},
                                   {QStringLiteral("result"), success("driver")},
                                   {QStringLiteral("summary"), QStringLiteral("cuInit(Flags=0x0) → CUDA_SUCCESS")}});
    ids->driverCount = w.call(r, 7203, 21 * kMs, 1200, "cuda.call", "cuDeviceGetCount",
                              {{QStringLiteral("api"), QStringLiteral("driver")},
                               {QStringLiteral("args"), QJsonObject{{QStringLiteral("count"), QStringLiteral("0x7ffee9f13eb4")}}},
                               {QStringLiteral("out"), QJsonObject{{QStringLiteral("count"), 1}}},
                               {QStringLiteral("reach"), QStringLiteral("binding")},
                               {QStringLiteral("result"), success("driver")},
                               {QStringLiteral("summary"), QStringLiteral("cuDeviceGetCount(count=&1) → CUDA_SUCCESS")}});
    w.output(r, Stream::Stdout, 25 * kMs, "runner: cudaGetDeviceCount returned 801 (cudaErrorNotSupported)");
    w.output(r, Stream::Stderr, 29 * kMs, "SIGSEGV: segmentation violation");
    ids->unfinished = w.event(r, 7203, 30 * kMs, "cuda.call", "cuInit",
                              R"({"depth":0,"summary":"cuInit(…) had not returned when the process ended","unfinished":true})");

    w.artifact(ids->runId, "config", QStringLiteral("/home/dev/calls-sample.json"), config.size(),
               QStringLiteral("3b1f0c9a6e2d4f8b7a5c1e3d9f0b2a4c6e8d0f1a3b5c7e9d2f4a6b8c0e1d3f5a"), config);
    w.artifact(ids->runId, "shim", kShim, 139800, kShimHash);
    w.artifact(ids->runId, "gpu-library", kShim, 139800, kShimHash);
    w.artifact(ids->runId, "gpu-library", QStringLiteral("/usr/local/cuda/lib64/libcudart.so.12"), 704288,
               QStringLiteral("96c42e418cec19054186b9429c321603cc190bf26a18104e19408117a2a817b0"));
    w.artifact(ids->runId, "elf-facts", kShim, 139800, QString(), R"({"role":"shim"})");
    w.artifact(ids->runId, "machine-facts", QStringLiteral("/"), 2, QString(), "{}");
    if (!bundle->commit(&bundleError)) {
        *error = bundleError.message;
        return false;
    }
    return true;
}

} // namespace initscope::testing
