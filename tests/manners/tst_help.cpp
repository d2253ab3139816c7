// --help of every command (docs/cli.md): on standard output, exit 0, with an examples section
// whose examples use only options the command lists and that its parser accepts.
#include "clirun.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope::test;

namespace {

// The commands `initscope --help` lists.
QStringList listedCommands()
{
    const CliResult r = runPiped({QStringLiteral("--help")});
    QStringList names;
    bool inList = false;
    for (const QByteArray &line : r.out.split('\n')) {
        if (line == "commands:") {
            inList = true;
            continue;
        }
        if (inList && line.isEmpty())
            break;
        if (inList)
            names << QString::fromUtf8(line).simplified().section(QLatin1Char(' '), 0, 0);
    }
    return names;
}

// The example lines of a help text: "  initscope …" after "examples:".
QStringList examplesOf(const QByteArray &help)
{
    const qsizetype at = help.indexOf("\nexamples:\n");
    if (at < 0)
        return {};
    QStringList examples;
    for (const QByteArray &line : help.mid(at + 11).split('\n')) {
        if (line.startsWith("  initscope "))
            examples << QString::fromUtf8(line.trimmed());
        else if (!line.trimmed().isEmpty())
            break;
    }
    return examples;
}

// An example as arguments: quotes as a shell takes them, up to a pipe or a redirection.
QStringList argumentsOf(const QString &example)
{
    QString command = example;
    for (const QString &cut : {QStringLiteral(" | "), QStringLiteral(" > ")}) {
        if (const qsizetype at = command.indexOf(cut); at >= 0)
            command.truncate(at);
    }
    return QProcess::splitCommand(command).mid(1); // without "initscope"
}

// The options an example uses (before a "--"), as "--name" or "-x".
QStringList optionsOf(const QStringList &args)
{
    QStringList options;
    for (const QString &a : args.mid(1)) {
        if (a == QLatin1String("--"))
            break;
        if (a.startsWith(QLatin1Char('-')) && a.size() > 1)
            options << a.section(QLatin1Char('='), 0, 0);
    }
    return options;
}

QByteArray helpOf(const QString &command)
{
    return runPiped({command, QStringLiteral("--help")}).out;
}

} // namespace

TEST(Help, TopLevelListsEveryCommandWithExamples)
{
    const CliResult r = runPiped({QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.err.isEmpty()) << r.err.constData();
    const QStringList commands = listedCommands();
    for (const char *known : {"record", "report", "diagnose", "symbols", "device", "diff", "retry", "demo"})
        EXPECT_TRUE(commands.contains(QLatin1String(known))) << known;
    const QStringList examples = examplesOf(r.out);
    EXPECT_FALSE(examples.isEmpty()) << r.out.constData();
    for (const QString &example : examples) {
        const QStringList args = argumentsOf(example);
        ASSERT_FALSE(args.isEmpty()) << qPrintable(example);
        ASSERT_TRUE(commands.contains(args.first())) << qPrintable(example);
        const QByteArray help = helpOf(args.first());
        for (const QString &option : optionsOf(args))
            EXPECT_TRUE(help.contains(option.toUtf8())) << qPrintable(example) << ": " << qPrintable(option);
    }
}

TEST(Help, EveryCommandPrintsHelpWithExamplesOnStandardOutput)
{
    const QStringList commands = listedCommands();
    ASSERT_GE(commands.size(), 8);
    for (const QString &command : commands) {
        for (const QString &flag : {QStringLiteral("--help"), QStringLiteral("-h")}) {
            const CliResult r = runPiped({command, flag});
            EXPECT_EQ(r.exitCode, 0) << qPrintable(command) << " " << qPrintable(flag) << ": " << r.err.constData();
            EXPECT_TRUE(r.err.isEmpty()) << qPrintable(command) << ": " << r.err.constData();
            EXPECT_TRUE(r.out.left(r.out.indexOf('\n')).contains("initscope " + command.toUtf8()))
                << qPrintable(command) << ": the first line names no usage: " << r.out.left(200).constData();
            EXPECT_FALSE(r.out.contains("--help-all")) << qPrintable(command);
            const QStringList examples = examplesOf(r.out);
            EXPECT_FALSE(examples.isEmpty()) << qPrintable(command) << " has no examples section";
            for (const QString &example : examples) {
                const QStringList args = argumentsOf(example);
                EXPECT_EQ(args.value(0), command) << qPrintable(example);
                for (const QString &option : optionsOf(args))
                    EXPECT_TRUE(r.out.contains(option.toUtf8()))
                        << qPrintable(command) << ": " << qPrintable(example) << " uses " << qPrintable(option)
                        << ", which the help does not list";
            }
        }
    }
}

// Each example runs, in a folder where every bundle it names is a copy of the demo's: whatever
// its outcome (a file that is not there, a program that is not installed), its command line is
// one the command accepts.
TEST(Help, EveryExampleIsAcceptedByItsCommand)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString demo = makeDemoBundle(dir.path());
    ASSERT_FALSE(demo.isEmpty());
    // A second run, so that examples with --run 2 find one.
    const CliResult again = runPiped({QStringLiteral("retry"), demo, QStringLiteral("as-recorded")});
    ASSERT_EQ(again.exitCode, 0) << again.err.constData();
    QStringList examples = examplesOf(runPiped({QStringLiteral("--help")}).out);
    for (const QString &command : listedCommands())
        examples << examplesOf(helpOf(command));
    ASSERT_FALSE(examples.isEmpty());
    for (const QString &example : examples) {
        const QStringList args = argumentsOf(example);
        QTemporaryDir work;
        ASSERT_TRUE(work.isValid());
        for (const QString &a : args) {
            if (a.endsWith(QLatin1String(".initscope")) && !a.contains(QLatin1Char('/')))
                QFile::copy(demo, work.filePath(a));
        }
        // The fake GPU stands in for the shims the examples name.
        for (const QString &lib : {QStringLiteral("libcuda.so.1"), QStringLiteral("libnvidia-ml.so.1")})
            QFile::copy(QStringLiteral(FAKEGPU_DIR "/") + lib, work.filePath(lib));
        const CliResult r = runPiped(args, {}, work.path(), 120000);
        EXPECT_NE(r.exitCode, -1) << qPrintable(example) << " did not finish";
        EXPECT_NE(r.exitCode, 64) << qPrintable(example) << ": " << r.err.constData();
        EXPECT_FALSE(r.err.toLower().contains("unknown option")) << qPrintable(example) << ": " << r.err.constData();
    }
}

namespace {

QByteArray sourceFile(const char *relative)
{
    QFile f(QStringLiteral(INITSCOPE_SOURCE_DIR "/") + QLatin1String(relative));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The long options a command's help lists, before its exit status and examples.
QStringList longOptionsOf(const QByteArray &help)
{
    QByteArray options = help;
    if (const qsizetype end = options.indexOf("\nExit status"); end >= 0)
        options.truncate(end);
    if (const qsizetype end = options.indexOf("\nexamples:"); end >= 0)
        options.truncate(end);
    QStringList names;
    static const QRegularExpression re(QStringLiteral("(?<![\\w-])(--[a-z][a-z-]*[a-z])"));
    for (auto it = re.globalMatch(QString::fromUtf8(options)); it.hasNext();) {
        const QString name = it.next().captured(1);
        if (!names.contains(name))
            names << name;
    }
    return names;
}

} // namespace

// The bash completion and the man page are written by hand; this keeps them in step with the
// options each command's --help lists, so a new option cannot ship unknown to either.
TEST(Help, CompletionAndManPageKnowEveryOptionThatEachCommandsHelpLists)
{
    const QString completion = QString::fromUtf8(sourceFile("packaging/initscope.bash"));
    // The man page with its escaped hyphens as plain ones.
    const QString man = QString::fromUtf8(sourceFile("packaging/initscope.1")).replace(QLatin1String("\\-"), QLatin1String("-"));
    ASSERT_FALSE(completion.isEmpty());
    ASSERT_FALSE(man.isEmpty());
    const QStringList commands = listedCommands();
    ASSERT_GE(commands.size(), 9);
    const QString global = man.section(QStringLiteral("\n.SH OPTIONS\n"), 1).section(QStringLiteral("\n.SH "), 0, 0);
    for (const QString &command : commands) {
        const QStringList options = longOptionsOf(helpOf(command));
        EXPECT_FALSE(options.isEmpty()) << qPrintable(command);

        // `command) options="…"` in the completion's list of options per command.
        const QRegularExpression listRe(QStringLiteral("\\n\\s+%1\\)\\s*options=\"([^\"]*)\"").arg(command));
        const QRegularExpressionMatch list = listRe.match(completion);
        ASSERT_TRUE(list.hasMatch()) << "the completion has no options for " << qPrintable(command);
        const QStringList offered = list.captured(1).simplified().split(QLatin1Char(' '));

        // The command's sections of the man page (diagnose has two), plus the global options.
        QString sections = global;
        const QStringList parts = man.split(QStringLiteral("\n.SS \""));
        for (const QString &part : parts.mid(1)) {
            if (part.startsWith(command + QLatin1Char(' ')) || part.startsWith(command + QLatin1Char('"')))
                sections += part.section(QStringLiteral("\n.SH "), 0, 0);
        }
        ASSERT_NE(sections, global) << "the man page has no section for " << qPrintable(command);
        for (const QString &option : options) {
            EXPECT_TRUE(offered.contains(option)) << "completion of " << qPrintable(command) << " lacks " << qPrintable(option);
            EXPECT_TRUE(sections.contains(option)) << "man page section of " << qPrintable(command) << " lacks "
                                                   << qPrintable(option);
        }
    }
}
