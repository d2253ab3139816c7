// The lean event reads (core/eventscan.h) answer what BundleReader answers, without payloads
// unless asked, with each call's status read from its payload bytes.
#include "bundle.h"
#include "eventscan.h"

#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

class EventScanTest : public ::testing::Test
{
protected:
    QTemporaryDir dir;
    QString path;
    qint64 runId = -1;
    qint64 first = -1;  // process ids
    qint64 second = -1;

    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("scan.initscope"));
        BundleError error;
        auto w = BundleWriter::create(path, &error);
        ASSERT_TRUE(w);
        initscope::Run run;
        run.name = QStringLiteral("scan");
        runId = w->addRun(run);
        Process p;
        p.runId = runId;
        p.pid = 100;
        first = w->addProcess(p);
        p.pid = 200;
        second = w->addProcess(p);
        auto add = [&](qint64 process, qint64 ts, const char *kind, const char *name, const char *payload) {
            Event e;
            e.processId = process;
            e.tid = process * 10;
            e.tsNs = ts;
            e.durNs = 5;
            e.kind = QString::fromLatin1(kind);
            e.name = QString::fromLatin1(name);
            e.payload = payload;
            w->addEvent(e);
        };
        // Written out of time order: the scanner must sort.
        add(first, 300, "cuda.call", "cuMemAlloc_v2", R"({"function":"cuMemAlloc_v2","ok":false,"result":{"code":2,"ok":false}})");
        add(first, 100, "cuda.call", "cuInit", R"({"function":"cuInit","ok":true,"result":{"code":0,"ok":true}})");
        // A nested result that failed does not make a call that succeeded fail.
        add(first, 200, "cudart.call", "cudaGetDeviceCount",
            R"({"function":"cudaGetDeviceCount","result":{"ok":false,"name":"x"},"out":{"note":"\"ok\":false"},"ok":true})");
        add(first, 200, "lib.search", "libcuda.so.1", R"({"outcome":"found","ok":false})");
        add(first, 400, "nvml.call", "nvmlDeviceGetCount_v2", R"({"function":"nvmlDeviceGetCount_v2","ok":false,"unfinished":true})");
        // No top-level "ok": the result's code decides.
        add(second, 150, "cuda.call", "cuDeviceGetName", R"({"function":"cuDeviceGetName","result":{"code":101}})");
        add(second, 160, "cuda.call", "cuDeviceGet", R"({"function":"cuDeviceGet","result":{"code":0}})");
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    }
};

TEST_F(EventScanTest, RowsComeInTimeOrderWithTiesByIdAndMatchTheReader)
{
    QString error;
    auto scanner = EventScanner::open(path, &error);
    ASSERT_TRUE(scanner) << error.toStdString();
    EventScanQuery query;
    query.runId = runId;
    const std::vector<EventRow> rows = scanner->rows(query, &error);
    EXPECT_TRUE(error.isEmpty()) << error.toStdString();
    BundleError openError;
    auto reader = BundleReader::open(path, &openError);
    ASSERT_TRUE(reader);
    const QList<Event> events = reader->events(runId);
    ASSERT_EQ(rows.size(), size_t(events.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
        const Event &e = events[qsizetype(i)];
        EXPECT_EQ(rows[i].id, e.id);
        EXPECT_EQ(rows[i].tsNs, e.tsNs);
        EXPECT_EQ(rows[i].processId, e.processId);
        EXPECT_EQ(rows[i].tid, e.tid);
        EXPECT_EQ(scanner->text(rows[i].kindId), e.kind);
        EXPECT_EQ(scanner->text(rows[i].nameId), e.name);
        if (i > 0) {
            EXPECT_TRUE(rows[i - 1].tsNs < rows[i].tsNs
                        || (rows[i - 1].tsNs == rows[i].tsNs && rows[i - 1].id < rows[i].id));
        }
    }
    EXPECT_EQ(scanner->count(query), qint64(rows.size()));
}

TEST_F(EventScanTest, StatusComesFromTheTopLevelOfTheCallPayload)
{
    QString error;
    auto scanner = EventScanner::open(path, &error);
    ASSERT_TRUE(scanner);
    EventScanQuery query;
    query.runId = runId;
    QHash<QString, CallStatus> status;
    for (const EventRow &row : scanner->rows(query))
        status.insert(scanner->text(row.nameId), row.status);
    EXPECT_EQ(status.value(QStringLiteral("cuInit")), CallStatus::Ok);
    EXPECT_EQ(status.value(QStringLiteral("cuMemAlloc_v2")), CallStatus::Failed);
    EXPECT_EQ(status.value(QStringLiteral("cudaGetDeviceCount")), CallStatus::Ok);
    EXPECT_EQ(status.value(QStringLiteral("libcuda.so.1")), CallStatus::NotACall);
    EXPECT_EQ(status.value(QStringLiteral("nvmlDeviceGetCount_v2")), CallStatus::Unfinished);
    EXPECT_EQ(status.value(QStringLiteral("cuDeviceGetName")), CallStatus::Failed);
    EXPECT_EQ(status.value(QStringLiteral("cuDeviceGet")), CallStatus::Ok);
}

TEST_F(EventScanTest, TopLevelValueSkipsNestedObjectsAndStrings)
{
    const QByteArray json = R"({"a":{"ok":false,"b":[1,{"c":2}]},"s":"x,\"ok\":true}","ok":true,"n":12})";
    EXPECT_EQ(topLevelJsonValue(json, "ok"), QByteArrayView("true"));
    EXPECT_EQ(topLevelJsonValue(json, "a"), QByteArrayView(R"({"ok":false,"b":[1,{"c":2}]})"));
    EXPECT_EQ(topLevelJsonValue(json, "s"), QByteArrayView(R"("x,\"ok\":true}")"));
    EXPECT_EQ(topLevelJsonValue(json, "n"), QByteArrayView("12"));
    EXPECT_TRUE(topLevelJsonValue(json, "c").isEmpty());
}

TEST_F(EventScanTest, FiltersByProcessKindAndNamePrefix)
{
    QString error;
    auto scanner = EventScanner::open(path, &error);
    ASSERT_TRUE(scanner);
    EventScanQuery query;
    query.runId = runId;
    query.processId = second;
    EXPECT_EQ(scanner->rows(query).size(), 2u);
    query.processId = -1;
    query.kinds = {QStringLiteral("cuda.call")};
    EXPECT_EQ(scanner->rows(query).size(), 4u);
    query.kinds = {QStringLiteral("no.such.kind")};
    EXPECT_TRUE(scanner->rows(query).empty());
    query.kinds.clear();
    query.namePrefixes = {QStringLiteral("cuDevice"), QStringLiteral("nvml")};
    QStringList names;
    for (const EventRow &row : scanner->rows(query))
        names.append(scanner->text(row.nameId));
    EXPECT_EQ(names, (QStringList{QStringLiteral("cuDeviceGetName"), QStringLiteral("cuDeviceGet"),
                                  QStringLiteral("nvmlDeviceGetCount_v2")}));
}

TEST_F(EventScanTest, CountOfProcessFromTheIndexMatchesItsRows)
{
    QString error;
    auto scanner = EventScanner::open(path, &error);
    ASSERT_TRUE(scanner);
    EventScanQuery query;
    query.runId = runId;
    for (qint64 process : {first, second}) {
        query.processId = process;
        EXPECT_EQ(scanner->countOfProcess(process), qint64(scanner->rows(query).size())) << process;
    }
    EXPECT_EQ(scanner->countOfProcess(first), 5);
    EXPECT_EQ(scanner->countOfProcess(second + 100), 0) << "no such process";
}

TEST_F(EventScanTest, PayloadsComeOnlyWhenAskedOrById)
{
    QString error;
    auto scanner = EventScanner::open(path, &error);
    ASSERT_TRUE(scanner);
    EventScanQuery query;
    query.runId = runId;
    int withBytes = 0;
    scanner->scan(query, [&](const EventRow &, QByteArrayView payload) {
        withBytes += payload.isEmpty() ? 0 : 1;
        return true;
    });
    EXPECT_EQ(withBytes, 0);
    query.withPayload = true;
    QList<qint64> ids;
    scanner->scan(query, [&](const EventRow &row, QByteArrayView payload) {
        EXPECT_FALSE(payload.isEmpty());
        ids.append(row.id);
        return ids.size() < 3; // stops early
    });
    EXPECT_EQ(ids.size(), 3);
    const QHash<qint64, QByteArray> payloads = scanner->payloads(ids + QList<qint64>{999999});
    EXPECT_EQ(payloads.size(), 3);
    BundleError openError;
    auto reader = BundleReader::open(path, &openError);
    ASSERT_TRUE(reader);
    for (const Event &e : reader->events(runId)) {
        if (!ids.contains(e.id))
            continue;
        EXPECT_EQ(payloads.value(e.id), e.payload);
        const std::optional<Event> one = scanner->event(e.id);
        ASSERT_TRUE(one);
        EXPECT_EQ(one->kind, e.kind);
        EXPECT_EQ(one->name, e.name);
        EXPECT_EQ(one->payload, e.payload);
        EXPECT_EQ(one->runId, runId);
    }
    EXPECT_FALSE(scanner->event(999999));
}

TEST_F(EventScanTest, OpeningAMissingFileIsAnError)
{
    QString error;
    EXPECT_FALSE(EventScanner::open(dir.filePath(QStringLiteral("missing.initscope")), &error));
    EXPECT_FALSE(error.isEmpty());
}

} // namespace
