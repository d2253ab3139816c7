#include "format.h"

#include "displaytext.h"

#include <QFontMetrics>
#include <QRegularExpression>
#include <QTextDocument>

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
    constexpr qsizetype kNameChars = 120;
    QStringView path = process.exe;
    if (path.isEmpty() && !process.argv.isEmpty())
        path = process.argv.constFirst();
    if (path.isEmpty())
        return QStringLiteral("?");
    const qsizetype slash = path.lastIndexOf(QLatin1Char('/'));
    return display::elide(slash >= 0 ? path.mid(slash + 1) : path, kNameChars);
}

QString processLabel(const Process &process)
{
    return QStringLiteral("%1 (%2)").arg(processName(process), QString::number(process.pid));
}

QString safeText(const char *data, qsizetype size, qsizetype maxBytes, qsizetype *omitted)
{
    qsizetype cut = maxBytes >= 0 && maxBytes < size ? maxBytes : size;
    if (cut < size) {
        // Back to the start of a character the cut would split: it is left out whole.
        const auto *p = reinterpret_cast<const unsigned char *>(data);
        for (qsizetype back = 1; back <= 3 && back <= cut; ++back) {
            const unsigned char b = p[cut - back];
            if ((b & 0xc0) == 0x80)
                continue;
            const int length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            if (length > back)
                cut -= back;
            break;
        }
    }
    if (omitted)
        *omitted = size - cut;
    return display::escapeBytes(QByteArrayView(data, cut));
}

QString safeText(const QByteArray &bytes, qsizetype maxBytes, qsizetype *omitted)
{
    return safeText(bytes.constData(), bytes.size(), maxBytes, omitted);
}

QString cellText(QStringView text)
{
    return display::elide(text, kCellChars);
}

QString toolTipText(QStringView text)
{
    return asToolTip(display::elide(text, kToolTipChars, display::Breaks::Keep));
}

QString asToolTip(const QString &shown)
{
    // A plain tooltip never wraps: a value of thousands of characters would run off the screen.
    // As rich text it wraps to the screen (anywhere, for a path without spaces) and keeps every
    // space.
    constexpr qsizetype kLongLine = 160;
    qsizetype lineStart = 0;
    bool longLine = false;
    for (qsizetype i = 0; i <= shown.size() && !longLine; ++i) {
        if (i == shown.size() || shown.at(i) == QLatin1Char('\n')) {
            longLine = i - lineStart > kLongLine;
            lineStart = i + 1;
        }
    }
    if (!longLine)
        return plainForLabel(shown);
    // Only what HTML would take for markup is escaped: quotes stay as they are in a JSON payload.
    QString html = shown;
    html.replace(QLatin1Char('&'), QStringLiteral("&amp;"));
    html.replace(QLatin1Char('<'), QStringLiteral("&lt;"));
    html.replace(QLatin1Char('>'), QStringLiteral("&gt;"));
    return QStringLiteral("<p style=\"white-space:pre-wrap\">%1</p>").arg(html);
}

QString htmlText(QStringView text, qsizetype maxChars)
{
    return display::elide(text, maxChars).toHtmlEscaped();
}

QString elideKeepingNote(const QFontMetrics &fm, const QString &text, Qt::TextElideMode mode, int width)
{
    static const QRegularExpression note(QStringLiteral(" … \\(\\d+ more bytes?\\)$"));
    if (mode == Qt::ElideNone || fm.horizontalAdvance(text) <= width)
        return text;
    const QRegularExpressionMatch m = note.match(text);
    if (!m.hasMatch())
        return fm.elidedText(text, mode, width);
    const QString body = text.left(m.capturedStart());
    const int room = width - fm.horizontalAdvance(m.captured(0));
    if (room < fm.horizontalAdvance(QStringLiteral("xxxx…")))
        return fm.elidedText(body, Qt::ElideRight, width);
    return fm.elidedText(body, mode, room) + m.captured(0);
}

QVariant shownData(const QVariant &value, int role)
{
    if (value.typeId() != QMetaType::QString)
        return value;
    if (role == Qt::DisplayRole)
        return cellText(value.toString());
    if (role == Qt::ToolTipRole)
        return toolTipText(value.toString());
    return value;
}

QString plainForLabel(const QString &text)
{
    // QLabel and QToolTip take text that starts like HTML for HTML: a path such as
    // "<img src=…>" from a bundle would be rendered, not shown.
    if (!Qt::mightBeRichText(text))
        return text;
    return Qt::convertFromPlainText(text, Qt::WhiteSpacePre);
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
    return display::escape(parts.join(QStringLiteral("  ")));
}

} // namespace initscope::ui
