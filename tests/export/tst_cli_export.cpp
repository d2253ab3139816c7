// `initscope export` as a user runs it: a recorded run whose child dies inside cuInit, the
// format taken from the output's name, standard output, atomic files and the exit codes.
#include "bundle.h"
#include "eventscan.h"
#include "exportbundle.h"

#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <algorithm>

using namespace initscope;

namespace {

struct Result {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Result runCli(const QStringList &args, const QString &program = QStringLiteral(INITSCOPE_BIN_DIR "/initscope"))
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("INITSCOPE_PROGRESS"), QStringLiteral("never"));
    p.setProcessEnvironment(env);
    p.start(program, args);
    Result r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(120000)) {
        r.err = "could not run " + program.toUtf8() + ": " + p.errorString().toUtf8();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

class CliExport : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        bundle = dir.filePath(QStringLiteral("export.initscope"));
        QString why;
        ASSERT_TRUE(test::writeExportBundle(bundle, &ids, &why)) << why.toStdString();
    }
    QTemporaryDir dir;
    QString bundle;
    test::ExportBundle ids;
};

} // namespace

TEST_F(CliExport, RecordedDeathInsideCuInitIsAnUnfinishedCallBesideEveryCompletedOne)
{
    // The fake GPU's crash-in-init mode: cuInit raises SIGSEGV inside the shim, after the
    // fixture's first driver calls returned.
    const QString recorded = dir.filePath(QStringLiteral("crash.initscope"));
    const Result record = runCli({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), recorded,
                                  QStringLiteral("--shim"), QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1"),
                                  QStringLiteral("--env"), QStringLiteral("INITSCOPE_FAKEGPU_MODE=crash-in-init"),
                                  QStringLiteral("--"), QStringLiteral(FIXTURE_DIR "/crash_at"), QStringLiteral("call"),
                                  QStringLiteral("segv")});
    ASSERT_TRUE(QFileInfo::exists(recorded)) << record.err.toStdString();
    BundleError error;
    const auto reader = BundleReader::open(recorded, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const qint64 runId = reader->runs().first().id;
    int calls = 0, unfinished = 0;
    for (const Event &e : reader->events(runId)) {
        if (!isCallKind(e.kind))
            continue;
        ++calls;
        unfinished += e.payload.contains("\"unfinished\":true") ? 1 : 0;
    }
    ASSERT_GT(calls, 1);
    ASSERT_EQ(unfinished, 1) << "the recording has the call the probe died in";

    const QString out = dir.filePath(QStringLiteral("crash.json"));
    const Result exported = runCli({QStringLiteral("export"), QStringLiteral("-o"), out, recorded});
    ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
    EXPECT_TRUE(exported.out.isEmpty());
    QJsonParseError parsed;
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(out), &parsed);
    ASSERT_EQ(parsed.error, QJsonParseError::NoError) << parsed.errorString().toStdString();
    int xCalls = 0, xUnfinished = 0, crashInstants = 0, rootCauses = 0;
    for (const QJsonValue &v : doc.object().value(QStringLiteral("traceEvents")).toArray()) {
        const QJsonObject e = v.toObject();
        const QString cat = e.value(QStringLiteral("cat")).toString();
        const QJsonObject args = e.value(QStringLiteral("args")).toObject();
        if (e.value(QStringLiteral("ph")).toString() == QLatin1String("X") && cat == QLatin1String("driver")) {
            ++xCalls;
            if (args.value(QStringLiteral("unfinished")).toBool()) {
                ++xUnfinished;
                EXPECT_EQ(e.value(QStringLiteral("name")).toString(), QStringLiteral("cuInit"));
                EXPECT_GE(e.value(QStringLiteral("dur")).toDouble(), 0.0);
            } else {
                EXPECT_TRUE(args.contains(QStringLiteral("result"))) << e.value(QStringLiteral("name")).toString().toStdString();
            }
        }
        if (e.value(QStringLiteral("ph")).toString() == QLatin1String("i") && args.value(QStringLiteral("signal")).toInt() == 11)
            ++crashInstants;
        if (cat == QLatin1String("diagnosis") && args.value(QStringLiteral("severity")).toString() == QLatin1String("root cause"))
            ++rootCauses;
    }
    EXPECT_EQ(xCalls, calls);
    EXPECT_EQ(xUnfinished, 1);
    EXPECT_EQ(crashInstants, 1);
    EXPECT_GE(rootCauses, 1);
}

// Perfetto's importer drops a complete event that ends inside another one it started within;
// chrome://tracing draws such pairs over each other. A real run where runtime calls enclose
// driver calls (the CUDA runtime on the fake GPU) and one with a forked child, an exec'd one and
// worker threads calling at once: on every thread, each slice lies wholly inside the one that
// encloses its start.
TEST_F(CliExport, ChromeTraceSlicesOfEveryThreadNestStrictly)
{
    const QString fake = QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1");
    const QList<QStringList> targets = {
        {QStringLiteral(INITSCOPE_BIN_DIR "/initscope-probe"), QStringLiteral("--runtime-only")},
        {QStringLiteral(FIXTURE_DIR "/fork_calls"), QStringLiteral("mid"), QStringLiteral("4"), QStringLiteral("200"),
         QStringLiteral("50")},
    };
    for (const QStringList &target : targets) {
        const QString recorded = dir.filePath(QFileInfo(target.first()).fileName() + QStringLiteral(".initscope"));
        const Result record = runCli(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"),
                                                 recorded, QStringLiteral("--shim"), fake, QStringLiteral("--")} +
                                     target);
        ASSERT_TRUE(QFileInfo::exists(recorded)) << record.err.toStdString();
        const QString out = dir.filePath(QFileInfo(target.first()).fileName() + QStringLiteral(".json"));
        const Result exported = runCli({QStringLiteral("export"), QStringLiteral("-o"), out, recorded});
        ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
        const QJsonDocument doc = QJsonDocument::fromJson(readAll(out));
        // (pid, tid) -> its slices as [start, end), in microseconds.
        QMap<QPair<qint64, qint64>, QList<QPair<double, double>>> slices;
        for (const QJsonValue &v : doc.object().value(QStringLiteral("traceEvents")).toArray()) {
            const QJsonObject e = v.toObject();
            if (e.value(QStringLiteral("ph")).toString() != QLatin1String("X"))
                continue;
            const double ts = e.value(QStringLiteral("ts")).toDouble();
            slices[{e.value(QStringLiteral("pid")).toInteger(), e.value(QStringLiteral("tid")).toInteger()}].append(
                {ts, ts + e.value(QStringLiteral("dur")).toDouble()});
        }
        ASSERT_FALSE(slices.isEmpty()) << qPrintable(target.first());
        int nested = 0;
        for (auto it = slices.begin(); it != slices.end(); ++it) {
            QList<QPair<double, double>> list = it.value();
            std::sort(list.begin(), list.end(), [](const auto &a, const auto &b) {
                return a.first < b.first || (a.first == b.first && a.second > b.second);
            });
            QList<QPair<double, double>> open;
            for (const auto &slice : list) {
                while (!open.isEmpty() && open.last().second <= slice.first)
                    open.removeLast();
                if (!open.isEmpty()) {
                    ++nested;
                    EXPECT_LE(slice.second, open.last().second + 1e-6)
                        << qPrintable(target.first()) << " pid " << it.key().first << " tid " << it.key().second
                        << ": a slice [" << slice.first << ", " << slice.second << ") ends after the one around it ["
                        << open.last().first << ", " << open.last().second << ")";
                }
                open.append(slice);
            }
        }
        if (target.first().endsWith(QLatin1String("initscope-probe")))
            EXPECT_GT(nested, 0) << "the runtime's calls enclose the driver calls they make";
        else
            EXPECT_EQ(slices.size(), 7) << "5 threads of the parent, the forked child, the exec'd one";
    }
}

TEST_F(CliExport, FormatFollowsTheOutputsNameAndStandardOutputGetsTheSameBytes)
{
    const QString md = dir.filePath(QStringLiteral("issue.md"));
    const QString json = dir.filePath(QStringLiteral("trace.json"));
    const QString html = dir.filePath(QStringLiteral("ticket.html"));
    for (const QString &out : {md, json, html}) {
        const Result r = runCli({QStringLiteral("export"), QStringLiteral("-o"), out, bundle});
        EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
        EXPECT_TRUE(r.err.isEmpty()) << r.err.toStdString();
    }
    EXPECT_TRUE(readAll(md).startsWith("## InitScope: run"));
    EXPECT_TRUE(readAll(json).startsWith("{\"displayTimeUnit\":\"ms\""));
    EXPECT_TRUE(readAll(html).startsWith("<!DOCTYPE html>"));

    const Result toStdout = runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("markdown"), bundle});
    EXPECT_EQ(toStdout.exitCode, 0);
    EXPECT_EQ(toStdout.out, readAll(md));
    const Result dash = runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("chrome"),
                                QStringLiteral("-o"), QStringLiteral("-"), bundle});
    EXPECT_EQ(dash.exitCode, 0);
    EXPECT_EQ(dash.out, readAll(json));
    // --format wins over the name.
    const QString odd = dir.filePath(QStringLiteral("trace.txt"));
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("chrome"), QStringLiteral("-o"), odd, bundle}).exitCode, 0);
    EXPECT_EQ(readAll(odd), readAll(json));
    // --run picks one run.
    const Result one = runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("md"),
                               QStringLiteral("--run"), QString::number(ids.secondRunId), bundle});
    EXPECT_EQ(one.exitCode, 0);
    EXPECT_TRUE(one.out.startsWith("## InitScope: run " + QByteArray::number(ids.secondRunId) + " — retry"));
    EXPECT_FALSE(one.out.contains("## InitScope: run " + QByteArray::number(ids.runId) + " "));
}

TEST_F(CliExport, ExitCodesSayWhatWentWrong)
{
    EXPECT_EQ(runCli({QStringLiteral("export")}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("export"), bundle}).exitCode, 64) << "no format and no file name to take it from";
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("pdf"), bundle}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("-o"), dir.filePath(QStringLiteral("x.pdf")), bundle}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("md"), QStringLiteral("--run"),
                      QStringLiteral("99"), bundle}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("md"), QStringLiteral("--run"),
                      QStringLiteral("one"), bundle}).exitCode, 64);
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--bogus"), bundle}).exitCode, 64);

    const Result missing = runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("md"),
                                   dir.filePath(QStringLiteral("absent.initscope"))});
    EXPECT_EQ(missing.exitCode, 66);
    EXPECT_TRUE(missing.err.startsWith("initscope: ")) << missing.err.toStdString();
    EXPECT_EQ(missing.err.count('\n'), 1);

    const QString notBundle = dir.filePath(QStringLiteral("notes.initscope"));
    QFile f(notBundle);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("just some text\n");
    f.close();
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("md"), notBundle}).exitCode, 65);

    const QString unwritable = dir.filePath(QStringLiteral("no-such-dir/trace.json"));
    const Result cannot = runCli({QStringLiteral("export"), QStringLiteral("-o"), unwritable, bundle});
    EXPECT_EQ(cannot.exitCode, 73);
    EXPECT_FALSE(QFileInfo::exists(unwritable));
}

TEST_F(CliExport, AnExistingFileIsReplacedOnlyByAWholeExport)
{
    const QString out = dir.filePath(QStringLiteral("trace.json"));
    QFile f(out);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("previous\n");
    f.close();
    // A bundle that cannot be read leaves the previous file as it was.
    const QString empty = dir.filePath(QStringLiteral("empty.initscope"));
    QFile e(empty);
    ASSERT_TRUE(e.open(QIODevice::WriteOnly));
    e.close();
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("-o"), out, empty}).exitCode, 65);
    EXPECT_EQ(readAll(out), QByteArray("previous\n"));
    EXPECT_EQ(runCli({QStringLiteral("export"), QStringLiteral("-o"), out, bundle}).exitCode, 0);
    EXPECT_TRUE(readAll(out).startsWith("{"));
    // Nothing but the export is left in the folder.
    QStringList names = QDir(dir.path()).entryList(QDir::Files | QDir::Hidden);
    names.removeAll(QStringLiteral("export.initscope"));
    names.removeAll(QStringLiteral("empty.initscope"));
    EXPECT_EQ(names, QStringList{QStringLiteral("trace.json")});
}

TEST_F(CliExport, HelpShowsUsageFormatsAndExamples)
{
    const Result r = runCli({QStringLiteral("export"), QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.startsWith("usage: initscope export"));
    EXPECT_TRUE(r.out.contains("\nexamples:\n"));
    for (const char *word : {"chrome", "html", "markdown", "--run", "-o"})
        EXPECT_TRUE(r.out.contains(word)) << word;
    const Result list = runCli({QStringLiteral("--help")});
    EXPECT_TRUE(list.out.contains("  export "));
}
