// The diagnosis names the first departure from the GPU bring-up for every failure class the fake
// GPU reproduces, explains the exact error line the program printed, and gives a correct
// generic finding for a failure no rule names. Bundles are recorded by the real `initscope
// record` running the probe on the fake GPU.
#include "recordtestutil.h"

#include "bundle.h"
#include "diagnosis.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <algorithm>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

QString variantDir(const QString &mode)
{
    const QString variant = (mode == QLatin1String("no-getprocaddress-v2") || mode == QLatin1String("no-vmm"))
                                ? mode
                                : QStringLiteral("default");
    return QStringLiteral(FAKEGPU_DIR "/") + variant;
}

class DiagnosisTest : public ::testing::Test
{
protected:
    QTemporaryDir dir;

    // Records the probe with the fake in `mode` (no shims when mode is empty) and diagnoses it.
    Diagnosis record(const QString &mode, const QStringList &probeArgs, const QStringList &extra = {})
    {
        const QString bundle = dir.filePath(QStringLiteral("%1-%2.initscope")
                                                .arg(mode.isEmpty() ? QStringLiteral("none") : mode)
                                                .arg(++recordings));
        QStringList args{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle};
        if (!mode.isEmpty())
            args << QStringLiteral("--shim") << variantDir(mode) + QStringLiteral("/libcuda.so.1")
                 << QStringLiteral("--shim") << variantDir(mode) + QStringLiteral("/libnvidia-ml.so.1")
                 << QStringLiteral("--env") << QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + mode;
        args << extra << QStringLiteral("--") << binary(QStringLiteral("initscope-probe")) << probeArgs;
        runInitscope(args, 90000);
        bundlePath = bundle;
        auto reader = openBundle(bundle);
        if (!reader || reader->runs().isEmpty()) {
            ADD_FAILURE() << "no bundle recorded at " << bundle.toStdString();
            return {};
        }
        return diagnose(*reader, reader->runs().first().id);
    }
    QString bundlePath;
    int recordings = 0;
};

const Finding &top(const Diagnosis &d)
{
    static const Finding none;
    return d.findings.isEmpty() ? none : d.findings.first();
}

TEST_F(DiagnosisTest, IncidentNamesRefusedCudartInterfaceCallsBeforeItAndGgmlLine)
{
    const Diagnosis d = record(QStringLiteral("no-export-tables"), {QStringLiteral("--runtime-only")});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("export-table-refused"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    EXPECT_TRUE(f.step.contains(QLatin1String("CUDART_INTERFACE"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("6bd5fb6c"))) << f.step.toStdString();
    EXPECT_TRUE(f.succeededBefore.contains(QStringLiteral("cuDriverGetVersion")));
    EXPECT_TRUE(f.succeededBefore.contains(QStringLiteral("cuInit")));
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported"));
    EXPECT_TRUE(f.consequence.contains(QLatin1String("cudaErrorNotSupported (801"))) << f.consequence.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("6bd5fb6c-5bf4-e74a-8987-d93912fd9df9"))) << f.fix.toStdString();
    // The skip-init probe that was also refused is only harmless.
    bool harmless = false;
    for (const Finding &g : d.findings)
        harmless = harmless || (g.severity == Severity::Harmless && g.step.contains(QLatin1String("SKIP_INIT_PROBE")));
    EXPECT_TRUE(harmless);
}

TEST_F(DiagnosisTest, DemoBundleTopFindingIsTheIncident)
{
    const QString bundle = dir.filePath(QStringLiteral("demo.initscope"));
    runInitscope({QStringLiteral("demo"), QStringLiteral("--no-gui"), QStringLiteral("-o"), bundle}, 90000);
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const Diagnosis d = diagnose(*reader, reader->runs().first().id);
    const Finding &f = top(d);
    EXPECT_TRUE(f.step.contains(QLatin1String("CUDART_INTERFACE"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("cuDriverGetVersion, cuInit"))) << f.step.toStdString();
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported"));
    EXPECT_TRUE(formatTopFinding(d).contains(QLatin1String("CUDART_INTERFACE")));
}

TEST_F(DiagnosisTest, MissingLibraryGivesItsSearchTrail)
{
    const Diagnosis d = record(QString(), {QStringLiteral("--driver-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("library-not-found"));
    EXPECT_TRUE(f.step.contains(QLatin1String("libcuda.so.1")));
    EXPECT_TRUE(f.step.contains(QLatin1String("missing"))) << f.step.toStdString();
    EXPECT_TRUE(f.errorLine.contains(QLatin1String("cannot open shared object file"))) << f.errorLine.toStdString();
}

TEST_F(DiagnosisTest, V1ResolverIsAnAbiMismatchOfCuGetProcAddress)
{
    const Diagnosis d = record(QStringLiteral("v1-resolver"), {QStringLiteral("--runtime-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("abi-mismatch"));
    EXPECT_TRUE(f.title.contains(QLatin1String("cuGetProcAddress at 12000"))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("cuGetProcAddress_v2"))) << f.step.toStdString();
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: CUDA driver version is "
                                          "insufficient for CUDA runtime version"));
}

TEST_F(DiagnosisTest, MissingCuGetProcAddressV2IsFoundFromTheMissingResolverCalls)
{
    const Diagnosis d = record(QStringLiteral("no-getprocaddress-v2"), {QStringLiteral("--runtime-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("resolver-missing"));
    EXPECT_TRUE(f.fix.contains(QLatin1String("Export cuGetProcAddress_v2"))) << f.fix.toStdString();
    EXPECT_TRUE(f.errorLine.contains(QLatin1String("insufficient"))) << f.errorLine.toStdString();
}

TEST_F(DiagnosisTest, OldDriverIsOlderThanTheRuntime)
{
    const Diagnosis d = record(QStringLiteral("old-driver"), {QStringLiteral("--runtime-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("driver-older-than-runtime"));
    EXPECT_TRUE(f.step.contains(QLatin1String("11040"))) << f.step.toStdString();
    EXPECT_TRUE(f.title.contains(QLatin1String("CUDA 13.0"))) << f.title.toStdString();
    EXPECT_TRUE(f.consequence.contains(QLatin1String("cudaErrorInsufficientDriver (35"))) << f.consequence.toStdString();
}

TEST_F(DiagnosisTest, NoDeviceIsCuInitFailingWith100)
{
    const Diagnosis d = record(QStringLiteral("no-device"), {QStringLiteral("--runtime-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("init-failed"));
    EXPECT_TRUE(f.step.contains(QLatin1String("CUDA_ERROR_NO_DEVICE (100"))) << f.step.toStdString();
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected"));
}

// cuInit codes that come from the machine's setup, not from the program: each finding says what
// the code means and what to check, and still names the library that answered.
TEST_F(DiagnosisTest, CuInitSetupErrorsSayWhatToCheckOnTheMachine)
{
    const struct {
        int code;
        const char *name;
        const char *fixMentions;
    } cases[] = {
        {802, "CUDA_ERROR_SYSTEM_NOT_READY", "nvidia-fabricmanager"},
        {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "/proc/driver/nvidia/version"},
        {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "compat"},
        {999, "CUDA_ERROR_UNKNOWN", "nvidia_uvm"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.code);
        const Diagnosis d = record(QStringLiteral("healthy"), {QStringLiteral("--runtime-only")},
                                   {QStringLiteral("--env"), QStringLiteral("INITSCOPE_FAKEGPU_INIT_RESULT=%1").arg(c.code)});
        const Finding &f = top(d);
        EXPECT_EQ(f.id, QStringLiteral("init-failed"));
        EXPECT_EQ(f.severity, Severity::RootCause);
        EXPECT_TRUE(f.title.contains(QLatin1String(c.name))) << f.title.toStdString();
        EXPECT_TRUE(f.step.contains(QLatin1String("Meaning:"))) << f.step.toStdString();
        EXPECT_TRUE(f.fix.contains(QLatin1String(c.fixMentions))) << f.fix.toStdString();
        EXPECT_TRUE(f.fix.contains(QLatin1String("libcuda.so.1"))) << "the shim that answered is named: " << f.fix.toStdString();
        EXPECT_TRUE(f.errorLine.startsWith(QLatin1String("ggml_cuda_init: failed to initialize CUDA: "))) << f.errorLine.toStdString();
    }
}

TEST_F(DiagnosisTest, VisibleDevicesHidingEveryDeviceIsTheEnvironmentNotTheDriver)
{
    const Diagnosis d = record(QStringLiteral("healthy"), {QStringLiteral("--runtime-only")},
                               {QStringLiteral("--env"), QStringLiteral("CUDA_VISIBLE_DEVICES=-1")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("devices-hidden"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    EXPECT_TRUE(f.title.contains(QLatin1String("CUDA_VISIBLE_DEVICES=\"-1\""))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("not a driver or shim fault"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("CUDA_ERROR_NO_DEVICE (100"))) << f.step.toStdString();
    EXPECT_TRUE(f.fix.startsWith(QLatin1String("Unset CUDA_VISIBLE_DEVICES"))) << f.fix.toStdString();
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected"));
    bool envEvidence = false;
    for (const Evidence &e : f.evidence)
        envEvidence = envEvidence || (e.kind == Evidence::Kind::Process && e.text.contains(QLatin1String("CUDA_VISIBLE_DEVICES=-1")));
    EXPECT_TRUE(envEvidence);
    for (const Finding &other : d.findings)
        EXPECT_NE(other.id, QStringLiteral("init-failed")) << "the same cuInit is not blamed on the driver as well";
}

TEST_F(DiagnosisTest, VisibleDevicesNamingTheDeviceIsNoFinding)
{
    const Diagnosis d = record(QStringLiteral("healthy"), {QStringLiteral("--driver-only")},
                               {QStringLiteral("--env"), QStringLiteral("CUDA_VISIBLE_DEVICES=0,7")});
    EXPECT_FALSE(d.hasRootCause());
    for (const Finding &f : d.findings)
        EXPECT_NE(f.id, QStringLiteral("devices-hidden"));
}

// The variable set by a parent for its child (as Ollama does for its runners) names the parent.
TEST_F(DiagnosisTest, VisibleDevicesSetByTheParentNamesTheParent)
{
    const QString bundle = dir.filePath(QStringLiteral("parent.initscope"));
    const QString fake = variantDir(QStringLiteral("healthy"));
    runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                  QStringLiteral("--shim"), fake + QStringLiteral("/libcuda.so.1"),
                  QStringLiteral("--shim"), fake + QStringLiteral("/libnvidia-ml.so.1"), QStringLiteral("--"),
                  QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                  QStringLiteral("CUDA_VISIBLE_DEVICES= \"$0\" --runtime-only; exit $?"), binary(QStringLiteral("initscope-probe"))},
                 90000);
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader && !reader->runs().isEmpty());
    const Diagnosis d = diagnose(*reader, reader->runs().first().id);
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("devices-hidden"));
    EXPECT_TRUE(f.step.contains(QLatin1String("an empty value hides every device"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("set by its parent, pid"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("(sh)")) || f.step.contains(QLatin1String("(dash)")) ||
                f.step.contains(QLatin1String("(bash)")))
        << f.step.toStdString();
}

// Recorded on the H100 with the real driver (resources/samples/README.md).
TEST_F(DiagnosisTest, RealDriverWithAnUnknownUuidInVisibleDevicesIsDevicesHidden)
{
    auto reader = openBundle(QStringLiteral(SAMPLES_DIR "/h100-cvd-bad-uuid.initscope"));
    ASSERT_TRUE(reader && !reader->runs().isEmpty());
    const Diagnosis d = diagnose(*reader, reader->runs().first().id);
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("devices-hidden"));
    EXPECT_TRUE(f.step.contains(QLatin1String("GPU-deadbeef"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("NVML, which ignores the variable, counts 1"))) << f.step.toStdString();
}

TEST_F(DiagnosisTest, NvmlCountingNoDeviceWhileCudaCountsOneIsADisagreement)
{
    const Diagnosis d = record(QStringLiteral("healthy"), {QStringLiteral("--driver-only"), QStringLiteral("--nvml-only")},
                               {QStringLiteral("--env"), QStringLiteral("INITSCOPE_FAKEGPU_NVML_DEVICE_COUNT=0")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("device-count-disagreement"));
    EXPECT_TRUE(f.title.contains(QLatin1String("NVML counts no device, CUDA counts 1"))) << f.title.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("libnvidia-ml.so.1"))) << f.fix.toStdString();
    EXPECT_TRUE(f.errorLine.contains(QLatin1String("nvmlDeviceGetCount_v2 reports 0"))) << f.errorLine.toStdString();
}

TEST_F(DiagnosisTest, NoVmmNamesTheUndefinedSymbolsAndTheLibraryThatNeedsThem)
{
    const Diagnosis d = record(QStringLiteral("no-vmm"), {QStringLiteral("--driver-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("undefined-symbol"));
    EXPECT_TRUE(f.title.startsWith(QLatin1String("undefined symbol cuMem"))) << f.title.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("cuMemCreate"))) << f.fix.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("libggml-cuda.so"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("libcuda.so.1"))) << f.step.toStdString();
}

TEST_F(DiagnosisTest, CrashInInitNamesTheSignalAndTheFunction)
{
    const Diagnosis d = record(QStringLiteral("crash-in-init"), {QStringLiteral("--driver-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("crash"));
    EXPECT_TRUE(f.title.contains(QLatin1String("SIGSEGV"))) << f.title.toStdString();
    EXPECT_TRUE(f.title.contains(QLatin1String("cuInit"))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("libcuda.so.1"))) << f.step.toStdString();
}

TEST_F(DiagnosisTest, HangInInitSaysWhereItWasWaiting)
{
    const Diagnosis d = record(QStringLiteral("hang-in-init"), {QStringLiteral("--driver-only")},
                               {QStringLiteral("--timeout"), QStringLiteral("3")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("hang"));
    EXPECT_TRUE(f.title.contains(QLatin1String("cuInit"))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("timeout"))) << f.step.toStdString();
}

TEST_F(DiagnosisTest, NvmlZeroMemoryDisagreesWithTheDriver)
{
    const Diagnosis d = record(QStringLiteral("nvml-zero-memory"), {QStringLiteral("--driver-only"), QStringLiteral("--nvml-only")});
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("memory-disagreement"));
    EXPECT_TRUE(f.step.contains(QLatin1String("cuDeviceTotalMem"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("17179869184"))) << f.step.toStdString();
}

TEST_F(DiagnosisTest, HealthyRunHasNoRootCause)
{
    const Diagnosis d = record(QStringLiteral("healthy"), {QStringLiteral("--driver-only")});
    EXPECT_FALSE(d.hasRootCause());
}

// A failure no rule names: cuDeviceGetName answers CUDA_ERROR_INVALID_VALUE.
TEST_F(DiagnosisTest, UnnamedFailureGetsAGenericFindingAtTheFirstFailedCall)
{
    const QString path = dir.filePath(QStringLiteral("crafted.initscope"));
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w);
    initscope::Run run;
    run.name = QStringLiteral("crafted");
    run.exitCode = 1;
    run.id = w->addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 4242;
    p.exe = QStringLiteral("/usr/bin/consumer");
    p.endNs = 9000000;
    p.endReason = EndReason::Exited;
    p.exitCode = 1;
    p.recorded = true;
    p.id = w->addProcess(p);
    auto call = [&](qint64 ts, const char *fn, int code, const char *name, const char *message) {
        Event e;
        e.processId = p.id;
        e.tsNs = ts;
        e.durNs = 1000;
        e.kind = QStringLiteral("cuda.call");
        e.name = QString::fromLatin1(fn);
        const QJsonObject result{{QStringLiteral("code"), code}, {QStringLiteral("name"), QString::fromLatin1(name)},
                                 {QStringLiteral("message"), QString::fromLatin1(message)}, {QStringLiteral("ok"), code == 0}};
        const QJsonObject payload{{QStringLiteral("api"), QStringLiteral("driver")}, {QStringLiteral("function"), e.name},
                                  {QStringLiteral("depth"), 0}, {QStringLiteral("ok"), code == 0},
                                  {QStringLiteral("reach"), QStringLiteral("dlsym")}, {QStringLiteral("result"), result},
                                  {QStringLiteral("summary"), QStringLiteral("%1(…) → %2").arg(e.name, QString::fromLatin1(name))}};
        e.payload = QJsonDocument(payload).toJson(QJsonDocument::Compact);
        w->addEvent(e);
    };
    call(1000000, "cuInit", 0, "CUDA_SUCCESS", "no error");
    call(2000000, "cuDriverGetVersion", 0, "CUDA_SUCCESS", "no error");
    call(3000000, "cuDeviceGetName", 1, "CUDA_ERROR_INVALID_VALUE", "invalid argument");
    OutputChunk out;
    out.processId = p.id;
    out.stream = Stream::Stderr;
    out.tsNs = 4000000;
    out.data = "consumer: starting\nconsumer: cuDeviceGetName failed: invalid argument\n";
    w->addOutput(out);
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const Diagnosis d = diagnose(*reader, run.id);
    const Finding &f = top(d);
    EXPECT_EQ(f.id, QStringLiteral("failed-call"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    EXPECT_TRUE(f.step.contains(QLatin1String("cuDeviceGetName returned CUDA_ERROR_INVALID_VALUE (1"))) << f.step.toStdString();
    EXPECT_EQ(f.succeededBefore, (QStringList{QStringLiteral("cuInit"), QStringLiteral("cuDriverGetVersion")}));
    EXPECT_EQ(f.errorLine, QStringLiteral("consumer: cuDeviceGetName failed: invalid argument"));
}

TEST_F(DiagnosisTest, CliExitsZeroWithRootCauseOneWithoutAndJsonHasTheFindings)
{
    record(QStringLiteral("no-device"), {QStringLiteral("--driver-only")});
    const CliRun text = runInitscope({QStringLiteral("diagnose"), bundlePath});
    EXPECT_EQ(text.exitCode, 0) << text.err.constData();
    EXPECT_TRUE(text.out.contains("root cause")) << text.out.constData();
    const CliRun json = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"), bundlePath});
    EXPECT_EQ(json.exitCode, 0);
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    EXPECT_EQ(doc.value(QLatin1String("format")).toString(), QStringLiteral("initscope-diagnosis"));
    const QJsonObject first = doc.value(QLatin1String("runs")).toArray().first().toObject()
                                  .value(QLatin1String("findings")).toArray().first().toObject();
    EXPECT_EQ(first.value(QLatin1String("id")).toString(), QStringLiteral("init-failed"));
    EXPECT_EQ(first.value(QLatin1String("severity")).toString(), QStringLiteral("root cause"));

    record(QStringLiteral("healthy"), {QStringLiteral("--driver-only")});
    EXPECT_EQ(runInitscope({QStringLiteral("diagnose"), bundlePath}).exitCode, 1);
    EXPECT_EQ(runInitscope({QStringLiteral("diagnose"), dir.filePath(QStringLiteral("absent.initscope"))}).exitCode, 66);
}

} // namespace

// A run the user cancelled ends its processes with SIGTERM: that is InitScope's doing, not a
// crash. The same signal in a run nobody cancelled is still a crash.
TEST_F(DiagnosisTest, CancelledRunsSigtermIsNotACrashButAnUncancelledOneIs)
{
    for (const bool cancelled : {true, false}) {
        const QString path = dir.filePath(cancelled ? QStringLiteral("cancelled.initscope") : QStringLiteral("killed.initscope"));
        BundleError error;
        auto w = BundleWriter::create(path, &error);
        ASSERT_TRUE(w);
        initscope::Run run;
        run.name = QStringLiteral("cancel");
        run.cancelled = cancelled;
        run.exitSignal = 15;
        run.id = w->addRun(run);
        Process p;
        p.runId = run.id;
        p.pid = 4343;
        p.exe = QStringLiteral("/usr/bin/consumer");
        p.endNs = 5'000'000;
        p.endReason = EndReason::Signaled;
        p.signal = 15;
        p.recorded = true;
        p.id = w->addProcess(p);
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
        auto reader = openBundle(path);
        ASSERT_TRUE(reader);
        const Diagnosis d = diagnose(*reader, run.id);
        const bool crash = std::any_of(d.findings.begin(), d.findings.end(),
                                       [](const Finding &f) { return f.id == QLatin1String("crash"); });
        EXPECT_EQ(crash, !cancelled) << (cancelled ? "cancelled" : "not cancelled");
        EXPECT_EQ(d.hasRootCause(), !cancelled);
    }
}
