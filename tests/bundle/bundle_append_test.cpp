// Adding a run to an existing bundle (BundleWriter::append, docs/bundle-format.md "Appending"):
// what was there stays row for row with its ids, the new run reads back, and an append that
// fails, is aborted or is killed leaves the original as it was.
#include "bundle.h"
#include "bundletestdata.h"
#include "callpayload.h"

#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStringList>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace initscope;
using namespace initscope::testdata;

namespace {

const QStringList kTables = {QStringLiteral("meta"),         QStringLiteral("strings"),
                             QStringLiteral("runs"),         QStringLiteral("processes"),
                             QStringLiteral("process_argv"), QStringLiteral("process_env"),
                             QStringLiteral("events"),       QStringLiteral("output"),
                             QStringLiteral("lib_searches"), QStringLiteral("lib_search_steps"),
                             QStringLiteral("lib_loads"),    QStringLiteral("artifacts")};

// Every row of every table as text ("table | col=value | …"), bytes hex-encoded, in key order.
QStringList rowsOf(const QString &path)
{
    QStringList rows;
    const QString name = QStringLiteral("rows-") + path;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        EXPECT_TRUE(db.open());
        for (const QString &table : kTables) {
            QSqlQuery q(db);
            EXPECT_TRUE(q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1, 2").arg(table))) << table.toStdString();
            while (q.next()) {
                QStringList cells{table};
                for (int i = 0; i < q.record().count(); ++i) {
                    const QVariant v = q.value(i);
                    cells << q.record().fieldName(i) + QLatin1Char('=') +
                                 (v.isNull() ? QStringLiteral("NULL")
                                             : QString::fromLatin1(v.toByteArray().toHex()));
                }
                rows << cells.join(QStringLiteral(" | "));
            }
        }
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

// A small run with every kind of row, texts both already in the sample and new.
qint64 addRetryRun(BundleWriter &w)
{
    initscope::Run run;
    run.name = QStringLiteral("ollama serve — retry bind-now");
    run.command = {QStringLiteral("ollama"), QStringLiteral("serve")};
    run.configJson = R"({"environment":{"set":{"LD_BIND_NOW":"1"}}})";
    run.hostname = QStringLiteral("retry-host");
    run.id = w.addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 777;
    p.exe = QStringLiteral("/usr/bin/ollama"); // in the sample too
    p.argv = {QStringLiteral("ollama"), QStringLiteral("serve"), QString(), QStringLiteral("")};
    p.env = {QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin"), QStringLiteral("LD_BIND_NOW=1")};
    p.endReason = EndReason::Exited;
    p.id = w.addProcess(p);
    w.addEvent({-1, p.id, 777, 10, 0, QStringLiteral("process.start"), QString(), "{}", run.id});
    w.addOutput({-1, p.id, Stream::Stderr, 20, "retry output\n"});
    LibSearch search;
    search.processId = p.id;
    search.name = QStringLiteral("libcuda.so.1");
    search.steps = {{QStringLiteral("/opt/shim/libcuda.so.1"), quint32(SearchOrigin::LibraryPath), 1}};
    search.outcome = SearchOutcome::Found;
    search.resultPath = QStringLiteral("/opt/shim/libcuda.so.1");
    w.addLibSearch(search);
    LibLoad load;
    load.processId = p.id;
    load.path = QStringLiteral("/opt/shim/libcuda.so.1");
    w.addLibLoad(load);
    Artifact artifact;
    artifact.runId = run.id;
    artifact.kind = QStringLiteral("shim");
    artifact.path = QStringLiteral("/opt/shim/libcuda.so.1");
    artifact.content = "ELF";
    artifact.size = 3;
    w.addArtifact(artifact);
    return run.id;
}

class BundleAppend : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("run.initscope"));
        ASSERT_TRUE(writeSample(path, &sample));
        original = readAll(path);
    }

    std::unique_ptr<BundleWriter> append(const QString &target)
    {
        BundleError error;
        auto w = BundleWriter::append(target, &error);
        EXPECT_TRUE(w) << error.message.toStdString();
        return w;
    }

    QTemporaryDir dir;
    QString path;
    Sample sample;
    QByteArray original;
};

} // namespace

TEST_F(BundleAppend, AppendingKeepsEveryRowOfTheExistingRunsAndAddsTheNewRunAfterTheHighestIds)
{
    const QStringList before = rowsOf(path);
    BundleError error;
    const QString created = BundleReader::open(path, &error)->metadata().value(QStringLiteral("created_utc"));
    EXPECT_FALSE(created.isEmpty());
    auto w = append(path);
    ASSERT_TRUE(w);
    const qint64 runId = addRetryRun(*w);
    EXPECT_EQ(runId, sample.runs.last().id + 1);
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

    const QStringList after = rowsOf(path);
    // Every row that was there is there unchanged (same ids, same bytes) except the writer's
    // own version in meta.
    for (const QString &row : before) {
        if (row.startsWith(QLatin1String("meta | key=") + QString::fromLatin1(QByteArray("writer_version").toHex())))
            continue;
        EXPECT_TRUE(after.contains(row)) << "lost or changed: " << row.toStdString();
    }
    EXPECT_GT(after.size(), before.size());

    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const QList<initscope::Run> runs = reader->runs();
    ASSERT_EQ(runs.size(), sample.runs.size() + 1);
    for (int i = 0; i < sample.runs.size(); ++i) {
        EXPECT_EQ(runs[i].id, sample.runs[i].id);
        EXPECT_EQ(runs[i].name, sample.runs[i].name);
    }
    EXPECT_EQ(runs.last().name, QStringLiteral("ollama serve — retry bind-now"));
    EXPECT_EQ(runs.last().hostname, QStringLiteral("retry-host"));
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 1);
    EXPECT_EQ(processes[0].exe, QStringLiteral("/usr/bin/ollama"));
    EXPECT_EQ(processes[0].env.last(), QStringLiteral("LD_BIND_NOW=1"));
    EXPECT_EQ(reader->output(processes[0].id).value(0).data, QByteArray("retry output\n"));
    ASSERT_EQ(reader->libSearches(runId).size(), 1);
    EXPECT_EQ(reader->libSearches(runId)[0].steps.size(), 1);
    EXPECT_EQ(reader->libLoads(runId).size(), 1);
    EXPECT_EQ(reader->artifacts(runId).size(), 1);
    EXPECT_EQ(reader->eventCount(runId), 3) << "process.start, lib.search, lib.load";
    EXPECT_EQ(reader->metadata().value(QStringLiteral("created_utc")), created) << "the bundle was made then";
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
}

TEST_F(BundleAppend, TextsAlreadyInTheFileKeepTheirOneId)
{
    auto w = append(path);
    ASSERT_TRUE(w);
    addRetryRun(*w);
    BundleError error;
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    QStringList duplicates;
    for (const QString &row : rowsOf(path)) {
        if (row.startsWith(QLatin1String("strings |")))
            duplicates << row.section(QStringLiteral(" | "), 2);
    }
    const qsizetype all = duplicates.size();
    duplicates.removeDuplicates();
    EXPECT_EQ(duplicates.size(), all) << "a text stored twice";
}

TEST_F(BundleAppend, AppendingTwiceGivesEachNewRunTheNextId)
{
    for (int i = 0; i < 2; ++i) {
        auto w = append(path);
        ASSERT_TRUE(w);
        EXPECT_EQ(addRetryRun(*w), sample.runs.last().id + 1 + i);
        BundleError error;
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    }
    BundleError error;
    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    EXPECT_EQ(reader->runs().size(), sample.runs.size() + 2);
}

TEST_F(BundleAppend, AbortedAppendLeavesTheOriginalByteIdenticalAndNoTemporaryFile)
{
    {
        auto w = append(path);
        ASSERT_TRUE(w);
        addRetryRun(*w);
        EXPECT_TRUE(QFileInfo::exists(w->temporaryPath()));
        w->abort();
    }
    EXPECT_EQ(readAll(path), original);
    {
        auto w = append(path);
        ASSERT_TRUE(w);
        addRetryRun(*w);
        // Destroyed without commit().
    }
    EXPECT_EQ(readAll(path), original);
    EXPECT_EQ(filesIn(dir.path()), QStringList{QStringLiteral("run.initscope")});
}

TEST_F(BundleAppend, AppendKilledBeforeCommitLeavesTheOriginalIntact)
{
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        BundleError error;
        auto w = BundleWriter::append(path, &error);
        if (!w)
            ::_exit(1);
        addRetryRun(*w);
        for (int i = 0; i < 20000; ++i)
            w->addEvent({-1, -1, 1, i, 0, QStringLiteral("k"), QStringLiteral("n"), "{}", -1});
        ::raise(SIGKILL); // in the middle of the append, as a crash or kill -9 would
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child could not start its append";
    EXPECT_EQ(readAll(path), original);
    BundleError error;
    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    EXPECT_EQ(reader->runs().size(), sample.runs.size());
    // What a killed appender leaves is its hidden temporary file, never a changed bundle.
    const QStringList files = filesIn(dir.path());
    ASSERT_EQ(files.size(), 2) << files.join(QLatin1Char(' ')).toStdString();
    EXPECT_TRUE(files.contains(QStringLiteral("run.initscope")));
    EXPECT_TRUE(files.first().startsWith(QLatin1String(".run.initscope.tmp-"))) << files.first().toStdString();
    // And the next append works: the dead appender's lock went with it.
    auto w = append(path);
    ASSERT_TRUE(w);
}

TEST_F(BundleAppend, AppendingToADamagedOrForeignFileFailsWithOneClearErrorAndChangesNothing)
{
    struct Case {
        const char *name;
        QByteArray bytes;
        BundleError::Code code;
    };
    const QList<Case> cases = {
        {"notes.txt", "just some text, not a bundle\n", BundleError::Code::NotSqlite},
        {"cut.initscope", original.left(original.size() / 2), BundleError::Code::Corrupt},
        {"empty.initscope", QByteArray(), BundleError::Code::Empty},
    };
    for (const Case &c : cases) {
        const QString target = dir.filePath(QString::fromLatin1(c.name));
        writeAll(target, c.bytes);
        BundleError error;
        EXPECT_FALSE(BundleWriter::append(target, &error)) << c.name;
        EXPECT_EQ(int(error.code), int(c.code)) << c.name << ": " << error.message.toStdString();
        EXPECT_TRUE(error.message.contains(target)) << error.message.toStdString();
        EXPECT_FALSE(error.message.contains(QLatin1Char('\n'))) << error.message.toStdString();
        EXPECT_EQ(readAll(target), c.bytes) << c.name;
    }
    // An SQLite database of some other program.
    const QString foreign = dir.filePath(QStringLiteral("other.sqlite"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
        db.setDatabaseName(foreign);
        ASSERT_TRUE(db.open());
        QSqlQuery(db).exec(QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
    const QByteArray foreignBytes = readAll(foreign);
    BundleError error;
    EXPECT_FALSE(BundleWriter::append(foreign, &error));
    EXPECT_EQ(int(error.code), int(BundleError::Code::NotABundle)) << error.message.toStdString();
    EXPECT_EQ(readAll(foreign), foreignBytes);
    // Nothing to append to.
    EXPECT_FALSE(BundleWriter::append(dir.filePath(QStringLiteral("absent.initscope")), &error));
    EXPECT_EQ(int(error.code), int(BundleError::Code::Missing)) << error.message.toStdString();
    EXPECT_FALSE(QFileInfo::exists(dir.filePath(QStringLiteral("absent.initscope"))));
    for (const QString &name : filesIn(dir.path()))
        EXPECT_FALSE(name.contains(QLatin1String(".tmp-"))) << name.toStdString();
}

TEST_F(BundleAppend, SecondAppenderIsRefusedWhileTheFirstIsOpenSoNoRunIsLost)
{
    auto first = append(path);
    ASSERT_TRUE(first);
    BundleError error;
    EXPECT_FALSE(BundleWriter::append(path, &error));
    EXPECT_EQ(int(error.code), int(BundleError::Code::Io));
    EXPECT_TRUE(error.message.contains(QLatin1String("another InitScope"))) << error.message.toStdString();
    addRetryRun(*first);
    ASSERT_TRUE(first->commit(&error)) << error.message.toStdString();
    auto second = append(path);
    ASSERT_TRUE(second) << "the lock goes with the commit";
    addRetryRun(*second);
    ASSERT_TRUE(second->commit(&error)) << error.message.toStdString();
    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->runs().size(), sample.runs.size() + 2);
}

TEST_F(BundleAppend, CommitKeepsTheModeOfTheBundleItReplaces)
{
    ASSERT_EQ(::chmod(QFile::encodeName(path).constData(), 0640), 0);
    auto w = append(path);
    ASSERT_TRUE(w);
    addRetryRun(*w);
    BundleError error;
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    struct stat st = {};
    ASSERT_EQ(::stat(QFile::encodeName(path).constData(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// Version 1 (JSON payloads only) is version 2 less the compact call payloads: adding a run
// brings the file to version 2, its old rows read as before, and the new run's compact call
// reads back as the JSON the catalog decodes.
TEST_F(BundleAppend, AppendingToAVersionOneBundleBringsItToVersionTwoAndItsCallsReadAsJson)
{
    {
        const QString name = QStringLiteral("downgrade");
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        ASSERT_TRUE(db.open());
        QSqlQuery q(db);
        ASSERT_TRUE(q.exec(QStringLiteral("UPDATE meta SET value = '1' WHERE key = 'format_version'")));
        q.finish();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
    BundleError error;
    ASSERT_EQ(BundleReader::open(path, &error)->formatVersion(), 1);
    const QList<Event> oldEvents = BundleReader::open(path, &error)->events(sample.runs.first().id);

    auto w = append(path);
    ASSERT_TRUE(w);
    const qint64 runId = addRetryRun(*w);
    CompactCall call;
    call.api = 1;   // driver
    call.reach = 2; // dlsym
    call.argCount = 3;
    call.args = {0x7ffd00001000, 75, 0};
    call.outputs = {{0, QByteArray("\x08\x00\x00\x00", 4)}};
    Event e;
    e.runId = runId;
    e.processId = -1;
    e.tsNs = 20;
    e.durNs = 5;
    e.kind = QStringLiteral("cuda.call");
    e.name = QStringLiteral("cuDeviceGetAttribute");
    e.payload = encodeCompactCall(call);
    const qint64 callId = w->addEvent(e);
    ASSERT_GT(callId, 0);
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    EXPECT_EQ(reader->formatVersion(), kBundleFormatVersion);
    const QList<Event> again = reader->events(sample.runs.first().id);
    ASSERT_EQ(again.size(), oldEvents.size());
    for (int i = 0; i < again.size(); ++i)
        EXPECT_EQ(again[i].payload, oldEvents[i].payload) << "an old payload reads as it did";
    bool found = false;
    for (const Event &read : reader->events(runId)) {
        if (read.id != callId)
            continue;
        found = true;
        EXPECT_TRUE(read.payload.startsWith('{')) << read.payload.toStdString();
        EXPECT_TRUE(read.payload.contains("\"summary\":\"cuDeviceGetAttribute(pi=&8, "
                                          "attrib=CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev=0)"))
            << read.payload.toStdString();
        EXPECT_TRUE(read.payload.contains("\"reach\":\"dlsym\""));
    }
    EXPECT_TRUE(found);
}
