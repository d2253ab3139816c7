// Processes the recorder cannot enter: statically linked programs, set-user-ID and set-group-ID
// programs (secure execution), programs of another ELF class, and children whose parent left
// LD_AUDIT out of their environment. The launcher reads raw facts about every exec of the tree
// (recordExecFacts, a RAW_PROC_EXEC record); ingest turns the facts of an image that left no
// recorder file into a reason (untracedReason) and a process.untraced event
// (docs/recording.md, "What is not recorded"; docs/bundle-format.md).
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace initscope {

struct RecordOptions;

// What the loader looks at first in an executable: its class, machine and PT_INTERP.
struct ElfLoadFacts {
    bool isElf = false;
    int elfClass = 0; // ELFCLASS32 (1) or ELFCLASS64 (2)
    int machine = 0;  // e_machine
    bool hasInterp = false;
    std::string interpreter; // the PT_INTERP path, when there is one
};

// Reads them from an open file; false when it is not a readable ELF file. Every offset is
// checked against what could be read.
bool readElfLoadFacts(int fd, ElfLoadFacts *facts);

// Launcher side, the moment the kernel reports an exec: opens the new image's executable
// (/proc/<pid>/exe), which stays readable through the descriptor after the process is gone.
// -1 when it is gone already.
int openExecutableOf(pid_t pid);

// Then: reads what else /proc shows of the process (credentials, AT_SECURE, cmdline, environ,
// comm), as much as can still be read, and appends one RAW_PROC_EXEC record stamped tsNs with the
// facts of the executable exeFd (which it closes; -1: none). superseded: the process has exec'd
// again since, so /proc shows another image; only the fact of the exec is recorded.
void recordExecFacts(int recordFd, pid_t pid, uint64_t tsNs, int exeFd, bool superseded = false);

// A RAW_PROC_EXEC record, read back.
struct ExecFacts {
    quint32 seen = 0; // RAW_EXEC_SEEN_*
    int elfClass = 0;
    int machine = 0;
    bool hasInterp = false;
    quint32 fileMode = 0;
    quint32 fileUid = 0;
    quint32 fileGid = 0;
    qint64 ppid = 0;
    quint32 ruid = 0, euid = 0, rgid = 0, egid = 0;
    int atSecure = -1;
    QString exe;
    QString interpreter;
    QString comm;
    QStringList argv;
    QStringList env;
};
bool parseExecFacts(const uchar *payload, size_t size, ExecFacts *facts);

// Why the recorder did not enter an image with these facts: a short cause ("static",
// "elf-class", "secure-execution", "environment", "not-inspected", "unknown") and one sentence,
// e.g. "statically linked: no dynamic loader, so LD_AUDIT cannot load the recorder".
struct UntracedReason {
    QString cause;
    QString text;
};
UntracedReason untracedReason(const ExecFacts &facts);

// The payload of a process.untraced event (docs/bundle-format.md).
QJsonObject untracedPayload(const ExecFacts &facts, const UntracedReason &reason);

// Before a run: one warning line (without the "initscope: " prefix) when the target's own
// program cannot be entered by the recorder, e.g. "/bin/x is statically linked; its processes
// will be recorded but not its library loads or GPU calls". Empty when it can, or when the
// program cannot be found or read (the launch reports that).
QString untraceableTargetWarning(const RecordOptions &options);

} // namespace initscope
