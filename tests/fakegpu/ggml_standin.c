/* Stands in for the prebuilt libggml-cuda.so in the tests: a shared library that NEEDS
 * libcuda.so.1 and imports exactly the driver functions ggml-cuda imports, so that loading
 * it binds them the way loading ggml-cuda does (a missing one fails the dlopen). */
#include <stddef.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef unsigned long long CUmemGenericAllocationHandle;

CUresult cuInit(unsigned int flags);
CUresult cuDeviceGetCount(int *count);
CUresult cuDeviceGet(CUdevice *device, int ordinal);
CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device);
CUresult cuGetErrorString(CUresult error, const char **text);
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const void *prop,
                     unsigned long long flags);
CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr address,
                             unsigned long long flags);
CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size);
CUresult cuMemGetAllocationGranularity(size_t *granularity, const void *prop, int option);
CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags);
CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const void *desc, size_t count);
CUresult cuMemUnmap(CUdeviceptr ptr, size_t size);

/* ggml's VMM pool: reserve, create, map, grant access, and undo it all. cuMemCreate is
 * referenced first so that it heads the PLT relocations, which makes a driver without the
 * VMM calls fail the dlopen with the same "undefined symbol: cuMemCreate" as ggml-cuda. */
__attribute__((visibility("default"))) int standin_vmm_roundtrip(void)
{
    unsigned char prop[64] = {0};
    CUmemGenericAllocationHandle handle = 0;
    size_t granularity = 2u << 20;
    CUdevice device = 0;
    int vmm = 0;
    CUdeviceptr base = 0;
    unsigned char access[16] = {0};
    const char *text = NULL;
    if (cuMemCreate(&handle, 0, prop, 0) == 0) /* a size of 0 must be refused */
        return 1;
    if (cuDeviceGet(&device, 0) != 0 || cuDeviceGetAttribute(&vmm, 102, device) != 0 || !vmm)
        return 2;
    if (cuMemGetAllocationGranularity(&granularity, prop, 0) != 0 ||
        cuMemAddressReserve(&base, 4 * granularity, 0, 0, 0) != 0 ||
        cuMemCreate(&handle, granularity, prop, 0) != 0 ||
        cuMemMap(base, granularity, 0, handle, 0) != 0 ||
        cuMemSetAccess(base, granularity, access, 1) != 0 || cuMemUnmap(base, granularity) != 0 ||
        cuMemRelease(handle) != 0 || cuMemAddressFree(base, 4 * granularity) != 0)
        return 3;
    return cuGetErrorString(0, &text) == 0 && text ? 0 : 4;
}

/* ggml_backend_cuda_get_device_count's driver-side equivalent. */
__attribute__((visibility("default"))) int standin_device_count(void)
{
    int count = -1;
    if (cuInit(0) != 0 || cuDeviceGetCount(&count) != 0)
        return -1;
    return count;
}
