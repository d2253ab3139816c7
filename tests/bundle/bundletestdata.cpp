#include "bundletestdata.h"

#include <QDir>
#include <QFile>

#include <gtest/gtest.h>

#include <ostream>

void PrintTo(const QString &value, std::ostream *os)
{
    *os << '"' << value.toStdString() << '"';
}

void PrintTo(const QByteArray &value, std::ostream *os)
{
    // A 1 MiB chunk in a failure message helps nobody.
    *os << "QByteArray(" << value.size() << " bytes: " << value.left(48).toHex(' ').constData()
        << (value.size() > 48 ? " …)" : ")");
}

namespace initscope::testdata {

QByteArray allByteValues()
{
    QByteArray bytes;
    for (int i = 0; i < 256; ++i)
        bytes.append(char(i));
    return bytes;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate)) << path.toStdString();
    ASSERT_EQ(f.write(bytes), bytes.size());
}

QStringList filesIn(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System
                                   | QDir::NoDotAndDotDot,
                               QDir::Name);
}

namespace {

QStringList environment(const QString &extra)
{
    return {QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin"), QStringLiteral("HOME=/root"),
            QStringLiteral("LANG=C.UTF-8"), QStringLiteral("OLLAMA_DEBUG=1"),
            QStringLiteral("LD_LIBRARY_PATH=/opt/shim"), extra};
}

} // namespace

bool writeSample(const QString &path, Sample *s)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    EXPECT_TRUE(w) << error.message.toStdString();
    if (!w)
        return false;

    s->metadata = {{QStringLiteral("title"), QStringLiteral("ollama on a box without GPU")},
                   {QStringLiteral("note"), QStringLiteral("ümlaut, 日本語, \"quotes\"")}};
    for (auto it = s->metadata.cbegin(); it != s->metadata.cend(); ++it)
        w->setMetadata(it.key(), it.value());

    Run first;
    first.name = QStringLiteral("ollama serve");
    first.command = {QStringLiteral("ollama"), QStringLiteral("serve"), QString()};
    first.configJson = R"({"target":"ollama","env":{"OLLAMA_DEBUG":"1"},"name":"ü"})";
    first.startRealtimeNs = 1700000000123456789LL;
    first.durationNs = 5'000'000'000LL;
    first.exitCode = 1;
    first.timedOut = true;
    first.hostname = QStringLiteral("gpu-host");
    first.recorderVersion = QStringLiteral("0.1.0");
    first.id = w->addRun(first);

    Run second;
    second.name = QStringLiteral("probe");
    second.command = {QStringLiteral("initscope-probe")};
    second.startRealtimeNs = 1700000100000000000LL;
    second.durationNs = 42;
    second.exitSignal = 9;
    second.cancelled = true;
    second.id = w->addRun(second);
    s->runs = {first, second};

    Process shell;
    shell.runId = first.id;
    shell.pid = 100;
    shell.ppid = 1;
    shell.exe = QStringLiteral("/usr/bin/sh");
    shell.argv = {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("ollama serve"),
                  QString()};
    shell.env = environment(QStringLiteral("SHLVL=1"));
    shell.startNs = 0;
    shell.endNs = 1000;
    shell.endReason = EndReason::Exec;
    shell.recorded = true;
    shell.id = w->addProcess(shell);

    Process server = shell;
    server.previousImageId = shell.id;
    server.execSeq = 1;
    server.exe = QStringLiteral("/usr/bin/ollama");
    server.argv = {QStringLiteral("ollama"), QStringLiteral("serve")};
    server.env = environment(QStringLiteral("SHLVL=2"));
    server.startNs = 1000;
    server.endNs = 4'000'000'000LL;
    server.endReason = EndReason::Exited;
    server.exitCode = 1;
    server.id = w->addProcess(server);

    Process runner;
    runner.runId = first.id;
    runner.pid = 101;
    runner.ppid = 100;
    runner.parentId = server.id;
    runner.exe = QStringLiteral("/usr/lib/ollama/runner 日本");
    runner.argv = {QStringLiteral("runner"), QStringLiteral("--port=1234")};
    runner.env = environment(QStringLiteral("CUDA_VISIBLE_DEVICES=0"));
    runner.startNs = 2'000'000;
    runner.endNs = 3'000'000'000LL;
    runner.endReason = EndReason::Signaled;
    runner.signal = 11;
    runner.coreDumped = true;
    runner.recorded = true;
    runner.id = w->addProcess(runner);

    Process lost; // never seen ending, nothing known about its image
    lost.runId = first.id;
    lost.pid = 102;
    lost.ppid = 101;
    lost.parentId = runner.id;
    lost.startNs = 2'500'000;
    lost.id = w->addProcess(lost);

    Process probe;
    probe.runId = second.id;
    probe.pid = 200;
    probe.ppid = 1;
    probe.exe = QStringLiteral("/usr/bin/initscope-probe");
    probe.argv = {QStringLiteral("initscope-probe")};
    probe.env = environment(QStringLiteral("SHLVL=1"));
    probe.endNs = 40;
    probe.endReason = EndReason::Signaled;
    probe.signal = 9;
    probe.id = w->addProcess(probe);
    s->processes = {shell, server, runner, lost, probe};

    const QByteArray longLine = QByteArray(1024 * 1024 - 1, 'x') + '\n';
    const QList<OutputChunk> chunks = {
        {-1, server.id, Stream::Stdout, 5000, "Listening on 127.0.0.1:11434\n"},
        {-1, server.id, Stream::Stderr, 6000, allByteValues()},
        {-1, server.id, Stream::Stderr, 7000, longLine},
        {-1, server.id, Stream::Stdout, 8000, QByteArray()},
        {-1, runner.id, Stream::Stderr, 9000, QByteArray("\0\0cuda error\0", 13)},
    };
    for (OutputChunk c : chunks) {
        c.id = w->addOutput(c);
        s->output.append(c);
    }

    // Written out of time order on purpose: the reader sorts by time.
    QList<Event> events;
    auto event = [&](qint64 process, qint64 ts, qint64 dur, const char *kind, const QString &name,
                     const QByteArray &payload) {
        Event e;
        e.processId = process;
        e.tid = process == runner.id ? 1011 : 1001;
        e.tsNs = ts;
        e.durNs = dur;
        e.kind = QString::fromLatin1(kind);
        e.name = name;
        e.payload = payload;
        events.append(e);
    };
    event(server.id, 3000, 0, "process.start", QStringLiteral("ollama"), R"({"pid":100})");
    event(runner.id, 2'100'000, 1234, "cuda.call", QStringLiteral("cuInit"),
          R"({"flags":0,"result":"CUDA_ERROR_NO_DEVICE","text":"ü"})");
    event(runner.id, 2'050'000, 0, "cuda.call", QString(), QByteArray());
    event(server.id, 2000, 0, "process.start", QStringLiteral("sh"), "{}");
    for (Event e : events) {
        e.id = w->addEvent(e);
        e.runId = first.id;
        s->events.append(e);
    }
    Event timeout; // a run-level event with no process
    timeout.runId = first.id;
    timeout.tsNs = 5'000'000'000LL;
    timeout.kind = QStringLiteral("run.timeout");
    timeout.payload = R"({"after_s":5})";
    timeout.id = w->addEvent(timeout);
    s->events.append(timeout);
    Event probeEvent;
    probeEvent.processId = probe.id;
    probeEvent.tsNs = 10;
    probeEvent.kind = QStringLiteral("process.start");
    probeEvent.name = QStringLiteral("initscope-probe");
    probeEvent.id = w->addEvent(probeEvent);
    probeEvent.runId = second.id;
    s->events.append(probeEvent);

    LibSearch found;
    found.processId = runner.id;
    found.tid = 1011;
    found.tsNs = 2'000'500;
    found.name = QStringLiteral("libcuda.so.1");
    found.requester = QStringLiteral("/usr/lib/ollama/libggml-cuda.so");
    found.steps = {
        {QStringLiteral("/opt/shim/libcuda.so.1"), quint32(SearchOrigin::LibraryPath), 0},
        {QStringLiteral("/usr/lib/x86_64-linux-gnu/libcuda.so.1"),
         quint32(SearchOrigin::Cache) | quint32(SearchOrigin::Secure), 1},
        {QStringLiteral("/lib/libcuda.so.1"), quint32(SearchOrigin::Default), -1}};
    found.outcome = SearchOutcome::Found;
    found.resultPath = QStringLiteral("/usr/lib/x86_64-linux-gnu/libcuda.so.1");
    LibSearch missing;
    missing.processId = runner.id;
    missing.tid = 1012;
    missing.tsNs = 2'000'400;
    missing.name = QStringLiteral("libnvidia-ml.so.1");
    missing.outcome = SearchOutcome::NotFound;
    LibSearch again;
    again.processId = server.id;
    again.tsNs = 4000;
    again.name = QStringLiteral("libc.so.6");
    again.steps = {{QStringLiteral("libc.so.6"), quint32(SearchOrigin::Original), -1}};
    again.outcome = SearchOutcome::AlreadyLoaded;
    again.resultPath = QStringLiteral("/lib/x86_64-linux-gnu/libc.so.6");
    for (LibSearch search : {found, missing, again}) {
        search.id = w->addLibSearch(search);
        s->searches.append(search);
    }

    LibLoad driver;
    driver.processId = runner.id;
    driver.tid = 1011;
    driver.tsNs = 2'000'600;
    driver.path = QStringLiteral("/usr/lib/x86_64-linux-gnu/libcuda.so.1");
    driver.soname = QStringLiteral("libcuda.so.1");
    driver.lmid = 0;
    driver.base = 0x7f1234560000ULL;
    driver.unloadNs = 2'900'000'000LL;
    LibLoad vdso;
    vdso.processId = server.id;
    vdso.tid = 1001;
    vdso.tsNs = 1500;
    vdso.path = QStringLiteral("linux-vdso.so.1");
    vdso.lmid = -1;
    vdso.base = 0xffffffffff600000ULL;
    for (LibLoad load : {driver, vdso}) {
        load.id = w->addLibLoad(load);
        s->loads.append(load);
    }

    Artifact config;
    config.runId = first.id;
    config.kind = QStringLiteral("config");
    config.path = QStringLiteral("run.json");
    config.content = first.configJson;
    config.size = config.content.size();
    config.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    Artifact shim = config;
    shim.kind = QStringLiteral("shim");
    shim.path = QStringLiteral("/opt/shim/libcuda.so.1");
    shim.content = allByteValues().repeated(64);
    shim.size = shim.content.size();
    Artifact log = config;
    log.kind = QStringLiteral("log");
    log.path = QStringLiteral("/var/log/ollama.log");
    log.content.clear();
    log.size = 123456789;
    Artifact other = config;
    other.runId = second.id;
    for (Artifact a : {config, shim, log, other}) {
        a.id = w->addArtifact(a);
        s->artifacts.append(a);
    }

    if (!w->commit(&error)) {
        ADD_FAILURE() << error.message.toStdString();
        return false;
    }
    return true;
}

bool writeBulk(const QString &path, int events)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    EXPECT_TRUE(w) << error.message.toStdString();
    if (!w)
        return false;
    Run run;
    run.name = QStringLiteral("bulk");
    run.id = w->addRun(run);
    QList<qint64> processes;
    for (int p = 0; p < 8; ++p) {
        Process process;
        process.runId = run.id;
        process.pid = 1000 + p;
        process.exe = QStringLiteral("/usr/bin/worker");
        process.argv = {QStringLiteral("worker"), QString::number(p)};
        process.env = environment(QStringLiteral("WORKER=%1").arg(p));
        processes.append(w->addProcess(process));
    }
    for (int i = 0; i < events; ++i) {
        Event e;
        e.processId = processes.at(i % processes.size());
        e.tsNs = i * 1000;
        e.kind = QStringLiteral("cuda.call");
        e.name = QStringLiteral("cuDeviceGetAttribute");
        e.payload = QByteArray(R"({"attribute":)") + QByteArray::number(i) + '}';
        w->addEvent(e);
        if (i % 50 == 0)
            w->addOutput({-1, e.processId, Stream::Stderr, e.tsNs,
                          QByteArray("line ") + QByteArray::number(i) + '\n'});
    }
    if (!w->commit(&error)) {
        ADD_FAILURE() << error.message.toStdString();
        return false;
    }
    return true;
}

} // namespace initscope::testdata
