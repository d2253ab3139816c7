// The fake GPU's modes as a consumer meets them: initscope-probe against each variant and
// mode, along the driver path, the NVML path, and the runtime path through the real CUDA 13
// runtime. Each test pins down the exact outcome, so a change in the fake, the probe or the
// runtime shows up as a named difference.
#include "fakegputest.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

using namespace fakegpu_test;

namespace {

const std::string kInsufficientDriver = "ggml_cuda_init: failed to initialize CUDA: CUDA driver "
                                        "version is insufficient for CUDA runtime version";
const std::string kHealthyDevice =
    "initscope-probe:   device 0: InitScope Fake GPU, compute 8.0, 16384 MiB, PCI 0000:00:05.0";
const std::string kHealthyNvmlDevice =
    "initscope-probe:   device 0: InitScope Fake GPU, 16384 MiB total, 15360 MiB free";

// The runtime path is tested against the real libcudart; its absence is a broken test
// machine, not a reason to skip.
#define REQUIRE_REAL_CUDART()                                                                      \
    ASSERT_EQ(access(realCudart().c_str(), R_OK), 0)                                               \
        << "the real CUDA runtime " << realCudart()                                                \
        << " is missing; the runtime-path tests need it (install the CUDA 13 toolkit)"

// The probe's own lines on stderr, without the fake's trace.
std::vector<std::string> probeErrors(const Outcome &o)
{
    std::vector<std::string> result;
    for (const std::string &l : lines(o.err)) {
        if (l.rfind("fakegpu: ", 0) != 0)
            result.push_back(l);
    }
    return result;
}

Outcome runtimePath(const std::string &variant, const std::string &mode, int timeoutMs = 20000)
{
    return probe(variant, mode, {"--runtime-only", "--cudart", realCudart()},
                 {{"INITSCOPE_FAKEGPU_TRACE", "1"}}, timeoutMs);
}

std::string tempDir()
{
    char pattern[] = "/tmp/initscope-fakegpu-XXXXXX";
    const char *dir = mkdtemp(pattern);
    return dir ? dir : "";
}

} // namespace

// --- healthy ---------------------------------------------------------------------------------

TEST(FakeGpuHealthy, DriverPathReportsTheConfiguredDefaultDevice)
{
    const Outcome o = probe("default", "", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 0) << describe(o);
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(lines(o.out), (std::vector<std::string>{
                                "initscope-probe: loading libcuda.so.1",
                                "initscope-probe: CUDA driver version 13.0, 1 device(s)",
                                kHealthyDevice,
                                "initscope-probe: driver path ok: CUDA 13.0, 1 device(s)",
                            }));
}

TEST(FakeGpuHealthy, NvmlPathReportsNameAndMemoryOfTheSameDevice)
{
    const Outcome o = probe("default", "healthy", {"--nvml-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 0) << describe(o);
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(lines(o.out), (std::vector<std::string>{
                                "initscope-probe: loading libnvidia-ml.so.1",
                                "initscope-probe: NVML driver version 580.0, 1 device(s)",
                                kHealthyNvmlDevice,
                                "initscope-probe: NVML path ok: driver 580.0, 1 device(s)",
                            }));
}

TEST(FakeGpuHealthy, DefaultRunTakesDriverRuntimeNvmlInOrderAndLooksUpNvmlByBusId)
{
    REQUIRE_REAL_CUDART();
    const Outcome o =
        probe("default", "healthy", {"--cudart", realCudart()}, {{"INITSCOPE_FAKEGPU_TRACE", "1"}});
    // The runtime cannot be carried through the private interfaces (docs/fakegpu.md), so a
    // full run fails on that path alone.
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    const int driverOk = lineIndex(o.out, "driver path ok");
    const int runtime = lineIndex(o.out, "loading " + realCudart());
    const int nvmlOk = lineIndex(o.out, "NVML path ok");
    EXPECT_TRUE(driverOk >= 0 && runtime > driverOk && nvmlOk > runtime) << o.out;
    EXPECT_NE(lineIndex(o.err, "fakegpu: nvmlDeviceGetHandleByPciBusId_v2(0000:00:05.0)"), -1)
        << o.err;
}

TEST(FakeGpuHealthy, RealRuntimeQueriesTheDeviceThenRejectsTheSizeOnlyToolsInterface)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "healthy");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    // How far the real runtime gets: init, both required export tables, the device queries,
    // then it rejects the size-only tools callback table without calling into it.
    int previous = -1;
    for (const char *step :
         {"fakegpu: cuDriverGetVersion() = 13000", "fakegpu: cuInit(0)",
          "fakegpu: cuGetExportTable(6bd5fb6c-5bf4-e74a-8987-d93912fd9df9, runtime interface) = 0",
          "fakegpu: cuGetExportTable(a094798c-2e74-2e74-93f2-0800200c0a66, tools callback hooks) = "
          "0",
          "fakegpu: cuDeviceGetCount", "fakegpu: export table 0 slot 2 called",
          "fakegpu: cuDeviceGetName", "fakegpu: cuDeviceTotalMem_v2", "fakegpu: cuDeviceGetUuid"}) {
        const int at = lineIndex(o.err, step);
        EXPECT_GT(at, previous) << "missing or out of order: " << step << "\n" << o.err;
        previous = at;
    }
    EXPECT_EQ(lineIndex(o.err, "export table 1 slot"), -1) << o.err;
    EXPECT_TRUE(hasLine(
        o.out, "initscope-probe: runtime: cudaGetDeviceCount returned 35 "
               "(cudaErrorInsufficientDriver); runtime CUDA 13.0, driver reports CUDA 13.0"))
        << o.out;
}

// --- configuration ----------------------------------------------------------------------------

TEST(FakeGpuConfig, ConfigFileAndEnvironmentDescribeAnotherDevice)
{
    const std::string dir = tempDir();
    ASSERT_FALSE(dir.empty());
    const std::string path = dir + "/fake.conf";
    {
        std::ofstream conf(path);
        conf << "# a second card\n"
                "name = Config Card\n"
                "pci_bus_id = 0000:3b:00.0\n"
                "memory_mb = 8192   # 8 GiB\n"
                "free_mb = 4096\n"
                "cc = 9.0\n"
                "driver_version = 13010\n"
                "nvml_driver_version = 590.12\n";
    }
    // The environment wins over the file.
    const Outcome o =
        probe("default", "", {"--cudart", "/nonexistent/libcudart.so.13"},
              {{"INITSCOPE_FAKEGPU_CONFIG", path}, {"INITSCOPE_FAKEGPU_NAME", "Env Card"}});
    unlink(path.c_str());
    rmdir(dir.c_str());
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: CUDA driver version 13.1, 1 device(s)"))
        << describe(o);
    EXPECT_TRUE(hasLine(
        o.out, "initscope-probe:   device 0: Env Card, compute 9.0, 8192 MiB, PCI 0000:3b:00.0"))
        << describe(o);
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: NVML driver version 590.12, 1 device(s)"))
        << describe(o);
    EXPECT_TRUE(
        hasLine(o.out, "initscope-probe:   device 0: Env Card, 8192 MiB total, 4096 MiB free"))
        << describe(o);
    // Only the runtime path (pointed at nothing) failed.
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{
                                  "probe_cudart_load: /nonexistent/libcudart.so.13: cannot open "
                                  "shared object file: No such file or directory"});
}

TEST(FakeGpuConfig, UnknownModeMakesCuInitFailLoudly)
{
    const Outcome o = probe("default", "no-such-mode", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_NE(lineIndex(o.err, "fakegpu: INITSCOPE_FAKEGPU_MODE: unknown mode \"no-such-mode\""),
              -1)
        << o.err;
    EXPECT_TRUE(hasLine(o.err, "probe_cuda_init: failed to initialize CUDA: initialization error"))
        << o.err;
}

TEST(FakeGpuConfig, ExportShapeModesAreRefusedByTheDefaultLibrary)
{
    for (const char *mode : {"no-vmm", "no-getprocaddress-v2"}) {
        const Outcome o = probe("default", mode, {"--driver-only"});
        ASSERT_TRUE(o.exited && o.exitCode == 1) << mode << ": " << describe(o);
        EXPECT_TRUE(hasLine(o.err, std::string("fakegpu: mode ") + mode +
                                       " needs the library of the same name (lib/fakegpu/" + mode +
                                       "/libcuda.so.1); this is the default variant"))
            << o.err;
    }
}

// --- no-export-tables: the incident -----------------------------------------------------------

TEST(FakeGpuNoExportTables, DriverPathNamesTheRefusedRuntimeInterface)
{
    const Outcome o = probe("default", "no-export-tables", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_TRUE(hasLine(o.out, kHealthyDevice)) << o.out;
    EXPECT_EQ(o.err, "probe_cuda_init: failed to initialize CUDA: "
                     "cuGetExportTable(6bd5fb6c-5bf4-e74a-8987-d93912fd9df9), "
                     "the CUDA runtime's interface, failed: operation not supported\n");
}

TEST(FakeGpuNoExportTables, RealRuntimeFailsWithOperationNotSupportedAfterInitSucceeded)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "no-export-tables");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o),
              std::vector<std::string>{
                  "ggml_cuda_init: failed to initialize CUDA: operation not supported"});
    // The incident's sequence: version and init succeed, then the interface is refused and
    // no device query ever reaches the driver.
    const int version = lineIndex(o.err, "fakegpu: cuDriverGetVersion() = 13000");
    const int init = lineIndex(o.err, "fakegpu: cuInit(0)");
    const int refused = lineIndex(
        o.err,
        "fakegpu: cuGetExportTable(6bd5fb6c-5bf4-e74a-8987-d93912fd9df9, runtime interface) = 801");
    EXPECT_TRUE(version >= 0 && init > version && refused > init) << o.err;
    EXPECT_EQ(lineIndex(o.err, "fakegpu: cuDeviceGetCount"), -1) << o.err;
}

// --- no-getprocaddress-v2 ---------------------------------------------------------------------

TEST(FakeGpuNoGetProcAddressV2, VariantExportsOnlyTheV1Resolver)
{
    const std::string file = fakeDir("no-getprocaddress-v2") + "/libcuda.so.1";
    void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    EXPECT_EQ(dlsym(handle, "cuGetProcAddress_v2"), nullptr);
    EXPECT_NE(dlsym(handle, "cuGetProcAddress"), nullptr);
    EXPECT_NE(dlsym(handle, "cuInit"), nullptr);
    dlclose(handle);

    const Outcome o = probe("no-getprocaddress-v2", "", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 0) << describe(o);
    EXPECT_TRUE(hasLine(
        o.out,
        "initscope-probe: note: libcuda.so.1 does not export cuGetProcAddress_v2; CUDA 12 and "
        "later runtimes then look up every driver function by its exported name"))
        << o.out;
}

TEST(FakeGpuNoGetProcAddressV2, RealRuntimeFallsBackToExportedNamesAndReportsInsufficientDriver)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("no-getprocaddress-v2", "");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    EXPECT_TRUE(hasLine(
        o.err, "fakegpu: libcuda.so.1 (no-getprocaddress-v2 variant) in mode no-getprocaddress-v2"))
        << o.err;
    // Not one lookup went through a resolver: the runtime bound the exported names itself.
    EXPECT_EQ(lineIndex(o.err, "cuGetProcAddress"), -1) << o.err;
    EXPECT_TRUE(hasLine(o.err, "fakegpu: cuInit(0)")) << o.err;
}

// --- v1-resolver ------------------------------------------------------------------------------

TEST(FakeGpuV1Resolver, DriverPathDetectsTheFourArgumentResolver)
{
    const Outcome o = probe("default", "v1-resolver", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(o.err, "probe_cuda_init: failed to initialize CUDA: "
                     "cuGetProcAddress_v2(\"cuGetProcAddress\", 12000) "
                     "hands out a resolver that ignores symbolStatus: the 4-argument v1 ABI where "
                     "CUDA 12 asks for "
                     "the 5-argument one\n");
}

TEST(FakeGpuV1Resolver, RealRuntimeResolvesThroughTheV1EntryAndReportsInsufficientDriver)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "v1-resolver");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    // After asking for the resolver at 12000 the runtime uses what it got: the v1 entry.
    const int handedOut = lineIndex(
        o.err, "fakegpu: cuGetProcAddress_v2(\"cuGetProcAddress\", 12000, 0x0) = 0, status 0");
    const int viaV1 = lineIndex(o.err, "fakegpu: cuGetProcAddress(\"cuDeviceGet\", 2000, 0x0) = 0");
    EXPECT_TRUE(handedOut >= 0 && viaV1 > handedOut) << o.err;
}

// --- old-driver -------------------------------------------------------------------------------

TEST(FakeGpuOldDriver, DriverPathReportsTheOldVersion)
{
    const Outcome o = probe("default", "old-driver", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 0) << describe(o);
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: CUDA driver version 11.4, 1 device(s)")) << o.out;
}

TEST(FakeGpuOldDriver, RealRuntimeRefusesTheDriverBeforeCuInit)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "old-driver");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    EXPECT_TRUE(hasLine(o.err, "fakegpu: cuDriverGetVersion() = 11040")) << o.err;
    EXPECT_EQ(lineIndex(o.err, "fakegpu: cuInit"), -1) << o.err;
    EXPECT_TRUE(hasLine(
        o.out,
        "initscope-probe: runtime: cudaGetDeviceCount returned 35 (cudaErrorInsufficientDriver); "
        "runtime CUDA 13.0, driver reports CUDA 11.4"))
        << o.out;
}

// --- no-device --------------------------------------------------------------------------------

TEST(FakeGpuNoDevice, EveryPathSaysThereIsNoDevice)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = probe("default", "no-device", {"--cudart", realCudart()});
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(lines(o.err),
              (std::vector<std::string>{
                  "probe_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected",
                  "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected",
                  "probe_nvml_init: failed to initialize NVML: no devices (nvmlDeviceGetCount_v2 "
                  "reports 0)",
              }));
}

TEST(FakeGpuNoDevice, RealRuntimeStopsAtCuInit)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "no-device");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o),
              std::vector<std::string>{
                  "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected"});
    EXPECT_TRUE(hasLine(o.err, "fakegpu: cuInit(0)")) << o.err;
    EXPECT_EQ(lineIndex(o.err, "runtime interface"), -1) << o.err;
}

// --- nvml-zero-memory -------------------------------------------------------------------------

TEST(FakeGpuNvmlZeroMemory, NvmlPathFailsOnZeroMemoryWhileTheDriverReportsSixteenGiB)
{
    const Outcome nvml = probe("default", "nvml-zero-memory", {"--nvml-only"});
    ASSERT_TRUE(nvml.exited && nvml.exitCode == 1) << describe(nvml);
    EXPECT_TRUE(hasLine(nvml.out,
                        "initscope-probe:   device 0: InitScope Fake GPU, 0 MiB total, 0 MiB free"))
        << nvml.out;
    EXPECT_EQ(nvml.err,
              "probe_nvml_device: device 0: nvmlDeviceGetMemoryInfo reports 0 B of memory\n");

    const Outcome driver = probe("default", "nvml-zero-memory", {"--driver-only"});
    ASSERT_TRUE(driver.exited && driver.exitCode == 0) << describe(driver);
    EXPECT_TRUE(hasLine(driver.out, kHealthyDevice)) << driver.out;
}

TEST(FakeGpuNvmlZeroMemory, RealRuntimeEndsAsInHealthyMode)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "nvml-zero-memory");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    EXPECT_TRUE(hasLine(o.err, "fakegpu: cuDeviceGetUuid")) << o.err;
}

// --- no-vmm -----------------------------------------------------------------------------------

TEST(FakeGpuNoVmm, DriverPathListsTheVmmCallsGgmlImports)
{
    const Outcome o = probe("no-vmm", "", {"--driver-only"});
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(
        o.err,
        "probe_cuda_init: failed to initialize CUDA: libcuda.so.1 does not export "
        "cuMemAddressFree, "
        "cuMemAddressReserve, cuMemCreate, cuMemGetAllocationGranularity, cuMemMap, cuMemRelease, "
        "cuMemSetAccess, cuMemUnmap, which libggml-cuda.so imports: loading it fails with "
        "\"undefined "
        "symbol\"\n");
}

TEST(FakeGpuNoVmm, GgmlStandInLoadsOnTheDefaultLibraryButNotOnTheNoVmmOne)
{
    const std::string host = fixturePath("ggml_host");
    const std::string standin = fixturePath("libggml-cuda-standin.so");
    const Outcome good = run({host, standin}, {{"LD_LIBRARY_PATH", fakeDir("default")}});
    ASSERT_TRUE(good.exited && good.exitCode == 0) << describe(good);
    EXPECT_EQ(good.out, "devices 1, vmm round trip 0\n");

    const Outcome bad = run({host, standin}, {{"LD_LIBRARY_PATH", fakeDir("no-vmm")}});
    ASSERT_TRUE(bad.exited && bad.exitCode == 1) << describe(bad);
    // The loader names the first unresolved import; which of the eight comes first depends on
    // the consumer's symbol table (the prebuilt ggml-cuda names cuMemCreate).
    const std::string prefix = "dlopen failed: " + standin + ": undefined symbol: ";
    ASSERT_EQ(bad.out.rfind(prefix, 0), 0u) << bad.out;
    const std::string symbol = bad.out.substr(prefix.size(), bad.out.size() - prefix.size() - 1);
    const std::vector<std::string> vmm = {"cuMemAddressFree", "cuMemAddressReserve",
                                          "cuMemCreate",      "cuMemGetAllocationGranularity",
                                          "cuMemMap",         "cuMemRelease",
                                          "cuMemSetAccess",   "cuMemUnmap"};
    EXPECT_NE(std::find(vmm.begin(), vmm.end(), symbol), vmm.end()) << bad.out;
}

TEST(FakeGpuNoVmm, RealRuntimeEndsAsInHealthyMode)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("no-vmm", "");
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_EQ(probeErrors(o), std::vector<std::string>{kInsufficientDriver});
    EXPECT_TRUE(hasLine(o.err, "fakegpu: libcuda.so.1 (no-vmm variant) in mode no-vmm")) << o.err;
}

// --- crash-in-init ----------------------------------------------------------------------------

TEST(FakeGpuCrashInInit, DriverPathDiesOfSigsegvInCuInit)
{
    const Outcome o = probe("default", "crash-in-init", {"--driver-only"});
    ASSERT_FALSE(o.exited) << describe(o);
    EXPECT_EQ(o.signal, SIGSEGV) << describe(o);
    // The progress line before the crash reached the pipe; nothing after cuInit did.
    EXPECT_EQ(o.out, "initscope-probe: loading libcuda.so.1\n");
}

TEST(FakeGpuCrashInInit, RealRuntimeDiesOfSigsegv)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "crash-in-init");
    ASSERT_FALSE(o.exited) << describe(o);
    EXPECT_EQ(o.signal, SIGSEGV) << describe(o);
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuInit(0)") << o.err;
}

// --- abort-in-init ----------------------------------------------------------------------------

TEST(FakeGpuAbortInInit, DriverPathDiesOfSigabrtInCuInit)
{
    const Outcome o = probe("default", "abort-in-init", {"--driver-only"}, {{"INITSCOPE_FAKEGPU_TRACE", "1"}});
    ASSERT_FALSE(o.exited) << describe(o);
    EXPECT_EQ(o.signal, SIGABRT) << describe(o);
    EXPECT_EQ(o.out, "initscope-probe: loading libcuda.so.1\n");
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuInit(0)") << o.err;
}

TEST(FakeGpuAbortInInit, RealRuntimeDiesOfSigabrt)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "abort-in-init");
    ASSERT_FALSE(o.exited) << describe(o);
    EXPECT_EQ(o.signal, SIGABRT) << describe(o);
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuInit(0)") << o.err;
}

// --- hang_in ----------------------------------------------------------------------------------

TEST(FakeGpuHangIn, ListedFunctionNeverReturnsAndTheOthersStillAnswer)
{
    const Outcome o = probe("default", "", {"--driver-only"},
                            {{"INITSCOPE_FAKEGPU_TRACE", "1"}, {"INITSCOPE_FAKEGPU_HANG_IN", "cuCtxGetCurrent,cuDeviceGetName"}},
                            1500);
    EXPECT_TRUE(o.timedOut) << describe(o);
    // cuInit and the calls before the device name answered; the name never came.
    EXPECT_GE(lineIndex(o.err, "fakegpu: cuInit(0)"), 0) << o.err;
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuDeviceGetName") << o.err;
}

// --- hang-in-init -----------------------------------------------------------------------------

TEST(FakeGpuHangInInit, DriverPathIsStillRunningAtTheDeadline)
{
    const Outcome o = probe("default", "hang-in-init", {"--driver-only"},
                            {{"INITSCOPE_FAKEGPU_TRACE", "1"}}, 1500);
    EXPECT_TRUE(o.timedOut) << describe(o);
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuInit(0)") << o.err;
}

TEST(FakeGpuHangInInit, RealRuntimeIsStillRunningAtTheDeadline)
{
    REQUIRE_REAL_CUDART();
    const Outcome o = runtimePath("default", "hang-in-init", 1500);
    EXPECT_TRUE(o.timedOut) << describe(o);
    EXPECT_EQ(lines(o.err).back(), "fakegpu: cuInit(0)") << o.err;
}

// --- the probe's own options -------------------------------------------------------------------

TEST(ProbeOptions, HelpSucceedsAndBadOptionsAreUsageErrors)
{
    const Outcome help = run({probePath(), "--help"}, {});
    EXPECT_TRUE(help.exited && help.exitCode == 0) << describe(help);
    EXPECT_EQ(help.out.rfind("Usage: initscope-probe", 0), 0u) << help.out;
    const Outcome bad = run({probePath(), "--bogus"}, {});
    EXPECT_TRUE(bad.exited && bad.exitCode == 64) << describe(bad);
}

TEST(ProbeOptions, OnlyOptionsCombineToRunExactlyThePathsNamed)
{
    const Outcome o = run({probePath(), "--driver-only", "--nvml-only"}, {{"LD_LIBRARY_PATH", fakeDir("default")}});
    EXPECT_TRUE(o.exited && o.exitCode == 0) << describe(o);
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: loading libcuda.so.1")) << o.out;
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: loading libnvidia-ml.so.1")) << o.out;
    EXPECT_EQ(o.out.find("libcudart"), std::string::npos) << "the runtime path was not asked for: " << o.out;
}

TEST(ProbeOptions, RuntimePathLoadsTheNewestCudartOnTheLibraryPath)
{
    // Two candidates that are not libraries at all: the error names the one that was chosen.
    const std::string dir = tempDir();
    ASSERT_FALSE(dir.empty());
    for (const char *name : {"libcudart.so.12", "libcudart.so.99.1", "libcudart.so.98"})
        std::ofstream(dir + "/" + name) << "not an ELF file\n";
    const Outcome o = run({probePath(), "--runtime-only"}, {{"LD_LIBRARY_PATH", dir}});
    for (const char *name : {"libcudart.so.12", "libcudart.so.99.1", "libcudart.so.98"})
        unlink((dir + "/" + name).c_str());
    rmdir(dir.c_str());
    ASSERT_TRUE(o.exited && o.exitCode == 1) << describe(o);
    EXPECT_TRUE(hasLine(o.out, "initscope-probe: loading " + dir + "/libcudart.so.99.1")) << o.out;
    EXPECT_EQ(o.err.rfind("probe_cudart_load: " + dir + "/libcudart.so.99.1: ", 0), 0u) << o.err;
}
