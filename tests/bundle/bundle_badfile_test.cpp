// Files that are not usable bundles: each is refused with the right code and a message that
// names the file, and nothing a damaged file does can crash the reader.
#include "bundle.h"
#include "bundletestdata.h"

#include <QFile>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace initscope;
using namespace initscope::testdata;

namespace {

const char *codeName(BundleError::Code code)
{
    switch (code) {
    case BundleError::Code::Missing: return "Missing";
    case BundleError::Code::Unreadable: return "Unreadable";
    case BundleError::Code::Empty: return "Empty";
    case BundleError::Code::NotSqlite: return "NotSqlite";
    case BundleError::Code::NotABundle: return "NotABundle";
    case BundleError::Code::Corrupt: return "Corrupt";
    case BundleError::Code::TooNew: return "TooNew";
    case BundleError::Code::Io: return "Io";
    }
    return "?";
}

// Opening must fail with `code` and a message that names the file.
void expectRefused(const QString &path, BundleError::Code code)
{
    BundleError error;
    error.message = QStringLiteral("untouched");
    const auto reader = BundleReader::open(path, &error);
    EXPECT_FALSE(reader) << "opened " << path.toStdString();
    EXPECT_STREQ(codeName(error.code), codeName(code)) << error.message.toStdString();
    EXPECT_TRUE(error.message.contains(path)) << error.message.toStdString();
}

// Runs every query the reader offers, the way a viewer would after opening.
void queryEverything(const BundleReader &reader)
{
    reader.metadata();
    for (const initscope::Run &run : reader.runs()) {
        for (const Process &p : reader.processes(run.id)) {
            reader.process(p.id);
            reader.output(p.id);
            reader.outputSize(p.id);
            reader.events(run.id, p.id);
            reader.eventCount(run.id, p.id);
            reader.libSearches(run.id, p.id);
            reader.libLoads(run.id, p.id);
        }
        reader.events(run.id);
        reader.eventCount(run.id);
        reader.libSearches(run.id);
        reader.libLoads(run.id);
        reader.artifacts(run.id);
    }
    // Also ids the damaged file may no longer list.
    reader.process(1);
    reader.output(1);
    reader.events(1);
}

void editWithSql(const QString &path, const QStringList &statements)
{
    const QString name = QStringLiteral("edit-") + path;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        ASSERT_TRUE(db.open());
        QSqlQuery q(db);
        for (const QString &sql : statements)
            ASSERT_TRUE(q.exec(sql)) << sql.toStdString();
    }
    QSqlDatabase::removeDatabase(name);
}

class BundleBadFile : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(dir.isValid()); }
    QString file(const char *name) const { return dir.filePath(QString::fromLatin1(name)); }
    // A real bundle of a few hundred KB.
    QString bulk()
    {
        const QString path = file("bulk.initscope");
        if (!QFile::exists(path)) {
            EXPECT_TRUE(writeBulk(path, 4000));
        }
        return path;
    }

    QTemporaryDir dir;
};

} // namespace

TEST_F(BundleBadFile, MissingFileIsReportedAsMissing)
{
    expectRefused(file("nowhere.initscope"), BundleError::Code::Missing);
}

TEST_F(BundleBadFile, ZeroByteFileIsReportedAsEmpty)
{
    writeAll(file("empty.initscope"), {});
    expectRefused(file("empty.initscope"), BundleError::Code::Empty);
}

TEST_F(BundleBadFile, FolderIsReportedAsUnreadable)
{
    ASSERT_TRUE(QDir(dir.path()).mkdir(QStringLiteral("folder.initscope")));
    expectRefused(file("folder.initscope"), BundleError::Code::Unreadable);
}

TEST_F(BundleBadFile, FifoIsReportedAsUnreadableWithoutBlocking)
{
    const QString path = file("pipe.initscope");
    ASSERT_EQ(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
    expectRefused(path, BundleError::Code::Unreadable);
}

TEST_F(BundleBadFile, FileWithoutReadPermissionIsReportedAsUnreadable)
{
    const QString path = bulk();
    ASSERT_TRUE(QFile::setPermissions(path, QFileDevice::WriteOwner));
    if (::geteuid() != 0) {
        expectRefused(path, BundleError::Code::Unreadable);
        return;
    }
    // root reads any file, so the check runs in a child that has dropped to "nobody".
    ASSERT_TRUE(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                      | QFileDevice::ExeOwner
                                                      | QFileDevice::ExeOther));
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        BundleError error;
        const bool refused = !BundleReader::open(path, &error)
            && error.code == BundleError::Code::Unreadable && error.message.contains(path);
        ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not refused as Unreadable, 2: could not drop root";
}

TEST_F(BundleBadFile, TextFileIsNotSqlite)
{
    writeAll(file("notes.initscope"), "This is a text file, not a bundle.\nSecond line.\n");
    expectRefused(file("notes.initscope"), BundleError::Code::NotSqlite);
}

TEST_F(BundleBadFile, RandomBytesAreNotSqlite)
{
    QByteArray bytes(64 * 1024, '\0');
    QRandomGenerator generator(7);
    for (char &c : bytes)
        c = char(generator.bounded(256));
    writeAll(file("random.initscope"), bytes);
    expectRefused(file("random.initscope"), BundleError::Code::NotSqlite);
}

TEST_F(BundleBadFile, SqliteHeaderAloneIsCorrupt)
{
    writeAll(file("header.initscope"), QByteArray("SQLite format 3\0", 16) + "abc");
    expectRefused(file("header.initscope"), BundleError::Code::Corrupt);
}

TEST_F(BundleBadFile, SqliteDatabaseWithoutMetaTableIsNotABundle)
{
    editWithSql(file("other.db"), {QStringLiteral("CREATE TABLE notes(id INTEGER, text TEXT)"),
                                   QStringLiteral("INSERT INTO notes VALUES(1, 'hello')")});
    expectRefused(file("other.db"), BundleError::Code::NotABundle);
}

TEST_F(BundleBadFile, MetaTableWithoutFormatVersionIsNotABundle)
{
    editWithSql(file("meta.db"), {QStringLiteral("CREATE TABLE meta(key TEXT, value TEXT)"),
                                  QStringLiteral("INSERT INTO meta VALUES('owner', 'someone')")});
    expectRefused(file("meta.db"), BundleError::Code::NotABundle);
}

TEST_F(BundleBadFile, ForeignMetaTableIsNotABundle)
{
    editWithSql(file("foreign.db"), {QStringLiteral("CREATE TABLE meta(name TEXT, data BLOB)")});
    expectRefused(file("foreign.db"), BundleError::Code::NotABundle);
}

TEST_F(BundleBadFile, BundleCutInHalfIsCorrupt)
{
    const QByteArray bytes = readAll(bulk());
    ASSERT_GT(bytes.size(), 200 * 1024);
    writeAll(file("half.initscope"), bytes.left(bytes.size() / 2 + 123));
    expectRefused(file("half.initscope"), BundleError::Code::Corrupt);
}

TEST_F(BundleBadFile, BundleCutAtAPageBoundaryIsCorrupt)
{
    const QByteArray bytes = readAll(bulk());
    writeAll(file("pages.initscope"), bytes.left((bytes.size() / 2) & ~qsizetype(4095)));
    expectRefused(file("pages.initscope"), BundleError::Code::Corrupt);
}

TEST_F(BundleBadFile, GarbagePagesInTheMiddleAreCorruptOrFailTheQueries)
{
    QByteArray bytes = readAll(bulk());
    QRandomGenerator generator(11);
    const qsizetype start = (bytes.size() / 2) & ~qsizetype(4095);
    for (qsizetype i = start; i < start + 8 * 4096 && i < bytes.size(); ++i)
        bytes[i] = char(generator.bounded(256));
    const QString path = file("garbage.initscope");
    writeAll(path, bytes);

    BundleError error;
    const auto reader = BundleReader::open(path, &error);
    if (!reader) {
        EXPECT_STREQ(codeName(error.code), "Corrupt") << error.message.toStdString();
        EXPECT_TRUE(error.message.contains(path)) << error.message.toStdString();
        return;
    }
    queryEverything(*reader);
    ASSERT_TRUE(reader->queryError().has_value()) << "damage went unnoticed";
    EXPECT_EQ(reader->queryError()->code, BundleError::Code::Corrupt);
    EXPECT_TRUE(reader->queryError()->message.contains(path));
}

TEST_F(BundleBadFile, MissingTableIsCorrupt)
{
    const QString path = bulk();
    editWithSql(path, {QStringLiteral("DROP TABLE lib_loads")});
    expectRefused(path, BundleError::Code::Corrupt);
}

TEST_F(BundleBadFile, NewerFormatVersionIsRefusedWithBothVersionsAndAnUpgradeHint)
{
    const QString path = bulk();
    editWithSql(path,
                {QStringLiteral("UPDATE meta SET value = '99' WHERE key = 'format_version'")});
    expectRefused(path, BundleError::Code::TooNew);
    BundleError error;
    BundleReader::open(path, &error);
    EXPECT_TRUE(error.message.contains(QLatin1String("99"))) << error.message.toStdString();
    EXPECT_TRUE(error.message.contains(QStringLiteral("up to %1").arg(kBundleFormatVersion)))
        << error.message.toStdString();
    EXPECT_TRUE(error.message.contains(QLatin1String("upgrade InitScope")))
        << error.message.toStdString();
}

TEST_F(BundleBadFile, FormatVersionBelowTheFirstIsNotABundle)
{
    const QString path = bulk();
    editWithSql(path, {QStringLiteral("UPDATE meta SET value = '0' WHERE key = 'format_version'")});
    expectRefused(path, BundleError::Code::NotABundle);
}

TEST_F(BundleBadFile, FileOverwrittenAfterOpenMakesQueriesReportCorruptInsteadOfCrashing)
{
    const QString path = bulk();
    BundleError error;
    const auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const qint64 runId = reader->runs().value(0).id;
    ASSERT_GT(runId, 0);

    // In place, same size: the reader's open file now holds garbage.
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadWrite));
    QByteArray garbage(f.size(), '\0');
    QRandomGenerator generator(3);
    for (char &c : garbage)
        c = char(generator.bounded(256));
    ASSERT_EQ(f.write(garbage), garbage.size());
    f.close();

    EXPECT_TRUE(reader->events(runId).isEmpty());
    EXPECT_EQ(reader->eventCount(runId), 0);
    queryEverything(*reader);
    ASSERT_TRUE(reader->queryError().has_value());
    EXPECT_EQ(reader->queryError()->code, BundleError::Code::Corrupt);
    EXPECT_TRUE(reader->queryError()->message.contains(path))
        << reader->queryError()->message.toStdString();
}

TEST_F(BundleBadFile, RandomlyDamagedBundlesNeverCrashTheReader)
{
    const QByteArray good = readAll(bulk());
    const QString path = file("damaged.initscope");
    QRandomGenerator generator(2024);
    int refused = 0;
    for (int round = 0; round < 150; ++round) {
        QByteArray bytes = good;
        if (round % 3 == 0) {
            // A whole page of garbage.
            const qsizetype page = generator.bounded(int(bytes.size() / 4096)) * 4096;
            for (qsizetype i = page; i < page + 4096; ++i)
                bytes[i] = char(generator.bounded(256));
        } else {
            // A few flipped bytes anywhere, the header included.
            for (int n = generator.bounded(1, 16); n > 0; --n)
                bytes[generator.bounded(int(bytes.size()))] ^= char(1 + generator.bounded(255));
        }
        writeAll(path, bytes);
        BundleError error;
        const auto reader = BundleReader::open(path, &error);
        if (!reader) {
            ++refused;
            EXPECT_TRUE(error.message.contains(path)) << error.message.toStdString();
            continue;
        }
        queryEverything(*reader);
        if (reader->queryError()) {
            EXPECT_TRUE(reader->queryError()->message.contains(path));
        }
    }
    EXPECT_GT(refused, 0);
}
