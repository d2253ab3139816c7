// Call tracing against the fake GPU: recording never changes a run's outcome, every call of
// several threads is kept with its thread and outputs (also across lane flushes, shared lanes
// and a SIGKILL), shims reach the target whichever way
// they are injected, and run configs are read like the command line.
#include "recordtestutil.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

QString fakeGpu(const QString &variant)
{
    return QStringLiteral(FAKEGPU_DIR "/") + variant;
}

// The variant directory whose exports a mode needs.
QString variantFor(const QString &mode)
{
    if (mode == QLatin1String("no-getprocaddress-v2") || mode == QLatin1String("no-vmm"))
        return mode;
    return QStringLiteral("default");
}

struct Outcome {
    int status = -1; // exit code, 128 + signal, or -1 when it had to be killed
    QByteArray out;
    QByteArray err;
};

// The probe run plainly, the fake found through LD_LIBRARY_PATH as a user would set it up.
Outcome runPlain(const QStringList &argv, const QString &mode, int timeoutMs)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LD_LIBRARY_PATH"), fakeGpu(variantFor(mode)));
    env.insert(QStringLiteral("INITSCOPE_FAKEGPU_MODE"), mode);
    p.setProcessEnvironment(env);
    p.start(argv.first(), argv.mid(1));
    EXPECT_TRUE(p.waitForStarted());
    Outcome o;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        o.status = -1;
    } else {
        o.status = p.exitStatus() == QProcess::CrashExit ? 128 + p.exitCode() : p.exitCode();
    }
    o.out = p.readAllStandardOutput();
    o.err = p.readAllStandardError();
    return o;
}

// The same run recorded, the fake injected as a shim; the outcome is read back from the
// bundle, where the root's output is kept.
Outcome runRecorded(const QStringList &argv, const QString &mode, const QString &bundle,
                    double timeoutSeconds)
{
    const QString dir = fakeGpu(variantFor(mode));
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"),
                                                QStringLiteral("--timeout"), QString::number(timeoutSeconds),
                                                QStringLiteral("-o"), bundle,
                                                QStringLiteral("--shim"), dir + QStringLiteral("/libcuda.so.1"),
                                                QStringLiteral("--shim"), dir + QStringLiteral("/libnvidia-ml.so.1"),
                                                QStringLiteral("--env"), QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + mode,
                                                QStringLiteral("--")} +
                                        argv,
                                    int(timeoutSeconds * 1000) + 30000);
    Outcome o;
    o.status = run.exitCode == 124 ? -1 : run.exitCode;
    auto reader = openBundle(bundle);
    if (!reader)
        return o;
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    if (processes.isEmpty())
        return o;
    o.out = streamOf(*reader, processes.first().id, Stream::Stdout);
    o.err = streamOf(*reader, processes.first().id, Stream::Stderr);
    return o;
}

QList<Event> callsNamed(const BundleReader &reader, const QString &name)
{
    QList<Event> calls;
    for (const Event &e : reader.events(reader.runs().first().id)) {
        if (e.kind.endsWith(QLatin1String(".call")) && e.name == name)
            calls << e;
    }
    return calls;
}

QJsonObject payloadOf(const Event &e)
{
    return QJsonDocument::fromJson(e.payload).object();
}

class OutcomeTest : public ::testing::TestWithParam<const char *>
{
protected:
    QTemporaryDir m_dir;
};

} // namespace

TEST_P(OutcomeTest, ProbeEndsTheSameWithAndWithoutRecording)
{
    const QString mode = QString::fromLatin1(GetParam());
    const bool hangs = mode == QLatin1String("hang-in-init");
    const QStringList probe{binary(QStringLiteral("initscope-probe"))};
    const Outcome plain = runPlain(probe, mode, hangs ? 3000 : 30000);
    const Outcome recorded =
        runRecorded(probe, mode, m_dir.filePath(QStringLiteral("probe.initscope")), hangs ? 3 : 60);
    EXPECT_EQ(recorded.status, plain.status) << mode.toStdString();
    EXPECT_EQ(recorded.out, plain.out) << mode.toStdString();
    EXPECT_EQ(recorded.err, plain.err) << mode.toStdString();
    if (hangs)
        EXPECT_EQ(plain.status, -1) << "the hang mode must hang";
    else if (mode == QLatin1String("crash-in-init"))
        EXPECT_EQ(plain.status, 128 + 11) << "the crash mode must crash with SIGSEGV";
    else if (mode == QLatin1String("abort-in-init"))
        EXPECT_EQ(plain.status, 128 + 6) << "the abort mode must end with SIGABRT";
    else
        EXPECT_FALSE(plain.err.isEmpty() && plain.status != 0) << "a failure says why";
}

INSTANTIATE_TEST_SUITE_P(EveryFakeGpuMode, OutcomeTest,
                         ::testing::Values("healthy", "no-export-tables", "no-getprocaddress-v2",
                                           "v1-resolver", "old-driver", "no-device",
                                           "nvml-zero-memory", "no-vmm", "crash-in-init",
                                           "hang-in-init", "abort-in-init"),
                         [](const ::testing::TestParamInfo<const char *> &info) {
                             std::string name = info.param;
                             for (char &c : name)
                                 c = c == '-' ? '_' : c;
                             return name;
                         });

TEST(CallTrace, EveryCallOfEightThreadsIsRecordedWithItsThreadAndOutput)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("threads.initscope"));
    const QString fake = fakeGpu(QStringLiteral("default"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--shim"), fake + QStringLiteral("/libcuda.so.1"),
                                     QStringLiteral("--"), fixture(QStringLiteral("threaded_calls"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsNamed(*reader, QStringLiteral("cuDeviceGetAttribute"));
    // 8 threads × 250 rounds × 2 attributes, plus the two calls of the main thread.
    ASSERT_EQ(calls.size(), 8 * 250 * 2 + 2);
    QSet<qint64> tids;
    QHash<qint64, qint64> lastStart;
    for (const Event &e : calls) {
        tids.insert(e.tid);
        const QJsonObject p = payloadOf(e);
        EXPECT_EQ(p.value(QStringLiteral("result")).toObject().value(QStringLiteral("code")).toInt(), 0);
        EXPECT_EQ(p.value(QStringLiteral("reach")).toString(), QStringLiteral("dlsym"));
        const QString summary = p.value(QStringLiteral("summary")).toString();
        EXPECT_TRUE(summary.contains(QStringLiteral("&8")) || summary.contains(QStringLiteral("&0")))
            << summary.toStdString(); // compute capability 8.0 of the fake
        EXPECT_GE(e.durNs, 0);
        EXPECT_GE(e.tsNs, lastStart.value(e.tid, 0)) << "a thread's calls are in order";
        lastStart[e.tid] = e.tsNs;
    }
    EXPECT_EQ(tids.size(), 9) << "eight workers and the main thread";
}

// 20 threads (more than the ring's 15 lanes of their own, so five share the last one) of 3,000
// rounds: each thread's records fill its 128 KiB lane several times, so they reach the bundle
// through the .calls file's blocks and the ring's remainder. Checks every call, per thread, in
// order, inside the process's lifetime and never overlapping the thread's previous call: the
// TSC readings were turned into the run's time consistently.
static void expectEveryCallOfManyThreads(const QString &bundle, int threads, int rounds, bool killed)
{
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsNamed(*reader, QStringLiteral("cuDeviceGetAttribute"));
    ASSERT_EQ(calls.size(), threads * rounds * 2 + 2) << "every call, none twice";
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    ASSERT_EQ(processes.size(), 1);
    const Process &p = processes.first();
    if (killed) {
        EXPECT_EQ(p.signal, 9) << "the fixture killed itself";
    }
    QHash<qint64, int> perThread;
    QHash<qint64, qint64> lastEnd;
    for (const Event &e : calls) {
        ++perThread[e.tid];
        EXPECT_GE(e.tsNs, p.startNs);
        EXPECT_LE(e.tsNs + e.durNs, p.endNs.value_or(e.tsNs + e.durNs));
        EXPECT_GE(e.tsNs, lastEnd.value(e.tid, 0)) << "a thread's calls follow each other";
        lastEnd[e.tid] = e.tsNs + e.durNs;
    }
    ASSERT_EQ(perThread.size(), threads + 1) << "the workers and the main thread";
    int workers = 0;
    for (int n : std::as_const(perThread))
        workers += n == rounds * 2 ? 1 : 0;
    EXPECT_EQ(workers, threads) << "each worker's calls, all of them";
}

TEST(CallTrace, EveryCallOfTwentyThreadsSurvivesLaneFlushesAndSharedLanes)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("flushes.initscope"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--shim"), fakeGpu(QStringLiteral("default")) + QStringLiteral("/libcuda.so.1"),
                                     QStringLiteral("--"), fixture(QStringLiteral("threaded_calls")),
                                     QStringLiteral("20"), QStringLiteral("3000")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    expectEveryCallOfManyThreads(bundle, 20, 3000, false);
}

TEST(CallTrace, ProcessKilledAfterManyFlushesKeepsEveryCallFromTheFileAndTheRing)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("killed.initscope"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--shim"), fakeGpu(QStringLiteral("default")) + QStringLiteral("/libcuda.so.1"),
                                     QStringLiteral("--"), fixture(QStringLiteral("threaded_calls")),
                                     QStringLiteral("4"), QStringLiteral("5000"), QStringLiteral("--kill")});
    ASSERT_EQ(run.exitCode, 128 + 9) << run.err.toStdString();
    expectEveryCallOfManyThreads(bundle, 4, 5000, true);
}

TEST(CallTrace, ShimAnswersItsSonameInEveryInjectionModeAndIsHashed)
{
    const QString fake = fakeGpu(QStringLiteral("default")) + QStringLiteral("/libcuda.so.1");
    for (const char *mode : {"audit", "ld-library-path", "ld-preload"}) {
        QTemporaryDir dir;
        const QString bundle = dir.filePath(QStringLiteral("shim.initscope"));
        const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                         QStringLiteral("--inject"), QString::fromLatin1(mode),
                                         QStringLiteral("--shim"), fake, QStringLiteral("--"),
                                         binary(QStringLiteral("initscope-probe")), QStringLiteral("--driver-only")});
        ASSERT_EQ(run.exitCode, 0) << mode << ": " << run.err.toStdString();
        auto reader = openBundle(bundle);
        ASSERT_TRUE(reader);
        const qint64 runId = reader->runs().first().id;
        // The file that answered as libcuda.so.1 (directly, or through the symlink that
        // ld-library-path injection makes) is the shim: same bytes.
        QString libcudaPath;
        for (const LibLoad &load : reader->libLoads(runId)) {
            if (load.soname == QLatin1String("libcuda.so.1"))
                libcudaPath = load.path;
        }
        ASSERT_FALSE(libcudaPath.isEmpty()) << mode;
        QByteArray shimHash, answeredHash;
        for (const Artifact &a : reader->artifacts(runId)) {
            if (a.kind == QLatin1String("shim") && a.path == QFileInfo(fake).absoluteFilePath()) {
                EXPECT_EQ(a.size, QFileInfo(fake).size()) << mode;
                shimHash = a.sha256;
            }
            if (a.kind == QLatin1String("gpu-library") && a.path == libcudaPath)
                answeredHash = a.sha256;
        }
        EXPECT_EQ(shimHash.size(), 64) << mode;
        EXPECT_EQ(answeredHash, shimHash) << mode << ": " << libcudaPath.toStdString();
        EXPECT_FALSE(callsNamed(*reader, QStringLiteral("cuInit")).isEmpty()) << mode << ": calls traced";
        if (QLatin1String(mode) == QLatin1String("audit")) {
            // Audit injection changes nothing else: no LD_LIBRARY_PATH, no LD_PRELOAD.
            const QList<Process> processes = reader->processes(runId);
            ASSERT_FALSE(processes.isEmpty());
            for (const QString &kv : processes.first().env) {
                EXPECT_FALSE(kv.startsWith(QLatin1String("LD_PRELOAD=")));
                EXPECT_FALSE(kv.startsWith(QLatin1String("LD_LIBRARY_PATH=")) &&
                             kv.contains(QLatin1String("fakegpu")));
            }
        }
    }
}

TEST(CallTrace, RunConfigFileRecordsLikeTheSameOptionsAndBadConfigsAreRefused)
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("run.json"));
    const QString bundle = dir.filePath(QStringLiteral("config.initscope"));
    QFile f(config);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    const QString fake = fakeGpu(QStringLiteral("default")) + QStringLiteral("/libcuda.so.1");
    f.write(QJsonDocument(QJsonObject{
                              {QStringLiteral("name"), QStringLiteral("from a config")},
                              {QStringLiteral("command"), QJsonArray{binary(QStringLiteral("initscope-probe")),
                                                                     QStringLiteral("--driver-only")}},
                              {QStringLiteral("environment"),
                               QJsonObject{{QStringLiteral("set"),
                                            QJsonObject{{QStringLiteral("INITSCOPE_FAKEGPU_MODE"),
                                                         QStringLiteral("no-device")}}}}},
                              {QStringLiteral("shims"), QJsonArray{QJsonObject{{QStringLiteral("path"), fake}}}},
                              {QStringLiteral("output"), bundle}})
                .toJson());
    f.close();
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--config"), config});
    EXPECT_EQ(run.exitCode, 1) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->runs().first().name, QStringLiteral("from a config"));
    const QList<Event> init = callsNamed(*reader, QStringLiteral("cuInit"));
    ASSERT_FALSE(init.isEmpty());
    EXPECT_EQ(payloadOf(init.first()).value(QStringLiteral("result")).toObject().value(QStringLiteral("name")).toString(),
              QStringLiteral("CUDA_ERROR_NO_DEVICE"));

    QFile bad(dir.filePath(QStringLiteral("bad.json")));
    ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
    bad.write(R"({"command": ["true"], "timeout": 5})");
    bad.close();
    const CliRun refused = runInitscope({QStringLiteral("record"), QStringLiteral("--config"), bad.fileName()});
    EXPECT_EQ(refused.exitCode, 65);
    EXPECT_EQ(refused.err.count('\n'), 1);
    EXPECT_TRUE(refused.err.contains("unknown key \"timeout\"")) << refused.err.toStdString();
    const CliRun missing = runInitscope({QStringLiteral("record"), QStringLiteral("--config"),
                                         dir.filePath(QStringLiteral("absent.json"))});
    EXPECT_EQ(missing.exitCode, 66);
}

TEST(CallTrace, PointerResolvedForAnOlderNameIsDecodedAsTheVariantItReallyIs)
{
    // The runtime asks for "cuDeviceTotalMem" at version 3020 and gets cuDeviceTotalMem_v2
    // (size_t bytes); decoding it with the 32-bit v1 signature would show garbage.
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("variant.initscope"));
    const QString fake = fakeGpu(QStringLiteral("default"));
    runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                  QStringLiteral("--shim"), fake + QStringLiteral("/libcuda.so.1"), QStringLiteral("--"),
                  binary(QStringLiteral("initscope-probe")), QStringLiteral("--runtime-only")});
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    bool resolvedOldName = false;
    for (const Event &e : callsNamed(*reader, QStringLiteral("cuGetProcAddress")) +
                              callsNamed(*reader, QStringLiteral("cuGetProcAddress_v2"))) {
        const QJsonObject resolved = payloadOf(e).value(QStringLiteral("resolved")).toObject();
        resolvedOldName |= resolved.value(QStringLiteral("symbol")).toString() == QLatin1String("cuDeviceTotalMem");
    }
    EXPECT_TRUE(resolvedOldName) << "the runtime resolves the v1 name";
    const QList<Event> calls = callsNamed(*reader, QStringLiteral("cuDeviceTotalMem_v2"));
    ASSERT_FALSE(calls.isEmpty());
    bool viaResolver = false;
    for (const Event &e : calls) {
        const QJsonObject p = payloadOf(e);
        viaResolver |= p.value(QStringLiteral("reach")).toString() == QLatin1String("cuGetProcAddress");
        EXPECT_TRUE(p.value(QStringLiteral("summary")).toString().contains(QStringLiteral("bytes=&17179869184")))
            << p.value(QStringLiteral("summary")).toString().toStdString();
    }
    EXPECT_TRUE(viaResolver);
    EXPECT_TRUE(callsNamed(*reader, QStringLiteral("cuDeviceTotalMem")).isEmpty());
}

TEST(CallTrace, CallThatNeverReturnsIsKeptAsUnfinishedAfterACrashOrATimeout)
{
    for (const char *mode : {"crash-in-init", "hang-in-init"}) {
        QTemporaryDir dir;
        const QString bundle = dir.filePath(QStringLiteral("unfinished.initscope"));
        runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"), QStringLiteral("2"),
                      QStringLiteral("-o"), bundle, QStringLiteral("--shim"),
                      fakeGpu(QStringLiteral("default")) + QStringLiteral("/libcuda.so.1"), QStringLiteral("--env"),
                      QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + QLatin1String(mode), QStringLiteral("--"),
                      binary(QStringLiteral("initscope-probe")), QStringLiteral("--driver-only")});
        auto reader = openBundle(bundle);
        ASSERT_TRUE(reader);
        const QList<Event> init = callsNamed(*reader, QStringLiteral("cuInit"));
        ASSERT_EQ(init.size(), 1) << mode;
        EXPECT_TRUE(payloadOf(init.first()).value(QStringLiteral("unfinished")).toBool()) << mode;
        if (QLatin1String(mode) == QLatin1String("hang-in-init")) {
            EXPECT_GT(init.first().durNs, 1000000000) << "it waited until the timeout";
        }
    }
}
