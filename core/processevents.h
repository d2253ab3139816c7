// Exit statuses and forks of every process in the recorded tree. The launcher reaps its own
// child and, as subreaper, every orphan; for processes reaped by their own parent (a server
// reaping its runner) the kernel's process events connector gives the status, where this
// process may listen to it (CAP_NET_ADMIN).
#pragma once

#include <QString>

#include <set>
#include <sys/types.h>

namespace initscope {

class ProcessEvents
{
public:
    explicit ProcessEvents(int recordFd);
    ~ProcessEvents();
    ProcessEvents(const ProcessEvents &) = delete;
    ProcessEvents &operator=(const ProcessEvents &) = delete;

    // Subscribes to the connector. False (see error()) where the kernel or our privileges
    // do not allow it; the launcher then works from waitpid alone.
    bool open();
    QString error() const { return m_error; }
    int fd() const { return m_fd; }

    void addRoot(pid_t root);
    // Reads every pending event and appends RAW_PROC_FORK / RAW_PROC_EXIT for the tree.
    void drain();
    // A status from waitpid in the launcher.
    void recordWaitStatus(pid_t pid, int status);

private:
    void writeExit(pid_t pid, int status, uint32_t source);

    int m_recordFd;
    int m_fd = -1;
    QString m_error;
    std::set<pid_t> m_tree;
};

} // namespace initscope
