#include "calllog.h"

#include "rawformat.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

namespace initscope::recorder {

namespace {

constexpr uint32_t kLanes = 16;             // the last one is shared by threads beyond the rest
constexpr uint32_t kLaneSize = kLaneBytes;  // a power of two
constexpr size_t kHeaderBytes = 4096;       // RawRingHeader, then RawLane[kLanes] at 64
constexpr size_t kRingBytes = kHeaderBytes + size_t(kLanes) * kLaneSize;

static_assert(sizeof(RawRingHeader) <= 64, "ring header fits its cache line");
static_assert(sizeof(RawLane) == 64, "one lane header per cache line");
static_assert(64 + kLanes * sizeof(RawLane) <= kHeaderBytes, "lane headers fit the header page");

const char *g_runDir = nullptr;

pid_t g_pid = 0;
RawRingHeader *g_ring = nullptr; // atomic pointer: set once the ring is ready
int g_callsFd = -1;

uint32_t g_laneNext = 0;         // atomic: lanes handed out
int g_initLock = 0;
bool g_initFailed = false;

void lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}

void unlock(int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

void lock32(uint32_t *l)
{
    while (__atomic_exchange_n(l, 1u, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}

void unlock32(uint32_t *l)
{
    __atomic_store_n(l, 0u, __ATOMIC_RELEASE);
}

uint64_t monoNs()
{
    return monotonicNs();
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

// The TSC is a usable call clock when it runs at a constant rate through every power state
// (CPUID 0x80000007 EDX bit 8) and the kernel itself keeps time with it, which it does only
// when it found the TSC synchronised across CPUs.
bool tscUsable()
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return false;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d) || !(d & (1u << 8)))
        return false;
    const int fd = ::open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                          O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[16] = {};
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 3 && memcmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
}

// Gives fd its size with every block allocated. Only a file system that cannot allocate ahead
// (EOPNOTSUPP) gets a sparse file instead; a full disk (ENOSPC) is a failure, because a store
// into a sparse page of a shared mapping on a full disk is a SIGBUS in the target.
bool reserveFile(int fd, size_t size)
{
    if (fallocate(fd, 0, 0, off_t(size)) == 0)
        return true;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return false;
    return ftruncate(fd, off_t(size)) == 0;
}

int highFd(int fd)
{
    const int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

// Creates <run-dir>/<stem>.ring and <stem>.calls; stem is the pid, or pid.N when an earlier
// image of this pid (before an exec) left its own pair.
bool openRing()
{
    if (!g_runDir || !g_runDir[0])
        return false;
    const size_t dirLen = strlen(g_runDir);
    if (dirLen > 600)
        return false;
    char path[700];
    memcpy(path, g_runDir, dirLen);
    size_t stemEnd = 0;
    int ringFd = -1;
    for (unsigned n = 0; n < 64 && ringFd < 0; ++n) {
        size_t len = dirLen;
        path[len++] = '/';
        len = appendDecimal(path, len, uint64_t(g_pid));
        if (n > 0) {
            path[len++] = '.';
            len = appendDecimal(path, len, n);
        }
        stemEnd = len;
        memcpy(path + len, ".ring", 6);
        ringFd = ::open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (ringFd < 0 && errno != EEXIST)
            return false;
    }
    if (ringFd < 0)
        return false;
    // Blocks reserved now: a full disk fails here, never as SIGBUS on a later store. The empty
    // file stays behind, so ingest can say that this process's calls could not be recorded.
    if (!reserveFile(ringFd, kRingBytes)) {
        close(ringFd);
        return false;
    }
    void *m = mmap(nullptr, kRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED, ringFd, 0);
    close(ringFd); // the mapping keeps the file
    if (m == MAP_FAILED)
        return false;
    memcpy(path + stemEnd, ".calls", 7);
    const int callsFd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (callsFd < 0) {
        munmap(m, kRingBytes);
        return false;
    }
    g_callsFd = highFd(callsFd);
    auto *h = static_cast<RawRingHeader *>(m);
    h->version = INITSCOPE_RAW_VERSION;
    h->pid = uint32_t(g_pid);
    h->clock = g_callClockIsTsc ? RAW_CLOCK_TSC : RAW_CLOCK_MONOTONIC;
    h->lanes = kLanes;
    h->lane_size = kLaneSize;
    h->mono0_ns = monoNs();
    h->ticks0 = callTicks();
    __atomic_store_n(&h->magic, INITSCOPE_RING_MAGIC, __ATOMIC_RELEASE);
    g_laneNext = 0;
    __atomic_store_n(&g_ring, h, __ATOMIC_RELEASE);
    return true;
}

// The ring, created on the first record of the process. Returns nullptr (and keeps
// returning it) when it cannot be made.
RawRingHeader *ring(bool *created)
{
    RawRingHeader *r = __atomic_load_n(&g_ring, __ATOMIC_ACQUIRE);
    if (__builtin_expect(r != nullptr, 1) || g_initFailed)
        return r;
    const int savedErrno = errno;
    lock(&g_initLock);
    r = g_ring;
    if (!r && !g_initFailed) {
        g_pid = pid_t(syscall(SYS_getpid));
        if (openRing()) {
            r = g_ring;
            *created = true;
        } else {
            g_initFailed = true;
        }
    }
    unlock(&g_initLock);
    errno = savedErrno;
    return r;
}

RawLane *laneAt(RawRingHeader *r, uint32_t i)
{
    return reinterpret_cast<RawLane *>(reinterpret_cast<char *>(r) + 64 + size_t(i) * 64);
}

char *laneData(RawRingHeader *r, uint32_t i)
{
    return reinterpret_cast<char *>(r) + kHeaderBytes + size_t(i) * kLaneSize;
}

// Appends the lane's unread bytes [tail, head) to the .calls file as one block and frees
// them. Whoever fills the lane does this; the lock keeps two flushers apart.
void flushLane(RawRingHeader *r, uint32_t index)
{
    const int savedErrno = errno;
    RawLane *lane = laneAt(r, index);
    lock32(&lane->flusher);
    const uint64_t tail = __atomic_load_n(&lane->tail, __ATOMIC_ACQUIRE);
    const uint64_t head = __atomic_load_n(&lane->head, __ATOMIC_ACQUIRE);
    if (head != tail) {
        const uint64_t size = head - tail;
        RawBlock b;
        b.magic = INITSCOPE_BLOCK_MAGIC;
        b.lane = index;
        b.offset = tail;
        b.size = size;
        b.mono_ns = monoNs();
        b.ticks = callTicks();
        const char *data = laneData(r, index);
        const uint64_t from = tail & (kLaneSize - 1);
        const uint64_t first = from + size <= kLaneSize ? size : kLaneSize - from;
        struct iovec iov[3] = {{&b, sizeof b},
                               {const_cast<char *>(data + from), size_t(first)},
                               {const_cast<char *>(data), size_t(size - first)}};
        const int parts = size == first ? 2 : 3;
        const uint64_t total = (sizeof b + size + 7) & ~uint64_t(7);
        const uint64_t at = __atomic_fetch_add(&r->file_end, total, __ATOMIC_RELAXED);
        uint64_t done = 0;
        int i = 0;
        // pwritev may write less than asked (a signal, a nearly full disk): go on from there.
        while (i < parts) {
            const ssize_t n = pwritev(g_callsFd, iov + i, parts - i, off_t(at + done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += uint64_t(n);
            size_t left = size_t(n);
            while (i < parts && left >= iov[i].iov_len)
                left -= iov[i++].iov_len;
            if (i < parts) {
                iov[i].iov_base = static_cast<char *>(iov[i].iov_base) + left;
                iov[i].iov_len -= left;
            }
        }
        if (i < parts)
            __atomic_add_fetch(&r->dropped, size, __ATOMIC_RELAXED);
        __atomic_store_n(&lane->tail, head, __ATOMIC_RELEASE);
    }
    unlock32(&lane->flusher);
    errno = savedErrno;
}

// Makes room for `size` contiguous bytes at the lane's head, flushing when they would not
// fit, and returns where they go. The caller is the lane's only writer at this moment (its
// owner, or the holder of a shared lane's lock); the bytes count once head moves past them.
char *reserve(RawRingHeader *r, uint32_t index, char *data, uint32_t size)
{
    RawLane *lane = laneAt(r, index);
    uint64_t head = __atomic_load_n(&lane->head, __ATOMIC_RELAXED);
    uint64_t pos = head & (kLaneSize - 1);
    if (pos + size > kLaneSize) {
        // A record never wraps: a pad sends the reader to the start of the buffer.
        if (head + (kLaneSize - pos) - __atomic_load_n(&lane->tail, __ATOMIC_ACQUIRE) > kLaneSize)
            flushLane(r, index);
        RawLaneRecord pad = {0, LANE_PAD, 0, 0, 0, 0};
        memcpy(data + pos, &pad, sizeof pad);
        head += kLaneSize - pos;
        __atomic_store_n(&lane->head, head, __ATOMIC_RELEASE);
        pos = 0;
    }
    if (head + size - __atomic_load_n(&lane->tail, __ATOMIC_ACQUIRE) > kLaneSize)
        flushLane(r, index);
    return data + pos;
}

void commit(RawLane *lane, uint32_t size)
{
    const uint64_t head = __atomic_load_n(&lane->head, __ATOMIC_RELAXED);
    __atomic_store_n(&lane->head, head + size, __ATOMIC_RELEASE);
}

void write(RawRingHeader *r, uint32_t index, char *data, const void *record, uint32_t size)
{
    memcpy(reserve(r, index, data, size), record, size);
    commit(laneAt(r, index), size);
}

void writeThread(RawRingHeader *r, uint32_t index, char *data, uint32_t tid)
{
    struct {
        RawLaneRecord head;
        uint32_t tid;
        uint32_t pad;
    } t = {{16, LANE_THREAD, 0, 0, 0, 0}, tid, 0};
    write(r, index, data, &t, sizeof t);
    laneAt(r, index)->last_tid = tid;
}

} // namespace

bool g_callClockIsTsc = false;
uint64_t g_ringGeneration = 1; // bumped by fork

uint64_t monotonicNs()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void callLogInit(const char *runDir)
{
    g_runDir = runDir;
    g_callClockIsTsc = tscUsable();
}

char *laneReserve(LaneRef &ref, uint32_t tid, uint32_t maxSize)
{
    if (__builtin_expect(ref.lane == nullptr || ref.generation != g_ringGeneration, 0)) {
        bool created = false;
        RawRingHeader *r = ring(&created);
        if (!r)
            return nullptr;
        uint32_t i = __atomic_fetch_add(&g_laneNext, 1u, __ATOMIC_RELAXED);
        ref.shared = i >= kLanes - 1;
        if (ref.shared)
            i = kLanes - 1;
        ref.index = i;
        ref.lane = laneAt(r, i);
        ref.data = laneData(r, i);
        ref.generation = g_ringGeneration;
        __atomic_add_fetch(&ref.lane->users, 1u, __ATOMIC_RELAXED);
        if (!ref.shared)
            writeThread(r, i, ref.data, tid);
        if (created)
            onRingCreated(ref, tid);
    }
    RawRingHeader *r = g_ring;
    if (maxSize > kLaneSize / 2) {
        __atomic_add_fetch(&r->dropped, maxSize, __ATOMIC_RELAXED);
        return nullptr;
    }
    if (ref.shared) {
        lock32(&ref.lane->writer);
        if (ref.lane->last_tid != tid)
            writeThread(r, ref.index, ref.data, tid);
    }
    return reserve(r, ref.index, ref.data, maxSize);
}

void laneCommit(LaneRef &ref, uint32_t size)
{
    commit(ref.lane, size);
    if (ref.shared)
        unlock32(&ref.lane->writer);
}

bool laneAppend(LaneRef &ref, uint32_t tid, const void *record, uint32_t size)
{
    char *at = laneReserve(ref, tid, size);
    if (!at)
        return false;
    memcpy(at, record, size);
    laneCommit(ref, size);
    return true;
}

namespace {

RawInflightSlot *g_inflight = nullptr; // INITSCOPE_INFLIGHT_THREADS slots, shared with the file
unsigned g_inflightNext = 0;           // atomic
int g_inflightLock = 0;
bool g_inflightFailed = false;

// Creates <run-dir>/<pid>.inflight, or <pid>.N.inflight when an earlier image of this pid
// (before an exec) left its own: the slots of a process that exec'd while one of its threads
// was inside a call must survive the next image.
bool openInflight()
{
    if (!g_runDir || !g_runDir[0])
        return false;
    char path[700];
    const size_t dirLen = strlen(g_runDir);
    if (dirLen > 600)
        return false;
    memcpy(path, g_runDir, dirLen);
    const uint64_t pid = uint64_t(syscall(SYS_getpid));
    int fd = -1;
    for (unsigned n = 0; n < 64 && fd < 0; ++n) {
        size_t len = dirLen;
        path[len++] = '/';
        len = appendDecimal(path, len, pid);
        if (n > 0) {
            path[len++] = '.';
            len = appendDecimal(path, len, n);
        }
        memcpy(path + len, ".inflight", 10);
        fd = ::open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return false;
    }
    if (fd < 0)
        return false;
    const size_t size = sizeof(RawInflightSlot) * INITSCOPE_INFLIGHT_THREADS;
    void *m = MAP_FAILED;
    if (reserveFile(fd, size))
        m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); // the mapping keeps the file
    if (m == MAP_FAILED)
        return false;
    g_inflight = static_cast<RawInflightSlot *>(m);
    return true;
}

} // namespace

RawInflightSlot *inflightSlot(uint32_t tid)
{
    if (!__atomic_load_n(&g_inflight, __ATOMIC_ACQUIRE)) {
        const int savedErrno = errno;
        lock(&g_inflightLock);
        if (!g_inflight && !g_inflightFailed)
            g_inflightFailed = !openInflight();
        unlock(&g_inflightLock);
        errno = savedErrno;
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
    g_inflightFailed = false;
    // The inherited mapping still shows the parent's ring: leave it to the parent and start
    // a ring of our own on the next record.
    if (g_ring)
        munmap(g_ring, kRingBytes);
    if (g_callsFd >= 0)
        close(g_callsFd);
    g_callsFd = -1;
    g_ring = nullptr;
    g_initLock = 0;
    g_initFailed = false;
    g_laneNext = 0;
    ++g_ringGeneration;
}

} // namespace initscope::recorder
