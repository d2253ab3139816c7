#include "colour.h"

#include <QRegularExpression>

#include <algorithm>
#include <vector>

#include <unistd.h>

namespace initscope::cli {

namespace {

ColourMode g_mode = ColourMode::Auto;

// Foreground colours only inside a line, so that a heading's bold carries on after them.
constexpr char kBold[] = "\x1b[1m";
constexpr char kReset[] = "\x1b[0m";
constexpr char kRed[] = "\x1b[31m";
constexpr char kYellow[] = "\x1b[33m";
constexpr char kCyan[] = "\x1b[36m";
constexpr char kDefault[] = "\x1b[39m";

struct Rule {
    QRegularExpression pattern; // capture group 1, when there is one, is what gets the colour
    const char *colour;
};

const std::vector<Rule> &rules()
{
    static const std::vector<Rule> all = [] {
        auto rx = [](const char *p) { return QRegularExpression(QString::fromUtf8(p)); };
        return std::vector<Rule>{
            // Error lines: the report's "stderr:2  4.949 ms  text" rows, the diagnosis's
            // "error line   stderr:2  text".
            {rx("^\\s+(?:error line\\s+)?((?:stdout|stderr):\\d+\\s+(?:[\\d.]+ ms\\s+)?\\S.*)$"), kRed},
            {rx("^\\s+(?:error )?line {2,}(\\S.*)$"), kRed},
            {rx("(\\[(?:root cause|error)\\])"), kRed},
            {rx("(\\[(?:contributing|warning)\\])"), kYellow},
            {rx("(\\[(?:harmless|info)\\])"), kCyan},
            {rx("\\b(exit code [1-9]\\d*)\\b"), kRed},
            {rx("\\b(killed by signal \\w+(?: \\(\\d+\\))?(?: \\[core dumped\\])?)"), kRed},
            {rx("\\b(timed out|cancelled)\\b"), kRed},
            {rx("\\b(still running or unknown)\\b"), kYellow},
            {rx("\\b(CUDA_ERROR_[A-Z_]+|NVML_ERROR_[A-Z_]+|cudaError(?!Success)[A-Za-z]*)\\b"), kRed},
            {rx("^\\s+[\\d.]+ ms\\s+(!) "), kRed},
            {rx("^(First divergence)\\b"), kRed},
            {rx("\\b([1-9]\\d* error\\(s\\))"), kRed},
            {rx("\\b([1-9]\\d* warning\\(s\\))"), kYellow},
        };
    }();
    return all;
}

struct Span {
    qsizetype start;
    qsizetype end;
    const char *colour;
};

QString colourLine(const QString &line, bool heading)
{
    std::vector<Span> spans;
    for (const Rule &rule : rules()) {
        auto it = rule.pattern.globalMatch(line);
        while (it.hasNext()) {
            const QRegularExpressionMatch m = it.next();
            const int group = m.lastCapturedIndex() >= 1 ? 1 : 0;
            if (m.capturedLength(group) > 0)
                spans.push_back({m.capturedStart(group), m.capturedEnd(group), rule.colour});
        }
    }
    std::stable_sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) { return a.start < b.start; });
    QString out;
    out.reserve(line.size() + 16 * qsizetype(spans.size()) + 8);
    if (heading)
        out += QLatin1String(kBold);
    qsizetype at = 0;
    for (const Span &s : spans) {
        if (s.start < at)
            continue; // inside one already coloured: the earlier rule wins
        out += QStringView(line).mid(at, s.start - at);
        out += QLatin1String(s.colour);
        out += QStringView(line).mid(s.start, s.end - s.start);
        out += QLatin1String(kDefault);
        at = s.end;
    }
    out += QStringView(line).mid(at);
    if (heading)
        out += QLatin1String(kReset);
    return out;
}

bool indented(const QString &line)
{
    return line.startsWith(QLatin1Char(' ')) || line.startsWith(QLatin1Char('\t'));
}

} // namespace

bool takeColourOption(QStringList *args, QString *error)
{
    for (qsizetype i = 0; i < args->size();) {
        const QString a = args->at(i);
        if (a == QLatin1String("--"))
            break;
        QString when;
        if (a == QLatin1String("--color") || a == QLatin1String("--colour"))
            when = QStringLiteral("always");
        else if (a.startsWith(QLatin1String("--color=")) || a.startsWith(QLatin1String("--colour=")))
            when = a.mid(a.indexOf(QLatin1Char('=')) + 1);
        else {
            ++i;
            continue;
        }
        if (when == QLatin1String("auto"))
            g_mode = ColourMode::Auto;
        else if (when == QLatin1String("always"))
            g_mode = ColourMode::Always;
        else if (when == QLatin1String("never"))
            g_mode = ColourMode::Never;
        else {
            *error = QStringLiteral("--color expects auto, always or never, not '%1'").arg(when);
            return false;
        }
        args->remove(i);
    }
    return true;
}

void setColourMode(ColourMode mode)
{
    g_mode = mode;
}

bool colourOnStdout()
{
    switch (g_mode) {
    case ColourMode::Always:
        return true;
    case ColourMode::Never:
        return false;
    case ColourMode::Auto:
        break;
    }
    if (!qEnvironmentVariableIsEmpty("NO_COLOR"))
        return false;
    if (qgetenv("TERM") == "dumb")
        return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

QByteArray colourize(const QByteArray &guardedUtf8)
{
    const QStringList lines = QString::fromUtf8(guardedUtf8).split(QLatin1Char('\n'));
    QStringList out;
    out.reserve(lines.size());
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString &line = lines[i];
        const bool atColumnZero = !line.isEmpty() && !indented(line);
        const bool heading = atColumnZero && (i == 0 || (i + 1 < lines.size() && indented(lines[i + 1])));
        out.append(line.isEmpty() ? line : colourLine(line, heading));
    }
    return out.join(QLatin1Char('\n')).toUtf8();
}

} // namespace initscope::cli
