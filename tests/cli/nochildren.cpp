#include "nochildren.h"

#include <QElapsedTimer>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace initscope::test {

namespace {

#if defined(__x86_64__)
constexpr __u32 kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr __u32 kArch = AUDIT_ARCH_AARCH64;
#else
#error "the no-child filter knows x86-64 and arm64"
#endif

// The filter program. Jumps are counted from the instruction after the jump.
std::vector<sock_filter> filterProgram()
{
    std::vector<sock_filter> f;
    auto stmt = [&](__u16 code, __u32 k) { f.push_back(BPF_STMT(code, k)); };
    auto jump = [&](__u16 code, __u32 k, __u8 jt, __u8 jf) { f.push_back(BPF_JUMP(code, k, jt, jf)); };
    constexpr __u32 kKill = SECCOMP_RET_KILL_PROCESS;
    constexpr __u32 kAllow = SECCOMP_RET_ALLOW;
    // Any other ABI (a 32-bit entry on x86-64) could create a process unseen: kill.
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
    jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0);
    stmt(BPF_RET | BPF_K, kKill);
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
#ifdef __NR_fork
    jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_fork, 0, 1);
    stmt(BPF_RET | BPF_K, kKill);
#endif
#ifdef __NR_vfork
    jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_vfork, 0, 1);
    stmt(BPF_RET | BPF_K, kKill);
#endif
    // clone3 keeps its flags in memory a filter cannot read: refused as unknown, so that the C
    // library creates threads (and would create processes) with clone, which is checked.
    jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0);
    stmt(BPF_RET | BPF_K, kAllow);
    // clone: the low half of its first argument, the flags (little-endian on both ABIs).
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0]));
    jump(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1);
    stmt(BPF_RET | BPF_K, kAllow);
    stmt(BPF_RET | BPF_K, kKill);
    return f;
}

// Between fork and exec only async-signal-safe calls: the program is built before fork.
int installFilter(const std::vector<sock_filter> &program, unsigned flags)
{
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(program.size());
    prog.filter = const_cast<sock_filter *>(program.data());
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return int(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

} // namespace

bool GuardedRun::triedToStartAProcess() const
{
    return signal == SIGSYS;
}

GuardedRun runWithoutChildren(const QString &program, const QStringList &args, int timeoutMs)
{
    GuardedRun result;
    const std::vector<sock_filter> filter = filterProgram();
    std::vector<QByteArray> storage;
    storage.push_back(program.toLocal8Bit());
    for (const QString &a : args)
        storage.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &s : storage)
        argv.push_back(s.data());
    argv.push_back(nullptr);

    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) {
        result.error = QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return result;
    }
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid < 0) {
        result.error = QStringLiteral("fork: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return result;
    }
    if (pid == 0) {
        ::dup2(devNull, STDIN_FILENO);
        ::dup2(outPipe[1], STDOUT_FILENO);
        ::dup2(errPipe[1], STDERR_FILENO);
        if (installFilter(filter, 0) != 0)
            ::_exit(126);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(devNull);
    ::close(outPipe[1]);
    ::close(errPipe[1]);

    QElapsedTimer clock;
    clock.start();
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    QByteArray *sinks[2] = {&result.out, &result.err};
    int open = 2;
    char buffer[65536];
    while (open > 0) {
        const qint64 left = timeoutMs - clock.elapsed();
        if (left <= 0) {
            result.timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        const int ready = ::poll(fds, 2, int(left));
        if (ready < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, n);
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (pollfd &p : fds) {
        if (p.fd >= 0)
            ::close(p.fd);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
        result.exitCode = WEXITSTATUS(status);
        if (result.exitCode == 126)
            result.error = QStringLiteral("the kernel refused the seccomp filter");
        else if (result.exitCode == 127)
            result.error = QStringLiteral("could not execute %1").arg(program);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

bool forbidChildProcesses(QString *error)
{
    if (installFilter(filterProgram(), SECCOMP_FILTER_FLAG_TSYNC) != 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    return true;
}

} // namespace initscope::test
