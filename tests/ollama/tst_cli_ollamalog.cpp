// `initscope diagnose --ollama-log LOG [--json] [--save BUNDLE]` as a user runs it: exit codes
// (0 root cause, 1 none, 64 usage, 65 bad log, 66 missing), the JSON shape of `diagnose --json`,
// plain, journald and docker-prefixed logs, one-line errors, and --save.
#include <QDir>
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

Result runInitscope(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(INITSCOPE_BIN_DIR "/initscope"), args);
    p.waitForFinished(60000);
    Result r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString corpusLog(const char *name)
{
    return QStringLiteral(OLLAMA_CORPUS_DIR "/%1/log.txt").arg(QLatin1String(name));
}

QJsonObject firstFinding(const QJsonObject &doc)
{
    return doc.value(QLatin1String("runs")).toArray().first().toObject().value(QLatin1String("findings")).toArray()
        .first().toObject();
}

} // namespace

TEST(CliOllamaLog, PlainLogWithARunnerErrorExitsZeroAndPrintsTheFinding)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"),
                                   corpusLog("cuda-v13-driver-insufficient")});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    EXPECT_TRUE(r.out.startsWith("Diagnosis of run 1: Ollama log: log.txt")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("[root cause] ggml could not initialise CUDA: CUDA driver version is insufficient"))
        << r.out.constData();
    EXPECT_TRUE(r.err.isEmpty()) << r.err.constData();
}

TEST(CliOllamaLog, JsonHasTheShapeOfDiagnoseJson)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"),
                                   corpusLog("llama-server-discovery-crash-cpu"), QStringLiteral("--json")});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    QJsonParseError error;
    const QJsonObject doc = QJsonDocument::fromJson(r.out, &error).object();
    ASSERT_EQ(error.error, QJsonParseError::NoError) << r.out.constData();
    EXPECT_EQ(doc.value(QLatin1String("format")).toString(), QStringLiteral("initscope-diagnosis"));
    EXPECT_EQ(doc.value(QLatin1String("version")).toInt(), 1);
    EXPECT_TRUE(doc.value(QLatin1String("ollamaLog")).toString().endsWith(QLatin1String("/log.txt")));
    EXPECT_TRUE(doc.value(QLatin1String("savedBundle")).isNull());
    const QJsonObject run = doc.value(QLatin1String("runs")).toArray().first().toObject();
    EXPECT_EQ(run.value(QLatin1String("name")).toString(), QStringLiteral("Ollama log: log.txt"));
    EXPECT_TRUE(run.value(QLatin1String("rootCauseFound")).toBool());
    const QJsonArray findings = run.value(QLatin1String("findings")).toArray();
    ASSERT_EQ(findings.size(), 2);
    const QJsonObject top = findings.at(0).toObject();
    EXPECT_EQ(top.value(QLatin1String("id")).toString(), QStringLiteral("ollama-discovery-failed"));
    EXPECT_EQ(top.value(QLatin1String("severity")).toString(), QStringLiteral("root cause"));
    for (const char *key : {"title", "confidence", "processId", "pid", "tsNs", "step", "succeededBefore",
                            "consequence", "fix", "errorLine", "evidence"})
        EXPECT_TRUE(top.contains(QLatin1String(key))) << key;
    EXPECT_EQ(top.value(QLatin1String("errorLine")).toObject().value(QLatin1String("line")).toInt(), 1);
    const QJsonObject evidence = top.value(QLatin1String("evidence")).toArray().first().toObject();
    EXPECT_EQ(evidence.value(QLatin1String("kind")).toString(), QStringLiteral("output"));
    EXPECT_EQ(evidence.value(QLatin1String("stream")).toString(), QStringLiteral("stderr"));
    const QJsonObject second = findings.at(1).toObject();
    EXPECT_EQ(second.value(QLatin1String("id")).toString(), QStringLiteral("ollama-cpu-fallback"));
    EXPECT_EQ(second.value(QLatin1String("severity")).toString(), QStringLiteral("contributing"));
}

TEST(CliOllamaLog, JournaldPrefixedLogIsRead)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"), QStringLiteral("--ollama-log"),
                                   corpusLog("journald-cudart-init-failure-100")});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    const QJsonObject top = firstFinding(QJsonDocument::fromJson(r.out).object());
    EXPECT_EQ(top.value(QLatin1String("id")).toString(), QStringLiteral("ollama-discovery-failed"));
    EXPECT_EQ(top.value(QLatin1String("pid")).toInteger(), 6500) << "the server's pid comes from the journald prefix";
    EXPECT_TRUE(top.value(QLatin1String("step")).toString().contains(QLatin1String("cudaErrorNoDevice (100")));
}

TEST(CliOllamaLog, DockerComposePrefixedLogIsRead)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"),
                                   QStringLiteral("--ollama-log=") + corpusLog("compose-discovery-timeout")});
    EXPECT_EQ(r.exitCode, 0) << r.err.constData();
    const QJsonObject top = firstFinding(QJsonDocument::fromJson(r.out).object());
    EXPECT_EQ(top.value(QLatin1String("id")).toString(), QStringLiteral("ollama-discovery-failed"));
    EXPECT_TRUE(top.value(QLatin1String("step")).toString().contains(QLatin1String("failed to finish discovery before timeout")));
}

TEST(CliOllamaLog, HealthyLogExitsOne)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"),
                                   corpusLog("journald-inference-compute-4090s")});
    EXPECT_EQ(r.exitCode, 1) << r.out.constData() << r.err.constData();
    EXPECT_TRUE(r.out.contains("No departure")) << r.out.constData();
}

TEST(CliOllamaLog, MissingLogExits66WithOneLine)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"),
                                   QStringLiteral("/nonexistent/ollama.log")});
    EXPECT_EQ(r.exitCode, 66);
    EXPECT_EQ(r.err, QByteArray("initscope: The log /nonexistent/ollama.log does not exist.\n"));
    EXPECT_TRUE(r.out.isEmpty());
}

TEST(CliOllamaLog, TextThatIsNotALogExits65WithOneLine)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("notes.txt"));
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("shopping list\n- milk\n- bread\n");
    f.close();
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"), path});
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_TRUE(r.err.startsWith("initscope: " + path.toUtf8() + " is not an Ollama or llama.cpp log"))
        << r.err.constData();
    EXPECT_EQ(r.err.count('\n'), 1) << r.err.constData();
    EXPECT_TRUE(r.out.isEmpty());
}

TEST(CliOllamaLog, EmptyLogExits65)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("empty.log"));
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.close();
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"), path});
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_TRUE(r.err.contains("is empty")) << r.err.constData();
}

TEST(CliOllamaLog, LogTogetherWithABundleFileIsAUsageError)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--ollama-log"),
                                   corpusLog("cuinit-802-h200"), QStringLiteral("run.initscope")});
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_TRUE(r.err.startsWith("initscope diagnose: ")) << r.err.constData();
}

TEST(CliOllamaLog, SaveKeepsABundleThatDiagnosesTheSame)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("customer.initscope"));
    const Result fromLog = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"), QStringLiteral("--ollama-log"),
                                         corpusLog("inprocess-nvml-999-no-gpu"), QStringLiteral("--save"), bundle});
    EXPECT_EQ(fromLog.exitCode, 0) << fromLog.err.constData();
    ASSERT_TRUE(QFile::exists(bundle));
    const QJsonObject logDoc = QJsonDocument::fromJson(fromLog.out).object();
    EXPECT_EQ(logDoc.value(QLatin1String("bundle")).toString(), bundle);
    EXPECT_EQ(logDoc.value(QLatin1String("savedBundle")).toString(), bundle);

    const Result fromBundle = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"), bundle});
    EXPECT_EQ(fromBundle.exitCode, 0) << fromBundle.err.constData();
    const QJsonObject bundleDoc = QJsonDocument::fromJson(fromBundle.out).object();
    EXPECT_EQ(logDoc.value(QLatin1String("runs")), bundleDoc.value(QLatin1String("runs")));

    // The report of the saved bundle shows the imported server and its finding.
    const Result report = runInitscope({QStringLiteral("report"), bundle});
    EXPECT_EQ(report.exitCode, 0) << report.err.constData();
    EXPECT_TRUE(report.out.contains("imported-log")) << report.out.constData();
    EXPECT_TRUE(report.out.contains("NVML_ERROR_UNKNOWN")) << report.out.constData();
}

TEST(CliOllamaLog, HelpNamesTheOption)
{
    const Result r = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.contains("--ollama-log LOG")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("--save BUNDLE")) << r.out.constData();
}
