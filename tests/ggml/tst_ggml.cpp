// The real, prebuilt ggml CUDA backend (docs/ggml.md), brought up by ggml_host against every
// failure class of the fake GPU: each class ends with ggml's own error line, the recording
// holds the driver calls that explain it, and recording changes nothing about the outcome.
#include "recordtestutil.h"

#include "diagnosis.h"
#include "elfimage.h"
#include "symbolcheck.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>
#include <ostream>

using namespace initscope;

namespace
{

// The ggml lines, as the real library prints them (observed; docs/ggml.md).
constexpr const char *kNotSupported =
    "ggml_cuda_init: failed to initialize CUDA: operation not supported\n";
constexpr const char *kInsufficientDriver =
    "ggml_cuda_init: failed to initialize CUDA: CUDA driver version is insufficient for CUDA "
    "runtime version\n";
constexpr const char *kNoDevice =
    "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected\n";
// What ggml's backend init says, right after, when ggml_cuda_init found no device.
constexpr const char *kInvalidDevice = "ggml_backend_cuda_init: invalid device 0\n";
constexpr const char *kIncidentTable = "6bd5fb6c-5bf4-e74a-8987-d93912fd9df9";

// ggml_host's exit statuses (tests/ggml/ggml_host.c).
constexpr int kHostCannotLoad = 2;
constexpr int kHostNoDevice = 4;
constexpr int kKilled = -1; // had to be stopped from outside (hang)

QString fakeGpuDir(const QString &variant)
{
    return QStringLiteral(FAKEGPU_DIR "/") + variant;
}

// The directory the ggml_fetch fixture verified, or empty (with a failure saying why).
QString ggmlDir()
{
    QFile file(QStringLiteral(GGML_DIR_FILE));
    if (!file.open(QIODevice::ReadOnly)) {
        ADD_FAILURE()
            << "the ggml CUDA backend has not been fetched: " GGML_DIR_FILE " is missing. Run "
               "`ctest -L ggml` (its ggml_fetch fixture downloads and verifies the package) or "
               "tests/ggml/fetch-ggml-cuda.sh --record " GGML_DIR_FILE;
        return {};
    }
    const QString dir = QString::fromLocal8Bit(file.readAll().trimmed());
    if (!QFileInfo::exists(dir + QStringLiteral("/libggml-cuda.so")))
        ADD_FAILURE() << "no libggml-cuda.so in " << dir.toStdString()
                      << " (named by " GGML_DIR_FILE << "); run tests/ggml/fetch-ggml-cuda.sh";
    return dir;
}

QString ggmlCuda()
{
    const QString dir = ggmlDir();
    return dir.isEmpty() ? QString() : dir + QStringLiteral("/libggml-cuda.so");
}

struct Scenario {
    const char *variant; // fake GPU build variant (which symbols libcuda.so.1 exports)
    const char *mode;    // INITSCOPE_FAKEGPU_MODE
};

struct Outcome {
    int status = -2; // exit code, 128 + signal, or kKilled
    QByteArray out;
    QByteArray err;
};

class GgmlTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        // Both runs of a comparison must see the same fake configuration: only the mode.
        for (const QString &name : QProcessEnvironment::systemEnvironment().keys()) {
            if (name.startsWith(QLatin1String("INITSCOPE_FAKEGPU_")))
                qunsetenv(name.toLocal8Bit().constData());
        }
        ASSERT_TRUE(QFileInfo::exists(QStringLiteral(CUDA_RUNTIME_DIR "/libcudart.so.13")))
            << "the ggml tests need the CUDA 13 runtime in " CUDA_RUNTIME_DIR
               " (configure with -DINITSCOPE_GGML_CUDA_RUNTIME_DIR=DIR)";
        ASSERT_TRUE(QFileInfo::exists(fakeGpuDir(QStringLiteral("default/libcuda.so.1"))))
            << "fake GPU not built in " FAKEGPU_DIR;
        m_library = ggmlCuda();
        ASSERT_FALSE(m_library.isEmpty());
        ASSERT_TRUE(QFileInfo::exists(m_library));
    }

    QStringList host(bool swallowingParent = false) const
    {
        QStringList argv{QStringLiteral(GGML_HOST)};
        if (swallowingParent)
            argv << QStringLiteral("--swallow-stderr");
        return argv << m_library;
    }

    // The host run plainly, the fake found through LD_LIBRARY_PATH as a user sets it up.
    static Outcome runPlain(const QStringList &argv, const Scenario &s, int timeoutMs = 60000)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_LIBRARY_PATH"), fakeGpuDir(QString::fromLatin1(s.variant)) +
                                                          QStringLiteral(":" CUDA_RUNTIME_DIR));
        env.insert(QStringLiteral("INITSCOPE_FAKEGPU_MODE"), QString::fromLatin1(s.mode));
        p.setProcessEnvironment(env);
        p.start(argv.first(), argv.mid(1));
        EXPECT_TRUE(p.waitForStarted());
        Outcome o;
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            o.status = kKilled;
        } else {
            o.status = p.exitStatus() == QProcess::CrashExit ? 128 + p.exitCode() : p.exitCode();
        }
        o.out = p.readAllStandardOutput();
        o.err = p.readAllStandardError();
        return o;
    }

    // The same run recorded, the fake's two libraries injected as shims, the CUDA runtime on
    // LD_LIBRARY_PATH. Returns initscope's exit status; the bundle is at bundlePath().
    int record(const QStringList &argv, const Scenario &s, double timeoutSeconds = 60)
    {
        const QString dir = fakeGpuDir(QString::fromLatin1(s.variant));
        const CliRun run = runInitscope(
            QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                        QString::number(timeoutSeconds), QStringLiteral("-o"), bundlePath(),
                        QStringLiteral("--shim"), dir + QStringLiteral("/libcuda.so.1"),
                        QStringLiteral("--shim"), dir + QStringLiteral("/libnvidia-ml.so.1"),
                        QStringLiteral("--env"),
                        QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + QLatin1String(s.mode),
                        QStringLiteral("--env"),
                        QStringLiteral("LD_LIBRARY_PATH=" CUDA_RUNTIME_DIR), QStringLiteral("--")} +
                argv,
            int(timeoutSeconds * 1000) + 60000);
        return run.exitCode;
    }

    // The root's outcome as the bundle tells it.
    static Outcome outcomeOf(const BundleReader &reader, int initscopeStatus)
    {
        Outcome o;
        o.status = initscopeStatus == 124 ? kKilled : initscopeStatus;
        const QList<Process> processes = reader.processes(reader.runs().first().id);
        if (processes.isEmpty())
            return o;
        o.out = streamOf(reader, processes.first().id, Stream::Stdout);
        o.err = streamOf(reader, processes.first().id, Stream::Stderr);
        return o;
    }

    QString bundlePath() const { return m_dir.filePath(QStringLiteral("ggml.initscope")); }

    QTemporaryDir m_dir;
    QString m_library;
};

// Driver (cuda.call) and runtime (cudart.call) calls of one process, in the order they began.
QList<Event> callsOf(const BundleReader &reader, qint64 processId = -1)
{
    QList<Event> calls;
    for (const Event &e : reader.events(reader.runs().first().id, processId)) {
        if (e.kind == QLatin1String("cuda.call") || e.kind == QLatin1String("cudart.call"))
            calls << e;
    }
    return calls;
}

QJsonObject payloadOf(const Event &e)
{
    return QJsonDocument::fromJson(e.payload).object();
}

QString resultName(const Event &e)
{
    return payloadOf(e)
        .value(QLatin1String("result"))
        .toObject()
        .value(QLatin1String("name"))
        .toString();
}

bool succeeded(const Event &e)
{
    return payloadOf(e)
               .value(QLatin1String("result"))
               .toObject()
               .value(QLatin1String("code"))
               .toInt(-1) == 0;
}

// Index of the first call named name at or after from, or -1.
qsizetype indexOf(const QList<Event> &calls, const char *name, qsizetype from = 0)
{
    for (qsizetype i = from; i < calls.size(); ++i) {
        if (calls[i].name == QLatin1String(name))
            return i;
    }
    return -1;
}

qsizetype exportTableRequest(const QList<Event> &calls, const char *uuid)
{
    for (qsizetype i = 0; i < calls.size(); ++i) {
        if (calls[i].name == QLatin1String("cuGetExportTable") &&
            payloadOf(calls[i])
                    .value(QLatin1String("exportTable"))
                    .toObject()
                    .value(QLatin1String("uuid"))
                    .toString() == QLatin1String(uuid))
            return i;
    }
    return -1;
}

std::string summaries(const QList<Event> &calls)
{
    std::string text;
    for (const Event &e : calls) {
        const QString name = e.name;
        if (name.startsWith(QLatin1String("cuGetProcAddress")))
            continue; // a few hundred resolutions would drown the rest
        text += payloadOf(e).value(QLatin1String("summary")).toString().toStdString() + '\n';
    }
    return text;
}

// --- every failure class: the real line, and the same outcome recorded and not ---

struct Expected {
    Scenario scenario;
    int status;
    const char *stderrText; // exact (for kHostNoDevice: the line before kInvalidDevice), or nullptr
    const char *stderrContains; // substring, or nullptr
    const char *stdoutText;     // exact, or nullptr when not checked
    const char *finding;        // the class of the diagnosis's first finding of the recording
};

// Names the parameter by its mode in test names and messages.
void PrintTo(const Expected &x, std::ostream *os)
{
    *os << x.scenario.mode;
}

const char *const kStdoutNoDevice = "ggml_host: ggml_backend_cuda_get_device_count() = "
                                    "0\nggml_host: ggml_backend_cuda_init(0) failed\n";

class GgmlFailureClass : public GgmlTest, public ::testing::WithParamInterface<Expected>
{
};

std::string scenarioName(const ::testing::TestParamInfo<Expected> &info)
{
    std::string name = info.param.scenario.mode;
    for (char &c : name)
        c = c == '-' ? '_' : c;
    return name;
}

} // namespace

TEST_P(GgmlFailureClass, EndsWithTheRealGgmlLineAndTheSameOutcomeRecordedAndNot)
{
    const Expected x = GetParam();
    const bool hangs = x.status == kKilled;
    const Outcome plain = runPlain(host(), x.scenario, hangs ? 3000 : 60000);
    const int recordedStatus = record(host(), x.scenario, hangs ? 2 : 60);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const Outcome recorded = outcomeOf(*reader, recordedStatus);

    EXPECT_EQ(plain.status, x.status) << plain.err.toStdString();
    if (x.stderrText) {
        const QByteArray expected =
            QByteArray(x.stderrText) + (x.status == kHostNoDevice ? kInvalidDevice : "");
        EXPECT_EQ(plain.err, expected);
    }
    if (x.stderrContains) {
        EXPECT_TRUE(plain.err.contains(x.stderrContains)) << plain.err.toStdString();
    }
    if (x.stdoutText) {
        EXPECT_EQ(plain.out, QByteArray(x.stdoutText));
    }

    EXPECT_EQ(recorded.status, plain.status);
    EXPECT_EQ(recorded.err, plain.err);
    EXPECT_EQ(recorded.out, plain.out);

    // The diagnosis of the real ggml run names the class, and explains the line ggml printed.
    const Diagnosis d = diagnose(*reader, reader->runs().first().id);
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QLatin1String(x.finding)) << formatDiagnosisText(d).toStdString();
    EXPECT_EQ(top.severity, Severity::RootCause);
    const QByteArray firstErrLine = plain.err.left(plain.err.indexOf('\n'));
    if (!firstErrLine.isEmpty() && x.status != kKilled && x.status != 128 + SIGSEGV) {
        EXPECT_EQ(top.errorLine.toUtf8(), firstErrLine) << formatDiagnosisText(d).toStdString();
    }
}

INSTANTIATE_TEST_SUITE_P(
    FakeGpuModes, GgmlFailureClass,
    ::testing::Values(
        // The fake cannot emulate the runtime's private tools table: with the real runtime even
        // the healthy device ends at the runtime's check of it (docs/fakegpu.md). No rule names
        // that class: the generic finding must still land on the runtime call that gave up.
        Expected{
            {"default", "healthy"}, kHostNoDevice, kInsufficientDriver, nullptr, kStdoutNoDevice, "failed-call"},
        // ggml never loads NVML: memory that NVML misreports does not reach it.
        Expected{{"default", "nvml-zero-memory"},
                 kHostNoDevice,
                 kInsufficientDriver,
                 nullptr,
                 kStdoutNoDevice, "failed-call"},
        Expected{{"default", "no-export-tables"},
                 kHostNoDevice,
                 kNotSupported,
                 nullptr,
                 kStdoutNoDevice, "export-table-refused"},
        Expected{{"no-getprocaddress-v2", "no-getprocaddress-v2"},
                 kHostNoDevice,
                 kInsufficientDriver,
                 nullptr,
                 kStdoutNoDevice, "resolver-missing"},
        Expected{{"default", "v1-resolver"},
                 kHostNoDevice,
                 kInsufficientDriver,
                 nullptr,
                 kStdoutNoDevice, "abi-mismatch"},
        Expected{{"default", "old-driver"},
                 kHostNoDevice,
                 kInsufficientDriver,
                 nullptr,
                 kStdoutNoDevice, "driver-older-than-runtime"},
        Expected{{"default", "no-device"}, kHostNoDevice, kNoDevice, nullptr, kStdoutNoDevice, "init-failed"},
        // The loader refuses libggml-cuda.so itself: its driver imports are not all there.
        Expected{{"no-vmm", "no-vmm"},
                 kHostCannotLoad,
                 nullptr,
                 "libggml-cuda.so: undefined symbol: cuMemCreate\n",
                 "", "undefined-symbol"},
        Expected{{"default", "crash-in-init"}, 128 + SIGSEGV, "", nullptr, "", "crash"},
        Expected{{"default", "hang-in-init"}, kKilled, "", nullptr, "", "hang"}),
    scenarioName);

// --- what the recording shows for each class ---

TEST_F(GgmlTest, IncidentCuInitSucceedsThenTheCudartInterfaceTableFailsAndNoDeviceIsEverQueried)
{
    const int status = record(host(), {"default", "no-export-tables"});
    ASSERT_EQ(status, kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    const std::string trace = summaries(calls);

    // The runtime found the driver through its resolver, not by calling exports directly.
    int resolutions = 0;
    for (const Event &e : calls)
        resolutions +=
            e.name == QLatin1String("cuGetProcAddress_v2") && payloadOf(e)
                                                                  .value(QLatin1String("resolved"))
                                                                  .toObject()
                                                                  .value(QLatin1String("ok"))
                                                                  .toBool();
    EXPECT_GT(resolutions, 0) << "no cuGetProcAddress_v2 resolution recorded";
    const qsizetype init = indexOf(calls, "cuInit");
    const qsizetype resolvedInit = [&] {
        for (qsizetype i = 0; i < calls.size(); ++i) {
            if (payloadOf(calls[i])
                    .value(QLatin1String("resolved"))
                    .toObject()
                    .value(QLatin1String("symbol"))
                    .toString() == QLatin1String("cuInit"))
                return i;
        }
        return qsizetype(-1);
    }();
    ASSERT_GE(resolvedInit, 0) << "cuInit was not resolved through cuGetProcAddress_v2";

    const qsizetype version = indexOf(calls, "cuDriverGetVersion");
    const qsizetype table = exportTableRequest(calls, kIncidentTable);
    ASSERT_GE(version, 0) << trace;
    ASSERT_GT(init, version) << trace;
    ASSERT_GT(table, init) << trace;
    EXPECT_GT(init, resolvedInit);
    EXPECT_TRUE(succeeded(calls[version])) << trace;
    EXPECT_EQ(payloadOf(calls[version])
                  .value(QLatin1String("out"))
                  .toObject()
                  .value(QLatin1String("driverVersion"))
                  .toInt(),
              13000);
    EXPECT_TRUE(succeeded(calls[init])) << trace;
    const QJsonObject result = payloadOf(calls[table]).value(QLatin1String("result")).toObject();
    EXPECT_EQ(result.value(QLatin1String("name")).toString(),
              QLatin1String("CUDA_ERROR_NOT_SUPPORTED"))
        << trace;
    // The incident's blind spot: the device-query functions of the driver are never reached.
    for (const char *query :
         {"cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetAttribute", "cuDeviceTotalMem_v2"})
        EXPECT_EQ(indexOf(calls, query), -1) << query << " was called:\n" << trace;
    // And the runtime's answer to ggml is the one ggml printed.
    const qsizetype count = indexOf(calls, "cudaGetDeviceCount");
    ASSERT_GE(count, 0) << trace;
    EXPECT_EQ(payloadOf(calls[count])
                  .value(QLatin1String("result"))
                  .toObject()
                  .value(QLatin1String("name"))
                  .toString(),
              QLatin1String("cudaErrorNotSupported"));
}

TEST_F(GgmlTest, NoDeviceIsCuInitsAnswerAndNothingIsCountedAfterIt)
{
    ASSERT_EQ(record(host(), {"default", "no-device"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    const qsizetype init = indexOf(calls, "cuInit");
    ASSERT_GE(init, 0) << summaries(calls);
    EXPECT_EQ(payloadOf(calls[init])
                  .value(QLatin1String("result"))
                  .toObject()
                  .value(QLatin1String("name"))
                  .toString(),
              QLatin1String("CUDA_ERROR_NO_DEVICE"));
    EXPECT_EQ(indexOf(calls, "cuDeviceGetCount"), -1) << summaries(calls);
    EXPECT_EQ(exportTableRequest(calls, kIncidentTable), -1) << summaries(calls);
}

TEST_F(GgmlTest, OldDriverVersionStopsTheRuntimeBeforeCuInit)
{
    ASSERT_EQ(record(host(), {"default", "old-driver"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    const qsizetype version = indexOf(calls, "cuDriverGetVersion");
    ASSERT_GE(version, 0) << summaries(calls);
    const int reported = payloadOf(calls[version])
                             .value(QLatin1String("out"))
                             .toObject()
                             .value(QLatin1String("driverVersion"))
                             .toInt();
    EXPECT_GT(reported, 0);
    EXPECT_LT(reported, 13000) << "the runtime is CUDA 13.0";
    EXPECT_EQ(indexOf(calls, "cuInit"), -1) << summaries(calls);
}

TEST_F(GgmlTest, DriverWithoutVmmCallsIsRefusedAtDlopenBeforeAnyDriverCall)
{
    ASSERT_EQ(record(host(), {"no-vmm", "no-vmm"}), kHostCannotLoad);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    EXPECT_TRUE(calls.isEmpty()) << summaries(calls);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    ASSERT_EQ(processes.size(), 1);
    const QByteArray err = streamOf(*reader, processes.first().id, Stream::Stderr);
    EXPECT_TRUE(err.startsWith("ggml_host: cannot load ")) << err.toStdString();
    EXPECT_TRUE(err.endsWith("libggml-cuda.so: undefined symbol: cuMemCreate\n"))
        << err.toStdString();
}

TEST_F(GgmlTest, CrashInCuInitIsRecordedAsSigsegvAfterTheDriverVersionCall)
{
    ASSERT_EQ(record(host(), {"default", "crash-in-init"}), 128 + SIGSEGV);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    ASSERT_EQ(processes.size(), 1);
    EXPECT_EQ(processes.first().endReason, EndReason::Signaled);
    EXPECT_EQ(processes.first().signal, SIGSEGV);
    const QList<Event> calls = callsOf(*reader);
    ASSERT_FALSE(calls.isEmpty());
    // cuInit never returned: it is the last call, marked unfinished, right after the driver
    // version call that did return.
    EXPECT_EQ(calls.last().name, QLatin1String("cuInit")) << summaries(calls);
    EXPECT_TRUE(payloadOf(calls.last()).value(QLatin1String("unfinished")).toBool()) << summaries(calls);
    const qsizetype version = indexOf(calls, "cuDriverGetVersion");
    ASSERT_GE(version, 0) << summaries(calls);
    EXPECT_TRUE(succeeded(calls[version]));
}

TEST_F(GgmlTest, HangInCuInitIsStoppedAtTheTimeoutWithNothingLeftRunning)
{
    ASSERT_EQ(record(host(), {"default", "hang-in-init"}, 2), 124);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const initscope::Run run = reader->runs().first();
    EXPECT_TRUE(run.timedOut);
    const QList<Process> processes = reader->processes(run.id);
    ASSERT_EQ(processes.size(), 1);
    EXPECT_EQ(processes.first().endReason, EndReason::Signaled);
    EXPECT_FALSE(processAlive(processes.first().pid));
    const QList<Event> calls = callsOf(*reader);
    ASSERT_FALSE(calls.isEmpty());
    // Where it was waiting: inside cuInit, for the rest of the run.
    EXPECT_EQ(calls.last().name, QLatin1String("cuInit")) << summaries(calls);
    EXPECT_TRUE(payloadOf(calls.last()).value(QLatin1String("unfinished")).toBool()) << summaries(calls);
    EXPECT_GT(calls.last().durNs, 1000000000) << "waited until the 2 s timeout killed it";
}

TEST_F(GgmlTest, HealthyFakeAnswersEveryDeviceQueryBeforeTheRuntimeGivesUpWithInsufficientDriver)
{
    ASSERT_EQ(record(host(), {"default", "healthy"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    const std::string trace = summaries(calls);
    // Unlike the incident, the runtime gets its interface table and queries the device.
    const qsizetype table = exportTableRequest(calls, kIncidentTable);
    ASSERT_GE(table, 0) << trace;
    EXPECT_TRUE(succeeded(calls[table])) << trace;
    const qsizetype count = indexOf(calls, "cuDeviceGetCount", table);
    ASSERT_GT(count, table) << trace;
    EXPECT_TRUE(succeeded(calls[count]));
    EXPECT_EQ(payloadOf(calls[count])
                  .value(QLatin1String("out"))
                  .toObject()
                  .value(QLatin1String("count"))
                  .toInt(),
              1);
    EXPECT_GT(indexOf(calls, "cuDeviceGetName", count), count) << trace;
    EXPECT_GT(indexOf(calls, "cuDeviceGetAttribute", count), count) << trace;
    for (const Event &e : calls.mid(count)) {
        if (e.kind == QLatin1String("cuda.call")) {
            EXPECT_TRUE(succeeded(e)) << "the healthy fake failed a device query: " << trace;
        }
    }
    const qsizetype runtime = indexOf(calls, "cudaGetDeviceCount");
    ASSERT_GE(runtime, 0) << trace;
    EXPECT_EQ(resultName(calls[runtime]), QLatin1String("cudaErrorInsufficientDriver"));
}

TEST_F(GgmlTest, NvmlZeroMemoryIsInvisibleToGgmlWhichNeverLoadsNvml)
{
    ASSERT_EQ(record(host(), {"default", "nvml-zero-memory"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const qint64 run = reader->runs().first().id;
    for (const Event &e : reader->events(run))
        EXPECT_NE(e.kind, QLatin1String("nvml.call")) << e.name.toStdString();
    for (const LibLoad &load : reader->libLoads(run))
        EXPECT_FALSE(load.path.contains(QLatin1String("libnvidia-ml"))) << load.path.toStdString();
    // While the driver side goes exactly as far as with the healthy fake.
    const QList<Event> calls = callsOf(*reader);
    const qsizetype count = indexOf(calls, "cuDeviceGetCount");
    ASSERT_GE(count, 0) << summaries(calls);
    EXPECT_EQ(payloadOf(calls[count])
                  .value(QLatin1String("out"))
                  .toObject()
                  .value(QLatin1String("count"))
                  .toInt(),
              1);
}

TEST_F(GgmlTest, V1ResolverHandedOutForCuGetProcAddressAt12000IsFlaggedInTheRecording)
{
    ASSERT_EQ(record(host(), {"default", "v1-resolver"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    QJsonObject at12000;
    for (const Event &e : calls) {
        const QJsonObject resolved = payloadOf(e).value(QLatin1String("resolved")).toObject();
        if (resolved.value(QLatin1String("symbol")).toString() ==
                QLatin1String("cuGetProcAddress") &&
            resolved.value(QLatin1String("cudaVersion")).toInt() == 12000)
            at12000 = resolved;
    }
    ASSERT_FALSE(at12000.isEmpty()) << summaries(calls);
    EXPECT_EQ(at12000.value(QLatin1String("expected")).toString(),
              QLatin1String("cuGetProcAddress_v2"));
    EXPECT_EQ(at12000.value(QLatin1String("ownerSymbol")).toString(),
              QLatin1String("cuGetProcAddress"));
    EXPECT_FALSE(at12000.value(QLatin1String("matchesExpected")).toBool(true));
    const qsizetype runtime = indexOf(calls, "cudaGetDeviceCount");
    ASSERT_GE(runtime, 0);
    EXPECT_EQ(resultName(calls[runtime]), QLatin1String("cudaErrorInsufficientDriver"));
}

TEST_F(GgmlTest, DriverWithoutGetProcAddressV2IsReachedByDlsymWithoutAnyResolverCall)
{
    ASSERT_EQ(record(host(), {"no-getprocaddress-v2", "no-getprocaddress-v2"}), kHostNoDevice);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Event> calls = callsOf(*reader);
    for (const Event &e : calls)
        EXPECT_FALSE(e.name.startsWith(QLatin1String("cuGetProcAddress"))) << summaries(calls);
    const qsizetype init = indexOf(calls, "cuInit");
    ASSERT_GE(init, 0) << summaries(calls);
    EXPECT_TRUE(succeeded(calls[init]));
    EXPECT_EQ(payloadOf(calls[init]).value(QLatin1String("reach")).toString(),
              QLatin1String("dlsym"));
    const qsizetype runtime = indexOf(calls, "cudaGetDeviceCount");
    ASSERT_GE(runtime, 0);
    EXPECT_EQ(resultName(calls[runtime]), QLatin1String("cudaErrorInsufficientDriver"));
}

// --- the runner's line, thrown away by its parent, kept by the recording ---

TEST_F(GgmlTest, RunnerLineSwallowedByItsParentIsInTheBundleUnderTheRunner)
{
    const Scenario incident{"default", "no-export-tables"};
    const QByteArray runnerErr = QByteArray(kNotSupported) + kInvalidDevice;
    const QByteArray swallowed = QByteArray("ggml_host: runner exited with status 4, ") +
                                 QByteArray::number(runnerErr.size()) +
                                 " bytes of its stderr discarded\n";
    // Without recording, nothing of the line reaches anyone: the runner's stdout (which it
    // shares with its parent) and the parent's count are all there is.
    const Outcome plain = runPlain(host(true), incident);
    EXPECT_EQ(plain.status, 0);
    EXPECT_EQ(plain.out, kStdoutNoDevice + swallowed);
    EXPECT_TRUE(plain.err.isEmpty()) << plain.err.toStdString();

    ASSERT_EQ(record(host(true), incident), 0);
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    ASSERT_EQ(processes.size(), 2);
    const Process &parent = processes.first().parentId == -1 ? processes.first() : processes.last();
    const Process &runner = processes.first().parentId == -1 ? processes.last() : processes.first();
    ASSERT_EQ(runner.parentId, parent.id);
    ASSERT_TRUE(parent.argv.contains(QStringLiteral("--swallow-stderr")));
    ASSERT_FALSE(runner.argv.contains(QStringLiteral("--swallow-stderr")));

    // The parent printed only its count, exactly as without recording.
    EXPECT_EQ(streamOf(*reader, parent.id, Stream::Stdout), swallowed);
    EXPECT_TRUE(streamOf(*reader, parent.id, Stream::Stderr).isEmpty());
    // The runner's line is kept whole, under the runner, with its exit status.
    EXPECT_EQ(streamOf(*reader, runner.id, Stream::Stderr), runnerErr);
    EXPECT_EQ(streamOf(*reader, runner.id, Stream::Stdout), QByteArray(kStdoutNoDevice));
    EXPECT_EQ(runner.endReason, EndReason::Exited);
    EXPECT_EQ(runner.exitCode, kHostNoDevice);
    // And so are the calls that explain it, attributed to the runner.
    const QList<Event> runnerCalls = callsOf(*reader, runner.id);
    const qsizetype table = exportTableRequest(runnerCalls, kIncidentTable);
    ASSERT_GE(table, 0) << summaries(runnerCalls);
    EXPECT_FALSE(succeeded(runnerCalls[table]));
    EXPECT_TRUE(callsOf(*reader, parent.id).isEmpty()) << "the parent never touches CUDA";
}

// --- the symbol checker against the real backend ---

TEST_F(GgmlTest, SymbolCheckOfTheNoVmmDriverAgainstRealGgmlNamesEveryVmmImport)
{
    QString error;
    const auto ggml = readElfImage(m_library, &error);
    ASSERT_TRUE(ggml) << error.toStdString();
    const auto noVmm = readElfImage(fakeGpuDir(QStringLiteral("no-vmm/libcuda.so.1")), &error);
    ASSERT_TRUE(noVmm) << error.toStdString();
    SymbolCheckInput in;
    in.shims.append(*noVmm);
    in.consumers.append(*ggml);
    const SymbolCheckResult r = checkSymbols(in);
    ASSERT_TRUE(r.hasErrors()) << formatSymbolCheckText(r).toStdString();
    QStringList named;
    for (const SymbolFinding &f : r.findings)
        if (f.id == QLatin1String("missing-import") || f.id == QLatin1String("hidden-definition"))
            named += f.symbols;
    named.sort();
    // The eight cuMem* calls of ggml's virtual memory pool (docs/fakegpu.md).
    EXPECT_EQ(named, (QStringList{QStringLiteral("cuMemAddressFree"), QStringLiteral("cuMemAddressReserve"),
                                  QStringLiteral("cuMemCreate"), QStringLiteral("cuMemGetAllocationGranularity"),
                                  QStringLiteral("cuMemMap"), QStringLiteral("cuMemRelease"),
                                  QStringLiteral("cuMemSetAccess"), QStringLiteral("cuMemUnmap")}))
        << formatSymbolCheckText(r).toStdString();

    // The default variant exports them: nothing ggml imports is missing.
    const auto full = readElfImage(fakeGpuDir(QStringLiteral("default/libcuda.so.1")), &error);
    ASSERT_TRUE(full) << error.toStdString();
    in.shims = {*full};
    EXPECT_FALSE(checkSymbols(in).hasErrors()) << formatSymbolCheckText(checkSymbols(in)).toStdString();
}

// The loader names the first missing import only; the ELF facts kept with the run name all.
TEST_F(GgmlTest, DiagnosisOfTheNoVmmRunNamesEveryMissingImportNotOnlyTheLoadersFirst)
{
    record(host(), Scenario{"no-vmm", "no-vmm"});
    auto reader = openBundle(bundlePath());
    ASSERT_TRUE(reader);
    const Diagnosis d = diagnose(*reader, reader->runs().first().id);
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.id, QStringLiteral("undefined-symbol"));
    EXPECT_EQ(top.title, QStringLiteral("undefined symbol cuMemCreate and 7 more"));
    for (const char *name : {"cuMemAddressFree", "cuMemAddressReserve", "cuMemCreate", "cuMemGetAllocationGranularity",
                             "cuMemMap", "cuMemRelease", "cuMemSetAccess", "cuMemUnmap"})
        EXPECT_TRUE(top.fix.contains(QLatin1String(name))) << name << ": " << top.fix.toStdString();
    EXPECT_TRUE(top.errorLine.endsWith(QLatin1String("undefined symbol: cuMemCreate"))) << top.errorLine.toStdString();
}
