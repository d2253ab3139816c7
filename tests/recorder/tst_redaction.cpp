// Secrets never travel in a bundle: what `initscope record` redacts by default, what it can be
// told to redact or keep, what the bundle's metadata says about it, and `initscope report
// --redact`, which makes an existing bundle fit to share.
#include "recordtestutil.h"
#include "recording.h"
#include "redaction.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

QByteArray fileBytes(const QString &path)
{
    QFile f(path);
    EXPECT_TRUE(f.open(QIODevice::ReadOnly)) << path.toStdString();
    return f.readAll();
}

QJsonObject redactionMetadata(const QString &bundle)
{
    auto reader = openBundle(bundle);
    if (!reader)
        return {};
    return QJsonDocument::fromJson(reader->metadata().value(QStringLiteral("redaction")).toUtf8()).object();
}

QStringList stringsOf(const QJsonValue &array)
{
    QStringList out;
    for (const QJsonValue &v : array.toArray())
        out << v.toString();
    return out;
}

QByteArray allOutput(const QString &bundle)
{
    auto reader = openBundle(bundle);
    QByteArray all;
    if (!reader)
        return all;
    for (const initscope::Run &run : reader->runs()) {
        for (const Process &p : reader->processes(run.id)) {
            all += streamOf(*reader, p.id, Stream::Stdout);
            all += streamOf(*reader, p.id, Stream::Stderr);
        }
    }
    return all;
}

// A shell that prints the token whole, then split between two writes a moment apart (two
// chunks of output), and the proxy URL with its password.
QStringList leakyShell()
{
    return {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
            QStringLiteral("echo \"token=$HF_TOKEN\"; printf 'split hf_live'; sleep 0.3; "
                           "printf 'Secret42x end\\n'; echo \"proxy $HTTPS_PROXY\"; "
                           "echo \"hook $MY_HOOK_URL\"; echo \"kept $MY_API_KEY\"")};
}

QStringList leakyEnv()
{
    return {QStringLiteral("--env"), QStringLiteral("HF_TOKEN=hf_liveSecret42x"),
            QStringLiteral("--env"), QStringLiteral("HTTPS_PROXY=http://carol:pr0xyPass77@proxy:3128"),
            QStringLiteral("--env"), QStringLiteral("MY_HOOK_URL=hookvalue9876"),
            QStringLiteral("--env"), QStringLiteral("MY_API_KEY=publicKeyValue55")};
}

} // namespace

TEST(Redaction, SecretPrintedByTheTargetEvenSplitBetweenTwoWritesIsRedactedInItsOutputAndListed)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("leaky.initscope"));
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle}
                                    + leakyEnv() + QStringList{QStringLiteral("--")} + leakyShell());
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QByteArray bytes = fileBytes(bundle);
    for (const char *secret : {"hf_liveSecret42x", "pr0xyPass77"})
        EXPECT_FALSE(bytes.contains(secret)) << secret << " is in the bundle file";
    const QByteArray output = allOutput(bundle);
    EXPECT_TRUE(output.contains("token=<redacted>\n")) << output.toStdString();
    EXPECT_TRUE(output.contains("split <redacted> end\n")) << output.toStdString();
    EXPECT_TRUE(output.contains("proxy http://carol:<redacted>@proxy:3128\n")) << output.toStdString();
    // Not secret by name: kept as written.
    EXPECT_TRUE(output.contains("hook hookvalue9876\n")) << output.toStdString();

    const QJsonObject meta = redactionMetadata(bundle);
    EXPECT_TRUE(stringsOf(meta.value(QStringLiteral("variables"))).contains(QStringLiteral("HF_TOKEN")));
    EXPECT_TRUE(stringsOf(meta.value(QStringLiteral("variables"))).contains(QStringLiteral("MY_API_KEY")));
    EXPECT_GE(meta.value(QStringLiteral("urlPasswords")).toInt(), 1);
    EXPECT_GE(meta.value(QStringLiteral("scrubbedValues")).toInt(), 2) << "whole and split token in the output";
    EXPECT_TRUE(meta.value(QStringLiteral("policy")).toObject().value(QStringLiteral("enabled")).toBool());
    EXPECT_TRUE(run.err.contains("initscope: redacted in the bundle: 2 variables (HF_TOKEN, MY_API_KEY)"))
        << run.err.toStdString();
}

TEST(Redaction, NamesAddedWithRedactAndValuesKeptWithNoRedactAreHonouredAndKeptInThePolicy)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("policy.initscope"));
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                                QStringLiteral("--redact"), QStringLiteral("hook"),
                                                QStringLiteral("--no-redact"), QStringLiteral("MY_API_KEY")}
                                    + leakyEnv() + QStringList{QStringLiteral("--")} + leakyShell());
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QByteArray bytes = fileBytes(bundle);
    EXPECT_FALSE(bytes.contains("hookvalue9876")) << "--redact hook makes MY_HOOK_URL secret";
    EXPECT_FALSE(bytes.contains("hf_liveSecret42x")) << "the defaults still apply";
    const QByteArray output = allOutput(bundle);
    EXPECT_TRUE(output.contains("hook <redacted>\n")) << output.toStdString();
    EXPECT_TRUE(output.contains("kept publicKeyValue55\n")) << output.toStdString();

    const QJsonObject policy = redactionMetadata(bundle).value(QStringLiteral("policy")).toObject();
    EXPECT_TRUE(stringsOf(policy.value(QStringLiteral("names"))).contains(QStringLiteral("hook")));
    EXPECT_EQ(stringsOf(policy.value(QStringLiteral("keep"))), QStringList{QStringLiteral("MY_API_KEY")});
    // The run's config carries the policy, so a retry redacts the same way.
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const QJsonObject config = QJsonDocument::fromJson(reader->runs().first().configJson).object();
    EXPECT_EQ(config.value(QStringLiteral("redaction")).toObject(), policy);
}

TEST(Redaction, NoRedactionKeepsEveryValueAndTheMetadataAndStderrSaySo)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("plain.initscope"));
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                                QStringLiteral("--no-redaction")}
                                    + leakyEnv() + QStringList{QStringLiteral("--")} + leakyShell());
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_TRUE(fileBytes(bundle).contains("hf_liveSecret42x"));
    EXPECT_TRUE(allOutput(bundle).contains("split hf_liveSecret42x end\n"));
    EXPECT_FALSE(redactionMetadata(bundle).value(QStringLiteral("policy")).toObject().value(QStringLiteral("enabled")).toBool(true));
    EXPECT_TRUE(run.err.contains("initscope: redaction is off")) << run.err.toStdString();
}

TEST(Redaction, RunConfigSetsThePolicyAndAWrongTypeIsRefusedNamingTheKey)
{
    RecordOptions options;
    QString error;
    const QJsonObject good = QJsonDocument::fromJson(R"({"command":["/bin/true"],
        "redaction":{"names":["TOKEN","HOOK"],"keep":["MY_API_KEY"],"urlPasswords":false}})").object();
    ASSERT_TRUE(applyRecordConfig(good, &options, &error)) << error.toStdString();
    EXPECT_TRUE(options.redaction.isSecretName(QStringLiteral("MY_HOOK_URL")));
    EXPECT_FALSE(options.redaction.isSecretName(QStringLiteral("MY_API_KEY")));
    EXPECT_FALSE(options.redaction.isSecretName(QStringLiteral("DB_PASSWORD"))) << "names replaces the list";
    EXPECT_EQ(options.redaction.redactValue(QStringLiteral("P"), QStringLiteral("http://a:b@c")), QStringLiteral("http://a:b@c"));

    RecordOptions other;
    const QJsonObject bad = QJsonDocument::fromJson(R"({"command":["/bin/true"],"redaction":{"keep":"MY_API_KEY"}})").object();
    EXPECT_FALSE(applyRecordConfig(bad, &other, &error));
    EXPECT_EQ(error, QStringLiteral("\"redaction\": redaction key \"keep\" has a value of the wrong type"));
    const QJsonObject unknown = QJsonDocument::fromJson(R"({"command":["/bin/true"],"redaction":{"nmes":[]}})").object();
    EXPECT_FALSE(applyRecordConfig(unknown, &other, &error));
    EXPECT_EQ(error, QStringLiteral("\"redaction\": unknown redaction key \"nmes\""));
}

TEST(SecretScrubber, ValueSplitBetweenTwoChunksBecomesOneMarkerAtTheEndOfTheFirst)
{
    RedactionPolicy policy;
    SecretScrubber scrubber(policy);
    RedactionSummary summary;
    EXPECT_EQ(scrubber.redactEnvEntry(QStringLiteral("HF_TOKEN=abcdef123456"), &summary),
              QStringLiteral("HF_TOKEN=<redacted>"));
    QByteArray first = scrubber.scrub(QByteArray("value: abcdef"), &summary);
    QByteArray second = scrubber.scrub(QByteArray("123456 and abcdef123456 again"), &summary);
    scrubber.scrubAcross(first, second, &summary);
    EXPECT_EQ(first, QByteArray("value: <redacted>"));
    EXPECT_EQ(second, QByteArray(" and <redacted> again"));
    EXPECT_EQ(summary.scrubbedValues, 2);
    EXPECT_EQ(summary.variables, QSet<QString>{QStringLiteral("HF_TOKEN")});
}

TEST(SecretScrubber, ShortValuesAndPathsAreRedactedInTheirVariableButNotSearchedForElsewhere)
{
    RedactionPolicy policy;
    SecretScrubber scrubber(policy);
    RedactionSummary summary;
    EXPECT_EQ(scrubber.redactEnvEntry(QStringLiteral("USE_AUTH=1"), &summary), QStringLiteral("USE_AUTH=<redacted>"));
    EXPECT_EQ(scrubber.redactEnvEntry(QStringLiteral("SSH_KEY_DIR=/usr/lib/x86_64-linux-gnu"), &summary),
              QStringLiteral("SSH_KEY_DIR=<redacted>"));
    EXPECT_FALSE(scrubber.hasValues());
    const QByteArray trail("/usr/lib/x86_64-linux-gnu/libcuda.so.1 exit 1");
    EXPECT_EQ(scrubber.scrub(trail, &summary), trail);
}

TEST(ReportRedact, CopyOfAnUnredactedBundleHoldsNoSecretByteAnywhereAndTheOriginalIsUntouched)
{
    QTemporaryDir dir;
    const QString original = dir.filePath(QStringLiteral("original.initscope"));
    const QString shared = dir.filePath(QStringLiteral("shared.initscope"));
    // A file the run keeps (--collect) that holds the token too, as a shim's log might.
    const QString log = dir.filePath(QStringLiteral("shim.log"));
    {
        QFile f(log);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("config: token hf_liveSecret42x\n");
    }
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), original,
                                                QStringLiteral("--no-redaction"), QStringLiteral("--collect"), log}
                                    + leakyEnv() + QStringList{QStringLiteral("--")} + leakyShell()
                                    + QStringList{QStringLiteral("hf_liveSecret42x-as-an-argument")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QByteArray before = fileBytes(original);
    ASSERT_TRUE(before.contains("hf_liveSecret42x"));

    const CliRun report = runInitscope({QStringLiteral("report"), QStringLiteral("--redact"), shared,
                                        QStringLiteral("--redact-name"), QStringLiteral("HOOK"), original});
    ASSERT_EQ(report.exitCode, 0) << report.err.toStdString();
    EXPECT_EQ(fileBytes(original), before) << "the original bundle is not changed";
    const QByteArray copy = fileBytes(shared);
    for (const char *secret : {"hf_liveSecret42x", "pr0xyPass77", "hookvalue9876", "publicKeyValue55"})
        EXPECT_FALSE(copy.contains(secret)) << secret << " is in the redacted copy";
    EXPECT_TRUE(report.err.startsWith("initscope: wrote " + shared.toUtf8() + " with 3 variables (HF_TOKEN, MY_API_KEY, MY_HOOK_URL), URL passwords in"))
        << report.err.toStdString();
    EXPECT_EQ(report.err.count('\n'), 1) << report.err.toStdString();
    // The report that follows is the copy's.
    EXPECT_TRUE(report.out.contains("<redacted>-as-an-argument")) << report.out.toStdString();

    const QJsonObject meta = redactionMetadata(shared);
    EXPECT_EQ(stringsOf(meta.value(QStringLiteral("variables"))),
              (QStringList{QStringLiteral("HF_TOKEN"), QStringLiteral("MY_API_KEY"), QStringLiteral("MY_HOOK_URL")}));
    EXPECT_TRUE(stringsOf(meta.value(QStringLiteral("policy")).toObject().value(QStringLiteral("names")))
                    .contains(QStringLiteral("HOOK")));
    auto reader = openBundle(shared);
    ASSERT_TRUE(reader);
    const QList<Artifact> artifacts = reader->artifacts(reader->runs().first().id);
    bool sawLog = false;
    for (const Artifact &a : artifacts) {
        if (a.path == log) {
            sawLog = true;
            EXPECT_EQ(a.content, QByteArray("config: token <redacted>\n"));
        }
    }
    EXPECT_TRUE(sawLog);
}

TEST(ReportRedact, BadRequestsGiveOneErrorLineAndWriteNothing)
{
    QTemporaryDir dir;
    const QString notBundle = dir.filePath(QStringLiteral("notes.txt"));
    {
        QFile f(notBundle);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("just text\n");
    }
    const QString out = dir.filePath(QStringLiteral("out.initscope"));
    CliRun r = runInitscope({QStringLiteral("report"), QStringLiteral("--redact")});
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_TRUE(r.err.startsWith("initscope report: --redact needs a value\n")) << r.err.toStdString();
    r = runInitscope({QStringLiteral("report"), QStringLiteral("--redact-name"), QStringLiteral("X"), notBundle});
    EXPECT_EQ(r.exitCode, 64);
    r = runInitscope({QStringLiteral("report"), QStringLiteral("--redact"), out, notBundle});
    EXPECT_EQ(r.exitCode, 65) << r.err.toStdString();
    EXPECT_EQ(r.err.count('\n'), 1) << r.err.toStdString();
    EXPECT_FALSE(QFile::exists(out));
    // A good bundle, a folder that cannot be written to: the copy is refused and nothing is left.
    const QString bundle = dir.filePath(QStringLiteral("good.initscope"));
    ASSERT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                            QStringLiteral("--"), QStringLiteral("/bin/true")}).exitCode, 0);
    r = runInitscope({QStringLiteral("report"), QStringLiteral("--redact"), notBundle + QStringLiteral("/x.initscope"), bundle});
    EXPECT_EQ(r.exitCode, 73) << r.err.toStdString();
    EXPECT_EQ(r.err.count('\n'), 1) << r.err.toStdString();
    EXPECT_TRUE(r.out.isEmpty());
}
