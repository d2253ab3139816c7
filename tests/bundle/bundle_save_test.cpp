// Saving is atomic (a half-written bundle never replaces anything) and reading never changes
// the file.
#include "bundle.h"
#include "bundletestdata.h"

#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace initscope;
using namespace initscope::testdata;

namespace {

std::unique_ptr<BundleWriter> startWriting(const QString &path)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    EXPECT_TRUE(w) << error.message.toStdString();
    if (!w)
        return w;
    initscope::Run run;
    run.name = QStringLiteral("new");
    run.id = w->addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 1;
    p.id = w->addProcess(p);
    for (int i = 0; i < 1000; ++i)
        w->addEvent({-1, p.id, 1, i, 0, QStringLiteral("k"), QStringLiteral("n"), "{}", -1});
    w->addOutput({-1, p.id, Stream::Stdout, 0, QByteArray(200000, 'o')});
    return w;
}

class BundleAtomicSave : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        target = dir.filePath(QStringLiteral("run.initscope"));
        writeAll(target, "the previous bundle, byte for byte\n");
        previous = readAll(target);
    }

    QTemporaryDir dir;
    QString target;
    QByteArray previous;
};

} // namespace

TEST_F(BundleAtomicSave, TemporaryFileIsAHiddenSiblingOfTheTarget)
{
    auto w = startWriting(target);
    ASSERT_TRUE(w);
    const QFileInfo temp(w->temporaryPath());
    EXPECT_TRUE(temp.exists());
    EXPECT_EQ(temp.absolutePath(), QFileInfo(target).absolutePath());
    EXPECT_TRUE(temp.fileName().startsWith(QLatin1String(".run.initscope.tmp-")))
        << temp.fileName().toStdString();
}

TEST_F(BundleAtomicSave, AbortLeavesTheExistingFileByteIdenticalAndNoTemporaryFile)
{
    auto w = startWriting(target);
    ASSERT_TRUE(w);
    w->abort();
    EXPECT_EQ(readAll(target), previous);
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
    BundleError error;
    EXPECT_FALSE(w->commit(&error)) << "commit after abort must not save";
    EXPECT_EQ(readAll(target), previous);
}

TEST_F(BundleAtomicSave,
       DestroyingWithoutCommitLeavesTheExistingFileByteIdenticalAndNoTemporaryFile)
{
    {
        auto w = startWriting(target);
        ASSERT_TRUE(w);
    }
    EXPECT_EQ(readAll(target), previous);
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
}

TEST_F(BundleAtomicSave, CommitReplacesTheExistingFileAndLeavesNoTemporaryFile)
{
    auto w = startWriting(target);
    ASSERT_TRUE(w);
    BundleError error;
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
    auto r = BundleReader::open(target, &error);
    ASSERT_TRUE(r) << error.message.toStdString();
    ASSERT_EQ(r->runs().size(), 1);
    EXPECT_EQ(r->runs().first().name, QStringLiteral("new"));
    EXPECT_EQ(r->eventCount(r->runs().first().id), 1000);
}

TEST_F(BundleAtomicSave, CommitKeepsThePermissionsOfTheFileItReplaces)
{
    ASSERT_EQ(::chmod(QFile::encodeName(target).constData(), 0640), 0);
    auto w = startWriting(target);
    ASSERT_TRUE(w);
    BundleError error;
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    struct stat st = {};
    ASSERT_EQ(::stat(QFile::encodeName(target).constData(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(BundleAtomicSave, MisuseFailsTheCommitAndKeepsTheExistingFile)
{
    auto w = startWriting(target);
    ASSERT_TRUE(w);
    initscope::Run bogus;
    bogus.id = 4242;
    w->updateRun(bogus);
    BundleError error;
    EXPECT_FALSE(w->commit(&error));
    EXPECT_EQ(error.code, BundleError::Code::Io);
    EXPECT_TRUE(error.message.contains(target)) << error.message.toStdString();
    EXPECT_EQ(readAll(target), previous);
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
}

TEST_F(BundleAtomicSave, CreatingInAMissingFolderFailsWithAnIoErrorNamingTheFile)
{
    const QString path = dir.filePath(QStringLiteral("no/such/folder/run.initscope"));
    BundleError error;
    EXPECT_FALSE(BundleWriter::create(path, &error));
    EXPECT_EQ(error.code, BundleError::Code::Io);
    EXPECT_TRUE(error.message.contains(path)) << error.message.toStdString();
}

TEST_F(BundleAtomicSave, CreatingOverAFolderFailsWithAnIoError)
{
    const QString path = dir.filePath(QStringLiteral("folder"));
    ASSERT_TRUE(QDir(dir.path()).mkdir(QStringLiteral("folder")));
    BundleError error;
    EXPECT_FALSE(BundleWriter::create(path, &error));
    EXPECT_EQ(error.code, BundleError::Code::Io);
    EXPECT_TRUE(QFileInfo(path).isDir());
}

TEST_F(BundleAtomicSave, WritersAndReadersAliveAtOnceUseSeparateConnectionsAndRemoveThem)
{
    const QStringList before = QSqlDatabase::connectionNames();
    {
        auto a = startWriting(dir.filePath(QStringLiteral("a.initscope")));
        auto b = startWriting(dir.filePath(QStringLiteral("b.initscope")));
        ASSERT_TRUE(a && b);
        BundleError error;
        ASSERT_TRUE(b->commit(&error)) << error.message.toStdString();
        auto r1 = BundleReader::open(dir.filePath(QStringLiteral("b.initscope")), &error);
        auto r2 = BundleReader::open(dir.filePath(QStringLiteral("b.initscope")), &error);
        ASSERT_TRUE(r1 && r2);
        ASSERT_TRUE(a->commit(&error)) << error.message.toStdString();
        EXPECT_EQ(r1->eventCount(r1->runs().first().id), 1000);
        EXPECT_EQ(r2->eventCount(r2->runs().first().id), 1000);
    }
    EXPECT_EQ(QSqlDatabase::connectionNames(), before);
}

TEST(BundleReadOnly, OpeningAndQueryingLeavesTheFileAndItsFolderUnchanged)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sample.initscope"));
    Sample sample;
    ASSERT_TRUE(writeSample(path, &sample));
    // Make it read-only too; the reader must not need write access.
    ASSERT_EQ(::chmod(QFile::encodeName(path).constData(), 0444), 0);
    const QByteArray before = readAll(path);
    struct stat st = {};
    ASSERT_EQ(::stat(QFile::encodeName(path).constData(), &st), 0);
    const struct timespec mtime = st.st_mtim;
    const QStringList files = filesIn(dir.path());

    {
        BundleError error;
        auto r = BundleReader::open(path, &error);
        ASSERT_TRUE(r) << error.message.toStdString();
        for (const initscope::Run &run : r->runs()) {
            for (const Process &p : r->processes(run.id)) {
                r->output(p.id);
                r->events(run.id, p.id);
                r->libSearches(run.id, p.id);
            }
            r->libLoads(run.id);
            r->artifacts(run.id);
        }
        r->metadata();
        EXPECT_EQ(filesIn(dir.path()), files) << "no journal or lock files while open";
        EXPECT_FALSE(r->queryError().has_value());
    }

    ASSERT_EQ(::stat(QFile::encodeName(path).constData(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, mtime.tv_sec);
    EXPECT_EQ(st.st_mtim.tv_nsec, mtime.tv_nsec);
    EXPECT_TRUE(readAll(path) == before) << "content changed";
    EXPECT_EQ(filesIn(dir.path()), files);
}
