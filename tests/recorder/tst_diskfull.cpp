// A full disk and a killed InitScope lose nothing already recorded: the bundle's folder filling
// up during the run, the raw directory's disk filling up, and SIGKILL at any moment of a save
// over an existing bundle.
//
// The small disks are tmpfs mounts in a mount namespace of their own (`unshare -m`), so nothing
// stays mounted whatever happens to the test; the tests run as root, as the suite does.
#include "recordtestutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include <csignal>

using namespace initscope;

namespace {

QString shellQuote(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + out + QLatin1Char('\'');
}

struct ShellRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs script with sh inside a private mount namespace in which `mountPoint` is a tmpfs of
// `size` (e.g. "600k").
ShellRun inSmallDisk(const QString &mountPoint, const QString &size, const QString &script)
{
    QProcess p;
    const QString whole = QStringLiteral("mount -t tmpfs -o size=%1 initscope-test %2 || exit 99\n%3")
                              .arg(size, shellQuote(mountPoint), script);
    p.start(QStringLiteral("unshare"), {QStringLiteral("-m"), QStringLiteral("--propagation"), QStringLiteral("private"),
                                       QStringLiteral("/bin/sh"), QStringLiteral("-c"), whole});
    EXPECT_TRUE(p.waitForStarted(10000));
    EXPECT_TRUE(p.waitForFinished(120000)) << script.toStdString();
    ShellRun run;
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = p.readAllStandardOutput();
    run.err = p.readAllStandardError();
    EXPECT_NE(run.exitCode, 99) << "cannot mount a tmpfs in a private mount namespace: " << run.err.toStdString();
    return run;
}

QString lastLine(const QByteArray &text)
{
    const QList<QByteArray> lines = text.trimmed().split('\n');
    return QString::fromUtf8(lines.value(lines.size() - 1));
}

QList<Event> notesOf(const BundleReader &reader)
{
    QList<Event> notes;
    for (const Event &e : reader.events(reader.runs().first().id)) {
        if (e.kind == QLatin1String("recorder.note"))
            notes << e;
    }
    return notes;
}

} // namespace

// The target itself fills the disk the bundle is to be written to; the recording cannot go
// there, so it is saved beside the raw records, complete, and the last line says both paths.
TEST(DiskFull, BundleFolderThatFillsUpDuringTheRunGetsTheRecordingSavedBesideTheRawRecords)
{
    QTemporaryDir dir;
    const QString disk = dir.filePath(QStringLiteral("small"));
    ASSERT_TRUE(QDir().mkpath(disk));
    const QString bundle = disk + QStringLiteral("/run.initscope");
    // 400 KB of a 600 KB disk taken by the target, then 590 KB of output to keep.
    const ShellRun run = inSmallDisk(
        disk, QStringLiteral("600k"),
        QStringLiteral("%1 record -q -o %2 -- /bin/sh -c 'head -c 400000 /dev/zero > %3/fill; seq 1 100000'\n"
                       "rc=$?; ls -A %3; exit $rc")
            .arg(shellQuote(binary(QStringLiteral("initscope"))), shellQuote(bundle), shellQuote(disk)));
    ASSERT_EQ(run.exitCode, 73) << run.err.toStdString();
    // Nothing half-written is left on the full disk: only the target's own file.
    EXPECT_EQ(run.out, QByteArray("fill\n"));
    static const QRegularExpression saved(
        QStringLiteral("^initscope: Could not save the bundle (.+): (.+); the recording was saved to (.+) instead "
                       "\\(raw records kept in (.+)\\)$"));
    const QRegularExpressionMatch m = saved.match(lastLine(run.err));
    ASSERT_TRUE(m.hasMatch()) << run.err.toStdString();
    EXPECT_EQ(m.captured(1), bundle);
    EXPECT_TRUE(m.captured(2).contains(QLatin1String("full"), Qt::CaseInsensitive)) << m.captured(2).toStdString();
    const QString rescued = m.captured(3);
    const QString rawDir = m.captured(4);
    EXPECT_EQ(rescued, rawDir + QStringLiteral("/run.initscope")) << "inside the private raw directory";
    {
        auto reader = openBundle(rescued);
        ASSERT_TRUE(reader);
        const initscope::Run r = reader->runs().first();
        EXPECT_EQ(r.exitCode, 0);
        QByteArray expected;
        for (int i = 1; i <= 100000; ++i)
            expected += QByteArray::number(i) + '\n';
        // seq's output (head's went to the file, through the launcher, and is kept as its own).
        QByteArray out;
        for (const Process &p : reader->processes(r.id)) {
            if (p.argv.value(0) == QLatin1String("seq"))
                out += streamOf(*reader, p.id, Stream::Stdout);
        }
        EXPECT_EQ(out.size(), expected.size());
        EXPECT_TRUE(out == expected) << "every line of output, in order";
    }
    EXPECT_TRUE(QFileInfo(rawDir).isDir()) << "the raw records stay with the rescued bundle";
    QDir(rawDir).removeRecursively();
}

// The raw directory's disk fills up while the target writes: the target runs as it would, its
// exit is the run's, the bundle is written and readable, and says that records are missing.
TEST(DiskFull, RawDirectoryDiskThatFillsUpLeavesAReadableBundleThatSaysRecordsAreMissing)
{
    QTemporaryDir dir;
    const QString disk = dir.filePath(QStringLiteral("tmp"));
    ASSERT_TRUE(QDir().mkpath(disk));
    const QString bundle = dir.filePath(QStringLiteral("run.initscope"));
    // 3 MB of output through a 1 MB raw directory; the ring of the probe's calls cannot be
    // reserved either.
    const ShellRun run = inSmallDisk(
        disk, QStringLiteral("1m"),
        QStringLiteral("TMPDIR=%1 %2 record -q -o %3 -- /bin/sh -c 'seq 1 400000; echo done >&2; exit 7'")
            .arg(shellQuote(disk), shellQuote(binary(QStringLiteral("initscope"))), shellQuote(bundle)));
    EXPECT_EQ(run.exitCode, 7) << "the target's own exit status: " << run.err.toStdString();
    EXPECT_TRUE(run.err.contains("initscope: the raw directory ")) << run.err.toStdString();
    EXPECT_TRUE(run.err.contains("could not take more records (No space left on device)")) << run.err.toStdString();
    auto reader = openBundle(bundle);
    ASSERT_TRUE(reader);
    const initscope::Run r = reader->runs().first();
    EXPECT_EQ(r.exitCode, 7) << "the exit was recorded although output records were lost before it";
    const QList<Event> notes = notesOf(*reader);
    bool said = false;
    for (const Event &e : notes)
        said = said || e.name.contains(QLatin1String("could not take more records"));
    EXPECT_TRUE(said) << "a recorder.note says that records are missing";
    // What was kept is the start of the output, whole lines in order.
    QByteArray out;
    for (const Process &p : reader->processes(r.id)) {
        if (p.argv.value(0) == QLatin1String("seq"))
            out += streamOf(*reader, p.id, Stream::Stdout);
    }
    EXPECT_GT(out.size(), 100000);
    EXPECT_LT(out.size(), 2800000);
    EXPECT_TRUE(out.startsWith("1\n2\n3\n"));
}

// SIGKILL at many moments of `record -o existing.initscope` — while the target runs, and while
// the new bundle is written, at several sizes of it: the existing bundle is byte-for-byte the
// old one unless the new one is complete, and the path never names a half-written file.
TEST(AtomicSave, KillingInitScopeAtAnyMomentOfASaveLeavesTheExistingBundleWholeOrTheNewOneComplete)
{
    QTemporaryDir dir;
    const QString bundle = dir.filePath(QStringLiteral("kept.initscope"));
    // Raw directories of killed recordings stay behind: keep them in the test's folder.
    const QString tmp = dir.filePath(QStringLiteral("tmp"));
    ASSERT_TRUE(QDir().mkpath(tmp));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TMPDIR"), tmp);
    auto readAll = [](const QString &path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    auto savingSize = [&]() {
        qint64 size = -1;
        for (const QFileInfo &fi :
             QDir(dir.path()).entryInfoList({QStringLiteral(".kept.initscope.tmp-*")}, QDir::Files | QDir::Hidden))
            size = std::max(size, fi.size());
        return size;
    };
    auto targetLeft = []() {
        QProcess pgrep;
        pgrep.start(QStringLiteral("pgrep"), {QStringLiteral("-f"), QStringLiteral("padding padding padding")});
        pgrep.waitForFinished(5000);
        return pgrep.exitCode() == 0;
    };

    // Kill points: a time while the target runs (-ms), or a size the new bundle has reached.
    const QList<qint64> killPoints = {-20, -80, 64 << 10, 1 << 20, 3 << 20, 5 << 20, 7 << 20};
    int killedWhileSaving = 0;
    for (qint64 point : killPoints) {
        QByteArray old = readAll(bundle);
        if (old.isEmpty() || !old.contains("old-run-marker")) {
            ASSERT_EQ(runInitscope({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle,
                                    QStringLiteral("--"), QStringLiteral("/bin/echo"), QStringLiteral("old-run-marker")})
                          .exitCode,
                      0);
            old = readAll(bundle);
        }
        QProcess p;
        p.setProcessEnvironment(env);
        // 8 MB of output in 200,000 lines, so that writing the bundle takes a while.
        p.start(binary(QStringLiteral("initscope")),
                {QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), bundle, QStringLiteral("--"),
                 QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                 QStringLiteral("seq 1 200000 | sed 's/$/ padding padding padding/'")});
        ASSERT_TRUE(p.waitForStarted(10000));
        bool saving = false;
        if (point < 0) {
            QThread::msleep(-point);
        } else {
            while (p.state() == QProcess::Running && savingSize() < point)
                QThread::usleep(500);
            saving = p.state() == QProcess::Running;
        }
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished(10000);
        const QByteArray bytes = readAll(bundle);
        if (bytes != old) {
            // Only a complete new bundle may have replaced the old one.
            auto reader = openBundle(bundle);
            ASSERT_TRUE(reader) << "kill point " << point;
            EXPECT_EQ(reader->runs().first().command.value(0), QStringLiteral("/bin/sh")) << "kill point " << point;
        }
        killedWhileSaving += saving ? 1 : 0;
        // The target tree does not outlive InitScope (PR_SET_PDEATHSIG).
        for (int i = 0; i < 50 && targetLeft(); ++i)
            QThread::msleep(100);
        EXPECT_FALSE(targetLeft()) << "a target process outlived the recording killed at " << point;
    }
    EXPECT_GE(killedWhileSaving, 3) << "too few kills landed while the new bundle was being written";
    // Leftovers of killed saves are hidden temporaries, never the bundle's own name.
    for (const QString &name : QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot))
        EXPECT_TRUE(name == QLatin1String("kept.initscope") || name.startsWith(QLatin1String(".kept.initscope.tmp-")))
            << name.toStdString();
}
