// ABI spellings by CUDA version: the answers a real driver gives to cuGetProcAddress (measured,
// resources/catalog/variants-driver.txt), the runtime's and NVML's header mappings, and the
// reverse mapping from a spelling to its base name.
#include "apicatalog.h"
#include "catalogtestutil.h"

#include <gtest/gtest.h>

using namespace initscope;

namespace {

QString variant(const char *base, int version, StreamMode mode = StreamMode::Legacy)
{
    return ApiCatalog::instance().variantFor(QString::fromLatin1(base), version, mode);
}

} // namespace

TEST(CatalogVariants, ContextCreationFollowsEachAbiChange)
{
    EXPECT_EQ(variant("cuCtxCreate", 2000), "cuCtxCreate");
    EXPECT_EQ(variant("cuCtxCreate", 3020), "cuCtxCreate_v2");
    EXPECT_EQ(variant("cuCtxCreate", 11030), "cuCtxCreate_v2");
    EXPECT_EQ(variant("cuCtxCreate", 11040), "cuCtxCreate_v3");
    EXPECT_EQ(variant("cuCtxCreate", 12040), "cuCtxCreate_v3");
    EXPECT_EQ(variant("cuCtxCreate", 12050), "cuCtxCreate_v4");
    EXPECT_EQ(variant("cuCtxCreate", 13000), "cuCtxCreate_v4");
}

TEST(CatalogVariants, TheThreeTwoAbiGivesSizeTSpellings)
{
    EXPECT_EQ(variant("cuDeviceTotalMem", 3010), "cuDeviceTotalMem");
    EXPECT_EQ(variant("cuDeviceTotalMem", 3020), "cuDeviceTotalMem_v2");
    EXPECT_EQ(variant("cuMemGetInfo", 3020), "cuMemGetInfo_v2");
    EXPECT_EQ(variant("cuMemAlloc", 13000), "cuMemAlloc_v2");
    EXPECT_EQ(variant("cuCtxDestroy", 4000), "cuCtxDestroy_v2");
    EXPECT_EQ(variant("cuDevicePrimaryCtxRelease", 11000), "cuDevicePrimaryCtxRelease_v2");
    EXPECT_EQ(variant("cuDeviceGetUuid", 11040), "cuDeviceGetUuid_v2");
}

TEST(CatalogVariants, ResolverAndCuda13ChangesAreSeen)
{
    // A runtime of 12.0 or newer that asks for "cuGetProcAddress" must get the 5-argument ABI.
    EXPECT_EQ(variant("cuGetProcAddress", 12000), "cuGetProcAddress_v2");
    EXPECT_EQ(variant("cuGetProcAddress", 11030), "cuGetProcAddress");
    EXPECT_EQ(variant("cuGetProcAddress", 11020), QString()) << "did not exist before 11.3";
    EXPECT_EQ(variant("cuCtxGetDevice", 12090), "cuCtxGetDevice");
    EXPECT_EQ(variant("cuCtxGetDevice", 13000), "cuCtxGetDevice_v2");
    EXPECT_EQ(variant("cuCtxSynchronize", 13000), "cuCtxSynchronize_v2");
    EXPECT_EQ(variant("cuInit", 1000), QString());
    EXPECT_EQ(variant("cuInit", 13000), "cuInit");
}

TEST(CatalogVariants, PerThreadStreamSpellingsAnswerThePerThreadFlag)
{
    EXPECT_EQ(variant("cuLaunchKernel", 12000, StreamMode::PerThread), "cuLaunchKernel_ptsz");
    EXPECT_EQ(variant("cuLaunchKernel", 12000), "cuLaunchKernel");
    EXPECT_EQ(variant("cuMemcpyHtoD", 12000, StreamMode::PerThread), "cuMemcpyHtoD_v2_ptds");
    // The driver answers VERSION_NOT_SUFFICIENT for a per-thread request before 7.0.
    EXPECT_EQ(variant("cuMemcpyHtoD", 6050, StreamMode::PerThread), QString());
    EXPECT_EQ(variant("cuInit", 12000, StreamMode::PerThread), "cuInit");
}

TEST(CatalogVariants, RuntimeAndNvmlFollowTheirHeaders)
{
    EXPECT_EQ(variant("cudaGetDeviceProperties", 11080), "cudaGetDeviceProperties");
    EXPECT_EQ(variant("cudaGetDeviceProperties", 12000), "cudaGetDeviceProperties_v2");
    EXPECT_EQ(variant("cudaGetDeviceProperties", 13000), "cudaGetDeviceProperties");
    EXPECT_EQ(variant("cudaMemcpy", 12000, StreamMode::PerThread), "cudaMemcpy_ptds");
    EXPECT_EQ(variant("nvmlInit", 13000), "nvmlInit_v2");
    EXPECT_EQ(variant("nvmlDeviceGetPciInfo", 0), "nvmlDeviceGetPciInfo_v3");
    EXPECT_EQ(variant("nvmlDeviceGetHandleByPciBusId", 0), "nvmlDeviceGetHandleByPciBusId_v2");
    EXPECT_EQ(variant("nvmlDeviceGetMemoryInfo", 13000), "nvmlDeviceGetMemoryInfo");
}

TEST(CatalogVariants, NamesWithoutVariantsAreTheirOwnSpelling)
{
    EXPECT_EQ(variant("cuSomethingNew", 13000), "cuSomethingNew");
    EXPECT_EQ(variant("nvmlDeviceGetName", 0), "nvmlDeviceGetName");
    // A spelling given as base is read as its base.
    EXPECT_EQ(variant("cuCtxCreate_v2", 12050), "cuCtxCreate_v4");
}

TEST(CatalogVariants, BaseOfReducesEverySpellingToItsBase)
{
    const ApiCatalog &catalog = ApiCatalog::instance();
    EXPECT_EQ(catalog.baseOf(u"cuCtxCreate_v4"), "cuCtxCreate");
    EXPECT_EQ(catalog.baseOf(u"cuCtxCreate"), "cuCtxCreate");
    EXPECT_EQ(catalog.baseOf(u"cuMemcpyHtoD_v2_ptds"), "cuMemcpyHtoD");
    EXPECT_EQ(catalog.baseOf(u"cuLaunchKernel_ptsz"), "cuLaunchKernel");
    EXPECT_EQ(catalog.baseOf(u"cudaGetDeviceProperties_v2"), "cudaGetDeviceProperties");
    EXPECT_EQ(catalog.baseOf(u"nvmlDeviceGetPciInfo_v3"), "nvmlDeviceGetPciInfo");
    EXPECT_EQ(catalog.baseOf(u"cuFutureCall_v7"), "cuFutureCall"); // by the suffix rule
    EXPECT_EQ(catalog.spellingsOf(u"cuCtxCreate"),
              QStringList({"cuCtxCreate", "cuCtxCreate_v2", "cuCtxCreate_v3", "cuCtxCreate_v4"}));
    EXPECT_TRUE(catalog.hasVariants(u"cuGetProcAddress"));
}

TEST(CatalogVariants, EveryCataloguedSpellingIsAKnownVariantOfItsBase)
{
    // Guards functions-*.txt against a spelling the libraries never export.
    const ApiCatalog &catalog = ApiCatalog::instance();
    for (const FunctionSpec &fn : catalog.functions()) {
        if (!catalog.hasVariants(fn.base))
            continue;
        EXPECT_TRUE(catalog.spellingsOf(fn.base).contains(fn.name)) << fn.name.toStdString();
    }
    int driverBases = 0;
    for (const FunctionSpec &fn : catalog.functions())
        driverBases += fn.api == ApiFamily::Driver && catalog.hasVariants(fn.base);
    EXPECT_GT(driverBases, 40) << "the measured driver table should cover the driver functions";
}
