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
