// Collected files on the timeline: which time stamps a line may carry, how lines are placed on
// the run's axis, and the lanes loadTimelineIndex() makes of a bundle's collected files.
// ctest runs this with TZ=XST-05:30 (UTC+05:30), so a stamp without a zone is read in local
// time that differs from UTC.
#include "bundle.h"
#include "collectedlines.h"
#include "timelinesource.h"

#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace
{

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kMs = 1'000'000;
// 2026-11-26T22:31:25Z, which is 2026-11-27 04:01:25 at UTC+05:30.
constexpr qint64 kStamp = 1795732285 * kSecond;
// The run starts half a second before it.
constexpr qint64 kRunStart = kStamp - 500 * kMs;

std::optional<qint64> stampOf(const char *line)
{
    return lineTimestampNs(QByteArrayView(line));
}

} // namespace

TEST(LineTimestamp, ReadsIso8601WithTOrSpaceFractionAndZone)
{
    EXPECT_EQ(stampOf("2026-11-26T22:31:25Z cuInit"), kStamp);
    EXPECT_EQ(stampOf("2026-11-26T22:31:25.123456Z cuInit"), kStamp + 123456000);
    EXPECT_EQ(stampOf("2026-11-26 22:31:25.123Z cuInit"), kStamp + 123 * kMs);
    EXPECT_EQ(stampOf("2026-11-26T23:31:25.5+01:00 cuInit"), kStamp + 500 * kMs);
    EXPECT_EQ(stampOf("2026-11-26T21:31:25-0100 cuInit"), kStamp);
    EXPECT_EQ(stampOf("2026-11-26T22:31:25,000000001Z"), kStamp + 1);
    EXPECT_EQ(stampOf("  2026-11-26T22:31:25Z indented"), kStamp);
}

TEST(LineTimestamp, AStampWithoutAZoneIsLocalTime)
{
    EXPECT_EQ(stampOf("2026-11-27 04:01:25.250 [info] loaded"), kStamp + 250 * kMs);
    EXPECT_EQ(stampOf("2026-11-27T04:01:25 loaded"), kStamp);
    // Go's log package, as in the first lines of `ollama serve`.
    EXPECT_EQ(stampOf("2026/11/27 04:01:25 routes.go:1259: INFO server config"), kStamp);
}

TEST(LineTimestamp, ReadsTheLogfmtTimeFieldOfOllamasServerLog)
{
    EXPECT_EQ(stampOf("time=2026-11-27T04:01:25.123+05:30 level=INFO source=gpu.go:221 msg=\"looking for"
                      " compatible GPUs\""),
              kStamp + 123 * kMs);
    EXPECT_EQ(stampOf("level=DEBUG time=\"2026-11-26T22:31:25Z\" msg=x"), kStamp);
    // A key that merely ends in "time" is not the field.
    EXPECT_EQ(stampOf("level=DEBUG runtime=2026-11-26T22:31:25Z"), std::nullopt);
}

TEST(LineTimestamp, ReadsABracketedStampAtTheStart)
{
    EXPECT_EQ(stampOf("[2026-11-27 04:01:25.123] [shim] cuDeviceGetCount -> 1"), kStamp + 123 * kMs);
    EXPECT_EQ(stampOf("[2026-11-26T22:31:25Z] shim loaded"), kStamp);
    EXPECT_EQ(stampOf("[1795732285.5] shim loaded"), kStamp + 500 * kMs);
}

TEST(LineTimestamp, ReadsUnixEpochSecondsAtTheStart)
{
    EXPECT_EQ(stampOf("1795732285.123 cuInit(0)"), kStamp + 123 * kMs);
    EXPECT_EQ(stampOf("1795732285 cuInit(0)"), kStamp);
    EXPECT_EQ(stampOf("1795732285.123456789"), kStamp + 123456789);
}

TEST(LineTimestamp, LinesWithoutARecognisedStampHaveNone)
{
    for (const char *line :
         {"", "cuInit returned CUDA_SUCCESS", "    at frame #3 in libcuda.so.1", "22:31:25 a time alone",
          "2026-13-01 00:00:00 no such month", "2026-11-26 a date alone", "12345 a short number",
          "17957322850 eleven digits", "pid 1795732285 in the middle", "[shim] 2026-11-26T22:31:25Z later"}) {
        EXPECT_EQ(stampOf(line), std::nullopt) << line;
    }
}

TEST(CollectedLines, PlacesStampedLinesAtTheirTimeSinceTheRunStart)
{
    const QByteArray log = "2026-11-26T22:31:24.600Z shim loaded\n"
                           "2026-11-26T22:31:25Z cuInit(0)\n"
                           "2026-11-26T22:31:25.750Z cuDeviceGetCount -> 1\n";
    const CollectedLines placed = placeCollectedLines(log, kRunStart, 10 * kSecond);
    ASSERT_EQ(placed.lines.size(), 3u);
    EXPECT_EQ(placed.lines[0].number, 1);
    EXPECT_EQ(placed.lines[0].tsNs, 100 * kMs);
    EXPECT_EQ(placed.lines[1].number, 2);
    EXPECT_EQ(placed.lines[1].tsNs, 500 * kMs);
    EXPECT_EQ(placed.lines[2].number, 3);
    EXPECT_EQ(placed.lines[2].tsNs, 1250 * kMs);
    EXPECT_EQ(placed.lineCount, 3);
    EXPECT_EQ(placed.stamped, 3);
    EXPECT_EQ(placed.outsideRun, 0);
}

TEST(CollectedLines, UnstampedLinesContinueTheStampedLineBeforeAndAreNotPlaced)
{
    const QByteArray log = "shim 1.2 starting\n"                      // before any stamp: not placed
                           "2026-11-26T22:31:25Z cuInit failed:\n"
                           "  CUDA_ERROR_NO_DEVICE\n"
                           "  at libcuda-shim.c:120\n"
                           "2026-11-26T22:31:26Z giving up\n";
    const CollectedLines placed = placeCollectedLines(log, kRunStart, 10 * kSecond);
    ASSERT_EQ(placed.lines.size(), 2u);
    EXPECT_EQ(placed.lines[0].number, 2);
    EXPECT_EQ(placed.lines[0].continuationLines, 2);
    EXPECT_EQ(placed.lines[1].number, 5);
    EXPECT_EQ(placed.lines[1].continuationLines, 0);
    EXPECT_EQ(placed.lineCount, 5);
    // The message of a placed line is the line with its continuation, and nothing after it.
    EXPECT_EQ(collectedMessage(log, 2),
              QStringLiteral("2026-11-26T22:31:25Z cuInit failed:\n  CUDA_ERROR_NO_DEVICE\n  at libcuda-shim.c:120"));
    EXPECT_EQ(collectedMessage(log, 5), QStringLiteral("2026-11-26T22:31:26Z giving up"));
    EXPECT_EQ(collectedMessage(log, 9), QString());
}

TEST(CollectedLines, DropsLinesOutsideTheRunExceptWithinASecondOfIt)
{
    const QByteArray log = "2026-11-26T20:00:00Z an earlier run's line\n" // hours before: dropped
                           "  its continuation\n"                       // dropped with it
                           "2026-11-26T22:31:24Z just before the start\n"   // -0.5 s: kept
                           "2026-11-26T22:31:34Z just after the end\n"      // 9.5 s, run of 9 s: kept
                           "2026-11-26T22:31:40Z long after the end\n";     // 15.5 s: dropped
    const CollectedLines placed = placeCollectedLines(log, kRunStart, 9 * kSecond);
    ASSERT_EQ(placed.lines.size(), 2u);
    EXPECT_EQ(placed.lines[0].number, 3);
    EXPECT_EQ(placed.lines[0].tsNs, -500 * kMs); // at its own time, not moved to 0
    EXPECT_EQ(placed.lines[0].continuationLines, 0);
    EXPECT_EQ(placed.lines[1].number, 4);
    EXPECT_EQ(placed.lines[1].tsNs, 9500 * kMs);
    EXPECT_EQ(placed.stamped, 4);
    EXPECT_EQ(placed.outsideRun, 2);

    // A run whose end is unknown limits only the start.
    EXPECT_EQ(placeCollectedLines(log, kRunStart, 0).lines.size(), 3u);
}

TEST(CollectedLines, AFileWithoutStampsGivesNoLines)
{
    const QByteArray log = "shim starting\ncuInit -> 0\ncuDeviceGetCount -> 1\n";
    const CollectedLines placed = placeCollectedLines(log, kRunStart, 10 * kSecond);
    EXPECT_TRUE(placed.lines.empty());
    EXPECT_EQ(placed.lineCount, 3);
    EXPECT_EQ(placed.stamped, 0);
    EXPECT_TRUE(placeCollectedLines(QByteArray(), kRunStart, 10 * kSecond).lines.empty());
}

TEST(CollectedLines, CrLfEndingsAByteOrderMarkAndAMissingLastNewlineDoNotHideLines)
{
    const QByteArray log = "\xEF\xBB\xBF" "2026-11-26T22:31:25Z first\r\n"
                           "2026-11-26T22:31:26Z last";
    const CollectedLines placed = placeCollectedLines(log, kRunStart, 10 * kSecond);
    ASSERT_EQ(placed.lines.size(), 2u);
    EXPECT_EQ(placed.lines[0].tsNs, 500 * kMs);
    EXPECT_EQ(placed.lines[1].number, 2);
    EXPECT_EQ(collectedMessage(log, 1), QStringLiteral("2026-11-26T22:31:25Z first"));
}

// ---------------------------------------------------------------------------------------------
// The timeline index of a bundle with collected files

namespace
{

struct CollectedBundle {
    QString path;
    qint64 runId = -1;
    qint64 processId = -1;
    qint64 logId = -1;
    qint64 plainRunId = -1; // a second run, whose one collected file has no stamps
};

// One run with one process, a collected shim log of 3 stamped lines and 1 continuation line and
// a shim library whose bytes hold a stamp; a second run with a collected file without stamps.
CollectedBundle writeCollectedBundle(const QTemporaryDir &dir)
{
    CollectedBundle b;
    b.path = dir.filePath(QStringLiteral("collected.initscope"));
    BundleError error;
    auto w = BundleWriter::create(b.path, &error);
    if (!w)
        return {};
    Run run;
    run.name = QStringLiteral("probe");
    run.command = {QStringLiteral("initscope-probe")};
    run.startRealtimeNs = kRunStart;
    run.durationNs = 3 * kSecond;
    b.runId = w->addRun(run);
    Process p;
    p.runId = b.runId;
    p.pid = 4100;
    p.exe = QStringLiteral("/usr/bin/initscope-probe");
    p.argv = run.command;
    p.startNs = 0;
    p.endNs = 3 * kSecond;
    p.endReason = EndReason::Exited;
    b.processId = w->addProcess(p);
    OutputChunk chunk;
    chunk.processId = b.processId;
    chunk.tsNs = 200 * kMs;
    chunk.data = "probing\n";
    w->addOutput(chunk);

    auto artifact = [&](const QString &kind, const QString &path, const QByteArray &content,
                        qint64 runId) {
        Artifact a;
        a.runId = runId;
        a.kind = kind;
        a.path = path;
        a.size = content.size();
        a.sha256 = "0";
        a.content = content;
        return w->addArtifact(a);
    };
    artifact(QStringLiteral("shim"), QStringLiteral("/opt/shim/libcuda.so.1"),
             "2026-11-26T22:31:25Z not a log\n", b.runId);
    b.logId = artifact(QStringLiteral("collected"), QStringLiteral("/tmp/shim/libcuda-shim.log"),
                       "2026-11-26T22:31:24.600Z shim loaded\n"
                       "2026-11-26T22:31:25Z cuInit(0) -> CUDA_ERROR_NO_DEVICE\n"
                       "  (no device behind /dev/nvidia0)\n"
                       "time=2026-11-26T22:31:26.500Z level=INFO msg=\"shim unloaded\"\n",
                       b.runId);
    b.plainRunId = w->addRun(run);
    p.runId = b.plainRunId;
    w->addProcess(p);
    artifact(QStringLiteral("collected"), QStringLiteral("/tmp/shim/plain.txt"),
             "shim loaded\ncuInit(0) -> 0\n", b.plainRunId);
    if (!w->commit(&error))
        return {};
    return b;
}

} // namespace

TEST(TimelineCollected, ACollectedLogGetsALaneWithAnInstantPerStampedLine)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const CollectedBundle b = writeCollectedBundle(dir);
    ASSERT_GE(b.runId, 0);
    TimelineProcessInfo info;
    info.id = b.processId;
    info.pid = 4100;
    info.title = QStringLiteral("initscope-probe (4100)");
    QString error;
    TimelineLoadStats stats;
    const std::optional<TimelineIndex> index =
        loadTimelineIndex(b.path, b.runId, 3 * kSecond, {info}, nullptr, &error, &stats);
    ASSERT_TRUE(index) << error.toStdString();

    // The process lane, then the group, then one lane for the one file with stamped lines.
    ASSERT_EQ(index->lanes.size(), 3);
    EXPECT_EQ(index->lanes.at(0).kind, TimelineLane::Kind::Process);
    EXPECT_EQ(index->lanes.at(1).kind, TimelineLane::Kind::CollectedGroup);
    EXPECT_EQ(index->lanes.at(1).title, QStringLiteral("Collected files"));
    const TimelineLane &lane = index->lanes.at(2);
    EXPECT_EQ(lane.kind, TimelineLane::Kind::Collected);
    EXPECT_EQ(lane.title, QStringLiteral("libcuda-shim.log"));
    EXPECT_EQ(lane.subtitle, QStringLiteral("/tmp/shim/libcuda-shim.log"));
    EXPECT_EQ(lane.processId, -1);

    ASSERT_EQ(lane.instants.size(), 3);
    const qint64 times[] = {100 * kMs, 500 * kMs, 2000 * kMs};
    const quint32 lines[] = {1, 2, 4};
    for (int i = 0; i < 3; ++i) {
        const TimelineItem &item = lane.instants.at(i);
        EXPECT_EQ(item.startNs, times[i]) << i;
        EXPECT_EQ(item.endNs, times[i]) << i;
        EXPECT_EQ(item.id, b.logId) << i;
        EXPECT_EQ(item.nameId, lines[i]) << i;
        EXPECT_EQ(item.family, TimelineFamily::Output) << i;
        EXPECT_TRUE(item.flags & TimelineFromCollected) << i;
        EXPECT_EQ(index->kinds.value(item.kind), QStringLiteral("collected")) << i;
    }
    EXPECT_EQ(stats.collectedLines, 3);
    // The output chunk is still on the process lane.
    EXPECT_EQ(index->lanes.at(0).instants.size(), 1);

    // An event id that happens to equal the file's artifact id finds no line of the file.
    EXPECT_FALSE(findItem(*index, b.logId).isValid());

    // The hover text's source: the line with its continuation.
    TimelineDetails details(b.path);
    EXPECT_EQ(details.collectedLine(b.logId, 2),
              QStringLiteral("2026-11-26T22:31:25Z cuInit(0) -> CUDA_ERROR_NO_DEVICE\n"
                             "  (no device behind /dev/nvidia0)"));
    EXPECT_EQ(details.collectedLine(b.logId, 4).left(5), QStringLiteral("time="));
}

TEST(TimelineCollected, ACollectedFileWithoutStampsAddsNoLaneAndNoGroup)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const CollectedBundle b = writeCollectedBundle(dir);
    ASSERT_GE(b.plainRunId, 0);
    QString error;
    const std::optional<TimelineIndex> index =
        loadTimelineIndex(b.path, b.plainRunId, 3 * kSecond, {}, nullptr, &error);
    ASSERT_TRUE(index) << error.toStdString();
    EXPECT_FALSE(index->kinds.contains(QStringLiteral("collected")));
    for (const TimelineLane &lane : index->lanes) {
        EXPECT_NE(lane.kind, TimelineLane::Kind::CollectedGroup);
        EXPECT_NE(lane.kind, TimelineLane::Kind::Collected);
    }
}
