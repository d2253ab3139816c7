// Every source's view of the GPUs side by side, and where they disagree (docs/device.md): the
// machine (PCI in sysfs, the kernel driver, device nodes, modules) and, from a recorded run,
// what the CUDA driver API, NVML and the runtime reported and what the target (Ollama)
// concluded. One row per property, one column per source; contradictions become findings.
#pragma once

#include "machinefacts.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

class BundleReader;

struct DeviceCell {
    QString value;
    qint64 eventId = -1;   // the call event it comes from (events.id), -1 for machine facts
    qint64 processId = -1;
};

struct DeviceRow {
    QString property;      // "GPUs", "driver version", "GPU 0 bus id", …
    QMap<QString, DeviceCell> cells; // by source name
    bool contradiction = false;
};

struct DeviceFinding {
    QString id;        // "gpu-not-bound", "count-mismatch", "bus-id-mismatch", "memory-mismatch",
                       // "device-node-missing", "device-node-denied", "kernel-user-mismatch",
                       // "visible-devices", "conclusion-contradicts", "not-on-pci"
    QString severity;  // "error", "warning", "info"
    QString title;
    QString detail;
    QString fix;
    QList<qint64> eventIds;
};

struct DeviceReport {
    QStringList sources; // the columns, in order, only those with something to say
    QList<DeviceRow> rows;
    QList<DeviceFinding> findings; // errors first
    std::optional<MachineFacts> machine;
    QString bundlePath;
    qint64 runId = -1;
};

inline const QString kSourceMachine = QStringLiteral("machine");
inline const QString kSourcePci = QStringLiteral("PCI (sysfs)");
inline const QString kSourceKernel = QStringLiteral("kernel driver");
inline const QString kSourceDriverApi = QStringLiteral("CUDA driver API");
inline const QString kSourceNvml = QStringLiteral("NVML");
inline const QString kSourceRuntime = QStringLiteral("CUDA runtime");
inline const QString kSourceOllama = QStringLiteral("Ollama");

// machine: facts read now or kept in the bundle; reader/runId: the run's calls and output
// (nullptr for the machine alone).
DeviceReport buildDeviceReport(const std::optional<MachineFacts> &machine, const BundleReader *reader,
                               qint64 runId);
// The machine facts a bundle kept for a run (artifact "machine-facts"), if any.
std::optional<MachineFacts> storedMachineFacts(const BundleReader &reader, qint64 runId);

QString formatDeviceReportText(const DeviceReport &report);
QJsonObject deviceReportToJson(const DeviceReport &report); // {"format": "initscope-device", …}

} // namespace initscope
