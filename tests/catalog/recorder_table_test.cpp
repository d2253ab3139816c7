// The recorder's function table generated at build time: it compiles as C++ with the project's
// warnings, is sorted so that bsearch finds every name, and says exactly what the catalog says
// about each function's family, argument count and outputs.
#include "apicatalog.h"
#include "catalogtestutil.h"

#include "initscope_recorder_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

using namespace initscope;

namespace {

int compareName(const void *key, const void *entry)
{
    return std::strcmp(static_cast<const char *>(key), static_cast<const RecFnSpec *>(entry)->name);
}

const RecFnSpec *find(const char *name)
{
    return static_cast<const RecFnSpec *>(
        std::bsearch(name, kRecFunctions, kRecFunctionCount, sizeof(RecFnSpec), compareName));
}

void expectOut(const RecOutSpec &out, int arg, int kind, int size, int lenArg)
{
    EXPECT_EQ(out.arg, arg);
    EXPECT_EQ(out.kind, kind);
    EXPECT_EQ(out.size, size);
    EXPECT_EQ(out.len_arg, lenArg);
}

} // namespace

TEST(RecorderTable, IsSortedInStrcmpOrderWithoutDuplicates)
{
    ASSERT_GT(kRecFunctionCount, 0u);
    for (unsigned i = 1; i < kRecFunctionCount; ++i)
        EXPECT_LT(std::strcmp(kRecFunctions[i - 1].name, kRecFunctions[i].name), 0)
            << kRecFunctions[i - 1].name << " before " << kRecFunctions[i].name;
}

TEST(RecorderTable, BsearchFindsEveryEntryAndNothingElse)
{
    for (unsigned i = 0; i < kRecFunctionCount; ++i)
        EXPECT_EQ(find(kRecFunctions[i].name), &kRecFunctions[i]) << kRecFunctions[i].name;
    EXPECT_EQ(find("cuNoSuchFunction"), nullptr);
    EXPECT_EQ(find(""), nullptr);
}

TEST(RecorderTable, EntriesMatchTheCatalog)
{
    const ApiCatalog &catalog = ApiCatalog::instance();
    EXPECT_EQ(qsizetype(kRecFunctionCount), catalog.functions().size());
    for (unsigned i = 0; i < kRecFunctionCount; ++i) {
        const RecFnSpec &entry = kRecFunctions[i];
        SCOPED_TRACE(entry.name);
        const FunctionSpec *fn = catalog.function(QString::fromLatin1(entry.name));
        ASSERT_NE(fn, nullptr);
        EXPECT_EQ(entry.api, quint8(fn->api));
        EXPECT_EQ(entry.nargs, fn->params.size());

        // What the catalog says the recorder should read, derived here from the public spec.
        struct Expected {
            int arg, kind, size, lenArg;
        };
        QList<Expected> expected;
        for (qsizetype p = 0; p < fn->params.size() && p < 6; ++p) {
            const ParamSpec &param = fn->params.at(p);
            if (param.direction == ParamDirection::In)
                continue;
            if (param.value.kind == ValueKind::StringPointer)
                expected.append({int(p), 4, 256, 255});
            else if (param.value.kind == ValueKind::String)
                expected.append({int(p), 2, param.value.boundParam >= 0 ? 256 : param.value.size,
                                 param.value.boundParam >= 0 ? param.value.boundParam : 255});
            else
                expected.append({int(p), 1, param.value.size, 255});
        }
        if (fn->returnKind == ReturnKind::String)
            expected.append({255, 3, 256, 255});
        ASSERT_EQ(entry.nout, expected.size());
        for (qsizetype o = 0; o < expected.size(); ++o) {
            SCOPED_TRACE(o);
            expectOut(entry.out[o], expected[o].arg, expected[o].kind, expected[o].size,
                      expected[o].lenArg);
            EXPECT_GT(entry.out[o].size, 0);
        }
        for (int o = entry.nout; o < 4; ++o)
            expectOut(entry.out[o], 0, 0, 0, 0);
    }
}

TEST(RecorderTable, OutputsOfTheCallsThatExplainFailuresAreRead)
{
    const RecFnSpec *name = find("cuDeviceGetName");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->api, 1);
    EXPECT_EQ(name->nargs, 3);
    ASSERT_EQ(name->nout, 1);
    expectOut(name->out[0], 0, 2, 256, 1); // bounded by len

    const RecFnSpec *memory = find("nvmlDeviceGetMemoryInfo");
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(memory->api, 3);
    expectOut(memory->out[0], 1, 1, 24, 255);

    const RecFnSpec *text = find("cudaGetErrorString");
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(text->api, 2);
    ASSERT_EQ(text->nout, 1);
    expectOut(text->out[0], 255, 3, 256, 255);

    const RecFnSpec *resolver = find("cuGetProcAddress_v2");
    ASSERT_NE(resolver, nullptr);
    EXPECT_EQ(resolver->nargs, 5);
    ASSERT_EQ(resolver->nout, 2);
    expectOut(resolver->out[0], 1, 1, 8, 255); // the pointer handed out
    expectOut(resolver->out[1], 4, 1, 4, 255); // symbolStatus

    expectOut(find("cuDeviceGetUuid_v2")->out[0], 0, 1, 16, 255);
    expectOut(find("nvmlDeviceGetPciInfo")->out[0], 1, 1, 32, 255);
    expectOut(find("cudaGetDeviceProperties_v2")->out[0], 0, 1, 296, 255);
    expectOut(find("nvmlSystemGetDriverVersion")->out[0], 0, 2, 256, 1);
    // The message lies behind the pointer the function stores: read through it.
    ASSERT_EQ(find("cuGetErrorString")->nout, 1);
    expectOut(find("cuGetErrorString")->out[0], 1, 4, 256, 255);
    EXPECT_EQ(find("cuLaunchKernel")->nargs, 11);
}
