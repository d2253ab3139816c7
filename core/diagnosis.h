// Diagnosis: why a recorded run failed to bring up its GPU, and what would fix it.
//
// The engine compares what each process did with the bring-up sequence every CUDA consumer
// follows (load libcuda → resolver → cuDriverGetVersion → cuInit → the runtime's private
// interface → device queries; NVML init → device count → memory), finds the FIRST departure
// from it (a library not found, a resolution with the wrong ABI, a failed result, a refused
// export table, a missing call, a death or a hang inside a call) and explains the process's
// error line from it. The reasoning model and the JSON form are documented in
// docs/diagnosis.md. Built from a bundle only, so the CLI and the GUI show the same findings.
#pragma once

#include "data.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace initscope {

class BundleReader;

inline constexpr int kDiagnosisJsonVersion = 1;

enum class Severity {
    RootCause,    // the first departure of a failed process: fixing it changes the outcome
    Contributing, // a later departure, or one the root cause made worse
    Harmless,     // a failure the consumer tolerated and went on from
};
QString severityName(Severity severity); // "root cause", "contributing", "harmless"

// One fact a finding rests on, with what is needed to find it again in the bundle.
struct Evidence {
    enum class Kind { Event, LibSearch, LibLoad, OutputLine, Process };
    Kind kind = Kind::Event;
    qint64 id = -1;        // events.id, lib_searches.id, lib_loads.id or processes.id
    qint64 processId = -1;
    qint64 tsNs = 0;
    Stream stream = Stream::Stderr; // OutputLine only
    int line = 0;                   // OutputLine only: 1-based per stream
    QString text;
};
QString evidenceKindName(Evidence::Kind kind); // "event", "lib-search", "lib-load", "output", "process"

struct Finding {
    QString id;           // the class, e.g. "export-table-refused", "failed-call"
    QString title;        // one line
    Severity severity = Severity::RootCause;
    double confidence = 0; // 0 … 1
    qint64 processId = -1;
    qint64 pid = 0;
    qint64 tsNs = 0;      // when the departure happened
    QString step;         // the failing step in words
    QStringList succeededBefore; // bring-up calls that succeeded before the departure
    QString consequence;  // what the consumer saw and did because of it
    QString fix;          // what to change, for a shim author or the user's setup
    QString errorLine;    // the exact output line this explains; empty if none
    Stream errorStream = Stream::Stderr;
    int errorLineNumber = 0;
    QList<Evidence> evidence;
    // The departure was seen through a library the program called (the runtime inside
    // cudaGetDeviceCount), not by the program itself: the view a consumer such as ggml has.
    bool consumerView = false;
};

struct Diagnosis {
    QString bundlePath;
    Run run;
    QList<Finding> findings; // ranked: root causes first, then contributing, then harmless
    // How the diagnosis read the run where it did not read every event (a long process).
    QStringList notes;
    bool hasRootCause() const;
};

// Diagnoses one run; runId must be one of reader.runs().
Diagnosis diagnose(const BundleReader &reader, qint64 runId);

// Human-readable text of the ranked findings; ends with a newline.
QString formatDiagnosisText(const Diagnosis &diagnosis);
// A few lines for the top of `initscope report`: the top finding's title, step, error line and
// fix; empty when there is no finding.
QString formatTopFinding(const Diagnosis &diagnosis);

// {"format": "initscope-diagnosis", "version": 1, "bundle": …, "runs": [ … ]}
QJsonObject diagnosisToJson(const Diagnosis &diagnosis); // one element of "runs"
QJsonObject diagnosesToJson(const QList<Diagnosis> &diagnoses, const QString &bundlePath);

} // namespace initscope
