// The progress line on standard error (core/progress.h, docs/cli.md "Progress"): drawn on a
// terminal and erased at the end, never on a pipe, never over the target's own output, which
// reaches the terminal byte for byte.
#include "clirun.h"
#include "bundle.h"
#include "ingest.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <algorithm>

using namespace initscope::test;

namespace {

// What the target writes on its standard output, in pieces with pauses between them, so that the
// progress line has time to appear: a line cut in two by a pause, a tab, a last line without
// newline.
constexpr char kTargetOutput[] = "first line\npartial end\ntab\there\nlast";
constexpr char kTargetScript[] =
    "printf 'first line\\n'; sleep 0.4\n"
    "printf 'partial'; sleep 0.4\n"
    "printf ' end\\n'; sleep 0.4\n"
    "printf 'tab\\there\\n'; sleep 0.4\n"
    "printf 'last'\n";

class Progress : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        QFile script(dir.filePath(QStringLiteral("target.sh")));
        ASSERT_TRUE(script.open(QIODevice::WriteOnly));
        script.write(kTargetScript);
    }

    QStringList recordArgs(const QStringList &extra = {}) const
    {
        return QStringList{QStringLiteral("record"), QStringLiteral("-o"), dir.filePath(QStringLiteral("t.initscope"))} +
               extra + QStringList{QStringLiteral("--"), QStringLiteral("/bin/sh"), dir.filePath(QStringLiteral("target.sh"))};
    }

    QTemporaryDir dir;
};

// Positions of the draws (a non-empty line) in a transcript.
QList<qsizetype> drawPositions(const QByteArray &transcript)
{
    static const QRegularExpression draw(QStringLiteral("\\r[^\\r\\n\\x1b]+\\x1b\\[K"));
    QList<qsizetype> at;
    auto it = draw.globalMatch(QString::fromLatin1(transcript));
    while (it.hasNext())
        at.append(it.next().capturedStart());
    return at;
}

} // namespace

TEST_F(Progress, DrawnOnATerminalAndErasedAtTheEnd)
{
    const CliResult r = runInTerminal(recordArgs());
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\rinitscope: recording sh, ")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("processes, ") || r.out.contains("1 process, ")) << r.out.constData();
    EXPECT_TRUE(r.out.contains(" bytes of output\x1b[K")) << r.out.constData();
    // The last progress sequence before the summary is an erase, and the summary is on a clean line.
    const qsizetype summary = r.out.indexOf("initscope: exit 0;");
    ASSERT_GE(summary, 0) << r.out.constData();
    const qsizetype lastDraw = drawPositions(r.out).value(drawPositions(r.out).size() - 1, -1);
    const qsizetype lastErase = r.out.lastIndexOf("\r\x1b[K", summary);
    ASSERT_GE(lastDraw, 0);
    EXPECT_GT(lastErase, lastDraw) << r.out.constData();
    EXPECT_FALSE(r.out.mid(summary).contains('\r')) << "drawn again after the summary";
}

TEST_F(Progress, HiddenWhenStandardErrorIsNotATerminal)
{
    const CliResult r = runPiped(recordArgs());
    ASSERT_EQ(r.exitCode, 0) << r.err.constData();
    EXPECT_EQ(r.out, QByteArray(kTargetOutput));
    EXPECT_FALSE(r.err.contains('\r')) << r.err.constData();
    EXPECT_FALSE(r.err.contains('\x1b')) << r.err.constData();
    EXPECT_TRUE(r.err.startsWith("initscope: exit 0;")) << r.err.constData();
}

TEST_F(Progress, HiddenOnATerminalWithSettingNever)
{
    const CliResult r = runInTerminal(recordArgs(), {QStringLiteral("INITSCOPE_PROGRESS=never")});
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_FALSE(r.out.contains('\x1b')) << r.out.constData();
    EXPECT_FALSE(r.out.contains('\r')) << r.out.constData();
}

TEST_F(Progress, ShownOnAPipeWithSettingAlways)
{
    const CliResult r = runPiped(recordArgs(), {QStringLiteral("INITSCOPE_PROGRESS=always")});
    ASSERT_EQ(r.exitCode, 0) << r.err.constData();
    EXPECT_TRUE(r.err.contains("\rinitscope: recording sh, ")) << r.err.constData();
}

TEST_F(Progress, ForwardedOutputStaysByteExactAroundTheLine)
{
    const CliResult r = runInTerminal(recordArgs());
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    ASSERT_FALSE(drawPositions(r.out).isEmpty()) << "the line never appeared: " << r.out.constData();
    // With the progress sequences taken out, the transcript is the target's output, then the summary.
    const QByteArray plain = withoutProgress(r.out);
    EXPECT_TRUE(plain.startsWith(kTargetOutput)) << plain.constData();
    EXPECT_TRUE(plain.mid(qsizetype(sizeof kTargetOutput) - 1).startsWith("initscope: exit 0;")) << plain.constData();
    // The line is drawn only at the start of a line: never over "partial" before its " end".
    for (qsizetype at : drawPositions(r.out)) {
        const QByteArray before = withoutProgress(r.out.left(at));
        EXPECT_TRUE(before.isEmpty() || before.endsWith('\n'))
            << "drawn after \"" << before.right(20).constData() << "\"";
    }
}

TEST_F(Progress, AtMostTenDrawsASecond)
{
    QFile script(dir.filePath(QStringLiteral("target.sh")));
    ASSERT_TRUE(script.open(QIODevice::WriteOnly | QIODevice::Truncate));
    // A chatty target: a line every 10 ms for 2 s.
    script.write("i=0; while [ $i -lt 200 ]; do echo \"line $i\"; sleep 0.01; i=$((i+1)); done\n");
    script.close();
    const CliResult r = runInTerminal(recordArgs());
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    const qsizetype draws = drawPositions(r.out).size();
    EXPECT_GT(draws, 0);
    EXPECT_LE(draws, r.elapsedMs / 100 + 2) << draws << " draws in " << r.elapsedMs << " ms";
    for (int i = 0; i < 200; ++i)
        EXPECT_TRUE(withoutProgress(r.out).contains(QStringLiteral("line %1\n").arg(i).toUtf8())) << i;
}

TEST_F(Progress, MatrixNamesTheVariationBeingRecorded)
{
    const QString matrix = dir.filePath(QStringLiteral("m.json"));
    QFile f(matrix);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(QStringLiteral(R"({"name": "slow", "base": {"command": ["/bin/sh", "%1"]},
        "variations": [{"name": "first"}, {"name": "second"}]})")
                .arg(dir.filePath(QStringLiteral("target.sh")))
                .toUtf8());
    f.close();
    const CliResult r = runInTerminal({QStringLiteral("record"), QStringLiteral("--matrix"), matrix, QStringLiteral("-o"),
                                       dir.filePath(QStringLiteral("out"))});
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\rinitscope: recording variation 1 of 2 (first), ")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\rinitscope: recording variation 2 of 2 (second), ")) << r.out.constData();
    // The lines the GUI reads stay as they were.
    EXPECT_TRUE(withoutProgress(r.out).contains("[2/2] second\n")) << r.out.constData();
}

// Ingest reports its progress in bytes of the raw records, up to their total.
TEST(IngestProgress, CountsUpToTheTotalOfTheRawRecords)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const CliResult r = runPiped({QStringLiteral("record"), QStringLiteral("--keep-raw"), QStringLiteral("-o"),
                                  dir.filePath(QStringLiteral("a.initscope")), QStringLiteral("--"),
                                  QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("echo one; echo two >&2")});
    ASSERT_EQ(r.exitCode, 0) << r.err.constData();
    const QRegularExpressionMatch kept = QRegularExpression(QStringLiteral("raw records kept in (\\S+)")).match(QString::fromUtf8(r.err));
    ASSERT_TRUE(kept.hasMatch()) << r.err.constData();
    const QString rawDir = kept.captured(1);

    initscope::BundleError error;
    auto writer = initscope::BundleWriter::create(dir.filePath(QStringLiteral("b.initscope")), &error);
    ASSERT_TRUE(writer) << qPrintable(error.message);
    QList<std::pair<qint64, qint64>> calls;
    initscope::IngestOptions options;
    options.progress = [&calls](qint64 done, qint64 total) { calls.append({done, total}); };
    initscope::Run run;
    run.name = QStringLiteral("again");
    run.command = {QStringLiteral("/bin/sh")};
    QString why;
    ASSERT_TRUE(initscope::ingestRunDirectory(rawDir, run, *writer, options, nullptr, &why)) << qPrintable(why);
    QDir(rawDir).removeRecursively();
    ASSERT_FALSE(calls.isEmpty());
    const qint64 total = calls.first().second;
    EXPECT_GT(total, 0);
    qint64 last = 0;
    for (const auto &[done, t] : calls) {
        EXPECT_EQ(t, total);
        EXPECT_GE(done, last);
        EXPECT_LE(done, total);
        last = done;
    }
    EXPECT_EQ(last, total);
}

// `initscope export` of a run of 200,000 calls (a real recording on the fake GPU): the line counts
// the events written, on a terminal, and ends erased; piped, nothing of it; the file is the same.
TEST(ExportProgress, CountsTheEventsWrittenOnATerminalAndNothingOnAPipe)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString bundle = dir.filePath(QStringLiteral("calls.initscope"));
    const CliResult record = runPiped({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                       QStringLiteral("--shim"), QStringLiteral(FAKEGPU_DIR "/libcuda.so.1"),
                                       QStringLiteral("--"), QStringLiteral(FIXTURE_DIR "/fork_calls"),
                                       QStringLiteral("single"), QStringLiteral("100000")});
    ASSERT_EQ(record.exitCode, 0) << record.err.constData();

    const QString onTerminal = dir.filePath(QStringLiteral("terminal.json"));
    const CliResult shown = runInTerminal({QStringLiteral("export"), QStringLiteral("-o"), onTerminal, bundle});
    ASSERT_EQ(shown.exitCode, 0) << shown.out.constData();
    static const QRegularExpression line(QStringLiteral("\\rinitscope: exporting chrome (\\d+)% \\((\\d+) of (\\d+) events\\)"));
    QList<int> percents;
    for (auto it = line.globalMatch(QString::fromLatin1(shown.out)); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        percents.append(m.captured(1).toInt());
        EXPECT_GE(m.captured(3).toLongLong(), 200000) << "the total counts every call";
    }
    ASSERT_FALSE(percents.isEmpty()) << "no progress line: " << shown.out.left(400).constData();
    EXPECT_TRUE(std::is_sorted(percents.begin(), percents.end())) << "the count only goes up";
    EXPECT_TRUE(shown.out.endsWith("\r\x1b[K")) << "the line is erased at the end";

    const QString piped = dir.filePath(QStringLiteral("piped.json"));
    const CliResult quiet = runPiped({QStringLiteral("export"), QStringLiteral("-o"), piped, bundle});
    ASSERT_EQ(quiet.exitCode, 0) << quiet.err.constData();
    EXPECT_TRUE(quiet.err.isEmpty()) << quiet.err.left(200).constData();
    QFile a(onTerminal), b(piped);
    ASSERT_TRUE(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    EXPECT_EQ(a.size(), b.size()) << "the same export either way";
}
