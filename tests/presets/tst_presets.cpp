// Presets and stop rules: the ollama preset stops a server once discovery has spoken, with its
// own port, model folder and debug level; --stop-on; matrices of variations.
#include "recordtestutil.h"

#include "bundle.h"
#include "diagnosis.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

QString envOf(const Process &p, const QString &name)
{
    for (const QString &kv : p.env)
        if (kv.startsWith(name + QLatin1Char('=')))
            return kv.mid(name.size() + 1);
    return QString();
}

} // namespace

TEST(OllamaPreset, StopsTheServerWhenDiscoveryHasSpokenWithItsOwnPortModelsAndDebug)
{
    QTemporaryDir dir;
    const QString bin = dir.filePath(QStringLiteral("bin"));
    ASSERT_TRUE(QDir().mkpath(bin));
    ASSERT_TRUE(QFile::copy(QStringLiteral(FAKE_OLLAMA), bin + QStringLiteral("/ollama")));
    QFile(bin + QStringLiteral("/ollama")).setPermissions(QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadUser | QFileDevice::ExeUser);
    const QString bundle = dir.filePath(QStringLiteral("ollama.initscope"));
    QElapsedTimer timer;
    timer.start();
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--preset"), QStringLiteral("ollama"),
                                     QStringLiteral("--env"), QStringLiteral("PATH=%1:/usr/bin:/bin").arg(bin),
                                     QStringLiteral("-o"), bundle},
                                    90000);
    EXPECT_LT(timer.elapsed(), 20000) << "stopped by the rule, not by the 30 s sleep or the 60 s limit";
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_TRUE(run.err.contains("stopped as planned (a line matched the stop rule:")) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_FALSE(r.timedOut);
    const QList<Process> processes = reader->processes(r.id);
    ASSERT_FALSE(processes.isEmpty());
    const Process &server = processes.first();
    EXPECT_EQ(envOf(server, QStringLiteral("OLLAMA_DEBUG")), QStringLiteral("2"));
    EXPECT_TRUE(envOf(server, QStringLiteral("OLLAMA_HOST")).startsWith(QLatin1String("127.0.0.1:")));
    EXPECT_NE(envOf(server, QStringLiteral("OLLAMA_HOST")), QStringLiteral("127.0.0.1:11434")) << "never the default port";
    EXPECT_TRUE(QFileInfo(envOf(server, QStringLiteral("OLLAMA_MODELS"))).isDir());
    const QByteArray err = streamOf(*reader, server.id, Stream::Stderr);
    EXPECT_TRUE(err.contains("msg=\"inference compute\""));
    EXPECT_FALSE(err.contains("still serving after discovery"));
    bool note = false;
    for (const Event &e : reader->eventsOfKind(r.id, -1, QStringLiteral("recorder.note")))
        note = note || e.name.contains(QLatin1String("inference compute"));
    EXPECT_TRUE(note) << "the bundle says why the run ended";
    const QJsonObject config = QJsonDocument::fromJson(r.configJson).object();
    EXPECT_EQ(config.value(QLatin1String("preset")).toString(), QStringLiteral("ollama"));
    EXPECT_EQ(config.value(QLatin1String("command")).toArray().first().toString(), QStringLiteral("ollama"));
    // SIGTERM from the stop rule is not a crash.
    for (const Finding &f : diagnose(*reader, r.id).findings)
        EXPECT_NE(f.id, QStringLiteral("crash")) << f.title.toStdString();
}

TEST(StopRule, StopOnEndsTheTreeAtTheFirstMatchingLineOfAnyProcess)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("stop.initscope"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--stop-on"), QStringLiteral("ready to serve"), QStringLiteral("--"),
                                     QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                     QStringLiteral("(sleep 0.2; echo 'child: ready to serve') & sleep 30; echo never")},
                                    60000);
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    EXPECT_LT(reader->runs().first().durationNs, qint64(10) * 1000000000);
}

TEST(StopRule, UnknownPresetIsAUsageError)
{
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("--preset"), QStringLiteral("bogus"),
                                     QStringLiteral("--"), QStringLiteral("/bin/true")});
    EXPECT_EQ(run.exitCode, 64);
    EXPECT_TRUE(run.err.contains("unknown preset \"bogus\" (known: probe, ollama, custom)")) << run.err.toStdString();
}

TEST(Matrix, FiveVariationsOfTheFakeGpuEachGetABundleAndAGridRow)
{
    QTemporaryDir dir;
    const QString fake = QStringLiteral(FAKEGPU_DIR "/default");
    const QJsonObject base{{QStringLiteral("command"), QJsonArray{binary(QStringLiteral("initscope-probe")), QStringLiteral("--driver-only")}},
                           {QStringLiteral("shims"), QJsonArray{QJsonObject{{QStringLiteral("path"), fake + QStringLiteral("/libcuda.so.1")}},
                                                                QJsonObject{{QStringLiteral("path"), fake + QStringLiteral("/libnvidia-ml.so.1")}}}},
                           {QStringLiteral("environment"), QJsonObject{{QStringLiteral("set"), QJsonObject{{QStringLiteral("INITSCOPE_FAKEGPU_MODE"), QStringLiteral("healthy")}}}}}};
    auto set = [](const char *name, const char *value) {
        return QJsonObject{{QStringLiteral("set"), QJsonObject{{QLatin1String(name), QLatin1String(value)}}}};
    };
    const QJsonArray variations{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("healthy")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("incident")}, {QStringLiteral("environment"), set("INITSCOPE_FAKEGPU_MODE", "no-export-tables")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("hidden devices")}, {QStringLiteral("environment"), set("CUDA_VISIBLE_DEVICES", "-1")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("no shims")}, {QStringLiteral("shims"), QJsonArray{}}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("bind now")}, {QStringLiteral("environment"), set("LD_BIND_NOW", "1")}}};
    const QString file = dir.filePath(QStringLiteral("m.json"));
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("fake modes")},
                                      {QStringLiteral("base"), base},
                                      {QStringLiteral("variations"), variations}})
                .toJson());
    f.close();
    const QString out = dir.filePath(QStringLiteral("runs"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("--matrix"), file, QStringLiteral("-o"), out, QStringLiteral("--json")}, 120000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QJsonArray rows = QJsonDocument::fromJson(run.out).object().value(QLatin1String("runs")).toArray();
    ASSERT_EQ(rows.size(), 5);
    auto row = [&](int i, const char *key) { return rows[i].toObject().value(QLatin1String(key)).toString(); };
    EXPECT_EQ(row(0, "end"), QStringLiteral("exit 0"));
    EXPECT_EQ(row(0, "devices"), QStringLiteral("1 (CUDA driver API)"));
    EXPECT_EQ(row(0, "topFinding"), QStringLiteral("no departure"));
    EXPECT_EQ(row(1, "topFinding"), QStringLiteral("export table CUDART_INTERFACE refused"));
    EXPECT_EQ(row(2, "topFinding"), QStringLiteral("CUDA_VISIBLE_DEVICES=\"-1\" hides every device"));
    EXPECT_EQ(row(3, "topFinding"), QStringLiteral("libcuda.so.1 not found"));
    EXPECT_TRUE(row(3, "errorLine").contains(QLatin1String("cannot open shared object file"))) << row(3, "errorLine").toStdString();
    EXPECT_EQ(row(4, "end"), QStringLiteral("exit 0"));
    for (int i = 0; i < 5; ++i) {
        auto reader = openBundle(row(i, "bundle"));
        ASSERT_TRUE(reader) << row(i, "bundle").toStdString();
        EXPECT_EQ(reader->runs().first().name, row(i, "variation"));
    }
    EXPECT_TRUE(run.err.contains("[5/5] bind now")) << "progress per variation";
}

TEST(Matrix, BadMatrixFilesAreOneClearError)
{
    QTemporaryDir dir;
    EXPECT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("--matrix"), dir.filePath(QStringLiteral("absent.json"))}).exitCode, 66);
    const QString file = dir.filePath(QStringLiteral("bad.json"));
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(R"({"base": {"command": ["/bin/true"]}, "variations": [{"name": "x", "colour": "red"}]})");
    f.close();
    const CliRun bad = runInitscope({QStringLiteral("record"), QStringLiteral("--matrix"), file});
    EXPECT_EQ(bad.exitCode, 65);
    EXPECT_TRUE(bad.err.contains("variation \"x\": unknown key \"colour\"")) << bad.err.toStdString();
    EXPECT_EQ(bad.err.count('\n'), 1);
}

TEST(Collect, FilesMatchingThePatternAreKeptInTheBundleAfterTheRun)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("collect.initscope"));
    const QString logs = dir.filePath(QStringLiteral("logs"));
    ASSERT_TRUE(QDir().mkpath(logs));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--collect"), logs + QStringLiteral("/shim-*.log"), QStringLiteral("--"),
                                     QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                     QStringLiteral("echo '2025-11-01 10:00:00.123 shim: cuInit forwarded' > %1/shim-$$.log; echo other > %1/other.txt").arg(logs)});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    QStringList collected;
    for (const Artifact &a : reader->artifacts(reader->runs().first().id))
        if (a.kind == QLatin1String("collected")) {
            collected.append(QFileInfo(a.path).fileName());
            EXPECT_TRUE(a.content.contains("shim: cuInit forwarded"));
            EXPECT_EQ(a.sha256.size(), 64);
        }
    ASSERT_EQ(collected.size(), 1);
    EXPECT_TRUE(collected.first().startsWith(QLatin1String("shim-")));
    const QJsonObject config = QJsonDocument::fromJson(reader->runs().first().configJson).object();
    EXPECT_EQ(config.value(QLatin1String("collect")).toArray().size(), 1);
}
