#include "bundleruns.h"

#include "colour.h"
#include "commands.h"
#include "displaytext.h"

#include <QCommandLineParser>
#include <QJsonDocument>

#include <cstdio>

namespace initscope::cli {

void writeStdout(const QByteArray &utf8Text)
{
    const QByteArray safe = display::forTerminal(utf8Text);
    std::fwrite(safe.constData(), 1, size_t(safe.size()), stdout);
}

void writeStyled(const QByteArray &utf8Text)
{
    const QByteArray safe = display::forTerminal(utf8Text);
    const QByteArray shown = colourOnStdout() ? colourize(safe) : safe;
    std::fwrite(shown.constData(), 1, size_t(shown.size()), stdout);
}

void writeJson(const QJsonObject &document)
{
    const QByteArray safe =
        display::jsonForTerminal(QJsonDocument(document).toJson(QJsonDocument::Indented));
    std::fwrite(safe.constData(), 1, size_t(safe.size()), stdout);
}

void printError(const QString &message)
{
    // Scripts and users read exactly one line; a message must never spill over.
    constexpr int kErrorChars = 600;
    const QByteArray line =
        "initscope: " + display::elide(message.simplified(), kErrorChars).toUtf8() + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
}

std::optional<BundleRuns> openBundleRuns(const QString &command, const char *help,
                                         const QStringList &args, int *exitCode)
{
    auto usageError = [&](const QString &message) -> std::optional<BundleRuns> {
        std::fprintf(stderr, "initscope %s: %s\nRun 'initscope %s --help' for usage.\n",
                     qPrintable(command), qPrintable(message), qPrintable(command));
        *exitCode = ExitUsage;
        return std::nullopt;
    };
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption jsonOption(QStringLiteral("json"));
    const QCommandLineOption runOption(QStringLiteral("run"), QString(), QStringLiteral("ID"));
    const QCommandLineOption helpOption(QStringList{QStringLiteral("h"), QStringLiteral("help")});
    parser.addOptions({jsonOption, runOption, helpOption});
    parser.addPositionalArgument(QStringLiteral("file"), QString());

    // QCommandLineParser takes the program name as the first element.
    if (!parser.parse(QStringList{QStringLiteral("initscope")} + args))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption)) {
        writeStdout(QByteArray(help));
        *exitCode = ExitOk;
        return std::nullopt;
    }
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        return usageError(QStringLiteral("no bundle file given"));
    if (files.size() > 1)
        return usageError(QStringLiteral("one bundle file at a time (got %1)").arg(files.size()));

    std::optional<qint64> onlyRun;
    if (parser.isSet(runOption)) {
        bool ok = false;
        const qint64 id = parser.value(runOption).toLongLong(&ok);
        if (!ok)
            return usageError(
                QStringLiteral("--run needs a run id, not '%1'").arg(parser.value(runOption)));
        onlyRun = id;
    }

    BundleError error;
    BundleRuns result;
    result.reader = BundleReader::open(files.first(), &error);
    if (!result.reader) {
        QString message = error.message.simplified();
        if (message.isEmpty())
            message = QStringLiteral("%1: cannot open the bundle").arg(files.first());
        printError(message);
        *exitCode = error.code == BundleError::Code::Missing ? ExitNoInput : ExitBadInput;
        return std::nullopt;
    }
    result.json = parser.isSet(jsonOption);

    QStringList ids;
    for (const Run &r : result.reader->runs()) {
        ids.append(QString::number(r.id));
        if (!onlyRun || r.id == *onlyRun)
            result.runIds.append(r.id);
    }
    if (onlyRun && result.runIds.isEmpty())
        return usageError(QStringLiteral("%1 has no run with id %2 (runs: %3)")
                              .arg(files.first())
                              .arg(*onlyRun)
                              .arg(ids.isEmpty() ? QStringLiteral("none")
                                                 : ids.join(QStringLiteral(", "))));
    *exitCode = ExitOk;
    return result;
}

} // namespace initscope::cli
