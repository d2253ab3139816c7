// Device views and their cross-checks (docs/device.md).
#include "deviceview.h"

#include "bundle.h"
#include "eventscan.h"
#include "ollamalog.h"
#include "report.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace initscope {

namespace {

// "00000000:00:06.0" (NVML) and "0000:00:06.0" (CUDA, sysfs) are the same place.
QString normalBusId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^(?:([0-9a-fA-F]+):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])$"));
    const QRegularExpressionMatch m = re.match(id.trimmed());
    if (!m.hasMatch())
        return id.trimmed().toLower();
    bool ok = false;
    return QStringLiteral("%1:%2:%3.%4")
        .arg(m.captured(1).isEmpty() ? 0 : m.captured(1).toUInt(&ok, 16), 4, 16, QLatin1Char('0'))
        .arg(m.captured(2).toUInt(&ok, 16), 2, 16, QLatin1Char('0'))
        .arg(m.captured(3).toUInt(&ok, 16), 2, 16, QLatin1Char('0'))
        .arg(m.captured(4));
}

QString mib(qint64 bytes)
{
    return QStringLiteral("%1 MiB").arg(bytes >> 20);
}

// Bytes from "79.1 GiB", "81559 MiB", "85017493504", "0 B".
double bytesOf(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*([0-9.]+)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?\\s*$"));
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return -1;
    const double v = m.captured(1).toDouble();
    const QString u = m.captured(2);
    const double k = u.startsWith(QLatin1Char('K')) ? 1024.0
                     : u.startsWith(QLatin1Char('M')) ? 1024.0 * 1024
                     : u.startsWith(QLatin1Char('G')) ? 1024.0 * 1024 * 1024
                     : u.startsWith(QLatin1Char('T')) ? 1024.0 * 1024 * 1024 * 1024
                                                      : 1.0;
    return v * k;
}

struct Rows {
    QList<DeviceRow> rows;
    DeviceRow &row(const QString &property)
    {
        for (DeviceRow &r : rows)
            if (r.property == property)
                return r;
        rows.append(DeviceRow{property, {}, false});
        return rows.last();
    }
    void set(const QString &property, const QString &source, const QString &value, qint64 eventId = -1,
             qint64 processId = -1)
    {
        DeviceRow &r = row(property);
        if (!r.cells.contains(source) && !value.isEmpty())
            r.cells.insert(source, DeviceCell{value, eventId, processId});
    }
};

QString gpuProperty(int index, const char *what)
{
    return QStringLiteral("GPU %1 %2").arg(index).arg(QLatin1String(what));
}

void addMachine(Rows &rows, const MachineFacts &m)
{
    const QList<PciDevice> gpus = m.gpus();
    int nvidia = 0;
    for (const PciDevice &p : gpus)
        nvidia += p.vendor == 0x10de ? 1 : 0;
    rows.set(QStringLiteral("GPUs"), kSourcePci,
             gpus.isEmpty() ? QStringLiteral("0") : QStringLiteral("%1 (%2 NVIDIA)").arg(gpus.size()).arg(nvidia));
    if (!m.nvidiaKernelVersion.isEmpty() || !m.nvidiaGpus.isEmpty())
        rows.set(QStringLiteral("GPUs"), kSourceKernel, QString::number(m.nvidiaGpus.size()));
    rows.set(QStringLiteral("driver version"), kSourceKernel, m.nvidiaKernelVersion);
    // The machine's own facts: where it runs, its GPU modules, and each device node.
    rows.set(QStringLiteral("runs in"), kSourceMachine,
             m.hints.words().isEmpty() ? QStringLiteral("bare metal or unknown") : m.hints.words().join(QStringLiteral(", ")));
    QStringList modules;
    for (const KernelModule &k : m.modules)
        modules.append(k.version.isEmpty() ? k.name : QStringLiteral("%1 %2").arg(k.name, k.version));
    rows.set(QStringLiteral("kernel modules"), kSourceMachine,
             !m.modulesKnown ? QStringLiteral("(not readable)") : modules.isEmpty() ? QStringLiteral("(no GPU module)") : modules.join(QStringLiteral(", ")));
    for (const DeviceNode &n : m.nodes)
        rows.set(n.path, kSourceMachine,
                 n.type == QLatin1String("character device")
                     ? QStringLiteral("%1 %2:%3 mode %4%5")
                           .arg(n.type).arg(n.major).arg(n.minor).arg(n.mode, 4, 8, QLatin1Char('0'))
                           .arg(n.readable && n.writable ? QStringLiteral(", read-write") : QStringLiteral(", NOT read-write for this user"))
                     : n.type);
    int i = 0;
    for (const PciDevice &p : gpus) {
        const QString name = !p.name.isEmpty() ? p.name
                                               : QStringLiteral("%1 %2 [%3:%4]")
                                                     .arg(p.vendorName.isEmpty() ? QStringLiteral("vendor") : p.vendorName, p.className)
                                                     .arg(p.vendor, 4, 16, QLatin1Char('0'))
                                                     .arg(p.device, 4, 16, QLatin1Char('0'));
        rows.set(gpuProperty(i, "name"), kSourcePci, name);
        rows.set(gpuProperty(i, "bus id"), kSourcePci, normalBusId(p.address));
        rows.set(gpuProperty(i, "kernel driver"), kSourcePci, p.driver.isEmpty() ? QStringLiteral("(none bound)") : p.driver);
        ++i;
    }
    i = 0;
    for (const NvidiaProcGpu &g : m.nvidiaGpus) {
        rows.set(gpuProperty(i, "name"), kSourceKernel, g.model);
        rows.set(gpuProperty(i, "bus id"), kSourceKernel, normalBusId(g.busId));
        rows.set(gpuProperty(i, "UUID"), kSourceKernel, g.uuid);
        ++i;
    }
}

struct RunViews {
    qint64 cudaCount = -1, nvmlCount = -1, runtimeCount = -1;
    qint64 cudaMemory0 = -1, nvmlMemory0 = -1;
    qint64 cudaCountEvent = -1, nvmlCountEvent = -1;
    QString nvmlDriver;
    qint64 nvmlDriverEvent = -1;
    QList<QPair<qint64, QString>> cvd; // process id, CUDA_VISIBLE_DEVICES value
    OllamaLog ollama;
    bool ollamaSeen = false;
    qint64 ollamaProcess = -1;
};

// The calls that tell about devices, read without the rest of a long run: each function's first
// kDeviceCallsPerFunction calls of a process (a poller repeats the same answers).
constexpr int kDeviceCallsPerFunction = 256;

QList<Event> deviceCalls(const BundleReader &reader, const EventScanner *scanner, qint64 runId, qint64 processId)
{
    if (!scanner) {
        QList<Event> calls;
        for (const Event &e : reader.events(runId, processId))
            if (isCallKind(e.kind))
                calls.append(e);
        return calls;
    }
    QList<Event> calls;
    QHash<qint32, int> perFunction;
    EventScanQuery query;
    query.runId = runId;
    query.processId = processId;
    query.kinds = {QStringLiteral("cuda.call"), QStringLiteral("cudart.call"), QStringLiteral("nvml.call")};
    query.namePrefixes = {QStringLiteral("cuDeviceGet"), QStringLiteral("cuDriverGetVersion"),
                          QStringLiteral("cuDeviceTotalMem"), QStringLiteral("nvmlDevice"),
                          QStringLiteral("nvmlSystemGetDriverVersion"), QStringLiteral("cudaGetDeviceCount"),
                          QStringLiteral("cudaRuntimeGetVersion")};
    query.withPayload = true;
    scanner->scan(query, [&](const EventRow &row, QByteArrayView payload) {
        if (row.status == CallStatus::Ok && perFunction[row.nameId]++ < kDeviceCallsPerFunction)
            calls.append(scanner->toEvent(row, payload.toByteArray(), runId));
        return true;
    });
    return calls;
}

void addRun(Rows &rows, const BundleReader &reader, qint64 runId, RunViews &v)
{
    QString scanError;
    const std::unique_ptr<EventScanner> scanner = EventScanner::open(reader.path(), &scanError);
    for (const Process &p : reader.processes(runId)) {
        for (const QString &e : p.env)
            if (e.startsWith(QLatin1String("CUDA_VISIBLE_DEVICES=")))
                v.cvd.append({p.id, e.mid(21)});
        // NVML handles are pointers: map each to its index or bus id as the calls reveal them.
        QHash<QString, int> nvmlIndex;
        for (const Event &e : deviceCalls(reader, scanner.get(), runId, p.id)) {
            const QJsonObject pl = QJsonDocument::fromJson(e.payload).object();
            if (!pl.value(QLatin1String("ok")).toBool())
                continue;
            const QJsonObject args = pl.value(QLatin1String("args")).toObject();
            const QJsonObject out = pl.value(QLatin1String("out")).toObject();
            const QString fn = e.name;
            const int dev = args.value(QLatin1String("dev")).toInt(-1);
            auto setDriver = [&](const char *what, const QString &value) {
                if (dev >= 0)
                    rows.set(gpuProperty(dev, what), kSourceDriverApi, value, e.id, p.id);
            };
            if (fn.startsWith(QLatin1String("cuDeviceGetCount")) && v.cudaCount < 0) {
                v.cudaCount = out.value(QLatin1String("count")).toInteger(-1);
                v.cudaCountEvent = e.id;
                rows.set(QStringLiteral("GPUs"), kSourceDriverApi, QString::number(v.cudaCount), e.id, p.id);
            } else if (fn == QLatin1String("cuDriverGetVersion")) {
                const qint64 ver = out.value(QLatin1String("driverVersion")).toInteger();
                rows.set(QStringLiteral("CUDA version (driver)"), kSourceDriverApi,
                         QStringLiteral("%1.%2 (%3)").arg(ver / 1000).arg((ver % 1000) / 10).arg(ver), e.id, p.id);
            } else if (fn == QLatin1String("cuDeviceGetName")) {
                setDriver("name", out.value(QLatin1String("name")).toString());
            } else if (fn == QLatin1String("cuDeviceGetPCIBusId")) {
                setDriver("bus id", normalBusId(out.value(QLatin1String("pciBusId")).toString()));
            } else if (fn.startsWith(QLatin1String("cuDeviceTotalMem"))) {
                const qint64 bytes = out.value(QLatin1String("bytes")).toInteger(-1);
                if (bytes >= 0)
                    setDriver("memory", mib(bytes));
                if (dev == 0 && v.cudaMemory0 < 0)
                    v.cudaMemory0 = bytes;
            } else if (fn.startsWith(QLatin1String("cuDeviceGetUuid"))) {
                setDriver("UUID", QStringLiteral("GPU-") + out.value(QLatin1String("uuid")).toString());
            } else if (fn == QLatin1String("cuDeviceGetAttribute")) {
                const QString attr = args.value(QLatin1String("attrib")).toString();
                const qint64 value = out.value(QLatin1String("pi")).toInteger();
                if (attr.endsWith(QLatin1String("COMPUTE_CAPABILITY_MAJOR")) && dev >= 0) {
                    DeviceRow &r = rows.row(gpuProperty(dev, "compute capability"));
                    const QString minor = r.cells.value(kSourceDriverApi).value.section(QLatin1Char('.'), 1);
                    r.cells.insert(kSourceDriverApi, DeviceCell{QStringLiteral("%1.%2").arg(value).arg(minor.isEmpty() ? QStringLiteral("?") : minor), e.id, p.id});
                } else if (attr.endsWith(QLatin1String("COMPUTE_CAPABILITY_MINOR")) && dev >= 0) {
                    DeviceRow &r = rows.row(gpuProperty(dev, "compute capability"));
                    const QString major = r.cells.value(kSourceDriverApi).value.section(QLatin1Char('.'), 0, 0);
                    r.cells.insert(kSourceDriverApi, DeviceCell{QStringLiteral("%1.%2").arg(major.isEmpty() ? QStringLiteral("?") : major).arg(value), e.id, p.id});
                }
            } else if (fn.startsWith(QLatin1String("nvmlDeviceGetCount")) && v.nvmlCount < 0) {
                v.nvmlCount = out.value(QLatin1String("deviceCount")).toInteger(-1);
                v.nvmlCountEvent = e.id;
                rows.set(QStringLiteral("GPUs"), kSourceNvml, QString::number(v.nvmlCount), e.id, p.id);
            } else if (fn == QLatin1String("nvmlSystemGetDriverVersion")) {
                v.nvmlDriver = out.value(QLatin1String("version")).toString();
                v.nvmlDriverEvent = e.id;
                rows.set(QStringLiteral("driver version"), kSourceNvml, v.nvmlDriver, e.id, p.id);
            } else if (fn.startsWith(QLatin1String("nvmlDeviceGetHandleByIndex"))) {
                nvmlIndex.insert(out.value(QLatin1String("device")).toString(), args.value(QLatin1String("index")).toInt());
            } else if (fn.startsWith(QLatin1String("nvmlDeviceGetHandleByPciBusId"))) {
                // The bus id argument is a pointer; the handle's index is its order of discovery.
                const QString handle = out.value(QLatin1String("device")).toString();
                if (!nvmlIndex.contains(handle))
                    nvmlIndex.insert(handle, int(nvmlIndex.size()));
            } else if (fn.startsWith(QLatin1String("nvmlDevice"))) {
                const QString handle = args.value(QLatin1String("device")).toString();
                const int index = nvmlIndex.value(handle, 0);
                if (fn == QLatin1String("nvmlDeviceGetName"))
                    rows.set(gpuProperty(index, "name"), kSourceNvml, out.value(QLatin1String("name")).toString(), e.id, p.id);
                else if (fn.startsWith(QLatin1String("nvmlDeviceGetUUID")))
                    rows.set(gpuProperty(index, "UUID"), kSourceNvml, out.value(QLatin1String("uuid")).toString(), e.id, p.id);
                else if (fn.startsWith(QLatin1String("nvmlDeviceGetPciInfo"))) {
                    const QString bus = out.value(QLatin1String("pci")).toObject().value(QLatin1String("busId")).toString();
                    rows.set(gpuProperty(index, "bus id"), kSourceNvml, normalBusId(bus), e.id, p.id);
                } else if (fn.startsWith(QLatin1String("nvmlDeviceGetMemoryInfo"))) {
                    const qint64 total = out.value(QLatin1String("memory")).toObject().value(QLatin1String("total")).toInteger(-1);
                    if (total >= 0) // a call whose record holds no total says nothing
                        rows.set(gpuProperty(index, "memory"), kSourceNvml, mib(total), e.id, p.id);
                    if (index == 0 && v.nvmlMemory0 < 0)
                        v.nvmlMemory0 = total;
                }
            } else if (fn == QLatin1String("cudaGetDeviceCount") && v.runtimeCount < 0) {
                v.runtimeCount = out.value(QLatin1String("count")).toInteger(-1);
                rows.set(QStringLiteral("GPUs"), kSourceRuntime, QString::number(v.runtimeCount), e.id, p.id);
            } else if (fn == QLatin1String("cudaRuntimeGetVersion")) {
                const qint64 ver = out.value(QLatin1String("runtimeVersion")).toInteger();
                rows.set(QStringLiteral("CUDA version (runtime)"), kSourceRuntime,
                         QStringLiteral("%1.%2 (%3)").arg(ver / 1000).arg((ver % 1000) / 10).arg(ver), e.id, p.id);
            }
        }
        // What an Ollama server concluded, from its own output.
        const bool ollama = QFileInfo(p.exe).fileName() == QLatin1String("ollama") || p.argv.contains(QStringLiteral("serve")) ||
                            reader.runs().value(0).command.value(0) == QLatin1String("imported-log");
        if (ollama && !v.ollamaSeen) {
            QByteArray text;
            for (const OutputChunk &c : reader.output(p.id))
                text += c.data;
            const OllamaLog log = parseOllamaLog(text);
            if (log.format != OllamaFormat::None && (!log.gpus.isEmpty() || !log.totalVram.isEmpty() || log.libraryCpu)) {
                v.ollama = log;
                v.ollamaSeen = true;
                v.ollamaProcess = p.id;
                rows.set(QStringLiteral("GPUs"), kSourceOllama,
                         log.libraryCpu && log.gpus.isEmpty() ? QStringLiteral("0 (library=cpu)") : QString::number(log.gpus.size()), -1, p.id);
                rows.set(QStringLiteral("total VRAM"), kSourceOllama, log.totalVram, -1, p.id);
                for (int i = 0; i < log.gpus.size(); ++i) {
                    rows.set(gpuProperty(i, "name"), kSourceOllama, log.gpus[i].name, -1, p.id);
                    rows.set(gpuProperty(i, "memory"), kSourceOllama, log.gpus[i].total, -1, p.id);
                    rows.set(gpuProperty(i, "compute capability"), kSourceOllama, log.gpus[i].compute, -1, p.id);
                    rows.set(QStringLiteral("driver version"), kSourceOllama, log.gpus[i].driver, -1, p.id);
                }
            }
        }
    }
}

// Whether two cells of a row say different things, by the row's kind of value.
bool differs(const QString &property, const QString &a, const QString &b)
{
    if (property.endsWith(QLatin1String("memory"))) {
        const double x = bytesOf(a), y = bytesOf(b);
        if (x < 0 || y < 0)
            return false;
        return std::fabs(x - y) > 0.1 * std::max(x, y) + (1 << 20);
    }
    if (property == QLatin1String("GPUs"))
        return a.section(QLatin1Char(' '), 0, 0) != b.section(QLatin1Char(' '), 0, 0);
    if (property.endsWith(QLatin1String("name")))
        return !a.contains(b, Qt::CaseInsensitive) && !b.contains(a, Qt::CaseInsensitive);
    if (property.endsWith(QLatin1String("kernel driver")) || property.startsWith(QLatin1String("CUDA version")))
        return false;
    return a.compare(b, Qt::CaseInsensitive) != 0;
}

} // namespace

std::optional<MachineFacts> storedMachineFacts(const BundleReader &reader, qint64 runId)
{
    for (const Artifact &a : reader.artifacts(runId))
        if (a.kind == QLatin1String("machine-facts"))
            return machineFactsFromJson(QJsonDocument::fromJson(a.content).object(), nullptr);
    return std::nullopt;
}

DeviceReport buildDeviceReport(const std::optional<MachineFacts> &machine, const BundleReader *reader, qint64 runId)
{
    DeviceReport r;
    r.machine = machine;
    r.runId = runId;
    Rows rows;
    if (machine)
        addMachine(rows, *machine);
    RunViews v;
    if (reader) {
        r.bundlePath = reader->path();
        addRun(rows, *reader, runId, v);
    }
    const QStringList order{kSourceMachine, kSourcePci, kSourceKernel, kSourceDriverApi, kSourceNvml, kSourceRuntime, kSourceOllama};
    for (const QString &s : order)
        for (const DeviceRow &row : std::as_const(rows.rows))
            if (row.cells.contains(s) && !r.sources.contains(s)) {
                r.sources.append(s);
                break;
            }
    std::sort(r.sources.begin(), r.sources.end(), [&](const QString &a, const QString &b) { return order.indexOf(a) < order.indexOf(b); });

    // Contradictions: any two sources of a row that disagree. Ollama's "0" against a library's
    // count is a conclusion, checked below with its own words.
    for (DeviceRow &row : rows.rows) {
        const QStringList sources = row.cells.keys();
        for (int i = 0; i < sources.size() && !row.contradiction; ++i)
            for (int j = i + 1; j < sources.size() && !row.contradiction; ++j)
                row.contradiction = differs(row.property, row.cells[sources[i]].value, row.cells[sources[j]].value);
    }
    auto add = [&](const QString &id, const QString &severity, const QString &title, const QString &detail,
                   const QString &fix, const QList<qint64> &events = {}) {
        r.findings.append({id, severity, title, detail, fix, events});
    };
    const bool cvdSet = !v.cvd.isEmpty();

    if (machine) {
        for (const PciDevice &p : machine->gpus()) {
            if (p.vendor != 0x10de || p.driver == QLatin1String("nvidia"))
                continue;
            const QString why = p.driver == QLatin1String("vfio-pci")
                                    ? QStringLiteral("it is bound to vfio-pci: handed to a virtual machine, unusable on this host")
                                : p.driver == QLatin1String("nouveau")
                                    ? QStringLiteral("the open-source nouveau driver holds it: CUDA needs the NVIDIA driver")
                                : p.driver.isEmpty() ? QStringLiteral("no kernel driver is bound to it")
                                                     : QStringLiteral("it is bound to %1").arg(p.driver);
            add(QStringLiteral("gpu-not-bound"), QStringLiteral("error"),
                QStringLiteral("PCI %1 (%2) is not driven by the NVIDIA driver").arg(p.address, p.name.isEmpty() ? QStringLiteral("NVIDIA GPU") : p.name),
                QStringLiteral("The device is on the bus, but %1, so neither CUDA nor NVML can see it.").arg(why),
                p.driver == QLatin1String("vfio-pci")
                    ? QStringLiteral("Unbind it from vfio-pci (driverctl unset-override %1, or remove it from the vfio-pci.ids kernel parameter) and load nvidia.").arg(p.address)
                    : QStringLiteral("Install and load the NVIDIA kernel driver (modprobe nvidia; blacklist nouveau)."));
        }
        int boundToNvidia = 0;
        for (const PciDevice &p : machine->gpus())
            boundToNvidia += (p.vendor == 0x10de && p.driver == QLatin1String("nvidia")) ? 1 : 0;
        const qint64 libraryCount = v.nvmlCount >= 0 ? v.nvmlCount : v.cudaCount;
        if (libraryCount >= 0 && boundToNvidia > libraryCount && !cvdSet)
            add(QStringLiteral("count-mismatch"), QStringLiteral("error"),
                QStringLiteral("PCI shows %1 GPU(s) bound to nvidia, the run's libraries saw %2").arg(boundToNvidia).arg(libraryCount),
                QStringLiteral("The kernel driver holds more GPUs than %1 reported during the run.")
                    .arg(v.nvmlCount >= 0 ? QStringLiteral("NVML") : QStringLiteral("the CUDA driver API")),
                QStringLiteral("Check the missing GPU's state (nvidia-smi -q, dmesg for Xid errors, GPU Excluded in /proc/driver/nvidia/gpus/*/information)."),
                {v.nvmlCount >= 0 ? v.nvmlCountEvent : v.cudaCountEvent});
        // A GPU the libraries reported at a bus id where the machine has no device: a shim
        // presents it (or the facts are of another machine than the run).
        QStringList onBus;
        for (const PciDevice &p : machine->gpus())
            onBus.append(normalBusId(p.address));
        for (const DeviceRow &row : std::as_const(rows.rows)) {
            if (!row.property.endsWith(QLatin1String("bus id")))
                continue;
            for (const QString &source : {kSourceDriverApi, kSourceNvml}) {
                const DeviceCell cell = row.cells.value(source);
                if (cell.value.isEmpty() || onBus.contains(cell.value))
                    continue;
                add(QStringLiteral("not-on-pci"), QStringLiteral("info"),
                    QStringLiteral("%1 reported a GPU at %2, where the machine has no GPU on the PCI bus").arg(source, cell.value),
                    QStringLiteral("No display controller on the PCI bus backs it: a shim or forwarding library presents it, or the "
                                   "run and the machine facts come from different machines."),
                    QString(), {cell.eventId});
                break;
            }
        }
        const bool expectsNodes = boundToNvidia > 0 || !machine->nvidiaKernelVersion.isEmpty();
        for (const DeviceNode &n : machine->nodes) {
            if (!expectsNodes)
                break;
            if (n.type == QLatin1String("missing")) {
                add(QStringLiteral("device-node-missing"), QStringLiteral("error"), QStringLiteral("%1 does not exist").arg(n.path),
                    n.path.endsWith(QLatin1String("uvm"))
                        ? QStringLiteral("Without /dev/nvidia-uvm cuInit fails (CUDA_ERROR_UNKNOWN, 999) although NVML works.")
                        : QStringLiteral("The CUDA and NVML libraries open it to reach the GPU."),
                    n.path.endsWith(QLatin1String("uvm"))
                        ? QStringLiteral("Load nvidia_uvm (modprobe nvidia-uvm, or nvidia-modprobe -u -c=0); in a container pass --device /dev/nvidia-uvm.")
                        : QStringLiteral("In a container pass the device (--gpus all / --device %1); on the host run nvidia-modprobe.").arg(n.path));
            } else if (n.type == QLatin1String("character device") && (!n.readable || !n.writable)) {
                add(QStringLiteral("device-node-denied"), QStringLiteral("error"),
                    QStringLiteral("%1 is not readable and writable for %2").arg(n.path, machine->uid),
                    QStringLiteral("Mode %1, owner %2:%3; the GPU libraries open it read-write.")
                        .arg(n.mode, 4, 8, QLatin1Char('0')).arg(n.uid).arg(n.gid),
                    QStringLiteral("Add the user to the device's group (often video or render) or fix the udev rule that sets its mode."));
            }
        }
        // Kernel module against user space: NVML's version, else the libcuda file's release.
        QString userSpace = v.nvmlDriver;
        if (userSpace.isEmpty() && reader) {
            static const QRegularExpression rel(QStringLiteral("libcuda\\.so\\.(\\d+\\.\\d+(?:\\.\\d+)?)$"));
            for (const Artifact &a : reader->artifacts(runId)) {
                const QRegularExpressionMatch m = rel.match(a.path);
                if (a.kind == QLatin1String("elf-facts") && m.hasMatch())
                    userSpace = m.captured(1);
            }
        }
        if (!machine->nvidiaKernelVersion.isEmpty() && !userSpace.isEmpty() && userSpace != machine->nvidiaKernelVersion)
            add(QStringLiteral("kernel-user-mismatch"), QStringLiteral("error"),
                QStringLiteral("kernel module %1, user-space driver %2").arg(machine->nvidiaKernelVersion, userSpace),
                QStringLiteral("The loaded kernel module (%1) and the driver libraries the run used (%2) are of different "
                               "releases: cuInit answers CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803), NVML "
                               "NVML_ERROR_LIB_RM_VERSION_MISMATCH (18).")
                    .arg(machine->nvidiaKernelVersionLine, userSpace),
                QStringLiteral("Reboot after a driver upgrade, or remove the libraries of the other release from the library path (a container image's own libcuda)."),
                {v.nvmlDriverEvent});
    }
    if (v.cudaCount >= 0 && v.nvmlCount >= 0 && v.cudaCount != v.nvmlCount && !cvdSet)
        add(QStringLiteral("count-mismatch"), QStringLiteral("error"),
            QStringLiteral("NVML counts %1 GPU(s), the CUDA driver API %2").arg(v.nvmlCount).arg(v.cudaCount),
            QStringLiteral("Both asked the same driver in the same run, with no CUDA_VISIBLE_DEVICES to explain it."),
            QStringLiteral("Make both libraries (or the shim answering for them) describe the same devices."),
            {v.nvmlCountEvent, v.cudaCountEvent});
    for (const DeviceRow &row : std::as_const(rows.rows)) {
        if (!row.contradiction || !(row.property.endsWith(QLatin1String("bus id")) || row.property.endsWith(QLatin1String("memory"))))
            continue;
        if (row.cells.contains(kSourceOllama) && row.cells.size() == 2)
            continue; // Ollama against one library: the conclusion check below says it better
        QStringList says;
        QList<qint64> events;
        for (auto it = row.cells.constBegin(); it != row.cells.constEnd(); ++it) {
            says.append(QStringLiteral("%1: %2").arg(it.key(), it.value().value));
            events.append(it.value().eventId);
        }
        add(row.property.endsWith(QLatin1String("bus id")) ? QStringLiteral("bus-id-mismatch") : QStringLiteral("memory-mismatch"),
            QStringLiteral("error"), QStringLiteral("the sources disagree on %1").arg(row.property), says.join(QStringLiteral("; ")),
            QStringLiteral("Consumers that pair devices across APIs (Ollama matches NVML and CUDA by bus id) pair the wrong ones or drop them: make every source describe the same device."),
            events);
    }
    for (const auto &[processId, value] : std::as_const(v.cvd)) {
        const QString first = value.split(QLatin1Char(',')).first().trimmed();
        bool number = false;
        const int ordinal = first.toInt(&number);
        const qint64 known = v.nvmlCount >= 0 ? v.nvmlCount : (machine ? qint64(machine->gpus().size()) : -1);
        const bool hides = first.isEmpty() || (number && ordinal < 0) || (number && known >= 0 && ordinal >= known);
        add(QStringLiteral("visible-devices"), hides ? QStringLiteral("error") : QStringLiteral("info"),
            hides ? QStringLiteral("CUDA_VISIBLE_DEVICES=\"%1\" hides every GPU from CUDA").arg(value)
                  : QStringLiteral("CUDA_VISIBLE_DEVICES=\"%1\" selects GPUs for CUDA").arg(value),
            QStringLiteral("Set in process %1's environment; NVML ignores it, so NVML and CUDA counts may differ by design.").arg(processId),
            hides ? QStringLiteral("Unset it or name a GPU that exists.") : QString());
    }
    if (v.ollamaSeen) {
        const double vram = bytesOf(v.ollama.totalVram);
        const qint64 libraryMemory = v.nvmlMemory0 > 0 ? v.nvmlMemory0 : v.cudaMemory0;
        const qint64 libraryCount = std::max(v.cudaCount, v.nvmlCount);
        if ((vram == 0 || v.ollama.libraryCpu) && (libraryMemory > 0 || libraryCount > 0))
            add(QStringLiteral("conclusion-contradicts"), QStringLiteral("error"),
                QStringLiteral("Ollama concluded %1 while the libraries reported %2")
                    .arg(vram == 0 ? QStringLiteral("total_vram=\"0 B\"") : QStringLiteral("library=cpu"),
                         libraryMemory > 0 ? QStringLiteral("%1 of device memory").arg(mib(libraryMemory))
                                           : QStringLiteral("%1 GPU(s)").arg(libraryCount)),
                QStringLiteral("The GPU was there for the libraries; Ollama's own discovery (its runner's GPU initialisation) "
                               "failed or was refused. The diagnosis names the runner's error."),
                QStringLiteral("Run `initscope diagnose` on this bundle for the runner's root cause."));
    }
    std::stable_sort(r.findings.begin(), r.findings.end(), [](const DeviceFinding &a, const DeviceFinding &b) {
        auto rank = [](const QString &s) { return s == QLatin1String("error") ? 0 : s == QLatin1String("warning") ? 1 : 2; };
        return rank(a.severity) < rank(b.severity);
    });
    // Machine-wide rows first, then each GPU's rows together, in a fixed order.
    const QStringList general{QStringLiteral("GPUs"), QStringLiteral("total VRAM"), QStringLiteral("driver version"),
                              QStringLiteral("CUDA version (driver)"), QStringLiteral("CUDA version (runtime)"),
                              QStringLiteral("runs in"), QStringLiteral("kernel modules")};
    const QStringList perGpu{QStringLiteral("name"), QStringLiteral("bus id"), QStringLiteral("UUID"), QStringLiteral("memory"),
                             QStringLiteral("compute capability"), QStringLiteral("kernel driver")};
    auto rank = [&](const DeviceRow &row) {
        static const QRegularExpression gpuRe(QStringLiteral("^GPU (\\d+) (.+)$"));
        const QRegularExpressionMatch m = gpuRe.match(row.property);
        if (!m.hasMatch())
            return row.property.startsWith(QLatin1String("/dev/")) ? qint64(50) : qint64(general.indexOf(row.property));
        return 100 + m.captured(1).toLongLong() * 100 + perGpu.indexOf(m.captured(2));
    };
    r.rows = rows.rows;
    std::stable_sort(r.rows.begin(), r.rows.end(), [&](const DeviceRow &a, const DeviceRow &b) { return rank(a) < rank(b); });
    return r;
}

QString formatDeviceReportText(const DeviceReport &r)
{
    QString out;
    if (r.machine) {
        const MachineFacts &m = *r.machine;
        out += QStringLiteral("Machine: %1\n").arg(m.root == QLatin1String("/") ? QStringLiteral("this one, read as %1").arg(m.uid) : m.root);
        for (const QString &u : m.unreadable)
            out += QStringLiteral("  (not read: %1)\n").arg(u);
        out += QLatin1Char('\n');
    }
    // The table: property, then each source.
    QList<QStringList> table;
    QStringList header{QStringLiteral("property")};
    header += r.sources;
    table.append(header);
    for (const DeviceRow &row : r.rows) {
        QStringList line{row.property + (row.contradiction ? QStringLiteral(" (!)") : QString())};
        bool any = false;
        for (const QString &s : r.sources) {
            line.append(row.cells.value(s).value);
            any = any || row.cells.contains(s);
        }
        if (any)
            table.append(line);
    }
    QList<int> widths(header.size(), 0);
    for (const QStringList &line : table)
        for (int i = 0; i < line.size(); ++i)
            widths[i] = std::max(widths[i], int(line[i].size()));
    for (const QStringList &line : table) {
        QString text;
        for (int i = 0; i < line.size(); ++i)
            text += (i ? QStringLiteral("  ") : QString()) + line[i].leftJustified(i + 1 < line.size() ? widths[i] : 0);
        out += text + QLatin1Char('\n');
    }
    out += QLatin1Char('\n');
    if (r.findings.isEmpty())
        out += QStringLiteral("No contradiction between the sources.\n");
    for (const DeviceFinding &f : r.findings) {
        out += QStringLiteral("[%1] %2 (%3)\n    %4\n").arg(f.severity, f.title, f.id, f.detail);
        if (!f.fix.isEmpty())
            out += QStringLiteral("    fix: %1\n").arg(f.fix);
    }
    return out;
}

QJsonObject deviceReportToJson(const DeviceReport &r)
{
    QJsonArray rows;
    for (const DeviceRow &row : r.rows) {
        QJsonObject cells;
        for (auto it = row.cells.constBegin(); it != row.cells.constEnd(); ++it) {
            QJsonObject c{{QStringLiteral("value"), it.value().value}};
            if (it.value().eventId >= 0)
                c.insert(QStringLiteral("eventId"), it.value().eventId);
            if (it.value().processId >= 0)
                c.insert(QStringLiteral("processId"), it.value().processId);
            cells.insert(it.key(), c);
        }
        rows.append(QJsonObject{{QStringLiteral("property"), row.property},
                                {QStringLiteral("contradiction"), row.contradiction},
                                {QStringLiteral("cells"), cells}});
    }
    QJsonArray findings;
    for (const DeviceFinding &f : r.findings) {
        QJsonArray events;
        for (qint64 e : f.eventIds)
            if (e >= 0)
                events.append(e);
        findings.append(QJsonObject{{QStringLiteral("id"), f.id},
                                    {QStringLiteral("severity"), f.severity},
                                    {QStringLiteral("title"), f.title},
                                    {QStringLiteral("detail"), f.detail},
                                    {QStringLiteral("fix"), f.fix},
                                    {QStringLiteral("events"), events}});
    }
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("initscope-device")},
                  {QStringLiteral("version"), 1},
                  {QStringLiteral("sources"), QJsonArray::fromStringList(r.sources)},
                  {QStringLiteral("rows"), rows},
                  {QStringLiteral("findings"), findings}};
    if (r.machine)
        o.insert(QStringLiteral("machine"), machineFactsToJson(*r.machine));
    if (!r.bundlePath.isEmpty()) {
        o.insert(QStringLiteral("bundle"), r.bundlePath);
        o.insert(QStringLiteral("run"), r.runId);
    }
    return o;
}

} // namespace initscope
