// The parts of the exports that do not depend on the format (core/exportinternal.h), and the
// entry points that pick a format.
#include "export.h"
#include "exportinternal.h"

#include "bundle.h"
#include "displaytext.h"
#include "report.h"

#include <QBuffer>
#include <QDateTime>
#include <QFileInfo>
#include <QIODevice>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace initscope {

QString exportFormatName(ExportFormat format)
{
    switch (format) {
    case ExportFormat::ChromeTrace:
        return QStringLiteral("chrome");
    case ExportFormat::Html:
        return QStringLiteral("html");
    case ExportFormat::Markdown:
        break;
    }
    return QStringLiteral("markdown");
}

std::optional<ExportFormat> exportFormatFromName(QStringView name)
{
    const QString n = name.toString().toLower();
    if (n == QLatin1String("chrome") || n == QLatin1String("json") || n == QLatin1String("trace") ||
        n == QLatin1String("perfetto"))
        return ExportFormat::ChromeTrace;
    if (n == QLatin1String("html") || n == QLatin1String("htm"))
        return ExportFormat::Html;
    if (n == QLatin1String("markdown") || n == QLatin1String("md"))
        return ExportFormat::Markdown;
    return std::nullopt;
}

std::optional<ExportFormat> exportFormatForPath(QStringView path)
{
    const QString suffix = QFileInfo(path.toString()).suffix().toLower();
    if (suffix == QLatin1String("json"))
        return ExportFormat::ChromeTrace;
    if (suffix == QLatin1String("html") || suffix == QLatin1String("htm"))
        return ExportFormat::Html;
    if (suffix == QLatin1String("md") || suffix == QLatin1String("markdown"))
        return ExportFormat::Markdown;
    return std::nullopt;
}

QString exportSuffix(ExportFormat format)
{
    switch (format) {
    case ExportFormat::ChromeTrace:
        return QStringLiteral("json");
    case ExportFormat::Html:
        return QStringLiteral("html");
    case ExportFormat::Markdown:
        break;
    }
    return QStringLiteral("md");
}

bool writeExport(ExportFormat format, const BundleReader &reader, const ExportOptions &options,
                 QIODevice *out, QString *error)
{
    if (format == ExportFormat::ChromeTrace)
        return writeChromeTrace(reader, options, out, error);
    QString why;
    const QByteArray bytes = format == ExportFormat::Html ? htmlReport(reader, options, &why)
                                                          : markdownSummary(reader, options, &why);
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return false;
    }
    if (out->write(bytes) != bytes.size()) {
        if (error)
            *error = QStringLiteral("Could not write the export: %1.").arg(out->errorString());
        return false;
    }
    return true;
}

QByteArray exportBundle(ExportFormat format, const BundleReader &reader, const ExportOptions &options,
                        QString *error)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QString why;
    if (!writeExport(format, reader, options, &buffer, &why)) {
        if (error)
            *error = why;
        return {};
    }
    return bytes;
}

namespace exportdetail {

QList<Run> runsToExport(const BundleReader &reader, const ExportOptions &options)
{
    const QList<Run> all = reader.runs();
    if (options.runIds.isEmpty())
        return all;
    QList<Run> runs;
    for (qint64 id : options.runIds) {
        const auto it = std::find_if(all.begin(), all.end(), [id](const Run &r) { return r.id == id; });
        if (it != all.end())
            runs.append(*it);
    }
    return runs;
}

QString readFailure(const BundleReader &reader)
{
    if (const std::optional<BundleError> e = reader.queryError())
        return e->message;
    return {};
}

QString programName(const Process &process)
{
    QString path = process.exe.isEmpty() ? process.argv.value(0) : process.exe;
    const qsizetype slash = path.lastIndexOf(QLatin1Char('/'));
    if (slash >= 0 && slash + 1 < path.size())
        path = path.mid(slash + 1);
    return path.isEmpty() ? QStringLiteral("?") : path;
}

QString wallTimeUtc(qint64 realtimeNs)
{
    if (realtimeNs <= 0)
        return QStringLiteral("unknown");
    return QDateTime::fromMSecsSinceEpoch(realtimeNs / 1000000, Qt::UTC)
               .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) +
           QStringLiteral(" UTC");
}

QByteArray microseconds(qint64 ns)
{
    // Integer arithmetic: a double would lose the last digits of a long run's timestamps.
    const bool negative = ns < 0;
    const quint64 abs = negative ? quint64(0) - quint64(ns) : quint64(ns);
    QByteArray text;
    if (negative)
        text.append('-');
    text.append(QByteArray::number(abs / 1000));
    const quint64 frac = abs % 1000;
    if (frac != 0) {
        char digits[4] = {'.', char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10)};
        text.append(digits, 4);
    }
    return text;
}

QString eventSummary(const QByteArray &payload, qsizetype maxChars)
{
    if (payload.isEmpty())
        return {};
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    for (const char *key : {"summary", "text", "reason"}) {
        const QString s = o.value(QLatin1String(key)).toString();
        if (!s.isEmpty())
            return display::elide(s, maxChars);
    }
    if (!o.isEmpty())
        return display::elide(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)), maxChars);
    return display::elideBytes(payload, maxChars);
}

void appendJsonString(QByteArray *out, QStringView text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    auto appendU = [out](char16_t unit) {
        const char buf[6] = {'\\', 'u', kHex[(unit >> 12) & 0xf], kHex[(unit >> 8) & 0xf], kHex[(unit >> 4) & 0xf],
                             kHex[unit & 0xf]};
        out->append(buf, 6);
    };
    out->append('"');
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t u = text[i].unicode();
        if (u < 0x80) {
            switch (u) {
            case '"':
                out->append("\\\"", 2);
                continue;
            case '\\':
                out->append("\\\\", 2);
                continue;
            case '\n':
                out->append("\\n", 2);
                continue;
            case '\r':
                out->append("\\r", 2);
                continue;
            case '\t':
                out->append("\\t", 2);
                continue;
            default:
                break;
            }
            if (u < 0x20 || u == 0x7f)
                appendU(u);
            else
                out->append(char(u));
            continue;
        }
        char32_t c = u;
        qsizetype len = 1;
        if (QChar::isHighSurrogate(u) && i + 1 < n && QChar::isLowSurrogate(text[i + 1].unicode())) {
            c = QChar::surrogateToUcs4(u, text[i + 1].unicode());
            len = 2;
        } else if (QChar::isSurrogate(u)) {
            appendU(0xfffd); // a lone surrogate has no UTF-8 form
            continue;
        }
        if (display::isEscaped(c, display::Breaks::Escape)) {
            appendU(text[i].unicode());
            if (len == 2)
                appendU(text[i + 1].unicode());
        } else {
            out->append(text.mid(i, len).toUtf8());
        }
        i += len - 1;
    }
    out->append('"');
}

QString html(QStringView text)
{
    const QString shown = display::escape(text);
    QString out;
    out.reserve(shown.size() + shown.size() / 8);
    for (QChar c : shown) {
        switch (c.unicode()) {
        case '&':
            out += QLatin1String("&amp;");
            break;
        case '<':
            out += QLatin1String("&lt;");
            break;
        case '>':
            out += QLatin1String("&gt;");
            break;
        case '"':
            out += QLatin1String("&quot;");
            break;
        case '\'':
            out += QLatin1String("&#39;");
            break;
        default:
            out += c;
        }
    }
    return out;
}

QString htmlElided(QStringView text, qsizetype maxChars)
{
    return html(display::elide(text, maxChars));
}

QString htmlBytes(QByteArrayView bytes, qsizetype maxChars)
{
    // escapeBytes() leaves nothing for escape() to change, so html() only adds the entities.
    return html(display::elideBytes(bytes, maxChars));
}

QString markdownText(QStringView text, qsizetype maxChars)
{
    // Only what can start markup where this text goes (inline, after a label or in a table
    // cell), so that names such as CUDA_ERROR_NOT_SUPPORTED or libcuda.so.1 (ggml-cuda) stay
    // readable in the raw text: code spans, emphasis, links and images (every '[' is escaped,
    // so '(' and '!' never follow one), HTML and entities, table cells, strikethrough. A run of
    // underscores between two letters or digits can neither open nor close emphasis (GFM), so
    // only the others are escaped; '#', '+', '-' and '!' matter only at the start.
    static constexpr QStringView kAlways = u"\\`*[]<>|~&";
    const QString shown = display::elide(text, maxChars);
    QString out;
    out.reserve(shown.size() + shown.size() / 8);
    for (qsizetype i = 0; i < shown.size(); ++i) {
        const QChar c = shown.at(i);
        bool escape = kAlways.contains(c);
        if (c == u'_') {
            qsizetype first = i, last = i;
            while (first > 0 && shown.at(first - 1) == u'_')
                --first;
            while (last + 1 < shown.size() && shown.at(last + 1) == u'_')
                ++last;
            escape = !(first > 0 && shown.at(first - 1).isLetterOrNumber() && last + 1 < shown.size() &&
                       shown.at(last + 1).isLetterOrNumber());
        } else if (i == 0 && (c == u'#' || c == u'+' || c == u'-' || c == u'!')) {
            escape = true;
        }
        if (escape)
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

int longestBacktickRun(QStringView text)
{
    int longest = 0, run = 0;
    for (QChar c : text) {
        run = c == u'`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

QString markdownCode(QStringView text, qsizetype maxChars)
{
    const QString shown = display::elide(text, maxChars);
    const QString fence(longestBacktickRun(shown) + 1, QLatin1Char('`'));
    // A space on each side keeps a backtick at either end from joining the delimiter; a
    // code span drops one such pair of spaces.
    const bool pad = shown.startsWith(QLatin1Char('`')) || shown.endsWith(QLatin1Char('`')) ||
                     (shown.startsWith(QLatin1Char(' ')) && shown.endsWith(QLatin1Char(' ')));
    return pad ? fence + QLatin1Char(' ') + shown + QLatin1Char(' ') + fence : fence + shown + fence;
}

QString markdownFence(const QStringList &lines, const QString &info)
{
    int longest = 0;
    for (const QString &l : lines)
        longest = std::max(longest, longestBacktickRun(l));
    const QString fence(std::max(3, longest + 1), QLatin1Char('`'));
    QString out = fence + info + QLatin1Char('\n');
    for (const QString &l : lines)
        out += l + QLatin1Char('\n');
    return out + fence + QLatin1Char('\n');
}

} // namespace exportdetail
} // namespace initscope
