// The symbol-export checker on fixtures built by the tests, the fake GPU, the real CUDA runtime
// and the real driver's manifest; and `initscope symbols` on the command line.
#include "recordtestutil.h"

#include "elfimage.h"
#include "symbolcheck.h"
#include "symbolmanifest.h"
#include "ingestelf.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

const QString kDir = QStringLiteral(SYMFIX_DIR);
const QString kShim = kDir + QStringLiteral("/libsymfix-shim.so");
const QString kConsumer = kDir + QStringLiteral("/libsymfix-consumer.so");
const QString kConsumerOk = kDir + QStringLiteral("/libsymfix-consumer-ok.so");
const QString kCleanShim = kDir + QStringLiteral("/clean/libsymfix-shim.so.1");
const QString kCudart = QStringLiteral(CUDA_RUNTIME_DIR "/libcudart.so.13");
const QString kDriverManifest = QStringLiteral(MANIFEST_DIR "/libcuda-580.159.04.json");

ElfImage image(const QString &path)
{
    QString error;
    auto img = readElfImage(path, &error);
    EXPECT_TRUE(img) << error.toStdString();
    return img.value_or(ElfImage{});
}

SymbolCheckResult check(const QStringList &shims, const QStringList &consumers,
                        const std::optional<SymbolManifest> &reference = std::nullopt)
{
    SymbolCheckInput in;
    for (const QString &s : shims)
        in.shims.append(image(s));
    for (const QString &c : consumers)
        in.consumers.append(image(c));
    in.reference = reference;
    return checkSymbols(in);
}

const SymbolFinding *finding(const SymbolCheckResult &r, const char *id)
{
    for (const SymbolFinding &f : r.findings)
        if (f.id == QLatin1String(id))
            return &f;
    return nullptr;
}

const SymbolRow *row(const SymbolCheckResult &r, const QString &consumer, const char *symbol)
{
    for (const SymbolRow &x : r.rows)
        if (x.consumer == consumer && x.symbol == QLatin1String(symbol))
            return &x;
    return nullptr;
}

SymbolManifest driverManifest()
{
    QString error;
    auto m = loadManifest(kDriverManifest, &error);
    EXPECT_TRUE(m) << error.toStdString();
    return m.value_or(SymbolManifest{});
}

} // namespace

TEST(SymbolCheck, SatisfiedConsumerHasNoErrorAndEveryImportIsProvidedByTheShim)
{
    const SymbolCheckResult r = check({kCleanShim}, {kConsumerOk});
    EXPECT_FALSE(r.hasErrors()) << formatSymbolCheckText(r).toStdString();
    for (const SymbolFinding &f : r.findings)
        EXPECT_NE(f.severity, CheckSeverity::Warning) << f.title.toStdString();
    const SymbolRow *init = row(r, QStringLiteral("libsymfix-consumer-ok.so"), "cuInit");
    ASSERT_TRUE(init);
    EXPECT_EQ(init->status, QStringLiteral("ok"));
    EXPECT_EQ(init->providedBy, QStringLiteral("libsymfix-shim.so.1"));
    EXPECT_EQ(init->version, QStringLiteral("SHIMTEST_2.0"));
}

TEST(SymbolCheck, ImportNoShimDefinesIsAnErrorThatSaysWhenLoadingFails)
{
    const SymbolCheckResult r = check({kShim}, {kConsumer});
    const SymbolFinding *f = finding(r, "missing-import");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->severity, CheckSeverity::Error);
    EXPECT_EQ(f->symbols, QStringList{QStringLiteral("cuMemCreate")});
    EXPECT_TRUE(f->title.startsWith(QLatin1String("libsymfix-consumer.so imports 1 symbol(s)"))) << f->title.toStdString();
    EXPECT_TRUE(f->detail.contains(QLatin1String("BIND_NOW"))) << "the consumer is linked -z now: " << f->detail.toStdString();
    EXPECT_EQ(row(r, QStringLiteral("libsymfix-consumer.so"), "cuMemCreate")->status, QStringLiteral("missing"));
}

TEST(SymbolCheck, HiddenDefinitionIsNamedAsDefinedButNotExported)
{
    const SymbolCheckResult r = check({kShim}, {kConsumer});
    const SymbolFinding *f = finding(r, "hidden-definition");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->symbols, QStringList{QStringLiteral("cuGetProcAddress_v2")});
    EXPECT_TRUE(f->fix.contains(QLatin1String("visibility"))) << f->fix.toStdString();
    EXPECT_EQ(row(r, QStringLiteral("libsymfix-consumer.so"), "cuGetProcAddress_v2")->status, QStringLiteral("hidden"));
}

TEST(SymbolCheck, ObjectExportedWhereAFunctionIsImportedIsTheWrongType)
{
    const SymbolCheckResult r = check({kShim}, {kConsumer});
    const SymbolFinding *f = nullptr;
    for (const SymbolFinding &x : r.findings)
        if (x.id == QLatin1String("wrong-type") && x.library == kConsumer)
            f = &x;
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    ASSERT_EQ(f->symbols.size(), 1);
    EXPECT_EQ(f->symbols.first(), QStringLiteral("cuDeviceGet (object, needed as func)"));
}

TEST(SymbolCheck, ApiFunctionExportedAsDataIsFlaggedWithoutAnyConsumer)
{
    const SymbolCheckResult r = check({kShim}, {});
    const SymbolFinding *f = finding(r, "wrong-type");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->library, kShim);
    EXPECT_EQ(f->symbols, QStringList{QStringLiteral("cuDeviceGet (object)")});
}

TEST(SymbolCheck, RequiredVersionNodeMissingFromTheShimIsAnError)
{
    const SymbolCheckResult r = check({kDir + QStringLiteral("/v1only/libsymfix-shim.so.1")}, {kConsumerOk});
    const SymbolFinding *f = finding(r, "version-missing");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->severity, CheckSeverity::Error);
    EXPECT_EQ(f->symbols, QStringList{QStringLiteral("SHIMTEST_2.0")});
    EXPECT_TRUE(f->detail.contains(QLatin1String("version `SHIMTEST_2.0' not found"))) << f->detail.toStdString();
    EXPECT_EQ(row(r, QStringLiteral("libsymfix-consumer-ok.so"), "cuInit")->status, QStringLiteral("version missing"));
}

TEST(SymbolCheck, ShimWithoutVersionsIsOnlyAWarningBecauseTheLoaderBindsAnyway)
{
    const SymbolCheckResult r = check({kDir + QStringLiteral("/noversions/libsymfix-shim.so.1")}, {kConsumerOk});
    EXPECT_FALSE(r.hasErrors()) << formatSymbolCheckText(r).toStdString();
    const SymbolFinding *f = finding(r, "no-version-info");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->severity, CheckSeverity::Warning);
    EXPECT_TRUE(f->detail.contains(QLatin1String("no version information available"))) << f->detail.toStdString();
}

TEST(SymbolCheck, SonameDifferentFromTheNameItIsLoadedUnderIsFlagged)
{
    const SymbolCheckResult r = check({kDir + QStringLiteral("/wrongname/libsymfix-shim.so.1")}, {kConsumerOk});
    const SymbolFinding *f = finding(r, "soname-mismatch");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->title, QStringLiteral("libsymfix-shim.so.1 has SONAME libother.so.2 but is loaded as libsymfix-shim.so.1"));
    EXPECT_EQ(f->fix, QStringLiteral("Link the shim with -Wl,-soname,libsymfix-shim.so.1."));
    EXPECT_FALSE(finding(check({kDir + QStringLiteral("/v1only/libsymfix-shim.so.1")}, {}), "soname-mismatch"));
}

TEST(SymbolCheck, ThirtyTwoBitShimForASixtyFourBitConsumerIsTheWrongClass)
{
    const SymbolCheckResult r = check({kDir + QStringLiteral("/libcuda32.so")}, {kConsumerOk});
    const SymbolFinding *f = finding(r, "wrong-class");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    EXPECT_EQ(f->severity, CheckSeverity::Error);
    EXPECT_TRUE(f->title.contains(QLatin1String("32-bit i386"))) << f->title.toStdString();
    EXPECT_TRUE(f->detail.contains(QLatin1String("wrong ELF class: ELFCLASS32"))) << f->detail.toStdString();
}

TEST(SymbolCheck, FirstShimInLoadOrderProvidesTheSymbol)
{
    const SymbolCheckResult r = check({kDir + QStringLiteral("/noversions/libsymfix-shim.so.1"), kShim}, {kConsumerOk});
    EXPECT_EQ(row(r, QStringLiteral("libsymfix-consumer-ok.so"), "cuDriverGetVersion")->providedBy,
              QStringLiteral("libsymfix-shim.so.1"));
}

// The fake GPU against the real runtime and the real driver's manifest made on the H100.
TEST(SymbolCheck, FakeDriverAgainstTheRealRuntimeAndDriverManifestCountsWhatIsMissing)
{
    const SymbolManifest reference = driverManifest();
    EXPECT_EQ(reference.functions(QStringLiteral("cu")).size(), 682);
    const SymbolCheckResult r = check({QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1")}, {kCudart}, reference);
    const SymbolFinding *coverage = finding(r, "reference-coverage");
    ASSERT_TRUE(coverage) << formatSymbolCheckText(r).toStdString();
    EXPECT_TRUE(coverage->detail.contains(QLatin1String("exports 682 cu* functions"))) << coverage->detail.toStdString();
    EXPECT_TRUE(coverage->detail.contains(QLatin1String("that libcudart.so.13 holds by name"))) << coverage->detail.toStdString();
    const SymbolFinding *names = finding(r, "runtime-name-missing");
    ASSERT_TRUE(names);
    EXPECT_EQ(names->severity, CheckSeverity::Warning);
    EXPECT_TRUE(names->symbols.contains(QStringLiteral("cuArrayCreate_v2")));
    EXPECT_FALSE(names->symbols.contains(QStringLiteral("cuInit"))) << "the fake exports cuInit";
    EXPECT_FALSE(r.hasErrors()) << "the runtime links to no driver function: " << formatSymbolCheckText(r).toStdString();
}

TEST(SymbolCheck, VariantsTheReferenceHasAndTheShimLacksAreSplitIntoNewerAndOlder)
{
    const SymbolCheckResult r = check({QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1")}, {}, driverManifest());
    const SymbolFinding *f = finding(r, "variant-missing");
    ASSERT_TRUE(f) << formatSymbolCheckText(r).toStdString();
    for (const QString &s : f->symbols)
        EXPECT_TRUE(driverManifest().hasExport(s)) << s.toStdString();
    EXPECT_TRUE(f->detail.contains(QLatin1String("Older:")) || f->detail.contains(QLatin1String("Newer"))) << f->detail.toStdString();
}

TEST(SymbolCheck, NamesARecordedRunAskedForAndDidNotGetAreListed)
{
    auto reader = openBundle(QStringLiteral(SAMPLES_DIR "/h100-probe.initscope"));
    ASSERT_TRUE(reader);
    const QList<RuntimeRequest> requests = runtimeRequests(*reader);
    ASSERT_GT(requests.size(), 100) << "the runtime resolves hundreds of driver functions";
    int notProvided = 0, viaDlsym = 0;
    QSet<QString> unique;
    for (const RuntimeRequest &q : requests) {
        EXPECT_FALSE(q.symbol.isEmpty());
        EXPECT_TRUE(q.via.startsWith(QLatin1String("cuGetProcAddress")) || q.via == QLatin1String("dlsym"))
            << q.via.toStdString();
        if (q.via == QLatin1String("dlsym"))
            ++viaDlsym;
        if (!q.provided && !unique.contains(q.symbol))
            ++notProvided;
        unique.insert(q.symbol);
    }
    EXPECT_GT(viaDlsym, 5) << "the probe's driver path binds its functions with dlsym";
    SymbolCheckInput in;
    in.shims.append(image(QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1")));
    in.requests = requests;
    in.bundlePath = QStringLiteral("h100-probe.initscope");
    const SymbolCheckResult r = checkSymbols(in);
    const SymbolFinding *f = finding(r, "runtime-request-missing");
    if (notProvided == 0) {
        EXPECT_FALSE(f);
    } else {
        ASSERT_TRUE(f);
        EXPECT_EQ(f->symbols.size(), notProvided);
    }
    int runRows = 0;
    for (const SymbolRow &x : r.rows)
        runRows += x.consumer == QLatin1String("run") ? 1 : 0;
    EXPECT_EQ(runRows, unique.size());
}

TEST(SymbolsCli, CheckExitsOneOnErrorsZeroWithoutAndJsonListsFindingsAndRows)
{
    const CliRun bad = runInitscope({QStringLiteral("symbols"), QStringLiteral("--consumer"), kConsumer, kShim});
    EXPECT_EQ(bad.exitCode, 1) << bad.err.toStdString();
    EXPECT_TRUE(bad.out.contains("[error] libsymfix-consumer.so imports 1 symbol(s) no shim defines: cuMemCreate"))
        << bad.out.toStdString();
    const CliRun good = runInitscope({QStringLiteral("symbols"), QStringLiteral("--consumer"), kConsumerOk, kCleanShim});
    EXPECT_EQ(good.exitCode, 0) << good.out.toStdString();
    const CliRun json = runInitscope({QStringLiteral("symbols"), QStringLiteral("--json"), QStringLiteral("--consumer"),
                                      kConsumer, QStringLiteral("--reference"), kDriverManifest, kShim});
    EXPECT_EQ(json.exitCode, 1);
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    EXPECT_EQ(doc.value(QLatin1String("format")).toString(), QStringLiteral("initscope-symbols"));
    EXPECT_TRUE(doc.value(QLatin1String("errors")).toBool());
    EXPECT_GE(doc.value(QLatin1String("findings")).toArray().size(), 3);
    EXPECT_FALSE(doc.value(QLatin1String("symbols")).toArray().isEmpty());
}

TEST(SymbolsCli, BadInputGivesOneClearErrorAndItsExitCode)
{
    QTemporaryDir dir;
    const CliRun none = runInitscope({QStringLiteral("symbols")});
    EXPECT_EQ(none.exitCode, 64);
    const CliRun missing = runInitscope({QStringLiteral("symbols"), dir.filePath(QStringLiteral("absent.so"))});
    EXPECT_EQ(missing.exitCode, 66);
    EXPECT_TRUE(missing.err.contains("absent.so: no such file")) << missing.err.toStdString();
    const CliRun notElf = runInitscope({QStringLiteral("symbols"), QStringLiteral(SAMPLES_DIR "/README.md")});
    EXPECT_EQ(notElf.exitCode, 65);
    EXPECT_TRUE(notElf.err.contains("README.md: not an ELF file")) << notElf.err.toStdString();
    EXPECT_EQ(notElf.err.count('\n'), 1) << notElf.err.toStdString();
    const CliRun notManifest = runInitscope({QStringLiteral("symbols"), QStringLiteral("--reference"),
                                             QStringLiteral(SAMPLES_DIR "/README.md"), kShim});
    EXPECT_EQ(notManifest.exitCode, 65);
    EXPECT_TRUE(notManifest.err.contains("not JSON")) << notManifest.err.toStdString();
}

TEST(SymbolsCli, SavedManifestRoundTripsAndDescribesTheLibrary)
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("m.json"));
    const CliRun save = runInitscope({QStringLiteral("symbols"), QStringLiteral("--save-manifest"), out,
                                      QStringLiteral("--note"), QStringLiteral("test"), kShim});
    ASSERT_EQ(save.exitCode, 0) << save.err.toStdString();
    QString error;
    const auto m = loadManifest(out, &error);
    ASSERT_TRUE(m) << error.toStdString();
    EXPECT_EQ(m->soname, QStringLiteral("libsymfix-shim.so.1"));
    EXPECT_EQ(m->note, QStringLiteral("test"));
    EXPECT_TRUE(m->hasExport(QStringLiteral("cuInit")));
    EXPECT_FALSE(m->hasExport(QStringLiteral("cuGetProcAddress_v2"))) << "hidden definitions are not exports";
    EXPECT_EQ(m->functions(QStringLiteral("cu")), (QStringList{QStringLiteral("cuDriverGetVersion"), QStringLiteral("cuInit")}));
    const CliRun describe = runInitscope({QStringLiteral("symbols"), QStringLiteral("--describe"), kShim});
    EXPECT_EQ(describe.exitCode, 0);
    EXPECT_TRUE(describe.out.contains("  cuInit@@SHIMTEST_2.0  func global")) << describe.out.toStdString();
    EXPECT_TRUE(describe.out.contains("  cuInit@SHIMTEST_1.0  func global")) << describe.out.toStdString();
}

// The facts kept at recording let the check run where the shim no longer exists.
TEST(SymbolsCli, BundleKeepsTheElfFactsOfShimsAndConsumersForACheckWithoutTheFiles)
{
    QTemporaryDir dir;
    const QString shimDir = dir.filePath(QStringLiteral("shim"));
    ASSERT_TRUE(QDir().mkpath(shimDir));
    const QString shim = shimDir + QStringLiteral("/libcuda.so.1");
    ASSERT_TRUE(QFile::copy(QStringLiteral(FAKEGPU_DIR "/no-vmm/libcuda.so.1"), shim));
    const QString bundle = dir.filePath(QStringLiteral("run.initscope"));
    const CliRun rec = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--shim"), shim, QStringLiteral("--"),
                                     binary(QStringLiteral("initscope-probe")), QStringLiteral("--cudart"), kCudart});
    ASSERT_TRUE(QFileInfo::exists(bundle)) << rec.err.toStdString();
    {
        auto reader = openBundle(bundle);
        ASSERT_TRUE(reader);
        const QList<StoredElf> stored = storedElfFacts(*reader, reader->runs().first().id);
        QStringList roles;
        for (const StoredElf &e : stored)
            roles.append(e.role + QLatin1Char(' ') + QFileInfo(e.image.path).fileName());
        EXPECT_TRUE(roles.contains(QStringLiteral("shim libcuda.so.1"))) << roles.join(QLatin1Char(',')).toStdString();
        EXPECT_TRUE(roles.contains(QStringLiteral("consumer libcudart.so.13"))) << roles.join(QLatin1Char(',')).toStdString();
        EXPECT_TRUE(roles.contains(QStringLiteral("consumer initscope-probe"))) << roles.join(QLatin1Char(',')).toStdString();
        EXPECT_FALSE(roles.contains(QStringLiteral("consumer libc.so.6"))) << "libc uses no GPU library";
        ASSERT_FALSE(stored.isEmpty());
        EXPECT_EQ(stored.first().role, QStringLiteral("shim"));
        EXPECT_FALSE(stored.first().image.findDefined(QStringLiteral("cuMemCreate"))) << "the no-vmm variant";
    }
    ASSERT_TRUE(QFile::remove(shim));
    const CliRun check = runInitscope({QStringLiteral("symbols"), QStringLiteral("--json"), QStringLiteral("--bundle"), bundle,
                                       QStringLiteral("--reference"), kDriverManifest});
    EXPECT_EQ(check.exitCode, 0) << check.err.toStdString();
    const QJsonObject doc = QJsonDocument::fromJson(check.out).object();
    QStringList ids;
    for (const QJsonValue &f : doc.value(QLatin1String("findings")).toArray())
        ids.append(f.toObject().value(QLatin1String("id")).toString());
    EXPECT_TRUE(ids.contains(QStringLiteral("reference-coverage"))) << ids.join(QLatin1Char(',')).toStdString();
    EXPECT_TRUE(ids.contains(QStringLiteral("runtime-name-missing"))) << ids.join(QLatin1Char(',')).toStdString();
    bool runRow = false;
    for (const QJsonValue &r : doc.value(QLatin1String("symbols")).toArray())
        runRow = runRow || r.toObject().value(QLatin1String("consumer")).toString() == QLatin1String("run");
    EXPECT_TRUE(runRow) << "the runtime's lookups during the run are rows too";
}

TEST(SymbolsCli, BuiltinReferenceIsTheDriverManifestForALibcudaShimAndTheNvmlOneForNvml)
{
    const CliRun cuda = runInitscope({QStringLiteral("symbols"), QStringLiteral("--reference"), QStringLiteral("builtin"),
                                      QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1")});
    EXPECT_EQ(cuda.exitCode, 0) << cuda.err.toStdString();
    EXPECT_TRUE(cuda.out.contains("exports 682 cu* functions")) << cuda.out.toStdString();
    const CliRun nvml = runInitscope({QStringLiteral("symbols"), QStringLiteral("--reference"), QStringLiteral("builtin"),
                                      QStringLiteral(FAKEGPU_DIR "/default/libnvidia-ml.so.1")});
    EXPECT_EQ(nvml.exitCode, 0) << nvml.err.toStdString();
    EXPECT_TRUE(nvml.out.contains("exports 404 nvml* functions")) << nvml.out.toStdString();
}
