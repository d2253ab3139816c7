// The recorder's hot-path record store (rawformat.h, "Traced calls"): per process a ring file
// <run-dir>/<stem>.ring mapped shared, one lane per thread, and the .calls file the lanes are
// appended to when they fill. Appending a record to a thread's own lane is a copy and a
// release store — no lock, atomic read-modify-write, allocation or system call; once per lane
// of records (128 KiB) the lane is written to the file with one pwritev(2). The mapping is
// shared with the file, so everything a process recorded survives its death.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rawformat.h"

namespace initscope::recorder {

inline uint64_t *laneHead(RawLane *lane) { return &lane->head; }
inline uint64_t *laneTail(RawLane *lane) { return &lane->tail; }

// A thread's hold on its lane; zero-initialised means "none yet".
struct LaneRef {
    RawLane *lane;
    char *data;
    uint64_t generation; // the ring it belongs to (a fork()ed child starts a new ring)
    uint32_t index;
    uint32_t shared;     // lane written by several threads, under its lock
};

// Prepares the log for this process and chooses the call clock. runDir must outlive the
// process (a static buffer).
void callLogInit(const char *runDir);

// The call clock: the TSC where it is invariant and the kernel keeps time with it, else
// CLOCK_MONOTONIC in ns (rawformat.h: RawRingHeader::clock).
extern bool g_callClockIsTsc;
uint64_t monotonicNs();
inline uint64_t callTicks()
{
    return __builtin_expect(g_callClockIsTsc, 1) ? __builtin_ia32_rdtsc() : monotonicNs();
}

// Appends one lane record (a RawLaneRecord of `size` bytes, a multiple of 8) for thread tid.
// Returns false when it was dropped (no ring, or the file could not take the lane).
bool laneAppend(LaneRef &ref, uint32_t tid, const void *record, uint32_t size);

// The same in two steps, for a record written in place: room for up to maxSize bytes in the
// thread's lane (nullptr when dropped), then the record's real size once it is there. Nothing
// else may be recorded by this thread in between.
char *laneReserve(LaneRef &ref, uint32_t tid, uint32_t maxSize);
void laneCommit(LaneRef &ref, uint32_t size);

// The common case of both, inline: a thread's own lane of the current ring with room before
// its end and before its unread part.
extern uint64_t g_ringGeneration;
inline constexpr uint32_t kLaneBytes = 128u << 10;
inline char *laneReserveFast(LaneRef &ref, uint32_t tid, uint32_t maxSize)
{
    if (__builtin_expect(ref.lane != nullptr && ref.generation == g_ringGeneration && !ref.shared, 1)) {
        const uint64_t head = __atomic_load_n(laneHead(ref.lane), __ATOMIC_RELAXED);
        const uint64_t pos = head & (kLaneBytes - 1);
        if (pos + maxSize <= kLaneBytes &&
            head + maxSize - __atomic_load_n(laneTail(ref.lane), __ATOMIC_ACQUIRE) <= kLaneBytes)
            return ref.data + pos;
    }
    return laneReserve(ref, tid, maxSize);
}
inline void laneCommitFast(LaneRef &ref, uint32_t size)
{
    if (__builtin_expect(!ref.shared, 1)) {
        uint64_t *head = laneHead(ref.lane);
        __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_RELAXED) + size, __ATOMIC_RELEASE);
        return;
    }
    laneCommit(ref, size);
}

// After fork(): the child must not write to its parent's ring.
void callLogAfterFork();

// Called right after this process's ring is created, on the thread that created it, so that
// the functions traced so far are defined in the new ring (calltrace.cpp).
void onRingCreated(LaneRef &ref, uint32_t tid);

// This thread's slot in <run-dir>/<pid>.inflight (<pid>.N.inflight for a later image of the
// pid), or nullptr when none is left. Call once per thread and keep the pointer.
struct RawInflightSlot *inflightSlot(uint32_t tid);

} // namespace initscope::recorder
