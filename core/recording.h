// Recording: the one entry point that CLI and GUI use to record a run — builds the
// environment, injects the recorder, launches, ingests and saves the bundle.
#pragma once

#include "ingest.h"
#include "launcher.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <optional>

namespace initscope {

// A library under test that must answer wherever its SONAME is asked for.
struct ShimSpec {
    QString path;
    QString soname; // empty: the file's DT_SONAME, else its file name
};

// How shims reach the target. Audit redirects the loader's search for the SONAME and changes
// nothing else; the other two are what users often do by hand, for comparison.
enum class InjectMode { Audit, LdLibraryPath, LdPreload };
QString injectModeName(InjectMode mode);
std::optional<InjectMode> injectModeFromName(const QString &name);

struct RecordOptions {
    QStringList command;          // argv of the target
    QStringList setEnv;           // NAME=value, applied after unsetEnv
    QStringList unsetEnv;         // NAME
    bool cleanEnv = false;        // start from kCleanEnvironment instead of ours
    std::optional<double> timeoutSeconds;
    // The limit when timeoutSeconds is not set, left out of the run's config: a retry's 60 s
    // says how long InitScope waits, not what was run, so it must not show as a difference.
    std::optional<double> fallbackTimeoutSeconds;
    QString outputPath;           // bundle to write; empty: a name made from the command
    // Add the run to the existing bundle at outputPath (BundleWriter::append) instead of
    // writing a new one; the bundle is checked before anything runs.
    bool appendToOutput = false;
    // When false, a cancelled run is dropped rather than saved: nothing is written, and
    // record() answers Failed with launch.cancelled set (a retry cancelled by its user).
    bool keepCancelledRun = true;
    QString workingDirectory;
    QString runName;
    bool forwardOutput = true;    // show the target's output live on our stdout/stderr
    bool keepRawRecords = false;  // leave the raw run directory behind
    QByteArray baseEnvironmentOverride; // tests: NUL-separated base env instead of ours
    QList<ShimSpec> shims;
    InjectMode inject = InjectMode::Audit;
    // Stop the tree once a line of output contains one of these (docs/run-config.md): the run
    // ends as planned, not as a timeout.
    QStringList stopOnOutput;
    QString preset; // the preset the options started from, if any
    // Files to keep with the run once it has ended (the shims' own logs): glob patterns, each
    // matching file stored in the bundle as an artifact of kind "collected" (up to 16 MiB each).
    QStringList collect;
    // The most output of one process kept in the bundle; the rest is passed on, counted and
    // noted (docs/recording.md, "Output floods").
    qint64 outputCapBytes = 256ll << 20;
    // The most processes the tree may have at once; past it the tree is killed and the run
    // saved, marked so (docs/recording.md, "Fork storms"). 0: no limit.
    int maxProcesses = kDefaultMaxProcesses;
    // Which values are secret (docs/reliability.md, "Secrets"): redacted in the bundle.
    RedactionPolicy redaction;
};

// Presets (docs/run-config.md): "probe", "ollama", "custom". Fills options as the preset says;
// what is set afterwards overrides it. False with *error for an unknown name.
bool applyRecordPreset(const QString &name, RecordOptions *options, QString *error);
// Sets NAME=value in options->setEnv, replacing an earlier value and taking NAME off unsetEnv.
void setRecordVariable(RecordOptions *options, const QString &name, const QString &value);
QStringList recordPresetNames();

// Reads a run config (JSON, docs/run-config.md) into options. Returns false with a one-line
// error naming the file and the problem.
bool loadRecordConfig(const QString &path, RecordOptions *options, QString *error);
// The same for a config already parsed; *error without the file name.
bool applyRecordConfig(const QJsonObject &config, RecordOptions *options, QString *error);
// Reads a run config file as JSON, without applying it; the same errors as loadRecordConfig().
bool readRecordConfig(const QString &path, QJsonObject *config, QString *error);
// What the config itself says, its preset not expanded (options.preset names it): what an editor
// shows. Refuses what applyRecordConfig() refuses; the preset is checked by its name only.
bool recordConfigOwnOptions(const QJsonObject &config, RecordOptions *options, QString *error);
// The run config that gives options back: applyRecordConfig() on top of options.preset yields
// options.preset's values overridden by options' own. Only the keys that carry something.
QJsonObject recordConfigToJson(const RecordOptions &options);
// Writes config as indented JSON, atomically (a reader never sees half a file).
bool saveRecordConfig(const QString &path, const QJsonObject &config, QString *error);

// Names copied from our environment when the run starts from a clean environment.
inline const QStringList kCleanEnvironment = {QStringLiteral("PATH"), QStringLiteral("HOME"),
                                              QStringLiteral("USER"), QStringLiteral("LOGNAME"),
                                              QStringLiteral("LANG"), QStringLiteral("TERM"),
                                              QStringLiteral("TMPDIR"), QStringLiteral("TZ")};

struct RecordResult {
    enum class Status { Saved, StartFailed, InvalidInput, Failed };
    Status status = Status::Failed;
    QString error;             // one sentence, when status != Saved
    QString bundlePath;
    qint64 runId = -1;         // the run's id in the bundle, when saved
    QString rawDirectory;      // kept when ingest failed or keepRawRecords was set
    // Set when the bundle could not be written where it was asked for (a full disk, a folder
    // that became unwritable): why, and that path; bundlePath is then where the recording was
    // saved instead, beside the raw records (status Saved), or status is Failed.
    QString saveError;
    QString requestedPath;
    // Set when the raw directory's disk filled up during the run: what is missing (also a
    // recorder.note of the run).
    QString rawLoss;
    LaunchResult launch;
    IngestStats stats;
};

// Locates the recorder module: $INITSCOPE_RECORDER, else next to the running executable
// (../lib/, ../lib/initscope/, ../lib/<multiarch>/initscope/). Empty when not found.
QString findRecorderModule();

// The environment the target starts with: base (ours or the clean subset), then unset, then
// set; the recorder's variables are added on top by record().
QStringList effectiveEnvironment(const RecordOptions &options);

// Adds what makes the target load the shims (mode) to env. runDir may receive files.
void injectShims(const QList<ShimSpec> &shims, InjectMode mode, const QString &runDir,
                 QStringList *env);

// A JSON description of the options, stored with the run.
QByteArray recordOptionsToJson(const RecordOptions &options);

class Recording
{
public:
    RecordResult record(const RecordOptions &options);
    // A progress line on standard error while record() runs (core/progress.h: only on a
    // terminal): "<task>, 12 s: 3 processes, 45 KiB of output" while the target runs, then how
    // much of the raw records is in the bundle. Empty (the default): none.
    void setProgressTask(const QString &task) { m_progressTask = task; }
    // Async-signal-safe; stops a running record() as a timeout would.
    void requestCancel();

private:
    std::atomic<Launcher *> m_launcher{nullptr};
    std::atomic<bool> m_cancel{false};
    QString m_progressTask;
};

} // namespace initscope
