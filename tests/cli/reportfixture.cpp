#include "reportfixture.h"

#include "bundle.h"

namespace initscope::test {

namespace {

struct Spec {
    qint64 pid = 0;
    qint64 ppid = 0;
    qint64 parentId = -1;
    qint64 previousImageId = -1;
    int execSeq = 0;
    QString exe;
    QStringList argv;
    qint64 startNs = 0;
    std::optional<qint64> endNs;
    EndReason reason = EndReason::Unknown;
    int exitCode = 0;
    int signal = 0;
    bool coreDumped = false;
};

qint64 addProcess(BundleWriter &w, qint64 runId, const Spec &s)
{
    Process p;
    p.runId = runId;
    p.pid = s.pid;
    p.ppid = s.ppid;
    p.parentId = s.parentId;
    p.previousImageId = s.previousImageId;
    p.execSeq = s.execSeq;
    p.exe = s.exe;
    p.argv = s.argv;
    p.env = {QStringLiteral("PATH=/usr/bin:/bin")};
    p.startNs = s.startNs;
    p.endNs = s.endNs;
    p.endReason = s.reason;
    p.exitCode = s.exitCode;
    p.signal = s.signal;
    p.coreDumped = s.coreDumped;
    p.recorded = true;
    return w.addProcess(p);
}

void output(BundleWriter &w, qint64 processId, Stream stream, qint64 tsNs, const QByteArray &data)
{
    OutputChunk c;
    c.processId = processId;
    c.stream = stream;
    c.tsNs = tsNs;
    c.data = data;
    w.addOutput(c);
}

void event(BundleWriter &w, qint64 processId, qint64 tsNs, const QString &kind,
           const QString &name, const QByteArray &payload = QByteArray("{}"))
{
    Event e;
    e.processId = processId;
    e.tid = 1;
    e.tsNs = tsNs;
    e.kind = kind;
    e.name = name;
    e.payload = payload;
    w.addEvent(e);
}

} // namespace

bool writeReportFixture(const QString &path, ReportFixture *ids, QString *why)
{
    BundleError error;
    std::unique_ptr<BundleWriter> w = BundleWriter::create(path, &error);
    if (!w) {
        *why = error.message;
        return false;
    }

    Run run;
    run.name = QStringLiteral("runner-crash");
    run.command = {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("exec ./runner")};
    run.configJson = "{}";
    run.startRealtimeNs = 1736676192345000000; // 2025-01-12 10:03:12.345 UTC
    run.durationNs = 900 * kMs;
    run.exitCode = 1;
    run.hostname = QStringLiteral("gpu-box");
    run.recorderVersion = QStringLiteral("0.1.0");
    ids->runId = w->addRun(run);
    const qint64 r = ids->runId;

    Spec shell;
    shell.pid = 100;
    shell.ppid = 1;
    shell.exe = QStringLiteral("/bin/sh");
    shell.argv = {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("exec ./runner")};
    shell.startNs = 0;
    shell.endNs = 10 * kMs;
    shell.reason = EndReason::Exec;
    ids->shell = addProcess(*w, r, shell);

    Spec helper;
    helper.pid = 101;
    helper.ppid = 100;
    helper.parentId = ids->shell;
    helper.exe = QStringLiteral("/usr/bin/helper");
    helper.argv = {QStringLiteral("helper")};
    helper.startNs = 5 * kMs;
    helper.endNs = 8 * kMs;
    helper.reason = EndReason::Exited;
    ids->helper = addProcess(*w, r, helper);

    Spec runner;
    runner.pid = 100;
    runner.ppid = 1;
    runner.previousImageId = ids->shell;
    runner.execSeq = 1;
    runner.exe = QStringLiteral("/usr/bin/runner");
    runner.argv = {QStringLiteral("./runner"), QStringLiteral("--port"), QStringLiteral("1")};
    runner.startNs = 10 * kMs;
    runner.endNs = 900 * kMs;
    runner.reason = EndReason::Exited;
    runner.exitCode = 1;
    ids->runner = addProcess(*w, r, runner);

    Spec ggml;
    ggml.pid = 102;
    ggml.ppid = 100;
    ggml.parentId = ids->runner;
    ggml.exe = QStringLiteral("/usr/lib/ggml-host");
    ggml.argv = {QStringLiteral("ggml-host")};
    ggml.startNs = 20 * kMs;
    ggml.endNs = 500 * kMs;
    ggml.reason = EndReason::Signaled;
    ggml.signal = 11;
    ggml.coreDumped = true;
    ids->ggml = addProcess(*w, r, ggml);

    Spec watcher;
    watcher.pid = 103;
    watcher.ppid = 100;
    watcher.parentId = ids->runner;
    watcher.exe = QStringLiteral("/usr/bin/watcher");
    watcher.argv = {QStringLiteral("watcher"), QStringLiteral("two words")};
    watcher.startNs = 30 * kMs;
    ids->watcher = addProcess(*w, r, watcher);

    Spec grandchild;
    grandchild.pid = 104;
    grandchild.ppid = 102;
    grandchild.parentId = ids->ggml;
    grandchild.exe = QStringLiteral("/usr/bin/true");
    grandchild.argv = {QStringLiteral("true")};
    grandchild.startNs = 40 * kMs;
    grandchild.endNs = 100 * kMs;
    grandchild.reason = EndReason::Exited;
    ids->grandchild = addProcess(*w, r, grandchild);

    // The ggml child: an error line cut in the middle by the chunking, a "\r\n" ending, and a
    // last line without newline written just before the crash.
    output(*w, ids->ggml, Stream::Stdout, 50 * kMs, "ok\n");
    output(*w, ids->ggml, Stream::Stderr, 100 * kMs, "loading model\nggml_cuda_init: failed to ini");
    output(*w, ids->ggml, Stream::Stderr, 150 * kMs, "tialize CUDA: operation not supported\r\n");
    output(*w, ids->ggml, Stream::Stderr, 499 * kMs, "Segmentation fault");
    // The runner: one line far longer than the text view shows, one that is not UTF-8.
    output(*w, ids->runner, Stream::Stderr, 800 * kMs,
           "error: " + QByteArray(500, 'x') + "\n");
    output(*w, ids->runner, Stream::Stdout, 850 * kMs, "fatal: bad byte \xff\xfe here\n");
    output(*w, ids->watcher, Stream::Stdout, 35 * kMs, "waiting\n");
    output(*w, ids->helper, Stream::Stdout, 6 * kMs, "helper ok\n");

    // ggml: 15 events before its end, one exactly at its end, one after it.
    for (int i = 0; i < 15; ++i)
        event(*w, ids->ggml, 21 * kMs + i * 30 * kMs, QStringLiteral("cuda.call"),
              QStringLiteral("call%1").arg(i), QByteArray("{\"result\":") + QByteArray::number(i) + "}");
    event(*w, ids->ggml, 500 * kMs, QStringLiteral("process.exit"), QStringLiteral("SIGSEGV"));
    event(*w, ids->ggml, 600 * kMs, QStringLiteral("cuda.call"), QStringLiteral("after-end"));
    event(*w, ids->watcher, 31 * kMs, QStringLiteral("lib.load"), QStringLiteral("libc.so.6"));
    event(*w, ids->watcher, 32 * kMs, QStringLiteral("lib.load"), QStringLiteral("libm.so.6"));
    event(*w, ids->watcher, 890 * kMs, QStringLiteral("cuda.call"), QStringLiteral("cuInit"));
    event(*w, ids->runner, 11 * kMs, QStringLiteral("lib.search"), QStringLiteral("libcuda.so.1"));
    event(*w, ids->helper, 7 * kMs, QStringLiteral("lib.load"), QStringLiteral("libc.so.6"));

    Run second;
    second.name = QStringLiteral("clean");
    second.command = {QStringLiteral("true")};
    second.configJson = "{}";
    second.startRealtimeNs = 1736676292345000000;
    second.durationNs = 2 * kMs;
    second.exitCode = 0;
    ids->secondRunId = w->addRun(second);
    Spec ok;
    ok.pid = 200;
    ok.ppid = 1;
    ok.exe = QStringLiteral("/usr/bin/true");
    ok.argv = {QStringLiteral("true")};
    ok.endNs = 2 * kMs;
    ok.reason = EndReason::Exited;
    addProcess(*w, ids->secondRunId, ok);

    if (!w->commit(&error)) {
        *why = error.message;
        return false;
    }
    return true;
}

} // namespace initscope::test
