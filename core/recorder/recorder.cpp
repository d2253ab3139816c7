// The InitScope recorder: an rtld-audit module (LD_AUDIT) loaded into every process of a
// recorded tree. It writes raw facts — which library paths the loader tried, which objects it
// mapped, the program's argv and environment — to <run-dir>/<pid>.rec, and hands the
// process's stdout/stderr to the launcher so that every byte is kept even when a parent
// swallows it.
//
// Rules for this file: libc only (the module lives in the loader's audit namespace with its
// own copy of libc), no malloc or stdio, no exceptions, errno preserved in every entry point,
// one writev(2) per record so that a record is durable once the call returns, and nothing
// that could change the outcome of the program being recorded: every failure here degrades to
// "not recorded", never to an error in the target.

#include "calltrace.h"
#include "rawformat.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace {

int g_fd = -1;            // this image's record file, O_APPEND | O_CLOEXEC
pid_t g_pid = 0;          // pid the file belongs to; differs from getpid() after fork()
uint64_t g_imageKey = 0;  // header timestamp of this image's RAW_PROC_START
char g_runDir[512];
dev_t g_fileDev = 0;      // identity of our record file, to notice a program that closed
ino_t g_fileIno = 0;      // our descriptor and reused its number for a file of its own

__thread pid_t t_tid = 0;
__thread int t_inHook = 0;

// Keeps errno and re-entry under control in every entry point.
class HookScope
{
public:
    HookScope() : m_errno(errno), m_outer(t_inHook == 0) { ++t_inHook; }
    ~HookScope()
    {
        --t_inHook;
        errno = m_errno;
    }
    bool outermost() const { return m_outer; }

private:
    int m_errno;
    bool m_outer;
};

uint64_t monotonicNs()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

int64_t realtimeNs()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000ll + int64_t(ts.tv_nsec);
}

pid_t currentTid()
{
    if (t_tid == 0)
        t_tid = pid_t(syscall(SYS_gettid));
    return t_tid;
}

// Small formatting helpers: no snprintf in here.
size_t appendStr(char *dst, size_t pos, size_t cap, const char *s)
{
    while (*s && pos + 1 < cap)
        dst[pos++] = *s++;
    dst[pos] = '\0';
    return pos;
}

size_t appendUInt(char *dst, size_t pos, size_t cap, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && pos + 1 < cap)
        dst[pos++] = tmp[--n];
    dst[pos] = '\0';
    return pos;
}

// One record = one writev(2) on an O_APPEND file: the kernel appends it as a unit, and once
// the call has returned the bytes survive the death of this process.
bool openRecordFile();

// Programs that close every descriptor they did not open (daemons, close_range) may take
// our descriptor's number for a file of their own; never write into it.
bool recordFileIntact()
{
    if (g_fd < 0)
        return false;
    struct stat st;
    if (fstat(g_fd, &st) == 0 && st.st_dev == g_fileDev && st.st_ino == g_fileIno)
        return true;
    g_fd = -1;
    return openRecordFile();
}

void writeRecord(uint16_t type, const struct iovec *parts, int count)
{
    if (!recordFileIntact())
        return;
    struct RawHeader h;
    h.type = type;
    h.flags = 0;
    h.ts_ns = monotonicNs();
    h.pid = uint32_t(g_pid);
    h.tid = uint32_t(currentTid());
    size_t total = sizeof h;
    struct iovec iov[8];
    iov[0].iov_base = &h;
    iov[0].iov_len = sizeof h;
    int n = 1;
    for (int i = 0; i < count && n < 8; ++i) {
        if (parts[i].iov_len == 0)
            continue;
        iov[n++] = parts[i];
        total += parts[i].iov_len;
    }
    h.size = uint32_t(total);
    for (;;) {
        ssize_t w = writev(g_fd, iov, n);
        if (w >= 0 || errno != EINTR)
            break;
    }
}

void writeNote(const char *text)
{
    struct iovec part = {const_cast<char *>(text), strlen(text)};
    writeRecord(RAW_NOTE, &part, 1);
}

// Reads a whole /proc file into an anonymous mapping (the sizes of environ and cmdline are
// not bounded by anything useful). Returns the mapping, its capacity in *cap and the bytes
// read in *len; nullptr when the file cannot be read.
char *slurp(const char *path, size_t *len, size_t *cap)
{
    *len = 0;
    *cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nullptr;
    size_t capacity = 64 * 1024;
    char *buf = static_cast<char *>(
        mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (buf == MAP_FAILED) {
        close(fd);
        return nullptr;
    }
    size_t used = 0;
    for (;;) {
        if (used == capacity) {
            void *bigger = mremap(buf, capacity, capacity * 2, MREMAP_MAYMOVE);
            if (bigger == MAP_FAILED)
                break;
            buf = static_cast<char *>(bigger);
            capacity *= 2;
        }
        ssize_t r = read(fd, buf + used, capacity - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        used += size_t(r);
    }
    close(fd);
    *len = used;
    *cap = capacity;
    return buf;
}

uint64_t procStartTicks()
{
    size_t len, cap;
    char *stat = slurp("/proc/self/stat", &len, &cap);
    if (!stat)
        return 0;
    // Field 2 (comm) may contain spaces and parentheses; count fields after the last ')'.
    size_t i = len;
    while (i > 0 && stat[i - 1] != ')')
        --i;
    int field = 2;
    uint64_t value = 0;
    for (; i < len; ++i) {
        if (stat[i] == ' ') {
            ++field;
            continue;
        }
        if (field == 22) {
            if (stat[i] < '0' || stat[i] > '9')
                break;
            value = value * 10 + uint64_t(stat[i] - '0');
        } else if (field > 22) {
            break;
        }
    }
    munmap(stat, cap);
    return value;
}

void writeProcStart()
{
    char exe[4096];
    ssize_t exeLen = readlink("/proc/self/exe", exe, sizeof exe);
    if (exeLen < 0)
        exeLen = 0;
    size_t cmdLen, cmdCap, envLen, envCap;
    char *cmd = slurp("/proc/self/cmdline", &cmdLen, &cmdCap);
    char *env = slurp("/proc/self/environ", &envLen, &envCap);

    struct RawProcStart s;
    memset(&s, 0, sizeof s);
    s.version = INITSCOPE_RAW_VERSION;
    s.ppid = uint32_t(getppid());
    s.proc_start_ticks = procStartTicks();
    s.realtime_ns = realtimeNs();
    s.exe_len = uint32_t(exeLen);
    s.cmdline_len = uint32_t(cmdLen);
    s.environ_len = uint32_t(envLen);

    // The image key is the header timestamp; take it here so the launcher and the record
    // agree on it. writeRecord stamps again, so write the header by hand for this one.
    struct RawHeader h;
    h.type = RAW_PROC_START;
    h.flags = 0;
    h.ts_ns = monotonicNs();
    h.pid = uint32_t(g_pid);
    h.tid = uint32_t(currentTid());
    h.size = uint32_t(sizeof h + sizeof s + size_t(exeLen) + cmdLen + envLen);
    g_imageKey = h.ts_ns;
    struct iovec iov[5] = {
        {&h, sizeof h}, {&s, sizeof s}, {exe, size_t(exeLen)}, {cmd, cmdLen}, {env, envLen}};
    if (g_fd >= 0) {
        while (writev(g_fd, iov, 5) < 0 && errno == EINTR) {
        }
    }
    if (cmd)
        munmap(cmd, cmdCap);
    if (env)
        munmap(env, envCap);
}

bool openRecordFile()
{
    char path[600];
    size_t pos = appendStr(path, 0, sizeof path, g_runDir);
    pos = appendStr(path, pos, sizeof path, "/");
    pos = appendUInt(path, pos, sizeof path, uint64_t(g_pid));
    appendStr(path, pos, sizeof path, ".rec");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    // Keep the descriptor out of the way of programs that assume low numbers are theirs.
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return false;
    }
    g_fileDev = st.st_dev;
    g_fileIno = st.st_ino;
    g_fd = fd;
    return true;
}

// After fork() without exec the child still runs this image; give it its own file so its
// records carry its pid.
void followFork()
{
    pid_t now = getpid();
    if (now == g_pid || g_runDir[0] == '\0')
        return;
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
    g_pid = now;
    t_tid = 0;
    if (openRecordFile())
        writeProcStart();
}

void recordCapture(uint32_t stream, int status)
{
    struct RawCapture c = {stream, status};
    struct iovec part = {&c, sizeof c};
    writeRecord(RAW_CAPTURE, &part, 1);
}

// Hands stdout and stderr to the launcher: for each stream a new pipe replaces the
// descriptor, and the launcher receives the read end plus the original descriptor so that
// it can pass every byte on unchanged. The pipe's write end takes the original's place only
// after the launcher has acknowledged, so no byte is ever written where nobody reads.
void captureOutput(const char *socketName)
{
    // Which streams the program has, asked before this function opens anything: a closed fd 1
    // or 2 would otherwise be taken by our socket or a pipe end, look open, and be left open
    // in the program (which would then write where it meant to get EBADF).
    const int targets[2] = {STDOUT_FILENO, STDERR_FILENO};
    bool hasStream[2];
    int closedErrno[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
        struct stat st;
        hasStream[i] = fstat(targets[i], &st) == 0;
        if (!hasStream[i])
            closedErrno[i] = errno;
    }
    int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t nameLen = strlen(socketName);
    if (nameLen == 0 || nameLen >= sizeof addr.sun_path) {
        close(sock);
        return;
    }
    memcpy(addr.sun_path, socketName, nameLen);
    if (socketName[0] == '@')
        addr.sun_path[0] = '\0'; // abstract namespace
    socklen_t addrLen = socklen_t(offsetof(struct sockaddr_un, sun_path) + nameLen);
    if (connect(sock, reinterpret_cast<struct sockaddr *>(&addr), addrLen) < 0) {
        recordCapture(RAW_STREAM_STDOUT, errno);
        recordCapture(RAW_STREAM_STDERR, errno);
        close(sock);
        return;
    }
    struct timeval tv = {10, 0};
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    struct RawHello hello;
    memset(&hello, 0, sizeof hello);
    hello.version = INITSCOPE_RAW_VERSION;
    hello.pid = uint32_t(g_pid);
    hello.image_key = g_imageKey;

    int fds[4];
    int fdCount = 0;
    int pipes[2][2] = {{-1, -1}, {-1, -1}};
    const uint32_t streams[2] = {RAW_STREAM_STDOUT, RAW_STREAM_STDERR};
    for (int i = 0; i < 2; ++i) {
        if (!hasStream[i]) {
            recordCapture(streams[i], closedErrno[i]); // closed: nothing to capture
            continue;
        }
        if (pipe2(pipes[i], O_CLOEXEC) < 0) {
            recordCapture(streams[i], errno);
            continue;
        }
        hello.streams[i] = streams[i];
        fds[fdCount++] = targets[i];
        fds[fdCount++] = pipes[i][0];
    }
    bool acknowledged = false;
    if (fdCount > 0) {
        char control[CMSG_SPACE(sizeof(int) * 4)];
        memset(control, 0, sizeof control);
        struct iovec iov = {&hello, sizeof hello};
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * size_t(fdCount));
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * size_t(fdCount));
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * size_t(fdCount));
        ssize_t sent;
        do {
            sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        if (sent == ssize_t(sizeof hello)) {
            char ack = 0;
            ssize_t got;
            do {
                got = recv(sock, &ack, 1, 0);
            } while (got < 0 && errno == EINTR);
            acknowledged = got == 1 && ack == 1;
        }
    }
    for (int i = 0; i < 2; ++i) {
        if (pipes[i][0] < 0)
            continue;
        close(pipes[i][0]);
        if (acknowledged) {
            int flags = fcntl(targets[i], F_GETFD);
            dup2(pipes[i][1], targets[i]);
            if (flags >= 0 && (flags & FD_CLOEXEC))
                fcntl(targets[i], F_SETFD, FD_CLOEXEC);
            recordCapture(streams[i], 0);
        } else {
            recordCapture(streams[i], ECONNREFUSED);
        }
        close(pipes[i][1]);
    }
    close(sock);
}

// Shims to inject, from INITSCOPE_SHIMS: lines of SONAME=PATH.
struct Shim {
    char soname[128];
    char path[512];
};
Shim g_shims[16];
int g_shimCount = 0;

void loadShims()
{
    const char *spec = getenv(INITSCOPE_ENV_SHIMS);
    while (spec && *spec && g_shimCount < 16) {
        const char *end = strchr(spec, '\n');
        const size_t len = end ? size_t(end - spec) : strlen(spec);
        const char *eq = static_cast<const char *>(memchr(spec, '=', len));
        if (eq) {
            Shim &sh = g_shims[g_shimCount];
            const size_t n = size_t(eq - spec);
            const size_t m = len - n - 1;
            if (n > 0 && n < sizeof sh.soname && m > 0 && m < sizeof sh.path) {
                memcpy(sh.soname, spec, n);
                sh.soname[n] = '\0';
                memcpy(sh.path, eq + 1, m);
                sh.path[m] = '\0';
                ++g_shimCount;
            }
        }
        spec = end ? end + 1 : nullptr;
    }
}

const char *shimFor(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (int i = 0; i < g_shimCount; ++i) {
        if (strcmp(base, g_shims[i].soname) == 0 && strcmp(name, g_shims[i].path) != 0)
            return g_shims[i].path;
    }
    return nullptr;
}

bool isShimPath(const char *path)
{
    for (int i = 0; i < g_shimCount; ++i) {
        if (strcmp(path, g_shims[i].path) == 0)
            return true;
    }
    return false;
}

// The libraries whose entry points are traced, by file name: the driver, the runtime and
// NVML, whether real or a shim that answers under their names.
bool isGpuLibrary(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "libcuda.so", 10) == 0 || strncmp(base, "libcudart.so", 12) == 0 ||
           strncmp(base, "libnvidia-ml.so", 15) == 0 || isShimPath(path);
}

void copyEnv(char *dst, size_t cap, const char *name)
{
    dst[0] = '\0';
    const char *v = getenv(name);
    if (v)
        appendStr(dst, 0, cap, v);
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) unsigned int la_version(unsigned int version)
{
    HookScope scope;
    if (version < 1)
        return 0;
    copyEnv(g_runDir, sizeof g_runDir, INITSCOPE_ENV_RUN_DIR);
    g_pid = getpid();
    initscope::recorder::callTraceInit(g_runDir);
    loadShims();
    if (g_runDir[0] != '\0' && openRecordFile()) {
        writeProcStart();
        char socketName[128];
        copyEnv(socketName, sizeof socketName, INITSCOPE_ENV_SOCKET);
        if (socketName[0] != '\0')
            captureOutput(socketName);
        else
            writeNote("output capture off: " INITSCOPE_ENV_SOCKET " is not set");
    }
    return version < LAV_CURRENT ? version : LAV_CURRENT;
}

__attribute__((visibility("default"))) char *la_objsearch(const char *name, uintptr_t *cookie,
                                                          unsigned int flag)
{
    HookScope scope;
    followFork();
    struct RawLibSearch s;
    s.requester = cookie ? uint64_t(*cookie) : 0;
    s.origin = flag;
    s.name_len = uint32_t(strlen(name));
    s.redirected_len = 0;
    // A bare name is not a path; everything else is checked so that a reader can tell
    // "absent" from "present but rejected by the loader".
    s.exists = strchr(name, '/') ? (access(name, F_OK) == 0 ? 1 : 0) : -1;
    // A shim under test answers wherever its SONAME is asked for, by bare name or by path;
    // every other request is left to the loader's own search.
    const char *shim = (flag & LA_SER_ORIG) ? shimFor(name) : nullptr;
    s.redirected_len = shim ? uint32_t(strlen(shim)) : 0;
    struct iovec parts[3] = {{&s, sizeof s},
                             {const_cast<char *>(name), s.name_len},
                             {const_cast<char *>(shim ? shim : ""), s.redirected_len}};
    writeRecord(RAW_LIB_SEARCH, parts, 3);
    return const_cast<char *>(shim ? shim : name);
}

__attribute__((visibility("default"))) unsigned int la_objopen(struct link_map *map, Lmid_t lmid,
                                                               uintptr_t *cookie)
{
    HookScope scope;
    followFork();
    struct RawLibOpen o;
    o.cookie = uint64_t(uintptr_t(map));
    o.lmid = int64_t(lmid);
    o.base = uint64_t(map->l_addr);
    const char *name = map->l_name ? map->l_name : "";
    o.name_len = uint32_t(strlen(name));
    o.reserved = 0;
    *cookie = uintptr_t(map);
    struct iovec parts[2] = {{&o, sizeof o}, {const_cast<char *>(name), o.name_len}};
    writeRecord(RAW_LIB_OPEN, parts, 2);
    // Bindings from every object are seen, but only those into the GPU libraries reach
    // la_symbind64: everything else binds at full speed.
    return LA_FLG_BINDFROM | (isGpuLibrary(name) ? unsigned(LA_FLG_BINDTO) : 0u);
}

__attribute__((visibility("default"))) uintptr_t la_symbind64(Elf64_Sym *sym, unsigned int ndx,
                                                              uintptr_t *refcook, uintptr_t *defcook,
                                                              unsigned int *flags,
                                                              const char *symname)
{
    HookScope scope;
    (void)ndx;
    (void)refcook;
    (void)defcook;
    *flags |= LA_SYMB_NOPLTENTER | LA_SYMB_NOPLTEXIT;
    if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || !symname ||
        initscope::recorder::apiOfName(symname) == 0)
        return sym->st_value;
    const uint32_t reach = (*flags & LA_SYMB_DLSYM) ? RAW_REACH_DLSYM : RAW_REACH_BINDING;
    return uintptr_t(initscope::recorder::traceFunction(reinterpret_cast<void *>(sym->st_value),
                                                        symname, reach));
}

__attribute__((visibility("default"))) unsigned int la_objclose(uintptr_t *cookie)
{
    HookScope scope;
    followFork();
    struct RawLibClose c = {uint64_t(*cookie)};
    struct iovec part = {&c, sizeof c};
    writeRecord(RAW_LIB_CLOSE, &part, 1);
    return 0;
}

__attribute__((visibility("default"))) void la_activity(uintptr_t *cookie, unsigned int flag)
{
    HookScope scope;
    followFork();
    struct RawActivity a = {cookie ? uint64_t(*cookie) : 0, flag, 0};
    struct iovec part = {&a, sizeof a};
    writeRecord(RAW_ACTIVITY, &part, 1);
}

__attribute__((visibility("default"))) void la_preinit(uintptr_t *cookie)
{
    HookScope scope;
    (void)cookie;
    followFork();
    writeRecord(RAW_PREINIT, nullptr, 0);
}

} // extern "C"
