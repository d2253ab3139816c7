// A server log imported as a bundle: every corpus case through import → diagnose with the
// diagnosis its case.json expects, every byte of the log kept, lines given to the process that
// wrote them, times read from the log, and bad input refused with one clear error.
#include "bundle.h"
#include "diagnosis.h"
#include "ollamaimport.h"
#include "report.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

using namespace initscope;

namespace {

std::vector<std::string> corpusCases()
{
    std::vector<std::string> out;
    const QDir dir(QStringLiteral(OLLAMA_CORPUS_DIR));
    for (const QString &name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        out.push_back(name.toStdString());
    return out;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString caseDir(const std::string &name)
{
    return QStringLiteral(OLLAMA_CORPUS_DIR "/") + QString::fromStdString(name);
}

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &e : v.toArray())
        out << e.toString();
    return out;
}

// The role the import gave each process, in process order.
QStringList roles(const BundleReader &reader, qint64 runId)
{
    QStringList out;
    for (const Process &p : reader.processes(runId)) {
        QString role;
        for (const Event &e : reader.events(runId, p.id))
            if (e.kind == QLatin1String("process.start"))
                role = importedProcessRole(e.payload);
        out << role;
    }
    return out;
}

class Imported
{
public:
    explicit Imported(const QString &log, const QString &name = QStringLiteral("imported.initscope"))
    {
        path = dir.filePath(name);
        ok = importOllamaLog(log, path, &error, &stats);
        if (ok) {
            BundleError e;
            reader = BundleReader::open(path, &e);
        }
    }
    static Imported fromText(const QByteArray &text, const QString &fileName = QStringLiteral("server.log"))
    {
        static QTemporaryDir logs;
        const QString log = logs.filePath(fileName);
        QFile f(log);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write(text);
        f.close();
        return Imported(log);
    }
    initscope::Run run() const { return reader->runs().value(0); }
    Diagnosis diagnosis() const { return diagnose(*reader, run().id); }

    QTemporaryDir dir;
    QString path;
    bool ok = false;
    OllamaImportError error;
    OllamaImportStats stats;
    std::unique_ptr<BundleReader> reader;
};

// Output chunks of every process of the run, in the order of the log.
QList<OutputChunk> allChunks(const BundleReader &reader, qint64 runId)
{
    QList<OutputChunk> chunks;
    for (const Process &p : reader.processes(runId))
        chunks << reader.output(p.id);
    std::stable_sort(chunks.begin(), chunks.end(), [](const OutputChunk &a, const OutputChunk &b) { return a.id < b.id; });
    return chunks;
}

const Process *processOwning(const BundleReader &reader, qint64 runId, const QByteArray &needle,
                             QList<Process> &storage)
{
    storage = reader.processes(runId);
    for (const Process &p : storage)
        for (const OutputChunk &c : reader.output(p.id))
            if (c.data.contains(needle))
                return &p;
    return nullptr;
}

class OllamaImportCorpus : public ::testing::TestWithParam<std::string> {};

void expectFindingMatches(const Finding &f, const QJsonObject &e, const std::string &what)
{
    if (e.contains(QStringLiteral("id"))) {
        EXPECT_EQ(f.id, e.value(QStringLiteral("id")).toString()) << what;
    }
    for (const QString &s : strings(e.value(QStringLiteral("stepContains"))))
        EXPECT_TRUE(f.step.contains(s)) << what << ": step lacks \"" << s.toStdString() << "\": " << f.step.toStdString();
    for (const QString &s : strings(e.value(QStringLiteral("fixContains"))))
        EXPECT_TRUE(f.fix.contains(s)) << what << ": fix lacks \"" << s.toStdString() << "\": " << f.fix.toStdString();
    if (e.contains(QStringLiteral("errorLineContains"))) {
        const QString s = e.value(QStringLiteral("errorLineContains")).toString();
        EXPECT_TRUE(f.errorLine.contains(s)) << what << ": error line lacks \"" << s.toStdString()
                                             << "\": " << f.errorLine.toStdString();
    }
    for (const QString &s : strings(e.value(QStringLiteral("evidenceContains")))) {
        const bool found = std::any_of(f.evidence.begin(), f.evidence.end(),
                                       [&](const Evidence &ev) { return ev.text.contains(s); });
        EXPECT_TRUE(found) << what << ": no evidence holds \"" << s.toStdString() << "\"";
    }
    if (e.contains(QStringLiteral("evidenceCount"))) {
        EXPECT_EQ(f.evidence.size(), e.value(QStringLiteral("evidenceCount")).toInt()) << what;
    }
}

} // namespace

TEST(OllamaImportCorpusSize, EveryCaseSaysWhatTheImportAndTheDiagnosisMustFind)
{
    const std::vector<std::string> cases = corpusCases();
    ASSERT_GE(cases.size(), 24u);
    int withRootCause = 0;
    for (const std::string &name : cases) {
        const QJsonObject c = QJsonDocument::fromJson(readFile(caseDir(name) + QStringLiteral("/case.json"))).object();
        ASSERT_TRUE(c.value(QStringLiteral("diagnosis")).isObject()) << name;
        ASSERT_TRUE(c.value(QStringLiteral("import")).isObject()) << name;
        withRootCause += c.value(QStringLiteral("diagnosis")).toObject().value(QStringLiteral("rootCause")).toBool();
    }
    // The corpus is about failures: most cases must have one for the diagnosis to explain.
    EXPECT_GE(withRootCause, 12);
}

TEST_P(OllamaImportCorpus, ImportKeepsEveryByteAndDiagnosisFindsWhatTheCaseExpects)
{
    const QString dir = caseDir(GetParam());
    const QByteArray text = readFile(dir + QStringLiteral("/log.txt"));
    const QJsonObject c = QJsonDocument::fromJson(readFile(dir + QStringLiteral("/case.json"))).object();
    Imported imp(dir + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    ASSERT_TRUE(imp.reader);
    ASSERT_EQ(imp.reader->runs().size(), 1);
    const initscope::Run run = imp.run();
    EXPECT_EQ(run.name, QStringLiteral("Ollama log: log.txt"));
    EXPECT_TRUE(isImportedLogRun(run));

    // Every line of the log, byte for byte, in its order, and the whole file as an artifact.
    QByteArray joined;
    qint64 previousTs = -1;
    for (const OutputChunk &chunk : allChunks(*imp.reader, run.id)) {
        joined += chunk.data;
        EXPECT_GT(chunk.tsNs, previousTs) << "lines must keep the log's order in time";
        previousTs = chunk.tsNs;
    }
    EXPECT_EQ(joined, text);
    const QList<Artifact> artifacts = imp.reader->artifacts(run.id);
    ASSERT_EQ(artifacts.size(), 1);
    EXPECT_EQ(artifacts.first().kind, QStringLiteral("log"));
    EXPECT_EQ(artifacts.first().content, text);

    const QJsonObject imported = c.value(QStringLiteral("import")).toObject();
    EXPECT_EQ(roles(*imp.reader, run.id), strings(imported.value(QStringLiteral("roles"))));

    const QJsonObject e = c.value(QStringLiteral("diagnosis")).toObject();
    const Diagnosis d = imp.diagnosis();
    QStringList ids;
    for (const Finding &f : d.findings)
        ids << f.id;
    EXPECT_EQ(d.hasRootCause(), e.value(QStringLiteral("rootCause")).toBool()) << ids.join(u' ').toStdString();
    EXPECT_EQ(ids, strings(e.value(QStringLiteral("findings"))));
    if (e.contains(QStringLiteral("top")) && !d.findings.isEmpty()) {
        const Finding &top = d.findings.first();
        EXPECT_EQ(top.severity, Severity::RootCause);
        EXPECT_LT(top.confidence, 0.9) << "a cause read from a log ranks below a recorded call";
        const QJsonObject t = e.value(QStringLiteral("top")).toObject();
        expectFindingMatches(top, t, "top finding");
        if (t.contains(QStringLiteral("processRole"))) {
            QString role;
            for (const Event &ev : imp.reader->events(run.id, top.processId))
                if (ev.kind == QLatin1String("process.start"))
                    role = importedProcessRole(ev.payload);
            EXPECT_EQ(role, t.value(QStringLiteral("processRole")).toString());
        }
        // The error line is one the process really printed.
        if (!top.errorLine.isEmpty()) {
            const QList<OutputLine> lines = splitOutputLines(imp.reader->output(top.processId));
            ASSERT_GE(top.errorLineNumber, 1);
            ASSERT_LE(top.errorLineNumber, lines.size());
            EXPECT_EQ(QString::fromUtf8(lines.at(top.errorLineNumber - 1).bytes), top.errorLine);
        }
    }
    if (e.contains(QStringLiteral("contributing"))) {
        const QJsonObject ce = e.value(QStringLiteral("contributing")).toObject();
        const auto it = std::find_if(d.findings.begin(), d.findings.end(), [&](const Finding &f) {
            return f.id == ce.value(QStringLiteral("id")).toString();
        });
        ASSERT_NE(it, d.findings.end());
        EXPECT_EQ(it->severity, Severity::Contributing);
        expectFindingMatches(*it, ce, "contributing finding");
        const bool serverLine = std::any_of(it->evidence.begin(), it->evidence.end(), [&](const Evidence &ev) {
            return ev.kind == Evidence::Kind::OutputLine && ev.processId == it->processId;
        });
        EXPECT_TRUE(serverLine) << "the conclusion must link to the server's own output lines";
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, OllamaImportCorpus, ::testing::ValuesIn(corpusCases()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                             std::string name = info.param;
                             for (char &ch : name)
                                 ch = ch == '-' ? '_' : ch;
                             return name;
                         });

TEST(OllamaImport, RunSaysItWasImportedAndNothingWasRecorded)
{
    Imported imp(caseDir("journald-cudart-init-failure-100") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    const initscope::Run run = imp.run();
    EXPECT_EQ(run.command.value(0), QStringLiteral("imported-log"));
    EXPECT_TRUE(run.command.value(1).endsWith(QLatin1String("/log.txt")));
    EXPECT_EQ(run.hostname, QStringLiteral("vassar-Latitude-5490"));
    const QJsonObject config = QJsonDocument::fromJson(run.configJson).object();
    EXPECT_EQ(config.value(QStringLiteral("kind")).toString(), QStringLiteral("imported-log"));
    EXPECT_FALSE(config.value(QStringLiteral("recorded")).toBool(true));
    EXPECT_EQ(config.value(QStringLiteral("prefix")).toString(), QStringLiteral("journald"));
    for (const Process &p : imp.reader->processes(run.id)) {
        EXPECT_FALSE(p.recorded);
        EXPECT_EQ(p.endReason, EndReason::Unknown);
    }
}

TEST(OllamaImport, JournaldPidIsTheServersAndOtherIdentifiersGetTheirOwnProcess)
{
    Imported imp(caseDir("journald-legacy-config-wrapped") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    const QList<Process> procs = imp.reader->processes(imp.run().id);
    ASSERT_EQ(procs.size(), 2);
    EXPECT_EQ(procs.at(0).pid, 26115);
    EXPECT_EQ(procs.at(0).argv, (QStringList{QStringLiteral("ollama"), QStringLiteral("serve")}));
    EXPECT_EQ(procs.at(1).pid, 1);
    EXPECT_EQ(procs.at(1).exe, QStringLiteral("systemd"));
    // The server config record wrapped over two lines stays whole with the server.
    const QList<OutputLine> server = splitOutputLines(imp.reader->output(procs.at(0).id));
    ASSERT_EQ(server.size(), 2);
    EXPECT_TRUE(server.at(1).bytes.startsWith("oxy: https_proxy")) << server.at(1).bytes.constData();
    const QList<OutputLine> systemd = splitOutputLines(imp.reader->output(procs.at(1).id));
    ASSERT_EQ(systemd.size(), 2);
    EXPECT_TRUE(systemd.at(1).bytes.endsWith("Started Ollama Service."));
}

TEST(OllamaImport, RunnerStderrGoesToTheRunnerThatPrintedIt)
{
    Imported imp(caseDir("legacy-2023-cuda-error-3") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    QList<Process> storage;
    const Process *owner = processOwning(*imp.reader, imp.run().id, "CUDA error 3 at", storage);
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->argv, (QStringList{QStringLiteral("ollama"), QStringLiteral("runner")}));
    EXPECT_EQ(owner->parentId, storage.first().id);
    // The server's own record about the same failure stays with the server.
    const Process *serverOwner = processOwning(*imp.reader, imp.run().id, "llama.go:438: error starting llama runner", storage);
    ASSERT_TRUE(serverOwner);
    EXPECT_EQ(serverOwner->id, storage.first().id);
}

TEST(OllamaImport, RunnerArgvAndEnvironmentComeFromTheLog)
{
    Imported imp(caseDir("bootstrap-runners-cuda-rocm") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    const QList<Process> procs = imp.reader->processes(imp.run().id);
    ASSERT_EQ(procs.size(), 3);
    EXPECT_EQ(procs.at(0).exe, QStringLiteral("/usr/local/bin/ollama"));
    EXPECT_EQ(procs.at(1).argv, (QStringList{QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner"),
                                             QStringLiteral("--ollama-engine"), QStringLiteral("--port"),
                                             QStringLiteral("46331")}));
    EXPECT_TRUE(procs.at(1).env.contains(
        QStringLiteral("OLLAMA_LIBRARY_PATH=/usr/local/lib/ollama:/usr/local/lib/ollama/cuda_v13")));
    // Started when the log says so: 33 ms after the first line.
    EXPECT_EQ(procs.at(1).startNs, 0);
    EXPECT_GE(procs.at(2).startNs, 33000000);
    EXPECT_LT(procs.at(2).startNs, 34000000);
}

TEST(OllamaImport, TimesComeFromTheLogAndJournaldClockIsAlignedWithRecordTimes)
{
    // journald's prefix is local time without a zone; the records carry +05:30. GIN lines have
    // only the journald time: they must land where the records say that minute was.
    Imported imp(caseDir("journald-cudart-init-failure-100") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    const initscope::Run run = imp.run();
    // 2024-04-25T11:18:52+05:30 is 05:48:52 UTC.
    EXPECT_EQ(run.startRealtimeNs, 1714024132000000000LL);
    const QList<OutputChunk> chunks = allChunks(*imp.reader, run.id);
    ASSERT_EQ(chunks.size(), 7);
    EXPECT_LT(chunks.at(2).tsNs, 1000000); // a GIN line: same second as the start
    EXPECT_EQ(chunks.at(3).tsNs, 272000000); // time=…11:18:52.272+05:30
    EXPECT_EQ(chunks.at(6).tsNs, 417000000);
}

TEST(OllamaImport, LinesWithoutTimesFollowTheLineBefore)
{
    Imported imp = Imported::fromText(QByteArrayLiteral("ggml_cuda_init: found 1 CUDA devices:\n"
                                                        "  Device 0: NVIDIA H100, compute capability 9.0\n"
                                                        "load_backend: loaded CUDA backend\n"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    EXPECT_EQ(imp.run().startRealtimeNs, 0) << "a log without dates has no wall clock";
    const QList<OutputChunk> chunks = allChunks(*imp.reader, imp.run().id);
    ASSERT_EQ(chunks.size(), 3);
    EXPECT_EQ(chunks.at(0).tsNs, 0);
    EXPECT_EQ(chunks.at(1).tsNs, 1000);
    EXPECT_EQ(chunks.at(2).tsNs, 2000);
}

TEST(OllamaImport, GluedLineStaysWholeWithTheServer)
{
    Imported imp(caseDir("journald-glued-device-context-46") + QStringLiteral("/log.txt"));
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    const QList<Process> procs = imp.reader->processes(imp.run().id);
    ASSERT_EQ(procs.size(), 1);
    const QList<OutputLine> lines = splitOutputLines(imp.reader->output(procs.first().id));
    ASSERT_EQ(lines.size(), 5);
    EXPECT_TRUE(lines.at(0).bytes.contains("device context 46time=2024-12-31T01:56:02.061-05:00"));
}

TEST(OllamaImport, CrlfLogKeepsItsBytes)
{
    const QByteArray text = "time=2025-01-01T00:00:00Z level=INFO source=routes.go:1 msg=\"a\"\r\n"
                            "time=2025-01-01T00:00:01Z level=INFO source=routes.go:2 msg=\"b\"";
    Imported imp = Imported::fromText(text);
    ASSERT_TRUE(imp.ok) << imp.error.message.toStdString();
    QByteArray joined;
    for (const OutputChunk &c : allChunks(*imp.reader, imp.run().id))
        joined += c.data;
    EXPECT_EQ(joined, text);
    const QList<OutputLine> lines = splitOutputLines(imp.reader->output(imp.reader->processes(imp.run().id).first().id));
    ASSERT_EQ(lines.size(), 2);
    EXPECT_FALSE(lines.at(1).terminated);
}

TEST(OllamaImportErrors, MissingFileIsMissingAndLeavesNoBundle)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("b.initscope"));
    OllamaImportError error;
    EXPECT_FALSE(importOllamaLog(dir.filePath(QStringLiteral("absent.log")), bundle, &error));
    EXPECT_EQ(error.code, OllamaImportError::Code::Missing);
    EXPECT_TRUE(error.message.contains(QLatin1String("absent.log"))) << error.message.toStdString();
    EXPECT_TRUE(error.message.contains(QLatin1String("does not exist")));
    EXPECT_FALSE(QFile::exists(bundle));
}

TEST(OllamaImportErrors, EmptyFileIsEmpty)
{
    Imported imp = Imported::fromText(QByteArray(), QStringLiteral("empty.log"));
    EXPECT_FALSE(imp.ok);
    EXPECT_EQ(imp.error.code, OllamaImportError::Code::Empty);
    EXPECT_TRUE(imp.error.message.contains(QLatin1String("empty.log is empty"))) << imp.error.message.toStdString();
    EXPECT_FALSE(QFile::exists(imp.path));
}

TEST(OllamaImportErrors, DirectoryIsUnreadable)
{
    QTemporaryDir dir;
    OllamaImportError error;
    EXPECT_FALSE(importOllamaLog(dir.path(), dir.filePath(QStringLiteral("b.initscope")), &error));
    EXPECT_EQ(error.code, OllamaImportError::Code::Unreadable);
}

TEST(OllamaImportErrors, TextThatIsNoOllamaOrLlamaCppLogIsRefused)
{
    Imported imp = Imported::fromText(QByteArrayLiteral("Dear support,\nOllama does not use my GPU. Please help.\n"
                                                        "Sent from my phone\n"),
                                      QStringLiteral("mail.txt"));
    EXPECT_FALSE(imp.ok);
    EXPECT_EQ(imp.error.code, OllamaImportError::Code::NotALog);
    EXPECT_TRUE(imp.error.message.contains(QLatin1String("mail.txt is not an Ollama or llama.cpp log")))
        << imp.error.message.toStdString();
    EXPECT_FALSE(imp.error.message.contains(u'\n'));
    EXPECT_FALSE(QFile::exists(imp.path));
}

TEST(OllamaImportErrors, BundleOrOtherBinaryFileIsRefused)
{
    Imported imp = Imported::fromText(QByteArray("SQLite format 3\0\x10\x00\x01\x01", 24), QStringLiteral("run.initscope"));
    EXPECT_FALSE(imp.ok);
    EXPECT_EQ(imp.error.code, OllamaImportError::Code::NotALog);
    EXPECT_TRUE(imp.error.message.contains(QLatin1String("binary"))) << imp.error.message.toStdString();
}

TEST(OllamaImportErrors, UnwritableBundleIsCannotWrite)
{
    OllamaImportError error;
    EXPECT_FALSE(importOllamaLog(caseDir("cuinit-802-h200") + QStringLiteral("/log.txt"),
                                 QStringLiteral("/nonexistent-dir/x/b.initscope"), &error));
    EXPECT_EQ(error.code, OllamaImportError::Code::CannotWrite);
}
