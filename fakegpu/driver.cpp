// The fake libcuda.so.1: one configurable device behind the documented driver API, plus the
// fault modes that reproduce real bring-up failures. Every entry point may be called from
// several threads at once, before or after cuInit, and returns what the real driver returns
// for the same misuse (NOT_INITIALIZED before cuInit, INVALID_DEVICE for a bad ordinal, ...).
#include "driverapi.h"
#include "driverstate.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

namespace fakegpu {
namespace {

#if defined(FAKEGPU_VARIANT_NO_VMM)
constexpr Mode kVariantMode = Mode::NoVmm;
constexpr const char *kVariantName = "no-vmm";
#elif defined(FAKEGPU_VARIANT_NO_GETPROCADDRESS_V2)
constexpr Mode kVariantMode = Mode::NoGetProcAddressV2;
constexpr const char *kVariantName = "no-getprocaddress-v2";
#else
constexpr Mode kVariantMode = Mode::Healthy;
constexpr const char *kVariantName = "default";
#endif

pthread_once_t g_setupOnce = PTHREAD_ONCE_INIT;
Mode g_mode = Mode::Healthy;
bool g_usable = true;
int g_initialized = 0; // read and written with __atomic builtins

void setup()
{
    const Config &c = config();
    g_usable = c.valid;
    g_mode = c.mode == Mode::Unset ? kVariantMode : c.mode;
    // The two export-shape modes cannot be switched on at run time: the symbols are already
    // there (or not) when the consumer binds. Name the file that does it instead.
    const bool needsVariant = g_mode == Mode::NoGetProcAddressV2 || g_mode == Mode::NoVmm;
    if (needsVariant && g_mode != kVariantMode) {
        complain("mode %s needs the library of the same name (lib/fakegpu/%s/libcuda.so.1); this "
                 "is the %s variant",
                 modeName(g_mode), modeName(g_mode), kVariantName);
        g_usable = false;
    }
    if (!g_usable)
        complain("configuration is unusable: cuInit will fail with CUDA_ERROR_NOT_INITIALIZED");
    trace("libcuda.so.1 (%s variant) in mode %s", kVariantName, modeName(g_mode));
}

struct ErrorText {
    CUresult code;
    const char *name;
    const char *text;
};

// Names and texts as the real driver and runtime report them for the same codes.
constexpr ErrorText kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER",
     "API call is not supported in the installed CUDA driver"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE", "primary context active"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
     "system has unsupported display driver / cuda driver combination"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
     "forward compatibility was attempted on non supported HW"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorText *findError(CUresult code)
{
    for (const ErrorText &e : kErrors) {
        if (e.code == code)
            return &e;
    }
    return nullptr;
}

// The attribute values of an A100-class part; the ones a configuration can change (compute
// capability, PCI location, VMM support) come from the config.
int attributeValue(int attribute, const Config &c)
{
    // clang-format off
    switch (attribute) {
    case 1: return 1024;        // max threads per block
    case 2: return 1024;        // max block dim x
    case 3: return 1024;        // max block dim y
    case 4: return 64;          // max block dim z
    case 5: return INT_MAX;     // max grid dim x
    case 6: return 65535;       // max grid dim y
    case 7: return 65535;       // max grid dim z
    case 8: return 49152;       // shared memory per block
    case 9: return 65536;       // constant memory
    case 10: return 32;         // warp size
    case 11: return INT_MAX;    // max pitch
    case 12: return 65536;      // registers per block
    case 13: return 1410000;    // clock rate, kHz
    case 14: return 512;        // texture alignment
    case 15: return 1;          // gpu overlap
    case 16: return 108;        // multiprocessors
    case 17: return 0;          // kernel exec timeout
    case 18: return 0;          // integrated
    case 19: return 1;          // can map host memory
    case 20: return 0;          // compute mode: default
    case 21: return 131072;     // max texture 1D width
    case 22: return 131072;     // max texture 2D width
    case 23: return 65536;      // max texture 2D height
    case 24: case 25: case 26: return 16384; // max texture 3D
    case 30: return 512;        // surface alignment
    case 31: return 1;          // concurrent kernels
    case 32: return 0;          // ECC enabled
    case 33: return int(c.bus);
    case 34: return int(c.device);
    case 35: return 0;          // TCC driver
    case 36: return 1215000;    // memory clock, kHz
    case 37: return 5120;       // memory bus width, bits
    case 38: return 41943040;   // L2 cache bytes
    case 39: return 2048;       // max threads per multiprocessor
    case 40: return 3;          // async engines
    case 41: return 1;          // unified addressing
    case 50: return int(c.domain);
    case 51: return 32;         // texture pitch alignment
    case 75: return c.ccMajor;
    case 76: return c.ccMinor;
    case 78: return 1;          // stream priorities
    case 79: return 1;          // global L1 cache
    case 80: return 1;          // local L1 cache
    case 81: return 167936;     // shared memory per multiprocessor
    case 82: return 65536;      // registers per multiprocessor
    case 83: return 1;          // managed memory
    case 84: return 0;          // multi-GPU board
    case 87: return 2;          // single to double precision performance ratio
    case 89: return 1;          // concurrent managed access
    case 90: return 1;          // compute preemption
    case 91: return 1;          // host pointer for registered memory
    case 95: return 1;          // cooperative launch
    case 96: return 1;          // cooperative multi-device launch
    case 97: return 166912;     // shared memory per block, opt-in
    case 99: return 1;          // host register
#if defined(FAKEGPU_VARIANT_NO_VMM)
    case 102: return 0;         // virtual memory management: the API is not there
#else
    case 102: return 1;         // virtual memory management, which ggml uses when present
#endif
    case 103: return 1;         // POSIX file descriptor handles
    case 106: return 32;        // max blocks per multiprocessor
    case 108: return 31457280;  // max persisting L2 cache
    case 109: return 134213632; // max access policy window
    case 111: return 1024;      // reserved shared memory per block
    case 115: return 1;         // memory pools
    case 126: return 1;         // memory sync domains
    case 139: return int((0x20b0u << 16) | 0x10deu); // PCI device id | vendor id
    default: return 0;
    }
    // clang-format on
}

// CU_DEVICE_ATTRIBUTE_MAX in the CUDA 13.0 enumeration; anything at or above it is invalid.
constexpr int kAttributeEnd = 148;

} // namespace

Mode driverMode()
{
    pthread_once(&g_setupOnce, setup);
    return g_mode;
}

CUresult checkDevice(CUdevice device)
{
    if (!cu::initialized())
        return cu::NotInitialized;
    return device == 0 ? cu::Success : cu::InvalidDevice;
}

bool cu::initialized()
{
    return __atomic_load_n(&g_initialized, __ATOMIC_ACQUIRE) != 0;
}

} // namespace fakegpu

using namespace fakegpu;

CUresult cuInit(unsigned int flags)
{
    const Mode mode = driverMode();
    trace("cuInit(%u)", flags);
    hangIfListed(__func__);
    if (!g_usable)
        return cu::NotInitialized;
    if (flags != 0)
        return cu::InvalidValue;
    switch (mode) {
    case Mode::NoDevice:
        return cu::NoDevice;
    case Mode::CrashInInit: {
        // A genuine invalid access (not raise()), so the signal carries a fault address the
        // way a crashing driver's does. The address comes from a volatile so that the
        // compiler cannot turn the store into a trap instruction.
        volatile uintptr_t address = 0;
        *reinterpret_cast<volatile int *>(address) = 1;
        return cu::NotInitialized;
    }
    case Mode::AbortInInit:
        abort();
    case Mode::HangInInit:
        for (;;) {
            struct timespec second = {1, 0};
            nanosleep(&second, nullptr);
        }
    default:
        break;
    }
    if (config().initResult != 0)
        return CUresult(config().initResult);
    if (!visibleToCuda(config())) {
        trace("cuInit: CUDA_VISIBLE_DEVICES=\"%s\" hides the device", getenv("CUDA_VISIBLE_DEVICES"));
        return cu::NoDevice;
    }
    __atomic_store_n(&g_initialized, 1, __ATOMIC_RELEASE);
    return cu::Success;
}

CUresult cuDriverGetVersion(int *version)
{
    hangIfListed(__func__);
    if (!version)
        return cu::InvalidValue;
    *version = reportedDriverVersion(config(), driverMode());
    trace("cuDriverGetVersion() = %d", *version);
    return cu::Success;
}

CUresult cuGetErrorString(CUresult error, const char **text)
{
    enter(__func__);
    if (!text)
        return cu::InvalidValue;
    const ErrorText *e = findError(error);
    *text = e ? e->text : nullptr;
    return e ? cu::Success : cu::InvalidValue;
}

CUresult cuGetErrorName(CUresult error, const char **text)
{
    enter(__func__);
    if (!text)
        return cu::InvalidValue;
    const ErrorText *e = findError(error);
    *text = e ? e->name : nullptr;
    return e ? cu::Success : cu::InvalidValue;
}

CUresult cuDeviceGetCount(int *count)
{
    enter(__func__);
    if (!count)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    *count = 1;
    return cu::Success;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal)
{
    enter(__func__);
    if (!device)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    if (ordinal != 0)
        return cu::InvalidDevice;
    *device = 0;
    return cu::Success;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device)
{
    enter(__func__);
    if (!value)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    if (attribute < 1 || attribute >= kAttributeEnd)
        return cu::InvalidValue;
    *value = attributeValue(attribute, config());
    return cu::Success;
}

CUresult cuDeviceGetName(char *name, int length, CUdevice device)
{
    enter(__func__);
    if (!name || length <= 0)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    snprintf(name, size_t(length), "%s", config().name);
    return cu::Success;
}

CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice device)
{
    enter(__func__);
    if (!bytes)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    // The 32-bit ABI of CUDA 2.x cannot say more than 4 GiB.
    const uint64_t total = config().totalBytes;
    *bytes = total > UINT_MAX ? UINT_MAX : static_cast<unsigned int>(total);
    return cu::Success;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device)
{
    enter(__func__);
    if (!bytes)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    *bytes = config().totalBytes;
    return cu::Success;
}

CUresult cuDeviceComputeCapability(int *major, int *minor, CUdevice device)
{
    enter(__func__);
    if (!major || !minor)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    *major = config().ccMajor;
    *minor = config().ccMinor;
    return cu::Success;
}

CUresult cuDeviceGetPCIBusId(char *busId, int length, CUdevice device)
{
    enter(__func__);
    if (!busId || length <= 0)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    const Config &c = config();
    snprintf(busId, size_t(length), "%04x:%02x:%02x.%x", c.domain, c.bus, c.device, c.function);
    return cu::Success;
}

CUresult cuDeviceGetByPCIBusId(CUdevice *device, const char *busId)
{
    enter(__func__);
    if (!device || !busId)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    unsigned domain = 0, bus = 0, dev = 0, fn = 0;
    int used = 0;
    if (sscanf(busId, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &used) != 4 || busId[used])
        return cu::InvalidValue;
    const Config &c = config();
    if (domain != c.domain || bus != c.bus || dev != c.device || fn != c.function)
        return cu::InvalidDevice;
    *device = 0;
    return cu::Success;
}

CUresult cuDeviceGetUuid(CUuuid *uuid, CUdevice device)
{
    enter(__func__);
    if (!uuid)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    memcpy(uuid->bytes, config().uuid, sizeof uuid->bytes);
    return cu::Success;
}

// The _v2 spelling differs from v1 only for MIG instances, which this device has none of.
CUresult cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice device)
{
    enter(__func__);
    return cuDeviceGetUuid(uuid, device);
}
