// Machine facts and the device report: fixture trees (a real H100 VM captured with
// tests/device/capture-machine.sh, and the same machine without a GPU, with the GPU on vfio-pci,
// and with two GPUs), fake GPU runs where NVML and CUDA disagree, the real driver's sample
// bundle, and `initscope device`.
#include "recordtestutil.h"

#include "bundle.h"
#include "deviceview.h"
#include "machinefacts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace initscope;

namespace {

// A fixture tree copied to a temporary folder, with the device nodes its .dev-nodes file lists
// (type, mode, owner, major and minor in hex, as `stat -c '%n %F %a %u %g %t %T'` prints them)
// made for real: git cannot hold device nodes.
class MachineTree
{
public:
    explicit MachineTree(const QString &name, const QStringList &skipNodes = {}, int nodeMode = -1)
    {
        m_root = m_dir.filePath(name);
        const int rc = QProcess::execute(QStringLiteral("cp"), {QStringLiteral("-a"), QStringLiteral(FIXTURES "/") + name, m_root});
        EXPECT_EQ(rc, 0);
        QFile nodes(QStringLiteral(FIXTURES "/%1.dev-nodes").arg(name));
        EXPECT_TRUE(nodes.open(QIODevice::ReadOnly));
        QDir().mkpath(m_root + QStringLiteral("/dev"));
        for (const QByteArray &line : nodes.readAll().split('\n')) {
            // "/dev/nvidia0 character special file 666 0 0 c3 0"
            const QList<QByteArray> f = line.split(' ');
            if (f.size() < 6 || skipNodes.contains(QString::fromLatin1(f[0])))
                continue;
            const QByteArray path = QFile::encodeName(m_root) + f[0];
            const int n = int(f.size());
            const mode_t mode = mode_t(nodeMode >= 0 ? nodeMode : f[n - 5].toInt(nullptr, 8));
            if (line.contains("directory")) {
                ::mkdir(path.constData(), mode);
            } else {
                const dev_t dev = makedev(f[n - 2].toUInt(nullptr, 16), f[n - 1].toUInt(nullptr, 16));
                EXPECT_EQ(::mknod(path.constData(), S_IFCHR | mode, dev), 0) << path.constData();
                ::chmod(path.constData(), mode);
            }
        }
    }
    QString root() const { return m_root; }

private:
    QTemporaryDir m_dir;
    QString m_root;
};

const DeviceFinding *finding(const DeviceReport &r, const char *id)
{
    for (const DeviceFinding &f : r.findings)
        if (f.id == QLatin1String(id))
            return &f;
    return nullptr;
}

const DeviceRow *row(const DeviceReport &r, const char *property)
{
    for (const DeviceRow &x : r.rows)
        if (x.property == QLatin1String(property))
            return &x;
    return nullptr;
}

// Records the probe against the fake GPU with extra environment; returns the bundle path.
QString recordFake(const QTemporaryDir &dir, const QString &name, const QStringList &env, const QStringList &probeArgs = {})
{
    const QString bundle = dir.filePath(name + QStringLiteral(".initscope"));
    const QString fake = QStringLiteral(FAKEGPU_DIR "/default");
    QStringList args{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                     QStringLiteral("--shim"), fake + QStringLiteral("/libcuda.so.1"),
                     QStringLiteral("--shim"), fake + QStringLiteral("/libnvidia-ml.so.1")};
    for (const QString &e : env)
        args << QStringLiteral("--env") << e;
    args << QStringLiteral("--") << binary(QStringLiteral("initscope-probe")) << probeArgs;
    runInitscope(args, 90000);
    return bundle;
}

} // namespace

TEST(MachineFacts, RealH100TreeGivesTheGpuItsDriverTheKernelVersionNodesAndHints)
{
    MachineTree tree(QStringLiteral("h100"));
    const MachineFacts m = readMachineFacts(tree.root());
    EXPECT_EQ(m.pci.size(), 7);
    const QList<PciDevice> gpus = m.gpus();
    ASSERT_EQ(gpus.size(), 1);
    const PciDevice &g = gpus.first();
    EXPECT_EQ(g.address, QStringLiteral("0000:00:06.0"));
    EXPECT_EQ(g.vendor, 0x10deu);
    EXPECT_EQ(g.device, 0x2330u);
    EXPECT_EQ(g.className, QStringLiteral("3D controller"));
    EXPECT_EQ(g.driver, QStringLiteral("nvidia"));
    EXPECT_EQ(g.name, QStringLiteral("NVIDIA H100 80GB HBM3"));
    EXPECT_EQ(g.numaNode, -1);
    ASSERT_GE(g.barSizes.size(), 3);
    EXPECT_EQ(g.barSizes[0], 16ull << 20);
    EXPECT_EQ(g.barSizes[2], 128ull << 30);
    EXPECT_EQ(m.nvidiaKernelVersion, QStringLiteral("580.159.04"));
    ASSERT_EQ(m.nvidiaGpus.size(), 1);
    EXPECT_EQ(m.nvidiaGpus.first().uuid, QStringLiteral("GPU-ac35f43f-ee1d-110f-c86c-c613faf3b486"));
    bool ctl = false, uvm = false, gpu0 = false;
    for (const DeviceNode &n : m.nodes) {
        ctl = ctl || (n.path == QLatin1String("/dev/nvidiactl") && n.type == QLatin1String("character device") && n.minor == 255);
        uvm = uvm || (n.path == QLatin1String("/dev/nvidia-uvm") && n.type == QLatin1String("character device"));
        gpu0 = gpu0 || (n.path == QLatin1String("/dev/nvidia0") && n.major == 195 && n.mode == 0666 && n.readable && n.writable);
    }
    EXPECT_TRUE(ctl && uvm && gpu0);
    ASSERT_TRUE(m.modulesKnown);
    QStringList modules;
    for (const KernelModule &k : m.modules)
        modules.append(k.name + QLatin1Char(' ') + k.version);
    EXPECT_TRUE(modules.contains(QStringLiteral("nvidia 580.159.04"))) << modules.join(QLatin1Char(',')).toStdString();
    EXPECT_TRUE(modules.contains(QStringLiteral("nvidia_uvm 580.159.04"))) << modules.join(QLatin1Char(',')).toStdString();
    EXPECT_TRUE(m.hints.dockerenv);
    EXPECT_TRUE(m.hints.hypervisor);
    EXPECT_TRUE(m.unreadable.isEmpty()) << m.unreadable.join(QLatin1Char(';')).toStdString();

    const auto back = machineFactsFromJson(machineFactsToJson(m), nullptr);
    ASSERT_TRUE(back);
    EXPECT_EQ(machineFactsToJson(*back), machineFactsToJson(m));
}

TEST(MachineFacts, MachineWithoutGpuHasNoErrorAndSaysSo)
{
    MachineTree tree(QStringLiteral("no-gpu"));
    const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), nullptr, -1);
    EXPECT_TRUE(r.machine->gpus().isEmpty());
    EXPECT_EQ(row(r, "GPUs")->cells.value(kSourcePci).value, QStringLiteral("0"));
    for (const DeviceFinding &f : r.findings)
        EXPECT_NE(f.severity, QStringLiteral("error")) << f.title.toStdString();
}

TEST(MachineFacts, GpuOnVfioPciIsNotDrivenAndTheFixSaysHowToGiveItBack)
{
    MachineTree tree(QStringLiteral("vfio"));
    const MachineFacts m = readMachineFacts(tree.root());
    ASSERT_EQ(m.gpus().size(), 1);
    EXPECT_EQ(m.gpus().first().driver, QStringLiteral("vfio-pci"));
    EXPECT_EQ(m.gpus().first().iommuGroup, 12);
    const DeviceReport r = buildDeviceReport(m, nullptr, -1);
    const DeviceFinding *f = finding(r, "gpu-not-bound");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->severity, QStringLiteral("error"));
    EXPECT_TRUE(f->detail.contains(QLatin1String("vfio-pci"))) << f->detail.toStdString();
    EXPECT_TRUE(f->fix.contains(QLatin1String("driverctl"))) << f->fix.toStdString();
}

TEST(MachineFacts, TwoGpusAreBothListedByPciAndTheKernelDriver)
{
    MachineTree tree(QStringLiteral("two-gpus"));
    const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), nullptr, -1);
    EXPECT_EQ(row(r, "GPUs")->cells.value(kSourcePci).value, QStringLiteral("2 (2 NVIDIA)"));
    EXPECT_EQ(row(r, "GPUs")->cells.value(kSourceKernel).value, QStringLiteral("2"));
    EXPECT_EQ(row(r, "GPU 1 bus id")->cells.value(kSourcePci).value, QStringLiteral("0000:00:07.0"));
    EXPECT_EQ(row(r, "GPU 1 UUID")->cells.value(kSourceKernel).value, QStringLiteral("GPU-5b0e2c77-90d1-4f3e-a2c4-7d1e0f9a6b21"));
    EXPECT_FALSE(row(r, "GPU 1 bus id")->contradiction);
    EXPECT_TRUE(r.findings.isEmpty()) << r.findings.first().title.toStdString();
}

TEST(MachineFacts, MissingUvmNodeIsAnErrorThatExplainsCuInit999)
{
    MachineTree tree(QStringLiteral("h100"), {QStringLiteral("/dev/nvidia-uvm")});
    const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), nullptr, -1);
    const DeviceFinding *f = finding(r, "device-node-missing");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->title, QStringLiteral("/dev/nvidia-uvm does not exist"));
    EXPECT_TRUE(f->detail.contains(QLatin1String("999"))) << f->detail.toStdString();
}

// Permissions are the reading user's: a child that drops to nobody cannot open 0660 root nodes.
TEST(MachineFacts, NodesTheUserCannotOpenAreDeniedForThatUser)
{
    if (::geteuid() != 0)
        GTEST_FAIL() << "needs root to make device nodes (CI and the README's commands run as root)";
    MachineTree tree(QStringLiteral("h100"), {}, 0660);
    // The temporary folder is private to root; nobody must be able to walk down to the nodes.
    ::chmod(QFile::encodeName(QFileInfo(tree.root()).absolutePath()).constData(), 0755);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(3);
        const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), nullptr, -1);
        QByteArray ids;
        for (const DeviceFinding &f : r.findings)
            ids += f.id.toUtf8() + ' ' + f.title.toUtf8() + '\n';
        const ssize_t w = ::write(fds[1], ids.constData(), size_t(ids.size()));
        ::_exit(w == ids.size() ? 0 : 4);
    }
    ::close(fds[1]);
    QByteArray text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        text.append(buf, n);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_TRUE(text.contains("device-node-denied /dev/nvidiactl is not readable and writable for uid 65534")) << text.toStdString();
}

TEST(DeviceReport, FakeRunWhereNvmlCountsNoDeviceContradictsCudaWithEvidenceEvents)
{
    QTemporaryDir dir;
    const QString bundle = recordFake(dir, QStringLiteral("nvml0"), {QStringLiteral("INITSCOPE_FAKEGPU_NVML_DEVICE_COUNT=0")},
                                      {QStringLiteral("--driver-only"), QStringLiteral("--nvml-only")});
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const qint64 run = reader->runs().first().id;
    const DeviceReport r = buildDeviceReport(storedMachineFacts(*reader, run), reader.get(), run);
    const DeviceRow *gpus = row(r, "GPUs");
    ASSERT_TRUE(gpus);
    EXPECT_TRUE(gpus->contradiction);
    EXPECT_EQ(gpus->cells.value(kSourceDriverApi).value, QStringLiteral("1"));
    EXPECT_EQ(gpus->cells.value(kSourceNvml).value, QStringLiteral("0"));
    EXPECT_GE(gpus->cells.value(kSourceNvml).eventId, 0) << "each library's cell links to its call event";
    const DeviceFinding *f = finding(r, "count-mismatch");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->title, QStringLiteral("NVML counts 0 GPU(s), the CUDA driver API 1"));
    EXPECT_TRUE(r.machine.has_value()) << "record keeps the machine's facts in the bundle";
}

TEST(DeviceReport, KernelModuleOfAnotherReleaseThanNvmlIsAMismatch)
{
    QTemporaryDir dir;
    const QString bundle = recordFake(dir, QStringLiteral("healthy"), {}, {QStringLiteral("--nvml-only")});
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    MachineTree tree(QStringLiteral("h100"));
    const qint64 run = reader->runs().first().id;
    const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), reader.get(), run);
    const DeviceFinding *f = finding(r, "kernel-user-mismatch");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->title, QStringLiteral("kernel module 580.159.04, user-space driver 580.0"));
    EXPECT_TRUE(f->detail.contains(QLatin1String("803"))) << f->detail.toStdString();
}

TEST(DeviceReport, VisibleDevicesHidingEveryGpuIsAnError)
{
    QTemporaryDir dir;
    const QString bundle = recordFake(dir, QStringLiteral("cvd"), {QStringLiteral("CUDA_VISIBLE_DEVICES=-1")}, {QStringLiteral("--driver-only")});
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const qint64 run = reader->runs().first().id;
    const DeviceReport r = buildDeviceReport(std::nullopt, reader.get(), run);
    const DeviceFinding *f = finding(r, "visible-devices");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->severity, QStringLiteral("error"));
    EXPECT_EQ(f->title, QStringLiteral("CUDA_VISIBLE_DEVICES=\"-1\" hides every GPU from CUDA"));
}

// The real driver's bundle (recorded on the H100) against the same machine's captured tree:
// every source agrees.
TEST(DeviceReport, RealDriverRunAndItsMachineAgreeOnBusIdNameAndMemory)
{
    auto reader = openBundle(QStringLiteral(SAMPLES_DIR "/h100-probe.initscope"));
    ASSERT_TRUE(reader);
    MachineTree tree(QStringLiteral("h100"));
    const qint64 run = reader->runs().first().id;
    const DeviceReport r = buildDeviceReport(readMachineFacts(tree.root()), reader.get(), run);
    const DeviceRow *bus = row(r, "GPU 0 bus id");
    ASSERT_TRUE(bus);
    EXPECT_EQ(bus->cells.value(kSourcePci).value, QStringLiteral("0000:00:06.0"));
    EXPECT_EQ(bus->cells.value(kSourceDriverApi).value, QStringLiteral("0000:00:06.0"));
    EXPECT_FALSE(bus->contradiction);
    const DeviceRow *memory = row(r, "GPU 0 memory");
    ASSERT_TRUE(memory);
    EXPECT_EQ(memory->cells.value(kSourceDriverApi).value, QStringLiteral("81079 MiB"));
    EXPECT_EQ(memory->cells.value(kSourceNvml).value, QStringLiteral("81559 MiB"));
    EXPECT_FALSE(memory->contradiction) << "NVML counts the memory the driver reserves";
    EXPECT_FALSE(row(r, "GPU 0 name")->contradiction);
    EXPECT_EQ(row(r, "driver version")->cells.value(kSourceNvml).value, QStringLiteral("580.159.04"));
    for (const DeviceFinding &f : r.findings)
        EXPECT_NE(f.severity, QStringLiteral("error")) << f.title.toStdString() << ": " << f.detail.toStdString();
    EXPECT_EQ(r.sources, (QStringList{kSourceMachine, kSourcePci, kSourceKernel, kSourceDriverApi, kSourceNvml, kSourceRuntime}));
    EXPECT_EQ(row(r, "kernel modules")->cells.value(kSourceMachine).value, QStringLiteral("nvidia_uvm 580.159.04, nvidia 580.159.04"));
    EXPECT_EQ(row(r, "/dev/nvidiactl")->cells.value(kSourceMachine).value, QStringLiteral("character device 195:255 mode 0666, read-write"));
}

// Ollama's "total_vram = 0 B" beside NVML's 16 GiB: the incident's contradiction.
TEST(DeviceReport, OllamasZeroVramWhileNvmlReportedMemoryContradicts)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("ollama.initscope"));
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w);
    initscope::Run run;
    run.name = QStringLiteral("ollama serve");
    run.command = {QStringLiteral("ollama"), QStringLiteral("serve")};
    run.id = w->addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 100;
    p.exe = QStringLiteral("/usr/bin/ollama");
    p.argv = {QStringLiteral("ollama"), QStringLiteral("serve")};
    p.endReason = EndReason::Exited;
    p.id = w->addProcess(p);
    Event e;
    e.runId = run.id;
    e.processId = p.id;
    e.kind = QStringLiteral("nvml.call");
    e.name = QStringLiteral("nvmlDeviceGetMemoryInfo");
    e.payload = R"({"api":"nvml","function":"nvmlDeviceGetMemoryInfo","ok":true,"args":{"device":"0x1"},"out":{"memory":{"total":17179869184,"free":16106127360,"used":1073741824}}})";
    const qint64 eventId = w->addEvent(e);
    OutputChunk chunk;
    chunk.processId = p.id;
    chunk.stream = Stream::Stderr;
    chunk.data = "time=2025-06-01T10:00:00.000Z level=INFO source=types.go:130 msg=\"inference compute\" id=cpu library=cpu "
                  "compute=\"\" name=cpu description=cpu libdirs=ollama driver=\"\" pci_id=\"\" type=\"\" total=\"31.2 GiB\" "
                  "available=\"28.0 GiB\"\ntime=2025-06-01T10:00:00.001Z level=INFO source=routes.go:1 msg=\"entering low vram mode\" "
                  "\"total vram\"=\"0 B\" threshold=\"20.0 GiB\"\n";
    w->addOutput(chunk);
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const DeviceReport r = buildDeviceReport(std::nullopt, reader.get(), run.id);
    const DeviceFinding *f = finding(r, "conclusion-contradicts");
    ASSERT_TRUE(f) << formatDeviceReportText(r).toStdString();
    EXPECT_EQ(f->title, QStringLiteral("Ollama concluded total_vram=\"0 B\" while the libraries reported 16384 MiB of device memory"));
    EXPECT_EQ(row(r, "total VRAM")->cells.value(kSourceOllama).value, QStringLiteral("0 B"));
    EXPECT_EQ(row(r, "GPU 0 memory")->cells.value(kSourceNvml).eventId, eventId);
}

TEST(DeviceCli, RootTreeExitCodesAndJson)
{
    MachineTree good(QStringLiteral("h100"));
    const CliRun ok = runInitscope({QStringLiteral("device"), QStringLiteral("--root"), good.root(), QStringLiteral("--json")});
    EXPECT_EQ(ok.exitCode, 0) << ok.err.toStdString();
    const QJsonObject doc = QJsonDocument::fromJson(ok.out).object();
    EXPECT_EQ(doc.value(QLatin1String("format")).toString(), QStringLiteral("initscope-device"));
    EXPECT_EQ(doc.value(QLatin1String("machine")).toObject().value(QLatin1String("nvidiaKernelVersion")).toString(),
              QStringLiteral("580.159.04"));
    MachineTree vfio(QStringLiteral("vfio"));
    const CliRun bad = runInitscope({QStringLiteral("device"), QStringLiteral("--root"), vfio.root()});
    EXPECT_EQ(bad.exitCode, 1);
    EXPECT_TRUE(bad.out.contains("[error] PCI 0000:00:06.0 (NVIDIA GPU) is not driven by the NVIDIA driver"))
        << bad.out.toStdString();
    EXPECT_EQ(runInitscope({QStringLiteral("device"), QStringLiteral("--root"), QStringLiteral("/nonexistent-root")}).exitCode, 66);
    EXPECT_EQ(runInitscope({QStringLiteral("device"), QStringLiteral("--frobnicate")}).exitCode, 64);
    EXPECT_EQ(runInitscope({QStringLiteral("device"), QStringLiteral("--run"), QStringLiteral("1")}).exitCode, 64);
    const CliRun notBundle = runInitscope({QStringLiteral("device"), QStringLiteral("--bundle"), QStringLiteral(SAMPLES_DIR "/README.md")});
    EXPECT_EQ(notBundle.exitCode, 65);
    EXPECT_EQ(notBundle.err.count('\n'), 1) << notBundle.err.toStdString();
}

// Recorded on the H100 with the real driver, with the machine's facts kept in the bundle.
TEST(DeviceReport, RealDriverBundleWithItsOwnMachineFactsHasEverySourceAgreeing)
{
    auto reader = openBundle(QStringLiteral(REFERENCE_DIR "/probe-h100-580.159.04.initscope"));
    ASSERT_TRUE(reader);
    const qint64 run = reader->runs().first().id;
    const auto machine = storedMachineFacts(*reader, run);
    ASSERT_TRUE(machine);
    EXPECT_EQ(machine->nvidiaKernelVersion, QStringLiteral("580.159.04"));
    const DeviceReport r = buildDeviceReport(machine, reader.get(), run);
    EXPECT_TRUE(r.findings.isEmpty()) << formatDeviceReportText(r).toStdString();
    for (const DeviceRow &x : r.rows)
        EXPECT_FALSE(x.contradiction) << x.property.toStdString();
    const DeviceRow *uuid = row(r, "GPU 0 UUID");
    ASSERT_TRUE(uuid);
    EXPECT_EQ(uuid->cells.value(kSourceKernel).value, uuid->cells.value(kSourceDriverApi).value);
    EXPECT_EQ(row(r, "/dev/nvidia-uvm")->cells.value(kSourceMachine).value, QStringLiteral("character device 238:0 mode 0666, read-write"));
    const CliRun cli = runInitscope({QStringLiteral("device"), QStringLiteral("--bundle"), QStringLiteral(REFERENCE_DIR "/probe-h100-580.159.04.initscope")});
    EXPECT_EQ(cli.exitCode, 0);
    EXPECT_TRUE(cli.out.contains("No contradiction between the sources.")) << cli.out.toStdString();
}
