// Contexts and memory of the fake device. The one primary context is shared by all threads
// (reference counted, as the driver's is); which context is current is per thread. The
// virtual-memory calls that ggml imports hand out consistent fake addresses and handles but
// back them with nothing: no program may dereference device memory of a fake GPU.
#include "driverapi.h"
#include "driverstate.h"

#include <limits.h>

struct FakeContext {
    unsigned magic;
    CUdevice device;
};

namespace fakegpu {
namespace {

constexpr unsigned kContextMagic = 0x46414b45; // "FAKE"
FakeContext g_primary = {kContextMagic, 0};
int g_primaryRefs = 0;       // __atomic builtins
unsigned g_primaryFlags = 0; // __atomic builtins

// A short stack per thread is enough for push/pop nesting in practice; overflowing it is
// reported as the driver reports exhaustion.
constexpr int kStackDepth = 16;
thread_local CUcontext t_stack[kStackDepth];
thread_local int t_depth = 0;

CUcontext current()
{
    return t_depth > 0 ? t_stack[t_depth - 1] : nullptr;
}

bool isContext(CUcontext context)
{
    return context == &g_primary;
}

// The fake address space starts high and grows; reservations are never reused, which keeps
// every address that was ever handed out unique within the process.
constexpr CUdeviceptr kAddressBase = 0x7e0000000000ull;
constexpr size_t kGranularity = 2u << 20;
CUdeviceptr g_nextAddress = kAddressBase;      // __atomic builtins
CUmemGenericAllocationHandle g_nextHandle = 1; // __atomic builtins

} // namespace
} // namespace fakegpu

using namespace fakegpu;

CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device)
{
    enter(__func__);
    if (!context)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    __atomic_add_fetch(&g_primaryRefs, 1, __ATOMIC_ACQ_REL);
    *context = &g_primary;
    return cu::Success;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device)
{
    enter(__func__);
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    int refs = __atomic_load_n(&g_primaryRefs, __ATOMIC_ACQUIRE);
    do {
        if (refs <= 0)
            return cu::InvalidContext;
    } while (!__atomic_compare_exchange_n(&g_primaryRefs, &refs, refs - 1, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return cu::Success;
}

CUresult cuDevicePrimaryCtxRelease(CUdevice device)
{
    enter(__func__);
    return cuDevicePrimaryCtxRelease_v2(device);
}

CUresult cuDevicePrimaryCtxGetState(CUdevice device, unsigned int *flags, int *active)
{
    enter(__func__);
    if (!flags || !active)
        return cu::InvalidValue;
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    *flags = __atomic_load_n(&g_primaryFlags, __ATOMIC_ACQUIRE);
    *active = __atomic_load_n(&g_primaryRefs, __ATOMIC_ACQUIRE) > 0;
    return cu::Success;
}

CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice device, unsigned int flags)
{
    enter(__func__);
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    __atomic_store_n(&g_primaryFlags, flags, __ATOMIC_RELEASE);
    return cu::Success;
}

CUresult cuDevicePrimaryCtxSetFlags(CUdevice device, unsigned int flags)
{
    enter(__func__);
    // Before CUDA 11 the flags could not change while the context was active.
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    if (__atomic_load_n(&g_primaryRefs, __ATOMIC_ACQUIRE) > 0)
        return cu::PrimaryContextActive;
    return cuDevicePrimaryCtxSetFlags_v2(device, flags);
}

CUresult cuDevicePrimaryCtxReset_v2(CUdevice device)
{
    enter(__func__);
    if (CUresult r = checkDevice(device); r != cu::Success)
        return r;
    __atomic_store_n(&g_primaryRefs, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&g_primaryFlags, 0u, __ATOMIC_RELEASE);
    return cu::Success;
}

CUresult cuDevicePrimaryCtxReset(CUdevice device)
{
    enter(__func__);
    return cuDevicePrimaryCtxReset_v2(device);
}

CUresult cuCtxGetCurrent(CUcontext *context)
{
    enter(__func__);
    if (!context)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    *context = current();
    return cu::Success;
}

CUresult cuCtxSetCurrent(CUcontext context)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    if (context && !isContext(context))
        return cu::InvalidContext;
    if (t_depth == 0) {
        if (!context)
            return cu::Success;
        t_depth = 1;
    }
    t_stack[t_depth - 1] = context;
    return cu::Success;
}

CUresult cuCtxPushCurrent_v2(CUcontext context)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    if (!isContext(context))
        return cu::InvalidContext;
    if (t_depth == kStackDepth)
        return cu::OutOfMemory;
    t_stack[t_depth++] = context;
    return cu::Success;
}

CUresult cuCtxPopCurrent_v2(CUcontext *context)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    if (t_depth == 0 || !current())
        return cu::InvalidContext;
    CUcontext popped = t_stack[--t_depth];
    if (context)
        *context = popped;
    return cu::Success;
}

CUresult cuCtxGetDevice(CUdevice *device)
{
    enter(__func__);
    if (!device)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    CUcontext c = current();
    if (!c)
        return cu::InvalidContext;
    *device = c->device;
    return cu::Success;
}

// CUDA 13's spelling names the context; NULL means the current one.
CUresult cuCtxGetDevice_v2(CUdevice *device, CUcontext context)
{
    enter(__func__);
    if (!context)
        return cuCtxGetDevice(device);
    if (!device)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    if (!isContext(context))
        return cu::InvalidContext;
    *device = context->device;
    return cu::Success;
}

CUresult cuCtxSynchronize(void)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    return current() ? cu::Success : cu::InvalidContext;
}

CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
{
    enter(__func__);
    if (!free || !total)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    if (!current())
        return cu::InvalidContext;
    *free = config().freeBytes;
    *total = config().totalBytes;
    return cu::Success;
}

CUresult cuMemGetInfo(unsigned int *free, unsigned int *total)
{
    enter(__func__);
    size_t f = 0, t = 0;
    CUresult r = cuMemGetInfo_v2(free ? &f : nullptr, total ? &t : nullptr);
    if (r == cu::Success) {
        *free = f > UINT_MAX ? UINT_MAX : static_cast<unsigned int>(f);
        *total = t > UINT_MAX ? UINT_MAX : static_cast<unsigned int>(t);
    }
    return r;
}

CUresult cuMemGetAllocationGranularity(size_t *granularity, const CUmemAllocationProp *prop,
                                       int option)
{
    enter(__func__);
    if (!granularity || !prop || option < 0 || option > 1)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    *granularity = kGranularity;
    return cu::Success;
}

CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr address,
                             unsigned long long flags)
{
    enter(__func__);
    (void)address; // a hint the driver may ignore, and so does the fake
    if (!ptr || size == 0 || size % kGranularity || flags != 0 ||
        (alignment & (alignment - 1)) != 0)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    const size_t align = alignment > kGranularity ? alignment : kGranularity;
    CUdeviceptr expected = __atomic_load_n(&g_nextAddress, __ATOMIC_ACQUIRE);
    CUdeviceptr start = 0;
    do {
        start = (expected + align - 1) & ~CUdeviceptr(align - 1);
    } while (!__atomic_compare_exchange_n(&g_nextAddress, &expected, start + size, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    *ptr = start;
    return cu::Success;
}

CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    return ptr >= kAddressBase && size != 0 ? cu::Success : cu::InvalidValue;
}

CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                     const CUmemAllocationProp *prop, unsigned long long flags)
{
    enter(__func__);
    if (!handle || !prop || size == 0 || size % kGranularity || flags != 0)
        return cu::InvalidValue;
    if (!cu::initialized())
        return cu::NotInitialized;
    if (size > config().freeBytes)
        return cu::OutOfMemory;
    *handle = __atomic_fetch_add(&g_nextHandle, 1, __ATOMIC_ACQ_REL);
    return cu::Success;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    return handle != 0 && handle < __atomic_load_n(&g_nextHandle, __ATOMIC_ACQUIRE)
               ? cu::Success
               : cu::InvalidHandle;
}

CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                  unsigned long long flags)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    if (ptr < kAddressBase || size == 0 || size % kGranularity || offset % kGranularity ||
        flags != 0)
        return cu::InvalidValue;
    return cuMemRelease(handle) == cu::Success ? cu::Success : cu::InvalidHandle;
}

CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    return ptr >= kAddressBase && size != 0 ? cu::Success : cu::InvalidValue;
}

CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc, size_t count)
{
    enter(__func__);
    if (!cu::initialized())
        return cu::NotInitialized;
    return ptr >= kAddressBase && size != 0 && desc && count != 0 ? cu::Success : cu::InvalidValue;
}

CUresult cuCtxSynchronize_v2(CUcontext context)
{
    enter(__func__);
    if (!context)
        return cuCtxSynchronize();
    if (!cu::initialized())
        return cu::NotInitialized;
    return isContext(context) ? cu::Success : cu::InvalidContext;
}
