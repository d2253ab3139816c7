#include "samplebundle.h"

#include "bundle.h"

namespace initscope::testing
{

namespace
{

constexpr qint64 kMs = 1000000;
// 2024-06-01 10:00:00 UTC.
constexpr qint64 kRunStart = qint64(1717236000) * 1000000000;

const QString kRunnerExe = QStringLiteral("/usr/local/bin/ollama");
const QString kModel =
    QStringLiteral("/root/.ollama/models/blobs/"
                   "sha256-6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa");
const QString kRunners = QStringLiteral("/tmp/ollama2891334507/runners/cuda_v12");

QStringList environment()
{
    return {QStringLiteral("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            QStringLiteral("HOME=/root"),
            QStringLiteral("LANG=C.UTF-8"),
            QStringLiteral("OLLAMA_HOST=127.0.0.1:11434"),
            QStringLiteral("OLLAMA_DEBUG=1"),
            QStringLiteral("CUDA_VISIBLE_DEVICES=0"),
            QStringLiteral("LD_LIBRARY_PATH=/usr/local/lib/ollama/cuda_v12:/usr/local/lib/ollama"),
            QStringLiteral("LD_AUDIT=/usr/lib/x86_64-linux-gnu/initscope/libinitscope_recorder.so"),
            QStringLiteral("TERM=xterm-256color")};
}

QStringList runnerArgv(int gpuLayers, int port)
{
    return {kRunnerExe,
            QStringLiteral("runner"),
            QStringLiteral("--model"),
            kModel,
            QStringLiteral("--ctx-size"),
            QStringLiteral("8192"),
            QStringLiteral("--batch-size"),
            QStringLiteral("512"),
            QStringLiteral("--n-gpu-layers"),
            QString::number(gpuLayers),
            QStringLiteral("--threads"),
            QStringLiteral("8"),
            QStringLiteral("--port"),
            QString::number(port)};
}

// Writes one piece of output; pieces of one line in several calls are how pipes deliver them.
class OutputWriter
{
public:
    OutputWriter(BundleWriter &w, qint64 processId) : m_w(w), m_processId(processId) {}
    void write(Stream stream, qint64 tsNs, const QByteArray &data)
    {
        OutputChunk c;
        c.processId = m_processId;
        c.stream = stream;
        c.tsNs = tsNs;
        c.data = data;
        m_w.addOutput(c);
    }
    void err(qint64 tsNs, const char *line)
    {
        write(Stream::Stderr, tsNs, QByteArray(line) + '\n');
    }
    void out(qint64 tsNs, const char *line)
    {
        write(Stream::Stdout, tsNs, QByteArray(line) + '\n');
    }

private:
    BundleWriter &m_w;
    qint64 m_processId;
};

void addEvent(BundleWriter &w, qint64 processId, qint64 tid, qint64 tsNs, qint64 durNs,
              const char *kind, const char *name, const char *payload)
{
    Event e;
    e.processId = processId;
    e.tid = tid;
    e.tsNs = tsNs;
    e.durNs = durNs;
    e.kind = QLatin1String(kind);
    e.name = QLatin1String(name);
    e.payload = payload;
    w.addEvent(e);
}

LibSearchStep step(const QString &path, SearchOrigin origin, int exists)
{
    return LibSearchStep{path, quint32(origin), exists};
}

void addSearch(BundleWriter &w, qint64 processId, qint64 tid, qint64 tsNs, const QString &name,
               const QString &requester, const QList<LibSearchStep> &steps, SearchOutcome outcome,
               const QString &result)
{
    LibSearch s;
    s.processId = processId;
    s.tid = tid;
    s.tsNs = tsNs;
    s.name = name;
    s.requester = requester;
    s.steps = steps;
    s.outcome = outcome;
    s.resultPath = result;
    w.addLibSearch(s);
}

void addLoad(BundleWriter &w, qint64 processId, qint64 tid, qint64 tsNs, const QString &path,
             const QString &soname, quint64 base)
{
    LibLoad l;
    l.processId = processId;
    l.tid = tid;
    l.tsNs = tsNs;
    l.path = path;
    l.soname = soname;
    l.base = base;
    w.addLibLoad(l);
}

// The searches a cuda_v12 runner makes for the driver and NVML when LD_LIBRARY_PATH points
// at Ollama's own folders: the driver comes from ld.so.cache, NVML is nowhere.
void addGpuLibraries(BundleWriter &w, qint64 pid, qint64 id, qint64 t0)
{
    const QString server = kRunners + QStringLiteral("/ollama_llama_server");
    const QString cudart = kRunners + QStringLiteral("/libcudart.so.12");
    addSearch(w, id, pid, t0, QStringLiteral("libcudart.so.12"), server,
              {step(kRunners + QStringLiteral("/libcudart.so.12"), SearchOrigin::RunPath, 1)},
              SearchOutcome::Found, cudart);
    addLoad(w, id, pid, t0 + 90000, cudart, QStringLiteral("libcudart.so.12"), 0x7f3a2c000000);
    addSearch(
        w, id, pid, t0 + 2 * kMs, QStringLiteral("libcuda.so.1"), cudart,
        {step(QStringLiteral("/usr/local/lib/ollama/cuda_v12/libcuda.so.1"),
              SearchOrigin::LibraryPath, 0),
         step(QStringLiteral("/usr/local/lib/ollama/libcuda.so.1"), SearchOrigin::LibraryPath, 0),
         step(QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"), SearchOrigin::Cache, 1)},
        SearchOutcome::Found, QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"));
    addLoad(w, id, pid, t0 + 2 * kMs + 210000, QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"),
            QStringLiteral("libcuda.so.1"), 0x7f3a28000000);
    addSearch(
        w, id, pid, t0 + 9 * kMs, QStringLiteral("libnvidia-ml.so.1"), server,
        {step(QStringLiteral("/usr/local/lib/ollama/cuda_v12/libnvidia-ml.so.1"),
              SearchOrigin::LibraryPath, 0),
         step(QStringLiteral("/usr/local/lib/ollama/libnvidia-ml.so.1"), SearchOrigin::LibraryPath,
              0),
         step(QStringLiteral("/lib/x86_64-linux-gnu/libnvidia-ml.so.1"), SearchOrigin::Default, 0),
         step(QStringLiteral("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"), SearchOrigin::Default,
              0)},
        SearchOutcome::NotFound, QString());
}

} // namespace

QByteArray sampleHugeLine()
{
    // A runner that dumps one token array on a single line; exactly 1 MiB.
    QByteArray line = "{\"tokens\":[";
    for (int i = 0; line.size() < 1024 * 1024 - 2; ++i)
        line += QByteArray::number(128000 + (i * 7919) % 4096) + ',';
    line.truncate(1024 * 1024 - 2);
    line += "]}";
    return line;
}

QByteArray sampleBinaryLine()
{
    return QByteArray("tensor dump: ") + QByteArray("\x00\x01\x02\xff\xfe", 5) +
           "\x1b[31mred\x1b[0m caf\xc3\xa9 \xe2\x9c\x93 \xc3(";
}

bool writeSampleBundle(const QString &path, SampleIds *ids, QString *error,
                       const SampleOptions &options)
{
    BundleError bundleError;
    auto w = BundleWriter::create(path, &bundleError);
    if (!w) {
        *error = bundleError.message;
        return false;
    }
    w->setMetadata(QStringLiteral("title"), QStringLiteral("ollama serve on the CUDA shim"));

    Run run;
    run.name = QStringLiteral("ollama serve (shim driver)");
    run.command = {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("exec ollama serve")};
    run.startRealtimeNs = kRunStart;
    run.durationNs = 5204 * kMs;
    run.exitCode = 0;
    run.hostname = QStringLiteral("gpu-test-01");
    run.recorderVersion = QStringLiteral("0.1.0");
    ids->mainRunId = w->addRun(run);

    Process shell;
    shell.runId = ids->mainRunId;
    shell.pid = 4100;
    shell.ppid = 4099;
    shell.exe = QStringLiteral("/usr/bin/dash");
    shell.argv = run.command;
    shell.env = environment();
    shell.startNs = 0;
    shell.endNs = 1200000;
    shell.endReason = EndReason::Exec;
    shell.recorded = true;
    ids->shellId = w->addProcess(shell);

    Process serve = shell;
    serve.previousImageId = ids->shellId;
    serve.execSeq = 1;
    serve.exe = kRunnerExe;
    serve.argv = {QStringLiteral("ollama"), QStringLiteral("serve")};
    serve.startNs = 1200000;
    serve.endNs = 5204 * kMs;
    serve.endReason = EndReason::Exited;
    serve.exitCode = 0;
    ids->serveId = w->addProcess(serve);

    Process helper;
    helper.runId = ids->mainRunId;
    helper.pid = 4109;
    helper.ppid = 4100;
    helper.parentId = ids->serveId;
    helper.exe = QStringLiteral("/usr/sbin/ldconfig");
    helper.argv = {QStringLiteral("/sbin/ldconfig"), QStringLiteral("-p")};
    helper.env = environment();
    helper.startNs = 310 * kMs;
    helper.recorded = false;
    ids->helperId = w->addProcess(helper);

    Process runner;
    runner.runId = ids->mainRunId;
    runner.pid = 4117;
    runner.ppid = 4100;
    runner.parentId = ids->serveId;
    runner.exe = kRunnerExe;
    runner.argv = runnerArgv(33, 41233);
    runner.env = environment();
    runner.startNs = 812345678;
    runner.endNs = 2045678901;
    runner.endReason = EndReason::Signaled;
    runner.signal = 11;
    runner.coreDumped = true;
    runner.recorded = true;
    ids->runnerId = w->addProcess(runner);

    Process cpu = runner;
    cpu.pid = 4131;
    cpu.argv = runnerArgv(0, 41877);
    cpu.startNs = 2301 * kMs;
    cpu.endNs = 5150 * kMs;
    cpu.endReason = EndReason::Exited;
    cpu.exitCode = 0;
    cpu.signal = 0;
    cpu.coreDumped = false;
    ids->cpuRunnerId = w->addProcess(cpu);

    // ollama serve: Go's log lines on stderr, the HTTP access log on stdout.
    OutputWriter serveOut(*w, ids->serveId);
    serveOut.err(2 * kMs,
                 "2024/06/01 10:00:00 routes.go:1125: INFO server config env=\"map["
                 "CUDA_VISIBLE_DEVICES:0 OLLAMA_DEBUG:true OLLAMA_HOST:http://127.0.0.1:11434]\"");
    serveOut.err(4 * kMs, "time=2024-06-01T10:00:00.004Z level=INFO source=images.go:782 "
                          "msg=\"total blobs: 5\"");
    serveOut.err(5 * kMs, "time=2024-06-01T10:00:00.005Z level=INFO source=routes.go:1172 "
                          "msg=\"Listening on 127.0.0.1:11434 (version 0.3.6)\"");
    serveOut.err(280 * kMs, "time=2024-06-01T10:00:00.280Z level=INFO source=gpu.go:204 "
                            "msg=\"looking for compatible GPUs\"");
    serveOut.err(302 * kMs, "time=2024-06-01T10:00:00.302Z level=DEBUG source=gpu.go:90 "
                            "msg=\"searching for GPU discovery libraries for NVIDIA\"");
    serveOut.err(420 * kMs, "time=2024-06-01T10:00:00.420Z level=INFO source=types.go:105 "
                            "msg=\"inference compute\" id=GPU-8f0c1d9e library=cuda compute=8.6 "
                            "driver=12.4 name=\"NVIDIA GeForce RTX 3090\" total=\"23.7 GiB\" "
                            "available=\"23.4 GiB\"");
    serveOut.err(811 * kMs, "time=2024-06-01T10:00:00.811Z level=INFO source=server.go:391 "
                            "msg=\"starting llama server\" cmd=\"/usr/local/bin/ollama runner "
                            "--model ... --n-gpu-layers 33 --port 41233\"");
    serveOut.err(2046 * kMs, "time=2024-06-01T10:00:02.046Z level=ERROR source=sched.go:451 "
                             "msg=\"error loading llama server\" error=\"llama runner process "
                             "has terminated: signal: segmentation fault (core dumped)\"");
    serveOut.out(2048 * kMs, "[GIN] 2024/06/01 - 10:00:02 | 500 |  1.236481s |       127.0.0.1 "
                             "| POST     \"/api/generate\"");
    serveOut.err(2300 * kMs, "time=2024-06-01T10:00:02.300Z level=WARN source=sched.go:187 "
                             "msg=\"retrying on CPU\" gpu_layers=0");
    serveOut.out(5120 * kMs, "[GIN] 2024/06/01 - 10:00:05 | 200 |  2.820117s |       127.0.0.1 "
                             "| POST     \"/api/generate\"");

    addEvent(*w, ids->shellId, 4100, 0, 0, "process.start", "dash", "{\"pid\":4100,\"ppid\":4099}");
    addEvent(*w, ids->shellId, 4100, 1200000, 0, "process.exec", "execve",
             "{\"path\":\"/usr/local/bin/ollama\"}");
    addEvent(*w, ids->serveId, 4100, 1200000, 0, "process.start", "ollama",
             "{\"pid\":4100,\"ppid\":4099}");
    addSearch(
        *w, ids->serveId, 4104, 301 * kMs, QStringLiteral("libcuda.so.1"), kRunnerExe,
        {step(QStringLiteral("libcuda.so.1"), SearchOrigin::Original, -1),
         step(QStringLiteral("/usr/local/lib/ollama/cuda_v12/libcuda.so.1"),
              SearchOrigin::LibraryPath, 0),
         step(QStringLiteral("/usr/local/lib/ollama/libcuda.so.1"), SearchOrigin::LibraryPath, 0),
         step(QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"), SearchOrigin::Cache, 1)},
        SearchOutcome::Found, QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"));
    addLoad(*w, ids->serveId, 4104, 301 * kMs + 400000,
            QStringLiteral("/lib/x86_64-linux-gnu/libcuda.so.1"), QStringLiteral("libcuda.so.1"),
            0x7f5e10000000);
    addEvent(*w, ids->serveId, 4104, 303 * kMs, 1800000, "cuda.call", "cuInit",
             "{\"flags\":0,\"result\":\"CUDA_SUCCESS\",\"code\":0}");
    addEvent(*w, ids->serveId, 4104, 305 * kMs, 12000, "cuda.call", "cuDeviceGetCount",
             "{\"count\":1,\"result\":\"CUDA_SUCCESS\",\"code\":0}");
    addEvent(*w, ids->serveId, 4100, 5204 * kMs, 0, "process.exit", "exit", "{\"code\":0}");

    addEvent(*w, ids->helperId, 4109, 310 * kMs, 0, "process.start", "ldconfig",
             "{\"pid\":4109,\"ppid\":4100,\"recorded\":false}");

    // The runner that fails: CUDA refuses to initialize, the Go runtime then crashes.
    OutputWriter out(*w, ids->runnerId);
    const qint64 r0 = runner.startNs;
    out.err(r0 + 3 * kMs, "INFO [main] build info | build=3535 commit=\"1e6f6554\" "
                          "tid=\"140245623578624\" timestamp=1717236000");
    out.err(r0 + 4 * kMs,
            "INFO [main] system info | n_threads=8 n_threads_batch=-1 "
            "total_threads=16 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | FMA = 1 | F16C = 1");
    out.err(r0 + 60 * kMs,
            "llama_model_loader: loaded meta data with 29 key-value pairs and 292 tensors from "
            "/root/.ollama/models/blobs/sha256-6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d7"
            "7c96807de94ca2aa (version GGUF V3 (latest))");
    // One line delivered in two reads, with a stdout line read in between.
    out.write(Stream::Stderr, r0 + 61 * kMs, "llm_load_print_meta: model ty");
    out.out(r0 + 61 * kMs + 500000, "loading model: 100%");
    out.write(Stream::Stderr, r0 + 62 * kMs,
              "pe       = 8B\nllm_load_print_meta: model "
              "params     = 8.03 B\n");
    out.err(r0 + 110 * kMs, "ggml_cuda_init: failed to initialize CUDA: operation not supported");
    out.err(r0 + 111 * kMs, "llm_load_tensors: ggml ctx size =    0.14 MiB");
    out.write(Stream::Stdout, r0 + 120 * kMs, sampleBinaryLine() + '\n');
    out.write(Stream::Stdout, r0 + 121 * kMs, "progress 100%\r\n");
    // The 1 MiB line as a pipe hands it over: 64 KiB at a time.
    const QByteArray huge = sampleHugeLine() + '\n';
    for (qsizetype at = 0, i = 0; at < huge.size(); at += 65536, ++i)
        out.write(Stream::Stdout, r0 + 130 * kMs + i * 100000, huge.mid(at, 65536));
    out.err(r0 + 1233 * kMs, "SIGSEGV: segmentation violation");
    out.err(r0 + 1233 * kMs + 10000, "PC=0x7f3a2c1e4b20 m=4 sigcode=1 addr=0x0");
    out.err(r0 + 1233 * kMs + 20000, "signal arrived during cgo execution");
    out.write(Stream::Stderr, r0 + 1233 * kMs + 30000,
              "goroutine 7 gp=0xc000102a80 m=4 mp=0xc000100008 [syscall]:");

    addEvent(*w, ids->runnerId, 4117, r0, 0, "process.start", "ollama",
             "{\"pid\":4117,\"ppid\":4100}");
    addGpuLibraries(*w, 4117, ids->runnerId, r0 + 100 * kMs);
    addEvent(*w, ids->runnerId, 4117, r0 + 102 * kMs + 500000, 2000, "cuda.call",
             "cuDriverGetVersion", "{\"version\":12040,\"result\":\"CUDA_SUCCESS\",\"code\":0}");
    addEvent(*w, ids->runnerId, 4117, r0 + 103 * kMs, 4100000, "cuda.call", "cuInit",
             "{\"flags\":0,\"result\":\"CUDA_ERROR_NOT_SUPPORTED\",\"code\":801}");
    addEvent(*w, ids->runnerId, 4117, r0 + 1233 * kMs, 0, "signal", "SIGSEGV",
             "{\"signo\":11,\"code\":\"SEGV_MAPERR\",\"addr\":\"0x0\"}");
    addEvent(*w, ids->runnerId, 4117, *runner.endNs, 0, "process.exit", "SIGSEGV",
             "{\"signal\":11,\"core_dumped\":true}");

    // The retry on the CPU, which works.
    OutputWriter cpuOut(*w, ids->cpuRunnerId);
    const qint64 c0 = cpu.startNs;
    cpuOut.err(c0 + 3 * kMs, "INFO [main] build info | build=3535 commit=\"1e6f6554\"");
    cpuOut.err(c0 + 58 * kMs, "llm_load_tensors: offloaded 0/33 layers to GPU");
    cpuOut.err(c0 + 59 * kMs, "llm_load_tensors:        CPU buffer size =  4437.80 MiB");
    cpuOut.err(c0 + 410 * kMs, "INFO [main] HTTP server listening | hostname=\"127.0.0.1\" "
                               "port=\"41877\" n_threads_http=\"15\"");
    if (options.floodMiB > 0) {
        // Many short lines, as a runner with verbose logging produces them.
        QByteArray block;
        for (int i = 0; i < 1000; ++i)
            block += "llama_decode_internal: n_tokens = 512, n_past = " + QByteArray::number(i) +
                     ", batch " + QByteArray::number(i % 7) + " of 7 done in 12.4 ms\n";
        const qsizetype blocks = qsizetype(options.floodMiB) * 1024 * 1024 / block.size() + 1;
        for (qsizetype b = 0; b < blocks; ++b)
            cpuOut.write(Stream::Stdout, c0 + 500 * kMs + b * 100000, block);
    }
    addEvent(*w, ids->cpuRunnerId, 4131, c0, 0, "process.start", "ollama",
             "{\"pid\":4131,\"ppid\":4100}");
    addEvent(*w, ids->cpuRunnerId, 4131, *cpu.endNs, 0, "process.exit", "exit", "{\"code\":0}");

    // A second run in the same bundle: the probe against the fixed shim.
    Run probeRun;
    probeRun.name = QStringLiteral("initscope-probe (shim v2)");
    probeRun.command = {QStringLiteral("initscope-probe")};
    probeRun.startRealtimeNs = kRunStart + 600 * qint64(1000000000);
    probeRun.durationNs = 84 * kMs;
    probeRun.exitCode = 0;
    probeRun.hostname = QStringLiteral("gpu-test-01");
    probeRun.recorderVersion = QStringLiteral("0.1.0");
    ids->probeRunId = w->addRun(probeRun);
    Process probe;
    probe.runId = ids->probeRunId;
    probe.pid = 5210;
    probe.ppid = 5209;
    probe.exe = QStringLiteral("/usr/bin/initscope-probe");
    probe.argv = probeRun.command;
    probe.env = environment();
    probe.startNs = 0;
    probe.endNs = 84 * kMs;
    probe.endReason = EndReason::Exited;
    probe.recorded = true;
    ids->probeId = w->addProcess(probe);
    OutputWriter probeOut(*w, ids->probeId);
    probeOut.out(40 * kMs, "cuInit(0) = CUDA_SUCCESS");
    probeOut.out(41 * kMs, "device 0: InitScope Fake GPU, 24576 MiB, sm_86");

    if (!w->commit(&bundleError)) {
        *error = bundleError.message;
        return false;
    }
    return true;
}

} // namespace initscope::testing
