// initscope-probe: performs the GPU bring-up that ggml and Ollama perform, along the three
// paths they take, and prints failures in their words:
//  - driver:  dlopen("libcuda.so.1"), cuInit, cuDriverGetVersion, cuDeviceGetCount and the
//             device queries of Ollama's discovery; then what the CUDA 12+ runtime needs from
//             the driver before it can work (a 5-argument cuGetProcAddress, the runtime's
//             export table). Failures: "probe_cuda_init: failed to initialize CUDA: <reason>".
//  - runtime: the newest libcudart.so.* (dlopen'ed), cudaGetDeviceCount,
//             cudaGetDeviceProperties, cudaMemGetInfo — ggml_cuda_init's sequence. Failures
//             print ggml's own line: "ggml_cuda_init: failed to initialize CUDA: <reason>".
//  - nvml:    libnvidia-ml.so.1 as Ollama's discovery uses it (nvmlInit_v2, driver version,
//             device handles, memory). Failures: "probe_nvml_init: ..." / "probe_nvml_device: ...".
// It declares the few entry points it needs itself, so it builds without the CUDA toolkit.
#include <dirent.h>
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kExitUsage = 64;

// The driver API's result type is an int-sized enum; 0 is success.
using CUresult = int;
using CUdevice = int;
using cuInit_t = CUresult (*)(unsigned int flags);
using cuDriverGetVersion_t = CUresult (*)(int *version);
using cuDeviceGetCount_t = CUresult (*)(int *count);
using cuDeviceGet_t = CUresult (*)(CUdevice *device, int ordinal);
using cuDeviceGetName_t = CUresult (*)(char *name, int length, CUdevice device);
using cuDeviceGetAttribute_t = CUresult (*)(int *value, int attribute, CUdevice device);
using cuDeviceTotalMem_t = CUresult (*)(size_t *bytes, CUdevice device);
using cuDeviceGetPCIBusId_t = CUresult (*)(char *busId, int length, CUdevice device);
using cuGetErrorString_t = CUresult (*)(CUresult error, const char **text);
using cuGetErrorName_t = CUresult (*)(CUresult error, const char **text);
using cuGetProcAddress_v2_t = CUresult (*)(const char *symbol, void **function, int cudaVersion,
                                           unsigned long long flags, int *symbolStatus);
using cuGetExportTable_t = CUresult (*)(const void **table, const unsigned char *uuid);

constexpr int kAttrComputeMajor = 75;
constexpr int kAttrComputeMinor = 76;

// The runtime's main private interface (CUDA 13 asks for it right after cuInit), bytes in
// memory order. A driver that refuses it makes every runtime call fail with its error.
constexpr unsigned char kRuntimeInterfaceId[16] = {0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a,
                                                   0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9};

using cudaError_t = int;
using cudaGetDeviceCount_t = cudaError_t (*)(int *count);
using cudaGetDeviceProperties_t = cudaError_t (*)(void *properties, int device);
using cudaSetDevice_t = cudaError_t (*)(int device);
using cudaMemGetInfo_t = cudaError_t (*)(size_t *free, size_t *total);
using cudaGetErrorString_t = const char *(*)(cudaError_t error);
using cudaGetErrorName_t = const char *(*)(cudaError_t error);
using cudaVersion_t = cudaError_t (*)(int *version);

// cudaDeviceProp is about 1 KiB in CUDA 12/13; the buffer leaves room for growth.
constexpr size_t kDevicePropBytes = 8192;
// Offsets from the documented member order of cudaDeviceProp (unchanged since CUDA 10):
// char name[256]; cudaUUID_t uuid (16 bytes); char luid[8]; unsigned int luidDeviceNodeMask;
// size_t totalGlobalMem — 256 + 16 + 8 + 4 = 284, aligned up to 8.
constexpr size_t kPropNameOffset = 0;
constexpr size_t kPropTotalGlobalMemOffset = 288;

using nvmlReturn_t = int;
using nvmlDevice_t = void *;
struct nvmlMemory_t {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};
using nvmlInit_t = nvmlReturn_t (*)();
using nvmlShutdown_t = nvmlReturn_t (*)();
using nvmlSystemGetDriverVersion_t = nvmlReturn_t (*)(char *version, unsigned int length);
using nvmlDeviceGetCount_t = nvmlReturn_t (*)(unsigned int *count);
using nvmlDeviceGetHandleByIndex_t = nvmlReturn_t (*)(unsigned int index, nvmlDevice_t *device);
using nvmlDeviceGetHandleByPciBusId_t = nvmlReturn_t (*)(const char *busId, nvmlDevice_t *device);
using nvmlDeviceGetMemoryInfo_t = nvmlReturn_t (*)(nvmlDevice_t device, nvmlMemory_t *memory);
using nvmlDeviceGetName_t = nvmlReturn_t (*)(nvmlDevice_t device, char *name, unsigned int length);
using nvmlErrorString_t = const char *(*)(nvmlReturn_t result);

template<typename F> F lookup(void *handle, const char *name)
{
    return reinterpret_cast<F>(dlsym(handle, name));
}

bool fail(const char *function, const char *reason)
{
    std::fflush(stdout);
    std::fprintf(stderr, "%s: failed to initialize CUDA: %s\n", function, reason);
    return false;
}

std::string mib(unsigned long long bytes)
{
    return std::to_string(bytes >> 20) + " MiB";
}

// What the driver path learned, for the NVML path to look devices up the way Ollama does.
struct DriverFacts {
    std::vector<std::string> busIds;
};

// --- driver ---------------------------------------------------------------------------------

struct Driver {
    void *handle = nullptr;
    cuGetErrorString_t getErrorString = nullptr;
    cuGetErrorName_t getErrorName = nullptr;

    // The driver's own words for a result, as ggml prints them (cuGetErrorString), with a
    // numeric fallback when the library cannot say.
    std::string describe(CUresult result) const
    {
        const char *text = nullptr;
        if (getErrorString && getErrorString(result, &text) == 0 && text)
            return text;
        const char *name = nullptr;
        if (getErrorName && getErrorName(result, &name) == 0 && name)
            return std::string(name) + " (" + std::to_string(result) + ")";
        return "CUDA driver error " + std::to_string(result);
    }
};

// The driver functions that the prebuilt libggml-cuda.so imports directly (it NEEDS
// libcuda.so.1): without any one of them its dlopen fails with "undefined symbol: ...".
constexpr const char *kGgmlImports[] = {
    "cuDeviceGet",
    "cuDeviceGetAttribute",
    "cuGetErrorString",
    "cuMemAddressFree",
    "cuMemAddressReserve",
    "cuMemCreate",
    "cuMemGetAllocationGranularity",
    "cuMemMap",
    "cuMemRelease",
    "cuMemSetAccess",
    "cuMemUnmap",
};

bool checkGgmlImports(const Driver &driver, const char *library)
{
    std::string missing;
    int count = 0;
    for (const char *name : kGgmlImports) {
        if (!dlsym(driver.handle, name)) {
            missing += (count++ ? ", " : "") + std::string(name);
        }
    }
    if (count == 0)
        return true;
    return fail("probe_cuda_init",
                (std::string(library) + " does not export " + missing + ", which " +
                 "libggml-cuda.so imports: loading it fails with \"undefined symbol\"")
                    .c_str());
}

// What the CUDA 12+ runtime needs beyond the plain exports. A missing cuGetProcAddress_v2 is
// only noted: the runtime then falls back to looking each function up by name.
bool checkRuntimePrerequisites(const Driver &driver, const char *library)
{
    auto resolver = lookup<cuGetProcAddress_v2_t>(driver.handle, "cuGetProcAddress_v2");
    void *exportTable = dlsym(driver.handle, "cuGetExportTable");
    if (!resolver) {
        std::printf(
            "initscope-probe: note: %s does not export cuGetProcAddress_v2; CUDA 12 and later "
            "runtimes then look up every driver function by its exported name\n",
            library);
    } else {
        void *function = nullptr;
        int status = -1;
        CUresult r = resolver("cuGetProcAddress", &function, 12000, 0, &status);
        if (r != 0 || !function)
            return fail("probe_cuda_init",
                        ("cuGetProcAddress_v2(\"cuGetProcAddress\", 12000) failed: " +
                         driver.describe(r != 0 ? r : 500))
                            .c_str());
        // A 4-argument (v1) resolver called with the 5-argument ABI never writes the status;
        // a name that cannot exist makes a correct one answer SYMBOL_NOT_FOUND.
        constexpr int kUntouched = 0x7eadbeef;
        void *none = nullptr;
        status = kUntouched;
        reinterpret_cast<cuGetProcAddress_v2_t>(function)("initscopeProbeNoSuchFunction", &none,
                                                          12000, 0, &status);
        if (status == kUntouched)
            return fail(
                "probe_cuda_init",
                "cuGetProcAddress_v2(\"cuGetProcAddress\", 12000) hands out a resolver that "
                "ignores symbolStatus: the 4-argument v1 ABI where CUDA 12 asks for the "
                "5-argument one");
        void *resolved = nullptr;
        if (resolver("cuGetExportTable", &resolved, 3000, 0, nullptr) == 0 && resolved)
            exportTable = resolved;
    }
    if (!exportTable)
        return fail("probe_cuda_init",
                    (std::string(library) +
                     " provides no cuGetExportTable, which the CUDA runtime requires")
                        .c_str());
    const void *table = nullptr;
    CUresult r = reinterpret_cast<cuGetExportTable_t>(exportTable)(&table, kRuntimeInterfaceId);
    if (r != 0 || !table)
        return fail("probe_cuda_init",
                    ("cuGetExportTable(6bd5fb6c-5bf4-e74a-8987-d93912fd9df9), the CUDA runtime's "
                     "interface, failed: " +
                     driver.describe(r != 0 ? r : 500))
                        .c_str());
    return true;
}

bool probeDriver(const char *library, DriverFacts *facts)
{
    std::printf("initscope-probe: loading %s\n", library);
    std::fflush(stdout);

    Driver driver;
    driver.handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!driver.handle)
        return fail("probe_cuda_init", dlerror());
    driver.getErrorString = lookup<cuGetErrorString_t>(driver.handle, "cuGetErrorString");
    driver.getErrorName = lookup<cuGetErrorName_t>(driver.handle, "cuGetErrorName");

    auto init = lookup<cuInit_t>(driver.handle, "cuInit");
    auto driverGetVersion = lookup<cuDriverGetVersion_t>(driver.handle, "cuDriverGetVersion");
    auto deviceGetCount = lookup<cuDeviceGetCount_t>(driver.handle, "cuDeviceGetCount");
    if (!init || !driverGetVersion || !deviceGetCount) {
        const std::string reason = std::string(library) + " does not export " +
                                   (!init               ? "cuInit"
                                    : !driverGetVersion ? "cuDriverGetVersion"
                                                        : "cuDeviceGetCount");
        return fail("probe_cuda_init", reason.c_str());
    }

    CUresult r = init(0);
    if (r != 0)
        return fail("probe_cuda_init", driver.describe(r).c_str());
    int version = 0;
    r = driverGetVersion(&version);
    if (r != 0)
        return fail("probe_cuda_init", driver.describe(r).c_str());
    int count = 0;
    r = deviceGetCount(&count);
    if (r != 0)
        return fail("probe_cuda_init", driver.describe(r).c_str());
    std::printf("initscope-probe: CUDA driver version %d.%d, %d device(s)\n", version / 1000,
                (version % 1000) / 10, count);

    // Ollama's discovery queries; each one that the library lacks is left out of the line.
    auto deviceGet = lookup<cuDeviceGet_t>(driver.handle, "cuDeviceGet");
    auto deviceGetName = lookup<cuDeviceGetName_t>(driver.handle, "cuDeviceGetName");
    auto deviceGetAttribute = lookup<cuDeviceGetAttribute_t>(driver.handle, "cuDeviceGetAttribute");
    auto deviceTotalMem = lookup<cuDeviceTotalMem_t>(driver.handle, "cuDeviceTotalMem_v2");
    auto deviceGetPCIBusId = lookup<cuDeviceGetPCIBusId_t>(driver.handle, "cuDeviceGetPCIBusId");
    for (int i = 0; deviceGet && i < count; ++i) {
        CUdevice device = 0;
        if (deviceGet(&device, i) != 0)
            continue;
        std::string line = "initscope-probe:   device " + std::to_string(i) + ":";
        char name[256] = {};
        if (deviceGetName && deviceGetName(name, sizeof name, device) == 0)
            line += std::string(" ") + name;
        int major = 0, minor = 0;
        if (deviceGetAttribute && deviceGetAttribute(&major, kAttrComputeMajor, device) == 0 &&
            deviceGetAttribute(&minor, kAttrComputeMinor, device) == 0)
            line += ", compute " + std::to_string(major) + "." + std::to_string(minor);
        size_t total = 0;
        if (deviceTotalMem && deviceTotalMem(&total, device) == 0)
            line += ", " + mib(total);
        char busId[64] = {};
        if (deviceGetPCIBusId && deviceGetPCIBusId(busId, sizeof busId, device) == 0) {
            line += std::string(", PCI ") + busId;
            facts->busIds.emplace_back(busId);
        }
        std::printf("%s\n", line.c_str());
    }
    if (count == 0)
        return fail("probe_cuda_init", "no CUDA-capable device is detected");
    if (!checkGgmlImports(driver, library) || !checkRuntimePrerequisites(driver, library))
        return false;
    std::printf("initscope-probe: driver path ok: CUDA %d.%d, %d device(s)\n", version / 1000,
                (version % 1000) / 10, count);
    return true;
}

// --- runtime --------------------------------------------------------------------------------

// "libcudart.so.13" -> {13}, "libcudart.so.12.8.90" -> {12, 8, 90}; anything else is empty.
std::vector<long> cudartVersion(const char *file)
{
    static constexpr char kPrefix[] = "libcudart.so.";
    std::vector<long> parts;
    if (std::strncmp(file, kPrefix, sizeof kPrefix - 1) != 0)
        return parts;
    const char *p = file + sizeof kPrefix - 1;
    while (*p) {
        char *end = nullptr;
        if (*p < '0' || *p > '9')
            return {};
        parts.push_back(std::strtol(p, &end, 10));
        p = end;
        if (*p == '.')
            ++p;
        else if (*p)
            return {};
    }
    return parts;
}

// The newest libcudart.so.<N> in the places ggml's loader and Ollama look: LD_LIBRARY_PATH,
// the toolkit, the default directories. The first directory wins a tie.
std::string findCudart(std::string *searched)
{
    std::vector<std::string> dirs;
    if (const char *path = std::getenv("LD_LIBRARY_PATH")) {
        std::string all = path;
        size_t start = 0;
        while (start <= all.size()) {
            size_t colon = all.find(':', start);
            std::string dir =
                all.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            if (!dir.empty())
                dirs.push_back(dir);
            if (colon == std::string::npos)
                break;
            start = colon + 1;
        }
    }
    for (const char *dir : {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                            "/usr/lib64", "/lib", "/usr/lib"})
        dirs.emplace_back(dir);

    std::string best;
    std::vector<long> bestVersion;
    for (const std::string &dir : dirs) {
        if (!searched->empty())
            *searched += ':';
        *searched += dir;
        DIR *d = opendir(dir.c_str());
        if (!d)
            continue;
        while (const dirent *entry = readdir(d)) {
            std::vector<long> version = cudartVersion(entry->d_name);
            if (!version.empty() && (best.empty() || version > bestVersion)) {
                best = dir + "/" + entry->d_name;
                bestVersion = version;
            }
        }
        closedir(d);
    }
    return best;
}

bool probeRuntime(const std::string &requested)
{
    std::string path = requested;
    if (path.empty()) {
        std::string searched;
        path = findCudart(&searched);
        if (path.empty()) {
            std::fflush(stdout);
            std::fprintf(stderr, "probe_cudart_load: no libcudart.so.* in %s\n", searched.c_str());
            return false;
        }
    }
    std::printf("initscope-probe: loading %s\n", path.c_str());
    std::fflush(stdout);
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        std::fflush(stdout);
        std::fprintf(stderr, "probe_cudart_load: %s\n", dlerror());
        return false;
    }
    auto getDeviceCount = lookup<cudaGetDeviceCount_t>(handle, "cudaGetDeviceCount");
    auto getErrorString = lookup<cudaGetErrorString_t>(handle, "cudaGetErrorString");
    auto getErrorName = lookup<cudaGetErrorName_t>(handle, "cudaGetErrorName");
    // CUDA 12 exports the current cudaDeviceProp layout as _v2 next to the 11.x one; CUDA 13
    // has only the plain name. The fields read here sit at the same offsets in all of them.
    auto getDeviceProperties =
        lookup<cudaGetDeviceProperties_t>(handle, "cudaGetDeviceProperties_v2");
    if (!getDeviceProperties)
        getDeviceProperties = lookup<cudaGetDeviceProperties_t>(handle, "cudaGetDeviceProperties");
    auto setDevice = lookup<cudaSetDevice_t>(handle, "cudaSetDevice");
    auto memGetInfo = lookup<cudaMemGetInfo_t>(handle, "cudaMemGetInfo");
    auto runtimeGetVersion = lookup<cudaVersion_t>(handle, "cudaRuntimeGetVersion");
    auto driverGetVersion = lookup<cudaVersion_t>(handle, "cudaDriverGetVersion");
    if (!getDeviceCount || !getErrorString || !getDeviceProperties || !setDevice || !memGetInfo) {
        std::fflush(stdout);
        std::fprintf(stderr, "probe_cudart_load: %s does not export the CUDA runtime API\n",
                     path.c_str());
        return false;
    }

    // ggml's line, then the call and the numbers behind it (stdout, so the line stays alone).
    auto failed = [&](const char *call, cudaError_t error) {
        fail("ggml_cuda_init", getErrorString(error));
        int runtimeVersion = 0, driverVersion = 0;
        if (runtimeGetVersion)
            runtimeGetVersion(&runtimeVersion);
        if (driverGetVersion)
            driverGetVersion(&driverVersion);
        const std::string driverText =
            driverVersion > 0 ? "driver reports CUDA " + std::to_string(driverVersion / 1000) +
                                    "." + std::to_string((driverVersion % 1000) / 10)
                              : std::string("no driver version");
        std::printf("initscope-probe: runtime: %s returned %d (%s); runtime CUDA %d.%d, %s\n", call,
                    error, getErrorName ? getErrorName(error) : "?", runtimeVersion / 1000,
                    (runtimeVersion % 1000) / 10, driverText.c_str());
        return false;
    };

    int count = 0;
    if (cudaError_t e = getDeviceCount(&count); e != 0)
        return failed("cudaGetDeviceCount", e);
    if (count == 0)
        return fail("ggml_cuda_init", "no CUDA-capable device is detected");
    for (int i = 0; i < count; ++i) {
        alignas(64) static unsigned char properties[kDevicePropBytes];
        std::memset(properties, 0, sizeof properties);
        if (cudaError_t e = getDeviceProperties(properties, i); e != 0)
            return failed("cudaGetDeviceProperties", e);
        char name[257] = {};
        std::memcpy(name, properties + kPropNameOffset, 256);
        size_t total = 0;
        std::memcpy(&total, properties + kPropTotalGlobalMemOffset, sizeof total);
        if (cudaError_t e = setDevice(i); e != 0)
            return failed("cudaSetDevice", e);
        size_t freeBytes = 0, totalBytes = 0;
        if (cudaError_t e = memGetInfo(&freeBytes, &totalBytes); e != 0)
            return failed("cudaMemGetInfo", e);
        std::printf("initscope-probe:   device %d: %s, %s, %s free\n", i, name, mib(total).c_str(),
                    mib(freeBytes).c_str());
    }
    int runtimeVersion = 0;
    if (runtimeGetVersion)
        runtimeGetVersion(&runtimeVersion);
    std::printf("initscope-probe: runtime path ok: CUDA runtime %d.%d, %d device(s)\n",
                runtimeVersion / 1000, (runtimeVersion % 1000) / 10, count);
    return true;
}

// --- NVML -----------------------------------------------------------------------------------

bool nvmlFail(const char *function, const std::string &reason)
{
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", function, reason.c_str());
    return false;
}

bool probeNvml(const DriverFacts &facts)
{
    const char *library = "libnvidia-ml.so.1";
    std::printf("initscope-probe: loading %s\n", library);
    std::fflush(stdout);
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return nvmlFail("probe_nvml_init", std::string("failed to initialize NVML: ") + dlerror());
    auto init = lookup<nvmlInit_t>(handle, "nvmlInit_v2");
    auto shutdown = lookup<nvmlShutdown_t>(handle, "nvmlShutdown");
    auto driverVersion = lookup<nvmlSystemGetDriverVersion_t>(handle, "nvmlSystemGetDriverVersion");
    auto getCount = lookup<nvmlDeviceGetCount_t>(handle, "nvmlDeviceGetCount_v2");
    auto byIndex = lookup<nvmlDeviceGetHandleByIndex_t>(handle, "nvmlDeviceGetHandleByIndex_v2");
    auto byBusId =
        lookup<nvmlDeviceGetHandleByPciBusId_t>(handle, "nvmlDeviceGetHandleByPciBusId_v2");
    auto memoryInfo = lookup<nvmlDeviceGetMemoryInfo_t>(handle, "nvmlDeviceGetMemoryInfo");
    auto getName = lookup<nvmlDeviceGetName_t>(handle, "nvmlDeviceGetName");
    auto errorString = lookup<nvmlErrorString_t>(handle, "nvmlErrorString");
    const char *missing = !init            ? "nvmlInit_v2"
                          : !shutdown      ? "nvmlShutdown"
                          : !driverVersion ? "nvmlSystemGetDriverVersion"
                          : !getCount      ? "nvmlDeviceGetCount_v2"
                          : !byIndex       ? "nvmlDeviceGetHandleByIndex_v2"
                          : !memoryInfo    ? "nvmlDeviceGetMemoryInfo"
                                           : nullptr;
    if (missing)
        return nvmlFail("probe_nvml_init", std::string("failed to initialize NVML: ") + library +
                                               " does not export " + missing);
    auto describe = [&](const char *call, nvmlReturn_t r) {
        return std::string(call) + ": " + (errorString ? errorString(r) : "NVML error") + " (" +
               std::to_string(r) + ")";
    };

    if (nvmlReturn_t r = init(); r != 0)
        return nvmlFail("probe_nvml_init",
                        "failed to initialize NVML: " + describe("nvmlInit_v2", r));
    bool ok = true;
    char version[96] = {};
    unsigned count = 0;
    if (nvmlReturn_t r = driverVersion(version, sizeof version); r != 0) {
        ok = nvmlFail("probe_nvml_init",
                      "failed to initialize NVML: " + describe("nvmlSystemGetDriverVersion", r));
    } else if (nvmlReturn_t r2 = getCount(&count); r2 != 0) {
        ok = nvmlFail("probe_nvml_init",
                      "failed to initialize NVML: " + describe("nvmlDeviceGetCount_v2", r2));
    } else if (count == 0) {
        ok = nvmlFail("probe_nvml_init",
                      "failed to initialize NVML: no devices (nvmlDeviceGetCount_v2 reports 0)");
    } else {
        std::printf("initscope-probe: NVML driver version %s, %u device(s)\n", version, count);
    }
    for (unsigned i = 0; ok && i < count; ++i) {
        // Ollama finds the NVML device of each CUDA device by its PCI bus id.
        nvmlDevice_t device = nullptr;
        nvmlReturn_t r = 0;
        const char *how = "nvmlDeviceGetHandleByIndex_v2";
        if (byBusId && i < facts.busIds.size()) {
            how = "nvmlDeviceGetHandleByPciBusId_v2";
            r = byBusId(facts.busIds[i].c_str(), &device);
        } else {
            r = byIndex(i, &device);
        }
        if (r != 0) {
            ok = nvmlFail("probe_nvml_device",
                          "device " + std::to_string(i) + ": " + describe(how, r));
            break;
        }
        nvmlMemory_t memory = {};
        if (r = memoryInfo(device, &memory); r != 0) {
            ok = nvmlFail("probe_nvml_device", "device " + std::to_string(i) + ": " +
                                                   describe("nvmlDeviceGetMemoryInfo", r));
            break;
        }
        char name[96] = {};
        if (getName)
            getName(device, name, sizeof name);
        std::printf("initscope-probe:   device %u: %s, %s total, %s free\n", i, name,
                    mib(memory.total).c_str(), mib(memory.free).c_str());
        if (memory.total == 0) {
            // What Ollama then reports as total_vram="0 B": the device is unusable for it.
            ok = nvmlFail("probe_nvml_device",
                          "device " + std::to_string(i) +
                              ": nvmlDeviceGetMemoryInfo reports 0 B of memory");
        }
    }
    shutdown();
    if (ok)
        std::printf("initscope-probe: NVML path ok: driver %s, %u device(s)\n", version, count);
    return ok;
}

void usage(FILE *out)
{
    std::fprintf(
        out,
        "Usage: initscope-probe [--driver-only] [--runtime-only] [--nvml-only] [--cudart PATH] "
        "[LIBCUDA]\n"
        "Performs the GPU bring-up of ggml and Ollama: driver (LIBCUDA, default libcuda.so.1),\n"
        "CUDA runtime (the newest libcudart.so.* found, or --cudart PATH) and NVML\n"
        "(libnvidia-ml.so.1), in that order, and prints each failure in their words. The\n"
        "--*-only options run only the paths they name (several may be given).\n"
        "Exit status: 0 when every path ran cleanly, 1 when one failed, 64 for bad options.\n");
}

} // namespace

int main(int argc, char **argv)
{
    // Progress lines must reach a pipe before a crash or a hang inside the library under test.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bool driver = true, runtime = true, nvml = true;
    const char *library = "libcuda.so.1";
    std::string cudart;
    int only = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            return EXIT_SUCCESS;
        } else if (arg == "--driver-only" || arg == "--runtime-only" || arg == "--nvml-only") {
            // The first of them narrows the probe to that path; each further one adds its path.
            if (only++ == 0)
                driver = runtime = nvml = false;
            driver = driver || arg == "--driver-only";
            runtime = runtime || arg == "--runtime-only";
            nvml = nvml || arg == "--nvml-only";
        } else if (arg == "--cudart" && i + 1 < argc) {
            cudart = argv[++i];
        } else if (arg.rfind("--cudart=", 0) == 0) {
            cudart = arg.substr(9);
        } else if (!arg.empty() && arg[0] != '-') {
            library = argv[i];
        } else {
            std::fprintf(stderr, "initscope-probe: unknown option %s\n", argv[i]);
            usage(stderr);
            return kExitUsage;
        }
    }
    // The order of a real bring-up: ggml-cuda needs libcuda.so.1 to load at all, then
    // ggml_cuda_init asks the runtime, then Ollama reads memory through NVML.
    DriverFacts facts;
    bool ok = true;
    if (driver)
        ok = probeDriver(library, &facts) && ok;
    if (runtime)
        ok = probeRuntime(cudart) && ok;
    if (nvml)
        ok = probeNvml(facts) && ok;
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
