#include "collectedlines.h"

#include <QDate>
#include <QDateTime>
#include <QStringList>
#include <QTime>

#include <algorithm>
#include <limits>

namespace initscope {

namespace {

constexpr qint64 kNsPerSecond = 1'000'000'000;
constexpr qint64 kJulianDayOfEpoch = 2440588; // 1970-01-01

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// A cursor over one line's bytes.
struct Cursor {
    QByteArrayView text;
    qsizetype pos = 0;

    bool atEnd() const { return pos >= text.size(); }
    char peek() const { return atEnd() ? '\0' : text[pos]; }
    bool take(char c)
    {
        if (peek() != c)
            return false;
        ++pos;
        return true;
    }
    // Exactly n digits as a number.
    std::optional<int> digits(int n)
    {
        int value = 0;
        for (int i = 0; i < n; ++i) {
            if (!isDigit(peek()))
                return std::nullopt;
            value = value * 10 + (text[pos++] - '0');
        }
        return value;
    }
    // One or more digits as nanoseconds of a fraction; digits past the ninth are read and
    // ignored.
    qint64 fractionNs()
    {
        qint64 ns = 0;
        int n = 0;
        for (; isDigit(peek()); ++pos, ++n)
            if (n < 9)
                ns = ns * 10 + (text[pos] - '0');
        for (; n < 9; ++n)
            ns *= 10;
        return ns;
    }
};

// YYYY-MM-DD[T ]hh:mm:ss[.f][zone] or YYYY/MM/DD hh:mm:ss[.f] at the cursor.
std::optional<qint64> readCalendarStamp(Cursor &c)
{
    const auto year = c.digits(4);
    const char separator = c.peek();
    if (!year || (separator != '-' && separator != '/'))
        return std::nullopt;
    ++c.pos;
    const auto month = c.digits(2);
    if (!month || !c.take(separator))
        return std::nullopt;
    const auto day = c.digits(2);
    if (!day || !(c.take('T') || c.take('t') || c.take(' ')))
        return std::nullopt;
    const auto hour = c.digits(2);
    if (!hour || !c.take(':'))
        return std::nullopt;
    const auto minute = c.digits(2);
    if (!minute || !c.take(':'))
        return std::nullopt;
    const auto second = c.digits(2);
    if (!second)
        return std::nullopt;
    const QDate date(*year, *month, *day);
    // A leap second is taken as the last second of its minute.
    const QTime time(*hour, *minute, std::min(*second, 59));
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    qint64 fraction = 0;
    if ((c.peek() == '.' || c.peek() == ',') && c.pos + 1 < c.text.size() && isDigit(c.text[c.pos + 1])) {
        ++c.pos;
        fraction = c.fractionNs();
    }
    // The zone: Z, ±hh:mm, ±hhmm, ±hh; none means local time (Go's log stamp has none).
    std::optional<qint64> offsetSeconds;
    if (separator == '-') {
        if (c.take('Z') || c.take('z')) {
            offsetSeconds = 0;
        } else if (c.peek() == '+' || c.peek() == '-') {
            const qsizetype start = c.pos;
            const int sign = c.text[c.pos++] == '-' ? -1 : 1;
            const auto oh = c.digits(2);
            std::optional<int> om = 0;
            if (oh && (c.take(':') || isDigit(c.peek())))
                om = c.digits(2);
            if (oh && om && *oh < 24 && *om < 60)
                offsetSeconds = sign * (*oh * 3600 + *om * 60);
            else
                c.pos = start; // not a zone: the stamp ends before it
        }
    }
    qint64 seconds;
    if (offsetSeconds) {
        seconds = (date.toJulianDay() - kJulianDayOfEpoch) * 86400 + time.msecsSinceStartOfDay() / 1000
                  - *offsetSeconds;
    } else {
        seconds = QDateTime(date, time).toMSecsSinceEpoch() / 1000;
    }
    return seconds * kNsPerSecond + fraction;
}

// Ten digits of Unix seconds with an optional fraction, not followed by another digit.
std::optional<qint64> readEpochStamp(Cursor &c)
{
    const qsizetype start = c.pos;
    qint64 seconds = 0;
    for (int i = 0; i < 10; ++i) {
        if (!isDigit(c.peek())) {
            c.pos = start;
            return std::nullopt;
        }
        seconds = seconds * 10 + (c.text[c.pos++] - '0');
    }
    if (isDigit(c.peek()) || seconds > 9'000'000'000) { // the second keeps seconds × 10⁹ in range
        c.pos = start;
        return std::nullopt;
    }
    qint64 fraction = 0;
    if (c.peek() == '.' && c.pos + 1 < c.text.size() && isDigit(c.text[c.pos + 1])) {
        ++c.pos;
        fraction = c.fractionNs();
    }
    return seconds * kNsPerSecond + fraction;
}

std::optional<qint64> readStampAt(QByteArrayView line, qsizetype pos, bool epoch)
{
    Cursor c{line, pos};
    if (auto ns = readCalendarStamp(c))
        return ns;
    if (!epoch)
        return std::nullopt;
    c.pos = pos;
    return readEpochStamp(c);
}

// The first logfmt field time=… of the line, at the start or after a blank.
std::optional<qint64> readLogfmtTime(QByteArrayView line)
{
    static constexpr QByteArrayView key("time=");
    for (qsizetype at = line.indexOf(key); at >= 0; at = line.indexOf(key, at + 1)) {
        if (at > 0 && line[at - 1] != ' ' && line[at - 1] != '\t')
            continue;
        qsizetype value = at + key.size();
        if (value < line.size() && line[value] == '"')
            ++value;
        if (auto ns = readStampAt(line, value, true))
            return ns;
    }
    return std::nullopt;
}

QByteArrayView lineAt(const QByteArray &content, qsizetype from, qsizetype *next)
{
    qsizetype end = content.indexOf('\n', from);
    if (end < 0)
        end = content.size();
    *next = end + 1;
    qsizetype stop = end;
    if (stop > from && content[stop - 1] == '\r')
        --stop;
    return QByteArrayView(content.constData() + from, stop - from);
}

// Where the first line starts: after a UTF-8 byte order mark.
qsizetype contentStart(const QByteArray &content)
{
    return content.startsWith("\xEF\xBB\xBF") ? 3 : 0;
}

} // namespace

std::optional<qint64> lineTimestampNs(QByteArrayView line)
{
    qsizetype pos = 0;
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
        ++pos;
    if (pos < line.size() && line[pos] == '[')
        ++pos;
    if (pos < line.size() && isDigit(line[pos])) {
        if (auto ns = readStampAt(line, pos, true))
            return ns;
    }
    return readLogfmtTime(line);
}

CollectedLines placeCollectedLines(const QByteArray &content, qint64 runStartRealtimeNs,
                                   qint64 runDurationNs)
{
    CollectedLines out;
    const qint64 earliest = -kCollectedLineSlackNs;
    const qint64 latest = runDurationNs > 0 ? runDurationNs + kCollectedLineSlackNs
                                            : std::numeric_limits<qint64>::max();
    // What an unstamped line continues: the last placed line, or nothing (before the first
    // stamp, or after a stamp that was dropped).
    qsizetype current = -1;
    qsizetype next = contentStart(content);
    while (next < content.size()) {
        const QByteArrayView line = lineAt(content, next, &next);
        ++out.lineCount;
        const std::optional<qint64> stamp = lineTimestampNs(line);
        if (!stamp) {
            if (current >= 0)
                ++out.lines[size_t(current)].continuationLines;
            continue;
        }
        ++out.stamped;
        const qint64 t = *stamp - runStartRealtimeNs;
        if (t < earliest || t > latest) {
            ++out.outsideRun;
            current = -1;
            continue;
        }
        out.lines.push_back({out.lineCount, t, 0});
        current = qsizetype(out.lines.size()) - 1;
    }
    return out;
}

QString collectedMessage(const QByteArray &content, int number, int maxLines, int maxChars)
{
    qsizetype next = contentStart(content);
    int n = 0;
    QStringList lines;
    qsizetype chars = 0;
    bool cut = false;
    while (next < content.size()) {
        const QByteArrayView line = lineAt(content, next, &next);
        if (++n < number)
            continue;
        if (n > number && lineTimestampNs(line))
            break;
        if (lines.size() >= maxLines || chars >= maxChars) {
            cut = true;
            break;
        }
        QString text = QString::fromUtf8(line);
        if (chars + text.size() > maxChars) {
            text = text.left(std::max<qsizetype>(maxChars - chars, 0));
            cut = true;
        }
        chars += text.size();
        lines.append(text);
        if (cut)
            break;
    }
    QString text = lines.join(QLatin1Char('\n'));
    if (cut)
        text += QStringLiteral(" …");
    return text;
}

} // namespace initscope
