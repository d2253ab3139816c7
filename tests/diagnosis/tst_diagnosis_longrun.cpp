// A long run (docs/diagnosis.md, "Long runs"): a process with far more events than the rules need
// is read selectively — bring-up, failures, calls that report the setup, the end — and the
// diagnosis still names the failure that came after tens of thousands of successful calls.
#include "bundle.h"
#include "diagnosis.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope;

namespace {

constexpr int kLoopCalls = 40'000; // outer runtime calls, each with one driver call inside

QByteArray payload(const QString &api, const QString &fn, int depth, int code, const char *name, const char *message,
                   const QJsonObject &out = {})
{
    const QJsonObject result{{QStringLiteral("code"), code}, {QStringLiteral("name"), QString::fromLatin1(name)},
                             {QStringLiteral("message"), QString::fromLatin1(message)}, {QStringLiteral("ok"), code == 0}};
    QJsonObject p{{QStringLiteral("api"), api}, {QStringLiteral("function"), fn}, {QStringLiteral("depth"), depth},
                  {QStringLiteral("ok"), code == 0}, {QStringLiteral("reach"), QStringLiteral("binding")},
                  {QStringLiteral("result"), result},
                  {QStringLiteral("summary"), QStringLiteral("%1(…) → %2").arg(fn, QString::fromLatin1(name))}};
    if (!out.isEmpty())
        p.insert(QStringLiteral("out"), out);
    return QJsonDocument(p).toJson(QJsonDocument::Compact);
}

class LongRunTest : public ::testing::Test
{
protected:
    QTemporaryDir dir;
    QString path;
    qint64 runId = -1;
    qint64 failingDriverCall = -1;
    qint64 failingRuntimeCall = -1;
    qint64 events = 0;

    void SetUp() override
    {
        ASSERT_TRUE(dir.isValid());
        path = dir.filePath(QStringLiteral("long.initscope"));
        BundleError error;
        auto w = BundleWriter::create(path, &error);
        ASSERT_TRUE(w);
        initscope::Run run;
        run.name = QStringLiteral("long");
        run.exitCode = 1;
        runId = w->addRun(run);
        Process p;
        p.runId = runId;
        p.pid = 777;
        p.exe = QStringLiteral("/usr/bin/trainer");
        p.endReason = EndReason::Exited;
        p.exitCode = 1;
        p.recorded = true;
        p.id = w->addProcess(p);
        qint64 ts = 1'000'000;
        auto add = [&](const char *kind, const QString &fn, QByteArray body, qint64 dur) {
            Event e;
            e.processId = p.id;
            e.tid = 777;
            e.tsNs = ts;
            e.durNs = dur;
            e.kind = QString::fromLatin1(kind);
            e.name = fn;
            e.payload = std::move(body);
            ++events;
            return w->addEvent(e);
        };
        const QString rt = QStringLiteral("runtime"), drv = QStringLiteral("driver");
        add("cuda.call", QStringLiteral("cuInit"), payload(drv, QStringLiteral("cuInit"), 0, 0, "CUDA_SUCCESS", "no error"), 100);
        ts += 1000;
        add("cuda.call", QStringLiteral("cuDeviceGetCount"),
            payload(drv, QStringLiteral("cuDeviceGetCount"), 0, 0, "CUDA_SUCCESS", "no error",
                    {{QStringLiteral("count"), 1}}), 100);
        ts += 1000;
        // The work: a runtime call around a driver call, over and over, all succeeding.
        for (int i = 0; i < kLoopCalls; ++i) {
            add("cudart.call", QStringLiteral("cudaLaunchKernel"),
                payload(rt, QStringLiteral("cudaLaunchKernel"), 0, 0, "cudaSuccess", "no error"), 400);
            ts += 100;
            add("cuda.call", QStringLiteral("cuLaunchKernel"),
                payload(drv, QStringLiteral("cuLaunchKernel"), 1, 0, "CUDA_SUCCESS", "no error"), 100);
            ts += 900;
        }
        // Then a copy fails inside the runtime.
        failingRuntimeCall = add("cudart.call", QStringLiteral("cudaMemcpy"),
                                 payload(rt, QStringLiteral("cudaMemcpy"), 0, 700, "cudaErrorIllegalAddress",
                                         "an illegal memory access was encountered"), 500);
        ts += 100;
        failingDriverCall = add("cuda.call", QStringLiteral("cuMemcpyDtoH_v2"),
                                payload(drv, QStringLiteral("cuMemcpyDtoH_v2"), 1, 700, "CUDA_ERROR_ILLEGAL_ADDRESS",
                                        "an illegal memory access was encountered"), 200);
        ts += 1000;
        // And a few successful calls after it, as a program shutting down makes.
        for (int i = 0; i < 10; ++i) {
            add("cudart.call", QStringLiteral("cudaFree"), payload(rt, QStringLiteral("cudaFree"), 0, 0, "cudaSuccess", "no error"), 50);
            ts += 100;
        }
        p.endNs = ts + 1000;
        w->updateProcess(p);
        OutputChunk out;
        out.processId = p.id;
        out.stream = Stream::Stderr;
        out.tsNs = ts;
        out.data = "step 39999 done\nCUDA error: an illegal memory access was encountered\n";
        w->addOutput(out);
        ASSERT_TRUE(w->commit(&error)) << error.message.toStdString();
    }
};

TEST_F(LongRunTest, FailureAfterTheBringUpIsFoundAndTheSelectiveReadIsNoted)
{
    ASSERT_GT(events, 50'000) << "the process must be long enough to be read selectively";
    BundleError error;
    auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const Diagnosis d = diagnose(*reader, runId);
    ASSERT_FALSE(d.findings.isEmpty());
    const Finding &top = d.findings.first();
    EXPECT_EQ(top.severity, Severity::RootCause);
    EXPECT_EQ(top.id, QStringLiteral("failed-call"));
    EXPECT_TRUE(top.title.contains(QLatin1String("cuMemcpyDtoH_v2"))) << top.title.toStdString();
    EXPECT_EQ(top.errorLine, QStringLiteral("CUDA error: an illegal memory access was encountered"));
    // The failing call, and the runtime call around it that the program saw fail.
    QList<qint64> cited;
    for (const Evidence &e : top.evidence)
        if (e.kind == Evidence::Kind::Event)
            cited.append(e.id);
    EXPECT_TRUE(cited.contains(failingDriverCall));
    EXPECT_TRUE(cited.contains(failingRuntimeCall));
    EXPECT_TRUE(top.consequence.contains(QLatin1String("cudaMemcpy returned cudaErrorIllegalAddress")))
        << top.consequence.toStdString();
    ASSERT_EQ(d.notes.size(), 1);
    EXPECT_TRUE(d.notes.first().startsWith(QLatin1String("pid 777: "))) << d.notes.first().toStdString();
    EXPECT_TRUE(d.notes.first().contains(QStringLiteral("of its %1 events read").arg(QLocale(QLocale::English).toString(events))))
        << d.notes.first().toStdString();
    // The note travels with the text and the JSON.
    EXPECT_TRUE(formatDiagnosisText(d).contains(QLatin1String("Note: pid 777: ")));
    EXPECT_EQ(diagnosisToJson(d).value(QLatin1String("notes")).toArray().size(), 1);
}

TEST_F(LongRunTest, AShortRunIsReadWholeAndCarriesNoNote)
{
    // The same bring-up without the long loop: nothing to note.
    const QString shortPath = dir.filePath(QStringLiteral("short.initscope"));
    BundleError error;
    auto w = BundleWriter::create(shortPath, &error);
    ASSERT_TRUE(w);
    initscope::Run run;
    run.name = QStringLiteral("short");
    const qint64 id = w->addRun(run);
    Process p;
    p.runId = id;
    p.pid = 778;
    p.endReason = EndReason::Exited;
    p.exitCode = 0;
    p.id = w->addProcess(p);
    Event e;
    e.processId = p.id;
    e.kind = QStringLiteral("cuda.call");
    e.name = QStringLiteral("cuInit");
    e.payload = payload(QStringLiteral("driver"), e.name, 0, 0, "CUDA_SUCCESS", "no error");
    w->addEvent(e);
    ASSERT_TRUE(w->commit(&error));
    auto reader = BundleReader::open(shortPath, &error);
    ASSERT_TRUE(reader);
    EXPECT_TRUE(diagnose(*reader, id).notes.isEmpty());
}

} // namespace
