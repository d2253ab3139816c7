// `initscope record` against hostile process trees, each with a real program: a fork storm,
// programs the recorder cannot enter (statically linked, set-user-ID, 32-bit, started without
// LD_AUDIT), vfork, fork from a process whose threads are calling, programs with their own
// signal handlers, and sixteen processes of eight threads calling at once.
#include "recordtestutil.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

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

// How many processes run `exe` now.
int runningInstancesOf(const QString &exe)
{
    int count = 0;
    DIR *dir = ::opendir("/proc");
    if (!dir)
        return -1;
    while (dirent *e = ::readdir(dir)) {
        const QString link = QFile::symLinkTarget(QStringLiteral("/proc/%1/exe").arg(QString::fromLatin1(e->d_name)));
        count += link == exe;
    }
    ::closedir(dir);
    return count;
}

class HostileProcs : public ::testing::Test
{
protected:
    QString bundlePath(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    static const Process *byExe(const QList<Process> &processes, const QString &exe)
    {
        for (const Process &p : processes)
            if (p.exe == exe)
                return &p;
        return nullptr;
    }

    static const Process *byArg(const QList<Process> &processes, const QString &arg, const Process *except = nullptr)
    {
        for (const Process &p : processes)
            if (&p != except && p.argv.contains(arg))
                return &p;
        return nullptr;
    }

    // The traced calls of one process by thread: tid -> calls of `name`.
    static QHash<qint64, int> callsPerThread(const BundleReader &reader, qint64 runId, qint64 processId,
                                             const QString &name)
    {
        QHash<qint64, int> perThread;
        for (const Event &e : reader.eventsOfKind(runId, processId, QStringLiteral("cuda.call")))
            if (e.name == name)
                ++perThread[e.tid];
        return perThread;
    }

    static int total(const QHash<qint64, int> &perThread)
    {
        int sum = 0;
        for (int n : perThread)
            sum += n;
        return sum;
    }

    QTemporaryDir m_dir;
};

// What plain runs of a fixture print differs from a recorded run only in pids.
QByteArray withoutPids(QByteArray text)
{
    static const QRegularExpression pid(QStringLiteral("(pid=|child )\\d+"));
    return QString::fromUtf8(text).replace(pid, QStringLiteral("\\1N")).toUtf8();
}

struct PlainRun {
    int status = -1;
    QByteArray out;
    QByteArray err;
};

// The fixture run without InitScope, the fake driver found the way a user would set it up.
PlainRun runPlain(const QStringList &argv)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LD_LIBRARY_PATH"), QStringLiteral(FAKEGPU_DIR "/default"));
    p.setProcessEnvironment(env);
    p.start(argv.first(), argv.mid(1));
    EXPECT_TRUE(p.waitForStarted());
    PlainRun r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        ADD_FAILURE() << argv.join(u' ').toStdString() << " did not end";
        return r;
    }
    r.status = p.exitStatus() == QProcess::CrashExit ? -1 : p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

// 1. A fork storm: every process forks, and so does every child. Past --max-processes the tree
// is killed at once (the fixture's own safety bound of 2,000 is never what ends it), with one
// line on stderr, exit status 125 and the bundle saved, saying on the run why it ended.
TEST_F(HostileProcs, ForkStormIsKilledPastTheProcessLimitSaidOnceAndTheBundleKept)
{
    ASSERT_EQ(::geteuid(), 0u) << "the process limit is counted from the kernel's process events, which need root";
    const QString path = bundlePath("storm.initscope");
    const QString storm = fixture(QStringLiteral("fork_storm"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--max-processes"), QStringLiteral("64"), QStringLiteral("--timeout"),
                                     QStringLiteral("120"), QStringLiteral("--"), storm},
                                    150000);
    EXPECT_EQ(run.exitCode, 125) << run.err.toStdString();
    const QByteArray message = "initscope: the target started more than 64 processes (fork storm?); stopped the tree";
    EXPECT_EQ(run.err.count(message), 1) << run.err.toStdString();
    EXPECT_EQ(runningInstancesOf(storm), 0) << "a process of the storm survived";

    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    QJsonObject stop;
    for (const Event &e : reader->eventsOfKind(r.id, -1, QStringLiteral("recorder.note")))
        if (e.processId < 0 && payloadOf(e).value(QStringLiteral("stopped")).toString() == QLatin1String("process-limit"))
            stop = payloadOf(e);
    ASSERT_FALSE(stop.isEmpty()) << "the run says why it ended";
    EXPECT_EQ(stop.value(QStringLiteral("processLimit")).toInt(), 64);
    EXPECT_GT(stop.value(QStringLiteral("processes")).toInt(), 64);
    EXPECT_TRUE(stop.value(QStringLiteral("text")).toString().startsWith(
        QStringLiteral("stopped: the target started more than 64 processes (fork storm?)")));
    const QList<Process> processes = reader->processes(r.id);
    EXPECT_GT(processes.size(), 64);
    // Killed the moment the count passed the limit, however busy the storm kept the CPUs: not
    // after it had grown on (its own safety bound is 2,000).
    EXPECT_LE(processes.size(), 4 * 64) << "the storm grew on long after it passed the limit";
    const Process &root = processes.first();
    EXPECT_EQ(root.exe, storm);
    EXPECT_EQ(root.endReason, EndReason::Signaled);
    EXPECT_EQ(root.signal, SIGKILL);
    EXPECT_FALSE(streamOf(*reader, root.id, Stream::Stdout).contains("fork_storm:")) << "it ended on its own";
    int killed = 0;
    for (const Process &p : processes)
        killed += p.endReason == EndReason::Signaled && p.signal == SIGKILL;
    EXPECT_EQ(killed, processes.size()) << "every process's end is recorded, reaped by its parent or by InitScope";
}

// Exactly as many processes as allowed is not a storm: the run ends as the program ends it.
TEST_F(HostileProcs, TreeWithExactlyTheAllowedProcessesRunsToItsOwnEnd)
{
    const QString path = bundlePath("twelve.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--max-processes"), QStringLiteral("12"), QStringLiteral("--"),
                                     fixture(QStringLiteral("fork_storm")), QStringLiteral("12")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_FALSE(run.err.contains("fork storm")) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    const QList<Process> processes = reader->processes(r.id);
    ASSERT_EQ(processes.size(), 12);
    EXPECT_EQ(streamOf(*reader, processes.first().id, Stream::Stdout), QByteArray("fork_storm: 12 processes\n"));
    for (const Event &e : reader->eventsOfKind(r.id, -1, QStringLiteral("recorder.note")))
        EXPECT_FALSE(payloadOf(e).contains(QStringLiteral("stopped"))) << e.name.toStdString();
}

TEST_F(HostileProcs, ProcessLimitThatIsNotANumberIsRefusedBeforeAnythingRuns)
{
    const QString path = bundlePath("nolimit.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-o"), path, QStringLiteral("--max-processes"),
                                     QStringLiteral("many"), QStringLiteral("--"), fixture(QStringLiteral("fork_storm")),
                                     QStringLiteral("2")});
    EXPECT_EQ(run.exitCode, 64);
    EXPECT_EQ(run.err, QByteArray("initscope record: --max-processes expects a number of processes (0: no limit), "
                                  "got 'many'\n"));
    EXPECT_FALSE(QFileInfo::exists(path));
}

// 2. Programs the recorder cannot enter are in the tree with the reason, their exit status and
// their output (attributed to the nearest recorded ancestor, whose pipe they write to). Each
// stays a second, so that the launcher has looked at it before it is gone; a program that ends
// at once is the next test.
TEST_F(HostileProcs, StaticSetuid32BitAndEnvironmentClearedChildrenAreListedWithWhyTheyWereNotTraced)
{
    ASSERT_EQ(::geteuid(), 0u) << "a set-user-ID copy owned by another user needs root to make";
    const passwd *nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    // As root a set-user-ID root program is not secure execution: owned by nobody, it runs with
    // euid != ruid and the loader ignores LD_AUDIT.
    const QString setuid = m_dir.filePath(QStringLiteral("say_setuid"));
    ASSERT_TRUE(QFile::copy(fixture(QStringLiteral("say")), setuid));
    const QByteArray setuidPath = QFile::encodeName(setuid);
    ASSERT_EQ(::chown(setuidPath.constData(), nobody->pw_uid, nobody->pw_gid), 0);
    ASSERT_EQ(::chmod(setuidPath.constData(), 04755), 0);
    ASSERT_EQ(::chmod(QFile::encodeName(m_dir.path()).constData(), 0755), 0);

    const QString path = bundlePath("untraced.initscope");
    const QString staticSay = fixture(QStringLiteral("say_static"));
    const QString say32 = fixture(QStringLiteral("say32"));
    const QString say = fixture(QStringLiteral("say"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("run_children")),
                                     staticSay, QStringLiteral("static"), QStringLiteral("11"), QStringLiteral("1000"),
                                     QStringLiteral("+"), say32, QStringLiteral("m32"), QStringLiteral("12"),
                                     QStringLiteral("1000"), QStringLiteral("+"), setuid, QStringLiteral("setuid"),
                                     QStringLiteral("13"), QStringLiteral("1000"), QStringLiteral("+"),
                                     QStringLiteral("--clear-env"), say, QStringLiteral("cleared"), QStringLiteral("14"),
                                     QStringLiteral("1000")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_FALSE(run.err.contains("will be recorded but not")) << "the target itself is dynamic: no warning";
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 5);
    const Process *parent = byExe(processes, fixture(QStringLiteral("run_children")));
    ASSERT_NE(parent, nullptr);
    EXPECT_TRUE(parent->recorded);
    EXPECT_TRUE(reader->eventsOfKind(runId, parent->id, QStringLiteral("process.untraced")).isEmpty());

    struct Expected {
        QString exe, name;
        int exitCode;
        const char *cause, *reason;
    };
    const QList<Expected> expected = {
        {staticSay, QStringLiteral("static"), 11, "static",
         "statically linked: no dynamic loader, so LD_AUDIT cannot load the recorder"},
        {say32, QStringLiteral("m32"), 12, "elf-class", "32-bit (ELFCLASS32): the recorder module is 64-bit"},
        {setuid, QStringLiteral("setuid"), 13, "secure-execution",
         "set-user-ID: the loader runs it in secure-execution mode and ignores LD_AUDIT"},
        {say, QStringLiteral("cleared"), 14, "environment",
         "its environment no longer has LD_AUDIT: the parent cleared it before exec"},
    };
    const QByteArray parentOut = streamOf(*reader, parent->id, Stream::Stdout);
    const QByteArray parentErr = streamOf(*reader, parent->id, Stream::Stderr);
    for (const Expected &x : expected) {
        SCOPED_TRACE(x.name.toStdString());
        const Process *p = byExe(processes, x.exe);
        ASSERT_NE(p, nullptr);
        EXPECT_FALSE(p->recorded);
        EXPECT_EQ(p->parentId, parent->id);
        EXPECT_EQ(p->argv.value(1), x.name);
        EXPECT_EQ(p->endReason, EndReason::Exited);
        EXPECT_EQ(p->exitCode, x.exitCode);
        const QList<Event> untraced = reader->eventsOfKind(runId, p->id, QStringLiteral("process.untraced"));
        ASSERT_EQ(untraced.size(), 1);
        const QJsonObject payload = payloadOf(untraced.first());
        EXPECT_EQ(untraced.first().name, QString::fromUtf8(x.reason));
        EXPECT_EQ(payload.value(QStringLiteral("reason")).toString(), QString::fromUtf8(x.reason));
        EXPECT_EQ(payload.value(QStringLiteral("cause")).toString(), QString::fromLatin1(x.cause));
        EXPECT_TRUE(reader->libLoads(runId, p->id).isEmpty());
        // Its output went through the pipe it inherited: kept, with the parent's.
        EXPECT_TRUE(parentOut.contains(QStringLiteral("say %1: pid=%2 ").arg(x.name).arg(p->pid).toUtf8()))
            << parentOut.toStdString();
        EXPECT_TRUE(parentErr.contains(QStringLiteral("say %1: on stderr\n").arg(x.name).toUtf8()));
        EXPECT_TRUE(parentOut.contains(QStringLiteral("run_children: %1 exited %2\n").arg(x.exe).arg(x.exitCode).toUtf8()));
    }
    const Process *secure = byExe(processes, setuid);
    ASSERT_NE(secure, nullptr);
    EXPECT_TRUE(parentOut.contains(QStringLiteral("say setuid: pid=%1 uid=0 euid=%2\n").arg(secure->pid).arg(nobody->pw_uid).toUtf8()));
    EXPECT_EQ(payloadOf(reader->eventsOfKind(runId, secure->id, QStringLiteral("process.untraced")).first())
                  .value(QStringLiteral("euid")).toInteger(),
              qint64(nobody->pw_uid));
}

// A program the recorder cannot enter that ends at once may be gone before the launcher looks
// at it: it is still in the tree, with its exit status and a reason, never silently missing.
TEST_F(HostileProcs, UntracedChildThatEndsAtOnceIsStillListedWithItsExitAndAReason)
{
    const QString path = bundlePath("quick.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("run_children")),
                                     fixture(QStringLiteral("say_static")), QStringLiteral("quick"), QStringLiteral("21")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 2);
    const Process &child = processes.at(1);
    EXPECT_FALSE(child.recorded);
    EXPECT_EQ(child.parentId, processes.first().id);
    EXPECT_EQ(child.endReason, EndReason::Exited);
    EXPECT_EQ(child.exitCode, 21);
    const QList<Event> untraced = reader->eventsOfKind(runId, child.id, QStringLiteral("process.untraced"));
    ASSERT_EQ(untraced.size(), 1);
    const QString cause = payloadOf(untraced.first()).value(QStringLiteral("cause")).toString();
    EXPECT_TRUE(cause == QLatin1String("static") || cause == QLatin1String("not-inspected")) << cause.toStdString();
    EXPECT_FALSE(untraced.first().name.isEmpty());
    EXPECT_TRUE(streamOf(*reader, processes.first().id, Stream::Stdout)
                    .contains(QStringLiteral("say quick: pid=%1 ").arg(child.pid).toUtf8()));
}

// The target itself statically linked: one warning line before it runs, then it is recorded as
// an untraced process with its own output and exit status.
TEST_F(HostileProcs, StaticTargetIsWarnedAboutOnceBeforeItRunsAndRecordedAsUntraced)
{
    const QString path = bundlePath("static.initscope");
    const QString staticSay = fixture(QStringLiteral("say_static"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), staticSay, QStringLiteral("root"), QStringLiteral("5"),
                                     QStringLiteral("1000")});
    EXPECT_EQ(run.exitCode, 5) << run.err.toStdString();
    const QList<QByteArray> lines = run.err.split('\n');
    ASSERT_GE(lines.size(), 2);
    EXPECT_EQ(lines.first(), QStringLiteral("initscope: %1 is statically linked; its processes will be recorded but "
                                            "not its library loads or GPU calls").arg(staticSay).toUtf8());
    EXPECT_EQ(run.err.count("statically linked"), 1);
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 1);
    const Process &root = processes.first();
    EXPECT_EQ(root.exe, staticSay);
    EXPECT_FALSE(root.recorded);
    EXPECT_EQ(root.exitCode, 5);
    const QList<Event> untraced = reader->eventsOfKind(runId, root.id, QStringLiteral("process.untraced"));
    ASSERT_EQ(untraced.size(), 1);
    EXPECT_EQ(payloadOf(untraced.first()).value(QStringLiteral("cause")).toString(), QStringLiteral("static"));
    EXPECT_TRUE(streamOf(*reader, root.id, Stream::Stdout).startsWith(QStringLiteral("say root: pid=%1 ").arg(root.pid).toUtf8()));
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stderr), QByteArray("say root: on stderr\n"));
}

// 3. vfork: the child borrows its parent's memory until it execs. Both processes, the calls each
// made into the driver and their output are recorded, and the run ends as it does unrecorded.
TEST_F(HostileProcs, VforkedChildAndItsParentAreBothRecordedWithTheirOwnCalls)
{
    const QStringList argv{fixture(QStringLiteral("vfork_calls")), QStringLiteral("30"),
                           fixture(QStringLiteral("fork_calls")), QStringLiteral("single"), QStringLiteral("40")};
    const PlainRun plain = runPlain(argv);
    ASSERT_EQ(plain.status, 0) << plain.err.toStdString();
    const QString path = bundlePath("vfork.initscope");
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                                QStringLiteral("--shim"), fakeLibcuda(), QStringLiteral("--")} +
                                    argv);
    ASSERT_EQ(run.exitCode, plain.status) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 2);
    const Process &parent = processes.at(0);
    const Process &child = processes.at(1);
    EXPECT_EQ(parent.exe, fixture(QStringLiteral("vfork_calls")));
    EXPECT_EQ(child.exe, fixture(QStringLiteral("fork_calls")));
    EXPECT_TRUE(parent.recorded && child.recorded);
    EXPECT_EQ(child.parentId, parent.id);
    EXPECT_EQ(child.exitCode, 0);
    // The parent: the reference answer, then 30 after the child; the child: 2 + 40 rounds of 2.
    EXPECT_EQ(total(callsPerThread(*reader, runId, parent.id, QStringLiteral("cuDeviceGetAttribute"))), 31);
    EXPECT_EQ(total(callsPerThread(*reader, runId, child.id, QStringLiteral("cuDeviceGetAttribute"))), 82);
    EXPECT_EQ(total(callsPerThread(*reader, runId, parent.id, QStringLiteral("cuInit"))), 1);
    EXPECT_EQ(total(callsPerThread(*reader, runId, child.id, QStringLiteral("cuInit"))), 1);
    const QByteArray childOut = streamOf(*reader, child.id, Stream::Stdout);
    const QByteArray parentOut = streamOf(*reader, parent.id, Stream::Stdout);
    EXPECT_EQ(childOut, QStringLiteral("fork_calls single pid=%1: 40 rounds, 0 mismatches\n").arg(child.pid).toUtf8());
    EXPECT_EQ(withoutPids(childOut + parentOut), withoutPids(plain.out)) << "the same output as without recording";
    EXPECT_EQ(streamOf(*reader, parent.id, Stream::Stderr) + streamOf(*reader, child.id, Stream::Stderr), plain.err);
}

// 4. fork() in a thread while the process's other threads are inside traced calls: no deadlock
// (the run has a timeout), and every call counted in the process that made it — the child's in
// its own ring under its own thread id, none mixed into its parent's; then a fork and exec.
TEST_F(HostileProcs, ForkFromACallingThreadKeepsEachProcessesCallsApartAndExact)
{
    constexpr int threads = 4, rounds = 2000, childRounds = 300;
    const QString path = bundlePath("forkmid.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("60"), QStringLiteral("-o"), path, QStringLiteral("--shim"),
                                     fakeLibcuda(), QStringLiteral("--"), fixture(QStringLiteral("fork_calls")),
                                     QStringLiteral("mid"), QString::number(threads), QString::number(rounds),
                                     QString::number(childRounds)},
                                    120000);
    ASSERT_EQ(run.exitCode, 0) << "a deadlock ends in the timeout (124): " << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 3);
    const Process &parent = processes.at(0);
    const Process *forked = byArg(processes, QStringLiteral("mid"), &parent);
    const Process *execd = byArg(processes, QStringLiteral("single"));
    ASSERT_TRUE(forked && execd);
    EXPECT_EQ(forked->parentId, parent.id);
    EXPECT_EQ(execd->parentId, parent.id);
    EXPECT_TRUE(parent.recorded && forked->recorded && execd->recorded)
        << "a child that never execs runs the recorder it inherited";
    EXPECT_EQ(forked->exitCode, 0);
    EXPECT_EQ(execd->exitCode, 0);
    const QString fn = QStringLiteral("cuDeviceGetAttribute");

    const QHash<qint64, int> parentCalls = callsPerThread(*reader, runId, parent.id, fn);
    ASSERT_EQ(parentCalls.size(), threads + 1) << "the workers and the main thread";
    EXPECT_EQ(parentCalls.value(parent.pid), 2) << "the main thread's reference answers";
    for (auto it = parentCalls.begin(); it != parentCalls.end(); ++it) {
        if (it.key() != parent.pid) {
            EXPECT_EQ(it.value(), rounds * 2) << "thread " << it.key();
        }
    }
    EXPECT_FALSE(parentCalls.contains(forked->pid)) << "the child's calls are not in its parent's ring";

    // The forked child is a copy of one thread: its calls, all of them, under its own id.
    const QHash<qint64, int> forkedCalls = callsPerThread(*reader, runId, forked->id, fn);
    ASSERT_EQ(forkedCalls.size(), 1);
    EXPECT_EQ(forkedCalls.value(forked->pid), childRounds * 2);
    EXPECT_TRUE(callsPerThread(*reader, runId, forked->id, QStringLiteral("cuInit")).isEmpty())
        << "the parent's start-up calls are not copied into the child";

    const QHash<qint64, int> execdCalls = callsPerThread(*reader, runId, execd->id, fn);
    EXPECT_EQ(total(execdCalls), 2 + childRounds * 2);
    EXPECT_EQ(execdCalls.keys(), QList<qint64>{execd->pid});
    EXPECT_TRUE(streamOf(*reader, parent.id, Stream::Stdout).contains("0 mismatches; forked child"));
}

// 5. A program's own signal handlers run as they would without recording: its SIGSEGV handler
// prints and exits 3, its SIGCHLD and SIGPIPE handlers see their signals.
TEST_F(HostileProcs, ProgramWithItsOwnSignalHandlersEndsAsItDoesWithoutRecording)
{
    const QStringList argv{fixture(QStringLiteral("own_handlers")), QStringLiteral("crash")};
    const PlainRun plain = runPlain(argv);
    ASSERT_EQ(plain.status, 3) << plain.out.toStdString() << plain.err.toStdString();
    EXPECT_EQ(plain.out, QByteArray("own_handlers: SIGCHLD caught, child exited 7\n"
                                    "own_handlers: SIGPIPE caught 1 time(s), write gave EPIPE\n"
                                    "own_handlers: caught SIGSEGV, exiting 3\n"));
    const QString path = bundlePath("handlers.initscope");
    const CliRun run = runInitscope(QStringList{QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                                QStringLiteral("--")} +
                                    argv);
    EXPECT_EQ(run.exitCode, 3) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), 2);
    const Process &root = processes.first();
    EXPECT_EQ(root.endReason, EndReason::Exited);
    EXPECT_EQ(root.exitCode, 3);
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stdout), plain.out);
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stderr), plain.err);
    EXPECT_EQ(processes.at(1).exitCode, 7);
}

// ... and a timeout still ends a program that ignores SIGTERM: SIGKILL after the grace second.
TEST_F(HostileProcs, TimeoutKillsAProgramThatCatchesSigtermAfterTheGrace)
{
    const QString path = bundlePath("ignoreterm.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("1"), QStringLiteral("-o"), path, QStringLiteral("--"),
                                     fixture(QStringLiteral("own_handlers")), QStringLiteral("ignore-term")},
                                    30000);
    EXPECT_EQ(run.exitCode, 124) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_TRUE(r.timedOut);
    const Process root = reader->processes(r.id).first();
    EXPECT_EQ(root.endReason, EndReason::Signaled);
    EXPECT_EQ(root.signal, SIGKILL);
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stdout),
              QByteArray("own_handlers: waiting\nown_handlers: SIGTERM ignored\n"));
    EXPECT_FALSE(processAlive(root.pid));
}

// 6. Sixteen processes of eight threads, all calling at once: every call of every thread is in
// the bundle, counted per process and per thread, and nothing was dropped.
TEST_F(HostileProcs, SixteenProcessesOfEightThreadsCallingAtOnceLoseNoCall)
{
    constexpr int children = 16, threads = 8, rounds = 1500;
    const QString path = bundlePath("many.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("120"), QStringLiteral("-o"), path, QStringLiteral("--shim"),
                                     fakeLibcuda(), QStringLiteral("--"), fixture(QStringLiteral("fork_calls")),
                                     QStringLiteral("many"), QString::number(children), QString::number(threads),
                                     QString::number(rounds)},
                                    240000);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const QList<Process> processes = reader->processes(runId);
    ASSERT_EQ(processes.size(), children + 1);
    const QString fn = QStringLiteral("cuDeviceGetAttribute");
    const Process &parent = processes.first();
    EXPECT_EQ(callsPerThread(*reader, runId, parent.id, fn), (QHash<qint64, int>{{parent.pid, 2}}));
    QSet<qint64> tids;
    int calls = 2;
    for (const Process &p : processes.mid(1)) {
        SCOPED_TRACE(p.pid);
        EXPECT_EQ(p.parentId, parent.id);
        EXPECT_EQ(p.exitCode, 0);
        const QHash<qint64, int> perThread = callsPerThread(*reader, runId, p.id, fn);
        EXPECT_EQ(perThread.size(), threads);
        for (auto it = perThread.begin(); it != perThread.end(); ++it) {
            EXPECT_EQ(it.value(), rounds * 2) << "thread " << it.key();
            EXPECT_FALSE(tids.contains(it.key())) << "a thread's calls are in one process";
            tids.insert(it.key());
            calls += it.value();
        }
    }
    EXPECT_EQ(calls, 2 + children * threads * rounds * 2);
    for (const Event &e : reader->eventsOfKind(runId, -1, QStringLiteral("recorder.note")))
        EXPECT_FALSE(e.name.contains(QStringLiteral("could not be kept"))) << e.name.toStdString();
}

// A failed process that nothing recorded inside explains: the diagnosis says it was not traced,
// and why, instead of "failed without a recorded departure".
TEST_F(HostileProcs, DiagnosisOfAFailedUntracedProcessSaysItWasNotTracedAndWhy)
{
    const QString path = bundlePath("diagnose.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("run_children")),
                                     fixture(QStringLiteral("say_static")), QStringLiteral("failing"),
                                     QStringLiteral("11"), QStringLiteral("1000")});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const CliRun diagnosis = runInitscope({QStringLiteral("diagnose"), path});
    const QString text = QString::fromUtf8(diagnosis.out);
    EXPECT_TRUE(text.contains(QStringLiteral("process failed and was not traced (untraced-process")))
        << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("the recorder could not enter it (statically linked: no dynamic loader, "
                                             "so LD_AUDIT cannot load the recorder)")))
        << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("it ended: exit code 11"))) << text.toStdString();
    EXPECT_FALSE(text.contains(QStringLiteral("unexplained-failure"))) << text.toStdString();
}
