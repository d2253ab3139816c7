/* Raw record format shared by the injected recorder (writer) and core's ingest (reader).
 *
 * Plain C layout, host byte order: the records never leave the machine that made them; the
 * bundle is the portable form. Each process image appends to <run-dir>/<pid>.rec with one
 * write(2) per record (O_APPEND), so a record is either wholly in the file or absent, and a
 * process killed by SIGKILL loses nothing it had recorded. The launcher appends its own
 * records (output text, exits) to <run-dir>/launcher.rec.
 *
 * Every record: RawHeader, then `size - sizeof(RawHeader)` payload bytes. Strings in payloads
 * are length-prefixed (uint32) and not NUL-terminated. Readers skip unknown types and stop at
 * a short trailing record.
 */
#ifndef INITSCOPE_RAWFORMAT_H
#define INITSCOPE_RAWFORMAT_H

#include <stdint.h>

#define INITSCOPE_RAW_VERSION 2u

/* Environment the launcher hands to every process of the tree. */
#define INITSCOPE_ENV_RUN_DIR "INITSCOPE_RUN_DIR"
#define INITSCOPE_ENV_SOCKET "INITSCOPE_SOCKET"
/* Shims to inject by audit search redirection: lines of SONAME=PATH. */
#define INITSCOPE_ENV_SHIMS "INITSCOPE_SHIMS"

enum RawType {
    RAW_PROC_START = 1,  /* RawProcStart + exe + cmdline (NUL-separated) + environ */
    RAW_LIB_SEARCH = 2,  /* RawLibSearch + name */
    RAW_LIB_OPEN = 3,    /* RawLibOpen + l_name */
    RAW_LIB_CLOSE = 4,   /* RawLibClose */
    RAW_ACTIVITY = 5,    /* RawActivity */
    RAW_PREINIT = 6,     /* no payload: every object is loaded, main() is next */
    RAW_CAPTURE = 7,     /* RawCapture: how stdout/stderr capture was set up */
    RAW_NOTE = 8,        /* text: something the recorder wants the reader to know */
    /* 9, 10, 11: the call records of version 1, now in the ring (LANE_*). */
    /* Launcher records (launcher.rec). */
    RAW_OUTPUT = 32,     /* RawOutput + bytes */
    RAW_PROC_EXIT = 33,  /* RawProcExit */
    RAW_PROC_FORK = 34,  /* RawProcFork: a process seen by the kernel's process events */
    RAW_RUN_INFO = 35,   /* RawRunInfo */
    RAW_CLOCK = 36,      /* RawClock: a reading of the call clock at the header's ts_ns */
    RAW_OUTPUT_CAPPED = 37, /* RawOutputCapped: the header's pid wrote more than the output cap */
    RAW_PROC_EXEC = 38,  /* RawProcExec + strings: a process of the tree exec'd, as /proc showed it */
    RAW_PROCESS_LIMIT = 39, /* RawProcessLimit: the tree had more processes than allowed */
};

struct RawHeader {
    uint32_t size;  /* whole record, header included */
    uint16_t type;  /* enum RawType */
    uint16_t flags;
    uint64_t ts_ns; /* CLOCK_MONOTONIC */
    uint32_t pid;
    uint32_t tid;
};

struct RawProcStart {
    uint32_t version; /* INITSCOPE_RAW_VERSION */
    uint32_t ppid;
    uint64_t proc_start_ticks; /* /proc/self/stat field 22: same across exec, new on pid reuse */
    int64_t realtime_ns;       /* CLOCK_REALTIME at the same moment as the header's ts_ns */
    uint32_t exe_len;
    uint32_t cmdline_len;
    uint32_t environ_len;
    uint32_t reserved;
};

/* la_objsearch: one candidate path, in the order ld.so tries them. */
struct RawLibSearch {
    uint64_t requester; /* cookie of the object whose dependency or dlopen this is */
    uint32_t origin;    /* LA_SER_* flag */
    int32_t exists;     /* 1 the path exists, 0 it does not, -1 not checked */
    uint32_t name_len;
    uint32_t redirected_len; /* a replacement path follows the name when non-zero */
};

struct RawLibOpen {
    uint64_t cookie; /* link_map address */
    int64_t lmid;
    uint64_t base; /* l_addr */
    uint32_t name_len;
    uint32_t reserved;
};

struct RawLibClose {
    uint64_t cookie;
};

struct RawActivity {
    uint64_t cookie;
    uint32_t flag; /* LA_ACT_* */
    uint32_t reserved;
};

enum RawStream { RAW_STREAM_STDOUT = 1, RAW_STREAM_STDERR = 2 };

struct RawCapture {
    uint32_t stream;  /* RawStream */
    int32_t status;   /* 0 captured, else the errno that stopped it */
};

struct RawOutput {
    uint64_t image_key; /* header ts_ns of the writer's RAW_PROC_START, 0 if unknown */
    uint32_t stream;    /* RawStream */
    uint32_t data_len;
};

enum RawExitKind { RAW_EXIT_CODE = 1, RAW_EXIT_SIGNAL = 2, RAW_EXIT_UNKNOWN = 3 };

struct RawProcExit {
    uint32_t kind;  /* RawExitKind */
    int32_t value;  /* exit code or signal number */
    uint32_t core_dumped;
    uint32_t source; /* 1 waitpid by the launcher, 2 kernel process events, 3 pidfd only */
};

struct RawProcFork {
    uint32_t parent_pid;
    uint32_t child_pid;
};

struct RawRunInfo {
    int64_t realtime_ns; /* CLOCK_REALTIME when the header's ts_ns was taken */
    uint32_t root_pid;
    uint32_t event; /* 1 started, 2 ended, 3 timeout fired, 4 cancelled */
};

/* Output of one process beyond the cap was passed on but not kept. The header's ts_ns is when
 * the cap was reached, its pid the writer. */
struct RawOutputCapped {
    uint64_t image_key; /* as in RawOutput */
    uint64_t cap;       /* bytes kept: the cap */
    uint64_t dropped;   /* bytes passed on but not recorded */
};

struct RawClock {
    uint64_t ticks; /* the call clock (see RawRingHeader) at the moment of the header's ts_ns */
};

/* A process of the tree ran execve() (the kernel's process events say so), and what the launcher
 * could read of the new image in /proc before it was gone: raw facts, interpreted by ingest
 * (core/untraced.h). The header's ts_ns is the kernel's time of the exec, its pid the process.
 * Strings follow in this order: exe (readlink of /proc/<pid>/exe), interpreter (PT_INTERP),
 * cmdline and environ (NUL-separated, as in /proc), comm. */
#define RAW_EXEC_SEEN_EXE 1u     /* /proc/<pid>/exe was opened: exe, file_*, elf_*, interpreter */
#define RAW_EXEC_SEEN_STATUS 2u  /* /proc/<pid>/status: ppid and the credentials */
#define RAW_EXEC_SEEN_AUXV 4u    /* /proc/<pid>/auxv: at_secure */
#define RAW_EXEC_SEEN_ENVIRON 8u /* /proc/<pid>/environ */
#define RAW_EXEC_SEEN_CMDLINE 16u
#define RAW_EXEC_SEEN_COMM 32u
struct RawProcExec {
    uint32_t seen;        /* RAW_EXEC_SEEN_* of what could be read */
    uint32_t elf_class;   /* e_ident[EI_CLASS] of the executable: 1 32-bit, 2 64-bit, 0 not ELF */
    uint32_t elf_machine; /* e_machine */
    uint32_t has_interp;  /* 1 when it has a PT_INTERP program header (a dynamic loader) */
    uint32_t file_mode;   /* st_mode, st_uid, st_gid of the executable */
    uint32_t file_uid;
    uint32_t file_gid;
    uint32_t ppid;
    uint32_t ruid, euid, rgid, egid;
    int32_t at_secure;    /* AT_SECURE the kernel gave the image; -1 when not read */
    uint32_t exe_len;
    uint32_t interp_len;
    uint32_t cmdline_len;
    uint32_t environ_len;
    uint32_t comm_len;
};

/* The tree had more than `limit` processes at once (`count` when it was noticed); the launcher
 * stopped it. */
struct RawProcessLimit {
    uint32_t limit;
    uint32_t count;
};

/* Which library family a traced function belongs to. */
enum RawApi { RAW_API_DRIVER = 1, RAW_API_RUNTIME = 2, RAW_API_NVML = 3 };

/* How the caller reached the function. */
enum RawReach {
    RAW_REACH_BINDING = 1,      /* PLT / direct symbol binding seen by la_symbind64 */
    RAW_REACH_DLSYM = 2,        /* dlsym() lookup */
    RAW_REACH_PROC_ADDRESS = 3, /* a pointer handed out by cuGetProcAddress(_v2) */
};

/* Traced calls: <run-dir>/<stem>.ring and <run-dir>/<stem>.calls, one pair per process image
 * that made a traced call (stem = pid, or pid.N for the Nth image of a pid after exec).
 *
 * The ring is a small file mapped shared into the process: a RawRingHeader, then `lanes` lanes
 * of `lane_size` bytes. Each thread writes its records into a lane of its own (threads beyond
 * the lane count share lanes under the lane's lock), as a byte stream: a record is whole in
 * the lane once `head` has moved past it (release store), so a process killed by SIGKILL
 * loses nothing it recorded. When a lane fills, its unread part [tail, head) is appended to
 * the .calls file as one RawBlock and `tail` moves up: the ring's pages are reused, which
 * keeps the recorder's memory small and its writes in the cache. The reader takes the
 * blocks of the .calls file and then what is still between tail and head in the ring, and
 * skips stream bytes it already has (a process killed between the two steps of a flush).
 *
 * Records in a lane stream start with RawLaneRecord; `size` is the whole record, a multiple
 * of 8. Times are ticks of the call clock: the TSC when the ring header says so (converted
 * through the (ticks, ns) readings in ring headers, blocks and the launcher's RAW_CLOCK
 * records), else CLOCK_MONOTONIC ns. */
#define INITSCOPE_RING_MAGIC 0x474e4952u  /* "RING" */
#define INITSCOPE_BLOCK_MAGIC 0x4b4c4243u /* "CBLK" */

enum RawClockKind { RAW_CLOCK_MONOTONIC = 1, RAW_CLOCK_TSC = 2 };

struct RawRingHeader {
    uint32_t magic;       /* INITSCOPE_RING_MAGIC */
    uint32_t version;     /* INITSCOPE_RAW_VERSION */
    uint32_t pid;
    uint32_t clock;       /* RawClockKind */
    uint32_t lanes;
    uint32_t lane_size;   /* bytes of data per lane, a power of two */
    uint64_t ticks0;      /* the call clock and CLOCK_MONOTONIC read together at creation */
    uint64_t mono0_ns;
    uint64_t file_end;    /* atomic: bytes of the .calls file reserved so far */
    uint64_t dropped;     /* atomic: records that could not be kept */
    uint8_t reserved[8];
};

/* Per lane, at RawRingHeader + 64 + index * 64. */
struct RawLane {
    uint64_t head;    /* atomic: stream bytes written (release after the record) */
    uint64_t tail;    /* atomic: stream bytes already appended to the .calls file */
    uint32_t writer;  /* atomic: lock of a shared lane (0 free) */
    uint32_t flusher; /* atomic: lock held while [tail, head) is appended to the file */
    uint32_t users;   /* atomic: threads writing to the lane */
    uint32_t last_tid; /* the thread of the last LANE_THREAD record */
    uint32_t reserved[8];
};

/* In the .calls file: a block of one lane's stream. */
struct RawBlock {
    uint32_t magic; /* INITSCOPE_BLOCK_MAGIC */
    uint32_t lane;
    uint64_t offset; /* stream offset of the first byte */
    uint64_t size;   /* stream bytes that follow */
    uint64_t ticks;  /* the call clock and CLOCK_MONOTONIC read together at the flush */
    uint64_t mono_ns;
};

enum RawLaneType {
    LANE_PAD = 1,          /* filler up to the end of the lane's buffer */
    LANE_THREAD = 2,       /* a: 0; the thread whose records follow: uint32 tid after the head */
    LANE_SLOT = 3,         /* b: slot; c: api; d: reach; then uint32 name_len + name */
    LANE_CALL = 4,         /* RawLaneCall */
    LANE_PROC_ADDRESS = 5, /* uint64 start ticks, RawProcAddress, symbol, owner, owner symbol */
    LANE_EXPORT_TABLE = 6, /* uint64 start ticks, RawExportTable */
};

struct RawLaneRecord {
    uint16_t size;
    uint8_t type; /* RawLaneType */
    uint8_t a;
    uint16_t b;
    uint8_t c;
    uint8_t d;
};

/* One traced call: a = argument registers stored, b = slot, c = depth (255: deeper),
 * d = flags. args[] are the first integer argument registers exactly as passed (x86-64
 * System V); ret the integer return register. Output parameters the recorder knows how to
 * read (see the catalog's recorder table) follow as RawOutValue + bytes, read after the call
 * returned; their number is flags bits 2..4. */
#define LANE_CALL_RET_HIGH 1u /* uint64 high half of ret follows the fixed part */
#define LANE_CALL_LONG 2u     /* the duration did not fit: uint64 end ticks follows */
#define LANE_CALL_OUT_SHIFT 2u
struct RawLaneCall {
    struct RawLaneRecord head;
    uint64_t start; /* ticks */
    uint32_t duration; /* ticks */
    uint32_t ret_low;
    /* then: [uint64 ret high] [uint64 end] args[a] (uint64 each), outputs, zero padding */
};

struct RawOutValue {
    uint16_t arg; /* index into args[] of the pointer it was read through; 255: the return value */
    uint16_t len; /* bytes that follow */
};

/* A cuGetProcAddress / cuGetProcAddress_v2 resolution: what was asked and what came back. */
struct RawProcAddress {
    uint64_t requested_version; /* cudaVersion argument */
    uint64_t flags;
    uint64_t status_value;      /* *symbolStatus after the call, or UINT64_MAX without one */
    uint64_t result;            /* CUresult */
    uint64_t pointer;           /* the function pointer the driver handed out (before wrapping) */
    uint32_t resolver_v2;       /* 1 when cuGetProcAddress_v2 answered */
    uint32_t symbol_len;
    uint32_t owner_len;         /* path of the object that contains `pointer` (dladdr) */
    uint32_t owner_symbol_len;  /* exported name at that address, if any */
};

/* A cuGetExportTable request. */
struct RawExportTable {
    uint8_t uuid[16];
    uint64_t result;
    uint64_t table;      /* the table pointer handed back, 0 if none */
    uint64_t table_size; /* slot 0 of the table when it looks like a size, else 0 */
};

/* <run-dir>/<pid>.inflight (<pid>.N.inflight for a later image of the same pid after exec, as
 * with the rings): one slot per thread that made a traced call, shared with the
 * file, holding the calls that thread is inside right now. After the process is gone, a slot
 * with depth > 0 names the calls that never returned — where a crashed or killed process was. */
#define INITSCOPE_INFLIGHT_THREADS 256
#define INITSCOPE_INFLIGHT_DEPTH 8
#define INITSCOPE_INFLIGHT_NAME 48

struct RawInflightFrame {
    uint64_t start_ns; /* ticks of the call clock of the process's ring */
    char name[INITSCOPE_INFLIGHT_NAME]; /* NUL-terminated, cut to fit */
};

struct RawInflightSlot {
    uint32_t tid;   /* 0: slot unused */
    uint32_t depth; /* frames in use; may exceed INITSCOPE_INFLIGHT_DEPTH (deeper ones not kept) */
    struct RawInflightFrame frames[INITSCOPE_INFLIGHT_DEPTH];
};

/* Hello sent by the recorder over INITSCOPE_SOCKET (SOCK_SEQPACKET) with SCM_RIGHTS carrying
 * up to four descriptors: for each stream in `streams`, the original descriptor then the
 * read end of the new pipe. The launcher answers with one byte once it owns them. */
struct RawHello {
    uint32_t version;
    uint32_t pid;
    uint64_t image_key;
    uint32_t streams[2]; /* RawStream values, 0 = slot unused */
};

#endif
