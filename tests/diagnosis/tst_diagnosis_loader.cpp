// The loader's side of a failed bring-up, from real recordings of the probe: the wrong file found
// first on the search path (the toolkit's stub, a copy ahead of the --shim, a copy other
// processes did not use, a driver library and NVML of two releases), and a library not found
// together with the file the user probably meant (a versioned file without its link, the file
// one directory down). Ingest's lib.alternatives events and the loader cache reader are checked
// on the way.
#include "recordtestutil.h"

#include "bundle.h"
#include "diagnosis.h"
#include "libalternatives.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cstring>

using namespace initscope;

namespace {

const QString kStub = QStringLiteral("/usr/local/cuda/lib64/stubs/libcuda.so");

QString fake(const QString &variant, const QString &file)
{
    return QStringLiteral(FAKEGPU_DIR "/%1/%2").arg(variant, file);
}

QString probe()
{
    return binary(QStringLiteral("initscope-probe"));
}

class LoaderDiagnosisTest : public ::testing::Test
{
protected:
    QTemporaryDir dir;
    std::unique_ptr<BundleReader> reader;

    // A directory inside the test's temporary directory.
    QString makeDir(const QString &name)
    {
        const QString path = dir.filePath(name);
        EXPECT_TRUE(QDir().mkpath(path));
        return path;
    }

    // Records `initscope record <options> -- <command>` and diagnoses the run.
    Diagnosis record(const QString &name, const QStringList &options, const QStringList &command)
    {
        const QString bundle = dir.filePath(name + QStringLiteral(".initscope"));
        QStringList args{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle};
        args << options << QStringLiteral("--") << command;
        runInitscope(args, 90000);
        reader = openBundle(bundle);
        if (!reader || reader->runs().isEmpty())
            return {};
        return diagnose(*reader, reader->runs().first().id);
    }

    // The lib.alternatives payloads of the run for a requested name.
    QList<QJsonObject> alternatives(const QString &name) const
    {
        QList<QJsonObject> out;
        for (const Event &e : reader->eventsOfKind(reader->runs().first().id, -1, QStringLiteral("lib.alternatives")))
            if (e.name == name)
                out.append(QJsonDocument::fromJson(e.payload).object());
        return out;
    }
};

const Finding *findingOf(const Diagnosis &d, const QString &id)
{
    for (const Finding &f : d.findings)
        if (f.id == id)
            return &f;
    return nullptr;
}

int rootCauses(const Diagnosis &d)
{
    int n = 0;
    for (const Finding &f : d.findings)
        n += f.severity == Severity::RootCause ? 1 : 0;
    return n;
}

// (a) LD_LIBRARY_PATH = a directory whose libcuda.so.1 leads to the toolkit's stub, then the fake
// GPU's directory: the stub wins, cuInit answers 34, and that is one root cause naming both files.
TEST_F(LoaderDiagnosisTest, StubFirstOnLdLibraryPathIsTheRootCauseAndNamesTheDriverMeant)
{
    ASSERT_TRUE(QFileInfo::exists(kStub)) << "the CUDA toolkit's stub libcuda is needed: " << kStub.toStdString();
    const QString stubs = makeDir(QStringLiteral("stub-first"));
    ASSERT_TRUE(QFile::link(kStub, stubs + QStringLiteral("/libcuda.so.1")));
    const QString meant = fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1"));
    const Diagnosis d = record(QStringLiteral("stub"),
                               {QStringLiteral("--env"),
                                QStringLiteral("LD_LIBRARY_PATH=%1:%2").arg(stubs, QFileInfo(meant).path())},
                               {probe(), QStringLiteral("--driver-only")});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("wrong-file-first"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    EXPECT_EQ(rootCauses(d), 1);
    EXPECT_TRUE(f.title.contains(QLatin1String("stub"))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(stubs + QStringLiteral("/libcuda.so.1"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("/stubs/libcuda.so"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("LD_LIBRARY_PATH entry 1"))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QStringLiteral("The file meant: %1 at LD_LIBRARY_PATH entry 2").arg(meant))) << f.step.toStdString();
    EXPECT_TRUE(f.fix.contains(QStringLiteral("Remove %1 from LD_LIBRARY_PATH").arg(stubs))) << f.fix.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("initscope record --shim"))) << f.fix.toStdString();
    // The failed cuInit is the consequence, folded in, not a finding of its own.
    EXPECT_TRUE(f.consequence.contains(QLatin1String("cuInit returned CUDA_ERROR_STUB_LIBRARY (34"))) << f.consequence.toStdString();
    EXPECT_TRUE(f.errorLine.startsWith(QLatin1String("probe_cuda_init: failed to initialize CUDA"))) << f.errorLine.toStdString();
    EXPECT_EQ(findingOf(d, QStringLiteral("init-failed")), nullptr);
    bool cuInitEvidence = false;
    for (const Evidence &e : f.evidence)
        cuInitEvidence = cuInitEvidence || (e.kind == Evidence::Kind::Event && e.text.startsWith(QLatin1String("cuInit")));
    EXPECT_TRUE(cuInitEvidence);

    // What ingest recorded: the stub as loaded (its real path), the fake GPU as the alternative.
    const QList<QJsonObject> payloads = alternatives(QStringLiteral("libcuda.so.1"));
    ASSERT_EQ(payloads.size(), 1);
    const QJsonObject loaded = payloads.first().value(QLatin1String("loaded")).toObject();
    EXPECT_TRUE(loaded.value(QLatin1String("realpath")).toString().endsWith(QLatin1String("/stubs/libcuda.so")));
    EXPECT_EQ(loaded.value(QLatin1String("index")).toInt(), 1);
    const QJsonArray others = payloads.first().value(QLatin1String("alternatives")).toArray();
    ASSERT_FALSE(others.isEmpty());
    const QJsonObject alt = others.first().toObject();
    EXPECT_EQ(alt.value(QLatin1String("path")).toString(), meant);
    EXPECT_EQ(alt.value(QLatin1String("origin")).toString(), QStringLiteral("ld-library-path"));
    EXPECT_EQ(alt.value(QLatin1String("index")).toInt(), 2);
    EXPECT_EQ(alt.value(QLatin1String("soname")).toString(), QStringLiteral("libcuda.so.1"));
    EXPECT_EQ(alt.value(QLatin1String("sha256")).toString().size(), 64);
    EXPECT_TRUE(alt.value(QLatin1String("elfClassOk")).toBool());
}

// The same stub met by the CUDA runtime (libcudart dlopens libcuda.so.1): the runtime's own error
// is the consequence and ggml's line the error line.
TEST_F(LoaderDiagnosisTest, StubFirstSeenThroughTheRuntimeGivesGgmlsLineAsConsequence)
{
    ASSERT_TRUE(QFileInfo::exists(kStub)) << "the CUDA toolkit's stub libcuda is needed: " << kStub.toStdString();
    const QString stubs = makeDir(QStringLiteral("stub-runtime"));
    ASSERT_TRUE(QFile::link(kStub, stubs + QStringLiteral("/libcuda.so.1")));
    const QString meant = fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1"));
    const Diagnosis d = record(QStringLiteral("stub-runtime"),
                               {QStringLiteral("--env"),
                                QStringLiteral("LD_LIBRARY_PATH=%1:%2").arg(stubs, QFileInfo(meant).path())},
                               {probe(), QStringLiteral("--runtime-only")});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("wrong-file-first"));
    EXPECT_EQ(rootCauses(d), 1);
    EXPECT_TRUE(f.step.startsWith(QLatin1String("libcudart.so."))) << f.step.toStdString();
    EXPECT_TRUE(f.consequence.contains(QLatin1String("cudaGetDeviceCount returned cudaErrorStubLibrary (34"))) << f.consequence.toStdString();
    EXPECT_EQ(f.errorLine, QStringLiteral("ggml_cuda_init: failed to initialize CUDA: CUDA driver is a stub library"));
    EXPECT_EQ(findingOf(d, QStringLiteral("failed-call")), nullptr);
    EXPECT_EQ(findingOf(d, QStringLiteral("init-failed")), nullptr);
}

// (b) The shim is given with --inject ld-library-path, and the program (like Ollama for its
// runners) puts its own directory, holding another libcuda.so.1, in front before exec.
TEST_F(LoaderDiagnosisTest, CopyAheadOfTheShimOnLdLibraryPathNamesTheShimAndTheReorder)
{
    const QString own = makeDir(QStringLiteral("own-libs"));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("no-vmm"), QStringLiteral("libcuda.so.1")), own + QStringLiteral("/libcuda.so.1")));
    const QString shim = fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1"));
    const Diagnosis d = record(QStringLiteral("shim-behind"),
                               {QStringLiteral("--inject"), QStringLiteral("ld-library-path"), QStringLiteral("--shim"), shim,
                                QStringLiteral("--shim"), fake(QStringLiteral("default"), QStringLiteral("libnvidia-ml.so.1"))},
                               {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                QStringLiteral("LD_LIBRARY_PATH=%1:$LD_LIBRARY_PATH exec \"$0\" --driver-only").arg(own), probe()});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("wrong-file-first"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    EXPECT_TRUE(f.title.contains(QStringLiteral("not the shim %1").arg(shim))) << f.title.toStdString();
    EXPECT_TRUE(f.step.contains(QStringLiteral("loaded %1/libcuda.so.1 from LD_LIBRARY_PATH entry 1").arg(own))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QStringLiteral("The file meant: the shim %1").arg(shim))) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("LD_LIBRARY_PATH entry 2"))) << f.step.toStdString();
    EXPECT_TRUE(f.fix.contains(QLatin1String("Reorder LD_LIBRARY_PATH so that entry 2"))) << f.fix.toStdString();
    EXPECT_TRUE(f.fix.contains(QStringLiteral("initscope record --shim %1").arg(shim))) << f.fix.toStdString();
    // What the copy then did (it lacks the VMM calls) is explained by it, not a cause of its own.
    EXPECT_TRUE(f.consequence.contains(QLatin1String("undefined symbol"))) << f.consequence.toStdString();
    EXPECT_EQ(rootCauses(d), 1);
}

// (c) The directory on LD_LIBRARY_PATH holds libcuda.so.580.1 but no libcuda.so.1 link.
TEST_F(LoaderDiagnosisTest, VersionedFileWithoutItsLinkIsTheFileMeant)
{
    const QString lib = makeDir(QStringLiteral("no-link"));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1")), lib + QStringLiteral("/libcuda.so.580.1")));
    const Diagnosis d = record(QStringLiteral("no-link"), {QStringLiteral("--env"), QStringLiteral("LD_LIBRARY_PATH=") + lib},
                               {probe(), QStringLiteral("--driver-only")});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("library-not-found"));
    EXPECT_EQ(f.severity, Severity::RootCause);
    const QString why = QStringLiteral("%1/libcuda.so.580.1 exists but no libcuda.so.1 link").arg(lib);
    EXPECT_TRUE(f.step.contains(QStringLiteral("probably meant: ") + why)) << f.step.toStdString();
    EXPECT_TRUE(f.step.contains(QLatin1String("its SONAME is libcuda.so.1"))) << f.step.toStdString();
    EXPECT_TRUE(f.fix.contains(QStringLiteral("ln -s libcuda.so.580.1 %1/libcuda.so.1").arg(lib))) << f.fix.toStdString();
    EXPECT_TRUE(f.fix.contains(why)) << f.fix.toStdString();
    EXPECT_TRUE(f.errorLine.contains(QLatin1String("cannot open shared object file"))) << f.errorLine.toStdString();
    bool nearMissEvidence = false;
    for (const Evidence &e : f.evidence)
        nearMissEvidence = nearMissEvidence || (e.kind == Evidence::Kind::Event && e.text.startsWith(QLatin1String("near miss (other-version)")));
    EXPECT_TRUE(nearMissEvidence);
    // The trail stays whole in the bundle; the step shortens the default directories' long run.
    EXPECT_TRUE(f.step.contains(QLatin1String("all missing"))) << f.step.toStdString();
}

// (d) LD_LIBRARY_PATH names a directory whose lib/ subdirectory holds the library.
TEST_F(LoaderDiagnosisTest, LibraryOneLevelDownInLibIsTheFileMeant)
{
    const QString top = makeDir(QStringLiteral("prefix"));
    ASSERT_TRUE(QDir().mkpath(top + QStringLiteral("/lib")));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1")), top + QStringLiteral("/lib/libcuda.so.1")));
    const Diagnosis d = record(QStringLiteral("one-down"), {QStringLiteral("--env"), QStringLiteral("LD_LIBRARY_PATH=") + top},
                               {probe(), QStringLiteral("--driver-only")});
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &f = d.findings.first();
    EXPECT_EQ(f.id, QStringLiteral("library-not-found"));
    const QString why = QStringLiteral("%1/lib/libcuda.so.1 exists: LD_LIBRARY_PATH names %1, not %1/lib").arg(top);
    EXPECT_TRUE(f.step.contains(why)) << f.step.toStdString();
    EXPECT_TRUE(f.fix.contains(QStringLiteral("Put %1/lib on LD_LIBRARY_PATH").arg(top))) << f.fix.toStdString();
    const QList<QJsonObject> payloads = alternatives(QStringLiteral("libcuda.so.1"));
    ASSERT_EQ(payloads.size(), 1);
    const QJsonArray misses = payloads.first().value(QLatin1String("nearMisses")).toArray();
    ASSERT_FALSE(misses.isEmpty());
    EXPECT_EQ(misses.first().toObject().value(QLatin1String("kind")).toString(), QStringLiteral("subdirectory"));
    EXPECT_EQ(misses.first().toObject().value(QLatin1String("subdir")).toString(), QStringLiteral("lib"));
}

// The fake GPU found once on LD_LIBRARY_PATH and working: nothing about the file is wrong.
TEST_F(LoaderDiagnosisTest, HealthyDriverFoundOnceOnLdLibraryPathIsNoWrongFile)
{
    const QString lib = fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1"));
    const Diagnosis d = record(QStringLiteral("healthy"),
                               {QStringLiteral("--env"), QStringLiteral("LD_LIBRARY_PATH=") + QFileInfo(lib).path()},
                               {probe(), QStringLiteral("--driver-only")});
    ASSERT_TRUE(reader);
    EXPECT_FALSE(d.hasRootCause());
    EXPECT_EQ(findingOf(d, QStringLiteral("wrong-file-first")), nullptr);
    const QList<QJsonObject> payloads = alternatives(QStringLiteral("libcuda.so.1"));
    ASSERT_EQ(payloads.size(), 1);
    EXPECT_EQ(payloads.first().value(QLatin1String("loaded")).toObject().value(QLatin1String("origin")).toString(),
              QStringLiteral("ld-library-path"));
    EXPECT_TRUE(payloads.first().value(QLatin1String("alternatives")).toArray().isEmpty());
}

// The shim given the default way (audit) is the file loaded: nothing about the file is wrong.
TEST_F(LoaderDiagnosisTest, HealthyShimAnsweringThroughAuditIsNoWrongFile)
{
    const Diagnosis d = record(QStringLiteral("healthy-shim"),
                               {QStringLiteral("--shim"), fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1")),
                                QStringLiteral("--shim"), fake(QStringLiteral("default"), QStringLiteral("libnvidia-ml.so.1"))},
                               {probe(), QStringLiteral("--driver-only")});
    ASSERT_TRUE(reader);
    EXPECT_FALSE(d.hasRootCause());
    EXPECT_EQ(findingOf(d, QStringLiteral("wrong-file-first")), nullptr);
    const QList<QJsonObject> payloads = alternatives(QStringLiteral("libcuda.so.1"));
    ASSERT_EQ(payloads.size(), 1);
    const QJsonObject loaded = payloads.first().value(QLatin1String("loaded")).toObject();
    EXPECT_EQ(loaded.value(QLatin1String("origin")).toString(), QStringLiteral("shim"));
    EXPECT_TRUE(loaded.value(QLatin1String("shim")).toBool());
}

// libcuda of one driver release and libnvidia-ml of another, by their real file names; the
// directory after it holds the NVML of the driver's release.
TEST_F(LoaderDiagnosisTest, DriverAndNvmlOfDifferentReleasesNameTheMatchingNvml)
{
    const QString mixed = makeDir(QStringLiteral("mixed"));
    const QString matching = makeDir(QStringLiteral("matching"));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1")), mixed + QStringLiteral("/libcuda.so.580.65.06")));
    ASSERT_TRUE(QFile::link(QStringLiteral("libcuda.so.580.65.06"), mixed + QStringLiteral("/libcuda.so.1")));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("default"), QStringLiteral("libnvidia-ml.so.1")), mixed + QStringLiteral("/libnvidia-ml.so.575.57.08")));
    ASSERT_TRUE(QFile::link(QStringLiteral("libnvidia-ml.so.575.57.08"), mixed + QStringLiteral("/libnvidia-ml.so.1")));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("default"), QStringLiteral("libnvidia-ml.so.1")), matching + QStringLiteral("/libnvidia-ml.so.580.65.06")));
    ASSERT_TRUE(QFile::link(QStringLiteral("libnvidia-ml.so.580.65.06"), matching + QStringLiteral("/libnvidia-ml.so.1")));
    // The whole probe: the driver path loads libcuda.so.1, the NVML path libnvidia-ml.so.1.
    const Diagnosis both = record(QStringLiteral("releases"),
                                  {QStringLiteral("--env"), QStringLiteral("LD_LIBRARY_PATH=%1:%2").arg(mixed, matching)},
                                  {probe()});
    const Finding *f = findingOf(both, QStringLiteral("wrong-file-first"));
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->title.contains(QLatin1String("libcuda (580.65.06) and libnvidia-ml (575.57.08)"))) << f->title.toStdString();
    EXPECT_TRUE(f->step.contains(QStringLiteral("The file meant: %1/libnvidia-ml.so.1").arg(matching))) << f->step.toStdString();
    EXPECT_TRUE(f->fix.contains(QLatin1String("Reorder LD_LIBRARY_PATH so that entry 2"))) << f->fix.toStdString();
}

// Two runs of the program in one recording: the one that worked loaded the fake GPU, the one that
// failed a copy without the VMM calls from the directory its parent put first.
TEST_F(LoaderDiagnosisTest, CopyOtherProcessesDidNotUseNamesTheFileThatWorked)
{
    const QString other = makeDir(QStringLiteral("other-copy"));
    ASSERT_TRUE(QFile::copy(fake(QStringLiteral("no-vmm"), QStringLiteral("libcuda.so.1")), other + QStringLiteral("/libcuda.so.1")));
    const QString good = fake(QStringLiteral("default"), QStringLiteral("libcuda.so.1"));
    const Diagnosis d = record(QStringLiteral("two"), {QStringLiteral("--env"), QStringLiteral("LD_LIBRARY_PATH=") + QFileInfo(good).path()},
                               {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                QStringLiteral("\"$0\" --driver-only; LD_LIBRARY_PATH=%1 \"$0\" --driver-only").arg(other), probe()});
    const Finding *f = findingOf(d, QStringLiteral("wrong-file-first"));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->severity, Severity::RootCause);
    EXPECT_TRUE(f->step.contains(QStringLiteral("The file meant: %1").arg(good))) << f->step.toStdString();
    EXPECT_TRUE(f->step.contains(QLatin1String("did not fail"))) << f->step.toStdString();
    EXPECT_TRUE(f->fix.contains(QStringLiteral("Put %1 first").arg(QFileInfo(good).path()))) << f->fix.toStdString();
}

// The loader cache reader, on a cache built here byte by byte: the new format alone and after the
// old format's part.
QByteArray cacheBytes(bool withOldPart, const QList<QPair<QByteArray, QByteArray>> &entries)
{
    QByteArray strings;
    QByteArray table;
    auto append32 = [](QByteArray &b, quint32 v) { b.append(reinterpret_cast<const char *>(&v), 4); };
    QByteArray head;
    if (withOldPart) {
        head.append("ld.so-1.7.0", 11);
        head.append('\0');
        append32(head, 0); // no old entries
        while (head.size() % 8)
            head.append('\0');
    }
    const int headerSize = 48;
    const int tableSize = int(entries.size()) * 24;
    for (const auto &[name, path] : entries) {
        const quint32 key = quint32(headerSize + tableSize + strings.size());
        strings.append(name).append('\0');
        const quint32 value = quint32(headerSize + tableSize + strings.size());
        strings.append(path).append('\0');
        append32(table, 0x0303);
        append32(table, key);
        append32(table, value);
        append32(table, 0);
        table.append(QByteArray(8, '\0'));
    }
    QByteArray header("glibc-ld.so.cache1.1", 20);
    append32(header, quint32(entries.size()));
    append32(header, quint32(strings.size()));
    header.append(QByteArray(headerSize - header.size(), '\0'));
    EXPECT_EQ(header.size(), headerSize);
    return head + header + table + strings;
}

TEST(LdCacheReader, ReadsNewFormatAloneAndAfterTheOldPart)
{
    QTemporaryDir dir;
    const QList<QPair<QByteArray, QByteArray>> entries = {{"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"},
                                                          {"libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"}};
    for (bool old : {false, true}) {
        const QString path = dir.filePath(old ? QStringLiteral("old") : QStringLiteral("new"));
        QFile f(path);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(cacheBytes(old, entries));
        f.close();
        const auto read = readLdCache(path);
        ASSERT_TRUE(read.has_value());
        ASSERT_EQ(read->size(), 2);
        EXPECT_EQ(read->at(0).name, QStringLiteral("libcuda.so.1"));
        EXPECT_EQ(read->at(0).path, QStringLiteral("/usr/lib/x86_64-linux-gnu/libcuda.so.1"));
        EXPECT_EQ(read->at(1).path, QStringLiteral("/lib/x86_64-linux-gnu/libz.so.1"));
    }
    QFile junk(dir.filePath(QStringLiteral("junk")));
    ASSERT_TRUE(junk.open(QIODevice::WriteOnly));
    junk.write("not a cache at all");
    junk.close();
    EXPECT_FALSE(readLdCache(junk.fileName()).has_value());
    EXPECT_FALSE(readLdCache(dir.filePath(QStringLiteral("missing"))).has_value());
}

// This machine's own cache names libc where it is.
TEST(LdCacheReader, ReadsThisMachinesCache)
{
    const auto read = readLdCache(QStringLiteral("/etc/ld.so.cache"));
    ASSERT_TRUE(read.has_value());
    EXPECT_GT(read->size(), 10);
    bool libc = false;
    for (const LdCacheEntry &e : *read)
        libc = libc || (e.name == QLatin1String("libc.so.6") && QFileInfo::exists(e.path));
    EXPECT_TRUE(libc);
}

} // namespace
