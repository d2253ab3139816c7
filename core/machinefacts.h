// What the machine says about its GPUs, outside any CUDA library: PCI devices in sysfs, the
// kernel driver's /proc/driver/nvidia, the /dev/nvidia* nodes and whether the user may open
// them, the loaded kernel modules, and the container or VM the process runs in. Each source
// reads below a root path, so tests point them at a fixture tree (docs/device.md).
#pragma once

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

struct PciDevice {
    QString address;        // "0000:00:06.0"
    quint32 vendor = 0;     // 0x10de
    quint32 device = 0;
    quint32 subsystemVendor = 0;
    quint32 subsystemDevice = 0;
    quint32 classCode = 0;  // 0x030200
    QString vendorName;     // "NVIDIA", "AMD", "Intel", … or empty
    QString className;      // "3D controller", "VGA compatible controller", "Display controller", …
    QString name;           // the model, when the NVIDIA driver names it (/proc/driver/nvidia)
    QString driver;         // bound kernel driver: "nvidia", "vfio-pci", "nouveau", … empty if none
    int iommuGroup = -1;
    int numaNode = -1;      // -1 when sysfs says -1 or nothing
    QList<quint64> barSizes; // sizes of the memory/IO regions of "resource", in order, 0 for unused
    bool isGpu() const;     // a display controller (class 0x03)
};

// One GPU as /proc/driver/nvidia/gpus/<bus id>/information describes it.
struct NvidiaProcGpu {
    QString busId;  // "0000:00:06.0"
    QString model;  // "NVIDIA H100 80GB HBM3"
    QString uuid;   // "GPU-…"
    QString firmware;
    QString deviceMinor;
    bool excluded = false;
    QMap<QString, QString> fields; // every "Key: value" line
};

struct DeviceNode {
    QString path;       // as on the machine: "/dev/nvidia0"
    QString type;       // "character device", "directory", "missing", "other"
    quint32 mode = 0;   // permission bits
    quint32 uid = 0, gid = 0;
    int major = -1, minor = -1;
    bool readable = false, writable = false; // for the user that reads the facts
};

struct KernelModule {
    QString name;    // "nvidia", "nvidia_uvm"
    QString version; // /sys/module/<name>/version, may be empty
    qint64 size = 0;
    QString state;   // "Live"
};

struct MachineHints {
    bool dockerenv = false;     // /.dockerenv
    bool containerenv = false;  // /run/.containerenv (podman)
    QString cgroup;             // first line of /proc/self/cgroup
    bool wsl = false;           // /proc/version names Microsoft/WSL, or /dev/dxg exists
    bool hypervisor = false;    // the CPU's "hypervisor" flag: a virtual machine
    QString kernel;             // /proc/version
    QStringList words() const;  // "container (/.dockerenv)", "virtual machine", …
};

struct MachineFacts {
    QString root;                   // what was read ("/" on a live machine)
    QString uid;                    // the user the facts were read as ("0", with groups)
    QList<PciDevice> pci;
    QString nvidiaKernelVersion;    // "580.159.04" from /proc/driver/nvidia/version, empty if none
    QString nvidiaKernelVersionLine;
    QList<NvidiaProcGpu> nvidiaGpus;
    QList<DeviceNode> nodes;        // /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia<N>, …
    QList<KernelModule> modules;    // GPU-related modules only (nvidia*, nouveau, vfio*, amdgpu)
    bool modulesKnown = false;      // /proc/modules could be read
    MachineHints hints;
    QStringList unreadable;         // sources that could not be read, with why

    QList<PciDevice> gpus() const;
};

// Reads the facts below root ("/" for this machine). Never fails: what cannot be read is listed
// in unreadable.
MachineFacts readMachineFacts(const QString &root = QStringLiteral("/"));

QJsonObject machineFactsToJson(const MachineFacts &facts); // {"format": "initscope-machine", "version": 1, …}
std::optional<MachineFacts> machineFactsFromJson(const QJsonObject &json, QString *error);

} // namespace initscope
