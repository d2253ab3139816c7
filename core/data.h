// Plain value types that every part of InitScope passes around: what a run recorded, as read
// from or written to a bundle. No behaviour here beyond small helpers.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace initscope {

// How a process image ended.
enum class EndReason {
    Unknown = 0,  // never seen ending (still running when the recorder stopped, or lost)
    Exited = 1,   // exit code in exitCode
    Signaled = 2, // terminating signal in signal
    Exec = 3,     // replaced by the next image of the same pid
};

enum class Stream { Stdout = 1, Stderr = 2 };

// One program image run by one pid. A pid that calls execve() gives several images, linked
// through previousImageId / execSeq.
struct Process {
    qint64 id = -1;       // row id in the bundle, unique across runs
    qint64 runId = -1;
    qint64 pid = 0;
    qint64 ppid = 0;
    qint64 parentId = -1;        // Process::id of the parent image, -1 for the root
    qint64 previousImageId = -1; // the image this one replaced by exec, -1 if none
    int execSeq = 0;             // 0 for the first image of a pid
    QString exe;                 // resolved /proc/<pid>/exe
    QStringList argv;
    QStringList env;             // effective environment at exec, NAME=value
    qint64 startNs = 0;          // ns since run start
    std::optional<qint64> endNs;
    EndReason endReason = EndReason::Unknown;
    int exitCode = 0;
    int signal = 0;
    bool coreDumped = false;
    bool recorded = false;       // the recorder ran inside this image
};

// A contiguous piece of one stream of one process, exactly as read from the pipe.
struct OutputChunk {
    qint64 id = -1;
    qint64 processId = -1;
    Stream stream = Stream::Stdout;
    qint64 tsNs = 0;
    QByteArray data;
};

// Where a candidate path in a library search came from (glibc's LA_SER_* values).
enum class SearchOrigin : quint32 {
    Original = 0x01,     // the name itself (DT_NEEDED entry or dlopen argument)
    LibraryPath = 0x02,  // LD_LIBRARY_PATH
    RunPath = 0x04,      // DT_RPATH / DT_RUNPATH
    Cache = 0x08,        // /etc/ld.so.cache
    Default = 0x40,      // default directories
    Secure = 0x80,
    ShimRedirect = 0x100, // InitScope sent the request to a shim under test (record --shim)
};

struct LibSearchStep {
    QString path;
    quint32 origin = 0; // SearchOrigin bits
    int exists = -1;    // 1 / 0 / -1 unknown
};

enum class SearchOutcome {
    Found = 1,         // a candidate was loaded
    AlreadyLoaded = 2, // the name matched an object already in the process
    NotFound = 3,      // no candidate loaded
};

inline QString searchOutcomeName(SearchOutcome outcome)
{
    switch (outcome) {
    case SearchOutcome::Found:
        return QStringLiteral("found");
    case SearchOutcome::AlreadyLoaded:
        return QStringLiteral("already loaded");
    case SearchOutcome::NotFound:
        break;
    }
    return QStringLiteral("not found");
}

// Where a candidate came from, in the words of ld.so(8).
inline QString searchOriginName(quint32 origin)
{
    switch (origin) {
    case quint32(SearchOrigin::Original):
        return QStringLiteral("requested name");
    case quint32(SearchOrigin::LibraryPath):
        return QStringLiteral("LD_LIBRARY_PATH");
    case quint32(SearchOrigin::RunPath):
        return QStringLiteral("RPATH/RUNPATH");
    case quint32(SearchOrigin::Cache):
        return QStringLiteral("ld.so.cache");
    case quint32(SearchOrigin::Default):
        return QStringLiteral("default directory");
    case quint32(SearchOrigin::Secure):
        return QStringLiteral("secure directory");
    case quint32(SearchOrigin::ShimRedirect):
        return QStringLiteral("shim (--shim)");
    }
    return QStringLiteral("origin 0x%1").arg(origin, 0, 16);
}

// One request for a library: the original name and each path tried, in order.
struct LibSearch {
    qint64 id = -1;
    qint64 processId = -1;
    qint64 eventId = -1;
    qint64 tid = 0;
    qint64 tsNs = 0;
    QString name;      // as requested
    QString requester; // path of the object that asked (empty if unknown)
    QList<LibSearchStep> steps;
    SearchOutcome outcome = SearchOutcome::NotFound;
    QString resultPath; // the candidate that was loaded, if any
};

// One object mapped into a process.
struct LibLoad {
    qint64 id = -1;
    qint64 processId = -1;
    qint64 eventId = -1;
    qint64 tid = 0;
    qint64 tsNs = 0;
    QString path;   // l_name as the loader reports it
    QString soname; // DT_SONAME read from the file at ingest, empty if none
    qint64 lmid = 0;
    quint64 base = 0;
    std::optional<qint64> unloadNs;
};

// One point or span on the timeline. kind is a dotted family ("process.start", "lib.search",
// "lib.load", "process.exit", later "cuda.call" …); payload is compact JSON.
struct Event {
    qint64 id = -1;
    qint64 processId = -1;
    qint64 tid = 0;
    qint64 tsNs = 0;
    qint64 durNs = 0;
    QString kind;
    QString name;
    QByteArray payload; // JSON object text
    qint64 runId = -1;  // filled by the reader; a writer derives it from processId when -1
};

// A file that belongs to the run: shim libraries, collected logs, the run config.
struct Artifact {
    qint64 id = -1;
    qint64 runId = -1;
    QString kind; // "config", "shim", "log", …
    QString path;
    qint64 size = 0;
    QByteArray sha256; // hex
    QByteArray content; // may be empty when only facts are kept
};

struct Run {
    qint64 id = -1;
    QString name;
    QStringList command;     // argv of the root process as given by the user
    QByteArray configJson;   // the RunConfig that produced it
    qint64 startRealtimeNs = 0; // wall clock of t = 0, ns since the Unix epoch
    qint64 durationNs = 0;
    std::optional<int> exitCode; // root process exit code
    std::optional<int> exitSignal;
    bool timedOut = false;
    bool cancelled = false;
    QString hostname;
    QString recorderVersion;
};

} // namespace initscope
