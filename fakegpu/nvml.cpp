// The fake libnvidia-ml.so.1: the NVML calls that Ollama's discovery and ggml's memory query
// make, answering for the same one device as the fake libcuda.so.1 (same configuration), in
// NVML's own spellings (8-digit PCI domain, "GPU-" UUIDs). nvmlInit and nvmlShutdown are
// reference counted, as NVML's are, so that libraries sharing a process do not shut each
// other out.
#include "fakegpu.h"

#include <stdio.h>
#include <string.h>

namespace {

using nvmlReturn_t = int;
struct FakeNvmlDevice {
    unsigned magic;
};
using nvmlDevice_t = FakeNvmlDevice *;

struct nvmlMemory_t {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

struct nvmlMemory_v2_t {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
};

// The layout nvmlDeviceGetPciInfo_v3 fills: a 16-byte legacy bus id, the numeric location
// and ids, and the 32-byte bus id.
struct nvmlPciInfo_t {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
};

constexpr nvmlReturn_t kSuccess = 0;
constexpr nvmlReturn_t kUninitialized = 1;
constexpr nvmlReturn_t kInvalidArgument = 2;
constexpr nvmlReturn_t kNotFound = 6;
constexpr nvmlReturn_t kInsufficientSize = 7;
constexpr nvmlReturn_t kArgumentVersionMismatch = 25;
constexpr nvmlReturn_t kUnknown = 999;

// NVML_STRUCT_VERSION(Memory, 2): the struct size in the low bits, the version in the top byte.
constexpr unsigned int kMemoryV2Version = unsigned(sizeof(nvmlMemory_v2_t)) | (2u << 24);

constexpr unsigned kDeviceMagic = 0x4e564d4c; // "NVML"
FakeNvmlDevice g_device = {kDeviceMagic};
int g_initCount = 0; // __atomic builtins

bool initialized()
{
    return __atomic_load_n(&g_initCount, __ATOMIC_ACQUIRE) > 0;
}

fakegpu::Mode mode()
{
    const fakegpu::Mode m = fakegpu::config().mode;
    return m == fakegpu::Mode::Unset ? fakegpu::Mode::Healthy : m;
}

unsigned deviceCount()
{
    if (fakegpu::config().nvmlDeviceCount >= 0)
        return unsigned(fakegpu::config().nvmlDeviceCount);
    return mode() == fakegpu::Mode::NoDevice ? 0 : 1;
}

nvmlReturn_t checkDevice(nvmlDevice_t device)
{
    if (!initialized())
        return kUninitialized;
    return device == &g_device && deviceCount() > 0 ? kSuccess : kInvalidArgument;
}

nvmlReturn_t copyString(char *out, unsigned int length, const char *text)
{
    if (!out)
        return kInvalidArgument;
    if (strlen(text) + 1 > length)
        return kInsufficientSize;
    memcpy(out, text, strlen(text) + 1);
    return kSuccess;
}

struct ErrorText {
    nvmlReturn_t code;
    const char *text;
};

constexpr ErrorText kErrors[] = {
    {0, "Success"},
    {1, "Uninitialized"},
    {2, "Invalid Argument"},
    {3, "Not Supported"},
    {4, "Insufficient Permissions"},
    {5, "Already Initialized"},
    {6, "Not Found"},
    {7, "Insufficient Size"},
    {8, "Insufficient External Power"},
    {9, "Driver Not Loaded"},
    {10, "Timeout"},
    {12, "NVML Shared Library Not Found"},
    {13, "Function Not Found"},
    {15, "GPU is lost"},
    {25, "Argument version mismatch"},
    {999, "Unknown Error"},
};

} // namespace

using fakegpu::trace;

FAKEGPU_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags)
{
    trace("nvmlInitWithFlags(%u)", flags);
    if (!fakegpu::config().valid)
        return kUnknown;
    __atomic_add_fetch(&g_initCount, 1, __ATOMIC_ACQ_REL);
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlInit_v2(void)
{
    return nvmlInitWithFlags(0);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlInit(void)
{
    return nvmlInitWithFlags(0);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlShutdown(void)
{
    trace("nvmlShutdown");
    int count = __atomic_load_n(&g_initCount, __ATOMIC_ACQUIRE);
    do {
        if (count <= 0)
            return kUninitialized;
    } while (!__atomic_compare_exchange_n(&g_initCount, &count, count - 1, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return kSuccess;
}

FAKEGPU_EXPORT const char *nvmlErrorString(nvmlReturn_t result)
{
    for (const ErrorText &e : kErrors) {
        if (e.code == result)
            return e.text;
    }
    return "Unknown Error";
}

FAKEGPU_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
    trace("nvmlSystemGetDriverVersion");
    if (!initialized())
        return kUninitialized;
    return copyString(version, length, fakegpu::config().nvmlDriverVersion);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version)
{
    trace("nvmlSystemGetCudaDriverVersion_v2");
    if (!version)
        return kInvalidArgument;
    if (!initialized())
        return kUninitialized;
    // The same number the fake libcuda reports, old-driver included.
    *version = fakegpu::reportedDriverVersion(fakegpu::config(), mode());
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version)
{
    return nvmlSystemGetCudaDriverVersion_v2(version);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    trace("nvmlDeviceGetCount_v2");
    if (!count)
        return kInvalidArgument;
    if (!initialized())
        return kUninitialized;
    *count = deviceCount();
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *count)
{
    return nvmlDeviceGetCount_v2(count);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    trace("nvmlDeviceGetHandleByIndex_v2(%u)", index);
    if (!device)
        return kInvalidArgument;
    if (!initialized())
        return kUninitialized;
    if (index >= deviceCount())
        return kInvalidArgument;
    *device = &g_device;
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device)
{
    return nvmlDeviceGetHandleByIndex_v2(index, device);
}

// Callers pass either spelling of the bus id (CUDA's 4-digit domain or NVML's 8-digit one,
// any case), so the comparison is numeric.
FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *busId,
                                                             nvmlDevice_t *device)
{
    trace("nvmlDeviceGetHandleByPciBusId_v2(%s)", busId ? busId : "(null)");
    if (!busId || !device)
        return kInvalidArgument;
    if (!initialized())
        return kUninitialized;
    unsigned domain = 0, bus = 0, dev = 0, fn = 0;
    int used = 0;
    if (sscanf(busId, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &used) != 4 || busId[used])
        return kInvalidArgument;
    const fakegpu::Config &c = fakegpu::config();
    if (deviceCount() == 0 || domain != c.domain || bus != c.bus || dev != c.device ||
        fn != c.function)
        return kNotFound;
    *device = &g_device;
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetHandleByPciBusId(const char *busId, nvmlDevice_t *device)
{
    return nvmlDeviceGetHandleByPciBusId_v2(busId, device);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    trace("nvmlDeviceGetName");
    if (nvmlReturn_t r = checkDevice(device); r != kSuccess)
        return r;
    return copyString(name, length, fakegpu::config().name);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    trace("nvmlDeviceGetUUID");
    if (nvmlReturn_t r = checkDevice(device); r != kSuccess)
        return r;
    char text[64];
    fakegpu::formatUuid(fakegpu::config().uuid, text, sizeof text);
    return copyString(uuid, length, text);
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    trace("nvmlDeviceGetMemoryInfo");
    if (!memory)
        return kInvalidArgument;
    if (nvmlReturn_t r = checkDevice(device); r != kSuccess)
        return r;
    const fakegpu::Config &c = fakegpu::config();
    // nvml-zero-memory: the device is there, its memory reads as nothing — the discovery
    // symptom of the incident (total_vram="0 B").
    const bool zero = mode() == fakegpu::Mode::NvmlZeroMemory;
    memory->total = zero ? 0 : c.totalBytes;
    memory->free = zero ? 0 : c.freeBytes;
    memory->used = memory->total - memory->free;
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory)
{
    trace("nvmlDeviceGetMemoryInfo_v2");
    if (!memory)
        return kInvalidArgument;
    if (memory->version != kMemoryV2Version)
        return kArgumentVersionMismatch;
    nvmlMemory_t plain = {};
    if (nvmlReturn_t r = nvmlDeviceGetMemoryInfo(device, &plain); r != kSuccess)
        return r;
    // The driver keeps a share for itself; the fake reserves nothing.
    memory->total = plain.total;
    memory->reserved = 0;
    memory->free = plain.free;
    memory->used = plain.used;
    return kSuccess;
}

FAKEGPU_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    trace("nvmlDeviceGetPciInfo_v3");
    if (!pci)
        return kInvalidArgument;
    if (nvmlReturn_t r = checkDevice(device); r != kSuccess)
        return r;
    const fakegpu::Config &c = fakegpu::config();
    memset(pci, 0, sizeof *pci);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.%X", c.domain, c.bus,
             c.device, c.function);
    snprintf(pci->busId, sizeof pci->busId, "%08X:%02X:%02X.%X", c.domain, c.bus, c.device,
             c.function);
    pci->domain = c.domain;
    pci->bus = c.bus;
    pci->device = c.device;
    pci->pciDeviceId = (0x20b0u << 16) | 0x10deu;
    pci->pciSubSystemId = (0x134fu << 16) | 0x10deu;
    return kSuccess;
}
