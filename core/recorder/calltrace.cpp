#include "calltrace.h"

#include "calllog.h"
#include "rawformat.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if __has_include("initscope_recorder_table.h")
#include "initscope_recorder_table.h"
#define INITSCOPE_HAVE_RECORDER_TABLE 1
#else
// Without the catalog's table the recorder still traces every call; it just reads no output
// values.
struct RecOutSpec { uint8_t arg; uint8_t kind; uint16_t size; uint8_t len_arg; };
struct RecFnSpec { const char *name; uint8_t api; uint8_t nargs; uint8_t nout; struct RecOutSpec out[4]; };
#endif

namespace initscope::recorder {

namespace {

// What a stub needs to know about the function behind it.
enum SlotKind : uint8_t {
    KindPlain = 0,
    KindProcAddressV1 = 1, // cuGetProcAddress(symbol, pfn, version, flags)
    KindProcAddressV2 = 2, // cuGetProcAddress_v2(symbol, pfn, version, flags, status)
    KindExportTable = 3,   // cuGetExportTable(table, uuid)
};

struct Slot {
    void *real;
    const char *name;
    uint32_t nameLen;
    uint8_t api;
    uint8_t reach;
    uint8_t kind;
    const RecFnSpec *spec;
    uint32_t maxRecord; // the largest LANE_CALL record a call can make
};

constexpr unsigned kMaxSlots = 16384;
constexpr unsigned kStubSize = 32;
constexpr unsigned kStubsPerPage = 4096 / kStubSize;
constexpr unsigned kMaxDepth = 64;

Slot g_slots[kMaxSlots];
unsigned g_slotCount = 0;
unsigned char *g_stubPages[kMaxSlots / kStubsPerPage];
int g_slotLockFallback = 0; // where the fork sentinel below could not be made

// Names handed to traceFunction may be transient (cuGetProcAddress's caller owns them).
char *g_namePool = nullptr;
size_t g_namePoolUsed = 0;
constexpr size_t kNamePoolSize = 1 << 20;

// Open-addressing map from (real, reach, kind) to slot, so repeated resolutions of one
// function share one stub.
constexpr unsigned kMapSize = kMaxSlots * 2;
unsigned g_map[kMapSize]; // slot index + 1, 0 = empty

// A page that the kernel zeroes in a fork()ed child: tells the hot path that it now runs in
// a new process without asking the kernel on every call. The locks that the parent's other
// threads may hold at the moment of a fork live here too, so that they are free in the child,
// where those threads do not exist.
struct ForkSentinel {
    uint64_t armed;
    int forkLock; // one thread of a child starts its log, the others wait
    int slotLock; // g_slots, g_map, the name pool
};
ForkSentinel *g_sentinel = nullptr;
// How many fork()s this process's image has been through: a thread whose state says fewer runs
// in a child and takes its own thread id, lane and in-flight slot before recording anything.
uint64_t g_forkGeneration = 0;

int *slotLock()
{
    return g_sentinel ? &g_sentinel->slotLock : &g_slotLockFallback;
}

struct Frame {
    uint64_t ret;
    Slot *slot;
    uint64_t start;
    uint64_t args[6];
};

struct ThreadState {
    uint64_t forkGeneration;   // g_forkGeneration when tid, lane and inflight were taken
    uint32_t depth;
    uint32_t tid;
    RawInflightSlot *inflight; // where this thread's open calls survive a crash or kill
    LaneRef lane;              // where this thread's records go
    const Slot *inflightNamed[INITSCOPE_INFLIGHT_DEPTH]; // whose name each in-flight frame holds
    Frame frames[kMaxDepth];
};

__thread ThreadState *t_state __attribute__((tls_model("initial-exec"))) = nullptr;

void lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}

void unlock(int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

ThreadState *threadState()
{
    ThreadState *t = t_state;
    if (__builtin_expect(t != nullptr, 1))
        return t;
    const int savedErrno = errno;
    void *m = mmap(nullptr, sizeof(ThreadState), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        errno = savedErrno;
        return nullptr;
    }
    t = static_cast<ThreadState *>(m);
    t->forkGeneration = __atomic_load_n(&g_forkGeneration, __ATOMIC_ACQUIRE);
    t->depth = 0;
    t->lane = LaneRef{};
    t->tid = uint32_t(syscall(SYS_gettid));
    t->inflight = inflightSlot(t->tid);
    t_state = t;
    errno = savedErrno;
    return t;
}

void checkFork()
{
    if (__builtin_expect(g_sentinel && __atomic_load_n(&g_sentinel->armed, __ATOMIC_ACQUIRE), 1))
        return;
    if (!g_sentinel)
        return;
    // First record in a fork()ed child: its own log. Several threads the child started may get
    // here at once; one sets the log up, the others wait for it.
    const int savedErrno = errno;
    lock(&g_sentinel->forkLock);
    if (!__atomic_load_n(&g_sentinel->armed, __ATOMIC_RELAXED)) {
        callLogAfterFork();
        __atomic_store_n(&g_forkGeneration, g_forkGeneration + 1, __ATOMIC_RELAXED);
        __atomic_store_n(&g_sentinel->armed, 1, __ATOMIC_RELEASE);
    }
    unlock(&g_sentinel->forkLock);
    errno = savedErrno;
}

// The thread that called fork() carries its parent's thread state into the child: its own
// thread id, a lane of the child's ring and an in-flight slot of the child's file (the parent's
// mapping is gone) before it records anything there. Calls it is inside stay open.
void adoptFork(ThreadState *t)
{
    const int savedErrno = errno;
    t->tid = uint32_t(syscall(SYS_gettid));
    t->lane = LaneRef{};
    memset(t->inflightNamed, 0, sizeof t->inflightNamed);
    t->inflight = inflightSlot(t->tid);
    t->forkGeneration = __atomic_load_n(&g_forkGeneration, __ATOMIC_ACQUIRE);
    errno = savedErrno;
}

// This thread's state, ready to record in this process.
ThreadState *currentThread()
{
    checkFork();
    ThreadState *t = threadState();
    if (__builtin_expect(t && t->forkGeneration != __atomic_load_n(&g_forkGeneration, __ATOMIC_RELAXED), 0))
        adoptFork(t);
    return t;
}

const RecFnSpec *specFor(const char *name)
{
#ifdef INITSCOPE_HAVE_RECORDER_TABLE
    unsigned lo = 0, hi = kRecFunctionCount;
    while (lo < hi) {
        const unsigned mid = (lo + hi) / 2;
        const int c = strcmp(name, kRecFunctions[mid].name);
        if (c == 0)
            return &kRecFunctions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
#else
    (void)name;
#endif
    return nullptr;
}

// Argument registers a call record keeps: as many as the catalog's signature has, all six
// for a function it does not know.
unsigned argCount(const Slot &s)
{
    return s.spec && s.spec->nargs <= 6 ? s.spec->nargs : 6;
}

constexpr uint32_t kOutputBytes = 1536; // room for a call's output values

const char *copyName(const char *name, size_t len)
{
    if (!g_namePool) {
        void *m = mmap(nullptr, kNamePoolSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED)
            return nullptr;
        g_namePool = static_cast<char *>(m);
    }
    if (g_namePoolUsed + len + 1 > kNamePoolSize)
        return nullptr;
    char *dst = g_namePool + g_namePoolUsed;
    memcpy(dst, name, len);
    dst[len] = '\0';
    g_namePoolUsed += len + 1;
    return dst;
}

extern "C" void initscope_trampoline_entry();

// Writes the stub of every slot of one page when the page is first needed: load the slot's
// address into r11 (not an argument register in the x86-64 System V ABI) and jump to the
// common entry. A stub's code depends only on its index, so a page is written once and made
// executable once; it is never writable again while another thread may be running in it.
bool makeStub(unsigned i, void **stubOut)
{
    const unsigned page = i / kStubsPerPage;
    if (!g_stubPages[page]) {
        void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return false;
        unsigned char *base = static_cast<unsigned char *>(m);
        const uint64_t entry = uint64_t(uintptr_t(&initscope_trampoline_entry));
        for (unsigned k = 0; k < kStubsPerPage; ++k) {
            unsigned char *code = base + k * kStubSize;
            const uint64_t slot = uint64_t(uintptr_t(&g_slots[page * kStubsPerPage + k]));
            size_t n = 0;
            code[n++] = 0x49; // movabs r11, imm64
            code[n++] = 0xBB;
            memcpy(code + n, &slot, 8);
            n += 8;
            code[n++] = 0xFF; // jmp qword ptr [rip + 0]
            code[n++] = 0x25;
            code[n++] = 0x00;
            code[n++] = 0x00;
            code[n++] = 0x00;
            code[n++] = 0x00;
            memcpy(code + n, &entry, 8);
            n += 8;
            while (n < kStubSize)
                code[n++] = 0xCC;
        }
        if (mprotect(m, 4096, PROT_READ | PROT_EXEC) != 0) {
            munmap(m, 4096);
            return false;
        }
        g_stubPages[page] = base;
    }
    *stubOut = g_stubPages[page] + (i % kStubsPerPage) * kStubSize;
    return true;
}

void *stubAddress(unsigned i)
{
    return g_stubPages[i / kStubsPerPage] + (i % kStubsPerPage) * kStubSize;
}

uint8_t kindOf(const char *name, uint32_t reach, uint64_t requestedVersion)
{
    if (strcmp(name, "cuGetProcAddress_v2") == 0)
        return KindProcAddressV2;
    if (strcmp(name, "cuGetProcAddress") == 0) {
        // A caller that asked for "cuGetProcAddress" at 12000 or later calls what it got with
        // the five-argument ABI, whatever the driver handed out.
        return reach == RAW_REACH_PROC_ADDRESS && requestedVersion >= 12000 ? KindProcAddressV2
                                                                           : KindProcAddressV1;
    }
    if (strcmp(name, "cuGetExportTable") == 0)
        return KindExportTable;
    return KindPlain;
}

// A LANE_SLOT record: what the slot's index in call records stands for.
void defineSlot(LaneRef &lane, uint32_t tid, unsigned index)
{
    const Slot &s = g_slots[index];
    struct {
        RawLaneRecord head;
        uint32_t nameLen;
        char name[260];
    } d;
    const uint32_t len = s.nameLen < 256 ? s.nameLen : 256;
    const uint32_t size = uint32_t(sizeof d.head + sizeof d.nameLen + len + 7) & ~7u;
    memset(&d, 0, size);
    d.head = {uint16_t(size), LANE_SLOT, 0, uint16_t(index), s.api, s.reach};
    d.nameLen = len;
    memcpy(d.name, s.name, len);
    laneAppend(lane, tid, &d, size);
}

void *traceWithKind(void *real, const char *name, uint32_t reach, uint8_t kind)
{
    if (!real || !name)
        return real;
    const uint32_t api = apiOfName(name);
    if (api == 0)
        return real;
    // In a fork()ed child whose first record this is, the child's own log first: the slot's
    // definition below must not go to the parent's ring.
    checkFork();
    lock(slotLock());
    uint64_t h = (uint64_t(uintptr_t(real)) >> 4) * 0x9E3779B97F4A7C15ull;
    h ^= uint64_t(reach) * 31 + kind;
    unsigned pos = unsigned(h % kMapSize);
    void *result = real;
    int created = -1;
    for (unsigned probe = 0; probe < kMapSize; ++probe, pos = (pos + 1) % kMapSize) {
        const unsigned entry = g_map[pos];
        if (entry == 0) {
            if (g_slotCount >= kMaxSlots)
                break;
            const unsigned i = g_slotCount;
            const size_t len = strlen(name);
            const char *copy = copyName(name, len);
            if (!copy)
                break;
            Slot &s = g_slots[i];
            s.real = real;
            s.name = copy;
            s.nameLen = uint32_t(len);
            s.api = uint8_t(api);
            s.reach = uint8_t(reach);
            s.kind = kind;
            s.spec = specFor(copy);
            s.maxRecord = uint32_t(sizeof(RawLaneCall) + 16 + 48);
            if (s.spec && s.spec->nout > 0)
                s.maxRecord += kOutputBytes;
            void *stub = nullptr;
            if (!makeStub(i, &stub))
                break;
            __atomic_store_n(&g_slotCount, i + 1, __ATOMIC_RELEASE);
            g_map[pos] = i + 1;
            result = stub;
            created = int(i);
            break;
        }
        const Slot &s = g_slots[entry - 1];
        if (s.real == real && s.reach == reach && s.kind == kind) {
            result = stubAddress(entry - 1);
            break;
        }
    }
    unlock(slotLock());
    if (created >= 0) {
        // Outside the lock: the first record of a process creates its ring, which defines
        // every slot there is (onRingCreated). It is made here, when the first function is
        // wrapped, not at the first call: its header also tells ingest which clock the
        // in-flight frames use, and the first call may be one that never returns.
        if (ThreadState *t = currentThread())
            defineSlot(t->lane, t->tid, unsigned(created));
    }
    return result;
}

size_t boundedLength(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        ++n;
    return n;
}

// Output values the catalog says this function writes, read after it returned. Only when
// the call succeeded (a failed call may leave them unwritten) — except a returned string,
// which error-string functions hand back whatever the code.
size_t captureOutputs(const Slot &s, const Frame &f, uint64_t ret, char *buf, size_t cap,
                      uint32_t *count)
{
    *count = 0;
    if (!s.spec)
        return 0;
    size_t used = 0;
    for (unsigned i = 0; i < s.spec->nout && i < 4; ++i) {
        const RecOutSpec &o = s.spec->out[i];
        const bool returned = o.kind == 3;
        if (returned ? ret == 0 : uint32_t(ret) != 0)
            continue;
        const uint64_t addr = returned ? ret : (o.arg < 6 ? f.args[o.arg] : 0);
        if (addr == 0)
            continue;
        const char *p = reinterpret_cast<const char *>(uintptr_t(addr));
        if (o.kind == 4) {
            // cuGetErrorString(error, &text): the string is where the stored pointer points.
            p = *reinterpret_cast<const char *const *>(p);
            if (!p)
                continue;
        }
        size_t len = o.size;
        if (o.kind == 2) {
            size_t bound = o.size;
            if (o.len_arg != 255 && o.len_arg < 6) {
                const uint64_t given = f.args[o.len_arg] & 0xffffffffu;
                if (given < bound || bound == 0)
                    bound = size_t(given);
            }
            len = boundedLength(p, bound);
        } else if (returned || o.kind == 4) {
            len = boundedLength(p, o.size ? o.size : 1024);
        }
        if (used + sizeof(RawOutValue) + len > cap)
            break;
        RawOutValue v = {uint16_t(returned ? 255u : o.arg), uint16_t(len)};
        memcpy(buf + used, &v, sizeof v);
        memcpy(buf + used + sizeof v, p, len);
        used += sizeof v + len;
        ++*count;
    }
    return used;
}

void recordCall(ThreadState &t, const Slot &s, const Frame &f, uint64_t ret, uint64_t end,
                uint32_t depth)
{
    char *rec = laneReserveFast(t.lane, t.tid, s.maxRecord);
    if (!rec)
        return;
    const unsigned nargs = argCount(s);
    const uint64_t dur = end - f.start;
    uint8_t flags = 0;
    size_t at = sizeof(RawLaneCall);
    if (ret >> 32) {
        const uint64_t high = ret >> 32;
        memcpy(rec + at, &high, 8);
        at += 8;
        flags |= LANE_CALL_RET_HIGH;
    }
    if (dur >= 0xffffffffull) {
        memcpy(rec + at, &end, 8);
        at += 8;
        flags |= LANE_CALL_LONG;
    }
    // All six registers are copied (a fixed-size copy the compiler inlines; the reservation
    // has room for them), the record keeps nargs of them.
    memcpy(rec + at, f.args, sizeof f.args);
    at += nargs * 8;
    uint32_t outs = 0;
    if (s.spec && s.spec->nout > 0)
        at += captureOutputs(s, f, ret, rec + at, s.maxRecord - at, &outs);
    const size_t size = (at + 7) & ~size_t(7);
    for (size_t i = at; i < size; ++i)
        rec[i] = 0;
    RawLaneCall c;
    c.head = {uint16_t(size), LANE_CALL, uint8_t(nargs), uint16_t(&s - g_slots),
              uint8_t(depth < 255 ? depth : 255), uint8_t(flags | (outs << LANE_CALL_OUT_SHIFT))};
    c.start = f.start;
    c.duration = dur >= 0xffffffffull ? 0xffffffffu : uint32_t(dur);
    c.ret_low = uint32_t(ret);
    memcpy(rec, &c, sizeof c);
    laneCommitFast(t.lane, uint32_t(size));
}

void recordProcAddress(ThreadState &t, const Slot &s, const Frame &f, uint64_t ret)
{
    const char *symbol = reinterpret_cast<const char *>(uintptr_t(f.args[0]));
    void **pfn = reinterpret_cast<void **>(uintptr_t(f.args[1]));
    RawProcAddress p;
    memset(&p, 0, sizeof p);
    p.requested_version = f.args[2];
    p.flags = f.args[3];
    p.result = ret;
    p.resolver_v2 = s.kind == KindProcAddressV2 ? 1 : 0;
    p.status_value = UINT64_MAX;
    if (s.kind == KindProcAddressV2 && f.args[4])
        p.status_value = uint64_t(*reinterpret_cast<int *>(uintptr_t(f.args[4])));
    void *fn = (uint32_t(ret) == 0 && pfn) ? *pfn : nullptr;
    p.pointer = uint64_t(uintptr_t(fn));
    const size_t symbolLen = symbol ? boundedLength(symbol, 256) : 0;
    p.symbol_len = uint32_t(symbolLen);
    Dl_info info;
    memset(&info, 0, sizeof info);
    const char *owner = "";
    const char *ownerSymbol = "";
    if (fn && dladdr(fn, &info)) {
        owner = info.dli_fname ? info.dli_fname : "";
        if (info.dli_sname && info.dli_saddr == fn)
            ownerSymbol = info.dli_sname;
    }
    p.owner_len = uint32_t(boundedLength(owner, 1024));
    p.owner_symbol_len = uint32_t(boundedLength(ownerSymbol, 256));
    alignas(8) char rec[16 + sizeof p + 256 + 1024 + 256 + 8];
    size_t at = 16;
    memcpy(rec + at, &p, sizeof p);
    at += sizeof p;
    memcpy(rec + at, symbol ? symbol : "", symbolLen);
    at += symbolLen;
    memcpy(rec + at, owner, p.owner_len);
    at += p.owner_len;
    memcpy(rec + at, ownerSymbol, p.owner_symbol_len);
    at += p.owner_symbol_len;
    const size_t size = (at + 7) & ~size_t(7);
    memset(rec + at, 0, size - at);
    const RawLaneRecord head = {uint16_t(size), LANE_PROC_ADDRESS, 0, 0, 0, 0};
    memcpy(rec, &head, sizeof head);
    memcpy(rec + 8, &f.start, 8);
    laneAppend(t.lane, t.tid, rec, uint32_t(size));
    // From now on the caller reaches the function through a stub of ours. The stub is named
    // after the spelling the pointer really is when the library exports it under a variant of
    // the requested name (cuDeviceTotalMem at 3020 is cuDeviceTotalMem_v2): its arguments
    // are decoded by that spelling's signature.
    if (fn && symbolLen > 0) {
        char name[257];
        const size_t ownerLen = p.owner_symbol_len;
        const char *suffix = ownerSymbol + symbolLen;
        const bool variant = ownerLen > symbolLen && ownerLen < sizeof name &&
                             strncmp(ownerSymbol, symbol, symbolLen) == 0 &&
                             (strncmp(suffix, "_v", 2) == 0 || strcmp(suffix, "_ptsz") == 0 ||
                              strcmp(suffix, "_ptds") == 0);
        if (variant) {
            memcpy(name, ownerSymbol, ownerLen);
            name[ownerLen] = '\0';
        } else {
            memcpy(name, symbol, symbolLen);
            name[symbolLen] = '\0';
        }
        void *stub = traceWithKind(fn, name, RAW_REACH_PROC_ADDRESS,
                                   kindOf(name, RAW_REACH_PROC_ADDRESS, f.args[2]));
        *pfn = stub;
    }
}

void recordExportTable(ThreadState &t, const Frame &f, uint64_t ret)
{
    RawExportTable e;
    memset(&e, 0, sizeof e);
    if (f.args[1])
        memcpy(e.uuid, reinterpret_cast<const void *>(uintptr_t(f.args[1])), 16);
    e.result = ret;
    const void *const *out = reinterpret_cast<const void *const *>(uintptr_t(f.args[0]));
    if (uint32_t(ret) == 0 && out && *out) {
        e.table = uint64_t(uintptr_t(*out));
        const uint64_t first = *static_cast<const uint64_t *>(*out);
        // Slot 0 of the private tables is their size in bytes.
        if (first >= 16 && first <= 8192 && first % 8 == 0)
            e.table_size = first;
    }
    alignas(8) char rec[16 + sizeof e + 8];
    const size_t size = (16 + sizeof e + 7) & ~size_t(7);
    memset(rec, 0, sizeof rec);
    const RawLaneRecord head = {uint16_t(size), LANE_EXPORT_TABLE, 0, 0, 0, 0};
    memcpy(rec, &head, sizeof head);
    memcpy(rec + 8, &f.start, 8);
    memcpy(rec + 16, &e, sizeof e);
    laneAppend(t.lane, t.tid, rec, uint32_t(size));
}

} // namespace

// Called by the common entry with the saved argument registers. Returns the real function in
// rax and, in rdx, 1 to call it through the tracer or 0 to jump to it untraced.
struct PreResult {
    void *real;
    uint64_t trace;
};

extern "C" __attribute__((visibility("hidden"))) PreResult
initscope_trampoline_pre(Slot *slot, const uint64_t *regs, uint64_t returnAddress)
{
    ThreadState *t = currentThread();
    if (!t || t->depth >= kMaxDepth)
        return {slot->real, 0};
    Frame &f = t->frames[t->depth++];
    f.ret = returnAddress;
    f.slot = slot;
    memcpy(f.args, regs, sizeof f.args);
    f.start = callTicks();
    if (RawInflightSlot *in = t->inflight) {
        const uint32_t d = t->depth - 1;
        if (d < INITSCOPE_INFLIGHT_DEPTH) {
            RawInflightFrame &out = in->frames[d];
            out.start_ns = f.start;
            if (t->inflightNamed[d] != slot) {
                const uint32_t n = slot->nameLen < INITSCOPE_INFLIGHT_NAME - 1
                                       ? slot->nameLen
                                       : INITSCOPE_INFLIGHT_NAME - 1;
                memcpy(out.name, slot->name, n);
                out.name[n] = '\0';
                t->inflightNamed[d] = slot;
            }
        }
        __atomic_store_n(&in->depth, t->depth, __ATOMIC_RELEASE);
    }
    return {slot->real, 1};
}

extern "C" __attribute__((visibility("hidden"))) uint64_t
initscope_trampoline_post(uint64_t rax, uint64_t rdx)
{
    (void)rdx;
    const uint64_t end = callTicks();
    // A call that fork()ed returns in the child too: its record goes to the child's log.
    checkFork();
    ThreadState *t = t_state;
    if (__builtin_expect(t->forkGeneration != __atomic_load_n(&g_forkGeneration, __ATOMIC_RELAXED), 0))
        adoptFork(t);
    Frame &f = t->frames[--t->depth];
    if (t->inflight)
        __atomic_store_n(&t->inflight->depth, t->depth, __ATOMIC_RELEASE);
    const Slot &s = *f.slot;
    recordCall(*t, s, f, rax, end, t->depth);
    if (s.kind != KindPlain) {
        // dladdr and new stubs may touch errno; the caller sees the function's own.
        const int savedErrno = errno;
        if (s.kind == KindProcAddressV1 || s.kind == KindProcAddressV2)
            recordProcAddress(*t, s, f, rax);
        else if (s.kind == KindExportTable)
            recordExportTable(*t, f, rax);
        errno = savedErrno;
    }
    return f.ret;
}

void onRingCreated(LaneRef &lane, uint32_t tid)
{
    const unsigned count = __atomic_load_n(&g_slotCount, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < count; ++i)
        defineSlot(lane, tid, i);
}

void callTraceInit(const char *runDir)
{
    callLogInit(runDir);
    void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
#ifdef MADV_WIPEONFORK
        if (madvise(m, 4096, MADV_WIPEONFORK) == 0) {
            g_sentinel = static_cast<ForkSentinel *>(m);
            g_sentinel->armed = 1;
        }
#endif
    }
}

uint32_t apiOfName(const char *name)
{
    if (strncmp(name, "cuda", 4) == 0)
        return RAW_API_RUNTIME;
    if (strncmp(name, "cu", 2) == 0)
        return RAW_API_DRIVER;
    if (strncmp(name, "nvml", 4) == 0)
        return RAW_API_NVML;
    return 0;
}

void *traceFunction(void *real, const char *name, uint32_t reach)
{
    return traceWithKind(real, name, reach, kindOf(name, reach, 0));
}

} // namespace initscope::recorder

// The common entry every stub jumps to, with r11 = its Slot and the caller's registers and
// stack exactly as at the call. It saves the argument registers, asks the pre hook whether
// to trace, and then either jumps to the real function (untraced: the stack is untouched) or
// takes the return address off the stack (the pre hook keeps it), calls the real function —
// so that stack-passed arguments sit where the callee expects them — and returns to the
// caller through the post hook.
__asm__(R"(
    .text
    .p2align 4
    .globl initscope_trampoline_entry
    .hidden initscope_trampoline_entry
    .type initscope_trampoline_entry, @function
initscope_trampoline_entry:
    subq $200, %rsp
    movq %rdi, 0(%rsp)
    movq %rsi, 8(%rsp)
    movq %rdx, 16(%rsp)
    movq %rcx, 24(%rsp)
    movq %r8, 32(%rsp)
    movq %r9, 40(%rsp)
    movq %rax, 48(%rsp)
    movq %r10, 56(%rsp)
    movdqu %xmm0, 64(%rsp)
    movdqu %xmm1, 80(%rsp)
    movdqu %xmm2, 96(%rsp)
    movdqu %xmm3, 112(%rsp)
    movdqu %xmm4, 128(%rsp)
    movdqu %xmm5, 144(%rsp)
    movdqu %xmm6, 160(%rsp)
    movdqu %xmm7, 176(%rsp)
    movq %r11, %rdi
    movq %rsp, %rsi
    movq 200(%rsp), %rdx
    call initscope_trampoline_pre
    movq %rax, %r11
    movq %rdx, 192(%rsp)
    movq 0(%rsp), %rdi
    movq 8(%rsp), %rsi
    movq 16(%rsp), %rdx
    movq 24(%rsp), %rcx
    movq 32(%rsp), %r8
    movq 40(%rsp), %r9
    movq 56(%rsp), %r10
    movdqu 64(%rsp), %xmm0
    movdqu 80(%rsp), %xmm1
    movdqu 96(%rsp), %xmm2
    movdqu 112(%rsp), %xmm3
    movdqu 128(%rsp), %xmm4
    movdqu 144(%rsp), %xmm5
    movdqu 160(%rsp), %xmm6
    movdqu 176(%rsp), %xmm7
    cmpq $0, 192(%rsp)
    movq 48(%rsp), %rax
    je 1f
    addq $208, %rsp
    call *%r11
    subq $80, %rsp
    movq %rax, 0(%rsp)
    movq %rdx, 8(%rsp)
    movdqu %xmm0, 16(%rsp)
    movdqu %xmm1, 32(%rsp)
    movq %rax, %rdi
    movq %rdx, %rsi
    call initscope_trampoline_post
    movq %rax, 72(%rsp)
    movq 0(%rsp), %rax
    movq 8(%rsp), %rdx
    movdqu 16(%rsp), %xmm0
    movdqu 32(%rsp), %xmm1
    addq $72, %rsp
    ret
1:
    addq $200, %rsp
    jmp *%r11
    .size initscope_trampoline_entry, .-initscope_trampoline_entry
)");
