#include "format.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <array>

namespace initscope::ui
{

QString formatMs(qint64 ns)
{
    return QString::number(double(ns) / 1e6, 'f', 3);
}

QString formatDuration(qint64 ns)
{
    if (ns < 0)
        return QStringLiteral("-") + formatDuration(-ns);
    if (ns < 1000)
        return QStringLiteral("%1 ns").arg(ns);
    if (ns < 1000000)
        return QStringLiteral("%1 µs").arg(double(ns) / 1e3, 0, 'f', 1);
    if (ns < 1000000000)
        return QStringLiteral("%1 ms").arg(double(ns) / 1e6, 0, 'f', 3);
    if (ns < 60 * qint64(1000000000))
        return QStringLiteral("%1 s").arg(double(ns) / 1e9, 0, 'f', 3);
    const qint64 minutes = ns / (60 * qint64(1000000000));
    const double seconds = double(ns - minutes * 60 * qint64(1000000000)) / 1e9;
    return QStringLiteral("%1 min %2 s").arg(minutes).arg(seconds, 4, 'f', 1, QLatin1Char('0'));
}

QString signalName(int signal)
{
    // Linux numbering on every architecture InitScope is built for; strsignal() would give
    // localized prose instead of the names people search for.
    static constexpr std::array<const char *, 32> names = {
        nullptr,     "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
        "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
    if (signal > 0 && signal < int(names.size()))
        return QLatin1String(names[size_t(signal)]);
    return QStringLiteral("signal %1").arg(signal);
}

QString formatExit(const Process &process)
{
    switch (process.endReason) {
    case EndReason::Exited:
        return QStringLiteral("exit %1").arg(process.exitCode);
    case EndReason::Signaled:
        return process.coreDumped ? signalName(process.signal) + QStringLiteral(" (core dumped)")
                                  : signalName(process.signal);
    case EndReason::Exec:
        return QStringLiteral("exec'd");
    case EndReason::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

bool isFailure(const Process &process)
{
    return (process.endReason == EndReason::Exited && process.exitCode != 0) ||
           process.endReason == EndReason::Signaled;
}

QString quoteArgv(const QStringList &argv)
{
    QStringList quoted;
    quoted.reserve(argv.size());
    for (const QString &arg : argv) {
        bool plain = !arg.isEmpty();
        for (QChar c : arg) {
            if (!(c.isLetterOrNumber() || QStringLiteral("-_./=:,+@%").contains(c))) {
                plain = false;
                break;
            }
        }
        if (plain) {
            quoted << arg;
        } else {
            QString a = arg;
            a.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
        }
    }
    return quoted.join(QLatin1Char(' '));
}

QString processName(const Process &process)
{
    QString path = process.exe;
    if (path.isEmpty() && !process.argv.isEmpty())
        path = process.argv.constFirst();
    if (path.isEmpty())
        return QStringLiteral("?");
    const qsizetype slash = path.lastIndexOf(QLatin1Char('/'));
    return slash >= 0 ? path.mid(slash + 1) : path;
}

QString processLabel(const Process &process)
{
    return QStringLiteral("%1 (%2)").arg(processName(process)).arg(process.pid);
}

namespace
{

void appendEscaped(QString &out, unsigned char byte)
{
    static const char hex[] = "0123456789abcdef";
    out += QLatin1String("\\x");
    out += QLatin1Char(hex[byte >> 4]);
    out += QLatin1Char(hex[byte & 0xf]);
}

// Length of the valid UTF-8 sequence at p (1..4), 0 when the bytes are not one. Rejects
// overlong forms and surrogates so that a lossy decoder never has to guess.
int utf8SequenceLength(const unsigned char *p, qsizetype left)
{
    const unsigned char c = p[0];
    int len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (left < len || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < len; ++i) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return len;
}

} // namespace

QString safeText(const char *data, qsizetype size, qsizetype maxBytes, qsizetype *omitted)
{
    const qsizetype limit = (maxBytes >= 0 && maxBytes < size) ? maxBytes : size;
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    QString out;
    out.reserve(limit);
    qsizetype i = 0;
    while (i < limit) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            if (c == '\t' || (c >= 0x20 && c != 0x7f))
                out += QLatin1Char(char(c));
            else
                appendEscaped(out, c);
            ++i;
            continue;
        }
        const int len = utf8SequenceLength(p + i, size - i);
        if (len == 0) {
            appendEscaped(out, c);
            ++i;
            continue;
        }
        if (i + len > limit)
            break; // never cut a character in half at the elision point
        out += QString::fromUtf8(data + i, len);
        i += len;
    }
    if (omitted)
        *omitted = size - i;
    return out;
}

QString safeText(const QByteArray &bytes, qsizetype maxBytes, qsizetype *omitted)
{
    return safeText(bytes.constData(), bytes.size(), maxBytes, omitted);
}

namespace
{

QString jsonValueText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Double: {
        const double d = value.toDouble();
        const auto asInt = qint64(d);
        return double(asInt) == d ? QString::number(asInt) : QString::number(d, 'g', 12);
    }
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Undefined:
        break;
    }
    return QString();
}

} // namespace

QString formatPayload(const QByteArray &json)
{
    if (json.trimmed().isEmpty())
        return QString();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return safeText(json, 4096);
    const QJsonObject object = doc.object();
    QStringList parts;
    parts.reserve(object.size());
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=') + jsonValueText(it.value());
    return parts.join(QStringLiteral("  "));
}

} // namespace initscope::ui
