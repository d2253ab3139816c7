#include "calllog.h"

#include "rawformat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace initscope::recorder {

namespace {

constexpr uint64_t kReserve = 1ull << 30;      // address space kept for the file: 1 GiB
constexpr uint64_t kSegment = 4ull << 20;      // the file grows 4 MiB at a time

const char *g_runDir = nullptr;
int g_fd = -1;
char *g_base = nullptr;
pid_t g_pid = 0;
uint64_t g_next = 0;       // atomic: next free offset
uint64_t g_mapped = 0;     // atomic: bytes of the file mapped at g_base
int g_growLock = 0;        // atomic spin lock for growing
int g_initLock = 0;
uint64_t g_dropped = 0;    // atomic

void lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}

void unlock(int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

size_t appendDecimal(char *dst, size_t pos, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        dst[pos++] = tmp[--n];
    return pos;
}

// Opens <run-dir>/<pid>.calls and reserves address space for it. Runs once per process,
// on the first traced call.
bool open()
{
    if (!g_runDir || !g_runDir[0])
        return false;
    char path[700];
    size_t len = strlen(g_runDir);
    if (len > 600)
        return false;
    memcpy(path, g_runDir, len);
    path[len++] = '/';
    len = appendDecimal(path, len, uint64_t(g_pid));
    memcpy(path + len, ".calls", 7);
    int fd = ::open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    void *base = mmap(nullptr, kReserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        close(fd);
        return false;
    }
    g_fd = fd;
    g_base = static_cast<char *>(base);
    __atomic_store_n(&g_next, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&g_mapped, 0, __ATOMIC_RELEASE);
    return true;
}

// Makes [0, end) of the file mapped. Only the thread holding the lock grows; others wait.
bool ensureMapped(uint64_t end)
{
    if (__atomic_load_n(&g_mapped, __ATOMIC_ACQUIRE) >= end)
        return true;
    lock(&g_growLock);
    uint64_t mapped = __atomic_load_n(&g_mapped, __ATOMIC_ACQUIRE);
    bool ok = true;
    while (ok && mapped < end) {
        const uint64_t next = mapped + kSegment;
        if (next > kReserve || ftruncate(g_fd, off_t(next)) != 0 ||
            mmap(g_base + mapped, kSegment, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, g_fd,
                 off_t(mapped)) == MAP_FAILED) {
            ok = false;
            break;
        }
        mapped = next;
        __atomic_store_n(&g_mapped, mapped, __ATOMIC_RELEASE);
    }
    unlock(&g_growLock);
    return ok;
}

RawInflightSlot *g_inflight = nullptr; // INITSCOPE_INFLIGHT_THREADS slots, shared with the file
unsigned g_inflightNext = 0;           // atomic
int g_inflightLock = 0;

bool openInflight()
{
    char path[700];
    size_t len = strlen(g_runDir);
    if (len > 600)
        return false;
    memcpy(path, g_runDir, len);
    path[len++] = '/';
    len = appendDecimal(path, len, uint64_t(g_pid));
    memcpy(path + len, ".inflight", 10);
    const int fd = ::open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    const size_t size = sizeof(RawInflightSlot) * INITSCOPE_INFLIGHT_THREADS;
    void *m = MAP_FAILED;
    if (ftruncate(fd, off_t(size)) == 0)
        m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); // the mapping keeps the file
    if (m == MAP_FAILED)
        return false;
    g_inflight = static_cast<RawInflightSlot *>(m);
    return true;
}

bool ready()
{
    if (__atomic_load_n(&g_base, __ATOMIC_ACQUIRE))
        return true;
    lock(&g_initLock);
    bool ok = g_base != nullptr;
    if (!ok) {
        g_pid = pid_t(syscall(SYS_getpid));
        ok = open();
    }
    unlock(&g_initLock);
    return ok;
}

} // namespace

void callLogInit(const char *runDir)
{
    g_runDir = runDir;
}

bool callLogAppend(uint16_t type, uint64_t tsNs, uint32_t tid, const struct iovec *parts, int count)
{
    if (!ready())
        return false;
    size_t total = sizeof(RawHeader);
    for (int i = 0; i < count; ++i)
        total += parts[i].iov_len;
    const uint64_t size = (total + 7) & ~uint64_t(7);
    if (size > kSegment) {
        __atomic_add_fetch(&g_dropped, 1, __ATOMIC_RELAXED);
        return false;
    }
    const uint64_t at = __atomic_fetch_add(&g_next, size, __ATOMIC_RELAXED);
    if (at + size > kReserve || !ensureMapped(at + size)) {
        __atomic_add_fetch(&g_dropped, 1, __ATOMIC_RELAXED);
        return false;
    }
    char *dst = g_base + at;
    RawHeader h;
    h.size = 0; // committed last
    h.type = type;
    h.flags = 0;
    h.ts_ns = tsNs;
    h.pid = uint32_t(g_pid);
    h.tid = tid;
    memcpy(dst, &h, sizeof h);
    size_t pos = sizeof h;
    for (int i = 0; i < count; ++i) {
        memcpy(dst + pos, parts[i].iov_base, parts[i].iov_len);
        pos += parts[i].iov_len;
    }
    __atomic_store_n(reinterpret_cast<uint32_t *>(dst), uint32_t(size), __ATOMIC_RELEASE);
    return true;
}

RawInflightSlot *inflightSlot(uint32_t tid)
{
    if (!ready())
        return nullptr;
    if (!__atomic_load_n(&g_inflight, __ATOMIC_ACQUIRE)) {
        lock(&g_inflightLock);
        if (!g_inflight)
            openInflight();
        unlock(&g_inflightLock);
    }
    if (!g_inflight)
        return nullptr;
    const unsigned i = __atomic_fetch_add(&g_inflightNext, 1, __ATOMIC_RELAXED);
    if (i >= INITSCOPE_INFLIGHT_THREADS)
        return nullptr;
    RawInflightSlot *slot = &g_inflight[i];
    slot->depth = 0;
    __atomic_store_n(&slot->tid, tid, __ATOMIC_RELEASE);
    return slot;
}

void callLogAfterFork()
{
    if (g_inflight)
        munmap(g_inflight, sizeof(RawInflightSlot) * INITSCOPE_INFLIGHT_THREADS);
    g_inflight = nullptr;
    g_inflightNext = 0;
    g_inflightLock = 0;
    // The inherited mapping still points at the parent's file: leave it to the parent and
    // start a file of our own on the next record.
    if (g_base)
        munmap(g_base, kReserve);
    if (g_fd >= 0)
        close(g_fd);
    g_fd = -1;
    g_base = nullptr;
    g_initLock = 0;
    g_growLock = 0;
}

} // namespace initscope::recorder
