#include "processevents.h"

#include "rawformat.h"
#include "rawio.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace initscope {

namespace {


} // namespace

ProcessEvents::ProcessEvents(int recordFd) : m_recordFd(recordFd) {}

ProcessEvents::~ProcessEvents()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool ProcessEvents::open()
{
    m_fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    if (m_fd < 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        return false;
    }
    const int bufferSize = 8 * 1024 * 1024;
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
    m_tree.insert(root);
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
    writeExit(pid, status, 1);
}

void ProcessEvents::drain()
{
    if (m_fd < 0)
        return;
    alignas(nlmsghdr) char buffer[16384];
    for (;;) {
        ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return; // EAGAIN: drained; ENOBUFS: the kernel dropped events, nothing to do
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
            } else if (ev->what == proc_event::PROC_EVENT_EXIT) {
                const auto &x = ev->event_data.exit;
                if (x.process_pid != x.process_tgid || !m_tree.count(x.process_tgid))
                    continue;
                writeExit(x.process_tgid, int(x.exit_code), 2);
            }
        }
    }
}

} // namespace initscope
