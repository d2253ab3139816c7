// initscope-probe: performs the first steps of the GPU discovery that ggml and Ollama do —
// dlopen("libcuda.so.1"), cuInit, cuDriverGetVersion, cuDeviceGetCount — and prints failures
// the way ggml does ("<function>: failed to initialize CUDA: <reason>"). It declares the few
// driver entry points it needs itself, so it builds without the CUDA toolkit.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace {

// The driver API's result type is an int-sized enum; 0 is success.
using CUresult = int;
using CUdevice = int;
using cuInit_t = CUresult (*)(unsigned int flags);
using cuDriverGetVersion_t = CUresult (*)(int *version);
using cuDeviceGetCount_t = CUresult (*)(int *count);
using cuDeviceGet_t = CUresult (*)(CUdevice *device, int ordinal);
using cuDeviceGetName_t = CUresult (*)(char *name, int length, CUdevice device);
using cuGetErrorString_t = CUresult (*)(CUresult error, const char **text);
using cuGetErrorName_t = CUresult (*)(CUresult error, const char **text);

struct Driver {
    void *handle = nullptr;
    cuGetErrorString_t getErrorString = nullptr;
    cuGetErrorName_t getErrorName = nullptr;
};

template<typename F> F lookup(void *handle, const char *name)
{
    return reinterpret_cast<F>(dlsym(handle, name));
}

// The driver's own words for a result, as ggml prints them (cuGetErrorString), with a
// numeric fallback when the library cannot say.
void describe(const Driver &driver, CUresult result, char *out, size_t size)
{
    const char *text = nullptr;
    if (driver.getErrorString && driver.getErrorString(result, &text) == 0 && text) {
        std::snprintf(out, size, "%s", text);
        return;
    }
    const char *name = nullptr;
    if (driver.getErrorName && driver.getErrorName(result, &name) == 0 && name) {
        std::snprintf(out, size, "%s (%d)", name, result);
        return;
    }
    std::snprintf(out, size, "CUDA driver error %d", result);
}

int fail(const char *function, const char *reason)
{
    std::fprintf(stderr, "%s: failed to initialize CUDA: %s\n", function, reason);
    return EXIT_FAILURE;
}

} // namespace

int main(int argc, char **argv)
{
    const char *library = argc > 1 ? argv[1] : "libcuda.so.1";
    std::printf("initscope-probe: loading %s\n", library);
    std::fflush(stdout);

    Driver driver;
    driver.handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!driver.handle)
        return fail("probe_cuda_init", dlerror());
    driver.getErrorString = lookup<cuGetErrorString_t>(driver.handle, "cuGetErrorString");
    driver.getErrorName = lookup<cuGetErrorName_t>(driver.handle, "cuGetErrorName");

    char reason[512];
    auto init = lookup<cuInit_t>(driver.handle, "cuInit");
    auto driverGetVersion = lookup<cuDriverGetVersion_t>(driver.handle, "cuDriverGetVersion");
    auto deviceGetCount = lookup<cuDeviceGetCount_t>(driver.handle, "cuDeviceGetCount");
    if (!init || !driverGetVersion || !deviceGetCount) {
        std::snprintf(reason, sizeof reason, "%s does not export %s", library,
                      !init ? "cuInit" : !driverGetVersion ? "cuDriverGetVersion" : "cuDeviceGetCount");
        return fail("probe_cuda_init", reason);
    }

    CUresult r = init(0);
    if (r != 0) {
        describe(driver, r, reason, sizeof reason);
        return fail("probe_cuda_init", reason);
    }
    int version = 0;
    r = driverGetVersion(&version);
    if (r != 0) {
        describe(driver, r, reason, sizeof reason);
        return fail("probe_cuda_init", reason);
    }
    int count = 0;
    r = deviceGetCount(&count);
    if (r != 0) {
        describe(driver, r, reason, sizeof reason);
        return fail("probe_cuda_init", reason);
    }
    std::printf("initscope-probe: CUDA driver version %d.%d, %d device(s)\n", version / 1000,
                (version % 1000) / 10, count);

    auto deviceGet = lookup<cuDeviceGet_t>(driver.handle, "cuDeviceGet");
    auto deviceGetName = lookup<cuDeviceGetName_t>(driver.handle, "cuDeviceGetName");
    for (int i = 0; deviceGet && deviceGetName && i < count; ++i) {
        CUdevice device = 0;
        char name[256] = {};
        if (deviceGet(&device, i) == 0 && deviceGetName(name, sizeof name, device) == 0)
            std::printf("initscope-probe:   device %d: %s\n", i, name);
    }
    if (count == 0)
        return fail("probe_cuda_init", "no CUDA-capable device is detected");
    return EXIT_SUCCESS;
}
