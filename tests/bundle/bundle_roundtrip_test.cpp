// What is written is what is read: every table, every field, awkward values included.
#include "bundle.h"
#include "bundletestdata.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <iostream>

using namespace initscope;
using namespace initscope::testdata;

namespace {

void expectSame(const initscope::Run &a, const initscope::Run &b)
{
    SCOPED_TRACE("run " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.configJson, b.configJson);
    EXPECT_EQ(a.startRealtimeNs, b.startRealtimeNs);
    EXPECT_EQ(a.durationNs, b.durationNs);
    EXPECT_EQ(a.exitCode, b.exitCode);
    EXPECT_EQ(a.exitSignal, b.exitSignal);
    EXPECT_EQ(a.timedOut, b.timedOut);
    EXPECT_EQ(a.cancelled, b.cancelled);
    EXPECT_EQ(a.hostname, b.hostname);
    EXPECT_EQ(a.recorderVersion, b.recorderVersion);
}

void expectSame(const Process &a, const Process &b)
{
    SCOPED_TRACE("process " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.runId, b.runId);
    EXPECT_EQ(a.pid, b.pid);
    EXPECT_EQ(a.ppid, b.ppid);
    EXPECT_EQ(a.parentId, b.parentId);
    EXPECT_EQ(a.previousImageId, b.previousImageId);
    EXPECT_EQ(a.execSeq, b.execSeq);
    EXPECT_EQ(a.exe, b.exe);
    EXPECT_EQ(a.argv, b.argv);
    EXPECT_EQ(a.env, b.env);
    EXPECT_EQ(a.startNs, b.startNs);
    EXPECT_EQ(a.endNs, b.endNs);
    EXPECT_EQ(a.endReason, b.endReason);
    EXPECT_EQ(a.exitCode, b.exitCode);
    EXPECT_EQ(a.signal, b.signal);
    EXPECT_EQ(a.coreDumped, b.coreDumped);
    EXPECT_EQ(a.recorded, b.recorded);
}

void expectSame(const OutputChunk &a, const OutputChunk &b)
{
    SCOPED_TRACE("output chunk " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.processId, b.processId);
    EXPECT_EQ(a.stream, b.stream);
    EXPECT_EQ(a.tsNs, b.tsNs);
    EXPECT_EQ(a.data.size(), b.data.size());
    EXPECT_TRUE(a.data == b.data) << "bytes differ";
}

void expectSame(const Event &a, const Event &b)
{
    SCOPED_TRACE("event " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.runId, b.runId);
    EXPECT_EQ(a.processId, b.processId);
    EXPECT_EQ(a.tid, b.tid);
    EXPECT_EQ(a.tsNs, b.tsNs);
    EXPECT_EQ(a.durNs, b.durNs);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.payload, b.payload);
}

void expectSame(const LibSearch &a, const LibSearch &b)
{
    SCOPED_TRACE("lib search " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.processId, b.processId);
    EXPECT_EQ(a.tid, b.tid);
    EXPECT_EQ(a.tsNs, b.tsNs);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.requester, b.requester);
    EXPECT_EQ(a.outcome, b.outcome);
    EXPECT_EQ(a.resultPath, b.resultPath);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (qsizetype i = 0; i < a.steps.size(); ++i) {
        EXPECT_EQ(a.steps[i].path, b.steps[i].path);
        EXPECT_EQ(a.steps[i].origin, b.steps[i].origin);
        EXPECT_EQ(a.steps[i].exists, b.steps[i].exists);
    }
}

void expectSame(const LibLoad &a, const LibLoad &b)
{
    SCOPED_TRACE("lib load " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.processId, b.processId);
    EXPECT_EQ(a.tid, b.tid);
    EXPECT_EQ(a.tsNs, b.tsNs);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.soname, b.soname);
    EXPECT_EQ(a.lmid, b.lmid);
    EXPECT_EQ(a.base, b.base);
    EXPECT_EQ(a.unloadNs, b.unloadNs);
}

void expectSame(const Artifact &a, const Artifact &b)
{
    SCOPED_TRACE("artifact " + std::to_string(a.id));
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.runId, b.runId);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.sha256, b.sha256);
    EXPECT_EQ(a.content, b.content);
}

template<typename T>
QList<T> where(const QList<T> &all, auto &&keep)
{
    QList<T> out;
    for (const T &t : all)
        if (keep(t))
            out.append(t);
    return out;
}

template<typename T>
void expectSameLists(QList<T> expected, const QList<T> &actual, auto &&order)
{
    std::stable_sort(expected.begin(), expected.end(), order);
    ASSERT_EQ(expected.size(), actual.size());
    for (qsizetype i = 0; i < expected.size(); ++i)
        expectSame(expected[i], actual[i]);
}

const auto byTime = [](const auto &a, const auto &b) {
    return a.tsNs != b.tsNs ? a.tsNs < b.tsNs : a.id < b.id;
};
const auto byId = [](const auto &a, const auto &b) { return a.id < b.id; };

class BundleRoundTrip : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("sample.initscope"));
        ASSERT_TRUE(writeSample(path, &sample));
        BundleError error;
        reader = BundleReader::open(path, &error);
        ASSERT_TRUE(reader) << error.message.toStdString();
    }
    void TearDown() override
    {
        if (reader) {
            EXPECT_FALSE(reader->queryError().has_value())
                << reader->queryError()->message.toStdString();
        }
    }

    QTemporaryDir dir;
    QString path;
    Sample sample;
    std::unique_ptr<BundleReader> reader;
};

} // namespace

TEST_F(BundleRoundTrip, MetadataKeepsFreeKeysAndRecordsFormatAndWriterVersion)
{
    const QMap<QString, QString> meta = reader->metadata();
    for (auto it = sample.metadata.cbegin(); it != sample.metadata.cend(); ++it)
        EXPECT_EQ(meta.value(it.key()), it.value()) << it.key().toStdString();
    EXPECT_EQ(meta.value(QStringLiteral("format_version")), QString::number(kBundleFormatVersion));
    EXPECT_EQ(meta.value(QStringLiteral("writer_version")), QStringLiteral(INITSCOPE_VERSION));
    EXPECT_EQ(reader->formatVersion(), kBundleFormatVersion);
    EXPECT_EQ(reader->path(), path);
}

TEST_F(BundleRoundTrip, RunsKeepEveryField)
{
    expectSameLists(sample.runs, reader->runs(), byId);
}

TEST_F(BundleRoundTrip, ProcessesKeepEveryFieldIncludingExecChainSignalAndUnknownEnd)
{
    for (const initscope::Run &run : sample.runs) {
        const auto expected =
            where(sample.processes, [&](const Process &p) { return p.runId == run.id; });
        expectSameLists(expected, reader->processes(run.id), byId);
        for (const Process &p : expected) {
            const std::optional<Process> one = reader->process(p.id);
            ASSERT_TRUE(one.has_value());
            expectSame(p, *one);
        }
    }
}

TEST_F(BundleRoundTrip, OutputKeepsEveryByteValueAndAOneMiBLine)
{
    for (const Process &p : sample.processes) {
        const auto expected =
            where(sample.output, [&](const OutputChunk &c) { return c.processId == p.id; });
        expectSameLists(expected, reader->output(p.id), byId);
        qint64 bytes = 0;
        for (const OutputChunk &c : expected)
            bytes += c.data.size();
        EXPECT_EQ(reader->outputSize(p.id), bytes);
    }
    const QList<OutputChunk> server = reader->output(sample.processes[1].id);
    ASSERT_EQ(server.size(), 4);
    EXPECT_EQ(server[1].data, allByteValues());
    EXPECT_EQ(server[2].data.size(), 1024 * 1024);
}

TEST_F(BundleRoundTrip, EventsKeepEveryFieldAndComeBackInTimeOrder)
{
    for (const initscope::Run &run : sample.runs) {
        const auto ofRun = where(sample.events, [&](const Event &e) { return e.runId == run.id; });
        // Events added by addLibSearch/addLibLoad are checked in their own test.
        const auto read = where(reader->events(run.id), [](const Event &e) {
            return !e.kind.startsWith(QLatin1String("lib."));
        });
        expectSameLists(ofRun, read, byTime);
    }
    for (const Process &p : sample.processes) {
        const auto expected =
            where(sample.events, [&](const Event &e) { return e.processId == p.id; });
        const auto read = where(reader->events(p.runId, p.id), [](const Event &e) {
            return !e.kind.startsWith(QLatin1String("lib."));
        });
        expectSameLists(expected, read, byTime);
    }
}

TEST_F(BundleRoundTrip, EventCountsIncludeLibraryEvents)
{
    const qint64 runId = sample.runs[0].id;
    const qint64 plain =
        where(sample.events, [&](const Event &e) { return e.runId == runId; }).size();
    EXPECT_EQ(reader->eventCount(runId), plain + sample.searches.size() + sample.loads.size());
    const Process &runner = sample.processes[2];
    EXPECT_EQ(reader->eventCount(runId, runner.id), 2 + 2 + 1); // 2 calls, 2 searches, 1 load
    EXPECT_EQ(reader->eventCount(sample.runs[1].id), 1);
    EXPECT_EQ(reader->eventCount(runId, runner.id), reader->events(runId, runner.id).size());
}

TEST_F(BundleRoundTrip, LibSearchesKeepTheirOrderedSteps)
{
    const qint64 runId = sample.runs[0].id;
    expectSameLists(sample.searches, reader->libSearches(runId), byTime);
    for (const Process &p : sample.processes) {
        const auto expected =
            where(sample.searches, [&](const LibSearch &s) { return s.processId == p.id; });
        expectSameLists(expected, reader->libSearches(p.runId, p.id), byTime);
    }
    EXPECT_TRUE(reader->libSearches(sample.runs[1].id).isEmpty());
}

TEST_F(BundleRoundTrip, LibLoadsKeepEveryFieldIncludingAddressesAbove2To63)
{
    const qint64 runId = sample.runs[0].id;
    expectSameLists(sample.loads, reader->libLoads(runId), byTime);
    for (const Process &p : sample.processes) {
        const auto expected =
            where(sample.loads, [&](const LibLoad &l) { return l.processId == p.id; });
        expectSameLists(expected, reader->libLoads(p.runId, p.id), byTime);
    }
}

TEST_F(BundleRoundTrip, LibSearchesAndLoadsEachGetAnEventThatLinksBackToTheirRow)
{
    const qint64 runId = sample.runs[0].id;
    QHash<qint64, Event> events;
    for (const Event &e : reader->events(runId))
        events.insert(e.id, e);
    for (const LibSearch &s : reader->libSearches(runId)) {
        ASSERT_TRUE(events.contains(s.eventId)) << s.eventId;
        const Event e = events.value(s.eventId);
        EXPECT_EQ(e.kind, QStringLiteral("lib.search"));
        EXPECT_EQ(e.name, s.name);
        EXPECT_EQ(e.processId, s.processId);
        EXPECT_EQ(e.tid, s.tid);
        EXPECT_EQ(e.tsNs, s.tsNs);
        EXPECT_EQ(QJsonDocument::fromJson(e.payload)
                      .object()
                      .value(QLatin1String("lib_search_id"))
                      .toInteger(),
                  s.id);
    }
    for (const LibLoad &l : reader->libLoads(runId)) {
        ASSERT_TRUE(events.contains(l.eventId)) << l.eventId;
        const Event e = events.value(l.eventId);
        EXPECT_EQ(e.kind, QStringLiteral("lib.load"));
        EXPECT_EQ(e.name, l.path);
        EXPECT_EQ(e.processId, l.processId);
        EXPECT_EQ(e.tsNs, l.tsNs);
        EXPECT_EQ(QJsonDocument::fromJson(e.payload)
                      .object()
                      .value(QLatin1String("lib_load_id"))
                      .toInteger(),
                  l.id);
    }
}

TEST_F(BundleRoundTrip, ArtifactsKeepEveryFieldAndBinaryContent)
{
    for (const initscope::Run &run : sample.runs) {
        const auto expected =
            where(sample.artifacts, [&](const Artifact &a) { return a.runId == run.id; });
        expectSameLists(expected, reader->artifacts(run.id), byId);
    }
}

TEST_F(BundleRoundTrip, UnknownIdsGiveEmptyAnswersWithoutAnError)
{
    EXPECT_FALSE(reader->process(999999).has_value());
    EXPECT_TRUE(reader->processes(999999).isEmpty());
    EXPECT_TRUE(reader->output(999999).isEmpty());
    EXPECT_EQ(reader->outputSize(999999), 0);
    EXPECT_TRUE(reader->events(999999).isEmpty());
    EXPECT_EQ(reader->eventCount(999999), 0);
    EXPECT_TRUE(reader->libSearches(999999).isEmpty());
    EXPECT_TRUE(reader->libLoads(999999).isEmpty());
    EXPECT_TRUE(reader->artifacts(999999).isEmpty());
}

TEST(BundleWrite, UpdatesReplaceRunAndProcessFieldsIncludingArgvAndEnv)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("update.initscope"));
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w) << error.message.toStdString();
    initscope::Run run;
    run.name = QStringLiteral("before");
    run.id = w->addRun(run);
    Process p;
    p.runId = run.id;
    p.pid = 7;
    p.argv = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    p.env = {QStringLiteral("X=1")};
    p.id = w->addProcess(p);

    run.name = QStringLiteral("after");
    run.durationNs = 99;
    run.exitCode = 3;
    w->updateRun(run);
    p.argv = {QStringLiteral("z")};
    p.env = {QStringLiteral("Y=2"), QStringLiteral("X=1")};
    p.exe = QStringLiteral("/bin/z");
    p.endNs = 50;
    p.endReason = EndReason::Exited;
    p.exitCode = 3;
    w->updateProcess(p);
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

    auto r = BundleReader::open(path, &error);
    ASSERT_TRUE(r) << error.message.toStdString();
    ASSERT_EQ(r->runs().size(), 1);
    expectSame(run, r->runs().first());
    ASSERT_TRUE(r->process(p.id).has_value());
    expectSame(p, *r->process(p.id));
}

TEST(BundleWrite, RepeatedEnvironmentStringsAreStoredOnce)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("env.initscope"));
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    ASSERT_TRUE(w) << error.message.toStdString();
    initscope::Run run;
    run.id = w->addRun(run);
    QStringList env;
    for (int i = 0; i < 50; ++i)
        env.append(QStringLiteral("VAR_%1=%2").arg(i).arg(QString(200, QLatin1Char('v'))));
    for (int i = 0; i < 300; ++i) {
        Process p;
        p.runId = run.id;
        p.pid = i;
        p.exe = QStringLiteral("/bin/worker");
        p.argv = {QStringLiteral("worker")};
        p.env = env;
        w->addProcess(p);
    }
    ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();

    auto r = BundleReader::open(path, &error);
    ASSERT_TRUE(r) << error.message.toStdString();
    const QList<Process> processes = r->processes(run.id);
    ASSERT_EQ(processes.size(), 300);
    EXPECT_EQ(processes.last().env, env);
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("env-check"));
        db.setDatabaseName(path);
        ASSERT_TRUE(db.open());
        QSqlQuery q(db);
        ASSERT_TRUE(q.exec(QStringLiteral("SELECT COUNT(*) FROM strings")) && q.next());
        EXPECT_EQ(q.value(0).toInt(), 50 + 2); // the env entries, "/bin/worker", "worker"
        ASSERT_TRUE(q.exec(QStringLiteral("SELECT COUNT(*) FROM process_env")) && q.next());
        EXPECT_EQ(q.value(0).toInt(), 300 * 50);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("env-check"));
}

TEST(BundleWrite, FileIsPlainSqliteWithFormatVersionInMeta)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("plain.initscope"));
    ASSERT_TRUE(writeBulk(path, 10));
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("plain-check"));
        db.setDatabaseName(path);
        ASSERT_TRUE(db.open());
        QSqlQuery q(db);
        ASSERT_TRUE(q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'format_version'")) &&
                    q.next());
        EXPECT_EQ(q.value(0).toString(), QString::number(kBundleFormatVersion));
        ASSERT_TRUE(q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                                          " AND name = 'events_run_ts'")) && q.next());
        EXPECT_EQ(q.value(0).toInt(), 1);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("plain-check"));
}

TEST(BundleWrite, HundredThousandEventsWriteInUnderFiveSeconds)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.initscope"));
    QElapsedTimer timer;
    timer.start();
    ASSERT_TRUE(writeBulk(path, 100000));
    const qint64 ms = timer.elapsed();
    RecordProperty("write_ms", int(ms));
    std::cout << "100000 events written in " << ms << " ms\n";
    EXPECT_LT(ms, 5000);
    BundleError error;
    auto r = BundleReader::open(path, &error);
    ASSERT_TRUE(r) << error.message.toStdString();
    EXPECT_EQ(r->eventCount(r->runs().first().id), 100000);
}
