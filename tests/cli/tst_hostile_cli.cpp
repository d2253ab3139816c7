// Bundles from strangers through the real `initscope` (docs/reliability.md, "Bundles from
// others"): reading one runs nothing (every command runs under a filter that kills it the moment
// it starts a process, and the shell snippets in the bundle would leave marker files); what
// reaches the terminal holds no control, bidi or invisible character and no invalid UTF-8 from
// the bundle, and huge values are cut with their length said; JSON stays valid and exact; a
// retry of a run from another machine shows what it would run and runs nothing without --yes;
// process trees 2,000 deep and 10,000 wide are reported; bundles too new, cut short or not
// bundles at all get one line and a non-zero exit.
#include "hostilebundle.h"
#include "nochildren.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope::test;

namespace {

const QString kCli = QStringLiteral(INITSCOPE_BIN_DIR "/initscope");

class HostileCli : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        s_markers = s_dir->filePath(QStringLiteral("markers"));
        ASSERT_TRUE(QDir().mkpath(s_markers));
        s_bundle = s_dir->filePath(QStringLiteral("from-a-stranger.initscope"));
        QString why;
        ASSERT_TRUE(writeHostileBundle(s_bundle, s_markers, &s_ids, &why)) << qPrintable(why);
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }

    // Runs the CLI under the no-process filter and checks what every command must keep to.
    static GuardedRun run(const QStringList &args)
    {
        const GuardedRun r = runWithoutChildren(kCli, args);
        EXPECT_TRUE(r.error.isEmpty()) << qPrintable(r.error);
        EXPECT_FALSE(r.timedOut) << qPrintable(args.join(QLatin1Char(' ')));
        EXPECT_FALSE(r.triedToStartAProcess()) << "initscope " << qPrintable(args.join(QLatin1Char(' ')))
                                               << " started a process";
        EXPECT_EQ(r.signal, 0) << qPrintable(args.join(QLatin1Char(' ')));
        EXPECT_EQ(QDir(s_markers).entryList(QDir::Files | QDir::Hidden), QStringList())
            << "a shell snippet of the bundle was run";
        return r;
    }

    static void expectSafeForTerminal(const GuardedRun &r, const QString &what)
    {
        QString which;
        const qsizetype out = findUnsafe(r.out, &which);
        EXPECT_EQ(out, -1) << qPrintable(what) << ": stdout has " << qPrintable(which) << " near \""
                           << r.out.mid(std::max<qsizetype>(0, out - 40), 80).toStdString() << "\"";
        const qsizetype err = findUnsafe(r.err, &which);
        EXPECT_EQ(err, -1) << qPrintable(what) << ": stderr has " << qPrintable(which);
    }

    static inline QTemporaryDir *s_dir = nullptr;
    static inline QString s_markers;
    static inline QString s_bundle;
    static inline HostileBundle s_ids;
};

TEST_F(HostileCli, TheNoProcessFilterCatchesAProgramThatStartsOne)
{
    // The guard the other tests rely on: a shell that runs one command before its last forks.
    const GuardedRun r = runWithoutChildren(QStringLiteral("/bin/sh"),
                                            {QStringLiteral("-c"), QStringLiteral("/bin/true; echo done")});
    EXPECT_TRUE(r.error.isEmpty()) << qPrintable(r.error);
    EXPECT_TRUE(r.triedToStartAProcess()) << "exit " << r.exitCode << ", signal " << r.signal;
    EXPECT_FALSE(r.out.contains("done"));
    // And a program that starts none runs as usual, threads included.
    const GuardedRun help = runWithoutChildren(kCli, {QStringLiteral("report"), QStringLiteral("--help")});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(help.out.startsWith("usage: initscope report"));
}

TEST_F(HostileCli, ReportDiagnoseDiffSymbolsAndDeviceRunNothingAndPrintNothingRaw)
{
    const QStringList bundleCommands[] = {
        {QStringLiteral("report"), s_bundle},
        {QStringLiteral("diagnose"), s_bundle},
        {QStringLiteral("diff"), s_bundle, s_bundle},
        {QStringLiteral("symbols"), QStringLiteral("--bundle"), s_bundle, QStringLiteral(FAKEGPU_LIBCUDA)},
        {QStringLiteral("device"), QStringLiteral("--bundle"), s_bundle},
        {QStringLiteral("retry"), s_bundle},
    };
    for (const QStringList &args : bundleCommands) {
        const GuardedRun r = run(args);
        EXPECT_TRUE(r.exitCode == 0 || r.exitCode == 1) << qPrintable(args.join(QLatin1Char(' '))) << ": exit "
                                                        << r.exitCode << " " << r.err.toStdString();
        EXPECT_FALSE(r.out.isEmpty()) << qPrintable(args.first());
        expectSafeForTerminal(r, args.first());
    }
}

TEST_F(HostileCli, ReportShowsEachTrickEscapedWhereItWas)
{
    const GuardedRun r = run({QStringLiteral("report"), s_bundle});
    ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
    const QString out = QString::fromUtf8(r.out);
    // What was there is shown, visibly: the escape, the override, the zero-width space, the
    // bytes that are not UTF-8 and the shell text as text.
    EXPECT_TRUE(out.contains(QStringLiteral("\\x1b[31mred\\x1b[0m"))) << qPrintable(out.left(3000));
    EXPECT_TRUE(out.contains(QStringLiteral("<U+202E>gpj.so<U+202C>")));
    EXPECT_TRUE(out.contains(QStringLiteral("libcuda<U+200B>.so.1")));
    EXPECT_TRUE(out.contains(QStringLiteral("fatal: bad bytes \\xff\\xfe\\xc3( and C1 <U+009B>2J and \\x07\\x08 and \\x00 nul")))
        << qPrintable(out);
    EXPECT_TRUE(out.contains(QStringLiteral("real\\rfake ok")));
    EXPECT_TRUE(out.contains(QStringLiteral("$(touch %1/subst)").arg(s_markers)));
}

TEST_F(HostileCli, HugeValuesAreCutWithTheirLengthAndNoLineIsHuge)
{
    for (const QStringList &args : {QStringList{QStringLiteral("report"), s_bundle},
                                    QStringList{QStringLiteral("diagnose"), s_bundle},
                                    QStringList{QStringLiteral("diff"), s_bundle, s_bundle}}) {
        const GuardedRun r = run(args);
        // Three values of 5 MiB are in the bundle; none is printed whole.
        EXPECT_LT(r.out.size(), 256 * 1024) << qPrintable(args.first());
        for (const QByteArray &line : r.out.split('\n'))
            EXPECT_LT(line.size(), 8 * 1024) << qPrintable(args.first()) << ": " << line.left(200).toStdString();
    }
    const GuardedRun report = run({QStringLiteral("report"), s_bundle});
    EXPECT_TRUE(report.out.contains("more bytes)")) << "the command line of 5 MiB says how much is left out";
    EXPECT_TRUE(report.out.contains("characters in full, see --json]")) << "the error line of 5 MiB";
}

TEST_F(HostileCli, JsonIsValidKeepsEveryStringExactlyAndPrintsNothingRaw)
{
    const GuardedRun r = run({QStringLiteral("report"), QStringLiteral("--json"), s_bundle});
    ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
    expectSafeForTerminal(r, QStringLiteral("report --json"));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    ASSERT_EQ(error.error, QJsonParseError::NoError) << qPrintable(error.errorString());
    const QJsonObject run = doc.object().value(QStringLiteral("runs")).toArray().at(0).toObject();
    EXPECT_EQ(run.value(QStringLiteral("hostname")).toString(), QStringLiteral("elsewhere-\u202Egpj.so\u202C"));
    const QJsonObject root = run.value(QStringLiteral("processes")).toArray().at(0).toObject();
    const QJsonArray argv = root.value(QStringLiteral("argv")).toArray();
    ASSERT_GT(argv.size(), 14);
    EXPECT_EQ(argv.at(7).toString(), QStringLiteral("\x1b[31mred\x1b[0m"));
    EXPECT_EQ(argv.last().toString().size(), kHugeBytes) << "JSON keeps the 5 MiB element whole";
    EXPECT_EQ(argv.at(14).toString(), QStringLiteral("bell\x07 back\x08space cr\rhidden nul") + QChar(0) +
                                          QStringLiteral("end"));
    // The line that is not UTF-8: valid JSON text, and its exact bytes.
    bool found = false;
    for (const QJsonValue &v : root.value(QStringLiteral("errorLines")).toArray()) {
        const QJsonObject line = v.toObject();
        if (line.value(QStringLiteral("utf8Valid")).toBool(true))
            continue;
        found = true;
        EXPECT_TRUE(line.value(QStringLiteral("text")).toString().contains(QChar(QChar::ReplacementCharacter)));
        EXPECT_TRUE(QByteArray::fromBase64(line.value(QStringLiteral("base64")).toString().toLatin1())
                        .startsWith("fatal: bad bytes \xff\xfe\xc3("));
    }
    EXPECT_TRUE(found);

    for (const QStringList &args : {QStringList{QStringLiteral("diagnose"), QStringLiteral("--json"), s_bundle},
                                    QStringList{QStringLiteral("diff"), QStringLiteral("--json"), s_bundle, s_bundle}}) {
        const GuardedRun other = this->run(args);
        expectSafeForTerminal(other, args.join(QLatin1Char(' ')));
        QJsonParseError otherError;
        QJsonDocument::fromJson(other.out, &otherError);
        EXPECT_EQ(otherError.error, QJsonParseError::NoError) << qPrintable(args.first());
    }
}

TEST_F(HostileCli, RetryWithoutATerminalShowsTheExactCommandAndRunsNothingWithoutYes)
{
    const GuardedRun r = run({QStringLiteral("retry"), s_bundle, QStringLiteral("as-recorded")});
    EXPECT_EQ(r.exitCode, 1) << r.err.toStdString();
    expectSafeForTerminal(r, QStringLiteral("retry"));
    const QString out = QString::fromUtf8(r.out);
    EXPECT_TRUE(out.contains(QStringLiteral("was recorded on elsewhere-<U+202E>gpj.so<U+202C>, not on this machine")))
        << qPrintable(out);
    // The command and environment, byte for byte, escaped.
    EXPECT_TRUE(out.contains(QStringLiteral("touch %1/retry-ran").arg(s_markers))) << qPrintable(out);
    EXPECT_TRUE(out.contains(QStringLiteral("$(touch %1/subst)").arg(s_markers)));
    EXPECT_TRUE(out.contains(QStringLiteral("\\x1b[2J\\x1b[H<U+202E>gpj.so<U+202C>")));
    EXPECT_TRUE(out.contains(QStringLiteral("  set        EVIL=$(touch %1/subst)\\x1b[31mred\\x1b[0m").arg(s_markers)));
    // A value with a line break cannot pass for a line of its own.
    EXPECT_TRUE(out.contains(QStringLiteral("  set        FAKE=ok\\n  set        LOOKS_HARMLESS=1\n")));
    EXPECT_FALSE(out.contains(QStringLiteral("\n  set        LOOKS_HARMLESS=1")));
    EXPECT_TRUE(out.contains(QStringLiteral("Not asking: standard input is not a terminal.\nNothing was run. Add --yes")));
    EXPECT_FALSE(QFileInfo::exists(s_markers + QStringLiteral("/retry-ran")));
}

TEST(HostileTrees, ChainOf2000ProcessesIsReportedAndDiagnosed)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("deep.initscope"));
    QString why;
    ASSERT_TRUE(writeDeepChainBundle(path, 2000, &why)) << qPrintable(why);
    const GuardedRun report = runWithoutChildren(kCli, {QStringLiteral("report"), path});
    ASSERT_EQ(report.signal, 0) << "crashed";
    ASSERT_EQ(report.exitCode, 0) << report.err.toStdString();
    const QString out = QString::fromUtf8(report.out);
    // Every level has its row; past the drawn levels each row says its depth.
    EXPECT_TRUE(out.contains(QStringLiteral("[depth 2000] └─ pid 3000 /usr/bin/spawner --level 2000")))
        << qPrintable(out.left(4000));
    EXPECT_TRUE(out.contains(QStringLiteral("[depth 25] └─ pid 1025 ")));
    for (const QString &line : out.split(QLatin1Char('\n')))
        EXPECT_LT(line.size(), 400) << qPrintable(line.left(200));
    const GuardedRun diagnose = runWithoutChildren(kCli, {QStringLiteral("diagnose"), path});
    EXPECT_EQ(diagnose.signal, 0);
    EXPECT_TRUE(diagnose.exitCode == 0 || diagnose.exitCode == 1) << diagnose.err.toStdString();
    const GuardedRun json = runWithoutChildren(kCli, {QStringLiteral("report"), QStringLiteral("--json"), path});
    EXPECT_EQ(json.exitCode, 0);
    EXPECT_EQ(QJsonDocument::fromJson(json.out)
                  .object()
                  .value(QStringLiteral("runs"))
                  .toArray()
                  .at(0)
                  .toObject()
                  .value(QStringLiteral("processes"))
                  .toArray()
                  .last()
                  .toObject()
                  .value(QStringLiteral("depth"))
                  .toInt(),
              2000);
}

TEST(HostileTrees, TenThousandSiblingsAreReportedAndDiagnosed)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("wide.initscope"));
    QString why;
    ASSERT_TRUE(writeWideBundle(path, 10000, &why)) << qPrintable(why);
    const GuardedRun report = runWithoutChildren(kCli, {QStringLiteral("report"), path});
    ASSERT_EQ(report.signal, 0) << "crashed";
    ASSERT_EQ(report.exitCode, 0) << report.err.toStdString();
    const QString out = QString::fromUtf8(report.out);
    EXPECT_TRUE(out.contains(QStringLiteral("├─ pid 1001 /usr/bin/spawner --level 1")));
    EXPECT_TRUE(out.contains(QStringLiteral("└─ pid 11000 /usr/bin/spawner --level 10000")));
    EXPECT_EQ(out.count(QStringLiteral("├─ pid ")), 9999);
    const GuardedRun diagnose = runWithoutChildren(kCli, {QStringLiteral("diagnose"), path});
    EXPECT_EQ(diagnose.signal, 0);
    EXPECT_TRUE(diagnose.exitCode == 0 || diagnose.exitCode == 1) << diagnose.err.toStdString();
}

// ---------------------------------------------------------------------------------------------
// Bundles that cannot be read: one line, naming the file and the reason, and a non-zero exit.

class UnreadableBundleCli : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(dir.isValid()); }

    QString sampleBundle(const QString &name)
    {
        const QString path = dir.filePath(name);
        QString why;
        EXPECT_TRUE(writeWideBundle(path, 50, &why)) << qPrintable(why);
        return path;
    }

    static void execSql(const QString &path, const QStringList &statements)
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("edit"));
            db.setDatabaseName(path);
            ASSERT_TRUE(db.open());
            QSqlQuery q(db);
            for (const QString &s : statements)
                ASSERT_TRUE(q.exec(s)) << qPrintable(s);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("edit"));
    }

    // Every command that reads a bundle, on this one.
    static void expectOneLineFromEveryCommand(const QString &path, const QString &reason)
    {
        const QStringList commands[] = {
            {QStringLiteral("report"), path},
            {QStringLiteral("report"), QStringLiteral("--json"), path},
            {QStringLiteral("diagnose"), path},
            {QStringLiteral("diff"), path, path},
            {QStringLiteral("retry"), path},
            {QStringLiteral("device"), QStringLiteral("--bundle"), path},
            {QStringLiteral("symbols"), QStringLiteral("--bundle"), path},
        };
        for (const QStringList &args : commands) {
            const GuardedRun r = runWithoutChildren(kCli, args);
            const QString what = args.join(QLatin1Char(' '));
            EXPECT_EQ(r.signal, 0) << qPrintable(what);
            EXPECT_NE(r.exitCode, 0) << qPrintable(what);
            EXPECT_TRUE(r.out.isEmpty()) << qPrintable(what) << ": " << r.out.toStdString();
            EXPECT_EQ(r.err.count('\n'), 1) << qPrintable(what) << ": " << r.err.toStdString();
            EXPECT_TRUE(r.err.endsWith('\n'));
            EXPECT_TRUE(r.err.startsWith("initscope")) << r.err.toStdString();
            EXPECT_TRUE(r.err.contains(path.toUtf8())) << qPrintable(what) << ": " << r.err.toStdString();
            EXPECT_TRUE(QString::fromUtf8(r.err).contains(reason)) << qPrintable(what) << ": " << r.err.toStdString();
        }
    }

    QTemporaryDir dir;
};

TEST_F(UnreadableBundleCli, NewerFormatSaysToUpgrade)
{
    const QString path = sampleBundle(QStringLiteral("newer.initscope"));
    execSql(path, {QStringLiteral("UPDATE meta SET value = '99' WHERE key = 'format_version'")});
    expectOneLineFromEveryCommand(path, QStringLiteral("uses format version 99"));
}

TEST_F(UnreadableBundleCli, TruncatedFileSaysItIsDamaged)
{
    const QString path = sampleBundle(QStringLiteral("truncated.initscope"));
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadWrite));
    ASSERT_TRUE(file.resize(file.size() / 2 + 100));
    file.close();
    expectOneLineFromEveryCommand(path, QStringLiteral("is damaged"));
}

TEST_F(UnreadableBundleCli, SqliteFileOfAnotherProgramIsNotABundle)
{
    const QString path = dir.filePath(QStringLiteral("other.sqlite"));
    execSql(path, {QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"),
                   QStringLiteral("INSERT INTO notes (text) VALUES ('hello')")});
    expectOneLineFromEveryCommand(path, QStringLiteral("is an SQLite database but not an InitScope bundle"));
}

TEST_F(UnreadableBundleCli, FileNameWithEscapesIsShownEscaped)
{
    const QString path = dir.filePath(QStringLiteral("evil\x1b]0;owned\x07\u202Ename.initscope"));
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("not a bundle at all\n");
    file.close();
    const GuardedRun r = runWithoutChildren(kCli, {QStringLiteral("report"), path});
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_EQ(r.err.count('\n'), 1) << r.err.toStdString();
    EXPECT_EQ(findUnsafe(r.err), -1) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains("evil\\x1b]0;owned\\x07<U+202E>name.initscope")) << r.err.toStdString();
}

} // namespace
