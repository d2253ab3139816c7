// Run diff: the incident against a mode that passes the export-table request, a run against
// itself and against its own repetition, env-only differences, and `initscope diff`.
#include "recordtestutil.h"

#include "bundle.h"
#include "rundiff.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

class DiffTest : public ::testing::Test
{
protected:
    QTemporaryDir dir;

    QString record(const QString &name, const QString &mode, const QStringList &extra = {})
    {
        const QString bundle = dir.filePath(name + QStringLiteral(".initscope"));
        const QString fake = QStringLiteral(FAKEGPU_DIR "/default");
        runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                 QStringLiteral("--shim"), fake + QStringLiteral("/libcuda.so.1"),
                                 QStringLiteral("--shim"), fake + QStringLiteral("/libnvidia-ml.so.1"),
                                 QStringLiteral("--env"), QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + mode}
                         + extra + QStringList{QStringLiteral("--"), binary(QStringLiteral("initscope-probe"))},
                     90000);
        return bundle;
    }

    RunDiff diff(const QString &a, const QString &b)
    {
        readers[0] = openBundle(a);
        readers[1] = openBundle(b);
        EXPECT_TRUE(readers[0] && readers[1]);
        if (!readers[0] || !readers[1])
            return {};
        return diffRuns({readers[0].get(), readers[0]->runs().first().id, QStringLiteral("A")},
                        {readers[1].get(), readers[1]->runs().first().id, QStringLiteral("B")});
    }
    std::unique_ptr<BundleReader> readers[2];
};

} // namespace

TEST_F(DiffTest, IncidentAgainstHealthyFirstDivergesAtTheRuntimesPrivateInterfaceRequest)
{
    const RunDiff d = diff(record(QStringLiteral("incident"), QStringLiteral("no-export-tables")),
                           record(QStringLiteral("healthy"), QStringLiteral("healthy")));
    EXPECT_FALSE(d.equivalent());
    ASSERT_TRUE(d.first.has_value());
    EXPECT_EQ(d.first->kind, CallDifference::Kind::ResultDiffers);
    EXPECT_EQ(d.first->call, QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_EQ(d.first->resultA, QStringLiteral("CUDA_ERROR_NOT_SUPPORTED"));
    EXPECT_EQ(d.first->resultB, QStringLiteral("CUDA_SUCCESS"));
    EXPECT_GE(d.first->eventA, 0);
    EXPECT_GE(d.first->eventB, 0);
    EXPECT_GT(d.alignedCalls, 10) << "the bring-up before it aligns";
    EXPECT_EQ(d.processes.size(), 1);
    EXPECT_NE(d.diagnosisA, d.diagnosisB);
    EXPECT_TRUE(d.config.join(QLatin1Char('\n')).contains(QLatin1String("no-export-tables"))) << d.config.join(QLatin1Char('\n')).toStdString();
    // The resolver's hundreds of lookups are kept out of the call alignment.
    for (const CallDifference &c : d.calls)
        EXPECT_FALSE(c.call.startsWith(QLatin1String("cuGetProcAddress"))) << c.call.toStdString();
}

TEST_F(DiffTest, RunAgainstItselfAndAgainstItsRepetitionIsEquivalent)
{
    const QString first = record(QStringLiteral("one"), QStringLiteral("healthy"));
    const RunDiff self = diff(first, first);
    EXPECT_TRUE(self.equivalent()) << formatRunDiffText(self).toStdString();
    EXPECT_FALSE(self.first.has_value());
    const RunDiff again = diff(first, record(QStringLiteral("two"), QStringLiteral("healthy")));
    EXPECT_TRUE(again.equivalent()) << formatRunDiffText(again).toStdString();
}

TEST_F(DiffTest, EnvOnlyDifferenceShowsAsEnvironmentAndConfigWithTheSameCalls)
{
    const RunDiff d = diff(record(QStringLiteral("plain"), QStringLiteral("healthy")),
                           record(QStringLiteral("env"), QStringLiteral("healthy"),
                                  {QStringLiteral("--env"), QStringLiteral("MY_SETTING=on")}));
    EXPECT_FALSE(d.equivalent());
    EXPECT_TRUE(d.calls.isEmpty()) << formatRunDiffText(d).toStdString();
    EXPECT_EQ(d.environment, QStringList{QStringLiteral("initscope-probe: MY_SETTING: (unset) → on")});
    ASSERT_EQ(d.config.size(), 1);
    EXPECT_TRUE(d.config.first().startsWith(QLatin1String("environment: "))) << d.config.first().toStdString();
    EXPECT_EQ(d.diagnosisA, d.diagnosisB);
}

TEST(DiffNormalising, PointersAreNotPartOfACallAndVolatileTextIsMasked)
{
    const QJsonObject payload = QJsonDocument::fromJson(
        R"({"args":{"attrib":"CU_DEVICE_ATTRIBUTE_INTEGRATED","dev":0,"pi":"0x7ffd1234"}})").object();
    EXPECT_EQ(normalisedCall(payload, QStringLiteral("cuDeviceGetAttribute")),
              QStringLiteral("cuDeviceGetAttribute(attrib=CU_DEVICE_ATTRIBUTE_INTEGRATED, dev=0)"));
    EXPECT_EQ(normalisedLine(QStringLiteral("runner started pid=4242 port=39111 at 0x7f00ab after 12.5 ms")),
              QStringLiteral("runner started pid # port # at 0x… after <time>"));
}

TEST_F(DiffTest, CliExitsZeroWhenEquivalentOneWhenDifferentTwoOnErrorAndPrintsJson)
{
    const QString a = record(QStringLiteral("a"), QStringLiteral("healthy"));
    const QString b = record(QStringLiteral("b"), QStringLiteral("no-export-tables"));
    EXPECT_EQ(runInitscope({QStringLiteral("diff"), a, a}).exitCode, 0);
    const CliRun differ = runInitscope({QStringLiteral("diff"), QStringLiteral("--json"), b, a});
    EXPECT_EQ(differ.exitCode, 1);
    const QJsonObject doc = QJsonDocument::fromJson(differ.out).object();
    EXPECT_EQ(doc.value(QLatin1String("format")).toString(), QStringLiteral("initscope-diff"));
    EXPECT_FALSE(doc.value(QLatin1String("equivalent")).toBool());
    EXPECT_EQ(doc.value(QLatin1String("firstDivergence")).toObject().value(QLatin1String("call")).toString(),
              QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    const CliRun text = runInitscope({QStringLiteral("diff"), b, a});
    EXPECT_TRUE(text.out.contains("First divergence  cuGetExportTable(CUDART_INTERFACE) → CUDA_ERROR_NOT_SUPPORTED in A, CUDA_SUCCESS in B"))
        << text.out.toStdString();
    const CliRun missing = runInitscope({QStringLiteral("diff"), a, dir.filePath(QStringLiteral("absent.initscope"))});
    EXPECT_EQ(missing.exitCode, 2);
    EXPECT_EQ(missing.err.count('\n'), 1) << missing.err.toStdString();
    EXPECT_EQ(runInitscope({QStringLiteral("diff"), a}).exitCode, 2);
    EXPECT_EQ(runInitscope({QStringLiteral("diff"), QStringLiteral("--run"), QStringLiteral("7"), a, a}).exitCode, 2);
}

TEST_F(DiffTest, RetryListsVariationsAddsTheRunToTheSameBundleAndShowsWhereItDiffersFromTheOriginal)
{
    const QString original = record(QStringLiteral("incident"), QStringLiteral("no-export-tables"));
    const CliRun list = runInitscope({QStringLiteral("retry"), original});
    ASSERT_EQ(list.exitCode, 0) << list.err.toStdString();
    for (const char *id : {"without-shims", "only-shim-1", "fakegpu-healthy", "bind-now", "inject-ld-preload", "visible-devices-0", "as-recorded"})
        EXPECT_TRUE(list.out.contains(id)) << id << "\n" << list.out.toStdString();
    EXPECT_FALSE(list.out.contains("fakegpu-no-export-tables")) << "not the mode the run already had";
    const CliRun run = runInitscope({QStringLiteral("retry"), original, QStringLiteral("fakegpu-healthy")}, 120000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_TRUE(run.out.contains("Added run 2 ")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("First divergence  cuGetExportTable(CUDART_INTERFACE) → CUDA_ERROR_NOT_SUPPORTED in A, CUDA_SUCCESS in B"))
        << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("INITSCOPE_FAKEGPU_MODE")) << "the config difference is named\n" << run.out.toStdString();
    auto reader = openBundle(original);
    ASSERT_TRUE(reader);
    const QList<initscope::Run> runs = reader->runs();
    ASSERT_EQ(runs.size(), 2) << "the retry is stored in the original's bundle";
    EXPECT_TRUE(runs[0].configJson.contains("\"INITSCOPE_FAKEGPU_MODE\":\"no-export-tables\""));
    EXPECT_TRUE(runs[1].configJson.contains("\"INITSCOPE_FAKEGPU_MODE\":\"healthy\""));
    EXPECT_TRUE(runs[1].name.endsWith(QLatin1String("retry fakegpu-healthy"))) << runs[1].name.toStdString();
    EXPECT_GT(reader->eventCount(runs[1].id), 10);
    EXPECT_FALSE(diffRuns({reader.get(), runs[0].id, QStringLiteral("A")}, {reader.get(), runs[1].id, QStringLiteral("B")}).equivalent());
    EXPECT_EQ(runInitscope({QStringLiteral("retry"), original, QStringLiteral("no-such-variation")}).exitCode, 64);
    EXPECT_EQ(runInitscope({QStringLiteral("retry"), QStringLiteral("--env"), QStringLiteral("=x"), original, QStringLiteral("bind-now")}).exitCode, 64);
    EXPECT_EQ(openBundle(original)->runs().size(), 2) << "a refused retry adds nothing";
}

TEST_F(DiffTest, RetryWithAnOutputFileWritesASeparateBundleAndLeavesTheOriginalAsItWas)
{
    const QString original = record(QStringLiteral("incident"), QStringLiteral("no-export-tables"));
    QFile file(original);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    const QString retried = dir.filePath(QStringLiteral("retry.initscope"));
    const CliRun run = runInitscope({QStringLiteral("retry"), QStringLiteral("-o"), retried, original, QStringLiteral("fakegpu-healthy")}, 120000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_TRUE(run.out.contains("Saved the retry as run 1 ")) << run.out.toStdString();
    auto reader = openBundle(retried);
    ASSERT_TRUE(reader);
    EXPECT_TRUE(reader->runs().first().configJson.contains("\"INITSCOPE_FAKEGPU_MODE\":\"healthy\""));
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_EQ(file.readAll(), before);
}

// Edit Environment… in the GUI is `retry BUNDLE as-recorded --env/--unset`.
TEST_F(DiffTest, RetryWithAnEditedEnvironmentDiffersFromTheOriginalOnlyInThatVariable)
{
    const QString original = record(QStringLiteral("plain"), QStringLiteral("healthy"));
    const CliRun run = runInitscope({QStringLiteral("retry"), QStringLiteral("--env"), QStringLiteral("MY_SETTING=on"), original,
                                     QStringLiteral("as-recorded")},
                                    120000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(original);
    ASSERT_TRUE(reader);
    const QList<initscope::Run> runs = reader->runs();
    ASSERT_EQ(runs.size(), 2);
    EXPECT_TRUE(runs[1].name.endsWith(QLatin1String("+ edited environment"))) << runs[1].name.toStdString();
    const RunDiff d = diffRuns({reader.get(), runs[0].id, QStringLiteral("A")}, {reader.get(), runs[1].id, QStringLiteral("B")});
    EXPECT_TRUE(d.calls.isEmpty()) << formatRunDiffText(d).toStdString();
    EXPECT_EQ(d.environment, QStringList{QStringLiteral("initscope-probe: MY_SETTING: (unset) → on")});
    // The retry's own time limit is not part of what was run.
    ASSERT_EQ(d.config.size(), 1) << d.config.join(QLatin1Char('\n')).toStdString();
    EXPECT_TRUE(d.config.first().startsWith(QLatin1String("environment: "))) << d.config.first().toStdString();
}

// A bundle from another machine: nothing runs before the command is shown and someone says yes;
// with no terminal to ask on (and no --yes) the answer is no.
TEST_F(DiffTest, RetryOfARunFromAnotherMachineShowsTheCommandAndRunsNothing)
{
    const QString original = record(QStringLiteral("foreign"), QStringLiteral("healthy"));
    ASSERT_EQ(QProcess::execute(QStringLiteral("sqlite3"), {original, QStringLiteral("UPDATE runs SET hostname = 'gpu-box-7'")}), 0);
    const QString target = dir.filePath(QStringLiteral("never.initscope"));
    const CliRun run = runInitscope({QStringLiteral("retry"), QStringLiteral("-o"), target, original, QStringLiteral("bind-now")});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_TRUE(run.out.contains("was recorded on gpu-box-7, not on this machine")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("command      ")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("  set        LD_BIND_NOW=1")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("Changed from the recorded run: set LD_BIND_NOW=1")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("Not asking: standard input is not a terminal.")) << run.out.toStdString();
    EXPECT_TRUE(run.out.contains("Nothing was run. Add --yes to run it here.")) << run.out.toStdString();
    EXPECT_FALSE(QFileInfo::exists(target));
    const CliRun inPlace = runInitscope({QStringLiteral("retry"), original, QStringLiteral("bind-now")});
    EXPECT_EQ(inPlace.exitCode, 1);
    auto reader = openBundle(original);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->runs().size(), 1) << "nothing was added";
}

// The demo (the fake GPU refusing the runtime's private tables) against the probe's recording
// on the real driver 580 (resources/reference): the divergence is the request the real driver
// answered and the shim refused, on a machine without a GPU.
TEST_F(DiffTest, DemoAgainstTheRealDriversReferenceDivergesAtTheRefusedExportTable)
{
    const QString demo = dir.filePath(QStringLiteral("demo.initscope"));
    runInitscope({QStringLiteral("demo"), QStringLiteral("--no-gui"), QStringLiteral("-o"), demo}, 90000);
    ASSERT_TRUE(QFileInfo::exists(demo));
    const CliRun run = runInitscope({QStringLiteral("diff"), QStringLiteral("--reference"), QStringLiteral("--json"), demo});
    EXPECT_EQ(run.exitCode, 1) << run.err.toStdString();
    const QJsonObject doc = QJsonDocument::fromJson(run.out).object();
    EXPECT_TRUE(doc.value(QLatin1String("b")).toString().contains(QLatin1String("probe-h100-580.159.04.initscope")));
    const QJsonObject first = doc.value(QLatin1String("firstDivergence")).toObject();
    EXPECT_EQ(first.value(QLatin1String("call")).toString(), QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_EQ(first.value(QLatin1String("resultA")).toString(), QStringLiteral("CUDA_ERROR_NOT_SUPPORTED"));
    EXPECT_EQ(first.value(QLatin1String("resultB")).toString(), QStringLiteral("CUDA_SUCCESS"));
    // A program no reference was recorded of: one clear error.
    const QString other = dir.filePath(QStringLiteral("true.initscope"));
    runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), other, QStringLiteral("--"), QStringLiteral("/bin/true")});
    const CliRun none = runInitscope({QStringLiteral("diff"), QStringLiteral("--reference"), other});
    EXPECT_EQ(none.exitCode, 2);
    EXPECT_TRUE(none.err.contains("no reference recording of true")) << none.err.toStdString();
}

// A run started through a wrapper (`env VAR=… initscope-probe`, as scripts and the GPU machine's
// reference run do) is matched with the reference of the program the wrapper became.
TEST_F(DiffTest, ReferenceIsFoundForAProgramStartedThroughEnv)
{
    const QString bundle = dir.filePath(QStringLiteral("env.initscope"));
    const QString fake = QStringLiteral(FAKEGPU_DIR "/default");
    runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle, QStringLiteral("--"),
                  QStringLiteral("/usr/bin/env"), QStringLiteral("LD_LIBRARY_PATH=") + fake,
                  QStringLiteral("INITSCOPE_FAKEGPU_MODE=no-export-tables"), binary(QStringLiteral("initscope-probe"))},
                 90000);
    ASSERT_TRUE(QFileInfo::exists(bundle));
    const CliRun run = runInitscope({QStringLiteral("diff"), QStringLiteral("--reference"), QStringLiteral("--json"), bundle});
    EXPECT_EQ(run.exitCode, 1) << run.err.toStdString();
    const QJsonObject doc = QJsonDocument::fromJson(run.out).object();
    EXPECT_TRUE(doc.value(QLatin1String("b")).toString().contains(QLatin1String("probe-h100-580.159.04.initscope")))
        << run.out.toStdString();
    EXPECT_EQ(doc.value(QLatin1String("firstDivergence")).toObject().value(QLatin1String("call")).toString(),
              QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
}
