#include "processevents.h"

#include "rawformat.h"
#include "rawio.h"
#include "untraced.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace initscope {

namespace {


} // namespace

ProcessEvents::ProcessEvents(int recordFd) : m_recordFd(recordFd) {}

ProcessEvents::~ProcessEvents()
{
    stop();
    if (m_fd >= 0)
        ::close(m_fd);
}

void ProcessEvents::start(size_t limit, std::function<void(size_t)> overLimit, int wakeFd)
{
    m_wakeFd = wakeFd;
    if (m_fd < 0 || m_thread.joinable() || ::pipe2(m_stopPipe, O_CLOEXEC) != 0)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_limit = limit;
        m_overLimit = std::move(overLimit);
    }
    m_thread = std::thread([this] { run(); });
}

void ProcessEvents::stop()
{
    if (m_thread.joinable()) {
        const char c = 1;
        (void)!::write(m_stopPipe[1], &c, 1);
        m_thread.join();
    }
    for (int &fd : m_stopPipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

void ProcessEvents::run()
{
    // Best effort: without the privilege the thread keeps its ordinary priority.
    sched_param param{};
    param.sched_priority = 1;
    ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &param);
    for (;;) {
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_stopPipe[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            return;
        if (fds[1].revents || (fds[0].revents & POLLNVAL))
            return;
        size_t over = 0;
        std::function<void(size_t)> call;
        bool exited = false;
        {
            std::lock_guard lock(m_mutex);
            const size_t before = m_live.size();
            drainLocked();
            exited = m_live.size() < before;
            if (m_broken)
                return;
            if (m_limit > 0 && !m_lost && m_live.size() > m_limit) {
                over = m_live.size();
                m_limit = 0;
                call = m_overLimit;
            }
        }
        if (over > 0 && call)
            call(over);
        if (exited && m_wakeFd >= 0) {
            const char c = 1;
            (void)!::write(m_wakeFd, &c, 1);
        }
    }
}

size_t ProcessEvents::liveProcesses() const
{
    std::lock_guard lock(m_mutex);
    return m_live.size();
}

bool ProcessEvents::suspect() const
{
    std::lock_guard lock(m_mutex);
    return m_lost;
}

void ProcessEvents::clearLimit()
{
    std::lock_guard lock(m_mutex);
    m_limit = 0;
}

bool ProcessEvents::open()
{
    m_fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    if (m_fd < 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        return false;
    }
    // A fork storm sends thousands of events at once: ask for room for them, beyond
    // net.core.rmem_max where this process may (it has CAP_NET_ADMIN when it may listen at all).
    const int bufferSize = 8 * 1024 * 1024;
    if (::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufferSize, sizeof bufferSize) != 0)
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, sizeof bufferSize);
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = CN_IDX_PROC;
    addr.nl_pid = 0; // let the kernel pick a unique port id
    if (::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    // nlmsghdr + cn_msg + the operation, laid out as the connector expects.
    alignas(nlmsghdr) char request[NLMSG_LENGTH(sizeof(cn_msg) + sizeof(int))] = {};
    auto *header = reinterpret_cast<nlmsghdr *>(request);
    header->nlmsg_len = sizeof request;
    header->nlmsg_type = NLMSG_DONE;
    auto *message = static_cast<cn_msg *>(NLMSG_DATA(header));
    message->id.idx = CN_IDX_PROC;
    message->id.val = CN_VAL_PROC;
    message->len = sizeof(int);
    const int op = PROC_CN_MCAST_LISTEN;
    std::memcpy(message->data, &op, sizeof op);
    if (::send(m_fd, request, sizeof request, 0) < 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    return true;
}

void ProcessEvents::addRoot(pid_t root)
{
    std::lock_guard lock(m_mutex);
    m_tree.insert(root);
    m_live.insert(root);
}

void ProcessEvents::resync(const std::vector<pid_t> &live)
{
    std::lock_guard lock(m_mutex);
    m_live = std::set<pid_t>(live.begin(), live.end());
    m_tree.insert(live.begin(), live.end());
    m_lost = false;
}

void ProcessEvents::writeExit(pid_t pid, int status, uint32_t source)
{
    RawHeader h{};
    RawProcExit e{};
    h.type = RAW_PROC_EXIT;
    h.ts_ns = monotonicNs();
    h.pid = uint32_t(pid);
    h.size = sizeof h + sizeof e;
    if (WIFEXITED(status)) {
        e.kind = RAW_EXIT_CODE;
        e.value = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        e.kind = RAW_EXIT_SIGNAL;
        e.value = WTERMSIG(status);
        e.core_dumped = WCOREDUMP(status) ? 1 : 0;
    } else {
        e.kind = RAW_EXIT_UNKNOWN;
    }
    e.source = source;
    iovec iov[2] = {{&h, sizeof h}, {&e, sizeof e}};
    appendRecord(m_recordFd, iov, 2);
}

void ProcessEvents::recordWaitStatus(pid_t pid, int status)
{
    {
        std::lock_guard lock(m_mutex);
        m_live.erase(pid);
    }
    writeExit(pid, status, 1);
}

void ProcessEvents::drain()
{
    std::lock_guard lock(m_mutex);
    drainLocked();
}

void ProcessEvents::drainLocked()
{
    if (m_fd < 0)
        return;
    alignas(nlmsghdr) char buffer[16384];
    // Execs are looked at once the pending events are read (at most a few hundred at a time), so
    // that an image already replaced by a later exec of the same process is not taken for it.
    struct Exec {
        pid_t pid;
        uint64_t ts;
        int exeFd; // opened as the event was read: a quick program may be gone by the time the
                   // rest is looked at
    };
    std::vector<Exec> execs;
    auto inspectExecs = [&] {
        for (size_t i = 0; i < execs.size(); ++i) {
            bool superseded = false;
            for (size_t j = i + 1; j < execs.size() && !superseded; ++j)
                superseded = execs[j].pid == execs[i].pid;
            recordExecFacts(m_recordFd, execs[i].pid, execs[i].ts, execs[i].exeFd, superseded);
        }
        execs.clear();
    };
    for (;;) {
        if (execs.size() >= 256)
            inspectExecs();
        if (m_limit > 0 && !m_lost && m_live.size() > m_limit)
            break; // the tree is stopped first; the rest is read afterwards
        ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == ENOBUFS) {
            m_lost = true; // the kernel dropped events; the launcher counts /proc (resync)
            continue;
        }
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            m_broken = true; // nothing more will come; the thread must not spin on it
        if (got <= 0)
            break; // EAGAIN: drained
        auto left = size_t(got);
        for (auto *h = reinterpret_cast<nlmsghdr *>(buffer); NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_NOOP)
                continue;
            const auto *msg = static_cast<const cn_msg *>(NLMSG_DATA(h));
            if (msg->id.idx != CN_IDX_PROC || msg->id.val != CN_VAL_PROC)
                continue;
            const auto *ev = reinterpret_cast<const proc_event *>(msg->data);
            if (ev->what == proc_event::PROC_EVENT_FORK) {
                const auto &f = ev->event_data.fork;
                // Threads share the parent's tgid: only new processes are of interest.
                if (f.child_pid != f.child_tgid || !m_tree.count(f.parent_tgid))
                    continue;
                m_tree.insert(f.child_tgid);
                m_live.insert(f.child_tgid);
                RawHeader rh{};
                RawProcFork rf{};
                rh.type = RAW_PROC_FORK;
                rh.ts_ns = monotonicNs();
                rh.pid = uint32_t(f.child_tgid);
                rh.size = sizeof rh + sizeof rf;
                rf.parent_pid = uint32_t(f.parent_tgid);
                rf.child_pid = uint32_t(f.child_tgid);
                iovec iov[2] = {{&rh, sizeof rh}, {&rf, sizeof rf}};
                appendRecord(m_recordFd, iov, 2);
            } else if (ev->what == proc_event::PROC_EVENT_EXEC) {
                const auto &x = ev->event_data.exec;
                if (m_tree.count(x.process_tgid))
                    execs.push_back({pid_t(x.process_tgid), uint64_t(ev->timestamp_ns),
                                     openExecutableOf(pid_t(x.process_tgid))});
            } else if (ev->what == proc_event::PROC_EVENT_EXIT) {
                const auto &x = ev->event_data.exit;
                if (x.process_pid != x.process_tgid || !m_tree.count(x.process_tgid))
                    continue;
                m_live.erase(x.process_tgid);
                writeExit(x.process_tgid, int(x.exit_code), 2);
            }
        }
    }
    inspectExecs();
}

} // namespace initscope
