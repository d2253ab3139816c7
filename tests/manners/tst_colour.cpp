// Colour in the CLI's text (app/cli/colour.h, docs/cli.md "Colour"): on a terminal or with
// --color=always, never on a pipe, never with NO_COLOR under auto, and never a way for a
// bundle's own escape sequences to reach the terminal.
#include "clirun.h"

#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope::test;

namespace {

class Colour : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        dir = new QTemporaryDir;
        bundle = makeDemoBundle(dir->path());
    }
    static void TearDownTestSuite()
    {
        delete dir;
        dir = nullptr;
    }
    void SetUp() override { ASSERT_FALSE(bundle.isEmpty()); }

    static QTemporaryDir *dir;
    static QString bundle;
};

QTemporaryDir *Colour::dir = nullptr;
QString Colour::bundle;

// Every escape sequence in text is one of InitScope's own SGR sequences.
void expectOnlyOwnSequences(const QByteArray &text)
{
    static const QRegularExpression own(QStringLiteral("\\x1b\\[(?:0|1|31|33|36|39)m"));
    QString rest = QString::fromUtf8(text);
    rest.remove(own);
    EXPECT_FALSE(rest.contains(QChar(0x1b))) << "a foreign escape sequence in: " << text.constData();
}

} // namespace

TEST_F(Colour, AlwaysAddsSgrSequencesToEveryColouringCommand)
{
    const QStringList commands[] = {
        {QStringLiteral("report"), bundle},
        {QStringLiteral("diagnose"), bundle},
        {QStringLiteral("diff"), bundle, bundle},
        {QStringLiteral("device"), QStringLiteral("--bundle"), bundle},
        {QStringLiteral("symbols"), QStringLiteral("--bundle"), bundle},
    };
    for (const QStringList &command : commands) {
        const CliResult r = runPiped(command + QStringList{QStringLiteral("--color=always")});
        EXPECT_NE(r.exitCode, 64) << qPrintable(command.first()) << ": " << r.err.constData();
        EXPECT_TRUE(r.out.contains("\x1b[1m") || r.out.contains("\x1b[3")) << qPrintable(command.first()) << ": "
                                                                           << r.out.left(400).constData();
        expectOnlyOwnSequences(r.out);
    }
}

TEST_F(Colour, ReportMarksHeadingsFailuresAndErrorLines)
{
    const CliResult r = runPiped({QStringLiteral("report"), QStringLiteral("--color=always"), bundle});
    ASSERT_EQ(r.exitCode, 0) << r.err.constData();
    EXPECT_TRUE(r.out.contains("\x1b[1mError lines\x1b[0m")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\x1b[31mexit code 1\x1b[39m")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\x1b[31m[root cause]\x1b[39m")) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\x1b[31mstderr:2  ")) << r.out.constData();
    // Without the colour, the text is exactly the plain one.
    const CliResult plain = runPiped({QStringLiteral("report"), bundle});
    QString stripped = QString::fromUtf8(r.out);
    stripped.remove(QRegularExpression(QStringLiteral("\\x1b\\[\\d+m")));
    EXPECT_EQ(stripped.toUtf8(), plain.out);
}

TEST_F(Colour, PipedOutputHasNone)
{
    for (const QString &command : {QStringLiteral("report"), QStringLiteral("diagnose")}) {
        const CliResult r = runPiped({command, bundle});
        EXPECT_FALSE(r.out.contains('\x1b')) << qPrintable(command);
        EXPECT_FALSE(r.err.contains('\x1b')) << qPrintable(command);
    }
}

TEST_F(Colour, OnByDefaultOnATerminal)
{
    const CliResult r = runInTerminal({QStringLiteral("report"), bundle});
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\x1b[1mRun 1: ")) << r.out.left(300).constData();
}

TEST_F(Colour, NoColorTurnsAutoOffOnATerminal)
{
    const CliResult r = runInTerminal({QStringLiteral("report"), QStringLiteral("--color=auto"), bundle},
                                      {QStringLiteral("NO_COLOR=1")});
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_TRUE(r.out.contains("Run 1: ")) << r.out.constData();
    EXPECT_FALSE(r.out.contains('\x1b')) << r.out.left(300).constData();
}

TEST_F(Colour, EmptyNoColorIsIgnored)
{
    const CliResult r = runInTerminal({QStringLiteral("report"), bundle}, {QStringLiteral("NO_COLOR=")});
    ASSERT_EQ(r.exitCode, 0) << r.out.constData();
    EXPECT_TRUE(r.out.contains("\x1b[1m")) << r.out.left(300).constData();
}

TEST_F(Colour, NeverWinsOnATerminalAndAlwaysWinsOverNoColor)
{
    const CliResult never = runInTerminal({QStringLiteral("diagnose"), QStringLiteral("--color=never"), bundle});
    EXPECT_FALSE(never.out.contains('\x1b')) << never.out.left(300).constData();
    const CliResult always = runPiped({QStringLiteral("diagnose"), QStringLiteral("--color=always"), bundle},
                                      {QStringLiteral("NO_COLOR=1")});
    EXPECT_TRUE(always.out.contains("\x1b[31m[root cause]")) << always.out.left(300).constData();
}

TEST_F(Colour, AnUnknownWhenIsAUsageError)
{
    for (const QString &command : {QStringLiteral("report"), QStringLiteral("diagnose"), QStringLiteral("diff"),
                                   QStringLiteral("device"), QStringLiteral("symbols"), QStringLiteral("retry"),
                                   QStringLiteral("demo")}) {
        const CliResult r = runPiped({command, QStringLiteral("--color=sometimes"), bundle});
        // diff says every error with 2 (docs/diff.md); the others use 64 for the command line.
        EXPECT_EQ(r.exitCode, command == QLatin1String("diff") ? 2 : 64) << qPrintable(command) << ": " << r.err.constData();
        EXPECT_TRUE(r.err.contains("--color expects auto, always or never")) << r.err.constData();
    }
}

TEST_F(Colour, BundleEscapeSequencesStayEscapedWithColourOn)
{
    // A run whose error line carries its own colour sequence.
    const QString hostile = dir->filePath(QStringLiteral("hostile.initscope"));
    const CliResult rec = runPiped({QStringLiteral("record"), QStringLiteral("-q"), QStringLiteral("-o"), hostile,
                                    QStringLiteral("--"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                    QStringLiteral("printf '\\033[31m failed to open\\033[0m\\n' >&2; exit 3")});
    ASSERT_EQ(rec.exitCode, 3) << rec.err.constData();
    for (const QString &when : {QStringLiteral("--color=always"), QStringLiteral("--color=never")}) {
        const CliResult r = runPiped({QStringLiteral("report"), when, hostile});
        ASSERT_EQ(r.exitCode, 0) << r.err.constData();
        // The error line, shown escaped (and, with colour, in InitScope's red).
        EXPECT_TRUE(r.out.contains("stderr:1  ")) << r.out.constData();
        EXPECT_TRUE(r.out.contains("\\x1b[31m failed to open\\x1b[0m")) << r.out.constData();
        EXPECT_FALSE(r.out.contains("\x1b[31m failed to open")) << r.out.constData();
        expectOnlyOwnSequences(r.out);
    }
}
