// `initscope record` against targets that crash, hang or write hostile output: whatever the
// target does, what it wrote, the calls it completed and the libraries it loaded are kept, and
// the bundle (and the report and diagnosis read from it) says which process died, how, and in
// which call.
#include "recordtestutil.h"
#include "report.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>
#include <optional>

using namespace initscope;

namespace {

QString fakeLibcuda()
{
    return QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1");
}

QJsonObject payloadOf(const Event &e)
{
    return QJsonDocument::fromJson(e.payload).object();
}

bool isCall(const Event &e)
{
    return e.kind.endsWith(QLatin1String(".call"));
}

bool unfinished(const Event &e)
{
    return isCall(e) && payloadOf(e).value(QStringLiteral("unfinished")).toBool();
}

// Calls of one process (every process when processId < 0) named name, finished or not.
QList<Event> calls(const BundleReader &reader, qint64 processId, const QString &name, bool wantUnfinished)
{
    QList<Event> out;
    for (const Event &e : reader.events(reader.runs().first().id, processId)) {
        if (isCall(e) && e.name == name && unfinished(e) == wantUnfinished)
            out << e;
    }
    return out;
}

QList<Event> unfinishedCalls(const BundleReader &reader, qint64 processId)
{
    QList<Event> out;
    for (const Event &e : reader.events(reader.runs().first().id, processId)) {
        if (unfinished(e))
            out << e;
    }
    return out;
}

// The first match of pattern's group 1 in text, as a number; -1 if none.
qint64 numberIn(const QByteArray &text, const QString &pattern)
{
    const QRegularExpressionMatch m = QRegularExpression(pattern).match(QString::fromUtf8(text));
    return m.hasMatch() ? m.captured(1).toLongLong() : -1;
}

// `initscope diagnose FILE --json`: the findings of the run.
QJsonArray findingsOf(const QString &bundle)
{
    const CliRun run = runInitscope({QStringLiteral("diagnose"), QStringLiteral("--json"), bundle});
    const QJsonObject doc = QJsonDocument::fromJson(run.out).object();
    EXPECT_FALSE(doc.isEmpty()) << run.err.toStdString();
    return doc.value(QStringLiteral("runs")).toArray().first().toObject().value(QStringLiteral("findings")).toArray();
}

// The crash or hang finding about pid, if the diagnosis made one.
std::optional<QJsonObject> deathFinding(const QJsonArray &findings, qint64 pid, const QString &id)
{
    for (const QJsonValue &v : findings) {
        const QJsonObject f = v.toObject();
        if (f.value(QStringLiteral("id")).toString() == id && f.value(QStringLiteral("pid")).toInteger() == pid)
            return f;
    }
    return std::nullopt;
}

// `initscope report --json FILE`: the process entry of pid.
QJsonObject reportedProcess(const QString &bundle, qint64 pid)
{
    const CliRun run = runInitscope({QStringLiteral("report"), QStringLiteral("--json"), bundle});
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QJsonObject doc = QJsonDocument::fromJson(run.out).object();
    for (const QJsonValue &r : doc.value(QStringLiteral("runs")).toArray()) {
        for (const QJsonValue &p : r.toObject().value(QStringLiteral("processes")).toArray()) {
            if (p.toObject().value(QStringLiteral("pid")).toInteger() == pid)
                return p.toObject();
        }
    }
    ADD_FAILURE() << "no process " << pid << " in the report";
    return {};
}

// Runs `initscope record ARGS` (the target's output passed on, so that its lines can be
// watched), waits until the target's stderr matches readyPattern, whose group 1 is the pid to
// kill, and sends that pid SIGKILL: the death comes from outside the target, at the moment it
// said it was ready. Returns initscope's outcome (err: everything it wrote to stderr).
CliRun recordAndKill(const QStringList &args, const QString &readyPattern)
{
    QProcess p;
    p.start(binary(QStringLiteral("initscope")), args);
    EXPECT_TRUE(p.waitForStarted(10000));
    const QRegularExpression ready(readyPattern);
    QByteArray err;
    qint64 victim = -1;
    for (int i = 0; i < 1200 && victim < 0 && p.state() == QProcess::Running; ++i) {
        p.waitForReadyRead(50);
        err += p.readAllStandardError();
        const QRegularExpressionMatch m = ready.match(QString::fromUtf8(err));
        if (m.hasMatch())
            victim = m.captured(1).toLongLong();
    }
    EXPECT_GT(victim, 0) << "the target never said \"" << readyPattern.toStdString() << "\": " << err.toStdString();
    if (victim > 0)
        ::kill(pid_t(victim), SIGKILL);
    const bool finished = p.waitForFinished(60000);
    EXPECT_TRUE(finished) << "initscope did not finish after the kill";
    if (!finished) {
        p.kill();
        p.waitForFinished();
    }
    CliRun run;
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = p.readAllStandardOutput();
    err += p.readAllStandardError();
    run.err = err;
    return run;
}

// ---------------------------------------------------------------------------------------------
// 1. Crash at every stage, three ways

struct CrashCase {
    const char *stage;
    const char *how;
};

int signalOf(const char *how)
{
    return QLatin1String(how) == QLatin1String("segv")    ? SIGSEGV
           : QLatin1String(how) == QLatin1String("abort") ? SIGABRT
                                                          : SIGKILL;
}

void PrintTo(const CrashCase &c, std::ostream *os)
{
    *os << c.stage << ' ' << c.how;
}

class CrashStage : public ::testing::TestWithParam<CrashCase>
{
protected:
    QString stage() const { return QString::fromLatin1(GetParam().stage); }
    QString how() const { return QString::fromLatin1(GetParam().how); }
    bool killed() const { return how() == QLatin1String("kill"); }

    // Records crash_at STAGE HOW; the fake GPU's mode makes the call stage die inside cuInit.
    CliRun record(const QString &bundle, const QStringList &extraEnv = {})
    {
        QStringList args{QStringLiteral("record"), QStringLiteral("-o"), bundle, QStringLiteral("--keep-raw"),
                         QStringLiteral("--shim"), fakeLibcuda()};
        if (stage() == QLatin1String("call")) {
            const QString mode = how() == QLatin1String("segv")    ? QStringLiteral("crash-in-init")
                                 : how() == QLatin1String("abort") ? QStringLiteral("abort-in-init")
                                                                   : QStringLiteral("hang-in-init");
            args << QStringLiteral("--env") << QStringLiteral("INITSCOPE_FAKEGPU_MODE=") + mode;
            // The fake's trace line is written inside cuInit: the moment to kill it there.
            if (killed())
                args << QStringLiteral("--env") << QStringLiteral("INITSCOPE_FAKEGPU_TRACE=1");
        }
        for (const QString &kv : extraEnv)
            args << QStringLiteral("--env") << kv;
        args << QStringLiteral("--") << fixture(QStringLiteral("crash_at")) << stage() << how();
        if (!killed()) {
            args.insert(1, QStringLiteral("-q"));
            return runInitscope(args);
        }
        const QString ready = stage() == QLatin1String("call")
                                  ? QStringLiteral("main: stage call pid=(\\d+)\\n(?:.*\\n)*fakegpu: cuInit\\(0\\)\\n")
                                  : QStringLiteral("waiting to be killed pid=(\\d+)\\n");
        return recordAndKill(args, ready);
    }

    QTemporaryDir m_dir;
};

// What crash_at writes on stderr, in order, up to its death, for the process that dies (the
// parent's stream for the child stage: a fork()ed child writes through its parent's pipe).
QByteArray expectedLastWords(const QString &stage, const QString &how, qint64 pid, qint64 rootPid)
{
    const QByteArray p = QByteArray::number(pid);
    const QByteArray root = QByteArray::number(rootPid);
    QByteArray death;
    if (how == QLatin1String("segv"))
        death = "crash_at: " + stage.toUtf8() + ": crashing with SIGSEGV pid=" + p + "\n";
    else if (how == QLatin1String("abort"))
        death = "crash_at: " + stage.toUtf8() + ": aborting pid=" + p + "\n";
    else
        death = "crash_at: " + stage.toUtf8() + ": waiting to be killed pid=" + p + "\n";
    if (stage == QLatin1String("ctor"))
        return "crash_at: ctor: before main\n" + death;
    const QByteArray main = "crash_at: main: stage " + stage.toUtf8() + " pid=" + root + "\n";
    if (stage == QLatin1String("dlopen")) {
        QByteArray words = main + "crash_in_ctor: constructor running pid=" + p + "\n";
        if (how == QLatin1String("kill"))
            words += "crash_in_ctor: waiting to be killed pid=" + p + "\n";
        return words;
    }
    if (stage == QLatin1String("call"))
        return main + "crash_at: call: entering cuInit\n";
    if (stage == QLatin1String("between"))
        return main + "crash_at: between: 10000 calls returned\n" + death;
    if (stage == QLatin1String("atexit"))
        return main + "crash_at: main: returning 0\ncrash_at: atexit: after main returned\n" + death;
    return main + death; // child: the parent's line, then the child's
}

} // namespace

TEST_P(CrashStage, EverythingWrittenBeforeTheDeathIsKeptAndTheBundleSaysWhoDiedHowAndWhere)
{
    const QString bundle = m_dir.filePath(QStringLiteral("crash.initscope"));
    const QString coreDir = m_dir.filePath(QStringLiteral("cores"));
    QStringList env;
    if (stage() == QLatin1String("child")) {
        // The child may dump core (RLIMIT_CORE raised, in a folder of its own); whether the
        // kernel did is what the parent saw and what the bundle must say.
        ASSERT_TRUE(QDir().mkpath(coreDir));
        env << QStringLiteral("CRASH_CORE_DIR=") + coreDir;
    }
    const CliRun run = record(bundle, env);
    const int signal = signalOf(GetParam().how);
    const bool child = stage() == QLatin1String("child");
    EXPECT_EQ(run.exitCode, child ? 0 : 128 + signal) << run.err.toStdString();

    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    const QList<Process> processes = reader->processes(r.id);
    ASSERT_EQ(processes.size(), child ? 2 : 1);
    const Process &root = processes.first();
    const Process &dead = processes.last();
    EXPECT_TRUE(root.recorded);

    // How it died.
    EXPECT_EQ(dead.endReason, EndReason::Signaled) << describeEnd(dead).toStdString();
    EXPECT_EQ(dead.signal, signal);
    if (child) {
        EXPECT_EQ(root.endReason, EndReason::Exited);
        EXPECT_EQ(root.exitCode, 0) << "the parent carried on";
        EXPECT_EQ(dead.parentId, root.id);
        // The core flag is the kernel's: as the parent's waitpid saw it.
        const qint64 core = numberIn(streamOf(*reader, root.id, Stream::Stderr),
                                     QStringLiteral("child \\d+ ended by signal %1 core (\\d)").arg(signal));
        ASSERT_GE(core, 0) << streamOf(*reader, root.id, Stream::Stderr).toStdString();
        EXPECT_EQ(dead.coreDumped, core == 1);
        EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stderr).endsWith("crash_at: parent: carried on\n"));
    } else {
        ASSERT_TRUE(r.exitSignal.has_value());
        EXPECT_EQ(*r.exitSignal, signal);
        EXPECT_FALSE(dead.coreDumped) << "crash_at dumps no core outside CRASH_CORE_DIR";
    }

    // Every byte it wrote before dying, in order, on the stream it wrote it to.
    QByteArray err = streamOf(*reader, root.id, Stream::Stderr);
    if (killed() && stage() == QLatin1String("call")) {
        static const QRegularExpression trace(QStringLiteral("fakegpu: [^\\n]*\\n"));
        err = QString::fromUtf8(err).remove(trace).toUtf8();
    }
    const QByteArray expected = expectedLastWords(stage(), how(), dead.pid, root.pid);
    if (child) {
        EXPECT_TRUE(err.startsWith(expected)) << err.toStdString();
    } else {
        EXPECT_EQ(err, expected);
    }
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stdout).isEmpty());

    // The libraries it had loaded, also the one whose constructor it died in (a fork()ed
    // child's are those its parent loaded).
    bool sawLibc = false, sawCrashLib = false;
    for (const LibLoad &l : reader->libLoads(r.id, root.id)) {
        sawLibc |= l.soname == QLatin1String("libc.so.6");
        sawCrashLib |= l.path.endsWith(QLatin1String("/libcrash_in_ctor.so"));
    }
    EXPECT_TRUE(sawLibc);
    EXPECT_EQ(sawCrashLib, stage() == QLatin1String("dlopen"));

    // Every call that returned, exactly once; the one it died in as unfinished.
    const int returned = stage() == QLatin1String("between") ? 10000
                         : stage() == QLatin1String("child") ? 5
                         : stage() == QLatin1String("call") || stage() == QLatin1String("atexit") ? 3
                                                                                                   : 0;
    EXPECT_EQ(calls(*reader, dead.id, QStringLiteral("cuDriverGetVersion"), false).size(), returned);
    if (child) {
        EXPECT_EQ(calls(*reader, root.id, QStringLiteral("cuDriverGetVersion"), false).size(), 4);
    }
    const QList<Event> open = unfinishedCalls(*reader, -1);
    if (stage() == QLatin1String("call")) {
        ASSERT_EQ(open.size(), 1);
        EXPECT_EQ(open.first().name, QStringLiteral("cuInit"));
        EXPECT_EQ(open.first().processId, dead.id);
        EXPECT_EQ(open.first().tid, dead.pid) << "the main thread";
        EXPECT_EQ(open.first().tsNs + open.first().durNs, dead.endNs.value_or(-1)) << "open until the death";
    } else {
        EXPECT_TRUE(open.isEmpty()) << open.first().name.toStdString();
    }
    if (stage() == QLatin1String("between")) {
        // The premise: some calls reached the .calls file, the rest were still in the ring.
        const QRegularExpressionMatch kept =
            QRegularExpression(QStringLiteral("raw records kept in (\\S+)")).match(QString::fromLocal8Bit(run.err));
        ASSERT_TRUE(kept.hasMatch()) << run.err.toStdString();
        const QString raw = kept.captured(1);
        EXPECT_GT(QFileInfo(QDir(raw).filePath(QStringLiteral("%1.calls").arg(dead.pid))).size(), 0);
        QDir(raw).removeRecursively();
    } else if (const QRegularExpressionMatch kept =
                   QRegularExpression(QStringLiteral("raw records kept in (\\S+)")).match(QString::fromLocal8Bit(run.err));
               kept.hasMatch()) {
        QDir(kept.captured(1)).removeRecursively();
    }

    // The report names the death; the diagnosis names it and the call it happened in.
    const QJsonObject reported = reportedProcess(bundle, dead.pid);
    const QJsonObject end = reported.value(QStringLiteral("end")).toObject();
    EXPECT_EQ(end.value(QStringLiteral("signal")).toInt(), signal);
    EXPECT_EQ(end.value(QStringLiteral("signalName")).toString(), signalName(signal));
    EXPECT_EQ(end.value(QStringLiteral("coreDumped")).toBool(), dead.coreDumped);
    EXPECT_EQ(end.value(QStringLiteral("text")).toString(), describeEnd(dead));
    EXPECT_TRUE(reported.value(QStringLiteral("failed")).toBool());
    const CliRun text = runInitscope({QStringLiteral("report"), bundle});
    EXPECT_TRUE(text.out.contains(describeEnd(dead).toUtf8())) << text.out.toStdString();
    if (stage() == QLatin1String("call")) {
        EXPECT_TRUE(text.out.contains("cuInit(…) had not returned when the process ended")) << text.out.toStdString();
        EXPECT_TRUE(text.out.contains("Diagnosis  [root cause] " + signalName(signal).toUtf8() + " in cuInit"))
            << text.out.toStdString();
    }
    const auto finding = deathFinding(findingsOf(bundle), dead.pid, QStringLiteral("crash"));
    ASSERT_TRUE(finding.has_value()) << "no crash finding for pid " << dead.pid;
    const QString title = finding->value(QStringLiteral("title")).toString();
    const QString step = finding->value(QStringLiteral("step")).toString();
    EXPECT_TRUE(title.startsWith(signalName(signal))) << title.toStdString();
    EXPECT_TRUE(step.contains(QStringLiteral("killed by %1 (%2)").arg(signalName(signal)).arg(signal)))
        << step.toStdString();
    // A fault of the process gets "fix the crash"; a SIGKILL only ever comes from outside, so
    // its fix asks who sent it instead.
    const QString fix = finding->value(QStringLiteral("fix")).toString();
    if (signal == SIGKILL) {
        EXPECT_TRUE(step.contains(QStringLiteral("sent from outside"))) << step.toStdString();
        EXPECT_TRUE(fix.startsWith(QStringLiteral("Find who sent SIGKILL"))) << fix.toStdString();
        EXPECT_TRUE(fix.contains(QStringLiteral("Out of memory: Killed process %1").arg(dead.pid))) << fix.toStdString();
    } else {
        EXPECT_TRUE(fix.startsWith(QStringLiteral("Fix the crash"))) << fix.toStdString();
    }
    if (stage() == QLatin1String("call")) {
        EXPECT_EQ(title, QStringLiteral("%1 in cuInit").arg(signalName(signal)));
        EXPECT_TRUE(step.contains(QStringLiteral("inside cuInit"))) << step.toStdString();
    } else if (stage() == QLatin1String("between") || stage() == QLatin1String("atexit") || child) {
        EXPECT_TRUE(step.contains(QStringLiteral("after cuDriverGetVersion returned"))) << step.toStdString();
    } else {
        EXPECT_TRUE(step.contains(QStringLiteral("before any GPU library call"))) << step.toStdString();
    }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStageEveryWay, CrashStage,
    ::testing::Values(CrashCase{"ctor", "segv"}, CrashCase{"ctor", "abort"}, CrashCase{"ctor", "kill"},
                      CrashCase{"dlopen", "segv"}, CrashCase{"dlopen", "abort"}, CrashCase{"dlopen", "kill"},
                      CrashCase{"call", "segv"}, CrashCase{"call", "abort"}, CrashCase{"call", "kill"},
                      CrashCase{"between", "segv"}, CrashCase{"between", "abort"}, CrashCase{"between", "kill"},
                      CrashCase{"atexit", "segv"}, CrashCase{"atexit", "abort"}, CrashCase{"atexit", "kill"},
                      CrashCase{"child", "segv"}, CrashCase{"child", "abort"}, CrashCase{"child", "kill"}),
    [](const ::testing::TestParamInfo<CrashCase> &info) {
        return std::string(info.param.stage) + "_" + info.param.how;
    });

// ---------------------------------------------------------------------------------------------
// 2. Hangs: the timeout finds every thread inside its call

namespace {

const QString kHangIn = QStringLiteral("INITSCOPE_FAKEGPU_HANG_IN=cuDeviceGetName,cuDeviceTotalMem_v2,cuDeviceGetPCIBusId");

// tid → the call it said it was entering ("worker N tid=T name=... entering F").
QHash<qint64, QString> workersIn(const QByteArray &out)
{
    QHash<qint64, QString> workers;
    static const QRegularExpression re(QStringLiteral("worker \\d tid=(\\d+) name=hang-worker-\\d entering (\\w+)"));
    auto it = re.globalMatch(QString::fromUtf8(out));
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        workers.insert(m.captured(1).toLongLong(), m.captured(2));
    }
    return workers;
}

} // namespace

TEST(Hang, TimeoutShowsEveryThreadInsideItsOwnCallAndKeepsEveryCallBefore)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("hang.initscope"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("8"), QStringLiteral("-o"), bundle, QStringLiteral("--shim"),
                                     fakeLibcuda(), QStringLiteral("--env"), kHangIn, QStringLiteral("--"),
                                     fixture(QStringLiteral("hang_threads"))},
                                    90000);
    EXPECT_EQ(run.exitCode, 124) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_TRUE(r.timedOut);
    const QList<Process> processes = reader->processes(r.id);
    ASSERT_EQ(processes.size(), 1);
    const Process &p = processes.first();
    const QByteArray out = streamOf(*reader, p.id, Stream::Stdout);
    ASSERT_TRUE(out.contains("hang_threads: all 4 workers are inside their calls\n"))
        << "the timeout came before the workers were in their calls: " << out.toStdString();
    const QHash<qint64, QString> workers = workersIn(out);
    ASSERT_EQ(workers.size(), 4) << out.toStdString();

    // Each worker thread: its own unfinished call, the one it entered, open until the end.
    const QList<Event> open = unfinishedCalls(*reader, p.id);
    ASSERT_EQ(open.size(), 4);
    QHash<qint64, QString> openByThread;
    for (const Event &e : open) {
        EXPECT_FALSE(openByThread.contains(e.tid)) << "two open calls on thread " << e.tid;
        openByThread.insert(e.tid, e.name);
        EXPECT_EQ(e.tsNs + e.durNs, p.endNs.value_or(-1)) << e.name.toStdString() << " open until the kill";
        EXPECT_EQ(payloadOf(e).value(QStringLiteral("depth")).toInt(), 0);
    }
    EXPECT_EQ(openByThread, workers);
    EXPECT_FALSE(openByThread.contains(p.pid)) << "the main thread was in no call";

    // The calls completed before the hang: 50 on the main thread, 100 on each worker.
    QHash<qint64, int> done;
    for (const Event &e : calls(*reader, p.id, QStringLiteral("cuDeviceGetAttribute"), false))
        ++done[e.tid];
    EXPECT_EQ(done.value(p.pid), 50);
    for (auto it = workers.cbegin(); it != workers.cend(); ++it)
        EXPECT_EQ(done.value(it.key()), 100) << "worker tid " << it.key();
    EXPECT_EQ(done.size(), 5);
    EXPECT_EQ(calls(*reader, p.id, QStringLiteral("cuInit"), false).size(), 1);
    for (const QString &name : {QStringLiteral("cuDeviceGetName"), QStringLiteral("cuDeviceTotalMem_v2"),
                                QStringLiteral("cuDeviceGetPCIBusId")})
        EXPECT_TRUE(calls(*reader, p.id, name, false).isEmpty()) << name.toStdString() << " never returned";

    // The diagnosis: a hang, in one of the calls the threads wait in, naming every thread.
    const auto finding = deathFinding(findingsOf(bundle), p.pid, QStringLiteral("hang"));
    ASSERT_TRUE(finding.has_value());
    const QString title = finding->value(QStringLiteral("title")).toString();
    EXPECT_TRUE(title == QLatin1String("hang in cuDeviceGetName") || title == QLatin1String("hang in cuDeviceTotalMem_v2") ||
                title == QLatin1String("hang in cuDeviceGetPCIBusId"))
        << title.toStdString();
    const QString step = finding->value(QStringLiteral("step")).toString();
    for (auto it = workers.cbegin(); it != workers.cend(); ++it)
        EXPECT_TRUE(step.contains(QStringLiteral("%1 (thread %2)").arg(it.value()).arg(it.key()))) << step.toStdString();
}

// A process whose thread is inside a call when another thread execs: the call ends with that
// image, and the next image of the same pid (which hangs in a call of its own) does not wipe it.
TEST(Hang, CallLeftOpenByAnExecAndTheNextImagesHangAreBothKept)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("exec.initscope"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("6"), QStringLiteral("-o"), bundle, QStringLiteral("--shim"),
                                     fakeLibcuda(), QStringLiteral("--env"), kHangIn, QStringLiteral("--"),
                                     fixture(QStringLiteral("hang_threads")), QStringLiteral("exec")},
                                    90000);
    EXPECT_EQ(run.exitCode, 124) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    const QList<Process> images = reader->processes(r.id);
    ASSERT_EQ(images.size(), 2);
    const Process &first = images[0].execSeq == 0 ? images[0] : images[1];
    const Process &second = images[0].execSeq == 0 ? images[1] : images[0];
    ASSERT_EQ(first.pid, second.pid);
    EXPECT_EQ(first.endReason, EndReason::Exec);
    EXPECT_EQ(second.endReason, EndReason::Signaled);
    EXPECT_EQ(second.previousImageId, first.id);
    const QByteArray out = streamOf(*reader, first.id, Stream::Stdout);
    const qint64 workerTid = numberIn(out, QStringLiteral("worker tid=(\\d+) is inside cuDeviceGetName"));
    ASSERT_GT(workerTid, 0) << out.toStdString();
    ASSERT_TRUE(streamOf(*reader, second.id, Stream::Stdout).contains("image 2 pid="));

    // Image 1: its calls, and the worker's call that the exec cut short, ending at the exec.
    EXPECT_EQ(calls(*reader, first.id, QStringLiteral("cuDeviceGetAttribute"), false).size(), 20);
    EXPECT_EQ(calls(*reader, first.id, QStringLiteral("cuInit"), false).size(), 1);
    const QList<Event> firstOpen = unfinishedCalls(*reader, first.id);
    ASSERT_EQ(firstOpen.size(), 1) << "image 1's open call survived image 2";
    EXPECT_EQ(firstOpen.first().name, QStringLiteral("cuDeviceGetName"));
    EXPECT_EQ(firstOpen.first().tid, workerTid);
    EXPECT_EQ(firstOpen.first().tsNs + firstOpen.first().durNs, first.endNs.value_or(-1)) << "open until the exec";

    // Image 2: its own calls and its own open call, until the timeout killed it.
    EXPECT_EQ(calls(*reader, second.id, QStringLiteral("cuDeviceGetAttribute"), false).size(), 30);
    EXPECT_EQ(calls(*reader, second.id, QStringLiteral("cuInit"), false).size(), 1);
    const QList<Event> secondOpen = unfinishedCalls(*reader, second.id);
    ASSERT_EQ(secondOpen.size(), 1);
    EXPECT_EQ(secondOpen.first().name, QStringLiteral("cuDeviceTotalMem_v2"));
    EXPECT_EQ(secondOpen.first().tid, second.pid);
    EXPECT_EQ(secondOpen.first().tsNs + secondOpen.first().durNs, second.endNs.value_or(-1));
    EXPECT_GE(secondOpen.first().tsNs, second.startNs);
}

// ---------------------------------------------------------------------------------------------
// 3. Closed standard output or error, and a reader that goes away

namespace {

// Runs `initscope ARGS` from a shell with the redirections given (">&-", "2>&-", …).
CliRun runInitscopeWith(const QString &redirections, const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    p.start(QStringLiteral("/bin/sh"),
            QStringList{QStringLiteral("-c"), QStringLiteral("exec \"$0\" \"$@\" ") + redirections,
                        binary(QStringLiteral("initscope"))} +
                args);
    EXPECT_TRUE(p.waitForStarted(10000));
    const bool finished = p.waitForFinished(timeoutMs);
    EXPECT_TRUE(finished) << "initscope " << redirections.toStdString() << " did not finish";
    if (!finished) {
        p.kill();
        p.waitForFinished();
    }
    CliRun run;
    // -1 when initscope itself died of a signal.
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = p.readAllStandardOutput();
    run.err = p.readAllStandardError();
    return run;
}

// What `closed_streams write` writes on one stream.
QByteArray writtenTo(const char *stream)
{
    QByteArray all;
    for (int i = 0; i < 16384; ++i)
        all += QStringLiteral("closed_streams: %1 line %2\n")
                   .arg(QLatin1String(stream))
                   .arg(i, 5, 10, QLatin1Char('0'))
                   .toUtf8();
    return all;
}

const Process *processWithArg(const QList<Process> &processes, const QString &arg)
{
    for (const Process &p : processes) {
        if (p.argv.contains(arg))
            return &p;
    }
    return nullptr;
}

} // namespace

TEST(ClosedStreams, RecordWithItsOwnStdoutClosedKeepsTheOutputAndReportsOnStderr)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("noout.initscope"));
    const CliRun run = runInitscopeWith(QStringLiteral(">&-"), {QStringLiteral("record"), QStringLiteral("-o"), bundle,
                                                                QStringLiteral("--"), fixture(QStringLiteral("closed_streams")),
                                                                QStringLiteral("write")});
    EXPECT_EQ(run.exitCode, 0) << run.err.right(300).toStdString();
    EXPECT_TRUE(run.err.startsWith(writtenTo("stderr") + "initscope: exit 0; 1 processes")) << run.err.right(300).toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const Process root = reader->processes(reader->runs().first().id).first();
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stdout) == writtenTo("stdout")) << "every byte, none passed on";
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stderr) == writtenTo("stderr"));
    EXPECT_EQ(root.endReason, EndReason::Exited);
    EXPECT_EQ(root.exitCode, 0) << "the target's own writes succeeded";
}

TEST(ClosedStreams, RecordWithItsOwnStderrClosedKeepsTheOutputAndPassesStdoutOn)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("noerr.initscope"));
    const CliRun run = runInitscopeWith(QStringLiteral("2>&-"), {QStringLiteral("record"), QStringLiteral("-o"), bundle,
                                                                 QStringLiteral("--"), fixture(QStringLiteral("closed_streams")),
                                                                 QStringLiteral("write")});
    EXPECT_EQ(run.exitCode, 0);
    EXPECT_TRUE(run.out == writtenTo("stdout")) << "passed on whole";
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const Process root = reader->processes(reader->runs().first().id).first();
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stdout) == writtenTo("stdout"));
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stderr) == writtenTo("stderr")) << "every byte, none passed on";
    EXPECT_EQ(root.endReason, EndReason::Exited);
    EXPECT_EQ(root.exitCode, 0);
}

TEST(ClosedStreams, RecordWithStdinStdoutAndStderrClosedStillSavesEverything)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("none.initscope"));
    const CliRun run = runInitscopeWith(QStringLiteral("<&- >&- 2>&-"),
                                        {QStringLiteral("record"), QStringLiteral("-o"), bundle, QStringLiteral("--"),
                                         fixture(QStringLiteral("closed_streams")), QStringLiteral("write")});
    EXPECT_EQ(run.exitCode, 0);
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const Process root = reader->processes(reader->runs().first().id).first();
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stdout) == writtenTo("stdout"));
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stderr) == writtenTo("stderr"));
    EXPECT_EQ(root.exitCode, 0);
}

// `initscope report` puts its result on stdout whatever stderr is, and says on stderr when
// stdout cannot take it.
TEST(ClosedStreams, ReportGoesToStdoutWithStderrClosedAndFailsClearlyWithStdoutClosed)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("report.initscope"));
    ASSERT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                            QStringLiteral("--"), fixture(QStringLiteral("closed_streams")), QStringLiteral("write")})
                  .exitCode,
              0);
    const CliRun text = runInitscopeWith(QStringLiteral("2>&-"), {QStringLiteral("report"), bundle});
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_TRUE(text.out.startsWith("Run 1: closed_streams\n")) << text.out.toStdString();
    const CliRun closed = runInitscopeWith(QStringLiteral(">&-"), {QStringLiteral("report"), bundle});
    EXPECT_EQ(closed.exitCode, 70);
    EXPECT_EQ(closed.err.count('\n'), 1) << closed.err.toStdString();
    EXPECT_TRUE(closed.err.startsWith("initscope: ")) << closed.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader) << "the report left the bundle as it was";
}

// A child started with its stderr, its stdout or both closed gets EBADF there, recorded or
// not (the recorder must not leave one of its own descriptors in their place), and what it
// wrote to the other stream is kept as its own.
TEST(ClosedStreams, ChildStartedWithClosedStreamsGetsEbadfThereAndKeepsTheOther)
{
    for (const char *closedFd : {"1", "2", "12"}) {
        QTemporaryDir dir;
        const QString bundle = dir.filePath(QStringLiteral("child.initscope"));
        const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                         QStringLiteral("--"), fixture(QStringLiteral("closed_streams")),
                                         QStringLiteral("spawn-without"), QLatin1String(closedFd)});
        ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
        auto reader = openBundle(bundle);
        ASSERT_TRUE(reader);
        const QList<Process> processes = reader->processes(reader->runs().first().id);
        const Process *child = processWithArg(processes, QStringLiteral("child"));
        const Process *parent = processWithArg(processes, QStringLiteral("spawn-without"));
        ASSERT_TRUE(child && parent);
        const QByteArray closed(closedFd);
        const bool noStdout = closed.contains('1'), noStderr = closed.contains('2');
        const QByteArray verdict = QByteArray("child: fd1 ") + (noStdout ? "EBADF" : "ok") + " fd2 " +
                                   (noStderr ? "EBADF" : "ok") + "\n";
        EXPECT_EQ(streamOf(*reader, child->id, Stream::Stdout),
                  noStdout ? QByteArray() : QByteArray("child: hello on fd 1\n") + verdict)
            << closedFd;
        EXPECT_EQ(streamOf(*reader, child->id, Stream::Stderr),
                  noStderr ? QByteArray() : QByteArray("child: hello on fd 2\n") + verdict)
            << closedFd;
        const int status = 10 + (noStdout ? 1 : 0) + (noStderr ? 2 : 0);
        EXPECT_EQ(child->exitCode, status) << closedFd << ": EBADF on exactly the closed ones";
        const QByteArray parentSaid = "parent: start\nparent: child exited " + QByteArray::number(status) + "\n";
        EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stdout), parentSaid);
        EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stderr), parentSaid);
    }
}

// A target that closes its own stdout and stderr mid-run, reopens stdout on a file and starts a
// child that writes there: no hang, the file gets every line each process wrote there, the
// child still gets EBADF on the stderr it inherited closed, and what each process wrote to its
// captured streams is kept.
TEST(ClosedStreams, TargetThatClosesItsStreamsMidRunAndReopensStdoutOnAFile)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("selfclose.initscope"));
    const QString file = dir.filePath(QStringLiteral("reopened.txt"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                     QStringLiteral("--"), fixture(QStringLiteral("closed_streams")),
                                     QStringLiteral("selfclose"), file});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    // Each process's lines in its order. The child's reach the file through the launcher,
    // after a hop the parent's direct writes do not take, so the two may interleave otherwise
    // than unrecorded (docs/reliability.md, limits).
    const QByteArray inFile = f.readAll();
    QByteArray fromChild, fromParent;
    for (const QByteArray &line : inFile.split('\n')) {
        if (line.startsWith("child: "))
            fromChild += line + '\n';
        else if (line.startsWith("parent: "))
            fromParent += line + '\n';
        else
            EXPECT_TRUE(line.isEmpty()) << "unexpected in the file: " << line.toStdString();
    }
    EXPECT_EQ(fromChild, QByteArray("child: hello on fd 1\nchild: fd1 ok fd2 EBADF\n")) << inFile.toStdString();
    EXPECT_EQ(fromParent, QByteArray("parent: child exited 12\nparent: fd2 EBADF\n")) << inFile.toStdString();
    EXPECT_TRUE(inFile.endsWith('\n'));
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    const Process *child = processWithArg(processes, QStringLiteral("child"));
    const Process *parent = processWithArg(processes, QStringLiteral("selfclose"));
    ASSERT_TRUE(child && parent);
    EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stdout), QByteArray("parent: before closing\n"));
    EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stderr), QByteArray("parent: before closing\n"));
    // The child's stdout was the file when it started: captured, passed on to the file, kept.
    EXPECT_EQ(streamOf(*reader, child->id, Stream::Stdout),
              QByteArray("child: hello on fd 1\nchild: fd1 ok fd2 EBADF\n"));
    EXPECT_TRUE(streamOf(*reader, child->id, Stream::Stderr).isEmpty());
}

// `initscope record -- target | head -c 100`: the target meets the closed pipe as it would
// unrecorded (SIGPIPE, or EPIPE when it ignores the signal), InitScope does not die of it, and
// the bundle is saved with what was written and how the target ended.
TEST(ReaderGone, TargetGetsSigpipeOrEpipeAndTheBundleIsSaved)
{
    for (const bool ignoring : {false, true}) {
        QTemporaryDir dir;
        const QString bundle = dir.filePath(QStringLiteral("pipe.initscope"));
        QProcess recorder, head;
        recorder.setStandardOutputProcess(&head);
        head.start(QStringLiteral("head"), {QStringLiteral("-c"), QStringLiteral("100")});
        QStringList args{QStringLiteral("record"), QStringLiteral("-o"), bundle, QStringLiteral("--"),
                         fixture(QStringLiteral("pipe_writer"))};
        if (ignoring)
            args << QStringLiteral("--ignore-sigpipe");
        recorder.start(binary(QStringLiteral("initscope")), args);
        ASSERT_TRUE(recorder.waitForStarted(10000) && head.waitForStarted(10000));
        ASSERT_TRUE(head.waitForFinished(60000));
        ASSERT_TRUE(recorder.waitForFinished(60000));
        const QByteArray headOut = head.readAllStandardOutput();
        const QByteArray err = recorder.readAllStandardError();
        ASSERT_EQ(recorder.exitStatus(), QProcess::NormalExit) << "initscope itself died";
        EXPECT_EQ(recorder.exitCode(), ignoring ? 3 : 128 + SIGPIPE) << err.toStdString();
        ASSERT_EQ(headOut.size(), 100);
        EXPECT_TRUE(headOut.startsWith("pipe_writer line 00000000 "));

        auto reader = openBundle(bundle);
        ASSERT_TRUE(reader);
        const Process root = reader->processes(reader->runs().first().id).first();
        const QByteArray out = streamOf(*reader, root.id, Stream::Stdout);
        EXPECT_TRUE(out.startsWith(headOut)) << "what the reader got is in the bundle";
        EXPECT_EQ(out.size() % 64, 0) << "whole lines, in order";
        for (qsizetype line = 0; line + 64 <= out.size(); line += 64 * 97)
            EXPECT_TRUE(out.mid(line).startsWith(QStringLiteral("pipe_writer line %1 ")
                                                      .arg(line / 64, 8, 10, QLatin1Char('0'))
                                                      .toUtf8()))
                << "line " << line / 64;
        if (ignoring) {
            EXPECT_EQ(root.endReason, EndReason::Exited);
            EXPECT_EQ(root.exitCode, 3);
            const QByteArray said = streamOf(*reader, root.id, Stream::Stderr);
            EXPECT_TRUE(said.startsWith("pipe_writer: EPIPE after ")) << said.toStdString();
            EXPECT_TRUE(err.contains(said)) << "its stderr still reached ours";
            EXPECT_GE(numberIn(said, QStringLiteral("after (\\d+) bytes")), out.size());
        } else {
            EXPECT_EQ(root.endReason, EndReason::Signaled);
            EXPECT_EQ(root.signal, SIGPIPE);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Output that is not plain text

// Invalid UTF-8, NUL bytes, carriage returns, ANSI colour and cursor escapes, OSC title and
// hyperlink sequences, C1 controls and bidi overrides are kept byte for byte, on both streams.
TEST(HostileOutput, EveryByteIsKeptExactlyOnBothStreams)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("hostile.initscope"));
    const QString written = dir.filePath(QStringLiteral("written.bin"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-o"), bundle, QStringLiteral("--"),
                                     fixture(QStringLiteral("hostile_output")), written});
    EXPECT_EQ(run.exitCode, 1) << run.err.toStdString();
    QFile f(written);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    // The fixture really wrote what this test is about.
    for (const QByteArray &needle : {QByteArray("\xff\xfe"), QByteArray("a\0b\0\0c", 6), QByteArray("10%\rprogress"),
                                     QByteArray("\x1b[31m"), QByteArray("\x1b[2J"), QByteArray("\x1b]0;"),
                                     QByteArray("\x1b]8;;"), QByteArray("\xc2\x9b"), QByteArray("\x9b" "31m"),
                                     QByteArray("\xe2\x80\xae"), QByteArray("\x07\x08")})
        ASSERT_TRUE(bytes.contains(needle)) << needle.toHex().toStdString();
    // Passed on unchanged, and kept unchanged.
    EXPECT_EQ(run.out, bytes);
    EXPECT_TRUE(run.err.startsWith(bytes));
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const Process root = reader->processes(reader->runs().first().id).first();
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stdout), bytes);
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stderr), bytes);
}

// `initscope report` shows that output without handing the terminal anything it would act on:
// no escape or other control byte but newline and tab, no C1 control, no bidi override or
// isolate; the JSON form keeps the error line's exact text.
TEST(HostileOutput, ReportTextCarriesNoTerminalControlsAndJsonKeepsTheExactBytes)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("hostile.initscope"));
    ASSERT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                            QStringLiteral("--"), fixture(QStringLiteral("hostile_output"))})
                  .exitCode,
              1);
    const CliRun text = runInitscope({QStringLiteral("report"), bundle});
    ASSERT_EQ(text.exitCode, 0) << text.err.toStdString();
    ASSERT_TRUE(text.out.contains("error: hostile line")) << text.out.toStdString();
    for (qsizetype i = 0; i < text.out.size(); ++i) {
        const uchar c = uchar(text.out[i]);
        ASSERT_TRUE(c >= 0x20 || c == '\n' || c == '\t') << "control byte 0x" << std::hex << int(c) << " at " << std::dec << i;
        ASSERT_NE(c, 0x7f) << "DEL at " << i;
    }
    const QString decoded = QString::fromUtf8(text.out);
    EXPECT_EQ(decoded.toUtf8(), text.out) << "the report is valid UTF-8";
    for (const QChar c : decoded) {
        const int u = c.unicode();
        ASSERT_FALSE(u >= 0x80 && u <= 0x9f) << "C1 control U+" << std::hex << u;
        ASSERT_FALSE((u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069)) << "bidi control U+" << std::hex << u;
    }

    const CliRun json = runInitscope({QStringLiteral("report"), QStringLiteral("--json"), bundle});
    ASSERT_EQ(json.exitCode, 0);
    const QJsonObject process = QJsonDocument::fromJson(json.out)
                                    .object()
                                    .value(QStringLiteral("runs")).toArray().first().toObject()
                                    .value(QStringLiteral("processes")).toArray().first().toObject();
    bool sawErrorLine = false;
    for (const QJsonValue &v : process.value(QStringLiteral("errorLines")).toArray()) {
        const QJsonObject line = v.toObject();
        if (!line.value(QStringLiteral("text")).toString().startsWith(QLatin1String("error: hostile line")))
            continue;
        sawErrorLine = true;
        EXPECT_EQ(line.value(QStringLiteral("text")).toString().toUtf8(),
                  QByteArray("error: hostile line \x1b[31mERROR\x1b[0m \xe2\x80\xae" "detrats"));
    }
    EXPECT_TRUE(sawErrorLine);
}
