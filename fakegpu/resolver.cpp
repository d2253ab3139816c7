// cuGetProcAddress and cuGetProcAddress_v2: the real CUDA runtime looks up one symbol with
// dlsym (cuGetProcAddress_v2) and resolves every other entry point through it, asking for a
// base name and the CUDA version whose ABI it was compiled against. A name can have several
// ABIs (cuDeviceTotalMem: 32-bit before 3.2, size_t since), so the table lists each ABI with
// the version that introduced it and the newest one not newer than the request wins.
#include "driverapi.h"
#include "driverstate.h"

#include <string.h>

namespace fakegpu {
namespace {

struct Entry {
    const char *name;
    int since; // CUDA version (1000 * major + 10 * minor) that introduced this ABI
    void *function;
};

template<typename F> void *address(F *function)
{
    return reinterpret_cast<void *>(function);
}

const Entry kEntries[] = {
    {"cuInit", 2000, address(cuInit)},
    {"cuDriverGetVersion", 2020, address(cuDriverGetVersion)},
    {"cuGetErrorString", 6000, address(cuGetErrorString)},
    {"cuGetErrorName", 6000, address(cuGetErrorName)},
    {"cuGetExportTable", 3000, address(cuGetExportTable)},
    {"cuGetProcAddress", 11030, address(cuGetProcAddress)},
#if !defined(FAKEGPU_VARIANT_NO_GETPROCADDRESS_V2)
    {"cuGetProcAddress", 12000, address(cuGetProcAddress_v2)},
#endif
    {"cuDeviceGet", 2000, address(cuDeviceGet)},
    {"cuDeviceGetCount", 2000, address(cuDeviceGetCount)},
    {"cuDeviceGetName", 2000, address(cuDeviceGetName)},
    {"cuDeviceGetAttribute", 2000, address(cuDeviceGetAttribute)},
    {"cuDeviceComputeCapability", 2000, address(cuDeviceComputeCapability)},
    {"cuDeviceTotalMem", 2000, address(cuDeviceTotalMem)},
    {"cuDeviceTotalMem", 3020, address(cuDeviceTotalMem_v2)},
    {"cuDeviceGetPCIBusId", 4010, address(cuDeviceGetPCIBusId)},
    {"cuDeviceGetByPCIBusId", 4010, address(cuDeviceGetByPCIBusId)},
    {"cuDeviceGetUuid", 9020, address(cuDeviceGetUuid)},
    {"cuDeviceGetUuid", 11040, address(cuDeviceGetUuid_v2)},
    {"cuDevicePrimaryCtxRetain", 7000, address(cuDevicePrimaryCtxRetain)},
    {"cuDevicePrimaryCtxRelease", 7000, address(cuDevicePrimaryCtxRelease)},
    {"cuDevicePrimaryCtxRelease", 11000, address(cuDevicePrimaryCtxRelease_v2)},
    {"cuDevicePrimaryCtxGetState", 7000, address(cuDevicePrimaryCtxGetState)},
    {"cuDevicePrimaryCtxSetFlags", 7000, address(cuDevicePrimaryCtxSetFlags)},
    {"cuDevicePrimaryCtxSetFlags", 11000, address(cuDevicePrimaryCtxSetFlags_v2)},
    {"cuDevicePrimaryCtxReset", 7000, address(cuDevicePrimaryCtxReset)},
    {"cuDevicePrimaryCtxReset", 11000, address(cuDevicePrimaryCtxReset_v2)},
    {"cuCtxGetCurrent", 4000, address(cuCtxGetCurrent)},
    {"cuCtxSetCurrent", 4000, address(cuCtxSetCurrent)},
    {"cuCtxPushCurrent", 4000, address(cuCtxPushCurrent_v2)},
    {"cuCtxPopCurrent", 4000, address(cuCtxPopCurrent_v2)},
    {"cuCtxGetDevice", 2000, address(cuCtxGetDevice)},
    {"cuCtxGetDevice", 13000, address(cuCtxGetDevice_v2)},
    {"cuCtxSynchronize", 2000, address(cuCtxSynchronize)},
    {"cuCtxSynchronize", 13000, address(cuCtxSynchronize_v2)},
    {"cuMemGetInfo", 2000, address(cuMemGetInfo)},
    {"cuMemGetInfo", 3020, address(cuMemGetInfo_v2)},
#if !defined(FAKEGPU_VARIANT_NO_VMM)
    {"cuMemAddressReserve", 10020, address(cuMemAddressReserve)},
    {"cuMemAddressFree", 10020, address(cuMemAddressFree)},
    {"cuMemCreate", 10020, address(cuMemCreate)},
    {"cuMemRelease", 10020, address(cuMemRelease)},
    {"cuMemMap", 10020, address(cuMemMap)},
    {"cuMemUnmap", 10020, address(cuMemUnmap)},
    {"cuMemSetAccess", 10020, address(cuMemSetAccess)},
    {"cuMemGetAllocationGranularity", 10020, address(cuMemGetAllocationGranularity)},
#endif
};

const Entry kV1Resolver = {"cuGetProcAddress", 11030, address(cuGetProcAddress)};

CUresult resolve(const char *api, const char *symbol, void **function, int cudaVersion,
                 unsigned long long flags, int *symbolStatus)
{
    const Mode mode = driverMode();
    int status = cu::SymbolNotFound;
    CUresult result = cu::NotFound;
    if (!symbol || !function) {
        result = cu::InvalidValue;
    } else if (cudaVersion > config().driverVersion) {
        // Documented: a caller newer than the driver is refused outright. The configured
        // version decides, not the one old-driver reports: that mode is a driver that serves
        // every ABI and then misstates its version, so that the runtime's version check is
        // what fails.
        *function = nullptr;
        result = cu::InvalidValue;
    } else {
        *function = nullptr;
        const Entry *best = nullptr;
        bool known = false;
        for (const Entry &e : kEntries) {
            if (strcmp(e.name, symbol) != 0)
                continue;
            known = true;
            if (e.since <= cudaVersion && (!best || e.since > best->since))
                best = &e;
        }
        // The v1-resolver fault: the 4-argument resolver handed out where the 5-argument
        // ABI was asked for, as a driver that predates CUDA 12 (or a careless shim) does.
        if (best && mode == Mode::V1Resolver && strcmp(symbol, "cuGetProcAddress") == 0)
            best = &kV1Resolver;
        if (best) {
            *function = best->function;
            status = cu::SymbolFound;
            result = cu::Success;
        } else if (known) {
            status = cu::VersionNotSufficient;
        }
    }
    if (symbolStatus)
        *symbolStatus = status;
    trace("%s(\"%s\", %d, 0x%llx) = %d, status %d", api, symbol ? symbol : "(null)", cudaVersion,
          flags, result, status);
    return result;
}

} // namespace
} // namespace fakegpu

CUresult cuGetProcAddress(const char *symbol, void **function, int cudaVersion,
                          unsigned long long flags)
{
    return fakegpu::resolve("cuGetProcAddress", symbol, function, cudaVersion, flags, nullptr);
}

CUresult cuGetProcAddress_v2(const char *symbol, void **function, int cudaVersion,
                             unsigned long long flags, int *symbolStatus)
{
    return fakegpu::resolve("cuGetProcAddress_v2", symbol, function, cudaVersion, flags,
                            symbolStatus);
}
