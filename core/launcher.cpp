#include "launcher.h"

#include "outputsinks.h"
#include "processevents.h"
#include "rawformat.h"
#include "rawio.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <poll.h>
#include <set>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace initscope {

namespace {



// argv/envp arrays prepared before fork(): the child may only call async-signal-safe code.
struct CStrings {
    explicit CStrings(const QStringList &list)
    {
        storage.reserve(size_t(list.size()));
        for (const QString &s : list)
            storage.push_back(s.toStdString());
        for (std::string &s : storage)
            pointers.push_back(s.data());
        pointers.push_back(nullptr);
    }
    std::vector<std::string> storage;
    std::vector<char *> pointers;
};

// Finds `name` in the PATH of the target's environment, as execvpe would, so that the
// lookup uses the target's PATH and not the launcher's.
std::string resolveProgram(const QString &name, const QStringList &env)
{
    if (name.contains(QLatin1Char('/')))
        return name.toStdString();
    QString path = QStringLiteral("/usr/local/bin:/usr/bin:/bin");
    for (const QString &e : env) {
        if (e.startsWith(QLatin1String("PATH=")))
            path = e.mid(5);
    }
    for (const QString &dir : path.split(QLatin1Char(':'))) {
        const QString candidate = (dir.isEmpty() ? QStringLiteral(".") : dir) + QLatin1Char('/') + name;
        if (::access(QFile::encodeName(candidate).constData(), X_OK) == 0)
            return QFile::encodeName(candidate).toStdString();
    }
    return name.toStdString();
}

// Every process whose chain of parents leads to `ancestor`, read from /proc; without those that
// have ended and wait to be reaped when skipZombies.
std::vector<pid_t> descendantsOf(pid_t ancestor, bool skipZombies = false)
{
    std::set<pid_t> zombies;
    std::map<pid_t, pid_t> parentOf;
    if (DIR *dir = opendir("/proc")) {
        while (dirent *e = readdir(dir)) {
            char *end = nullptr;
            long pid = std::strtol(e->d_name, &end, 10);
            if (!end || *end != '\0' || pid <= 0)
                continue;
            char path[64];
            std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            FILE *f = std::fopen(path, "re");
            if (!f)
                continue;
            char buf[1024];
            size_t n = std::fread(buf, 1, sizeof buf - 1, f);
            std::fclose(f);
            buf[n] = '\0';
            const char *close = std::strrchr(buf, ')');
            if (!close)
                continue;
            char state = 0;
            int ppid = 0;
            if (std::sscanf(close + 1, " %c %d", &state, &ppid) == 2) {
                parentOf[pid_t(pid)] = pid_t(ppid);
                if (state == 'Z')
                    zombies.insert(pid_t(pid));
            }
        }
        closedir(dir);
    }
    std::vector<pid_t> result;
    for (const auto &[pid, ppid] : parentOf) {
        if (skipZombies && zombies.count(pid))
            continue;
        pid_t p = ppid;
        for (int depth = 0; p > 1 && depth < 4096; ++depth) {
            if (p == ancestor) {
                result.push_back(pid);
                break;
            }
            auto it = parentOf.find(p);
            if (it == parentOf.end())
                break;
            p = it->second;
        }
    }
    return result;
}

// Tasks (threads included) of real user `uid` now: what the kernel counts against RLIMIT_NPROC.
long tasksOfUser(uid_t uid)
{
    long tasks = 0;
    DIR *dir = opendir("/proc");
    if (!dir)
        return -1;
    while (dirent *e = readdir(dir)) {
        char *end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (!end || *end != '\0' || pid <= 0)
            continue;
        char path[64];
        std::snprintf(path, sizeof path, "/proc/%ld/status", pid);
        FILE *f = std::fopen(path, "re");
        if (!f)
            continue;
        char line[256];
        long realUid = -1, threads = 0;
        while (std::fgets(line, sizeof line, f)) {
            if (std::strncmp(line, "Uid:", 4) == 0)
                realUid = std::strtol(line + 4, nullptr, 10);
            else if (std::strncmp(line, "Threads:", 8) == 0)
                threads = std::strtol(line + 8, nullptr, 10);
        }
        std::fclose(f);
        if (realUid == long(uid))
            tasks += threads;
    }
    closedir(dir);
    return tasks;
}

// RLIMIT_NPROC for the root of a tree that may have at most maxProcesses processes, where this
// process is not root: well above what the user runs now plus the tree's allowance (the kernel
// counts threads, and every process of the user), never above a limit already in force. Root is
// not held to it, and needs none: the kernel's process events count the tree.
std::optional<rlimit> processLimitFor(int maxProcesses)
{
    rlimit limit{};
    if (maxProcesses <= 0 || ::geteuid() == 0 || ::getrlimit(RLIMIT_NPROC, &limit) != 0)
        return std::nullopt;
    const long tasks = tasksOfUser(::getuid());
    if (tasks < 0)
        return std::nullopt;
    const rlim_t wanted = rlim_t(tasks) + rlim_t(maxProcesses) * 2 + 64;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur <= wanted)
        return std::nullopt;
    limit.rlim_cur = wanted;
    return limit;
}

} // namespace

QString resolveTargetProgram(const QString &name, const QStringList &environment)
{
    return QFile::decodeName(QByteArray::fromStdString(resolveProgram(name, environment)));
}

struct Launcher::Private {
    LaunchSpec spec;
    int wakePipe[2] = {-1, -1};
    std::atomic<int> cancelRequests{0};
    int recordFd = -1;
    int listenFd = -1;
    std::unique_ptr<OutputSinks> sinks;

    void writeRunInfo(uint32_t event, pid_t rootPid, qint64 tsNs = 0)
    {
        RawHeader h{};
        RawRunInfo info{};
        h.type = RAW_RUN_INFO;
        h.ts_ns = uint64_t(tsNs ? tsNs : monotonicNs());
        h.pid = uint32_t(rootPid);
        h.size = sizeof h + sizeof info;
        info.realtime_ns = realtimeNs() - (tsNs ? monotonicNs() - tsNs : 0);
        info.root_pid = uint32_t(rootPid);
        info.event = event;
        iovec iov[2] = {{&h, sizeof h}, {&info, sizeof info}};
        appendRecord(recordFd, iov, 2);
        writeClock();
    }

    // A reading of the recorder's call clock next to CLOCK_MONOTONIC, so that ingest can
    // turn call times into monotonic ones (rawformat.h, "Traced calls").
    void writeClock()
    {
#if defined(__x86_64__)
        RawHeader h{};
        RawClock c{};
        h.type = RAW_CLOCK;
        h.size = sizeof h + sizeof c;
        const quint64 before = quint64(monotonicNs());
        c.ticks = __builtin_ia32_rdtsc();
        const quint64 after = quint64(monotonicNs());
        h.ts_ns = before + (after - before) / 2;
        iovec iov[2] = {{&h, sizeof h}, {&c, sizeof c}};
        appendRecord(recordFd, iov, 2);
#endif
    }

    void writeProcessLimit(int limit, int count)
    {
        RawHeader h{};
        RawProcessLimit l{};
        h.type = RAW_PROCESS_LIMIT;
        h.ts_ns = uint64_t(monotonicNs());
        h.size = sizeof h + sizeof l;
        l.limit = uint32_t(limit);
        l.count = uint32_t(count);
        iovec iov[2] = {{&h, sizeof h}, {&l, sizeof l}};
        appendRecord(recordFd, iov, 2);
    }

    void writeNote(const QByteArray &text)
    {
        RawHeader h{};
        h.type = RAW_NOTE;
        h.ts_ns = uint64_t(monotonicNs());
        h.size = uint32_t(sizeof h + size_t(text.size()));
        iovec iov[2] = {{&h, sizeof h}, {const_cast<char *>(text.constData()), size_t(text.size())}};
        appendRecord(recordFd, iov, 2);
    }

    bool openListenSocket()
    {
        listenFd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (listenFd < 0)
            return false;
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const QByteArray name = spec.socketName.toUtf8();
        if (name.isEmpty() || size_t(name.size()) >= sizeof addr.sun_path)
            return false;
        std::memcpy(addr.sun_path, name.constData(), size_t(name.size()));
        if (name.startsWith('@'))
            addr.sun_path[0] = '\0';
        const auto len = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(name.size()));
        return ::bind(listenFd, reinterpret_cast<sockaddr *>(&addr), len) == 0 &&
               ::listen(listenFd, 64) == 0;
    }

    // One recorder said hello: take over its streams and acknowledge.
    void acceptRecorder()
    {
        for (;;) {
            int conn = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn < 0)
                return;
            timeval tv{2, 0};
            ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            RawHello hello{};
            char control[CMSG_SPACE(sizeof(int) * 4)];
            iovec iov{&hello, sizeof hello};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            ssize_t got;
            do {
                got = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
            } while (got < 0 && errno == EINTR);
            std::vector<int> fds;
            for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    const size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                    int raw[4];
                    std::memcpy(raw, CMSG_DATA(c), sizeof(int) * std::min<size_t>(n, 4));
                    fds.insert(fds.end(), raw, raw + std::min<size_t>(n, 4));
                }
            }
            bool ok = got == ssize_t(sizeof hello) && hello.version == INITSCOPE_RAW_VERSION;
            size_t next = 0;
            for (int i = 0; ok && i < 2; ++i) {
                if (hello.streams[i] == 0)
                    continue;
                if (next + 1 >= fds.size()) {
                    ok = false;
                    break;
                }
                const int original = fds[next];
                const int readEnd = fds[next + 1];
                next += 2;
                sinks->addCaptured(pid_t(hello.pid), hello.image_key, hello.streams[i], readEnd,
                                   original);
                fds[next - 2] = fds[next - 1] = -1; // now owned by the sink
            }
            for (int fd : fds) {
                if (fd >= 0)
                    ::close(fd);
            }
            const char ack = ok ? 1 : 0;
            (void)!::send(conn, &ack, 1, MSG_NOSIGNAL);
            ::close(conn);
        }
    }

    // Each process gets the signal once: a program that handles SIGTERM (a server whose second
    // SIGTERM means "now") sees what `kill` or a terminal would have sent it, no more.
    void killTree(pid_t root, int sig)
    {
        if (root > 0)
            ::kill(-root, sig);
        // Processes that left the group (setsid, setpgid) are still our descendants: this
        // process is their subreaper.
        std::set<pid_t> signalled;
        for (int round = 0; round < 4; ++round) {
            const auto pids = descendantsOf(::getpid());
            bool any = false;
            for (pid_t p : pids) {
                if (signalled.count(p) || (root > 0 && ::getpgid(p) == root))
                    continue;
                signalled.insert(p);
                ::kill(p, sig);
                any = true;
            }
            if (!any)
                break;
        }
    }
};

Launcher::Launcher(LaunchSpec spec) : d(std::make_unique<Private>())
{
    d->spec = std::move(spec);
    if (::pipe2(d->wakePipe, O_CLOEXEC | O_NONBLOCK) != 0)
        d->wakePipe[0] = d->wakePipe[1] = -1;
}

Launcher::~Launcher()
{
    for (int fd : {d->wakePipe[0], d->wakePipe[1], d->recordFd, d->listenFd}) {
        if (fd >= 0)
            ::close(fd);
    }
}

void Launcher::requestCancel()
{
    d->cancelRequests.fetch_add(1);
    if (d->wakePipe[1] >= 0) {
        const char c = 1;
        (void)!::write(d->wakePipe[1], &c, 1);
    }
}

LaunchResult Launcher::run()
{
    LaunchResult result;
    const LaunchSpec &spec = d->spec;
    if (spec.argv.isEmpty()) {
        result.error = QStringLiteral("no command to run");
        return result;
    }
    const QByteArray recordPath =
        QFile::encodeName(spec.runDirectory + QLatin1Char('/') + QLatin1String(kLauncherRecordFile));
    d->recordFd = ::open(recordPath.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (d->recordFd < 0) {
        result.error = QStringLiteral("cannot write %1: %2")
                           .arg(QFile::decodeName(recordPath), QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    if (!d->openListenSocket()) {
        result.error = QStringLiteral("cannot open the recorder socket: %1")
                           .arg(QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    // Writing to a pipe whose reader is gone must fail with EPIPE here, not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    ProcessEvents events(d->recordFd);
    const bool haveEvents = events.open();
    if (!haveEvents)
        d->writeNote("kernel process events unavailable (" + events.error().toUtf8() +
                     "): exit status known only for processes this launcher reaps");
    result.processEventsAvailable = haveEvents;

    d->sinks = std::make_unique<OutputSinks>(d->recordFd, spec.outputCapBytes);
    std::atomic<bool> stopHit{false};
    std::string stopLine;
    std::mutex stopLineMutex;
    if (!spec.stopOnOutput.isEmpty()) {
        std::vector<std::string> patterns;
        for (const QString &p : spec.stopOnOutput)
            patterns.push_back(p.toStdString());
        d->sinks->watchLines(std::move(patterns), &stopHit, &stopLine, &stopLineMutex);
    }
    if (spec.progress)
        d->sinks->shareTerminalWithProgress();
    int outPipe[2], errPipe[2], execPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0 ||
        ::pipe2(execPipe, O_CLOEXEC) != 0) {
        result.error = QStringLiteral("cannot create pipes: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    const int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);

    const std::string program = resolveProgram(spec.argv.first(), spec.environment);
    CStrings argv(spec.argv);
    CStrings envp(spec.environment);
    const std::string workDir = spec.workingDirectory.toStdString();
    const pid_t launcherPid = ::getpid();
    // Where the kernel would not tell us of forks (not root), its own per-user limit keeps a fork
    // storm from growing faster than the launcher's scans of /proc notice it (processLimitFor).
    const std::optional<rlimit> processLimit = processLimitFor(spec.maxProcesses);

    // vfork(): the child borrows this process's memory until it execs, so starting the target
    // costs no copy of the launcher's page tables (a Qt process of tens of MiB: about a
    // millisecond of the target's start). The child runs only async-signal-safe calls on its
    // own stack; every signal stays blocked until it has reset their handlers, so that none of
    // the launcher's runs in it.
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &previous);
    const qint64 startNs = monotonicNs();
    const pid_t child = ::vfork();
    if (child != 0)
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (child < 0) {
        result.error = QStringLiteral("fork failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    if (child == 0) {
        // Child: async-signal-safe calls only, and no writes to memory it shares with the
        // launcher beyond its own stack.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != launcherPid)
            ::_exit(127);
        for (int s = 1; s < NSIG; ++s)
            ::signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (processLimit)
            ::setrlimit(RLIMIT_NPROC, &*processLimit);
        ::dup2(devNull, STDIN_FILENO);
        ::dup2(outPipe[1], STDOUT_FILENO);
        ::dup2(errPipe[1], STDERR_FILENO);
        if (!workDir.empty() && ::chdir(workDir.c_str()) != 0) {
            const int e = errno;
            (void)!::write(execPipe[1], &e, sizeof e);
            ::_exit(127);
        }
        ::execve(program.c_str(), argv.pointers.data(), envp.pointers.data());
        const int e = errno;
        (void)!::write(execPipe[1], &e, sizeof e);
        ::_exit(127);
    }
    ::setpgid(child, child);
    result.rootPid = child;
    events.addRoot(child);
    // The events are read on a thread of their own from now on. Past the process limit that
    // thread kills the tree's process group at once — a fork storm can keep every CPU busy long
    // enough to starve this loop — and wakes the loop, which does the rest.
    std::atomic<int> overLimitCount{0};
    const int wakeFd = d->wakePipe[1];
    events.start(spec.maxProcesses > 0 ? size_t(spec.maxProcesses) : 0, [&overLimitCount, child, wakeFd](size_t count) {
        ::kill(-child, SIGKILL);
        overLimitCount.store(int(count));
        const char c = 1;
        (void)!::write(wakeFd, &c, 1);
    }, wakeFd);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    ::close(execPipe[1]);
    d->writeRunInfo(1, child, startNs); // t = 0 is the moment before fork()
    // The root's own pipes: whatever the recorder cannot take over (a static binary, a
    // process started before the recorder loads) still ends up here, attributed to the root.
    const int outDest = spec.forwardOutput ? ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
                                           : ::fcntl(devNull, F_DUPFD_CLOEXEC, 3);
    const int errDest = spec.forwardOutput ? ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
                                           : ::fcntl(devNull, F_DUPFD_CLOEXEC, 3);
    d->sinks->addRoot(child, RAW_STREAM_STDOUT, outPipe[0], outDest);
    d->sinks->addRoot(child, RAW_STREAM_STDERR, errPipe[0], errDest);
    if (devNull >= 0)
        ::close(devNull);

    int execErrno = 0;
    ssize_t got;
    do {
        got = ::read(execPipe[0], &execErrno, sizeof execErrno);
    } while (got < 0 && errno == EINTR);
    ::close(execPipe[0]);
    if (got == ssize_t(sizeof execErrno)) {
        result.error = QStringLiteral("cannot run %1: %2")
                           .arg(spec.argv.first(), QString::fromLocal8Bit(strerror(execErrno)));
        int status = 0;
        ::waitpid(child, &status, 0);
        d->sinks->finish();
        d->writeRunInfo(2, child);
        return result;
    }
    result.started = true;

    bool rootExited = false;
    bool stopping = false;
    bool killed = false;
    qint64 stopAtNs = 0;
    qint64 nextCountNs = 0; // when the tree may be counted in /proc again
    // The tree had more processes than allowed: said once, in the result and the records.
    auto noteProcessLimit = [&](size_t count) {
        if (result.processLimitHit)
            return;
        result.processLimitHit = true;
        result.processesSeen = int(count);
        d->writeProcessLimit(spec.maxProcesses, int(count));
        events.clearLimit(); // from now on every event is read: the exits to come
    };
    const qint64 deadlineNs = spec.timeoutMs ? startNs + *spec.timeoutMs * 1000000 : 0;
    LaunchProgress progress;
    progress.processes = -1;
    qint64 nextProgressCountNs = 0; // when /proc may be scanned again for the progress line
    for (;;) {
        // Reap: the root, and every orphan that the subreaper role hands us.
        for (;;) {
            int status = 0;
            const pid_t p = ::waitpid(-1, &status, WNOHANG | __WALL);
            if (p <= 0)
                break;
            events.recordWaitStatus(p, status);
            if (p == child) {
                rootExited = true;
                if (WIFEXITED(status))
                    result.exitCode = WEXITSTATUS(status);
                else if (WIFSIGNALED(status))
                    result.exitSignal = WTERMSIG(status);
            }
        }
        if (rootExited) {
            siginfo_t info{};
            if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0 &&
                errno == ECHILD)
                break; // the root is gone and so is every descendant
        }
        const qint64 now = monotonicNs();
        if (!stopping && deadlineNs && now >= deadlineNs) {
            result.timedOut = true;
            d->writeRunInfo(3, child);
            stopping = true;
        }
        if (!stopping && stopHit.load()) {
            // A planned end: the run did what it was started for.
            std::lock_guard lock(stopLineMutex);
            result.stoppedByRule = true;
            result.stopLine = QString::fromStdString(stopLine);
            stopping = true;
        }
        if (!stopping && spec.maxProcesses > 0) {
            // The events' thread counts the tree as it forks and exits (overLimitCount). Where
            // the events are missing (not root) or some were dropped, /proc is counted instead,
            // now and then.
            const size_t limit = size_t(spec.maxProcesses);
            size_t count = size_t(overLimitCount.load());
            if (count == 0 && (!haveEvents || events.suspect()) && now >= nextCountNs) {
                const std::vector<pid_t> live = descendantsOf(launcherPid, true);
                if (haveEvents)
                    events.resync(live);
                count = live.size();
                nextCountNs = now + 250 * 1000000ll;
            }
            if (count > limit) {
                // A fork storm: no grace, it would only grow. Killed at once, as a second
                // Ctrl-C does; what was recorded is kept.
                noteProcessLimit(count);
                stopping = true;
                stopAtNs = now;
                d->killTree(child, SIGKILL);
                killed = true;
            }
        }
        const int cancels = d->cancelRequests.load();
        if (!stopping && cancels > 0) {
            result.cancelled = true;
            d->writeRunInfo(4, child);
            stopping = true;
        }
        if (stopping && stopAtNs == 0) {
            d->killTree(child, SIGTERM);
            stopAtNs = now + spec.killGraceMs * 1000000;
        } else if (stopping && !killed && (now >= stopAtNs || cancels > (result.cancelled ? 1 : 0))) {
            // Grace is over, or the user asked again: no more waiting.
            d->killTree(child, SIGKILL);
            killed = true;
        } else if (killed) {
            d->killTree(child, SIGKILL); // late forks
        }

        if (spec.progress) {
            // The events' own count when it is trustworthy; else /proc, twice a second at most.
            if (haveEvents && !events.suspect()) {
                progress.processes = int(events.liveProcesses());
            } else if (now >= nextProgressCountNs) {
                progress.processes = int(descendantsOf(launcherPid, true).size());
                nextProgressCountNs = now + 500 * 1000000ll;
            }
            progress.elapsedMs = (now - startNs) / 1000000;
            progress.outputBytes = d->sinks->bytesRead();
            spec.progress(progress);
        }
        std::vector<pollfd> fds;
        fds.push_back({d->listenFd, POLLIN, 0});
        fds.push_back({d->wakePipe[0], POLLIN, 0});
        int waitMs = 50;
        if (deadlineNs && !stopping)
            waitMs = int(std::clamp<qint64>((deadlineNs - now) / 1000000, 0, 50));
        ::poll(fds.data(), nfds_t(fds.size()), waitMs);
        if (fds[0].revents & POLLIN)
            d->acceptRecorder();
        if (fds[1].revents & POLLIN) {
            char buf[64];
            while (::read(d->wakePipe[0], buf, sizeof buf) > 0) {
            }
        }
    }
    // The events' thread may have killed the tree so fast that it was gone before this loop
    // looked at the count again.
    if (const int count = overLimitCount.load(); count > 0)
        noteProcessLimit(size_t(count));
    events.stop();
    if (haveEvents)
        events.drain();
    // Every writer is gone, so every sink reaches end of file and its thread ends.
    d->sinks->finish();
    d->writeRunInfo(2, child);
    return result;
}

} // namespace initscope
