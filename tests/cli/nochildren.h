// Proof that reading a bundle starts no process: a seccomp filter that kills the process the
// moment it tries to create another one (fork, vfork, clone without CLONE_THREAD; clone3 is
// answered ENOSYS so that threads fall back to clone). Threads stay allowed. A program run
// under it that starts a child ends by SIGSYS instead, whatever it meant to run and however
// briefly; one that starts none runs as usual.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace initscope::test {

struct GuardedRun {
    int exitCode = -1;
    int signal = 0;  // the signal that ended it, 0 when it exited
    bool timedOut = false;
    QByteArray out;
    QByteArray err;
    QString error;   // why it could not be run at all
    bool triedToStartAProcess() const;
};

// Runs program with args, standard input from /dev/null, under the filter. Output is read as
// it comes (megabytes do not block). Stopped with SIGKILL after timeoutMs.
GuardedRun runWithoutChildren(const QString &program, const QStringList &args, int timeoutMs = 120000);

// Puts the filter on every thread of this process, for good: from now on, starting a process
// kills it. For a test binary whose every test must start none. False when the kernel refuses.
bool forbidChildProcesses(QString *error);

} // namespace initscope::test
