// The fake GPU's API contract, called directly: ABI selection in the resolver, the export
// table answers, NVML's view of the same device, contexts and the VMM calls, and consistency
// under concurrent callers. Every test loads its own private copy of the library, so each one
// starts before cuInit with a fresh configuration, however the tests are run.
#include "fakegputest.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

using namespace fakegpu_test;

namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;

// A private copy of one fake library, loaded under a unique path so that the loader gives it
// its own state (the loader shares an object only between opens of the same file).
class Instance
{
public:
    Instance(const std::string &variant, const char *file)
    {
        char pattern[] = "/tmp/initscope-fakegpu-api-XXXXXX";
        if (const char *dir = mkdtemp(pattern))
            m_dir = dir;
        m_copy = m_dir + "/" + file;
        std::ifstream in(fakeDir(variant) + "/" + file, std::ios::binary);
        std::ofstream(m_copy, std::ios::binary) << in.rdbuf();
        m_handle = dlopen(m_copy.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!m_handle)
            m_error = dlerror();
    }
    ~Instance()
    {
        if (m_handle)
            dlclose(m_handle);
        unlink(m_copy.c_str());
        rmdir(m_dir.c_str());
    }
    Instance(const Instance &) = delete;
    Instance &operator=(const Instance &) = delete;

    bool loaded() const { return m_handle; }
    const std::string &error() const { return m_error; }
    void *symbol(const char *name) const { return dlsym(m_handle, name); }
    template<typename F> F get(const char *name) const
    {
        return reinterpret_cast<F>(symbol(name));
    }

private:
    std::string m_dir, m_copy, m_error;
    void *m_handle = nullptr;
};

using GetProcAddressV2 = CUresult (*)(const char *, void **, int, unsigned long long, int *);
using GetProcAddressV1 = CUresult (*)(const char *, void **, int, unsigned long long);
using Init = CUresult (*)(unsigned);
using IntOut = CUresult (*)(int *);
using DeviceGet = CUresult (*)(CUdevice *, int);
using Attribute = CUresult (*)(int *, int, CUdevice);
using Name = CUresult (*)(char *, int, CUdevice);
using TotalMem = CUresult (*)(size_t *, CUdevice);
using Uuid = CUresult (*)(unsigned char *, CUdevice);
using Retain = CUresult (*)(CUcontext *, CUdevice);
using Release = CUresult (*)(CUdevice);
using State = CUresult (*)(CUdevice, unsigned *, int *);
using SetCurrent = CUresult (*)(CUcontext);
using MemInfo = CUresult (*)(size_t *, size_t *);
using ExportTable = CUresult (*)(const void **, const unsigned char *);

constexpr int kNotFound = 500;

#define LOAD_OR_FAIL(instance) ASSERT_TRUE((instance).loaded()) << (instance).error()

} // namespace

TEST(FakeGpuResolver, HandsOutTheAbiVariantOfTheRequestedVersion)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    auto resolve = cuda.get<GetProcAddressV2>("cuGetProcAddress_v2");
    ASSERT_NE(resolve, nullptr);
    struct Case {
        const char *name;
        int version;
        const char *expected; // the exported spelling whose ABI must come back
    };
    const Case cases[] = {
        {"cuGetProcAddress", 11030, "cuGetProcAddress"},
        {"cuGetProcAddress", 12000, "cuGetProcAddress_v2"},
        {"cuGetProcAddress", 13000, "cuGetProcAddress_v2"},
        {"cuDeviceTotalMem", 2000, "cuDeviceTotalMem"},
        {"cuDeviceTotalMem", 3020, "cuDeviceTotalMem_v2"},
        {"cuMemGetInfo", 3010, "cuMemGetInfo"},
        {"cuMemGetInfo", 3020, "cuMemGetInfo_v2"},
        {"cuCtxGetDevice", 2000, "cuCtxGetDevice"},
        {"cuCtxGetDevice", 12080, "cuCtxGetDevice"},
        {"cuCtxGetDevice", 13000, "cuCtxGetDevice_v2"},
        {"cuCtxSynchronize", 13000, "cuCtxSynchronize_v2"},
        {"cuDeviceGetUuid", 11040, "cuDeviceGetUuid_v2"},
        {"cuDevicePrimaryCtxRelease", 11000, "cuDevicePrimaryCtxRelease_v2"},
        {"cuInit", 2000, "cuInit"},
        {"cuMemCreate", 10020, "cuMemCreate"},
    };
    for (const Case &c : cases) {
        void *function = nullptr;
        int status = -1;
        EXPECT_EQ(resolve(c.name, &function, c.version, 0, &status), 0)
            << c.name << " @" << c.version;
        EXPECT_EQ(status, 0) << c.name << " @" << c.version;
        EXPECT_EQ(function, cuda.symbol(c.expected))
            << c.name << " @" << c.version << " should be " << c.expected;
    }
}

TEST(FakeGpuResolver, RefusesEmptyUnknownTooOldAndTooNewRequests)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    auto resolve = cuda.get<GetProcAddressV2>("cuGetProcAddress_v2");
    void *function = &function;
    int status = -1;
    EXPECT_EQ(resolve("", &function, 13000, 0, &status), kNotFound);
    EXPECT_EQ(function, nullptr);
    EXPECT_EQ(status, 1); // SYMBOL_NOT_FOUND
    EXPECT_EQ(resolve("cuNoSuchFunction", &function, 13000, 0, &status), kNotFound);
    EXPECT_EQ(status, 1);
    // The runtime passes no status pointer at all.
    EXPECT_EQ(resolve("cuNoSuchFunction", &function, 13000, 0, nullptr), kNotFound);
    // Known, but asked for at a version before it existed.
    EXPECT_EQ(resolve("cuMemCreate", &function, 10010, 0, &status), kNotFound);
    EXPECT_EQ(status, 2); // VERSION_NOT_SUFFICIENT
    // A caller newer than the driver (13000) is refused, as documented.
    EXPECT_EQ(resolve("cuInit", &function, 13010, 0, &status), 1);
    EXPECT_EQ(resolve(nullptr, &function, 13000, 0, &status), 1);
    // The v1 entry gives the same answers without a status.
    auto v1 = cuda.get<GetProcAddressV1>("cuGetProcAddress");
    EXPECT_EQ(v1("cuInit", &function, 2000, 0), 0);
    EXPECT_EQ(function, cuda.symbol("cuInit"));
    EXPECT_EQ(v1("", &function, 2000, 0), kNotFound);
}

TEST(FakeGpuResolver, NoVmmVariantResolvesNoVmmCalls)
{
    Instance cuda("no-vmm", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    EXPECT_EQ(cuda.symbol("cuMemCreate"), nullptr);
    auto resolve = cuda.get<GetProcAddressV2>("cuGetProcAddress_v2");
    void *function = nullptr;
    int status = -1;
    EXPECT_EQ(resolve("cuMemCreate", &function, 13000, 0, &status), kNotFound);
    EXPECT_EQ(status, 1);
    ASSERT_EQ(cuda.get<Init>("cuInit")(0), 0);
    int vmm = -1;
    EXPECT_EQ(cuda.get<Attribute>("cuDeviceGetAttribute")(&vmm, 102, 0), 0);
    EXPECT_EQ(vmm, 0) << "the device must not claim VMM support it cannot deliver";
}

TEST(FakeGpuExportTables, RuntimeInterfaceIsATableHooksOnlyASizeAndTheSkipProbeNotFound)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    auto exportTable = cuda.get<ExportTable>("cuGetExportTable");
    const unsigned char runtime[16] = {0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a,
                                       0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9};
    const unsigned char skip[16] = {0xf8, 0xcf, 0xf9, 0x51, 0x21, 0x46, 0x8b, 0x4e,
                                    0xb9, 0xe2, 0xfb, 0x46, 0x9e, 0x7c, 0x0d, 0xd9};
    const void *table = nullptr;
    ASSERT_EQ(exportTable(&table, runtime), 0);
    ASSERT_NE(table, nullptr);
    // Slot 0 is the table's size in bytes; the runtime checks it before calling a slot.
    EXPECT_GE(*static_cast<const size_t *>(table), 16 * sizeof(void *));
    const unsigned char hooks[16] = {0xa0, 0x94, 0x79, 0x8c, 0x2e, 0x74, 0x2e, 0x74,
                                     0x93, 0xf2, 0x08, 0x00, 0x20, 0x0c, 0x0a, 0x66};
    ASSERT_EQ(exportTable(&table, hooks), 0);
    // Only the size word: the runtime rejects it before calling anything (docs/fakegpu.md).
    EXPECT_EQ(*static_cast<const size_t *>(table), sizeof(void *));
    EXPECT_EQ(exportTable(&table, skip), kNotFound);
    EXPECT_EQ(table, nullptr);
}

TEST(FakeGpuDriver, DeviceQueriesFailBeforeCuInitAndDescribeTheDeviceAfter)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    int count = -1;
    EXPECT_EQ(cuda.get<IntOut>("cuDeviceGetCount")(&count), 3); // CUDA_ERROR_NOT_INITIALIZED
    int version = 0;
    EXPECT_EQ(cuda.get<IntOut>("cuDriverGetVersion")(&version), 0) << "allowed before cuInit";
    EXPECT_EQ(version, 13000);
    ASSERT_EQ(cuda.get<Init>("cuInit")(0), 0);
    EXPECT_EQ(cuda.get<IntOut>("cuDeviceGetCount")(&count), 0);
    EXPECT_EQ(count, 1);
    CUdevice device = -1;
    EXPECT_EQ(cuda.get<DeviceGet>("cuDeviceGet")(&device, 1), 101); // CUDA_ERROR_INVALID_DEVICE
    ASSERT_EQ(cuda.get<DeviceGet>("cuDeviceGet")(&device, 0), 0);
    auto attribute = cuda.get<Attribute>("cuDeviceGetAttribute");
    int value = -1;
    EXPECT_EQ(attribute(&value, 75, device), 0);
    EXPECT_EQ(value, 8);
    EXPECT_EQ(attribute(&value, 76, device), 0);
    EXPECT_EQ(value, 0);
    EXPECT_EQ(attribute(&value, 18, device), 0);
    EXPECT_EQ(value, 0) << "not an integrated GPU";
    EXPECT_EQ(attribute(&value, 33, device), 0);
    EXPECT_EQ(value, 0); // PCI bus
    EXPECT_EQ(attribute(&value, 34, device), 0);
    EXPECT_EQ(value, 5); // PCI device
    EXPECT_EQ(attribute(&value, 0, device), 1);
    EXPECT_EQ(attribute(&value, 148, device), 1);
    char name[8];
    EXPECT_EQ(cuda.get<Name>("cuDeviceGetName")(name, sizeof name, device), 0);
    EXPECT_STREQ(name, "InitSco") << "truncated to the caller's buffer";
    size_t total = 0;
    EXPECT_EQ(cuda.get<TotalMem>("cuDeviceTotalMem_v2")(&total, device), 0);
    EXPECT_EQ(total, size_t(16) << 30);
    const char *text = nullptr;
    using ErrorString = CUresult (*)(CUresult, const char **);
    EXPECT_EQ(cuda.get<ErrorString>("cuGetErrorString")(100, &text), 0);
    EXPECT_STREQ(text, "no CUDA-capable device is detected");
    EXPECT_EQ(cuda.get<ErrorString>("cuGetErrorName")(801, &text), 0);
    EXPECT_STREQ(text, "CUDA_ERROR_NOT_SUPPORTED");
    EXPECT_EQ(cuda.get<ErrorString>("cuGetErrorString")(123456, &text), 1);
}

TEST(FakeGpuDriver, CurrentContextIsPerThreadAndPrimaryContextIsCounted)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    ASSERT_EQ(cuda.get<Init>("cuInit")(0), 0);
    auto retain = cuda.get<Retain>("cuDevicePrimaryCtxRetain");
    auto release = cuda.get<Release>("cuDevicePrimaryCtxRelease_v2");
    auto state = cuda.get<State>("cuDevicePrimaryCtxGetState");
    auto setCurrent = cuda.get<SetCurrent>("cuCtxSetCurrent");
    auto ctxDevice = cuda.get<IntOut>("cuCtxGetDevice");
    auto memInfo = cuda.get<MemInfo>("cuMemGetInfo_v2");
    CUcontext context = nullptr;
    ASSERT_EQ(retain(&context, 0), 0);
    ASSERT_NE(context, nullptr);
    size_t freeBytes = 0, totalBytes = 0;
    EXPECT_EQ(memInfo(&freeBytes, &totalBytes), 201) << "no current context yet";
    ASSERT_EQ(setCurrent(context), 0);
    EXPECT_EQ(memInfo(&freeBytes, &totalBytes), 0);
    EXPECT_EQ(freeBytes, size_t(15) << 30);
    EXPECT_EQ(totalBytes, size_t(16) << 30);
    int device = -1;
    EXPECT_EQ(ctxDevice(&device), 0);
    int otherThread = 0;
    std::thread([&] { otherThread = ctxDevice(&device); }).join();
    EXPECT_EQ(otherThread, 201) << "another thread has no current context";
    unsigned flags = 0;
    int active = 0;
    EXPECT_EQ(state(0, &flags, &active), 0);
    EXPECT_EQ(active, 1);
    EXPECT_EQ(release(0), 0);
    EXPECT_EQ(state(0, &flags, &active), 0);
    EXPECT_EQ(active, 0);
    EXPECT_EQ(release(0), 201) << "released more often than retained";
}

TEST(FakeGpuDriver, VmmCallsHandOutAlignedUniqueAddressesAndRefuseBadSizes)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    ASSERT_EQ(cuda.get<Init>("cuInit")(0), 0);
    using Granularity = CUresult (*)(size_t *, const void *, int);
    using Reserve =
        CUresult (*)(unsigned long long *, size_t, size_t, unsigned long long, unsigned long long);
    using Create = CUresult (*)(unsigned long long *, size_t, const void *, unsigned long long);
    unsigned char prop[64] = {};
    size_t granularity = 0;
    ASSERT_EQ(cuda.get<Granularity>("cuMemGetAllocationGranularity")(&granularity, prop, 0), 0);
    EXPECT_EQ(granularity, size_t(2) << 20);
    auto reserve = cuda.get<Reserve>("cuMemAddressReserve");
    unsigned long long a = 0, b = 0;
    ASSERT_EQ(reserve(&a, 3 * granularity, 0, 0, 0), 0);
    ASSERT_EQ(reserve(&b, granularity, size_t(1) << 30, 0, 0), 0);
    EXPECT_GE(b, a + 3 * granularity) << "ranges must not overlap";
    EXPECT_EQ(b % (size_t(1) << 30), 0u);
    EXPECT_EQ(reserve(&a, granularity + 1, 0, 0, 0), 1);
    unsigned long long handle = 0;
    auto create = cuda.get<Create>("cuMemCreate");
    EXPECT_EQ(create(&handle, granularity, prop, 0), 0);
    EXPECT_NE(handle, 0u);
    EXPECT_EQ(create(&handle, size_t(64) << 30, prop, 0), 2) << "more than the device has";
}

TEST(FakeGpuNvml, AnswersForTheSameDeviceInNvmlSpellings)
{
    Instance nvml("default", "libnvidia-ml.so.1");
    LOAD_OR_FAIL(nvml);
    using Void = int (*)();
    using Handle = int (*)(unsigned, void **);
    using ByBus = int (*)(const char *, void **);
    using Text = int (*)(void *, char *, unsigned);
    struct Memory {
        unsigned long long total, free, used;
    };
    using MemoryInfo = int (*)(void *, Memory *);
    struct PciInfo {
        char busIdLegacy[16];
        unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
        char busId[32];
    };
    using Pci = int (*)(void *, PciInfo *);
    void *device = nullptr;
    EXPECT_EQ(nvml.get<Handle>("nvmlDeviceGetHandleByIndex_v2")(0, &device), 1) << "uninitialized";
    ASSERT_EQ(nvml.get<Void>("nvmlInit_v2")(), 0);
    ASSERT_EQ(nvml.get<Void>("nvmlInit_v2")(), 0);
    ASSERT_EQ(nvml.get<Handle>("nvmlDeviceGetHandleByIndex_v2")(0, &device), 0);
    void *byBus = nullptr;
    for (const char *spelling : {"0000:00:05.0", "00000000:00:05.0"}) {
        EXPECT_EQ(nvml.get<ByBus>("nvmlDeviceGetHandleByPciBusId_v2")(spelling, &byBus), 0)
            << spelling;
        EXPECT_EQ(byBus, device) << spelling;
    }
    EXPECT_EQ(nvml.get<ByBus>("nvmlDeviceGetHandleByPciBusId_v2")("0000:00:06.0", &byBus),
              6); // NOT_FOUND
    char text[96];
    EXPECT_EQ(nvml.get<Text>("nvmlDeviceGetName")(device, text, sizeof text), 0);
    EXPECT_STREQ(text, "InitScope Fake GPU");
    EXPECT_EQ(nvml.get<Text>("nvmlDeviceGetName")(device, text, 4), 7); // INSUFFICIENT_SIZE
    EXPECT_EQ(nvml.get<Text>("nvmlDeviceGetUUID")(device, text, sizeof text), 0);
    EXPECT_EQ(std::string(text).rfind("GPU-", 0), 0u) << text;
    EXPECT_EQ(std::strlen(text), 40u) << text;
    Memory memory = {};
    EXPECT_EQ(nvml.get<MemoryInfo>("nvmlDeviceGetMemoryInfo")(device, &memory), 0);
    EXPECT_EQ(memory.total, 16ull << 30);
    EXPECT_EQ(memory.free, 15ull << 30);
    EXPECT_EQ(memory.used, 1ull << 30);
    PciInfo pci = {};
    EXPECT_EQ(nvml.get<Pci>("nvmlDeviceGetPciInfo_v3")(device, &pci), 0);
    EXPECT_STREQ(pci.busId, "00000000:00:05.0");
    EXPECT_STREQ(pci.busIdLegacy, "0000:00:05.0");
    EXPECT_EQ(pci.device, 5u);
    using ErrorString = const char *(*)(int);
    EXPECT_STREQ(nvml.get<ErrorString>("nvmlErrorString")(9), "Driver Not Loaded");
    // Reference counted: the first shutdown leaves the second user working.
    EXPECT_EQ(nvml.get<Void>("nvmlShutdown")(), 0);
    EXPECT_EQ(nvml.get<Handle>("nvmlDeviceGetHandleByIndex_v2")(0, &device), 0);
    EXPECT_EQ(nvml.get<Void>("nvmlShutdown")(), 0);
    EXPECT_EQ(nvml.get<Handle>("nvmlDeviceGetHandleByIndex_v2")(0, &device), 1);
    EXPECT_EQ(nvml.get<Void>("nvmlShutdown")(), 1);
}

TEST(FakeGpuThreads, ConcurrentFirstCallersGetConsistentAnswers)
{
    Instance cuda("default", "libcuda.so.1");
    LOAD_OR_FAIL(cuda);
    auto init = cuda.get<Init>("cuInit");
    auto attribute = cuda.get<Attribute>("cuDeviceGetAttribute");
    auto name = cuda.get<Name>("cuDeviceGetName");
    auto totalMem = cuda.get<TotalMem>("cuDeviceTotalMem_v2");
    auto resolve = cuda.get<GetProcAddressV2>("cuGetProcAddress_v2");
    auto retain = cuda.get<Retain>("cuDevicePrimaryCtxRetain");
    auto release = cuda.get<Release>("cuDevicePrimaryCtxRelease_v2");
    auto setCurrent = cuda.get<SetCurrent>("cuCtxSetCurrent");
    auto ctxDevice = cuda.get<IntOut>("cuCtxGetDevice");
    auto memInfo = cuda.get<MemInfo>("cuMemGetInfo_v2");
    auto state = cuda.get<State>("cuDevicePrimaryCtxGetState");

    constexpr int kThreads = 16;
    constexpr int kRounds = 300;
    constexpr int kAttributes = 148;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::vector<int>> seen(kThreads, std::vector<int>(kAttributes, -1));
    std::vector<std::string> failures(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ++ready;
            while (!go.load())
                std::this_thread::yield();
            // The very first calls into the library race each other: configuration loading
            // and cuInit must come out the same for everyone.
            if (init(0) != 0) {
                failures[t] = "cuInit failed";
                return;
            }
            for (int round = 0; round < kRounds; ++round) {
                for (int a = 1; a < kAttributes; ++a) {
                    int value = -1;
                    if (attribute(&value, a, 0) != 0) {
                        failures[t] = "cuDeviceGetAttribute(" + std::to_string(a) + ") failed";
                        return;
                    }
                    if (round > 0 && value != seen[t][size_t(a)]) {
                        failures[t] = "attribute " + std::to_string(a) + " changed";
                        return;
                    }
                    seen[t][size_t(a)] = value;
                }
                char text[64] = {};
                size_t total = 0, freeBytes = 0, totalBytes = 0;
                void *function = nullptr;
                int status = -1, device = -1;
                CUcontext context = nullptr;
                if (name(text, sizeof text, 0) != 0 ||
                    std::strcmp(text, "InitScope Fake GPU") != 0 || totalMem(&total, 0) != 0 ||
                    total != size_t(16) << 30 ||
                    resolve("cuDeviceTotalMem", &function, 3020, 0, &status) != 0 ||
                    function != cuda.symbol("cuDeviceTotalMem_v2") || status != 0 ||
                    retain(&context, 0) != 0 || setCurrent(context) != 0 ||
                    ctxDevice(&device) != 0 || device != 0 ||
                    memInfo(&freeBytes, &totalBytes) != 0 || freeBytes != size_t(15) << 30 ||
                    setCurrent(nullptr) != 0 || release(0) != 0) {
                    failures[t] = "round " + std::to_string(round) + " gave an inconsistent answer";
                    return;
                }
            }
        });
    }
    while (ready.load() < kThreads)
        std::this_thread::yield();
    go = true;
    for (std::thread &t : threads)
        t.join();
    for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(failures[t], "") << "thread " << t;
        EXPECT_EQ(seen[t], seen[0])
            << "thread " << t << " saw other attribute values than thread 0";
    }
    EXPECT_EQ(seen[0][75], 8);
    EXPECT_EQ(seen[0][16], 108);
    unsigned flags = 0;
    int active = -1;
    EXPECT_EQ(state(0, &flags, &active), 0);
    EXPECT_EQ(active, 0) << "every retain was matched by a release, so the count is back at zero";
}
