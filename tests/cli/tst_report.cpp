// The Report that `initscope report` and the GUI show: line splitting, error rules, the tree,
// ends, error lines and last events of a bundle with known content, and the JSON shape.
#include "bundle.h"
#include "report.h"
#include "reportfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;
using initscope::test::kMs;

namespace {

OutputChunk chunk(Stream stream, qint64 tsNs, const QByteArray &data)
{
    OutputChunk c;
    c.stream = stream;
    c.tsNs = tsNs;
    c.data = data;
    return c;
}

QList<QByteArray> bytesOf(const QList<OutputLine> &lines)
{
    QList<QByteArray> out;
    for (const OutputLine &l : lines)
        out.append(l.bytes);
    return out;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Line splitting

TEST(OutputLines, LineSpanningSeveralChunksIsJoinedAndStampedWithItsFirstChunk)
{
    const QList<OutputLine> lines = splitOutputLines({
        chunk(Stream::Stderr, 10, "first\nsec"),
        chunk(Stream::Stderr, 20, "o"),
        chunk(Stream::Stderr, 30, "nd\nthird\n"),
    });
    ASSERT_EQ(lines.size(), 3);
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"first", "second", "third"}));
    EXPECT_EQ(lines[0].tsNs, 10);
    EXPECT_EQ(lines[1].tsNs, 10); // "sec" arrived with the first chunk
    EXPECT_EQ(lines[2].tsNs, 30);
    EXPECT_EQ(lines[2].number, 3);
}

TEST(OutputLines, CrLfIsOneLineBreakEvenWhenSplitBetweenChunks)
{
    const QList<OutputLine> lines = splitOutputLines({
        chunk(Stream::Stdout, 1, "a\r\nb\r"),
        chunk(Stream::Stdout, 2, "\nc\r\r\n"),
    });
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"a", "b", "c\r"}));
}

TEST(OutputLines, CarriageReturnInsideALineIsKept)
{
    const QList<OutputLine> lines = splitOutputLines({chunk(Stream::Stdout, 1, "10%\r50%\n")});
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"10%\r50%"}));
}

TEST(OutputLines, LastLineWithoutNewlineIsKeptAndMarkedUnterminated)
{
    const QList<OutputLine> lines =
        splitOutputLines({chunk(Stream::Stderr, 5, "done\nSegmentation fault\r")});
    ASSERT_EQ(lines.size(), 2);
    EXPECT_TRUE(lines[0].terminated);
    EXPECT_EQ(lines[1].bytes, "Segmentation fault");
    EXPECT_FALSE(lines[1].terminated);
}

TEST(OutputLines, FinalNewlineAndEmptyChunksAddNoLinesButEmptyLinesCount)
{
    const QList<OutputLine> lines = splitOutputLines({
        chunk(Stream::Stdout, 1, ""),
        chunk(Stream::Stdout, 2, "a\n\nb\n"),
        chunk(Stream::Stdout, 3, ""),
    });
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"a", "", "b"}));
    EXPECT_TRUE(splitOutputLines({}).isEmpty());
}

TEST(OutputLines, StreamsAreSplitApartNumberedSeparatelyAndOrderedByFirstByte)
{
    const QList<OutputLine> lines = splitOutputLines({
        chunk(Stream::Stdout, 1, "out-1 begins "),
        chunk(Stream::Stderr, 2, "err-1\nerr-2 begins "),
        chunk(Stream::Stdout, 3, "and ends\nout-2\n"),
        chunk(Stream::Stderr, 4, "and ends"),
    });
    ASSERT_EQ(lines.size(), 4);
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"out-1 begins and ends", "err-1",
                                                 "err-2 begins and ends", "out-2"}));
    EXPECT_EQ(lines[0].stream, Stream::Stdout);
    EXPECT_EQ(lines[0].number, 1);
    EXPECT_EQ(lines[1].stream, Stream::Stderr);
    EXPECT_EQ(lines[1].number, 1);
    EXPECT_EQ(lines[2].number, 2);
    EXPECT_EQ(lines[2].tsNs, 2);
    EXPECT_EQ(lines[3].number, 2);
    EXPECT_EQ(lines[3].tsNs, 3);
}

TEST(OutputLines, InvalidUtf8BytesArePassedThroughUntouched)
{
    const QList<OutputLine> lines = splitOutputLines({chunk(Stream::Stdout, 1, "a\xff\n\xc3")});
    EXPECT_EQ(bytesOf(lines), (QList<QByteArray>{"a\xff", "\xc3"}));
}

// ---------------------------------------------------------------------------------------------
// Error rules

TEST(ErrorRules, EveryRuleMatchesItsOwnExample)
{
    const QMap<QString, QString> examples = {
        {QStringLiteral("error"), QStringLiteral("CUDA error: CUDA_ERROR_NO_DEVICE")},
        {QStringLiteral("failed"), QStringLiteral("ggml_cuda_init: FAILED to initialize CUDA")},
        {QStringLiteral("fatal"), QStringLiteral("Fatal: out of memory")},
        {QStringLiteral("panic"), QStringLiteral("panic: runtime error")},
        {QStringLiteral("cannot"), QStringLiteral("Can't open display")},
        {QStringLiteral("unable to"), QStringLiteral("Unable to load library")},
        {QStringLiteral("undefined symbol"), QStringLiteral("undefined symbol: cuMemCreate")},
        {QStringLiteral("no such file"), QStringLiteral("open x: No such file or directory")},
        {QStringLiteral("not found"), QStringLiteral("libcuda.so.1 => not found")},
        {QStringLiteral("segmentation fault"), QStringLiteral("Segmentation fault")},
        {QStringLiteral("abort"), QStringLiteral("Aborted")},
        {QStringLiteral("denied"), QStringLiteral("/dev/nvidia0: Permission denied")},
        {QStringLiteral("terminate called"),
         QStringLiteral("terminate called after throwing an instance of 'std::bad_alloc'")},
    };
    for (const ErrorRule &rule : errorRules()) {
        ASSERT_TRUE(examples.contains(rule.name)) << "no example for rule " << qPrintable(rule.name);
        EXPECT_EQ(matchErrorRule(examples.value(rule.name)), rule.name)
            << qPrintable(examples.value(rule.name));
    }
    EXPECT_EQ(examples.size(), errorRules().size());
}

TEST(ErrorRules, LinesFromTheIncidentMatch)
{
    EXPECT_FALSE(
        matchErrorRule(u"ggml_cuda_init: failed to initialize CUDA: operation not supported")
            .isEmpty());
    EXPECT_FALSE(matchErrorRule(u"libcuda.so.1: cannot open shared object file").isEmpty());
    EXPECT_FALSE(matchErrorRule(u"cudaErrorInsufficientDriver").isEmpty());
    EXPECT_FALSE(matchErrorRule(u"Aborted (core dumped)").isEmpty());
}

TEST(ErrorRules, OrdinaryLinesDoNotMatch)
{
    for (const char *line : {"loaded libcuda.so.1", "inference compute id=0 library=CUDA",
                             "failover to backup", "device found: NVIDIA H100",
                             "cuInit returned 0", "redirecting stderr to log", ""}) {
        EXPECT_EQ(matchErrorRule(QString::fromUtf8(line)), QString()) << line;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

TEST(ReportFormat, MillisecondsHaveThreeDecimalsRoundedAndStayExactForLongRuns)
{
    EXPECT_EQ(formatMs(0), QStringLiteral("0.000"));
    EXPECT_EQ(formatMs(1234567), QStringLiteral("1.235"));
    EXPECT_EQ(formatMs(999499), QStringLiteral("0.999"));
    EXPECT_EQ(formatMs(999500), QStringLiteral("1.000"));
    EXPECT_EQ(formatMs(-2500000), QStringLiteral("-2.500"));
    EXPECT_EQ(formatMs(9007199254740993001LL), QStringLiteral("9007199254740.993"));
}

TEST(ReportFormat, EndsAreDescribedWithSignalNamesFromLinuxNumbers)
{
    Process p;
    p.endReason = EndReason::Exited;
    p.exitCode = 2;
    EXPECT_EQ(describeEnd(p), QStringLiteral("exit code 2"));
    p.endReason = EndReason::Signaled;
    p.signal = 11;
    p.coreDumped = true;
    EXPECT_EQ(describeEnd(p), QStringLiteral("killed by signal SIGSEGV (11) [core dumped]"));
    p.signal = 9;
    p.coreDumped = false;
    EXPECT_EQ(describeEnd(p), QStringLiteral("killed by signal SIGKILL (9)"));
    p.endReason = EndReason::Unknown;
    EXPECT_EQ(describeEnd(p), QStringLiteral("still running or unknown"));
    p.endReason = EndReason::Exec;
    EXPECT_EQ(describeEnd(p), QStringLiteral("exec'd"));
    EXPECT_EQ(signalName(6), QStringLiteral("SIGABRT"));
    EXPECT_EQ(signalName(34), QStringLiteral("SIGRTMIN"));
    EXPECT_EQ(signalName(36), QStringLiteral("SIGRTMIN+2"));
    EXPECT_EQ(signalName(0), QStringLiteral("SIG?"));
}

TEST(ReportFormat, ControlCharactersInOutputCannotReachTheTerminal)
{
    Report report;
    report.run.id = 1;
    ReportProcess rp;
    rp.process.pid = 7;
    rp.process.exe = QStringLiteral("/bin/x");
    rp.process.endReason = EndReason::Exited;
    rp.process.exitCode = 1;
    rp.failed = true;
    ErrorLine e;
    e.line.stream = Stream::Stderr;
    e.line.number = 1;
    e.text = QStringLiteral("\x1b[31merror\x1b[0m\rdone\x7f\u009b2J");
    e.rule = QStringLiteral("error");
    rp.errorLines.append(e);
    report.processes.append(rp);

    const QString text = formatReportText(report);
    EXPECT_TRUE(text.contains(QStringLiteral("\\x1b[31merror\\x1b[0m\\rdone\\x7f<U+009B>2J"))) << qPrintable(text);
    for (QChar c : text)
        EXPECT_TRUE(c == QLatin1Char('\n') || (c.unicode() >= 0x20 && c.unicode() != 0x7f &&
                                                (c.unicode() < 0x80 || c.unicode() > 0x9f)))
            << int(c.unicode());
}

// ---------------------------------------------------------------------------------------------
// A report built from a bundle with known content

class ReportFromBundle : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("fixture.initscope"));
        QString why;
        ASSERT_TRUE(test::writeReportFixture(path, &ids, &why)) << qPrintable(why);
        BundleError error;
        reader = BundleReader::open(path, &error);
        ASSERT_TRUE(reader) << qPrintable(error.message);
        report = buildReport(*reader, ids.runId);
        text = formatReportText(report);
    }

    const ReportProcess *row(qint64 id) const
    {
        for (const ReportProcess &rp : report.processes) {
            if (rp.process.id == id)
                return &rp;
        }
        return nullptr;
    }

    // The lines of one section of the text, from its heading to the next blank line.
    QStringList section(const QString &heading) const
    {
        const QStringList lines = text.split(QLatin1Char('\n'));
        const qsizetype start = lines.indexOf(heading);
        if (start < 0)
            return {};
        QStringList out;
        for (qsizetype i = start + 1; i < lines.size() && !lines[i].isEmpty(); ++i)
            out.append(lines[i]);
        return out;
    }

    QTemporaryDir dir;
    QString path;
    test::ReportFixture ids;
    std::unique_ptr<BundleReader> reader;
    Report report;
    QString text;
};

TEST_F(ReportFromBundle, TreeOrderNestsChildrenUnderTheImageThatForkedThemAndFollowsExecChains)
{
    QList<qint64> order;
    QList<int> depths;
    for (const ReportProcess &rp : report.processes) {
        order.append(rp.process.id);
        depths.append(rp.depth);
    }
    EXPECT_EQ(order, (QList<qint64>{ids.shell, ids.helper, ids.runner, ids.ggml, ids.grandchild,
                                    ids.watcher}));
    EXPECT_EQ(depths, (QList<int>{0, 1, 0, 1, 2, 1}));
    EXPECT_TRUE(row(ids.runner)->execRow);
    EXPECT_FALSE(row(ids.shell)->execRow);
}

TEST_F(ReportFromBundle, TreeTextDrawsPstreeBranchesExecArrowsAndEnds)
{
    const QStringList expected = {
        QStringLiteral("   start      end  process                                  result"),
        QStringLiteral("   0.000   10.000  pid 100 /bin/sh -c 'exec ./runner'       exec'd"),
        QStringLiteral("   5.000    8.000  └─ pid 101 /usr/bin/helper               exit code 0"),
        QStringLiteral("  10.000  900.000  pid 100 exec → /usr/bin/runner --port 1  exit code 1"),
        QStringLiteral("  20.000  500.000  ├─ pid 102 /usr/lib/ggml-host            killed by signal SIGSEGV (11) [core dumped]"),
        QStringLiteral("  40.000  100.000  │  └─ pid 104 /usr/bin/true              exit code 0"),
        QStringLiteral("  30.000        -  └─ pid 103 /usr/bin/watcher 'two words'  still running or unknown"),
    };
    EXPECT_EQ(section(QStringLiteral("Processes (times in ms since run start)")), expected)
        << qPrintable(text);
}

TEST_F(ReportFromBundle, RunHeaderShowsCommandWallClockDurationAndRootExit)
{
    EXPECT_TRUE(text.startsWith(QStringLiteral("Run %1: runner-crash\n").arg(ids.runId)))
        << qPrintable(text);
    EXPECT_TRUE(text.contains(QStringLiteral("  command   sh -c 'exec ./runner'\n")));
    EXPECT_TRUE(text.contains(QStringLiteral("  started   2025-01-12 10:03:12.345 UTC on gpu-box\n")));
    EXPECT_TRUE(text.contains(QStringLiteral("  duration  900.000 ms\n")));
    EXPECT_TRUE(text.contains(QStringLiteral("  result    exit code 1\n")));
}

TEST_F(ReportFromBundle, FailedMeansNonZeroExitSignalOrUnknownEndButNotExec)
{
    EXPECT_FALSE(row(ids.shell)->failed);
    EXPECT_FALSE(row(ids.helper)->failed);
    EXPECT_TRUE(row(ids.runner)->failed);
    EXPECT_TRUE(row(ids.ggml)->failed);
    EXPECT_FALSE(row(ids.grandchild)->failed);
    EXPECT_TRUE(row(ids.watcher)->failed);
}

TEST_F(ReportFromBundle, ErrorLinesSpanningChunksAreFoundWithStreamLineNumberAndTime)
{
    const QList<ErrorLine> &errors = row(ids.ggml)->errorLines;
    ASSERT_EQ(errors.size(), 2);
    EXPECT_EQ(errors[0].text,
              QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported"));
    EXPECT_EQ(errors[0].line.stream, Stream::Stderr);
    EXPECT_EQ(errors[0].line.number, 2);
    EXPECT_EQ(errors[0].line.tsNs, 100 * kMs);
    EXPECT_EQ(errors[0].rule, QStringLiteral("failed"));
    EXPECT_EQ(errors[1].text, QStringLiteral("Segmentation fault"));
    EXPECT_FALSE(errors[1].line.terminated);
    EXPECT_EQ(errors[1].line.number, 3);
    EXPECT_EQ(row(ids.ggml)->stderrLines, 3);
    EXPECT_EQ(row(ids.ggml)->stdoutLines, 1);
    EXPECT_EQ(row(ids.ggml)->stdoutBytes, 3);
    EXPECT_TRUE(row(ids.watcher)->errorLines.isEmpty());
    EXPECT_TRUE(row(ids.helper)->errorLines.isEmpty());

    EXPECT_TRUE(text.contains(QStringLiteral(
        "    stderr:2  100.000 ms  ggml_cuda_init: failed to initialize CUDA: operation not supported\n")))
        << qPrintable(text);
    EXPECT_TRUE(text.contains(QStringLiteral("    stderr:3  499.000 ms  Segmentation fault\n")));
}

TEST_F(ReportFromBundle, LongErrorLineIsWholeInTheReportButShortenedWithItsLengthInText)
{
    const QList<ErrorLine> &errors = row(ids.runner)->errorLines;
    ASSERT_EQ(errors.size(), 2);
    // In read order: the stderr line (800 ms), then the stdout line (850 ms).
    EXPECT_EQ(errors[0].text.size(), 507);
    EXPECT_TRUE(text.contains(QStringLiteral("[507 characters in full, see --json]")));
    EXPECT_FALSE(text.contains(QString(300, QLatin1Char('x'))));
}

TEST_F(ReportFromBundle, InvalidUtf8LineShowsReplacementCharactersAndKeepsItsBytes)
{
    const QList<ErrorLine> &errors = row(ids.runner)->errorLines;
    ASSERT_EQ(errors.size(), 2);
    const ErrorLine &bad = errors[1];
    EXPECT_FALSE(bad.utf8Valid);
    EXPECT_EQ(bad.line.bytes, QByteArray("fatal: bad byte \xff\xfe here"));
    EXPECT_TRUE(bad.text.contains(QChar(QChar::ReplacementCharacter)));
    // The text view shows the bytes themselves (docs/reliability.md, "Bundles from others").
    EXPECT_TRUE(text.contains(QStringLiteral("fatal: bad byte \\xff\\xfe here [not valid UTF-8]")))
        << qPrintable(text);
}

TEST_F(ReportFromBundle, LastEventsAreTheTenUpToTheEndOfEachFailedProcess)
{
    const QList<Event> &events = row(ids.ggml)->lastEvents;
    ASSERT_EQ(events.size(), kLastEventCount);
    EXPECT_EQ(events.first().name, QStringLiteral("call6"));
    EXPECT_EQ(events.last().kind, QStringLiteral("process.exit"));
    for (const Event &e : events)
        EXPECT_LE(e.tsNs, 500 * kMs) << qPrintable(e.name);

    // An unknown end has no time to stop at: the last recorded events are the context.
    EXPECT_EQ(row(ids.watcher)->lastEvents.size(), 3);
    EXPECT_EQ(row(ids.runner)->lastEvents.size(), 1);
    // Processes that ended well carry none, even when they have events.
    EXPECT_TRUE(row(ids.helper)->lastEvents.isEmpty());

    const QStringList lines = section(QStringLiteral("Last events before each failure"));
    EXPECT_TRUE(lines.contains(QStringLiteral(
        "  pid 102 /usr/lib/ggml-host — killed by signal SIGSEGV (11) [core dumped] at 500.000 ms")))
        << qPrintable(lines.join(QLatin1Char('\n')));
    EXPECT_TRUE(lines.contains(QStringLiteral("    201.000 ms  cuda.call     call6    {\"result\":6}")))
        << qPrintable(lines.join(QLatin1Char('\n')));
    // The GPU calls section lists every call; the last events stop at the end.
    EXPECT_FALSE(lines.join(QLatin1Char('\n')).contains(QStringLiteral("after-end")));
    EXPECT_FALSE(lines.join(QLatin1Char('\n')).contains(QStringLiteral("call5 ")));
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

QStringList keysOf(const QJsonObject &o)
{
    QStringList keys = o.keys();
    keys.sort();
    return keys;
}

QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

bool isIntOrNull(const QJsonValue &v)
{
    return v.isNull() || (v.isDouble() && v.toDouble() == double(v.toInteger()));
}

} // namespace

TEST_F(ReportFromBundle, JsonHasTheDocumentedKeysAndTypes)
{
    const QJsonObject doc = reportToJson(report);
    EXPECT_EQ(keysOf(doc), sorted({"format", "version", "bundle", "runs"}));
    EXPECT_EQ(doc.value("format").toString(), QStringLiteral("initscope-report"));
    EXPECT_EQ(doc.value("version").toInt(), 1);
    EXPECT_EQ(keysOf(doc.value("bundle").toObject()), sorted({"path", "formatVersion"}));
    EXPECT_EQ(doc.value("bundle").toObject().value("path").toString(), path);

    ASSERT_EQ(doc.value("runs").toArray().size(), 1);
    const QJsonObject run = doc.value("runs").toArray().at(0).toObject();
    EXPECT_EQ(keysOf(run), sorted({"id", "name", "command", "hostname", "recorderVersion",
                                   "startRealtimeNs", "startTime", "durationNs", "result",
                                   "topFinding", "processes"}));
    EXPECT_TRUE(run.value("topFinding").isString() || run.value("topFinding").isNull());
    EXPECT_TRUE(run.value("command").isArray());
    EXPECT_EQ(run.value("startTime").toString(), QStringLiteral("2025-01-12T10:03:12.345Z"));
    // 64-bit nanoseconds since the epoch must survive exactly.
    EXPECT_EQ(run.value("startRealtimeNs").toInteger(), 1736676192345000000);
    const QJsonObject result = run.value("result").toObject();
    EXPECT_EQ(keysOf(result),
              sorted({"exitCode", "signal", "signalName", "timedOut", "cancelled", "text"}));
    EXPECT_EQ(result.value("exitCode").toInt(), 1);
    EXPECT_TRUE(result.value("signal").isNull());
    EXPECT_TRUE(result.value("timedOut").isBool());

    const QJsonArray processes = run.value("processes").toArray();
    ASSERT_EQ(processes.size(), report.processes.size());
    for (const QJsonValue &v : processes) {
        const QJsonObject p = v.toObject();
        EXPECT_EQ(keysOf(p), sorted({"id", "pid", "ppid", "parentId", "previousImageId",
                                     "execSeq", "depth", "treeParentId", "execRow", "exe",
                                     "argv", "recorded", "startNs", "endNs", "end", "failed",
                                     "output", "errorLines", "lastEvents",
                                     "failedLibrarySearches"}));
        for (const char *k : {"parentId", "previousImageId", "treeParentId", "endNs"})
            EXPECT_TRUE(isIntOrNull(p.value(k))) << k;
        EXPECT_TRUE(p.value("argv").isArray());
        EXPECT_TRUE(p.value("failed").isBool());
        const QJsonObject end = p.value("end").toObject();
        EXPECT_EQ(keysOf(end),
                  sorted({"reason", "exitCode", "signal", "signalName", "coreDumped", "text"}));
        EXPECT_TRUE(QStringList({"exited", "signaled", "exec", "unknown"})
                        .contains(end.value("reason").toString()));
        EXPECT_EQ(keysOf(p.value("output").toObject()),
                  sorted({"stdoutBytes", "stderrBytes", "stdoutLines", "stderrLines"}));
        for (const QJsonValue &e : p.value("errorLines").toArray()) {
            const QJsonObject line = e.toObject();
            EXPECT_EQ(keysOf(line), sorted({"stream", "line", "tsNs", "text", "utf8Valid",
                                            "base64", "bytes", "terminated", "rule"}));
            EXPECT_TRUE(line.value("base64").isNull() == line.value("utf8Valid").toBool());
        }
        for (const QJsonValue &e : p.value("lastEvents").toArray()) {
            const QJsonObject event = e.toObject();
            EXPECT_EQ(keysOf(event),
                      sorted({"id", "tsNs", "durNs", "tid", "kind", "name", "payload"}));
            EXPECT_TRUE(event.value("payload").isObject());
        }
    }
}

TEST_F(ReportFromBundle, JsonCarriesSignalExecLinksAndRawBytesOfInvalidLines)
{
    const QJsonArray processes =
        reportToJson(report).value("runs").toArray().at(0).toObject().value("processes").toArray();
    QJsonObject ggml, runner, watcher;
    for (const QJsonValue &v : processes) {
        const qint64 id = v.toObject().value("id").toInteger();
        if (id == ids.ggml)
            ggml = v.toObject();
        else if (id == ids.runner)
            runner = v.toObject();
        else if (id == ids.watcher)
            watcher = v.toObject();
    }
    const QJsonObject end = ggml.value("end").toObject();
    EXPECT_EQ(end.value("reason").toString(), QStringLiteral("signaled"));
    EXPECT_EQ(end.value("signal").toInt(), 11);
    EXPECT_EQ(end.value("signalName").toString(), QStringLiteral("SIGSEGV"));
    EXPECT_TRUE(end.value("coreDumped").toBool());
    EXPECT_TRUE(end.value("exitCode").isNull());
    EXPECT_EQ(ggml.value("lastEvents").toArray().size(), 10);
    EXPECT_EQ(ggml.value("lastEvents").toArray().at(0).toObject().value("payload").toObject()
                  .value("result").toInt(), 6);

    EXPECT_EQ(runner.value("previousImageId").toInteger(), ids.shell);
    EXPECT_TRUE(runner.value("execRow").toBool());
    EXPECT_TRUE(watcher.value("endNs").isNull());
    EXPECT_EQ(watcher.value("end").toObject().value("reason").toString(), QStringLiteral("unknown"));

    bool sawInvalid = false, sawLong = false;
    for (const QJsonValue &v : runner.value("errorLines").toArray()) {
        const QJsonObject line = v.toObject();
        if (!line.value("utf8Valid").toBool()) {
            sawInvalid = true;
            EXPECT_EQ(QByteArray::fromBase64(line.value("base64").toString().toLatin1()),
                      QByteArray("fatal: bad byte \xff\xfe here"));
        } else {
            sawLong = true;
            EXPECT_EQ(line.value("text").toString(), "error: " + QString(500, QLatin1Char('x')));
        }
    }
    EXPECT_TRUE(sawInvalid);
    EXPECT_TRUE(sawLong);
}

TEST_F(ReportFromBundle, JsonAndTextAgreeOnEndsErrorLinesAndEvents)
{
    const QJsonArray processes =
        reportToJson(report).value("runs").toArray().at(0).toObject().value("processes").toArray();
    const QStringList tree = section(QStringLiteral("Processes (times in ms since run start)"));
    const QStringList errorSection = section(QStringLiteral("Error lines"));
    const QStringList eventSection = section(QStringLiteral("Last events before each failure"));
    ASSERT_EQ(tree.size(), processes.size() + 1); // plus the column heading

    int jsonEvents = 0;
    for (int i = 0; i < processes.size(); ++i) {
        const QJsonObject p = processes.at(i).toObject();
        const QString &row = tree.at(i + 1);
        EXPECT_TRUE(row.contains(QStringLiteral("pid %1 ").arg(p.value("pid").toInteger())))
            << qPrintable(row);
        EXPECT_TRUE(row.endsWith(p.value("end").toObject().value("text").toString()))
            << qPrintable(row);
        for (const QJsonValue &v : p.value("errorLines").toArray()) {
            const QJsonObject line = v.toObject();
            const QString where = QStringLiteral("%1:%2").arg(line.value("stream").toString())
                                      .arg(line.value("line").toInt());
            // Text shows bytes that are not UTF-8 as \xNN where JSON's text has U+FFFD: the two
            // agree up to the first of them.
            const QString shown =
                line.value("text").toString().section(QChar(QChar::ReplacementCharacter), 0, 0).left(150);
            bool found = false;
            for (const QString &l : errorSection)
                found = found || (l.contains(where) && l.contains(shown));
            EXPECT_TRUE(found) << qPrintable(where) << " " << qPrintable(shown);
        }
        jsonEvents += p.value("lastEvents").toArray().size();
        for (const QJsonValue &v : p.value("lastEvents").toArray()) {
            const QJsonObject e = v.toObject();
            const QString ms = formatMs(e.value("tsNs").toInteger()) + QStringLiteral(" ms  ") +
                               e.value("kind").toString();
            bool found = false;
            for (const QString &l : eventSection)
                found = found || (l.contains(ms) && l.contains(e.value("name").toString()));
            EXPECT_TRUE(found) << qPrintable(ms);
        }
    }
    int textEvents = 0;
    for (const QString &l : eventSection)
        textEvents += l.contains(QStringLiteral(" ms  ")) ? 1 : 0;
    EXPECT_EQ(textEvents, jsonEvents);
}

TEST_F(ReportFromBundle, SeveralRunsShareOneDocumentShape)
{
    const Report second = buildReport(*reader, ids.secondRunId);
    const QJsonObject doc = reportsToJson({report, second}, path, reader->formatVersion());
    const QJsonArray runs = doc.value("runs").toArray();
    ASSERT_EQ(runs.size(), 2);
    EXPECT_EQ(keysOf(runs.at(0).toObject()), keysOf(runs.at(1).toObject()));
    EXPECT_EQ(runs.at(1).toObject().value("processes").toArray().size(), 1);
    EXPECT_EQ(reportsToJson({}, path, 1).value("runs").toArray().size(), 0);
    EXPECT_TRUE(formatReportText(second).contains(QStringLiteral("(no process failed)")));
}
