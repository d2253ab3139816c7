// `initscope record` against real programs: every process of the tree, every byte of its
// output, its exit, and nothing left running.
#include "recordtestutil.h"
#include "recording.h"
#include "retry.h"

#include <QFileInfo>

#include <QJsonObject>

#include <QJsonDocument>

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include <csignal>
#include <sys/stat.h>

using namespace initscope;

namespace {

class RecordTest : public ::testing::Test
{
protected:
    QString bundlePath(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    const Process *findByArg(const QList<Process> &processes, const QString &arg)
    {
        for (const Process &p : processes) {
            if (p.argv.contains(arg))
                return &p;
        }
        return nullptr;
    }

    QTemporaryDir m_dir;
};

QList<qint64> pidsIn(const QByteArray &text)
{
    QList<qint64> pids;
    static const QRegularExpression re(QStringLiteral("pid=(\\d+)"));
    auto it = re.globalMatch(QString::fromUtf8(text));
    while (it.hasNext())
        pids << it.next().captured(1).toLongLong();
    return pids;
}

} // namespace

TEST_F(RecordTest, ChildStderrSwallowedByItsParentIsRecordedInFull)
{
    const QString path = bundlePath("swallow.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("swallow_stderr"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    const Process *child = findByArg(processes, QStringLiteral("child"));
    ASSERT_NE(child, nullptr);
    const QByteArray err = streamOf(*reader, child->id, Stream::Stderr);
    ASSERT_EQ(err.size(), 8001) << "the child's whole 8000-byte line and its newline";
    EXPECT_TRUE(err.startsWith("child: failed to initialize CUDA: ABC"));
    EXPECT_TRUE(err.endsWith(" END\n"));
    EXPECT_EQ(child->endReason, EndReason::Exited);
    EXPECT_EQ(child->exitCode, 2);
    // The parent really did swallow it: it saw the bytes and printed only a count.
    const Process *parent = findByArg(processes, fixture(QStringLiteral("swallow_stderr")));
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stdout),
              QByteArray("parent: child exited 2, 8001 bytes of its stderr discarded\n"));
    EXPECT_TRUE(streamOf(*reader, parent->id, Stream::Stderr).isEmpty());
}

TEST_F(RecordTest, GrandchildStartedByForkExecIsRecordedWithItsParentsAndExits)
{
    const QString path = bundlePath("tree.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("spawn_tree"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    const Process *parent = findByArg(processes, fixture(QStringLiteral("spawn_tree")));
    const Process *child = findByArg(processes, QStringLiteral("child"));
    const Process *grandchild = findByArg(processes, QStringLiteral("grandchild"));
    ASSERT_TRUE(parent && child && grandchild);
    EXPECT_EQ(parent->parentId, -1);
    EXPECT_EQ(child->parentId, parent->id);
    EXPECT_EQ(grandchild->parentId, child->id);
    EXPECT_EQ(grandchild->ppid, child->pid);
    EXPECT_EQ(child->exitCode, 3);
    EXPECT_EQ(child->endReason, EndReason::Exited);
    EXPECT_EQ(grandchild->endReason, EndReason::Exited);
    EXPECT_EQ(grandchild->exitCode, 0);
    EXPECT_TRUE(child->recorded && grandchild->recorded && parent->recorded);
    EXPECT_EQ(streamOf(*reader, grandchild->id, Stream::Stdout),
              QStringLiteral("spawn_tree grandchild pid=%1\n").arg(grandchild->pid).toUtf8());
    EXPECT_EQ(streamOf(*reader, child->id, Stream::Stdout),
              QStringLiteral("spawn_tree child pid=%1\n").arg(child->pid).toUtf8());
    EXPECT_EQ(streamOf(*reader, parent->id, Stream::Stdout),
              QStringLiteral("spawn_tree parent pid=%1\nspawn_tree parent saw child exit 3\n")
                  .arg(parent->pid)
                  .toUtf8());
}

// The raw run directory holds the target's environment, output and calls before redaction:
// only its owner may read it (the directory 0700, every file 0600), whatever the umask.
TEST_F(RecordTest, RawRunDirectoryAndEveryRecorderFileAreReadableByTheOwnerOnly)
{
    const QString path = bundlePath("private.initscope");
    const mode_t previous = ::umask(0);
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--keep-raw"),
                                     QStringLiteral("-o"), path, QStringLiteral("--shim"),
                                     QStringLiteral(FAKEGPU_DIR "/default/libcuda.so.1"), QStringLiteral("--"),
                                     fixture(QStringLiteral("threaded_calls"))});
    ::umask(previous);
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QRegularExpression kept(QStringLiteral("raw records kept in (\\S+)"));
    const QRegularExpressionMatch m = kept.match(QString::fromLocal8Bit(run.err));
    ASSERT_TRUE(m.hasMatch()) << run.err.toStdString();
    const QString rawDir = m.captured(1);
    struct stat st{};
    ASSERT_EQ(::stat(QFile::encodeName(rawDir).constData(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << rawDir.toStdString();
    const QStringList files = QDir(rawDir).entryList(QDir::Files);
    QStringList kinds;
    for (const QString &name : files) {
        kinds << QFileInfo(name).suffix();
        ASSERT_EQ(::stat(QFile::encodeName(QDir(rawDir).filePath(name)).constData(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u) << name.toStdString();
    }
    for (const char *kind : {"rec", "ring", "calls", "inflight"})
        EXPECT_TRUE(kinds.contains(QLatin1String(kind))) << kind << " in " << files.join(u' ').toStdString();
    QDir(rawDir).removeRecursively();
}

// Secrets in the environment never reach the bundle file: not in any process's environment,
// not in the run's config; a URL keeps everything but its password. The processes themselves
// got the real values (the fixture's own output shows it is unaffected).
TEST_F(RecordTest, SecretValuesAndUrlPasswordsAreRedactedEverywhereInTheBundleFile)
{
    const QString path = bundlePath("secrets.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--env"), QStringLiteral("HF_TOKEN=hf_s3cretvalue1"),
                                     QStringLiteral("--env"), QStringLiteral("MY_SIGNING_KEY=k3yvalue2"),
                                     QStringLiteral("--env"), QStringLiteral("HTTPS_PROXY=http://alice:pw0rdvalue3@proxy:3128"),
                                     QStringLiteral("--"), fixture(QStringLiteral("spawn_tree"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    for (const char *secret : {"hf_s3cretvalue1", "k3yvalue2", "pw0rdvalue3"})
        EXPECT_FALSE(bytes.contains(secret)) << secret << " is in the bundle file";
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    const QList<Process> processes = reader->processes(r.id);
    ASSERT_GE(processes.size(), 2);
    for (const Process &p : processes) {
        EXPECT_TRUE(p.env.contains(QStringLiteral("HF_TOKEN=<redacted>"))) << p.pid;
        EXPECT_TRUE(p.env.contains(QStringLiteral("MY_SIGNING_KEY=<redacted>"))) << p.pid;
        EXPECT_TRUE(p.env.contains(QStringLiteral("HTTPS_PROXY=http://alice:<redacted>@proxy:3128"))) << p.pid;
    }
    const QJsonObject set = QJsonDocument::fromJson(r.configJson).object().value(QStringLiteral("environment"))
                                .toObject().value(QStringLiteral("set")).toObject();
    EXPECT_EQ(set.value(QStringLiteral("HF_TOKEN")).toString(), QStringLiteral("<redacted>"));
    EXPECT_EQ(set.value(QStringLiteral("HTTPS_PROXY")).toString(), QStringLiteral("http://alice:<redacted>@proxy:3128"));
}

// A retry of such a run takes the redacted values from its own environment, or refuses and
// names them: it never runs the target with the placeholder.
TEST(RetryOfRedactedRun, TakesTheValueFromThisEnvironmentOrRefusesNamingTheVariable)
{
    const QByteArray config = R"({"command":["/bin/true"],"environment":{"clean":false,"set":{"HF_TOKEN":"<redacted>","LEVEL":"2"},"unset":[]}})";
    qunsetenv("HF_TOKEN");
    RecordOptions options;
    QString error;
    EXPECT_FALSE(optionsOfRun(config, &options, &error));
    EXPECT_EQ(error, QStringLiteral("the bundle keeps HF_TOKEN only redacted; set it in this environment to retry"));
    qputenv("HF_TOKEN", "hf_from_here");
    RecordOptions again;
    ASSERT_TRUE(optionsOfRun(config, &again, &error)) << error.toStdString();
    EXPECT_TRUE(again.setEnv.contains(QStringLiteral("HF_TOKEN=hf_from_here")));
    EXPECT_TRUE(again.setEnv.contains(QStringLiteral("LEVEL=2")));
    qunsetenv("HF_TOKEN");
}

// A bundle that cannot be written (here: its folder is a file, which stops root too) is found
// out before the target runs: one error line, exit status 73, and the target never started.
TEST_F(RecordTest, UnwritableBundlePathIsRefusedBeforeTheTargetRuns)
{
    const QString notAFolder = bundlePath("plain-file");
    {
        QFile f(notAFolder);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    }
    const QString marker = bundlePath("target-ran");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"),
                                     notAFolder + QStringLiteral("/run.initscope"), QStringLiteral("--"),
                                     QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                     QStringLiteral("echo ran > '%1'").arg(marker)});
    EXPECT_EQ(run.exitCode, 73) << run.err.toStdString();
    EXPECT_EQ(run.err.count('\n'), 1) << run.err.toStdString();
    EXPECT_TRUE(run.err.startsWith("initscope: Could not save the bundle ")) << run.err.toStdString();
    EXPECT_FALSE(QFileInfo::exists(marker)) << "the target ran although its recording could not be saved";
}

TEST_F(RecordTest, OneMebibyteLineAndEveryByteValueAreKeptExactly)
{
    const QString path = bundlePath("long.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("long_line"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const Process root = reader->processes(reader->runs().first().id).first();
    const QByteArray out = streamOf(*reader, root.id, Stream::Stdout);
    ASSERT_EQ(out.size(), 1024 * 1024 + 1);
    for (int i = 0; i < 1024 * 1024; i += 4099)
        ASSERT_EQ(out[i], char('a' + i % 26)) << "byte " << i;
    EXPECT_EQ(out.back(), '\n');
    const QByteArray err = streamOf(*reader, root.id, Stream::Stderr);
    ASSERT_EQ(err.size(), 256);
    for (int i = 0; i < 256; ++i)
        EXPECT_EQ(uchar(err[i]), i);
}

// A flood: past the per-process cap the output still reaches its destination whole, the bundle
// keeps exactly the first cap bytes, and a note on the process says how many were not kept.
TEST_F(RecordTest, OutputPastTheCapIsPassedOnWholeKeptUpToTheCapAndSaidSo)
{
    const QString path = bundlePath("capped.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-o"), path,
                                     QStringLiteral("--output-cap"), QStringLiteral("64K"),
                                     QStringLiteral("--"), fixture(QStringLiteral("long_line"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_EQ(run.out.size(), 1024 * 1024 + 1) << "everything was passed on";
    const qint64 written = 1024 * 1024 + 1 + 256;
    EXPECT_TRUE(run.err.contains(QByteArray("output of 1 process(es) went past the output cap: ") +
                                 QByteArray::number(written - 65536) + " bytes"))
        << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    const Process root = reader->processes(r.id).first();
    const QByteArray out = streamOf(*reader, root.id, Stream::Stdout);
    const QByteArray err = streamOf(*reader, root.id, Stream::Stderr);
    EXPECT_EQ(out.size() + err.size(), 65536) << "exactly the cap";
    for (int i = 0; i < out.size(); i += 997)
        ASSERT_EQ(out[i], char('a' + i % 26)) << "byte " << i;
    const QList<Event> notes = reader->eventsOfKind(r.id, root.id, QStringLiteral("recorder.note"));
    ASSERT_EQ(notes.size(), 1);
    const QJsonObject note = QJsonDocument::fromJson(notes.first().payload).object();
    EXPECT_TRUE(note.value(QStringLiteral("outputCapped")).toBool());
    EXPECT_EQ(note.value(QStringLiteral("capBytes")).toInteger(), 65536);
    EXPECT_EQ(note.value(QStringLiteral("droppedBytes")).toInteger(), written - 65536);
    EXPECT_TRUE(note.value(QStringLiteral("text")).toString().startsWith(QStringLiteral("output truncated: pid ")));
}

TEST_F(RecordTest, OutputCapThatIsNotASizeIsRefusedBeforeAnythingRuns)
{
    const QString path = bundlePath("nocap.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--output-cap"), QStringLiteral("lots"),
                                     QStringLiteral("--"), fixture(QStringLiteral("long_line"))});
    EXPECT_EQ(run.exitCode, 64) << run.err.toStdString();
    EXPECT_TRUE(run.err.contains("--output-cap expects a size")) << run.err.toStdString();
    EXPECT_FALSE(QFileInfo::exists(path));
}

TEST_F(RecordTest, OutputWrittenRightBeforeSigsegvIsKeptAndTheSignalRecorded)
{
    const QString path = bundlePath("segv.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("segv_after_write"))});
    EXPECT_EQ(run.exitCode, 128 + SIGSEGV);
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    ASSERT_TRUE(r.exitSignal.has_value());
    EXPECT_EQ(*r.exitSignal, SIGSEGV);
    const Process root = reader->processes(r.id).first();
    EXPECT_EQ(root.endReason, EndReason::Signaled);
    EXPECT_EQ(root.signal, SIGSEGV);
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stderr),
              QByteArray("segv_after_write: last words before the crash\n"));
}

TEST_F(RecordTest, TimeoutKillsTheWholeTreeIncludingEscapedSessionsAndSavesTheBundle)
{
    const QString path = bundlePath("hang.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("--timeout"),
                                     QStringLiteral("1.5"), QStringLiteral("-o"), path, QStringLiteral("--"),
                                     fixture(QStringLiteral("hang"))},
                                    30000);
    EXPECT_EQ(run.exitCode, 124) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_TRUE(r.timedOut);
    QByteArray allOutput;
    const QList<Process> processes = reader->processes(r.id);
    for (const Process &p : processes)
        allOutput += streamOf(*reader, p.id, Stream::Stdout);
    const QList<qint64> pids = pidsIn(allOutput);
    ASSERT_EQ(pids.size(), 3) << allOutput.toStdString();
    for (qint64 pid : pids)
        EXPECT_FALSE(processAlive(pid)) << "pid " << pid << " survived the timeout";
    EXPECT_EQ(processes.size(), 3);
    for (const Process &p : processes)
        EXPECT_EQ(p.endReason, EndReason::Signaled) << p.pid;
}

TEST_F(RecordTest, InterruptKillsTheTreeAndKeepsWhatWasRecorded)
{
    const QString path = bundlePath("interrupt.initscope");
    QProcess p;
    p.start(binary(QStringLiteral("initscope")),
            {QStringLiteral("record"), QStringLiteral("-o"), path, QStringLiteral("--"), fixture(QStringLiteral("hang"))});
    ASSERT_TRUE(p.waitForStarted());
    QByteArray seen;
    for (int i = 0; i < 100 && pidsIn(seen).size() < 3; ++i) {
        p.waitForReadyRead(100);
        seen += p.readAllStandardOutput();
    }
    ASSERT_EQ(pidsIn(seen).size(), 3) << seen.toStdString();
    ::kill(pid_t(p.processId()), SIGINT);
    ASSERT_TRUE(p.waitForFinished(20000));
    EXPECT_EQ(p.exitCode(), 130);
    for (qint64 pid : pidsIn(seen))
        EXPECT_FALSE(processAlive(pid)) << "pid " << pid << " survived the interrupt";
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(reader->processes(r.id).size(), 3);
}

TEST_F(RecordTest, ProbeWithoutDriverRecordsTheLibcudaSearchTrailAndTheFullError)
{
    const QString path = bundlePath("probe.initscope");
    // The loader skips LD_LIBRARY_PATH directories that do not exist, so give it real ones.
    const QString one = m_dir.filePath(QStringLiteral("one"));
    const QString two = m_dir.filePath(QStringLiteral("two"));
    ASSERT_TRUE(QDir().mkpath(one) && QDir().mkpath(two));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--env"),
                                     QStringLiteral("LD_LIBRARY_PATH=%1:%2").arg(one, two),
                                     QStringLiteral("--"), binary(QStringLiteral("initscope-probe")),
                                     QStringLiteral("--driver-only")});
    EXPECT_EQ(run.exitCode, 1) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    const Process root = reader->processes(runId).first();
    EXPECT_EQ(streamOf(*reader, root.id, Stream::Stderr),
              QByteArray("probe_cuda_init: failed to initialize CUDA: libcuda.so.1: cannot open shared "
                         "object file: No such file or directory\n"));
    const LibSearch *libcuda = nullptr;
    const QList<LibSearch> searches = reader->libSearches(runId, root.id);
    for (const LibSearch &s : searches) {
        if (s.name == QLatin1String("libcuda.so.1"))
            libcuda = &s;
    }
    ASSERT_NE(libcuda, nullptr);
    EXPECT_EQ(libcuda->outcome, SearchOutcome::NotFound);
    EXPECT_EQ(libcuda->requester, binary(QStringLiteral("initscope-probe")));
    ASSERT_GE(libcuda->steps.size(), 3);
    EXPECT_EQ(libcuda->steps[0].path, QStringLiteral("libcuda.so.1"));
    EXPECT_EQ(libcuda->steps[0].origin, quint32(SearchOrigin::Original));
    EXPECT_EQ(libcuda->steps[1].path, one + QStringLiteral("/libcuda.so.1"));
    EXPECT_EQ(libcuda->steps[1].origin, quint32(SearchOrigin::LibraryPath));
    EXPECT_EQ(libcuda->steps[1].exists, 0);
    EXPECT_EQ(libcuda->steps[2].path, two + QStringLiteral("/libcuda.so.1"));
    EXPECT_EQ(libcuda->steps[2].origin, quint32(SearchOrigin::LibraryPath));
    bool triedDefault = false;
    for (const LibSearchStep &step : libcuda->steps)
        triedDefault |= step.origin == quint32(SearchOrigin::Default);
    EXPECT_TRUE(triedDefault) << "the default directories come last in the trail";
    // Libraries that were found are recorded with their SONAME.
    bool sawLibc = false;
    for (const LibLoad &load : reader->libLoads(runId, root.id))
        sawLibc |= load.soname == QLatin1String("libc.so.6");
    EXPECT_TRUE(sawLibc);
}

TEST_F(RecordTest, EffectiveEnvironmentAndArgvOfEveryProcessAreRecorded)
{
    const QString path = bundlePath("env.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--clean-env"), QStringLiteral("--env"),
                                     QStringLiteral("INITSCOPE_TEST_MARK=42"), QStringLiteral("--unset"),
                                     QStringLiteral("HOME"), QStringLiteral("--"), fixture(QStringLiteral("spawn_tree"))});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const QList<Process> processes = reader->processes(reader->runs().first().id);
    ASSERT_EQ(processes.size(), 3);
    for (const Process &p : processes) {
        EXPECT_TRUE(p.env.contains(QStringLiteral("INITSCOPE_TEST_MARK=42"))) << p.pid;
        for (const QString &kv : p.env) {
            EXPECT_FALSE(kv.startsWith(QLatin1String("HOME="))) << "unset variable leaked";
            const QString name = kv.section(QLatin1Char('='), 0, 0);
            const QStringList allowed = {QStringLiteral("PATH"), QStringLiteral("USER"), QStringLiteral("LOGNAME"),
                                         QStringLiteral("LANG"), QStringLiteral("TERM"), QStringLiteral("TMPDIR"),
                                         QStringLiteral("TZ"), QStringLiteral("INITSCOPE_TEST_MARK"),
                                         QStringLiteral("LD_AUDIT"), QStringLiteral("INITSCOPE_RUN_DIR"),
                                         QStringLiteral("INITSCOPE_SOCKET")};
            EXPECT_TRUE(allowed.contains(name)) << "--clean-env let " << name.toStdString() << " through";
        }
    }
    const Process *grandchild = findByArg(processes, QStringLiteral("grandchild"));
    ASSERT_NE(grandchild, nullptr);
    EXPECT_EQ(grandchild->argv, (QStringList{QStringLiteral("spawn_tree"), QStringLiteral("grandchild")}));
    EXPECT_TRUE(grandchild->exe.endsWith(QLatin1String("/spawn_tree")));
}

TEST_F(RecordTest, CommandThatCannotStartGivesOneErrorLineAndNoBundle)
{
    const QString path = bundlePath("none.initscope");
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-o"), path, QStringLiteral("--"),
                                     QStringLiteral("/nonexistent/program")});
    EXPECT_EQ(run.exitCode, 127);
    EXPECT_EQ(run.err, QByteArray("initscope: cannot run /nonexistent/program: No such file or directory\n"));
    EXPECT_FALSE(QFile::exists(path));
}

TEST_F(RecordTest, BadOptionsAreRejectedWithUsageExitCode)
{
    EXPECT_EQ(runInitscope({QStringLiteral("record")}).exitCode, 64);
    EXPECT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("--timeout"), QStringLiteral("soon"),
                            QStringLiteral("--"), QStringLiteral("true")})
                  .exitCode,
              64);
    EXPECT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("--env"), QStringLiteral("NOEQUALS"),
                            QStringLiteral("--"), QStringLiteral("true")})
                  .exitCode,
              64);
}

TEST_F(RecordTest, ProgramThatReusesTheRecorderDescriptorKeepsItsFileAndIsStillRecorded)
{
    const QString path = bundlePath("closefds.initscope");
    const QString own = m_dir.filePath(QStringLiteral("own.txt"));
    const CliRun run = runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), path,
                                     QStringLiteral("--"), fixture(QStringLiteral("close_fds")), own});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    QFile file(own);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_EQ(file.readAll(), QByteArray("only this line\n"));
    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    const qint64 runId = reader->runs().first().id;
    bool sawLibm = false;
    for (const LibSearch &s : reader->libSearches(runId))
        sawLibm |= s.name == QLatin1String("libm.so.6") && s.outcome == SearchOutcome::Found;
    EXPECT_TRUE(sawLibm) << "the dlopen after close_range is still recorded";
}

TEST_F(RecordTest, DemoShowsTheIncidentResolverThenInitThenTheFailedExportTableAndGgmlsLine)
{
    const QString path = bundlePath("demo.initscope");
    const CliRun run = runInitscope({QStringLiteral("demo"), QStringLiteral("--no-gui"), QStringLiteral("-o"), path});
    ASSERT_EQ(run.exitCode, 0) << run.err.toStdString();
    const QString report = QString::fromUtf8(run.out);
    // The error line the incident team never saw, whole.
    EXPECT_TRUE(report.contains(QStringLiteral("ggml_cuda_init: failed to initialize CUDA: operation not supported")))
        << report.toStdString();
    // In the runtime's own order: its resolver probe, driver version and init succeeding,
    // then the request for its private interface failing.
    const qsizetype probe = report.indexOf(QStringLiteral("cuGetProcAddress_v2(\"\", 0"));
    const qsizetype version = report.indexOf(QStringLiteral("cuDriverGetVersion(driverVersion=&13000) → CUDA_SUCCESS"), probe);
    const qsizetype init = report.indexOf(QStringLiteral("cuInit(Flags=0x0) → CUDA_SUCCESS"), version);
    const qsizetype table = report.indexOf(
        QStringLiteral("! cuGetExportTable(CUDART_INTERFACE 6bd5fb6c-5bf4-e74a-8987-d93912fd9df9) → "
                       "CUDA_ERROR_NOT_SUPPORTED: operation not supported"),
        init);
    EXPECT_GE(probe, 0);
    EXPECT_GT(version, probe);
    EXPECT_GT(init, version);
    EXPECT_GT(table, init) << report.toStdString();
    // Output values are read after the call, also through a pointer the driver stored.
    EXPECT_TRUE(report.contains(QStringLiteral(
        "cuGetErrorString(error=CUDA_ERROR_NOT_SUPPORTED, pStr=&\"operation not supported\") → CUDA_SUCCESS")));

    auto reader = openBundle(path);
    ASSERT_TRUE(reader);
    int resolutions = 0;
    for (const Event &e : reader->events(reader->runs().first().id))
        resolutions += e.name == QLatin1String("cuGetProcAddress_v2") || e.name == QLatin1String("cuGetProcAddress");
    EXPECT_GT(resolutions, 100) << "the runtime resolves its entry points through the shim's resolver";
}
