// Internal to the diagnosis engine: the decoded view of one process and the helpers every rule
// shares. Each rule adds the departures it finds to a list; diagnoseProcess() ranks them
// (docs/diagnosis.md).
#pragma once

#include "bundle.h"
#include "diagnosis.h"
#include "report.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope::diag {

// One traced call, decoded once.
struct Call {
    Event ev;
    QJsonObject p;
    QString fn;
    QString api;
    int depth = 0;
    bool returned = true; // false for a call the recorder saw start but never end
    bool ok = true;
    qint64 code = 0;
    QString resName;
    QString resMsg;
    QJsonObject resolved;
    QJsonObject table;
    int outer = -1; // index of the outermost call that encloses it (itself at depth 0)
    qint64 endNs() const { return ev.tsNs + ev.durNs; }
    bool isResolution() const { return fn.startsWith(QLatin1String("cuGetProcAddress")); }
};

struct Call;

// What the process's calls said about its devices.
struct DeviceView {
    qint64 nvmlCount = -1; // nvmlDeviceGetCount*, -1 if never answered
    const Call *nvmlCountCall = nullptr;
    qint64 cudaCount = -1; // cuDeviceGetCount or cudaGetDeviceCount
    const Call *cudaCountCall = nullptr;
    QStringList uuids; // "GPU-…" of devices NVML or CUDA named
};

// The export table that a runtime asks for before initialising and that a driver may refuse.
inline const QString kSkipInitProbe = QStringLiteral("f8cff951-2146-8b4e-b9e2-fb469e7c0dd9");

struct Context {
    const BundleReader &reader;
    Run run;
    Process proc;
    QList<Call> calls;
    QList<LibSearch> searches;
    QList<LibLoad> loads;
    QList<OutputLine> lines;
    QList<Artifact> artifacts;
    QString driverLib; // path of the loaded libcuda, if any
    QString nvmlLib;
    // The run was stopped as planned (its stop rule matched, or the user cancelled it):
    // SIGTERM/SIGKILL at the end is InitScope's doing, not a crash.
    bool plannedStop = false;
    bool stoppedAsPlanned() const;
    mutable std::optional<DeviceView> devices; // deviceView()'s answer, once asked
};

QList<Call> decodeCalls(const QList<Event> &events);
qint64 outNumber(const Call &c, const char *key);

QString shortUuid(const QString &uuid);
QString baseName(const QString &path);
QString lineText(const OutputLine &line);
bool failedProcess(const Process &p, const Run &run);
bool isGpuLibrary(const QString &name);
bool isShim(const Context &ctx, const QString &path);
// "the shim libcuda.so.1 (/path)" or "libcuda.so.1 (/path)"; fallback when path is empty.
QString whoAnswers(const Context &ctx, const QString &path, const QString &fallback);
QString resultWords(const Call &c); // CUDA_ERROR_X (n, "message")

Evidence evidenceOf(Evidence::Kind kind, qint64 id, qint64 processId, qint64 tsNs, const QString &text);
Evidence eventEvidence(const Call &c);
Evidence lineEvidence(const Context &ctx, const OutputLine &l);
Evidence processEvidence(const Context &ctx);

// The output line a departure explains: one that carries one of the needles (the error text the
// consumer saw), printed after the departure; nullptr if none.
const OutputLine *pickErrorLine(const Context &ctx, const QStringList &needles, qint64 afterNs);
void attachLine(const Context &ctx, Finding &f, const OutputLine *line);
QString endWords(const Context &ctx);
// "; the process then printed "…" and ended: exit code 1."
QString thenPrinted(const Context &ctx, const Finding &f);
Finding newFinding(const Context &ctx, const QString &id, qint64 tsNs, double confidence);
// Calls of the same scope that succeeded before calls[index]: the bring-up steps that worked.
void addSucceededBefore(const Context &ctx, Finding &f, int index);

// The rules. Each appends the departures it finds, in any order.
void ruleMissingLibraries(const Context &ctx, QList<Finding> &out);  // diagnosissearch.cpp
void ruleResolutions(const Context &ctx, QList<Finding> &out);       // diagnosisloader.cpp
void ruleMissingResolver(const Context &ctx, QList<Finding> &out);   // diagnosisloader.cpp
void ruleMissingSymbols(const Context &ctx, QList<Finding> &out);    // diagnosisloader.cpp
void ruleCalls(const Context &ctx, QList<Finding> &out, QList<Finding> &tolerated); // diagnosiscalls.cpp
void ruleReportedValues(const Context &ctx, QList<Finding> &out);    // diagnosiscalls.cpp
void ruleDeath(const Context &ctx, QList<Finding> &out);             // diagnosisdeath.cpp
// A GPU library loaded from a file evidently not the one meant (the toolkit's stub, not the
// --shim given, not what the run's other processes loaded, another driver release than its
// partner). Runs after the other rules: the failed calls the stub answered with
// CUDA_ERROR_STUB_LIBRARY are its consequence, so their findings are folded into it.
void ruleWrongFileFirst(const Context &ctx, QList<Finding> &out);   // diagnosissearch.cpp

// What the process's calls said about its devices (diagnosisdevices.cpp); computed once per
// process and kept in its Context.
DeviceView deviceView(const Context &ctx);

// Whether CUDA_VISIBLE_DEVICES in the process's environment hides every device from CUDA.
struct VisibleDevices {
    bool set = false;
    QString value;
    bool hidesAll = false;
    QString why;          // "-1 is no device's ordinal", …
    double confidence = 0;
    QString setBy;        // "pid 12 (ollama), whose own environment has none"; empty if inherited
};
VisibleDevices visibleDevices(const Context &ctx, const DeviceView &view);
// The finding for a CUDA call that saw no device (100, or a count of 0) because of it.
Finding hiddenDevicesFinding(const Context &ctx, const Call &c, const VisibleDevices &visible,
                             const DeviceView &view);

// Ollama (diagnosisollama.cpp): for each Ollama server of the run (recorded, or a log imported
// as a bundle), the cause of its GPU failure and its conclusion (CPU fallback), related to the
// runners' findings. Runs after every process has been diagnosed; appends to findings.
void ruleOllama(const BundleReader &reader, const Run &run, QList<Finding> &findings);

} // namespace initscope::diag
