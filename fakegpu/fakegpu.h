// Shared internals of the fake GPU libraries (libcuda.so.1 and libnvidia-ml.so.1).
//
// The fake declares the few driver and NVML types it needs itself, as the ints and opaque
// pointers they are at the ABI level, so it builds without any NVIDIA header. Everything here
// is libc only: these libraries are loaded into arbitrary targets (Ollama, ggml, the real CUDA
// runtime), so they must not drag a C++ runtime or Qt in with them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FAKEGPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace fakegpu {

// Every failure class the fake can reproduce. NoGetProcAddressV2 and NoVmm change which
// symbols the library exports, so only the build variant of the same name accepts them.
enum class Mode {
    Unset,
    Healthy,
    NoExportTables,
    NoGetProcAddressV2,
    V1Resolver,
    OldDriver,
    NoDevice,
    NvmlZeroMemory,
    NoVmm,
    CrashInInit,
    HangInInit,
    AbortInInit,
};

const char *modeName(Mode mode);

struct Config {
    Mode mode = Mode::Unset;
    char name[256];
    // PCI location; the text forms differ between CUDA ("0000:00:05.0") and NVML
    // ("00000000:00:05.0"), so the numbers are kept and each API formats its own.
    unsigned domain = 0;
    unsigned bus = 0;
    unsigned device = 5;
    unsigned function = 0;
    uint64_t totalBytes = 0;
    uint64_t freeBytes = 0;
    int ccMajor = 8;
    int ccMinor = 0;
    int driverVersion = 13000;
    bool driverVersionSet = false; // old-driver only lowers a version nobody chose
    char nvmlDriverVersion[80];
    unsigned char uuid[16];
    bool trace = false;
    // cuInit's answer when non-zero (any CUresult: 999, 802, 803, …), for setups whose driver
    // refuses to start; 0 leaves it to the mode.
    int initResult = 0;
    // What NVML counts, -1 for the same device as CUDA: lets NVML and CUDA disagree.
    int nvmlDeviceCount = -1;
    // Driver functions that never return, comma-separated ("cuDeviceGetName,cuInit"): a call
    // that hangs on the thread that makes it, whatever the other threads do.
    char hangIn[512];
    // A configuration that cannot be honoured fails initialisation loudly instead of
    // silently running some other scenario than the one asked for.
    bool valid = true;
};

// The CUDA version cuDriverGetVersion and NVML report: the configured one, or 11040 in
// old-driver mode when no version was configured.
int reportedDriverVersion(const Config &config, Mode mode);

// Parsed once per process (config file, then environment); safe from any thread.
const Config &config();

// Writes "fakegpu: <text>\n" to stderr in one write(2) when INITSCOPE_FAKEGPU_TRACE is set.
void trace(const char *format, ...) __attribute__((format(printf, 1, 2)));
// Entry of a driver function: traces its name, and never returns when hang_in lists it.
void enter(const char *function);
void hangIfListed(const char *function);
// Always writes, for configuration errors the user must see.
void complain(const char *format, ...) __attribute__((format(printf, 1, 2)));

// Whether CUDA_VISIBLE_DEVICES (absent: everything visible) leaves the fake device visible to
// CUDA, by the driver's rules: a comma-separated list of ordinals or UUID prefixes ("GPU-1e57…"),
// read up to the first entry that names no device; an empty value hides everything. NVML
// ignores the variable, as the real one does.
bool visibleToCuda(const Config &config);

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as NVML spells a UUID.
void formatUuid(const unsigned char uuid[16], char *out, size_t size);

} // namespace fakegpu
