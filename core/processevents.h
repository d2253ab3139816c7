// Exit statuses and forks of every process in the recorded tree. The launcher reaps its own
// child and, as subreaper, every orphan; for processes reaped by their own parent (a server
// reaping its runner) the kernel's process events connector gives the status, where this
// process may listen to it (CAP_NET_ADMIN).
#pragma once

#include <QString>

#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>
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

    void addRoot(pid_t root);

    // Reads the events on a thread of its own until stop(), at real-time priority where this
    // process may (it may when it may listen at all: root): a fork storm that keeps every CPU
    // busy must not keep the count from being kept. overLimit is called on that thread, once, the
    // moment the tree has more than `limit` processes by a count that lost no event (0: never).
    // wakeFd (when >= 0) gets a byte whenever a process of the tree has exited, so that the
    // launcher's loop reaps at once instead of at its next poll timeout.
    void start(size_t limit, std::function<void(size_t count)> overLimit, int wakeFd = -1);
    void stop();

    // Reads every pending event and appends RAW_PROC_FORK / RAW_PROC_EXIT for the tree, and a
    // RAW_PROC_EXEC with what /proc shows of each new image (recordExecFacts, untraced.h).
    void drain();
    // A status from waitpid in the launcher.
    void recordWaitStatus(pid_t pid, int status);

    // Processes of the tree alive now, as counted from the events (forks in, exits out).
    size_t liveProcesses() const;
    // True while the kernel has dropped events (its buffer overflowed) since the last resync():
    // the count may be off.
    bool suspect() const;
    // The tree as a scan of /proc found it: the count starts again from these.
    void resync(const std::vector<pid_t> &live);
    // No more calls of overLimit, and every pending event is read from now on.
    void clearLimit();

private:
    void writeExit(pid_t pid, int status, uint32_t source);
    void drainLocked();
    void run();

    int m_recordFd;
    int m_fd = -1;
    QString m_error;
    mutable std::mutex m_mutex; // the sets below; the thread holds it while it reads events
    std::set<pid_t> m_tree;
    std::set<pid_t> m_live;
    bool m_lost = false;
    bool m_broken = false; // the socket failed for good
    size_t m_limit = 0; // 0: none
    std::function<void(size_t)> m_overLimit;
    int m_wakeFd = -1;
    std::thread m_thread;
    int m_stopPipe[2] = {-1, -1};
};

} // namespace initscope
