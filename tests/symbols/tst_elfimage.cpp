// The ELF reader: what a shim and its consumer export, import and ask for, on fixtures built by
// the tests and on the real CUDA runtime; malformed files give an error, never a crash.
#include "elfimage.h"

#include <QByteArray>
#include <QFile>
#include <QTemporaryDir>

#include <cstring>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

const QString kShim = QStringLiteral(SYMFIX_DIR "/libsymfix-shim.so");
const QString kConsumer = QStringLiteral(SYMFIX_DIR "/libsymfix-consumer.so");
const QString kShim32 = QStringLiteral(SYMFIX_DIR "/libcuda32.so");
const QString kCudart = QStringLiteral(CUDA_RUNTIME_DIR "/libcudart.so.13");

ElfImage readOrFail(const QString &path)
{
    QString error;
    const auto img = readElfImage(path, &error);
    EXPECT_TRUE(img.has_value()) << error.toStdString();
    return img.value_or(ElfImage{});
}

QList<ElfSymbol> named(const ElfImage &img, const QString &name)
{
    QList<ElfSymbol> out;
    for (const ElfSymbol &s : img.symbols)
        if (s.name == name)
            out.append(s);
    return out;
}

QByteArray fileBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

} // namespace

TEST(ElfImage, HeaderFactsOfASharedObject)
{
    const ElfImage img = readOrFail(kShim);
    EXPECT_EQ(img.elfClass, 64);
    EXPECT_EQ(img.machineName, QStringLiteral("x86-64"));
    EXPECT_EQ(img.fileType, QStringLiteral("shared object"));
    EXPECT_EQ(img.soname, QStringLiteral("libsymfix-shim.so.1"));
    EXPECT_EQ(img.fileSize, QFile(kShim).size());
}

TEST(ElfImage, VersionedExportsCarryTheirVersionAndWhichOneIsTheDefault)
{
    const ElfImage img = readOrFail(kShim);
    EXPECT_TRUE(img.versionDefinitions.contains(QStringLiteral("SHIMTEST_1.0")));
    EXPECT_TRUE(img.versionDefinitions.contains(QStringLiteral("SHIMTEST_2.0")));
    const QList<ElfSymbol> cuInit = named(img, QStringLiteral("cuInit"));
    ASSERT_EQ(cuInit.size(), 2);
    int defaults = 0;
    for (const ElfSymbol &s : cuInit) {
        EXPECT_TRUE(s.defined);
        EXPECT_EQ(s.type, QStringLiteral("func"));
        if (s.defaultVersion) {
            ++defaults;
            EXPECT_EQ(s.version, QStringLiteral("SHIMTEST_2.0"));
        } else {
            EXPECT_EQ(s.version, QStringLiteral("SHIMTEST_1.0"));
        }
    }
    EXPECT_EQ(defaults, 1);
    const ElfSymbol *found = img.findDefined(QStringLiteral("cuInit"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->version, QStringLiteral("SHIMTEST_2.0"));
}

TEST(ElfImage, ObjectWhereAFunctionIsExpectedKeepsItsType)
{
    const ElfImage img = readOrFail(kShim);
    const ElfSymbol *s = img.findDefined(QStringLiteral("cuDeviceGet"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, QStringLiteral("object"));
    EXPECT_EQ(s->binding, QStringLiteral("global"));
    EXPECT_EQ(s->visibility, QStringLiteral("default"));
    EXPECT_EQ(s->size, 4u);
}

TEST(ElfImage, HiddenDefinitionIsNotExportedButIsKnownFromTheSymtab)
{
    const ElfImage img = readOrFail(kShim);
    EXPECT_FALSE(img.findDefined(QStringLiteral("cuGetProcAddress_v2")));
    EXPECT_TRUE(img.hasSymtab);
    EXPECT_TRUE(img.unexportedDefinitions.contains(QStringLiteral("cuGetProcAddress_v2")))
        << img.unexportedDefinitions.join(QLatin1Char(' ')).toStdString();
    EXPECT_FALSE(img.unexportedDefinitions.contains(QStringLiteral("cuDriverGetVersion")));
}

TEST(ElfImage, UndefinedImportsAreListed)
{
    const ElfImage img = readOrFail(kShim);
    const QList<ElfSymbol> missing = named(img, QStringLiteral("cuMissingFromEverywhere"));
    ASSERT_EQ(missing.size(), 1);
    EXPECT_FALSE(missing.first().defined);
    bool found = false;
    for (const ElfSymbol &s : img.undefinedSymbols())
        found = found || s.name == QLatin1String("cuMissingFromEverywhere");
    EXPECT_TRUE(found);
}

TEST(ElfImage, NamesRequestedAtRunTimeAreFoundInReadOnlyDataOnly)
{
    const ElfImage img = readOrFail(kShim);
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("cuMemCreate")));
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("cudaMalloc")));
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("nvmlInit_v2")));
    for (const char *no : {"notAnApi", "cu", "cuda", "cu_lowercase", "cuMem Create"})
        EXPECT_FALSE(img.apiStrings.contains(QLatin1String(no))) << no;
}

TEST(ElfImage, ConsumerNeedsRunpathBindNowAndRequiredVersions)
{
    const ElfImage img = readOrFail(kConsumer);
    EXPECT_TRUE(img.needed.contains(QStringLiteral("libsymfix-shim.so.1"))) << img.needed.join(QLatin1Char(' ')).toStdString();
    EXPECT_EQ(img.runpath, (QStringList{QStringLiteral("/opt/shim/lib"), QStringLiteral("/opt/other")}));
    EXPECT_TRUE(img.rpath.isEmpty());
    EXPECT_TRUE(img.bindNow);
    bool needsShimVersion = false;
    for (const ElfVersionNeed &n : img.versionNeeds)
        if (n.file == QLatin1String("libsymfix-shim.so.1"))
            needsShimVersion = n.versions.contains(QStringLiteral("SHIMTEST_2.0")) || n.versions.contains(QStringLiteral("SHIMTEST_1.0"));
    EXPECT_TRUE(needsShimVersion);
    const QList<ElfSymbol> cuInit = named(img, QStringLiteral("cuInit"));
    ASSERT_EQ(cuInit.size(), 1);
    EXPECT_FALSE(cuInit.first().defined);
    EXPECT_EQ(cuInit.first().version, QStringLiteral("SHIMTEST_2.0"));
}

TEST(ElfImage, ThirtyTwoBitLibraryIsReportedAsSuch)
{
    const ElfImage img = readOrFail(kShim32);
    EXPECT_EQ(img.elfClass, 32);
    EXPECT_EQ(img.machineName, QStringLiteral("i386"));
    EXPECT_EQ(img.soname, QStringLiteral("libcuda.so.1"));
    EXPECT_TRUE(img.findDefined(QStringLiteral("cuInit")));
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("cuDeviceGetCount")));
}

TEST(ElfImage, RealCudaRuntimeDefinesItsVersionNodeAndNamesTheDriverEntryPointsItResolves)
{
    const ElfImage img = readOrFail(kCudart);
    EXPECT_EQ(img.soname, QStringLiteral("libcudart.so.13"));
    EXPECT_TRUE(img.versionDefinitions.contains(QStringLiteral("libcudart.so.13")));
    const ElfSymbol *malloc = img.findDefined(QStringLiteral("cudaMalloc"));
    ASSERT_TRUE(malloc);
    EXPECT_EQ(malloc->version, QStringLiteral("libcudart.so.13"));
    EXPECT_EQ(malloc->type, QStringLiteral("func"));
    // The runtime finds the driver by dlsym and its resolver, not by linking: the names are data.
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("cuGetProcAddress_v2")));
    EXPECT_TRUE(img.apiStrings.contains(QStringLiteral("cuInit")));
    EXPECT_GT(img.apiStrings.size(), 300);
    EXPECT_FALSE(img.needed.contains(QStringLiteral("libcuda.so.1")));
}

TEST(ElfImage, NotAnElfFileIsOneClearError)
{
    QTemporaryDir dir;
    const QString text = dir.filePath(QStringLiteral("libcuda.so.1"));
    ASSERT_TRUE(writeFile(text, "INPUT(-lcuda)\n"));
    QString error;
    EXPECT_FALSE(readElfImage(text, &error));
    EXPECT_EQ(error, text + QStringLiteral(": not an ELF file"));
    const QString empty = dir.filePath(QStringLiteral("empty.so"));
    ASSERT_TRUE(writeFile(empty, QByteArray()));
    EXPECT_FALSE(readElfImage(empty, &error));
    EXPECT_TRUE(error.startsWith(empty + QStringLiteral(": "))) << error.toStdString();
    EXPECT_FALSE(readElfImage(dir.filePath(QStringLiteral("absent.so")), &error));
    EXPECT_TRUE(error.contains(QLatin1String("No such file"))) << error.toStdString();
    EXPECT_FALSE(readElfImage(dir.path(), &error));
    EXPECT_TRUE(error.contains(QLatin1String("not a regular file"))) << error.toStdString();
}

TEST(ElfImage, TruncatedFileAtEveryCutGivesAnErrorOrAConsistentImageNeverACrash)
{
    const QByteArray good = fileBytes(kConsumer);
    ASSERT_GT(good.size(), 1024);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cut.so"));
    int errors = 0;
    for (qsizetype cut = 0; cut < good.size(); cut += (cut < 128 ? 1 : 61)) {
        ASSERT_TRUE(writeFile(path, good.left(cut)));
        QString error;
        const auto img = readElfImage(path, &error);
        if (!img) {
            ++errors;
            EXPECT_TRUE(error.startsWith(path + QStringLiteral(": "))) << cut << ": " << error.toStdString();
        }
    }
    // The section headers sit at the end: every cut loses them or data they point at.
    EXPECT_GT(errors, 0);
    QString error;
    ASSERT_TRUE(writeFile(path, good.left(good.size() - 1)));
    EXPECT_FALSE(readElfImage(path, &error));
    EXPECT_TRUE(error.contains(QLatin1String("truncated")) || error.contains(QLatin1String("invalid")))
        << error.toStdString();
}

TEST(ElfImage, CorruptOffsetsAndSizesGiveAnErrorOrAnImageNeverACrash)
{
    const QByteArray good = fileBytes(kShim);
    ASSERT_GT(good.size(), 1024);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.so"));
    // e_shoff pointing past the end of the file.
    QByteArray bad = good;
    const quint64 past = quint64(good.size()) + 4096;
    std::memcpy(bad.data() + 0x28, &past, sizeof past);
    ASSERT_TRUE(writeFile(path, bad));
    QString error;
    EXPECT_FALSE(readElfImage(path, &error));
    EXPECT_TRUE(error.startsWith(path)) << error.toStdString();
    // Every 8-byte word after the ELF header set to huge values, one at a time: offsets, sizes,
    // links and indices of every table walk go out of range somewhere.
    int survived = 0;
    for (qsizetype at = 64; at + 8 <= good.size(); at += 8) {
        bad = good;
        const quint64 huge = 0x7ffffff0fffffff0ull;
        std::memcpy(bad.data() + at, &huge, sizeof huge);
        ASSERT_TRUE(writeFile(path, bad));
        const auto img = readElfImage(path, &error);
        survived += img.has_value() ? 1 : 0;
    }
    EXPECT_GT(survived, 0); // most words are code or data that no header depends on
}
