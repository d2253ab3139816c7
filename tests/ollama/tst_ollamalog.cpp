// parseOllamaLog() against every case of tests/ollama/corpus, and its building blocks.
#include "ollamalog.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

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

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &e : v.toArray())
        out << e.toString();
    return out;
}

class OllamaCorpus : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST(OllamaCorpusSize, HoldsAtLeastFifteenCasesEachWithSourceAndExpectations)
{
    const std::vector<std::string> cases = corpusCases();
    ASSERT_GE(cases.size(), 15u);
    for (const std::string &name : cases) {
        const QString dir = QStringLiteral(OLLAMA_CORPUS_DIR "/") + QString::fromStdString(name);
        EXPECT_FALSE(readFile(dir + QStringLiteral("/log.txt")).isEmpty()) << name;
        const QJsonObject c = QJsonDocument::fromJson(readFile(dir + QStringLiteral("/case.json"))).object();
        EXPECT_TRUE(c.value(QStringLiteral("source")).toString().startsWith(QLatin1String("https://github.com/")))
            << name;
        EXPECT_TRUE(c.value(QStringLiteral("expected")).isObject()) << name;
    }
}

TEST_P(OllamaCorpus, ParserFindsTheFactsTheCaseExpects)
{
    const QString dir = QStringLiteral(OLLAMA_CORPUS_DIR "/") + QString::fromStdString(GetParam());
    const OllamaLog log = parseOllamaLog(readFile(dir + QStringLiteral("/log.txt")));
    const QJsonObject e = QJsonDocument::fromJson(readFile(dir + QStringLiteral("/case.json")))
                              .object().value(QStringLiteral("expected")).toObject();
    ASSERT_FALSE(e.isEmpty());

    if (e.contains(QStringLiteral("format"))) {
        EXPECT_EQ(ollamaFormatName(log.format), e.value(QStringLiteral("format")).toString());
    }
    if (e.contains(QStringLiteral("prefix"))) {
        EXPECT_EQ(ollamaPrefixName(log.prefix), e.value(QStringLiteral("prefix")).toString());
    }
    if (e.contains(QStringLiteral("serverPid"))) {
        EXPECT_EQ(log.serverPid, e.value(QStringLiteral("serverPid")).toInteger());
    }
    if (e.contains(QStringLiteral("version"))) {
        EXPECT_EQ(log.version, e.value(QStringLiteral("version")).toString());
    }
    if (e.contains(QStringLiteral("totalVram"))) {
        EXPECT_EQ(log.totalVram, e.value(QStringLiteral("totalVram")).toString());
    }
    if (e.contains(QStringLiteral("libraryCpu"))) {
        EXPECT_EQ(log.libraryCpu, e.value(QStringLiteral("libraryCpu")).toBool());
    }
    if (e.contains(QStringLiteral("cpuFallback"))) {
        EXPECT_EQ(log.cpuFallback, e.value(QStringLiteral("cpuFallback")).toBool());
    }
    if (e.contains(QStringLiteral("runnerErrors"))) {
        EXPECT_EQ(log.runnerErrors, strings(e.value(QStringLiteral("runnerErrors"))));
    }
    if (e.contains(QStringLiteral("noCompatibleGpus"))) {
        EXPECT_EQ(log.noCompatibleGpus, e.value(QStringLiteral("noCompatibleGpus")).toBool());
    }
    if (e.contains(QStringLiteral("probeErrors"))) {
        EXPECT_EQ(log.probeErrors, strings(e.value(QStringLiteral("probeErrors"))));
    }
    if (e.contains(QStringLiteral("bootstrapDurations"))) {
        EXPECT_EQ(log.bootstrapDurations, strings(e.value(QStringLiteral("bootstrapDurations"))));
    }
    if (e.contains(QStringLiteral("ggmlDevices"))) {
        EXPECT_EQ(log.ggmlDevices, strings(e.value(QStringLiteral("ggmlDevices"))));
    }
    if (e.contains(QStringLiteral("discoveryFailures"))) {
        QStringList errors;
        QStringList paths;
        for (const OllamaDiscoveryFailure &f : log.discoveryFailures) {
            errors << f.error;
            paths << f.libraryPath;
        }
        EXPECT_EQ(errors, strings(e.value(QStringLiteral("discoveryFailures"))));
        if (e.contains(QStringLiteral("discoveryFailureLibraryPaths"))) {
            EXPECT_EQ(paths, strings(e.value(QStringLiteral("discoveryFailureLibraryPaths"))));
        }
    }
    if (e.contains(QStringLiteral("gpus"))) {
        const QJsonArray gpus = e.value(QStringLiteral("gpus")).toArray();
        ASSERT_EQ(log.gpus.size(), gpus.size());
        for (qsizetype i = 0; i < gpus.size(); ++i) {
            const QJsonObject g = gpus.at(i).toObject();
            const OllamaGpu &got = log.gpus.at(i);
            EXPECT_EQ(got.id, g.value(QStringLiteral("id")).toString());
            EXPECT_EQ(got.library, g.value(QStringLiteral("library")).toString());
            EXPECT_EQ(got.compute, g.value(QStringLiteral("compute")).toString());
            EXPECT_EQ(got.driver, g.value(QStringLiteral("driver")).toString());
            EXPECT_EQ(got.name, g.value(QStringLiteral("name")).toString());
            EXPECT_EQ(got.total, g.value(QStringLiteral("total")).toString());
            EXPECT_EQ(got.available, g.value(QStringLiteral("available")).toString());
        }
    }
    if (e.contains(QStringLiteral("runners"))) {
        const QJsonArray runners = e.value(QStringLiteral("runners")).toArray();
        ASSERT_EQ(log.runners.size(), runners.size());
        for (qsizetype i = 0; i < runners.size(); ++i) {
            const QJsonObject r = runners.at(i).toObject();
            EXPECT_EQ(log.runners.at(i).port, r.value(QStringLiteral("port")).toInt());
            EXPECT_EQ(ollamaRunnerRoleName(log.runners.at(i).role), r.value(QStringLiteral("role")).toString());
            EXPECT_EQ(log.runners.at(i).libraryPath, r.value(QStringLiteral("libraryPath")).toString());
        }
    }
    const QJsonObject env = e.value(QStringLiteral("env")).toObject();
    for (auto it = env.begin(); it != env.end(); ++it) {
        ASSERT_TRUE(log.env.contains(it.key())) << it.key().toStdString();
        EXPECT_EQ(log.env.value(it.key()), it.value().toString()) << it.key().toStdString();
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, OllamaCorpus, ::testing::ValuesIn(corpusCases()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                             std::string name = info.param;
                             for (char &c : name)
                                 c = c == '-' ? '_' : c;
                             return name;
                         });

TEST(OllamaPrefix, JournaldPrefixIsStrippedAndPidKept)
{
    const OllamaLine l = stripOllamaPrefix(QStringLiteral("Jan 05 10:30:21 host ollama[1234]: time=2025-01-05T10:30:21Z level=INFO"));
    EXPECT_EQ(l.prefix, OllamaPrefix::Journald);
    EXPECT_EQ(l.pid, 1234);
    EXPECT_EQ(l.process, QStringLiteral("ollama"));
    EXPECT_EQ(l.text, QStringLiteral("time=2025-01-05T10:30:21Z level=INFO"));
}

TEST(OllamaPrefix, ComposeAndTimestampPrefixesAreStripped)
{
    EXPECT_EQ(stripOllamaPrefix(QStringLiteral("ollama-1  | time=2025-01-05T10:30:21Z x=1")).text,
              QStringLiteral("time=2025-01-05T10:30:21Z x=1"));
    EXPECT_EQ(stripOllamaPrefix(QStringLiteral("2024-03-06T13:07:32.514600912Z time=2024-03-06T14:07:32Z")).prefix,
              OllamaPrefix::Timestamp);
    EXPECT_EQ(stripOllamaPrefix(QStringLiteral("2024-09-27 13:50:04 time=2024-09-27T18:50:04Z")).text,
              QStringLiteral("time=2024-09-27T18:50:04Z"));
}

TEST(OllamaPrefix, LegacyGoLogDateIsNotTakenForAPrefix)
{
    const OllamaLine l = stripOllamaPrefix(QStringLiteral("2023/11/11 16:00:46 images.go:824: total blobs: 6"));
    EXPECT_EQ(l.prefix, OllamaPrefix::None);
    EXPECT_EQ(l.text, QStringLiteral("2023/11/11 16:00:46 images.go:824: total blobs: 6"));
}

TEST(OllamaGlued, TwoRecordsOnOneLineAreSplit)
{
    const QStringList parts = splitGluedRecords(QStringLiteral(
        R"(time=2025-01-01T00:00:00Z level=INFO msg="a" x=1time=2025-01-01T00:00:01Z level=INFO msg="b")"));
    ASSERT_EQ(parts.size(), 2);
    EXPECT_EQ(parts.at(1), QStringLiteral(R"(time=2025-01-01T00:00:01Z level=INFO msg="b")"));
}

TEST(OllamaGlued, TimeInsideAQuotedValueDoesNotSplit)
{
    EXPECT_EQ(splitGluedRecords(QStringLiteral(R"(time=2025-01-01T00:00:00Z msg="see time=2025-01-01T00:00:00Z")")).size(), 1);
}

TEST(OllamaGlued, GluedRecordsAreBothParsed)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "time=2025-01-01T00:00:00Z level=INFO msg=\"no compatible GPUs were discovered\""
        "time=2025-01-01T00:00:00Z level=INFO msg=\"inference compute\" id=cpu library=cpu total=\"31 GiB\"\n"));
    EXPECT_EQ(log.records.size(), 2);
    EXPECT_TRUE(log.noCompatibleGpus);
    EXPECT_TRUE(log.libraryCpu);
    EXPECT_TRUE(log.gpus.isEmpty());
    EXPECT_TRUE(log.cpuFallback);
}

TEST(OllamaLogfmt, QuotedValuesKeepSpacesAndUnescape)
{
    const auto f = parseLogfmt(QStringLiteral(R"(msg="a \"b\" c\\d" name="NVIDIA GeForce RTX 4090" n=3)"));
    EXPECT_EQ(f.value(QStringLiteral("msg")), QStringLiteral(R"(a "b" c\d)"));
    EXPECT_EQ(f.value(QStringLiteral("name")), QStringLiteral("NVIDIA GeForce RTX 4090"));
    EXPECT_EQ(f.value(QStringLiteral("n")), QStringLiteral("3"));
}

TEST(OllamaLogfmt, QuotedKeysAndBracketedBareValues)
{
    const auto f = parseLogfmt(QStringLiteral(R"("total vram"="0 B" extra_envs=map[A:1 B:2] error="x")"));
    EXPECT_EQ(f.value(QStringLiteral("total vram")), QStringLiteral("0 B"));
    EXPECT_EQ(f.value(QStringLiteral("extra_envs")), QStringLiteral("map[A:1 B:2]"));
    EXPECT_EQ(f.value(QStringLiteral("error")), QStringLiteral("x"));
}

TEST(OllamaLogfmt, GoMapKeepsEmptyValuesAndBracketedLists)
{
    const auto m = parseGoMap(QStringLiteral("map[CUDA_VISIBLE_DEVICES: OLLAMA_HOST:http://0.0.0.0:11434 OLLAMA_ORIGINS:[a b] X:1]"));
    EXPECT_TRUE(m.contains(QStringLiteral("CUDA_VISIBLE_DEVICES")));
    EXPECT_EQ(m.value(QStringLiteral("CUDA_VISIBLE_DEVICES")), QString());
    EXPECT_EQ(m.value(QStringLiteral("OLLAMA_HOST")), QStringLiteral("http://0.0.0.0:11434"));
    EXPECT_EQ(m.value(QStringLiteral("OLLAMA_ORIGINS")), QStringLiteral("[a b]"));
    EXPECT_EQ(m.value(QStringLiteral("X")), QStringLiteral("1"));
}

TEST(OllamaRoles, RunnerRoleFollowsCommandAndDiscoveryPhase)
{
    EXPECT_EQ(ollamaRunnerRole(QStringLiteral("/usr/bin/ollama gpu-discover --lib-dir /usr/lib/ollama"), true, false),
              OllamaRunnerRole::GpuDiscover);
    EXPECT_EQ(ollamaRunnerRole(QStringLiteral("ollama runner --ollama-engine --port 1"), true, false),
              OllamaRunnerRole::Bootstrap);
    EXPECT_EQ(ollamaRunnerRole(QStringLiteral("ollama runner --ollama-engine --port 1"), true, true),
              OllamaRunnerRole::Validation);
    EXPECT_EQ(ollamaRunnerRole(QStringLiteral("ollama runner --ollama-engine --port 1"), false, false),
              OllamaRunnerRole::Model);
    EXPECT_EQ(ollamaRunnerRole(QStringLiteral("ollama runner --model /m --port 1"), true, false),
              OllamaRunnerRole::Model);
}

TEST(OllamaRoles, RunnerWithDeviceFilterIsValidationAndRunnerAfterDiscoveryIsModel)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "time=2025-11-01T00:00:00Z level=INFO msg=\"starting runner\" cmd=\"/bin/ollama runner --ollama-engine --port 1\"\n"
        "time=2025-11-01T00:00:00Z level=DEBUG msg=subprocess OLLAMA_LIBRARY_PATH=/l GGML_CUDA_INIT=1\n"
        "time=2025-11-01T00:00:01Z level=INFO msg=\"inference compute\" id=GPU-1 library=CUDA compute=8.6 name=CUDA0 "
        "description=\"NVIDIA RTX A4000\" driver=12.8 total=\"15.7 GiB\" available=\"15.5 GiB\"\n"
        "time=2025-11-01T00:00:02Z level=INFO msg=\"starting runner\" cmd=\"/bin/ollama runner --ollama-engine --port 2\"\n"));
    ASSERT_EQ(log.runners.size(), 2);
    EXPECT_EQ(log.runners.at(0).role, OllamaRunnerRole::Validation);
    EXPECT_EQ(log.runners.at(0).libraryPath, QStringLiteral("/l"));
    EXPECT_EQ(log.runners.at(1).role, OllamaRunnerRole::Model);
    ASSERT_EQ(log.gpus.size(), 1);
    EXPECT_EQ(log.gpus.at(0).name, QStringLiteral("NVIDIA RTX A4000"));
    EXPECT_FALSE(log.cpuFallback);
}

TEST(OllamaConclusion, ZeroTotalVramIsCpuFallbackExplainedByTheRunnerError)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected\n"
        "time=2025-11-01T00:00:01Z level=INFO msg=\"vram-based default context\" total_vram=\"0 B\"\n"));
    EXPECT_EQ(log.totalVram, QStringLiteral("0 B"));
    EXPECT_TRUE(log.cpuFallback);
    EXPECT_EQ(log.causes, QStringList{QStringLiteral("ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected")});
}

TEST(OllamaConclusion, GpuFoundMeansNoFallback)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "time=2025-11-01T00:00:01Z level=INFO msg=\"inference compute\" id=GPU-1 library=cuda total=\"8 GiB\"\n"));
    EXPECT_FALSE(log.cpuFallback);
    EXPECT_TRUE(log.causes.isEmpty());
}

TEST(OllamaRoles, SubprocessRecordWithoutItsStartingRunnerStillMakesARunner)
{
    // An excerpt that starts after "starting runner": the subprocess record is all there is.
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "time=2025-11-03T04:35:49Z level=DEBUG msg=subprocess OLLAMA_LIBRARY_PATH=/usr/lib/ollama: ROCR_VISIBLE_DEVICES=GPU-1\n"
        "time=2025-11-03T04:35:50Z level=INFO msg=\"starting runner\" cmd=\"/bin/ollama runner --ollama-engine --port 7\"\n"
        "time=2025-11-03T04:35:50Z level=DEBUG msg=subprocess OLLAMA_LIBRARY_PATH=/a\n"
        "time=2025-11-03T04:35:51Z level=DEBUG msg=subprocess OLLAMA_LIBRARY_PATH=/b\n"));
    ASSERT_EQ(log.runners.size(), 3);
    EXPECT_EQ(log.runners.at(0).role, OllamaRunnerRole::Validation);
    EXPECT_TRUE(log.runners.at(0).cmd.isEmpty());
    EXPECT_EQ(log.runners.at(0).env,
              (QStringList{QStringLiteral("OLLAMA_LIBRARY_PATH=/usr/lib/ollama:"), QStringLiteral("ROCR_VISIBLE_DEVICES=GPU-1")}));
    EXPECT_EQ(log.runners.at(1).port, 7);
    EXPECT_EQ(log.runners.at(1).libraryPath, QStringLiteral("/a"));
    EXPECT_EQ(log.runners.at(2).libraryPath, QStringLiteral("/b"));
}

TEST(OllamaRecords, RecordWithItsTimeCutOffIsStillARecord)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "level=INFO source=routes.go:2054 msg=\"vram-based default context\" total_vram=\"0 B\" default_num_ctx=4096\n"));
    ASSERT_EQ(log.records.size(), 1);
    EXPECT_EQ(log.totalVram, QStringLiteral("0 B"));
    EXPECT_TRUE(log.cpuFallback);
}

TEST(OllamaRecords, WrappedRecordKnowsTheLineItEndsOn)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "2025/02/27 11:23:26 routes.go:1205: INFO server config env=\"map[A:1 http_pr\n"
        "oxy: B:2]\"\n"
        "time=2025-11-01T00:00:01Z level=INFO msg=x\n"));
    ASSERT_EQ(log.records.size(), 2);
    EXPECT_EQ(log.records.at(0).line, 1);
    EXPECT_EQ(log.records.at(0).endLine, 2);
    EXPECT_EQ(log.records.at(1).line, 3);
    EXPECT_EQ(log.records.at(1).endLine, 3);
}

TEST(OllamaDiscovery, NativeDiscoveryFailureCarriesTheGpuDiscoverStderr)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "time=2026-06-01T00:00:00Z level=DEBUG source=native_probe.go:259 msg=\"native GPU discovery failed\" "
        "error=\"exit status 1\" stderr=\"load_backend: loaded CUDA backend\\nggml_cuda_init: failed to initialize CUDA: "
        "unknown error\\n\" libDirs=[/usr/lib/ollama]\n"));
    ASSERT_EQ(log.discoveryFailures.size(), 1);
    EXPECT_EQ(log.discoveryFailures.at(0).error, QStringLiteral("exit status 1"));
    EXPECT_EQ(log.runnerErrors, QStringList{QStringLiteral("ggml_cuda_init: failed to initialize CUDA: unknown error")});
}

TEST(OllamaDiscovery, InProcessProbeErrorsAreKeptApartFromDiscoveryFailures)
{
    const OllamaLog log = parseOllamaLog(QByteArrayLiteral(
        "calling cuInit\n"
        "cuInit err: 802\n"
        "nvmlInit_v2 err: 9\n"
        "cuda driver library failed to get device context 46time=2024-12-31T01:56:02Z level=WARN msg=\"x\"\n"
        "time=2024-03-09T14:52:46Z level=INFO source=routes.go:1042 msg=\"no GPU detected\"\n"));
    EXPECT_EQ(log.probeErrors, (QStringList{QStringLiteral("cuInit err: 802"), QStringLiteral("nvmlInit_v2 err: 9"),
                                            QStringLiteral("cuda driver library failed to get device context 46")}));
    EXPECT_TRUE(log.discoveryFailures.isEmpty());
    EXPECT_TRUE(log.noCompatibleGpus);
}
