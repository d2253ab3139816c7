// cuGetExportTable: the private interfaces the CUDA runtime asks the driver for by UUID right
// after cuInit. Their contents are undocumented, so the fake cannot implement them; it answers
// so that the real runtime gets as far as it can, and always to the same place (measured with
// libcudart.so.13, see docs/fakegpu.md):
//  - 6bd5fb6c (runtime interface) and a094798c (tools callback hooks) are required: an error
//    for either is passed through unchanged as the result of cudaGetDeviceCount & co.
//  - 6bd5fb6c: a table whose slots all return CUDA_SUCCESS and touch nothing. The runtime
//    calls one slot and goes on to query the device (count, name, memory, attributes, UUID).
//  - a094798c: a table that holds only its size word. The runtime checks the size, rejects it
//    and reports cudaErrorInsufficientDriver. A longer table of stubs gets its slots called,
//    and the runtime then acts on outputs the stubs never wrote: the outcome depended on what
//    the calling program had left on its heap. A failure that never varies is worth more to
//    a test fixture than a few more steps.
//  - f8cff951 is an optional probe; NOT_FOUND is the answer of a driver without it.
//  - anything else: NOT_FOUND, rather than stubs that claim success and fill in nothing.
// The no-export-tables mode (the incident) fails every request with CUDA_ERROR_NOT_SUPPORTED.
#include "driverapi.h"
#include "driverstate.h"

#include <string.h>
#include <utility>

namespace fakegpu {
namespace {

// Slot 0 of a table is its size in bytes; the runtime reads it before it calls a slot, and
// rejects a table that is too short (the tools hooks below 56 bytes, measured).
constexpr size_t kSlots = 64;

using Stub = CUresult (*)();

union Slot {
    size_t size;
    Stub function;
};

struct Table {
    Slot slots[kSlots + 1];
};

// Extra arguments are harmless under the SysV calling convention, so one parameterless
// signature serves every slot; the template gives each slot its own address and name.
template<int TableIndex, size_t SlotIndex> CUresult stub()
{
    trace("export table %d slot %zu called", TableIndex, SlotIndex);
    return cu::Success;
}

template<int TableIndex, size_t... I> constexpr Table makeTable(std::index_sequence<I...>)
{
    return Table{{Slot{.size = (kSlots + 1) * sizeof(void *)},
                  Slot{.function = &stub<TableIndex, I + 1>}...}};
}

constexpr Table kRuntimeInterface = makeTable<0>(std::make_index_sequence<kSlots>());
constexpr Slot kToolsHooks[] = {{.size = sizeof(Slot)}};

struct Known {
    unsigned char id[16]; // bytes in memory order, as the caller passes them
    const char *name;
    const void *table;
};

// clang-format off
const Known kKnown[] = {
    {{0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a, 0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9},
     "runtime interface",
     &kRuntimeInterface},
    {{0xa0, 0x94, 0x79, 0x8c, 0x2e, 0x74, 0x2e, 0x74, 0x93, 0xf2, 0x08, 0x00, 0x20, 0x0c, 0x0a, 0x66},
     "tools callback hooks",
     kToolsHooks},
    {{0xf8, 0xcf, 0xf9, 0x51, 0x21, 0x46, 0x8b, 0x4e, 0xb9, 0xe2, 0xfb, 0x46, 0x9e, 0x7c, 0x0d, 0xd9},
     "initialisation probe",
     nullptr},
    {{0x42, 0xd8, 0x5a, 0x81, 0x23, 0xf6, 0xcb, 0x47, 0x82, 0x98, 0xf6, 0xe7, 0x8a, 0x3a, 0xec, 0xdc},
     "tools thread-local storage",
     nullptr},
    {{0xc6, 0x93, 0x33, 0x6e, 0x11, 0x21, 0xdf, 0x11, 0xa8, 0xc3, 0x68, 0xf3, 0x55, 0xd8, 0x95, 0x93},
     "context-local storage",
     nullptr},
    {{0x26, 0x3e, 0x88, 0x60, 0x7c, 0xd2, 0x61, 0x43, 0x92, 0xf6, 0xbb, 0xd5, 0x00, 0x6d, 0xfa, 0x7e},
     "context checks",
     nullptr},
    {{0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b, 0x8d, 0x34, 0xba, 0x12, 0x3c, 0x66, 0xe1, 0xf2},
     "integrity checks",
     nullptr},
    {{0x69, 0xa2, 0x8e, 0x9f, 0x24, 0x49, 0x8b, 0x47, 0xb0, 0x30, 0xc5, 0xda, 0x33, 0x0e, 0xa4, 0xe9},
     "PyTorch runtime probe",
     nullptr},
};
// clang-format on

} // namespace
} // namespace fakegpu

using namespace fakegpu;

CUresult cuGetExportTable(const void **table, const CUuuid *id)
{
    const Mode mode = driverMode();
    if (!table || !id)
        return cu::InvalidValue;
    *table = nullptr;
    const unsigned char *u = reinterpret_cast<const unsigned char *>(id->bytes);
    const Known *known = nullptr;
    for (const Known &k : kKnown) {
        if (memcmp(k.id, u, sizeof k.id) == 0)
            known = &k;
    }
    CUresult result = cu::NotFound;
    if (mode == Mode::NoExportTables) {
        result = cu::NotSupported;
    } else if (known && known->table) {
        *table = known->table;
        result = cu::Success;
    }
    trace("cuGetExportTable(%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x%s%"
          "s) = %d",
          u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
          u[14], u[15], known ? ", " : "", known ? known->name : "", result);
    return result;
}
