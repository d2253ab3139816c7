// The Ollama findings on crafted bundles: the server's conclusion (CPU fallback) points at the
// runner's recorded root cause and ranks after it; without a recording the runner's own error
// line is the cause; a failure no rule names is quoted, not guessed; nothing fires for a program
// that is not an Ollama server.
#include "bundle.h"
#include "diagnosis.h"
#include "ollamaimport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

using namespace initscope;

namespace {

const QByteArray kServerLog =
    "time=2026-01-05T10:30:21.530Z level=INFO source=server.go:400 msg=\"starting runner\" "
    "cmd=\"/usr/local/bin/ollama runner --ollama-engine --port 39431\"\n"
    "time=2026-01-05T10:30:21.980Z level=INFO source=runner.go:464 msg=\"failure during GPU discovery\" "
    "OLLAMA_LIBRARY_PATH=\"[/usr/local/lib/ollama /usr/local/lib/ollama/cuda_v13]\" extra_envs=map[] "
    "error=\"runner crashed\"\n"
    "time=2026-01-05T10:30:21.990Z level=INFO source=types.go:60 msg=\"inference compute\" id=cpu library=cpu "
    "compute=\"\" name=cpu description=cpu libdirs=ollama driver=\"\" pci_id=\"\" type=\"\" total=\"31.2 GiB\" "
    "available=\"29.0 GiB\"\n"
    "time=2026-01-05T10:30:21.990Z level=INFO source=routes.go:1600 msg=\"entering low vram mode\" "
    "\"total vram\"=\"0 B\" threshold=\"20.0 GiB\"\n";

struct Crafted {
    QTemporaryDir dir;
    QString path;
    qint64 runId = -1;
    qint64 serverId = -1;
    qint64 runnerId = -1;
};

Event cudaCall(qint64 processId, qint64 ts, const char *fn, int code, const char *name, const char *message)
{
    Event e;
    e.processId = processId;
    e.tid = 4107;
    e.tsNs = ts;
    e.durNs = 1000;
    e.kind = QStringLiteral("cuda.call");
    e.name = QString::fromLatin1(fn);
    const QJsonObject result{{QStringLiteral("code"), code},
                             {QStringLiteral("name"), QString::fromLatin1(name)},
                             {QStringLiteral("message"), QString::fromLatin1(message)},
                             {QStringLiteral("ok"), code == 0}};
    const QJsonObject payload{{QStringLiteral("api"), QStringLiteral("driver")},
                              {QStringLiteral("function"), e.name},
                              {QStringLiteral("depth"), 0},
                              {QStringLiteral("ok"), code == 0},
                              {QStringLiteral("reach"), QStringLiteral("dlsym")},
                              {QStringLiteral("result"), result},
                              {QStringLiteral("summary"), QStringLiteral("%1() → %2").arg(e.name, QString::fromLatin1(name))}};
    e.payload = QJsonDocument(payload).toJson(QJsonDocument::Compact);
    return e;
}

// A recorded `ollama serve` whose bootstrap runner failed; tracedCalls adds the runner's
// failed cuInit as the recorder would have traced it.
std::unique_ptr<Crafted> craftRecordedRun(bool tracedCalls, const QByteArray &serverOutput = kServerLog)
{
    auto c = std::make_unique<Crafted>();
    c->path = c->dir.filePath(QStringLiteral("ollama.initscope"));
    BundleError error;
    auto w = BundleWriter::create(c->path, &error);
    if (!w)
        return nullptr;
    initscope::Run run;
    run.name = QStringLiteral("ollama-discovery");
    run.command = {QStringLiteral("ollama"), QStringLiteral("serve")};
    run.durationNs = 2000000000;
    run.exitCode = 0;
    c->runId = w->addRun(run);

    Process server;
    server.runId = c->runId;
    server.pid = 4100;
    server.exe = QStringLiteral("/usr/local/bin/ollama");
    server.argv = {QStringLiteral("ollama"), QStringLiteral("serve")};
    server.endNs = 2000000000;
    server.endReason = EndReason::Exited;
    server.recorded = true;
    c->serverId = w->addProcess(server);

    Process runner;
    runner.runId = c->runId;
    runner.pid = 4107;
    runner.ppid = 4100;
    runner.parentId = c->serverId;
    runner.exe = QStringLiteral("/usr/local/bin/ollama");
    runner.argv = {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner"), QStringLiteral("--ollama-engine"),
                   QStringLiteral("--port"), QStringLiteral("39431")};
    runner.startNs = 412000000;
    runner.endNs = 861000000;
    runner.endReason = EndReason::Exited;
    runner.exitCode = 2;
    runner.recorded = true;
    c->runnerId = w->addProcess(runner);

    if (tracedCalls) {
        w->addEvent(cudaCall(c->runnerId, 788000000, "cuDriverGetVersion", 0, "CUDA_SUCCESS", "no error"));
        w->addEvent(cudaCall(c->runnerId, 789000000, "cuInit", 999, "CUDA_ERROR_UNKNOWN", "unknown error"));
    }
    OutputChunk runnerOut;
    runnerOut.processId = c->runnerId;
    runnerOut.stream = Stream::Stderr;
    runnerOut.tsNs = 790000000;
    runnerOut.data = "load_backend: loaded CPU backend from /usr/local/lib/ollama/libggml-cpu-icelake.so\n"
                     "ggml_cuda_init: failed to initialize CUDA: unknown error\n";
    w->addOutput(runnerOut);

    qint64 ts = 400000000;
    for (const QByteArray &line : serverOutput.split('\n')) {
        if (line.isEmpty())
            continue;
        OutputChunk chunk;
        chunk.processId = c->serverId;
        chunk.stream = Stream::Stderr;
        chunk.tsNs = ts;
        chunk.data = line + '\n';
        w->addOutput(chunk);
        ts += 200000000;
    }
    if (!w->commit(&error))
        return nullptr;
    return c;
}

Diagnosis diagnoseFile(const QString &path)
{
    BundleError error;
    const auto reader = BundleReader::open(path, &error);
    if (!reader)
        return {};
    return diagnose(*reader, reader->runs().value(0).id);
}

qsizetype indexOf(const Diagnosis &d, const QString &id)
{
    for (qsizetype i = 0; i < d.findings.size(); ++i)
        if (d.findings.at(i).id == id)
            return i;
    return -1;
}

Diagnosis diagnoseLog(const QByteArray &text)
{
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("server.log"));
    QFile f(log);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(text);
    f.close();
    const QString bundle = dir.filePath(QStringLiteral("server.initscope"));
    OllamaImportError error;
    if (!importOllamaLog(log, bundle, &error))
        return {};
    return diagnoseFile(bundle);
}

} // namespace

TEST(OllamaDiagnosis, ServerConclusionReferencesTheRunnersRecordedRootCauseAndRanksAfterIt)
{
    const auto c = craftRecordedRun(true);
    ASSERT_TRUE(c);
    const Diagnosis d = diagnoseFile(c->path);
    ASSERT_FALSE(d.findings.isEmpty());

    // The runner's recorded failure is the root cause, first.
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.processId, c->runnerId);
    EXPECT_EQ(top.severity, Severity::RootCause);
    EXPECT_FALSE(top.id.startsWith(QLatin1String("ollama-")));

    const qsizetype at = indexOf(d, QStringLiteral("ollama-cpu-fallback"));
    ASSERT_GE(at, 1) << "the conclusion ranks after the runner's finding";
    const Finding &conclusion = d.findings.at(at);
    EXPECT_EQ(conclusion.severity, Severity::Contributing);
    EXPECT_EQ(conclusion.processId, c->serverId);
    EXPECT_EQ(conclusion.pid, 4100);
    EXPECT_TRUE(conclusion.step.contains(QLatin1String("pid 4107"))) << conclusion.step.toStdString();
    EXPECT_TRUE(conclusion.step.contains(top.title)) << conclusion.step.toStdString();
    EXPECT_TRUE(conclusion.step.contains(QLatin1String("bootstrap runner"))) << conclusion.step.toStdString();
    EXPECT_TRUE(conclusion.step.contains(QLatin1String("total_vram=\"0 B\""))) << conclusion.step.toStdString();
    EXPECT_TRUE(conclusion.fix.contains(top.fix)) << conclusion.fix.toStdString();
    EXPECT_TRUE(conclusion.errorLine.contains(QLatin1String("library=cpu")));

    // Evidence: the server's own lines (the conclusion, the runner's start, the discovery failure)
    // and the runner itself.
    QStringList serverLines;
    bool runnerProcess = false;
    for (const Evidence &e : conclusion.evidence) {
        if (e.kind == Evidence::Kind::OutputLine && e.processId == c->serverId)
            serverLines << e.text;
        runnerProcess = runnerProcess || (e.kind == Evidence::Kind::Process && e.id == c->runnerId);
    }
    EXPECT_TRUE(runnerProcess);
    const auto has = [&](const char *needle) {
        return std::any_of(serverLines.begin(), serverLines.end(), [&](const QString &l) { return l.contains(QLatin1String(needle)); });
    };
    EXPECT_TRUE(has("msg=\"inference compute\" id=cpu"));
    EXPECT_TRUE(has("\"total vram\"=\"0 B\""));
    EXPECT_TRUE(has("msg=\"starting runner\""));
    EXPECT_TRUE(has("error=\"runner crashed\""));

    // The recorded cause is not repeated as a cause read from the log.
    EXPECT_EQ(indexOf(d, QStringLiteral("ollama-runner-error")), -1);
    EXPECT_EQ(indexOf(d, QStringLiteral("ollama-discovery-failed")), -1);
}

TEST(OllamaDiagnosis, WithoutTracedCallsTheRunnersOwnErrorLineIsTheRootCause)
{
    const auto c = craftRecordedRun(false);
    ASSERT_TRUE(c);
    const Diagnosis d = diagnoseFile(c->path);
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-runner-error"));
    EXPECT_EQ(top.severity, Severity::RootCause);
    EXPECT_EQ(top.processId, c->runnerId) << "the line the runner wrote, not a copy in the server's log";
    EXPECT_EQ(top.pid, 4107);
    EXPECT_EQ(top.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: unknown error"));
    EXPECT_TRUE(top.step.contains(QLatin1String("cudaErrorUnknown (999"))) << top.step.toStdString();
    EXPECT_TRUE(top.fix.contains(QLatin1String("nvidia_uvm"))) << top.fix.toStdString();
    const qsizetype at = indexOf(d, QStringLiteral("ollama-cpu-fallback"));
    ASSERT_GE(at, 1);
    EXPECT_TRUE(d.findings.at(at).step.contains(top.title)) << d.findings.at(at).step.toStdString();
}

TEST(OllamaDiagnosis, ProgramThatIsNotAnOllamaServerGetsNoOllamaFinding)
{
    // The server's lines, printed by some other program.
    BundleError error;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("other.initscope"));
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w);
    initscope::Run run;
    run.name = QStringLiteral("other");
    run.exitCode = 0;
    const qint64 runId = w->addRun(run);
    Process p;
    p.runId = runId;
    p.pid = 10;
    p.exe = QStringLiteral("/usr/bin/log-replayer");
    p.argv = {QStringLiteral("log-replayer"), QStringLiteral("serve")};
    p.endNs = 1000;
    p.endReason = EndReason::Exited;
    p.recorded = true;
    const qint64 id = w->addProcess(p);
    OutputChunk chunk;
    chunk.processId = id;
    chunk.stream = Stream::Stderr;
    chunk.data = kServerLog;
    w->addOutput(chunk);
    ASSERT_TRUE(w->commit(&error));
    for (const Finding &f : diagnoseFile(path).findings)
        EXPECT_FALSE(f.id.startsWith(QLatin1String("ollama-"))) << f.id.toStdString();
}

TEST(OllamaDiagnosis, GpuFailureNoRuleNamesIsQuotedNotGuessed)
{
    const Diagnosis d = diagnoseLog(
        "time=2026-01-05T10:30:21.000Z level=INFO source=server.go:400 msg=\"starting runner\" "
        "cmd=\"/usr/bin/ollama runner --ollama-engine --port 4000\"\n"
        "load_backend: loaded CUDA backend from /usr/lib/ollama/cuda_v13/libggml-cuda.so\n"
        "ggml_cuda_compute_forward: ADD failed\n"
        "ggml_backend_cuda_graph_compute: kernel launch failed on device 0\n"
        "time=2026-01-05T10:30:22.000Z level=INFO source=types.go:60 msg=\"inference compute\" id=cpu library=cpu "
        "total=\"31.2 GiB\" available=\"29.0 GiB\"\n");
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-gpu-error"));
    EXPECT_EQ(top.errorLine, QStringLiteral("ggml_cuda_compute_forward: ADD failed")) << "the first error line";
    EXPECT_LT(top.confidence, 0.5);
    EXPECT_FALSE(top.step.contains(QLatin1String("returned"))) << "no result code is claimed: " << top.step.toStdString();
    EXPECT_EQ(indexOf(d, QStringLiteral("ollama-runner-error")), -1);
    EXPECT_EQ(indexOf(d, QStringLiteral("ollama-discovery-failed")), -1);
    const qsizetype at = indexOf(d, QStringLiteral("ollama-cpu-fallback"));
    ASSERT_GE(at, 1);
    EXPECT_TRUE(d.findings.at(at).step.contains(QLatin1String("ADD failed")));
}

TEST(OllamaDiagnosis, RunnerErrorWithAReasonInitScopeDoesNotKnowClaimsNoCode)
{
    const Diagnosis d = diagnoseLog("ggml_cuda_init: failed to initialize CUDA: the frobnicator is cold\n");
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-runner-error"));
    EXPECT_EQ(top.confidence, 0.5);
    EXPECT_TRUE(top.title.contains(QLatin1String("the frobnicator is cold")));
    EXPECT_FALSE(top.title.contains(QLatin1String("cudaError")));
    EXPECT_FALSE(top.step.contains(QLatin1String("returned"))) << top.step.toStdString();
}

TEST(OllamaDiagnosis, OperationNotSupportedFromALogPointsAtTheRefusedExportTable)
{
    // The incident InitScope was built for, seen through a log only.
    const Diagnosis d = diagnoseLog("ggml_cuda_init: failed to initialize CUDA: operation not supported\n"
                                    "time=2026-01-05T10:30:22.000Z level=INFO source=routes.go:2073 "
                                    "msg=\"vram-based default context\" total_vram=\"0 B\" default_num_ctx=4096\n");
    ASSERT_GE(d.findings.size(), 2);
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-runner-error"));
    EXPECT_TRUE(top.step.contains(QLatin1String("cudaErrorNotSupported (801"))) << top.step.toStdString();
    EXPECT_TRUE(top.fix.contains(QLatin1String("cuGetExportTable"))) << top.fix.toStdString();
    EXPECT_EQ(d.findings.at(1).id, QStringLiteral("ollama-cpu-fallback"));
}

TEST(OllamaDiagnosis, ConclusionWithoutAnyCauseIsNoRootCauseAndAsksForTraceLogging)
{
    const Diagnosis d = diagnoseLog(
        "time=2025-12-01T00:00:00Z level=INFO source=runner.go:60 msg=\"discovering available GPUs...\"\n"
        "time=2025-12-01T00:00:01Z level=INFO source=types.go:60 msg=\"inference compute\" id=cpu library=cpu "
        "total=\"15.8 GiB\" available=\"6.1 GiB\"\n");
    ASSERT_EQ(d.findings.size(), 1);
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("ollama-cpu-fallback"));
    EXPECT_EQ(f.severity, Severity::Contributing);
    EXPECT_FALSE(d.hasRootCause());
    EXPECT_TRUE(f.step.contains(QLatin1String("does not say why"))) << f.step.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("OLLAMA_DEBUG=2"))) << f.fix.toStdString();
}

TEST(OllamaDiagnosis, ImportedLogHasNoFindingThatBlamesAMissingRecording)
{
    // Imported processes end "unknown"; the engine's "failed without a recorded departure" would
    // fire for each, but a log has nothing recorded by design.
    const Diagnosis d = diagnoseLog(
        "time=2025-12-01T00:00:00Z level=INFO source=server.go:400 msg=\"starting runner\" "
        "cmd=\"/usr/bin/ollama runner --ollama-engine --port 4000\"\n"
        "time=2025-12-01T00:00:01Z level=INFO source=types.go:60 msg=\"inference compute\" id=GPU-1 library=CUDA "
        "compute=8.9 name=CUDA0 description=\"NVIDIA GeForce RTX 4090\" total=\"23.6 GiB\" available=\"23.2 GiB\"\n");
    EXPECT_TRUE(d.findings.isEmpty());
}

TEST(OllamaDiagnosis, ForwardedRunnerErrorInALogIsTheRunnersAndTheConclusionNamesThatRunner)
{
    // OLLAMA_DEBUG=2: the server passes the bootstrap runner's stderr on into its own log.
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("trace.log"));
    QFile f(log);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("time=2026-01-05T10:30:21.530Z level=INFO source=server.go:400 msg=\"starting runner\" "
            "cmd=\"/usr/local/bin/ollama runner --ollama-engine --port 39431\"\n"
            "time=2026-01-05T10:30:21.531Z level=DEBUG source=server.go:401 msg=subprocess "
            "OLLAMA_LIBRARY_PATH=/usr/local/lib/ollama:/usr/local/lib/ollama/cuda_v13\n"
            "ggml_cuda_init: failed to initialize CUDA: operation not supported\n"
            "time=2026-01-05T10:30:21.990Z level=INFO source=types.go:60 msg=\"inference compute\" id=cpu library=cpu "
            "total=\"31.2 GiB\" available=\"29.0 GiB\"\n");
    f.close();
    const QString bundle = dir.filePath(QStringLiteral("trace.initscope"));
    OllamaImportError error;
    ASSERT_TRUE(importOllamaLog(log, bundle, &error)) << error.message.toStdString();
    BundleError bundleError;
    const auto reader = BundleReader::open(bundle, &bundleError);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> procs = reader->processes(runId);
    ASSERT_EQ(procs.size(), 2);
    const Diagnosis d = diagnose(*reader, runId);
    ASSERT_EQ(d.findings.size(), 2);
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("ollama-runner-error"));
    EXPECT_EQ(top.processId, procs.at(1).id) << "the line belongs to the runner the server started";
    EXPECT_EQ(top.errorLineNumber, 1);
    EXPECT_TRUE(top.step.startsWith(QLatin1String("the bootstrap runner (port 39431) printed"))) << top.step.toStdString();
    const Finding &conclusion = d.findings.at(1);
    EXPECT_EQ(conclusion.id, QStringLiteral("ollama-cpu-fallback"));
    EXPECT_EQ(conclusion.processId, procs.at(0).id);
    EXPECT_TRUE(conclusion.step.contains(QLatin1String("in the output of the bootstrap runner (port 39431)")))
        << conclusion.step.toStdString();
}
