// Decoding recorded calls: arguments by type, outputs from captured bytes, results by the
// function's return type, and the resolver and export-table facts. Captured bytes of the
// memory, PCI and property structures were measured on an H100 with driver 580.159.04.
#include "calldecoder.h"
#include "catalogtestutil.h"

#include <QJsonArray>

#include <gtest/gtest.h>

#include <cstring>

using namespace initscope;

namespace {

using Regs = std::array<quint64, 6>;
constexpr quint64 kOut = 0x7ffc5e8a1c20; // a stack address, as callers pass

QByteArray le32(quint32 v)
{
    QByteArray b(4, '\0');
    std::memcpy(b.data(), &v, 4);
    return b;
}

} // namespace

TEST(CallDecoder, DriverVersionOutputIsReadFromTheCapturedInteger)
{
    const DecodedCall call =
        decodeCall(u"cuDriverGetVersion", ApiFamily::Driver, {kOut}, 0, {{0, le32(13000)}});
    EXPECT_EQ(call.summary, "cuDriverGetVersion(driverVersion=&13000) → CUDA_SUCCESS");
    EXPECT_EQ(call.json.value("out").toObject().value("driverVersion").toInt(), 13000);
    EXPECT_EQ(call.json.value("args").toObject().value("driverVersion").toString(),
              "0x7ffc5e8a1c20");
    EXPECT_EQ(call.json.value("result").toObject().value("name").toString(), "CUDA_SUCCESS");
    EXPECT_TRUE(call.json.value("ok").toBool());
    EXPECT_TRUE(call.json.value("known").toBool());
    EXPECT_EQ(call.json.value("api").toString(), "driver");

    const DecodedCall count =
        decodeCall(u"cuDeviceGetCount", ApiFamily::Driver, {kOut}, 0, {{0, le32(1)}});
    EXPECT_EQ(count.summary, "cuDeviceGetCount(count=&1) → CUDA_SUCCESS");
}

TEST(CallDecoder, DeviceNameIsReadUpToItsTerminator)
{
    QByteArray name("NVIDIA H100 80GB HBM3");
    name.append('\0');
    name.append("\xaa\xaa", 2); // what lay behind it in the buffer
    const DecodedCall call =
        decodeCall(u"cuDeviceGetName", ApiFamily::Driver, {kOut, 256, 0}, 0, {{0, name}});
    EXPECT_EQ(call.summary,
              "cuDeviceGetName(name=&\"NVIDIA H100 80GB HBM3\", len=256, dev=0) → CUDA_SUCCESS");
    EXPECT_EQ(call.json.value("out").toObject().value("name").toString(), "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(call.json.value("args").toObject().value("len").toInt(), 256);
    EXPECT_EQ(call.json.value("args").toObject().value("dev").toInt(), 0);
}

TEST(CallDecoder, AttributeNumbersAreNamed)
{
    const DecodedCall call =
        decodeCall(u"cuDeviceGetAttribute", ApiFamily::Driver, {kOut, 75, 0}, 0, {{0, le32(9)}});
    EXPECT_EQ(call.summary, "cuDeviceGetAttribute(pi=&9, attrib=CU_DEVICE_ATTRIBUTE_COMPUTE_"
                            "CAPABILITY_MAJOR, dev=0) → CUDA_SUCCESS");
    EXPECT_EQ(call.json.value("args").toObject().value("attrib").toString(),
              "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR");
    EXPECT_EQ(call.json.value("out").toObject().value("pi").toInt(), 9);

    const DecodedCall unnamed =
        decodeCall(u"cuDeviceGetAttribute", ApiFamily::Driver, {kOut, 9999, 0}, 0, {{0, le32(1)}});
    EXPECT_EQ(unnamed.json.value("args").toObject().value("attrib").toInt(), 9999);
}

TEST(CallDecoder, NvmlMemoryInfoStructIsSplitIntoItsFields)
{
    const QByteArray bytes = QByteArray::fromHex("000070e913000000"
                                                 "000083aa13000000"
                                                 "0000ed3e00000000");
    const DecodedCall call = decodeCall(u"nvmlDeviceGetMemoryInfo", ApiFamily::Nvml,
                                        {0x55d0c0de1000, kOut}, 0, {{1, bytes}});
    const QJsonObject memory = call.json.value("out").toObject().value("memory").toObject();
    EXPECT_EQ(memory.value("total").toInteger(), 85520809984);
    EXPECT_EQ(memory.value("free").toInteger(), 84465090560);
    EXPECT_EQ(memory.value("used").toInteger(), 1055719424);
    EXPECT_EQ(call.summary, "nvmlDeviceGetMemoryInfo(device=0x55d0c0de1000, memory=&{total="
                            "85520809984, free=84465090560, used=1055719424}) → NVML_SUCCESS");
}

TEST(CallDecoder, PciInfoAndDevicePropertiesShowTheirStrings)
{
    const QByteArray pci = QByteArray::fromHex("303030303a30303a30362e3000aaaaaa"
                                               "000000000000000006000000de103023"
                                               "de10c11630303030303030303a30303a"
                                               "30362e3000aaaaaaaaaaaaaaaaaaaaaa"
                                               "aaaaaaaa");
    const DecodedCall info = decodeCall(u"nvmlDeviceGetPciInfo_v3", ApiFamily::Nvml,
                                        {0x55d0c0de1000, kOut}, 0, {{1, pci}});
    const QJsonObject fields = info.json.value("out").toObject().value("pci").toObject();
    EXPECT_EQ(fields.value("busId").toString(), "00000000:00:06.0");
    EXPECT_EQ(fields.value("busIdLegacy").toString(), "0000:00:06.0");
    EXPECT_EQ(fields.value("device").toInt(), 6);
    EXPECT_EQ(fields.value("pciDeviceId").toString(), "0x233010de");

    QByteArray prop(296, '\0');
    std::memcpy(prop.data(), "NVIDIA H100 80GB HBM3", 21);
    const QByteArray uuid = QByteArray::fromHex("e3291849ada609fa4dbe82d2a991c418");
    std::memcpy(prop.data() + 256, uuid.constData(), 16);
    const quint64 total = 85017493504;
    std::memcpy(prop.data() + 288, &total, 8);
    const DecodedCall props =
        decodeCall(u"cudaGetDeviceProperties", ApiFamily::Runtime, {kOut, 0}, 0, {{0, prop}});
    const QJsonObject head = props.json.value("out").toObject().value("prop").toObject();
    EXPECT_EQ(head.value("name").toString(), "NVIDIA H100 80GB HBM3");
    // nvidia-smi shows this GPU as GPU-e3291849-ada6-09fa-4dbe-82d2a991c418.
    EXPECT_EQ(head.value("uuid").toString(), "e3291849-ada6-09fa-4dbe-82d2a991c418");
    EXPECT_EQ(head.value("totalGlobalMem").toInteger(), 85017493504);
}

TEST(CallDecoder, ReturnedErrorStringIsTheResult)
{
    QByteArray text("no CUDA-capable device is detected");
    text.append('\0');
    const DecodedCall call = decodeCall(u"cudaGetErrorString", ApiFamily::Runtime, {100},
                                        0x7f3a2c001000, {{kReturnedValueArg, text}});
    EXPECT_EQ(
        call.summary,
        "cudaGetErrorString(error=cudaErrorNoDevice) = \"no CUDA-capable device is detected\"");
    const QJsonObject result = call.json.value("result").toObject();
    EXPECT_EQ(result.value("string").toString(), "no CUDA-capable device is detected");
    EXPECT_EQ(result.value("pointer").toString(), "0x7f3a2c001000");

    const DecodedCall nvml =
        decodeCall(u"nvmlErrorString", ApiFamily::Nvml, {9}, 0x7f3a2c002000, {});
    EXPECT_EQ(nvml.summary,
              "nvmlErrorString(result=NVML_ERROR_DRIVER_NOT_LOADED) = 0x7f3a2c002000");
}

TEST(CallDecoder, FailedCallWithAnUnknownCodeSaysUnknown)
{
    const DecodedCall call = decodeCall(u"cuInit", ApiFamily::Driver, {0}, 12345, {});
    EXPECT_EQ(call.summary, "cuInit(Flags=0x0) → unknown CUresult 12345");
    const QJsonObject result = call.json.value("result").toObject();
    EXPECT_EQ(result.value("code").toInt(), 12345);
    EXPECT_FALSE(result.value("known").toBool());
    EXPECT_FALSE(result.value("ok").toBool());
    EXPECT_FALSE(call.json.value("ok").toBool());
}

TEST(CallDecoder, FailedCallNamesTheErrorAndKeepsOutputsApart)
{
    // The upper half of the return register is not part of a 32-bit result.
    const quint64 ret = 0xdeadbeef00000000ull | 801;
    const DecodedCall call =
        decodeCall(u"cuDeviceGetCount", ApiFamily::Driver, {kOut}, ret, {{0, le32(0x5a5a5a5a)}});
    EXPECT_EQ(call.summary, "cuDeviceGetCount(count=0x7ffc5e8a1c20) → CUDA_ERROR_NOT_SUPPORTED: "
                            "operation not supported");
    EXPECT_FALSE(call.json.contains("out"));
    EXPECT_EQ(call.json.value("outAfterError").toObject().value("count").toInt(), 0x5a5a5a5a);
    EXPECT_EQ(call.json.value("result").toObject().value("message").toString(),
              "operation not supported");

    const DecodedCall runtime =
        decodeCall(u"cudaGetDeviceCount", ApiFamily::Runtime, {kOut}, 35, {});
    EXPECT_EQ(runtime.summary, "cudaGetDeviceCount(count=0x7ffc5e8a1c20) → "
                               "cudaErrorInsufficientDriver: CUDA driver version is insufficient "
                               "for CUDA runtime version");
}

TEST(CallDecoder, ArgumentsAreReadAtTheirDeclaredWidth)
{
    // Garbage above a 32-bit argument must not leak into it.
    const DecodedCall call = decodeCall(u"cuDeviceGet", ApiFamily::Driver,
                                        {kOut, 0xffffffff00000002ull}, 0, {{0, le32(2)}});
    EXPECT_EQ(call.summary, "cuDeviceGet(device=&2, ordinal=2) → CUDA_SUCCESS");
    const DecodedCall flags =
        decodeCall(u"cuCtxCreate_v2", ApiFamily::Driver, {kOut, 0x9, 0}, 0, {});
    EXPECT_EQ(flags.json.value("args").toObject().value("flags").toString(),
              "CU_CTX_SCHED_SPIN|CU_CTX_MAP_HOST");
    const DecodedCall nullOut = decodeCall(u"cuCtxGetCurrent", ApiFamily::Driver, {0}, 1, {});
    EXPECT_TRUE(nullOut.json.value("args").toObject().value("pctx").isNull());
    EXPECT_EQ(nullOut.summary,
              "cuCtxGetCurrent(pctx=NULL) → CUDA_ERROR_INVALID_VALUE: invalid argument");
}

TEST(CallDecoder, ArgumentsPastTheSixthRegisterAreMarkedUnrecorded)
{
    const DecodedCall call =
        decodeCall(u"cuLaunchKernel", ApiFamily::Driver, {0x5555deadb000, 1, 1, 1, 128, 1}, 0, {});
    EXPECT_EQ(call.summary, "cuLaunchKernel(f=0x5555deadb000, gridDimX=1, gridDimY=1, "
                            "gridDimZ=1, blockDimX=128, blockDimY=1, …) → CUDA_SUCCESS");
    EXPECT_EQ(call.json.value("unrecordedArgs").toArray().size(), 5);
}

TEST(CallDecoder, UncataloguedFunctionShowsRawRegistersAndItsFamilysResult)
{
    const DecodedCall call =
        decodeCall(u"cuFutureCall", ApiFamily::Driver, {1, 2, 3, 4, 5, 6}, 100, {{1, le32(7)}});
    EXPECT_FALSE(call.json.value("known").toBool());
    EXPECT_EQ(call.json.value("args").toObject().value("arg1").toString(), "0x2");
    EXPECT_EQ(call.json.value("out").toObject().value("arg1").toString(), "07000000");
    EXPECT_EQ(call.summary,
              "cuFutureCall(…) → CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected");
}

TEST(CallDecoder, ResolverHandingOutTheOldAbiIsFlagged)
{
    // DOMAIN §2.3: asked for cuGetProcAddress at 12000, a shim hands back its 4-argument v1.
    RawProcAddress raw{};
    raw.requested_version = 12000;
    raw.flags = 0;
    raw.status_value = 0;
    raw.result = 0;
    raw.pointer = 0x7f0012345670;
    raw.resolver_v2 = 1;
    const DecodedCall bad =
        decodeProcAddress(raw, u"cuGetProcAddress", u"/opt/shim/libcuda.so.1", u"cuGetProcAddress");
    EXPECT_EQ(bad.json.value("expected").toString(), "cuGetProcAddress_v2");
    EXPECT_FALSE(bad.json.value("matchesExpected").toBool());
    EXPECT_FALSE(bad.json.value("ok").toBool());
    EXPECT_EQ(bad.summary, "cuGetProcAddress_v2(\"cuGetProcAddress\", 12000, CU_GET_PROC_ADDRESS_"
                           "DEFAULT) → CUDA_SUCCESS, CU_GET_PROC_ADDRESS_SUCCESS: cuGetProcAddress "
                           "in libcuda.so.1 (a caller of 12000 expects cuGetProcAddress_v2)");

    const DecodedCall good = decodeProcAddress(raw, u"cuGetProcAddress", u"/usr/lib/libcuda.so.1",
                                               u"cuGetProcAddress_v2");
    EXPECT_TRUE(good.json.value("matchesExpected").toBool());
    EXPECT_TRUE(good.json.value("ok").toBool());
    EXPECT_EQ(good.json.value("symbolStatus").toString(), "CU_GET_PROC_ADDRESS_SUCCESS");
}

TEST(CallDecoder, ResolverStatusAndFlagsAreNamed)
{
    RawProcAddress raw{};
    raw.requested_version = 6050;
    raw.flags = 2;
    raw.status_value = 2;
    raw.result = 0;
    raw.pointer = 0;
    raw.resolver_v2 = 1;
    const DecodedCall call = decodeProcAddress(raw, u"cuMemcpyHtoD", {}, {});
    EXPECT_EQ(call.summary,
              "cuGetProcAddress_v2(\"cuMemcpyHtoD\", 6050, CU_GET_PROC_ADDRESS_PER_"
              "THREAD_DEFAULT_STREAM) → CUDA_SUCCESS, CU_GET_PROC_ADDRESS_VERSION_NOT_"
              "SUFFICIENT");
    EXPECT_FALSE(call.json.value("ok").toBool());
    EXPECT_TRUE(call.json.value("pointer").isNull());

    raw.status_value = std::numeric_limits<quint64>::max(); // no status pointer passed
    raw.resolver_v2 = 0;
    raw.requested_version = 2000;
    raw.flags = 0;
    raw.pointer = 0x7f0012340000;
    const DecodedCall old = decodeProcAddress(raw, u"cuInit", u"/usr/lib/libcuda.so.1", u"cuInit");
    EXPECT_TRUE(old.json.value("symbolStatus").isNull());
    EXPECT_EQ(old.json.value("function").toString(), "cuGetProcAddress");
    EXPECT_TRUE(old.json.value("matchesExpected").toBool());
}

TEST(CallDecoder, ExportTableRequestsAreNamedByUuid)
{
    RawExportTable raw{};
    const QByteArray uuid = QByteArray::fromHex("6bd5fb6c5bf4e74a8987d93912fd9df9");
    std::memcpy(raw.uuid, uuid.constData(), 16);
    raw.result = 0;
    raw.table = 0x7f00aabb0000;
    raw.table_size = 104;
    const DecodedCall call = decodeExportTable(raw);
    EXPECT_EQ(call.summary, "cuGetExportTable(CUDART_INTERFACE 6bd5fb6c-5bf4-e74a-8987-"
                            "d93912fd9df9) → CUDA_SUCCESS, table of 104 bytes");
    EXPECT_EQ(call.json.value("name").toString(), "CUDART_INTERFACE");
    EXPECT_EQ(call.json.value("tableSize").toInt(), 104);

    raw.uuid[0] = 0;
    raw.result = 500;
    raw.table = 0;
    raw.table_size = 0;
    const DecodedCall unknown = decodeExportTable(raw);
    EXPECT_FALSE(unknown.json.value("known").toBool());
    EXPECT_TRUE(unknown.json.value("name").isNull());
    EXPECT_EQ(unknown.summary, "cuGetExportTable(00d5fb6c-5bf4-e74a-8987-d93912fd9df9) → "
                               "CUDA_ERROR_NOT_FOUND: named symbol not found");
}
