// The driver API surface of the fake libcuda.so.1, declared from the documented ABI (result
// codes and handles are ints, 64-bit integers and opaque pointers). Which names the ELF file
// exports is decided here, per build variant: a real driver that lacks a symbol is
// reproduced only by a file that lacks it, because consumers bind at dlopen/dlsym time.
#pragma once

#include "fakegpu.h"

#if defined(FAKEGPU_VARIANT_NO_VMM)
#define FAKEGPU_VMM_EXPORT extern "C"
#else
#define FAKEGPU_VMM_EXPORT FAKEGPU_EXPORT
#endif
#if defined(FAKEGPU_VARIANT_NO_GETPROCADDRESS_V2)
#define FAKEGPU_GPA_V2_EXPORT extern "C"
#else
#define FAKEGPU_GPA_V2_EXPORT FAKEGPU_EXPORT
#endif

struct FakeContext;

using CUresult = int;
using CUdevice = int;
using CUcontext = FakeContext *;
using CUdeviceptr = unsigned long long;
using CUmemGenericAllocationHandle = unsigned long long;
struct CUuuid {
    char bytes[16];
};
struct CUmemAllocationProp; // only passed through
struct CUmemAccessDesc;     // only passed through

namespace fakegpu::cu {
constexpr CUresult Success = 0;
constexpr CUresult InvalidValue = 1;
constexpr CUresult OutOfMemory = 2;
constexpr CUresult NotInitialized = 3;
constexpr CUresult NoDevice = 100;
constexpr CUresult InvalidDevice = 101;
constexpr CUresult InvalidContext = 201;
constexpr CUresult InvalidHandle = 400;
constexpr CUresult NotFound = 500;
constexpr CUresult PrimaryContextActive = 708;
constexpr CUresult NotSupported = 801;

// cuGetProcAddress_v2's symbolStatus values.
constexpr int SymbolFound = 0;
constexpr int SymbolNotFound = 1;
constexpr int VersionNotSufficient = 2;

// cuInit has succeeded in this process.
bool initialized();
} // namespace fakegpu::cu

FAKEGPU_EXPORT CUresult cuInit(unsigned int flags);
FAKEGPU_EXPORT CUresult cuDriverGetVersion(int *version);
FAKEGPU_EXPORT CUresult cuGetErrorString(CUresult error, const char **text);
FAKEGPU_EXPORT CUresult cuGetErrorName(CUresult error, const char **text);

FAKEGPU_EXPORT CUresult cuDeviceGetCount(int *count);
FAKEGPU_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal);
FAKEGPU_EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceGetName(char *name, int length, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceComputeCapability(int *major, int *minor, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceGetPCIBusId(char *busId, int length, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceGetByPCIBusId(CUdevice *device, const char *busId);
FAKEGPU_EXPORT CUresult cuDeviceGetUuid(CUuuid *uuid, CUdevice device);
FAKEGPU_EXPORT CUresult cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice device);

FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice device);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxGetState(CUdevice device, unsigned int *flags,
                                                   int *active);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxSetFlags(CUdevice device, unsigned int flags);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice device, unsigned int flags);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxReset(CUdevice device);
FAKEGPU_EXPORT CUresult cuDevicePrimaryCtxReset_v2(CUdevice device);
FAKEGPU_EXPORT CUresult cuCtxGetCurrent(CUcontext *context);
FAKEGPU_EXPORT CUresult cuCtxSetCurrent(CUcontext context);
FAKEGPU_EXPORT CUresult cuCtxPushCurrent_v2(CUcontext context);
FAKEGPU_EXPORT CUresult cuCtxPopCurrent_v2(CUcontext *context);
FAKEGPU_EXPORT CUresult cuCtxGetDevice(CUdevice *device);
FAKEGPU_EXPORT CUresult cuCtxGetDevice_v2(CUdevice *device, CUcontext context);
FAKEGPU_EXPORT CUresult cuCtxSynchronize(void);
FAKEGPU_EXPORT CUresult cuCtxSynchronize_v2(CUcontext context);
FAKEGPU_EXPORT CUresult cuMemGetInfo(unsigned int *free, unsigned int *total);
FAKEGPU_EXPORT CUresult cuMemGetInfo_v2(size_t *free, size_t *total);

FAKEGPU_VMM_EXPORT CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment,
                                                CUdeviceptr address, unsigned long long flags);
FAKEGPU_VMM_EXPORT CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size);
FAKEGPU_VMM_EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                                        const CUmemAllocationProp *prop, unsigned long long flags);
FAKEGPU_VMM_EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
FAKEGPU_VMM_EXPORT CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
                                     CUmemGenericAllocationHandle handle, unsigned long long flags);
FAKEGPU_VMM_EXPORT CUresult cuMemUnmap(CUdeviceptr ptr, size_t size);
FAKEGPU_VMM_EXPORT CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size,
                                           const CUmemAccessDesc *desc, size_t count);
FAKEGPU_VMM_EXPORT CUresult cuMemGetAllocationGranularity(size_t *granularity,
                                                          const CUmemAllocationProp *prop,
                                                          int option);

FAKEGPU_EXPORT CUresult cuGetProcAddress(const char *symbol, void **function, int cudaVersion,
                                         unsigned long long flags);
FAKEGPU_GPA_V2_EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **function,
                                                   int cudaVersion, unsigned long long flags,
                                                   int *symbolStatus);
FAKEGPU_EXPORT CUresult cuGetExportTable(const void **table, const CUuuid *id);
