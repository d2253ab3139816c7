// The exports of core/export.h (docs/export.md): what a Chrome trace, an HTML report and a
// Markdown summary hold for bundles with known content, and that nothing a bundle holds can
// break their syntax or act in the program that opens them.
#include "bundle.h"
#include "diagnosis.h"
#include "export.h"
#include "exportbundle.h"
#include "exportinternal.h"
#include "hostilebundle.h"
#include "reportfixture.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

bool isCallCat(const QString &cat)
{
    return cat == QLatin1String("driver") || cat == QLatin1String("runtime") || cat == QLatin1String("nvml");
}

class ExportTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("export.initscope"));
        QString why;
        ASSERT_TRUE(test::writeExportBundle(path, &ids, &why)) << why.toStdString();
        BundleError error;
        reader = BundleReader::open(path, &error);
        ASSERT_TRUE(reader) << error.message.toStdString();
    }

    // The bundles of tests/cli/hostilebundle.h (markup, escapes, bidi, 5 MiB values), opened.
    std::unique_ptr<BundleReader> openHostileBundle(test::HostileBundle *ids = nullptr)
    {
        const QString hostilePath = dir.filePath(QStringLiteral("hostile.initscope"));
        test::HostileBundle hostile;
        QString why;
        EXPECT_TRUE(test::writeHostileBundle(hostilePath, dir.filePath(QStringLiteral("markers")), ids ? ids : &hostile, &why))
            << why.toStdString();
        BundleError error;
        auto opened = BundleReader::open(hostilePath, &error);
        EXPECT_TRUE(opened) << error.message.toStdString();
        return opened;
    }

    QByteArray exported(ExportFormat format, QList<qint64> runs = {}, const BundleReader *from = nullptr)
    {
        ExportOptions options;
        options.runIds = runs;
        QString error;
        const QByteArray bytes = exportBundle(format, from ? *from : *reader, options, &error);
        EXPECT_TRUE(error.isEmpty()) << error.toStdString();
        EXPECT_FALSE(bytes.isEmpty());
        return bytes;
    }

    QJsonArray traceEvents(QList<qint64> runs = {}, const BundleReader *from = nullptr)
    {
        const QByteArray bytes = exported(ExportFormat::ChromeTrace, runs, from);
        QJsonParseError parsed;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parsed);
        EXPECT_EQ(parsed.error, QJsonParseError::NoError)
            << parsed.errorString().toStdString() << " at " << parsed.offset << ": "
            << bytes.mid(std::max(0, parsed.offset - 80), 160).toStdString();
        return doc.object().value(QStringLiteral("traceEvents")).toArray();
    }

    QTemporaryDir dir;
    QString path;
    test::ExportBundle ids;
    std::unique_ptr<BundleReader> reader;
};

QJsonObject objectOf(const QJsonValue &v)
{
    return v.toObject();
}
QJsonObject objectOf(const QJsonObject &o)
{
    return o;
}

// The trace events (a QJsonArray or a list already picked) that keep accepts.
template <typename Events>
QList<QJsonObject> pick(const Events &events, const std::function<bool(const QJsonObject &)> &keep)
{
    QList<QJsonObject> out;
    for (const auto &v : events) {
        const QJsonObject o = objectOf(v);
        if (keep(o))
            out.append(o);
    }
    return out;
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

} // namespace

// --- Chrome trace ---------------------------------------------------------------------------

TEST_F(ExportTest, ChromeTraceIsOneJsonObjectWithTraceEventsAndMillisecondDisplay)
{
    const QByteArray bytes = exported(ExportFormat::ChromeTrace);
    const QJsonObject doc = QJsonDocument::fromJson(bytes).object();
    ASSERT_FALSE(doc.isEmpty()) << bytes.left(400).toStdString();
    EXPECT_EQ(doc.value(QStringLiteral("displayTimeUnit")).toString(), QStringLiteral("ms"));
    EXPECT_TRUE(doc.value(QStringLiteral("traceEvents")).isArray());
    const QJsonObject other = doc.value(QStringLiteral("otherData")).toObject();
    EXPECT_EQ(other.value(QStringLiteral("format")).toString(), QStringLiteral("initscope-chrome-trace"));
    EXPECT_EQ(other.value(QStringLiteral("bundle")).toString(), path);
    for (auto it = other.begin(); it != other.end(); ++it)
        EXPECT_TRUE(it.value().isString()) << it.key().toStdString(); // chrome://tracing shows strings only
}

TEST_F(ExportTest, ChromeTraceEveryRecordedCallIsOneCompleteEventOnItsThread)
{
    const QJsonArray events = traceEvents({ids.runId});
    const QList<QJsonObject> calls =
        pick(events, [](const QJsonObject &e) { return str(e, "ph") == QLatin1String("X") && isCallCat(str(e, "cat")); });
    ASSERT_EQ(calls.size(), ids.callsInFirstRun);

    // The same events the bundle holds, by id, with their thread and times.
    QHash<qint64, Event> recorded;
    for (const Event &e : reader->events(ids.runId)) {
        if (e.kind.endsWith(QLatin1String(".call")))
            recorded.insert(e.id, e);
    }
    ASSERT_EQ(recorded.size(), ids.callsInFirstRun);
    QHash<QPair<int, int>, double> lastTs;
    for (const QJsonObject &c : calls) {
        const QJsonObject args = c.value(QStringLiteral("args")).toObject();
        const qint64 id = args.value(QStringLiteral("eventId")).toInteger();
        ASSERT_TRUE(recorded.contains(id)) << id;
        const Event &e = recorded[id];
        EXPECT_EQ(str(c, "name"), e.name);
        EXPECT_DOUBLE_EQ(c.value(QStringLiteral("ts")).toDouble(), double(e.tsNs) / 1000.0);
        EXPECT_DOUBLE_EQ(c.value(QStringLiteral("dur")).toDouble(), double(e.durNs) / 1000.0);
        EXPECT_EQ(c.value(QStringLiteral("tid")).toInt(), int(e.tid));
        EXPECT_EQ(str(c, "cat"), e.kind == QLatin1String("cudart.call") ? QStringLiteral("runtime")
                                 : e.kind == QLatin1String("nvml.call") ? QStringLiteral("nvml")
                                                                        : QStringLiteral("driver"));
        // The decoded payload rides along: arguments and result.
        EXPECT_TRUE(args.contains(QStringLiteral("args"))) << e.name.toStdString();
        recorded.remove(id);
        const QPair<int, int> thread{c.value(QStringLiteral("pid")).toInt(), c.value(QStringLiteral("tid")).toInt()};
        const double ts = c.value(QStringLiteral("ts")).toDouble();
        EXPECT_GE(ts, lastTs.value(thread, -1)) << "calls of a thread out of order";
        lastTs[thread] = ts;
    }
    EXPECT_TRUE(recorded.isEmpty());
    // The 1.234 µs call keeps its fraction.
    EXPECT_FALSE(pick(calls, [](const QJsonObject &c) { return c.value(QStringLiteral("dur")).toDouble() == 1.234; }).isEmpty());
}

TEST_F(ExportTest, ChromeTraceNamesEveryProcessAndThread)
{
    const QJsonArray events = traceEvents({ids.runId});
    QHash<int, QString> processNames;
    QSet<QPair<int, int>> namedThreads, usedThreads;
    for (const QJsonValue &v : events) {
        const QJsonObject e = v.toObject();
        const QPair<int, int> thread{e.value(QStringLiteral("pid")).toInt(), e.value(QStringLiteral("tid")).toInt()};
        if (str(e, "ph") == QLatin1String("M") && str(e, "name") == QLatin1String("process_name"))
            processNames.insert(thread.first, e.value(QStringLiteral("args")).toObject().value(QStringLiteral("name")).toString());
        else if (str(e, "ph") == QLatin1String("M") && str(e, "name") == QLatin1String("thread_name"))
            namedThreads.insert(thread);
        else if (str(e, "ph") == QLatin1String("X") || str(e, "ph") == QLatin1String("i"))
            usedThreads.insert(thread);
    }
    EXPECT_EQ(processNames.size(), 2);
    EXPECT_EQ(processNames.value(500), QStringLiteral("probe"));
    EXPECT_EQ(processNames.value(502), QStringLiteral("ggml-runner"));
    for (const auto &t : std::as_const(usedThreads)) {
        EXPECT_TRUE(processNames.contains(t.first)) << t.first;
        EXPECT_TRUE(namedThreads.contains(t)) << t.first << "/" << t.second;
    }
    EXPECT_TRUE(usedThreads.contains({500, 501}));
}

TEST_F(ExportTest, ChromeTraceCallUnfinishedAtDeathEndsWhenTheProcessEndedAndSaysSo)
{
    const QJsonArray events = traceEvents({ids.runId});
    const QList<QJsonObject> unfinished = pick(events, [&](const QJsonObject &e) {
        return e.value(QStringLiteral("args")).toObject().value(QStringLiteral("eventId")).toInteger() == ids.unfinishedCallId;
    });
    ASSERT_EQ(unfinished.size(), 1);
    const QJsonObject &u = unfinished.first();
    EXPECT_EQ(str(u, "ph"), QStringLiteral("X"));
    EXPECT_EQ(str(u, "name"), QStringLiteral("cuInit"));
    EXPECT_EQ(u.value(QStringLiteral("pid")).toInt(), 502);
    EXPECT_DOUBLE_EQ(u.value(QStringLiteral("ts")).toDouble() + u.value(QStringLiteral("dur")).toDouble(),
                     double(ids.childEndNs) / 1000.0);
    const QJsonObject args = u.value(QStringLiteral("args")).toObject();
    EXPECT_TRUE(args.value(QStringLiteral("unfinished")).toBool());
    EXPECT_TRUE(args.value(QStringLiteral("unfinishedUntilProcessEnd")).toBool());
    // The death itself is an instant on the process.
    const QList<QJsonObject> exits = pick(events, [](const QJsonObject &e) {
        return str(e, "ph") == QLatin1String("i") && str(e, "name").startsWith(QLatin1String("process.exit")) &&
               e.value(QStringLiteral("pid")).toInt() == 502;
    });
    ASSERT_EQ(exits.size(), 1);
    EXPECT_EQ(str(exits.first(), "s"), QStringLiteral("p"));
    EXPECT_EQ(exits.first().value(QStringLiteral("args")).toObject().value(QStringLiteral("signal")).toInt(), 11);
}

TEST_F(ExportTest, ChromeTraceErrorLinesLibraryEventsAndFindingsAreInstants)
{
    const QJsonArray events = traceEvents({ids.runId});
    const QList<QJsonObject> instants = pick(events, [](const QJsonObject &e) { return str(e, "ph") == QLatin1String("i"); });
    for (const QJsonObject &i : instants)
        EXPECT_TRUE(QStringList({QStringLiteral("t"), QStringLiteral("p"), QStringLiteral("g")}).contains(str(i, "s")));
    auto named = [&](const QString &cat, const QString &part) {
        return pick(instants, [&](const QJsonObject &e) { return str(e, "cat") == cat && str(e, "name").contains(part); });
    };
    const QList<QJsonObject> ggml = named(QStringLiteral("output"), QStringLiteral("ggml_cuda_init: failed to initialize CUDA"));
    ASSERT_EQ(ggml.size(), 1);
    EXPECT_DOUBLE_EQ(ggml.first().value(QStringLiteral("ts")).toDouble(), 16000.0);
    EXPECT_EQ(ggml.first().value(QStringLiteral("args")).toObject().value(QStringLiteral("line")).toInt(), 1);
    EXPECT_EQ(named(QStringLiteral("loader"), QStringLiteral("libcuda.so.1")).size(), 2); // the search and the load
    EXPECT_EQ(str(named(QStringLiteral("loader"), QStringLiteral("lib.search")).value(0), "s"), QStringLiteral("t"));

    const Diagnosis diagnosis = diagnose(*reader, ids.runId);
    ASSERT_FALSE(diagnosis.findings.isEmpty());
    const QList<QJsonObject> findings = pick(instants, [](const QJsonObject &e) { return str(e, "cat") == QLatin1String("diagnosis"); });
    ASSERT_EQ(findings.size(), diagnosis.findings.size());
    const Finding &top = diagnosis.findings.first();
    const QJsonObject args = findings.first().value(QStringLiteral("args")).toObject();
    EXPECT_EQ(args.value(QStringLiteral("title")).toString(), top.title);
    EXPECT_EQ(args.value(QStringLiteral("fix")).toString(), top.fix);
    EXPECT_EQ(args.value(QStringLiteral("rank")).toInt(), 1);
    EXPECT_DOUBLE_EQ(findings.first().value(QStringLiteral("ts")).toDouble(), double(top.tsNs) / 1000.0);
}

TEST_F(ExportTest, ChromeTraceTwoRunsNeverShareAProcessOrThreadTrack)
{
    const QJsonArray events = traceEvents();
    QHash<int, QString> names;
    for (const QJsonObject &m : pick(events, [](const QJsonObject &e) { return str(e, "name") == QLatin1String("process_name"); }))
        names.insert(m.value(QStringLiteral("pid")).toInt(), m.value(QStringLiteral("args")).toObject().value(QStringLiteral("name")).toString());
    ASSERT_EQ(names.size(), 3); // two processes in the first run, one in the second, all with pid 500 or 502
    int secondRun = 0;
    for (auto it = names.begin(); it != names.end(); ++it) {
        if (it.value().startsWith(QStringLiteral("run %1 · ").arg(ids.secondRunId))) {
            ++secondRun;
            EXPECT_NE(it.key(), 500);
        } else {
            EXPECT_TRUE(it.value().startsWith(QStringLiteral("run %1 · ").arg(ids.runId))) << it.value().toStdString();
        }
    }
    EXPECT_EQ(secondRun, 1);
    const QList<QJsonObject> calls =
        pick(events, [](const QJsonObject &e) { return str(e, "ph") == QLatin1String("X") && isCallCat(str(e, "cat")); });
    EXPECT_EQ(calls.size(), ids.callsInFirstRun + ids.callsInSecondRun);
    for (const QJsonObject &c : calls)
        EXPECT_TRUE(names.contains(c.value(QStringLiteral("pid")).toInt()));
}

TEST_F(ExportTest, ChromeTraceOfTheReportFixtureHasExactlyItsCalls)
{
    const QString fixturePath = dir.filePath(QStringLiteral("fixture.initscope"));
    test::ReportFixture fixture;
    QString why;
    ASSERT_TRUE(test::writeReportFixture(fixturePath, &fixture, &why)) << why.toStdString();
    BundleError error;
    const auto fixtureReader = BundleReader::open(fixturePath, &error);
    ASSERT_TRUE(fixtureReader);
    int recordedCalls = 0;
    for (const Event &e : fixtureReader->events(fixture.runId))
        recordedCalls += e.kind.endsWith(QLatin1String(".call")) ? 1 : 0;
    const QJsonArray events = traceEvents({fixture.runId}, fixtureReader.get());
    EXPECT_EQ(pick(events, [](const QJsonObject &e) { return str(e, "ph") == QLatin1String("X") && isCallCat(str(e, "cat")); }).size(),
              recordedCalls);
    // The exec chain (pid 100: /bin/sh, then the runner) is one process track.
    const QList<QJsonObject> pid100 = pick(events, [](const QJsonObject &e) {
        return str(e, "name") == QLatin1String("process_name") && e.value(QStringLiteral("pid")).toInt() == 100;
    });
    ASSERT_EQ(pid100.size(), 1);
    EXPECT_TRUE(pid100.first().value(QStringLiteral("args")).toObject().value(QStringLiteral("name")).toString().contains(QStringLiteral(" → ")));
}

TEST_F(ExportTest, ChromeTraceOfAHostileBundleIsValidJsonWithNothingInvisibleOrRaw)
{
    test::HostileBundle hostile;
    const auto hostileReader = openHostileBundle(&hostile);
    ASSERT_TRUE(hostileReader);
    const QByteArray bytes = exported(ExportFormat::ChromeTrace, {}, hostileReader.get());
    QString what;
    EXPECT_EQ(test::findUnsafe(bytes, &what), -1) << what.toStdString();
    QJsonParseError parsed;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parsed);
    ASSERT_EQ(parsed.error, QJsonParseError::NoError) << parsed.errorString().toStdString();
    const QJsonArray events = doc.object().value(QStringLiteral("traceEvents")).toArray();
    // The zero-width character in the call's name comes back as itself from the \u escape.
    QString hostileName;
    for (const Event &e : hostileReader->events(hostile.runId))
        hostileName = e.kind == QLatin1String("cuda.call") ? e.name : hostileName;
    ASSERT_TRUE(hostileName.contains(QChar(0x200b)));
    EXPECT_TRUE(bytes.contains("\\u200b"));
    const QList<QJsonObject> calls =
        pick(events, [](const QJsonObject &e) { return str(e, "ph") == QLatin1String("X") && isCallCat(str(e, "cat")); });
    EXPECT_EQ(pick(calls, [&](const QJsonObject &c) { return str(c, "name") == hostileName; }).size(), 1);
    // A payload that is neither JSON nor UTF-8 is kept as text.
    EXPECT_FALSE(pick(events, [](const QJsonObject &e) {
                     return e.value(QStringLiteral("args")).toObject().value(QStringLiteral("payloadText")).toString().startsWith(
                         QStringLiteral("not json"));
                 }).isEmpty());
}

TEST_F(ExportTest, ChromeTracePassesPythonsJsonParser)
{
    // bootstrap.sh installs python3: without it this check fails, it is never skipped.
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    ASSERT_FALSE(python.isEmpty()) << "python3 is not installed (./bootstrap.sh installs it)";
    const auto hostileReader = openHostileBundle();
    ASSERT_TRUE(hostileReader);
    for (const BundleReader *from : {reader.get(), hostileReader.get()}) {
        const QString out = dir.filePath(QStringLiteral("trace.json"));
        QFile f(out);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(exported(ExportFormat::ChromeTrace, {}, from));
        f.close();
        QProcess p;
        p.start(python, {QStringLiteral("-m"), QStringLiteral("json.tool"), out});
        ASSERT_TRUE(p.waitForFinished(60000));
        EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
    }
}

// --- HTML ------------------------------------------------------------------------------------

TEST_F(ExportTest, HtmlReportIsSelfContainedWithoutScriptOrExternalReference)
{
    const QString html = QString::fromUtf8(exported(ExportFormat::Html));
    EXPECT_TRUE(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
    EXPECT_FALSE(html.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    EXPECT_FALSE(html.contains(QRegularExpression(QStringLiteral("(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//"),
                                                  QRegularExpression::CaseInsensitiveOption)));
    EXPECT_FALSE(html.contains(QStringLiteral("url("), Qt::CaseInsensitive));
    EXPECT_FALSE(html.contains(QStringLiteral("@import"), Qt::CaseInsensitive));
    EXPECT_FALSE(html.contains(QStringLiteral("<link"), Qt::CaseInsensitive));
    EXPECT_FALSE(html.contains(QStringLiteral("<img"), Qt::CaseInsensitive));
    EXPECT_TRUE(html.contains(QStringLiteral("default-src 'none'")));
}

TEST_F(ExportTest, HtmlReportShowsBundleMarkupAsTextNeverAsATag)
{
    const QString html = QString::fromUtf8(exported(ExportFormat::Html));
    EXPECT_TRUE(html.contains(QStringLiteral("&lt;script&gt;alert(&#39;exported&#39;)&lt;/script&gt;"))) << "error line";
    // argv, shell-quoted in the process table.
    EXPECT_TRUE(html.contains(QStringLiteral("&lt;script&gt;alert(&#39;\\&#39;&#39;argv&#39;\\&#39;&#39;)&lt;/script&gt;"))) << "argv";
    EXPECT_FALSE(html.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    EXPECT_TRUE(html.contains(QStringLiteral("probe &lt;b&gt;bold&lt;/b&gt;"))) << "run name";
    EXPECT_FALSE(html.contains(QStringLiteral("<b>bold")));
}

TEST_F(ExportTest, HtmlReportHasDiagnosisTimelineAndTables)
{
    const QString html = QString::fromUtf8(exported(ExportFormat::Html, {ids.runId}));
    const Diagnosis diagnosis = diagnose(*reader, ids.runId);
    ASSERT_FALSE(diagnosis.findings.isEmpty());
    const QString title = diagnosis.findings.first().title.toHtmlEscaped().replace(QLatin1Char('\''), QStringLiteral("&#39;"));
    EXPECT_TRUE(html.contains(title)) << title.toStdString();
    for (const char *section : {"Diagnosis", "Timeline", "Processes", "Error lines", "Last events before each failure", "Library loads"})
        EXPECT_TRUE(html.contains(QStringLiteral(">%1</h3>").arg(QLatin1String(section)))) << section;
    EXPECT_TRUE(html.contains(QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported")));
    EXPECT_TRUE(html.contains(QStringLiteral("/opt/shim/libcuda.so.1")));
    EXPECT_TRUE(html.contains(QStringLiteral("killed by signal SIGSEGV (11)")));
    EXPECT_FALSE(html.contains(QStringLiteral("Run %1:").arg(ids.secondRunId))); // only the run asked for

    // The picture is well-formed SVG with a lane per process and a line per finding.
    const qsizetype from = html.indexOf(QStringLiteral("<svg"));
    const qsizetype to = html.indexOf(QStringLiteral("</svg>"));
    ASSERT_GE(from, 0);
    ASSERT_GT(to, from);
    const QString svg = html.mid(from, to + 6 - from);
    QXmlStreamReader xml(svg);
    int processLanes = 0, findingLines = 0;
    while (!xml.atEnd()) {
        if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("g")) {
            const QString cls = xml.attributes().value(QLatin1String("class")).toString();
            processLanes += cls == QLatin1String("lane process") ? 1 : 0;
            findingLines += cls.startsWith(QLatin1String("finding")) ? 1 : 0;
        }
    }
    EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
    EXPECT_EQ(processLanes, 2);
    EXPECT_EQ(findingLines, diagnosis.findings.size());
}

TEST_F(ExportTest, HtmlAndMarkdownOfAHostileBundleShowNothingInvisibleOrRaw)
{
    const auto hostileReader = openHostileBundle();
    ASSERT_TRUE(hostileReader);
    for (ExportFormat format : {ExportFormat::Html, ExportFormat::Markdown}) {
        const QByteArray bytes = exported(format, {}, hostileReader.get());
        QString what;
        EXPECT_EQ(test::findUnsafe(bytes, &what), -1) << exportFormatName(format).toStdString() << ": " << what.toStdString();
        EXPECT_FALSE(bytes.contains("<b>bold")) << exportFormatName(format).toStdString();
        EXPECT_LT(bytes.size(), 2 * 1024 * 1024) << "a 5 MiB value is shown cut, not whole";
    }
}

// --- Markdown --------------------------------------------------------------------------------

TEST_F(ExportTest, MarkdownFenceIsLongerThanAnyBacktickRunInside)
{
    const QString md = QString::fromUtf8(exported(ExportFormat::Markdown, {ids.runId}));
    const QStringList lines = md.split(QLatin1Char('\n'));
    int blocks = 0;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QRegularExpressionMatch open = QRegularExpression(QStringLiteral("^(`{3,})[a-z]*$")).match(lines[i]);
        if (!open.hasMatch())
            continue;
        ++blocks;
        const qsizetype fence = open.captured(1).size();
        qsizetype j = i + 1;
        bool sawScriptLine = false;
        for (; j < lines.size() && lines[j] != open.captured(1); ++j) {
            const QRegularExpression runs(QStringLiteral("`+"));
            for (auto m = runs.globalMatch(lines[j]); m.hasNext();)
                EXPECT_LT(m.next().capturedLength(), fence) << lines[j].toStdString();
            sawScriptLine = sawScriptLine || lines[j].contains(QLatin1String(test::kScriptLine));
        }
        ASSERT_LT(j, lines.size()) << "the block is never closed";
        EXPECT_TRUE(sawScriptLine);
        EXPECT_GE(fence, 5); // the line holds a run of four
        i = j;
    }
    EXPECT_EQ(blocks, 1);
}

TEST_F(ExportTest, MarkdownSummaryHasHeaderTopFindingsFixesAndProcesses)
{
    const QString md = QString::fromUtf8(exported(ExportFormat::Markdown, {ids.runId}));
    const Diagnosis diagnosis = diagnose(*reader, ids.runId);
    ASSERT_FALSE(diagnosis.findings.isEmpty());
    EXPECT_TRUE(md.startsWith(QStringLiteral("## InitScope: run %1 — probe \\<b\\>bold\\</b\\>\n").arg(ids.runId))) << md.left(200).toStdString();
    EXPECT_TRUE(md.contains(QStringLiteral("- **Command:** `/usr/bin/probe --all`")));
    EXPECT_TRUE(md.contains(QStringLiteral("- **Result:** exit code 1")));
    EXPECT_TRUE(md.contains(QStringLiteral("1. **\\[root cause\\] ")) || md.contains(QStringLiteral("1. **\\[contributing\\] ")));
    EXPECT_TRUE(md.contains(QStringLiteral("- **Fix:** ")));
    EXPECT_TRUE(md.contains(QStringLiteral("| pid | process | end ms | result |")));
    EXPECT_TRUE(md.contains(QStringLiteral("| 502 | · /usr/bin/ggml-runner '\\<script\\>alert(")))
        << md.toStdString();
}

TEST(MarkdownTextTest, NamesStayReadableWhileEverythingThatCouldBecomeMarkupIsEscaped)
{
    using exportdetail::markdownText;
    // What a diagnosis is made of reads as itself in the raw text.
    const QString plain = QStringLiteral("CUDA_ERROR_NOT_SUPPORTED (801) in libggml-cuda.so, cuGetProcAddress_v2 a__x__y");
    EXPECT_EQ(markdownText(plain, 500), plain);
    // Emphasis, code, links, HTML, entities, table bars and strikethrough do not.
    EXPECT_EQ(markdownText(u"_a_ *b* `c` [d](e) ![f](g) <i> &amp; x|y ~s~ \\", 500),
              QStringLiteral("\\_a\\_ \\*b\\* \\`c\\` \\[d\\](e) !\\[f\\](g) \\<i\\> \\&amp; x\\|y \\~s\\~ \\\\"));
    EXPECT_EQ(markdownText(u"word_ _word __init__", 500), QStringLiteral("word\\_ \\_word \\_\\_init\\_\\_"));
    // Block markup counts only at the start.
    EXPECT_EQ(markdownText(u"# title", 500), QStringLiteral("\\# title"));
    EXPECT_EQ(markdownText(u"- item", 500), QStringLiteral("\\- item"));
    EXPECT_EQ(markdownText(u"+1", 500), QStringLiteral("\\+1"));
}

TEST_F(ExportTest, MarkdownBundleTextCannotBecomeMarkupOrBreakATable)
{
    const QString md = QString::fromUtf8(exported(ExportFormat::Markdown));
    // Outside the fenced block, every < is escaped.
    QString outside;
    bool inFence = false;
    for (const QString &line : md.split(QLatin1Char('\n'))) {
        if (line.startsWith(QStringLiteral("```"))) {
            inFence = !inFence;
            continue;
        }
        if (!inFence && !line.startsWith(QStringLiteral("<sub>")))
            outside += line + QLatin1Char('\n');
        // A table row has exactly its five column bars; a | from the bundle is escaped.
        if (!inFence && line.startsWith(QStringLiteral("| "))) {
            EXPECT_EQ(line.count(QRegularExpression(QStringLiteral("(?<!\\\\)\\|"))), 5) << line.toStdString();
        }
    }
    EXPECT_FALSE(outside.contains(QRegularExpression(QStringLiteral("(?<!\\\\)<")))) << outside.toStdString();
}

TEST(ExportFormatTest, NamesAndFileSuffixesPickTheFormat)
{
    EXPECT_EQ(exportFormatFromName(u"chrome"), ExportFormat::ChromeTrace);
    EXPECT_EQ(exportFormatFromName(u"Perfetto"), ExportFormat::ChromeTrace);
    EXPECT_EQ(exportFormatFromName(u"HTML"), ExportFormat::Html);
    EXPECT_EQ(exportFormatFromName(u"md"), ExportFormat::Markdown);
    EXPECT_FALSE(exportFormatFromName(u"pdf"));
    EXPECT_EQ(exportFormatForPath(u"/tmp/a.trace.json"), ExportFormat::ChromeTrace);
    EXPECT_EQ(exportFormatForPath(u"ticket.HTM"), ExportFormat::Html);
    EXPECT_EQ(exportFormatForPath(u"issue.markdown"), ExportFormat::Markdown);
    EXPECT_FALSE(exportFormatForPath(u"bundle.initscope"));
    for (ExportFormat f : {ExportFormat::ChromeTrace, ExportFormat::Html, ExportFormat::Markdown}) {
        EXPECT_EQ(exportFormatFromName(exportFormatName(f)), f);
        EXPECT_EQ(exportFormatForPath(QStringLiteral("x.") + exportSuffix(f)), f);
    }
}
