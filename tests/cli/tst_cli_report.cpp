// `initscope report` as a user runs it: exit codes, the one-line message for a bundle that
// cannot be used, and the run selection.
#include "bundle.h"
#include "reportfixture.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

namespace {

struct Result {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Result runCli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(INITSCOPE_BIN_DIR "/initscope"), args);
    Result r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(60000)) {
        r.err = "could not run " INITSCOPE_BIN_DIR "/initscope: " + p.errorString().toUtf8();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

class CliReport : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(dir.isValid()); }

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = dir.filePath(name);
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(content);
        return path;
    }

    QString fixture()
    {
        const QString path = dir.filePath(QStringLiteral("fixture.initscope"));
        QString why;
        EXPECT_TRUE(initscope::test::writeReportFixture(path, &ids, &why)) << qPrintable(why);
        return path;
    }

    // Exactly one line, "initscope: " first, naming the file.
    static void expectOneLineMessage(const Result &r, const QString &path)
    {
        EXPECT_TRUE(r.err.startsWith("initscope: ")) << r.err.constData();
        EXPECT_TRUE(r.err.endsWith('\n')) << r.err.constData();
        EXPECT_EQ(r.err.count('\n'), 1) << r.err.constData();
        EXPECT_TRUE(r.err.contains(path.toUtf8())) << r.err.constData();
        EXPECT_TRUE(r.out.isEmpty()) << r.out.constData();
    }

    QTemporaryDir dir;
    initscope::test::ReportFixture ids;
};

} // namespace

TEST_F(CliReport, MissingFileExitsNoInputWithOneLine)
{
    const QString path = dir.filePath(QStringLiteral("absent.initscope"));
    const Result r = runCli({QStringLiteral("report"), path});
    EXPECT_EQ(r.exitCode, 66) << r.err.constData();
    expectOneLineMessage(r, path);
}

TEST_F(CliReport, EmptyFileExitsBadInputWithOneLine)
{
    const QString path = writeFile(QStringLiteral("empty.initscope"), QByteArray());
    const Result r = runCli({QStringLiteral("report"), path});
    EXPECT_EQ(r.exitCode, 65) << r.err.constData();
    expectOneLineMessage(r, path);
}

TEST_F(CliReport, GarbageFileExitsBadInputWithOneLine)
{
    QByteArray garbage;
    for (int i = 0; i < 4096; ++i)
        garbage.append(char((i * 7919) % 251));
    const QString path = writeFile(QStringLiteral("garbage.initscope"), garbage);
    const Result r = runCli({QStringLiteral("report"), QStringLiteral("--json"), path});
    EXPECT_EQ(r.exitCode, 65) << r.err.constData();
    expectOneLineMessage(r, path);
}

TEST_F(CliReport, UsageErrorsExitUsage)
{
    const QString path = fixture();
    EXPECT_EQ(runCli({QStringLiteral("report")}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("report"), path, path}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("report"), QStringLiteral("--no-such-option"), path}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("report"), QStringLiteral("--run"), QStringLiteral("x"), path}).exitCode, 64);
    const Result unknownRun =
        runCli({QStringLiteral("report"), QStringLiteral("--run"), QStringLiteral("999999"), path});
    EXPECT_EQ(unknownRun.exitCode, 64);
    EXPECT_TRUE(unknownRun.err.contains("999999")) << unknownRun.err.constData();
}

TEST_F(CliReport, HelpExitsOkOnStdout)
{
    const Result r = runCli({QStringLiteral("report"), QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.startsWith("usage: initscope report")) << r.out.constData();
}

TEST_F(CliReport, TextReportsEveryRunByDefault)
{
    const QString path = fixture();
    const Result r = runCli({QStringLiteral("report"), path});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    EXPECT_TRUE(r.err.isEmpty()) << r.err.constData();
    const QString out = QString::fromUtf8(r.out);
    EXPECT_TRUE(out.contains(QStringLiteral("Run %1: runner-crash\n").arg(ids.runId))) << qPrintable(out);
    EXPECT_TRUE(out.contains(QStringLiteral("\nRun %1: clean\n").arg(ids.secondRunId))) << qPrintable(out);
    EXPECT_TRUE(out.contains(QStringLiteral("killed by signal SIGSEGV (11) [core dumped]")));
}

TEST_F(CliReport, JsonWithRunSelectsThatRunOnly)
{
    const QString path = fixture();
    const Result r = runCli({QStringLiteral("report"), QStringLiteral("--json"),
                             QStringLiteral("--run"), QString::number(ids.secondRunId), path});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    ASSERT_EQ(error.error, QJsonParseError::NoError) << qPrintable(error.errorString());
    EXPECT_EQ(doc.object().value("format").toString(), QStringLiteral("initscope-report"));
    const QJsonArray runs = doc.object().value("runs").toArray();
    ASSERT_EQ(runs.size(), 1);
    EXPECT_EQ(runs.at(0).toObject().value("id").toInteger(), ids.secondRunId);
}

TEST_F(CliReport, BundleWithoutRunsSaysSoAndExitsOk)
{
    const QString path = dir.filePath(QStringLiteral("norun.initscope"));
    initscope::BundleError error;
    auto writer = initscope::BundleWriter::create(path, &error);
    ASSERT_TRUE(writer) << qPrintable(error.message);
    ASSERT_TRUE(writer->commit(&error)) << qPrintable(error.message);

    const Result text = runCli({QStringLiteral("report"), path});
    EXPECT_EQ(text.exitCode, 0) << text.err.constData();
    EXPECT_EQ(text.out, path.toUtf8() + " holds no runs.\n");
    const Result json = runCli({QStringLiteral("report"), QStringLiteral("--json"), path});
    EXPECT_EQ(json.exitCode, 0) << json.err.constData();
    const QJsonObject doc = QJsonDocument::fromJson(json.out).object();
    EXPECT_TRUE(doc.value("runs").isArray());
    EXPECT_EQ(doc.value("runs").toArray().size(), 0);
}
