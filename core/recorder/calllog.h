// The recorder's hot-path record store: one file per process, <run-dir>/<pid>.calls, mapped
// shared into a reserved address range. Appending a record is an atomic reservation, a copy
// and a release store of its size — no lock, no allocation, no system call (except when the
// file grows by another segment). The mapping is shared with the file, so everything a
// process recorded is in the page cache even if it is killed the next instant.
//
// Reader's rules (core/ingest.cpp): walk 8-byte aligned offsets; a RawHeader with size 0 is a
// hole (a record whose writer died before committing, or the unused tail) — skip 8 bytes; a
// plausible size means a whole record.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct RawInflightSlot;

namespace initscope::recorder {

// Prepares the log for this process. runDir must outlive the process (a static buffer).
void callLogInit(const char *runDir);
// Appends one record of `type` made of the given parts; header fields are filled in here.
// Returns false when the record was dropped (log full or unavailable).
bool callLogAppend(uint16_t type, uint64_t tsNs, uint32_t tid, const struct iovec *parts, int count);
// After fork(): the child must not append to its parent's file.
void callLogAfterFork();
// This thread's slot in <run-dir>/<pid>.inflight, or nullptr when none is left. Call once
// per thread and keep the pointer.
struct RawInflightSlot *inflightSlot(uint32_t tid);

} // namespace initscope::recorder
