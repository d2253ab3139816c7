// Launcher: starts a target with the recorder injected, keeps every byte of every process's
// output, enforces the timeout, and never leaves a process behind.
#pragma once

#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace initscope {

inline constexpr int kDefaultMaxProcesses = 4096;

// What a running launch can tell cheaply, for a progress line.
struct LaunchProgress {
    qint64 elapsedMs = 0;
    int processes = 0;      // processes of the tree alive now (-1: not known yet)
    qint64 outputBytes = 0; // output of every process read so far
};

struct LaunchSpec {
    QStringList argv;          // argv[0] is looked up in PATH of `environment` when bare
    QStringList environment;   // complete environment of the root, NAME=value, injection included
    QString workingDirectory;  // empty: the launcher's own
    std::optional<qint64> timeoutMs;
    qint64 killGraceMs = 1000; // SIGTERM first, SIGKILL after this long
    QString runDirectory;      // raw records go here; must exist
    QString socketName;        // abstract socket name ("@…") the recorder connects to
    bool forwardOutput = true; // pass the tree's output on to this process's stdout/stderr
    // Stop the tree (as a timeout does) once any process prints a line containing one of these.
    QStringList stopOnOutput;
    // The most output of one process that is recorded; the rest is passed on and counted.
    qint64 outputCapBytes = 256ll << 20;
    // The most processes the tree may have at once (0: no limit); past it the tree is killed
    // (docs/recording.md, "Fork storms").
    int maxProcesses = kDefaultMaxProcesses;
    // Called from run()'s loop, every 50 ms or so, while the tree runs. When set, output passed
    // on to a terminal makes room for a progress line first (Progress::Interruption).
    std::function<void(const LaunchProgress &)> progress;
};

struct LaunchResult {
    bool started = false;
    QString error;          // why the target could not be started
    qint64 rootPid = 0;
    std::optional<int> exitCode;
    std::optional<int> exitSignal;
    bool timedOut = false;
    bool cancelled = false;
    bool stoppedByRule = false; // a line matched LaunchSpec::stopOnOutput
    QString stopLine;           // that line
    bool processEventsAvailable = false; // kernel process events gave every exit status
    bool processLimitHit = false; // the tree had more than LaunchSpec::maxProcesses; killed
    int processesSeen = 0;        // how many it had at once when that was noticed
};

// One launch, blocking in run(). The process that calls run() becomes a child subreaper and
// reaps every descendant, so it must not own other children it waits for itself (the CLI is
// such a process; the GUI records through the CLI).
class Launcher
{
public:
    explicit Launcher(LaunchSpec spec);
    ~Launcher();
    Launcher(const Launcher &) = delete;
    Launcher &operator=(const Launcher &) = delete;

    LaunchResult run();

    // Stops the run as a timeout would, but marks it cancelled. Async-signal-safe: callable
    // from a SIGINT handler.
    void requestCancel();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// The program the launcher runs for argv[0] `name`: looked up in the PATH of `environment` when
// it has no '/', as execvpe would; `name` itself when nothing is found.
QString resolveTargetProgram(const QString &name, const QStringList &environment);

// Name of the raw record file the launcher writes in the run directory.
inline constexpr char kLauncherRecordFile[] = "launcher.rec";

} // namespace initscope
