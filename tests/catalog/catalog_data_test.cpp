// The catalog's data: every file is compiled in, every result code has its name and the message
// the library prints, the entry points InitScope must decode are there with the right shape,
// export tables are named and UUIDs printed in memory order, and broken data is refused with
// the file and line that is wrong.
#include "apicatalog.h"
#include "calldecoder.h"
#include "catalogtestutil.h"
#include "catalogtext.h"

#include <QDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

const ApiCatalog &catalog()
{
    return ApiCatalog::instance();
}

// A function of each family whose return value is that family's result code.
QString functionReturning(ApiFamily family)
{
    switch (family) {
    case ApiFamily::Driver:
        return QStringLiteral("cuInit");
    case ApiFamily::Runtime:
        return QStringLiteral("cudaDeviceSynchronize");
    default:
        return QStringLiteral("nvmlShutdown");
    }
}

} // namespace

TEST(CatalogData, EveryDataFileIsCompiledIntoTheResource)
{
    catalog(); // registers the resource
    const QStringList embedded =
        QDir(QStringLiteral(":/initscope/catalog")).entryList({"*.txt"}, QDir::Files, QDir::Name);
    const QStringList source = QDir(QStringLiteral(INITSCOPE_CATALOG_SOURCE_DIR))
                                   .entryList({"*.txt"}, QDir::Files, QDir::Name);
    EXPECT_FALSE(source.isEmpty());
    EXPECT_EQ(embedded, source) << "resources/catalog/catalog.qrc must list every *.txt";
}

TEST(CatalogData, SourceDirectoryLoadsToTheSameCatalogAsTheResource)
{
    QString error;
    auto fromSource =
        ApiCatalog::fromDirectory(QStringLiteral(INITSCOPE_CATALOG_SOURCE_DIR), &error);
    ASSERT_TRUE(fromSource) << error.toStdString();
    EXPECT_EQ(fromSource->functions().size(), catalog().functions().size());
    EXPECT_EQ(fromSource->results(ApiFamily::Driver).size(),
              catalog().results(ApiFamily::Driver).size());
}

TEST(CatalogResults, EveryCataloguedCodeDecodesToItsNameAndMessage)
{
    for (ApiFamily family : {ApiFamily::Driver, ApiFamily::Runtime, ApiFamily::Nvml}) {
        const QList<ResultCodeInfo> codes = catalog().results(family);
        ASSERT_FALSE(codes.isEmpty()) << apiFamilyName(family).toStdString();
        for (const ResultCodeInfo &code : codes) {
            SCOPED_TRACE(code.name.toStdString());
            EXPECT_TRUE(code.known);
            EXPECT_FALSE(code.name.isEmpty());
            EXPECT_FALSE(code.message.isEmpty());
            const ResultCodeInfo looked = catalog().result(family, code.code);
            EXPECT_EQ(looked.name, code.name);
            EXPECT_EQ(looked.message, code.message);

            const DecodedCall call =
                decodeCall(functionReturning(family), family, {}, quint64(quint32(code.code)), {});
            const QJsonObject result = call.json.value("result").toObject();
            EXPECT_EQ(result.value("code").toInteger(), code.code);
            EXPECT_EQ(result.value("name").toString(), code.name);
            EXPECT_EQ(result.value("message").toString(), code.message);
            EXPECT_EQ(result.value("ok").toBool(), code.code == 0);
            EXPECT_TRUE(call.summary.contains(code.name)) << call.summary.toStdString();
        }
    }
    EXPECT_GE(catalog().results(ApiFamily::Driver).size(), 100);
    EXPECT_GE(catalog().results(ApiFamily::Runtime).size(), 100);
    EXPECT_EQ(catalog().results(ApiFamily::Nvml).size(), 32); // 0..30 and 999
}

TEST(CatalogResults, CodesUsersSeeInLogsHaveTheLibrariesOwnNamesAndMessages)
{
    const auto expectCode = [](ApiFamily family, qint64 code, const char *name,
                               const char *message) {
        const ResultCodeInfo info = catalog().result(family, code);
        EXPECT_TRUE(info.known) << name;
        EXPECT_EQ(info.name, QString::fromUtf8(name));
        EXPECT_EQ(info.message, QString::fromUtf8(message));
    };
    expectCode(ApiFamily::Driver, 0, "CUDA_SUCCESS", "no error");
    expectCode(ApiFamily::Driver, 3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error");
    expectCode(ApiFamily::Driver, 100, "CUDA_ERROR_NO_DEVICE",
               "no CUDA-capable device is detected");
    expectCode(ApiFamily::Driver, 400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle");
    expectCode(ApiFamily::Driver, 500, "CUDA_ERROR_NOT_FOUND", "named symbol not found");
    expectCode(ApiFamily::Driver, 801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported");
    expectCode(ApiFamily::Driver, 802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized");
    expectCode(ApiFamily::Driver, 803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
               "system has unsupported display driver / cuda driver combination");
    expectCode(ApiFamily::Driver, 999, "CUDA_ERROR_UNKNOWN", "unknown error");
    expectCode(ApiFamily::Runtime, 35, "cudaErrorInsufficientDriver",
               "CUDA driver version is insufficient for CUDA runtime version");
    expectCode(ApiFamily::Runtime, 100, "cudaErrorNoDevice", "no CUDA-capable device is detected");
    expectCode(ApiFamily::Runtime, 103, "cudaErrorSoftwareValidityNotEstablished",
               "integrity checks failed");
    expectCode(ApiFamily::Runtime, 801, "cudaErrorNotSupported", "operation not supported");
    expectCode(ApiFamily::Runtime, 999, "cudaErrorUnknown", "unknown error");
    expectCode(ApiFamily::Nvml, 0, "NVML_SUCCESS", "Success");
    expectCode(ApiFamily::Nvml, 9, "NVML_ERROR_DRIVER_NOT_LOADED", "Driver Not Loaded");
    expectCode(ApiFamily::Nvml, 18, "NVML_ERROR_LIB_RM_VERSION_MISMATCH",
               "Driver/library version mismatch");
    expectCode(ApiFamily::Nvml, 999, "NVML_ERROR_UNKNOWN", "Unknown Error");
}

TEST(CatalogResults, UncataloguedCodesAreNamedAsUnknown)
{
    const ResultCodeInfo driver = catalog().result(ApiFamily::Driver, 12345);
    EXPECT_FALSE(driver.known);
    EXPECT_EQ(driver.name, "unknown CUresult 12345");
    EXPECT_EQ(driver.message, "unknown error code 12345");
    EXPECT_EQ(catalog().result(ApiFamily::Runtime, 77).name, "unknown cudaError_t 77");
    EXPECT_EQ(catalog().result(ApiFamily::Runtime, 77).message, "unrecognized error code");
    EXPECT_EQ(catalog().result(ApiFamily::Nvml, 500).name, "unknown nvmlReturn_t 500");
}

TEST(CatalogFunctions, EveryEntryPointInitScopeDecodesIsCatalogued)
{
    const QStringList names = {
        // driver
        "cuInit",
        "cuDriverGetVersion",
        "cuDeviceGet",
        "cuDeviceGetCount",
        "cuDeviceGetName",
        "cuDeviceGetAttribute",
        "cuDeviceTotalMem",
        "cuDeviceTotalMem_v2",
        "cuDeviceGetUuid",
        "cuDeviceGetUuid_v2",
        "cuDeviceGetPCIBusId",
        "cuDeviceComputeCapability",
        "cuDevicePrimaryCtxRetain",
        "cuDevicePrimaryCtxRelease",
        "cuDevicePrimaryCtxRelease_v2",
        "cuDevicePrimaryCtxReset",
        "cuDevicePrimaryCtxReset_v2",
        "cuDevicePrimaryCtxSetFlags",
        "cuDevicePrimaryCtxSetFlags_v2",
        "cuDevicePrimaryCtxGetState",
        "cuCtxCreate",
        "cuCtxCreate_v2",
        "cuCtxCreate_v3",
        "cuCtxCreate_v4",
        "cuCtxDestroy",
        "cuCtxDestroy_v2",
        "cuCtxSetCurrent",
        "cuCtxGetCurrent",
        "cuCtxGetDevice",
        "cuCtxGetDevice_v2",
        "cuCtxPushCurrent",
        "cuCtxPushCurrent_v2",
        "cuCtxPopCurrent",
        "cuCtxPopCurrent_v2",
        "cuCtxSynchronize",
        "cuMemGetInfo",
        "cuMemGetInfo_v2",
        "cuMemAlloc",
        "cuMemAlloc_v2",
        "cuMemFree",
        "cuMemFree_v2",
        "cuMemCreate",
        "cuMemAddressReserve",
        "cuMemAddressFree",
        "cuMemMap",
        "cuMemUnmap",
        "cuMemRelease",
        "cuMemSetAccess",
        "cuMemGetAllocationGranularity",
        "cuGetErrorString",
        "cuGetErrorName",
        "cuGetProcAddress",
        "cuGetProcAddress_v2",
        "cuGetExportTable",
        "cuModuleLoadData",
        "cuLaunchKernel",
        // runtime
        "cudaGetDeviceCount",
        "cudaGetDeviceProperties",
        "cudaGetDeviceProperties_v2",
        "cudaSetDevice",
        "cudaGetDevice",
        "cudaMemGetInfo",
        "cudaGetErrorString",
        "cudaGetErrorName",
        "cudaGetLastError",
        "cudaPeekAtLastError",
        "cudaRuntimeGetVersion",
        "cudaDriverGetVersion",
        "cudaDeviceSynchronize",
        "cudaDeviceReset",
        "cudaMalloc",
        "cudaFree",
        "cudaDeviceGetAttribute",
        // NVML
        "nvmlInit",
        "nvmlInit_v2",
        "nvmlInitWithFlags",
        "nvmlShutdown",
        "nvmlDeviceGetCount",
        "nvmlDeviceGetCount_v2",
        "nvmlDeviceGetHandleByIndex",
        "nvmlDeviceGetHandleByIndex_v2",
        "nvmlDeviceGetHandleByPciBusId",
        "nvmlDeviceGetHandleByPciBusId_v2",
        "nvmlDeviceGetHandleByUUID",
        "nvmlDeviceGetMemoryInfo",
        "nvmlDeviceGetMemoryInfo_v2",
        "nvmlDeviceGetPciInfo",
        "nvmlDeviceGetPciInfo_v2",
        "nvmlDeviceGetPciInfo_v3",
        "nvmlDeviceGetName",
        "nvmlDeviceGetUUID",
        "nvmlSystemGetDriverVersion",
        "nvmlSystemGetCudaDriverVersion",
        "nvmlSystemGetCudaDriverVersion_v2",
        "nvmlErrorString",
    };
    for (const QString &name : names) {
        const FunctionSpec *fn = catalog().function(name);
        ASSERT_NE(fn, nullptr) << name.toStdString();
        EXPECT_EQ(fn->name, name);
        const ApiFamily expected = name.startsWith("nvml")   ? ApiFamily::Nvml
                                   : name.startsWith("cuda") ? ApiFamily::Runtime
                                                             : ApiFamily::Driver;
        EXPECT_EQ(fn->api, expected) << name.toStdString();
    }
    EXPECT_EQ(catalog().function(u"cuNoSuchFunction"), nullptr);
}

TEST(CatalogFunctions, SignaturesCarryDirectionsTypesAndHowOutputsAreRead)
{
    const FunctionSpec *name = catalog().function(u"cuDeviceGetName");
    ASSERT_NE(name, nullptr);
    ASSERT_EQ(name->params.size(), 3);
    EXPECT_EQ(name->returnKind, ReturnKind::ResultCode);
    EXPECT_EQ(name->returnType, "CUresult");
    EXPECT_EQ(name->params[0].direction, ParamDirection::Out);
    EXPECT_EQ(name->params[0].cType, "char *");
    EXPECT_EQ(name->params[0].value.kind, ValueKind::String);
    EXPECT_EQ(name->params[0].value.boundParam, 1); // len
    EXPECT_EQ(name->params[2].value.kind, ValueKind::Device);

    const FunctionSpec *memory = catalog().function(u"nvmlDeviceGetMemoryInfo");
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(memory->params[1].value.kind, ValueKind::Struct);
    EXPECT_EQ(memory->params[1].value.ref, "nvmlMemory_t");
    EXPECT_EQ(memory->params[1].value.size, 24);
    EXPECT_EQ(catalog().function(u"nvmlDeviceGetMemoryInfo_v2")->params[1].direction,
              ParamDirection::InOut);
    EXPECT_EQ(catalog().function(u"nvmlDeviceGetPciInfo")->params[1].value.size, 32);
    EXPECT_EQ(catalog().function(u"nvmlDeviceGetPciInfo_v3")->params[1].value.size, 68);

    const FunctionSpec *resolve = catalog().function(u"cuGetProcAddress_v2");
    ASSERT_NE(resolve, nullptr);
    ASSERT_EQ(resolve->params.size(), 5);
    EXPECT_EQ(resolve->params[4].name, "symbolStatus");
    EXPECT_EQ(resolve->params[4].value.kind, ValueKind::Enum);
    EXPECT_EQ(resolve->params[3].value.kind, ValueKind::Flags);
    EXPECT_EQ(catalog().function(u"cuGetProcAddress")->params.size(), 4);

    const FunctionSpec *table = catalog().function(u"cuGetExportTable");
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->params[0].direction, ParamDirection::Out);
    EXPECT_EQ(table->params[1].value.kind, ValueKind::Uuid);

    EXPECT_EQ(catalog().function(u"cuDeviceTotalMem")->params[0].value.size, 4);
    EXPECT_EQ(catalog().function(u"cuDeviceTotalMem_v2")->params[0].value.size, 8);
    EXPECT_EQ(catalog().function(u"cuCtxCreate_v4")->params.size(), 4);
    EXPECT_EQ(catalog().function(u"cuCtxCreate_v3")->params.size(), 5);
    EXPECT_EQ(catalog().function(u"cuCtxGetDevice_v2")->params.size(), 2);
    EXPECT_EQ(catalog().function(u"cuLaunchKernel_ptsz")->params.size(), 11);
    EXPECT_EQ(catalog().function(u"cudaGetErrorString")->returnKind, ReturnKind::String);
    EXPECT_EQ(catalog().function(u"nvmlErrorString")->returnKind, ReturnKind::String);
    EXPECT_EQ(catalog().function(u"cuCtxCreate_v2")->base, "cuCtxCreate");
}

TEST(CatalogEnums, AttributesAndResolverFlagsHaveTheirNames)
{
    EXPECT_EQ(catalog().enumName(u"CUdevice_attribute", 75),
              "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR");
    EXPECT_EQ(catalog().enumName(u"CUdevice_attribute", 76),
              "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR");
    EXPECT_EQ(catalog().enumName(u"CUdevice_attribute", 18), "CU_DEVICE_ATTRIBUTE_INTEGRATED");
    EXPECT_EQ(catalog().enumName(u"CUdevice_attribute", 100000), QString());
    EXPECT_EQ(catalog().enumName(u"cudaDeviceAttr", 75), "cudaDevAttrComputeCapabilityMajor");
    EXPECT_EQ(catalog().enumName(u"CUdriverProcAddressQueryResult", 2),
              "CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT");
    EXPECT_EQ(catalog().flagsText(u"CUgetProcAddress_flags", 0), "CU_GET_PROC_ADDRESS_DEFAULT");
    EXPECT_EQ(catalog().flagsText(u"CUgetProcAddress_flags", 2),
              "CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM");
    EXPECT_EQ(catalog().flagsText(u"CUgetProcAddress_flags", 5),
              "CU_GET_PROC_ADDRESS_LEGACY_STREAM|0x4");
    EXPECT_EQ(catalog().flagsText(u"nvmlInitFlags", 0), "0");
    EXPECT_EQ(catalog().flagsText(u"CUctx_flags", 9), "CU_CTX_SCHED_SPIN|CU_CTX_MAP_HOST");
}

TEST(CatalogExportTables, KnownUuidsHaveTheirNamesAndPrintInMemoryOrder)
{
    const std::pair<const char *, const char *> known[] = {
        {"6bd5fb6c-5bf4-e74a-8987-d93912fd9df9", "CUDART_INTERFACE"},
        {"42d85a81-23f6-cb47-8298-f6e78a3aecdc", "TOOLS_TLS"},
        {"a094798c-2e74-2e74-93f2-0800200c0a66", "TOOLS_RUNTIME_CALLBACK_HOOKS"},
        {"c693336e-1121-df11-a8c3-68f355d89593", "CONTEXT_LOCAL_STORAGE"},
        {"263e8860-7cd2-6143-92f6-bbd5006dfa7e", "CONTEXT_CHECK"},
        {"d4082055-bde6-704b-8d34-ba123c66e1f2", "INTEGRITY_CHECK"},
        {"f8cff951-2146-8b4e-b9e2-fb469e7c0dd9", "SKIP_INIT_PROBE"},
        {"69a28e9f-2449-8b47-b030-c5da330ea4e9", "PYTORCH_FIRST_REQUEST"},
    };
    for (const auto &[text, name] : known) {
        auto uuid = ApiCatalog::parseUuid(QString::fromLatin1(text));
        ASSERT_TRUE(uuid) << text;
        EXPECT_EQ(catalog().exportTableName(*uuid), QString::fromLatin1(name));
        EXPECT_EQ(ApiCatalog::formatUuid(*uuid), QString::fromLatin1(text));
    }
    EXPECT_EQ(catalog().exportTables().size(), 8);

    // The bytes as they lie in memory (what cuGetExportTable receives) print left to right.
    const QByteArray memory = QByteArray::fromHex("6bd5fb6c5bf4e74a8987d93912fd9df9");
    EXPECT_EQ(ApiCatalog::formatUuid(memory), "6bd5fb6c-5bf4-e74a-8987-d93912fd9df9");
    EXPECT_EQ(ApiCatalog::formatUuid(QByteArray("short")), QString());

    Uuid unknown{};
    unknown[0] = 1;
    EXPECT_EQ(catalog().exportTableName(unknown), QString());
    EXPECT_FALSE(ApiCatalog::parseUuid(u"6bd5fb6c-5bf4-e74a-8987-d93912fd9df"));
    EXPECT_FALSE(ApiCatalog::parseUuid(u"6bd5fb6c5bf4-e74a-8987-d93912fd9df9x"));
    EXPECT_TRUE(ApiCatalog::parseUuid(u"6BD5FB6C-5BF4-E74A-8987-D93912FD9DF9"));
}

TEST(CatalogText, SyntaxErrorsNameTheFileAndLine)
{
    const QList<std::pair<QString, QByteArray>> files = {
        {"ok.txt", "# comment\ntype i32 int\n"},
        {"bad.txt", "fn driver CUresult cuThing\n    in int a\n    sideways int b\n"},
    };
    QString error;
    EXPECT_FALSE(ApiCatalog::fromTexts(files, &error));
    EXPECT_EQ(error, "bad.txt:3: expected in, out, inout or also");
}

TEST(CatalogText, CrossReferencesAreCheckedBeforeUse)
{
    const auto load = [](const char *text) {
        QString error;
        auto loaded = ApiCatalog::fromTexts({{"t.txt", QByteArray(text)}}, &error);
        return loaded ? QString() : error;
    };
    EXPECT_EQ(load("type i32 int\nfn driver int cuA\n    in CUnknown x\n"),
              "t.txt:2: cuA x: no type rule for CUnknown");
    EXPECT_EQ(load("type i32 int\nfn driver int cuA\n    out char *s : cstr(n)\n"),
              "t.txt:2: cuA s: n is not an integer parameter of the function");
    EXPECT_EQ(load("type i32 int\nfn driver int cuA\n    out void *p\n"),
              "t.txt:2: cuA p: an output needs a kind to be read as");
    EXPECT_EQ(load("type i32 int\nfn driver int cuA\nfn driver int cuA\n"),
              "t.txt:3: second function spelled cuA");
    EXPECT_EQ(load("type enum(Nope) Thing\n"), "t.txt:1: no enum or flags block named Nope");
    EXPECT_EQ(load("variants driver cuA\n    20 cuA_v2\n    10 cuA\n"),
              "t.txt:1: cuA: versions must not go down");
    EXPECT_EQ(load("type i32 int\nfn driver int cuA\n    in int x\n"), QString());
}

TEST(CatalogText, KindsRoundTripThroughTheirText)
{
    using namespace initscope::catalogtext;
    for (const char *text : {"i32", "u64", "hex32", "ptr", "handle", "device", "uuid", "strptr",
                             "enum(CUdevice_attribute)", "flags(CUctx_flags)", "result(nvml)",
                             "struct(nvmlMemory_t)", "bytes(8)", "cstr(32)", "cstr(len)"}) {
        auto kind = parseKind(text);
        ASSERT_TRUE(kind) << text;
        EXPECT_EQ(kindText(*kind), text);
    }
    EXPECT_FALSE(parseKind("result(cublas)"));
    EXPECT_FALSE(parseKind("cstr()"));
    EXPECT_FALSE(parseKind("i32(4)"));
    EXPECT_EQ(typeKey("const struct cudaDeviceProp *"), "cudaDeviceProp *");
}
