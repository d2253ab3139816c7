#include "displaytext.h"

#include <QChar>

#include <algorithm>

namespace initscope::display {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

// Length of the valid UTF-8 sequence at p (2..4) with its code point in *c, 0 when the bytes
// are not one. Overlong forms and encoded surrogates are not valid: each of their bytes is
// shown as \xNN, so that nothing is decoded in a way another reader would not.
int utf8Sequence(const unsigned char *p, qsizetype left, char32_t *c)
{
    const unsigned char b = p[0];
    int len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        if (b == 0xe0)
            lo = 0xa0;
        else if (b == 0xed)
            hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
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
    char32_t cp = b & (0x7f >> len);
    for (int i = 1; i < len; ++i)
        cp = (cp << 6) | (p[i] & 0x3f);
    *c = cp;
    return len;
}

// The escape of a character isEscaped() flags, as Latin-1 text.
int escapeOf(char32_t c, char *buf)
{
    if (c == '\n' || c == '\r') {
        buf[0] = '\\';
        buf[1] = c == '\n' ? 'n' : 'r';
        return 2;
    }
    if (c < 0x80) {
        buf[0] = '\\';
        buf[1] = 'x';
        buf[2] = kHex[c >> 4];
        buf[3] = kHex[c & 0xf];
        return 4;
    }
    int digits = c > 0xfffff ? 6 : c > 0xffff ? 5 : 4;
    int n = 0;
    buf[n++] = '<';
    buf[n++] = 'U';
    buf[n++] = '+';
    for (int d = digits - 1; d >= 0; --d)
        buf[n++] = kHexUpper[(c >> (4 * d)) & 0xf];
    buf[n++] = '>';
    return n;
}

void appendByteEscape(QString &out, unsigned char b)
{
    const char buf[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xf]};
    out.append(QLatin1String(buf, 4));
}

bool fits(const QString &out, qsizetype more, qsizetype maxChars)
{
    return maxChars < 0 || out.size() + more <= maxChars;
}

QString escapeText(QStringView text, qsizetype maxChars, qsizetype *consumed, Breaks breaks)
{
    QString out;
    out.reserve(maxChars >= 0 ? std::min(text.size(), maxChars) : text.size());
    const qsizetype n = text.size();
    qsizetype i = 0;
    while (i < n) {
        char32_t c = text[i].unicode();
        qsizetype units = 1;
        if (QChar::isHighSurrogate(c) && i + 1 < n && text[i + 1].isLowSurrogate()) {
            c = QChar::surrogateToUcs4(char16_t(c), text[i + 1].unicode());
            units = 2;
        }
        if (isEscaped(c, breaks)) {
            char buf[12];
            const int len = escapeOf(c, buf);
            if (!fits(out, len, maxChars))
                break;
            out.append(QLatin1String(buf, len));
        } else {
            if (!fits(out, units, maxChars))
                break;
            out.append(text.mid(i, units));
        }
        i += units;
    }
    *consumed = i;
    return out;
}

} // namespace

bool isEscaped(char32_t c, Breaks breaks)
{
    if (c < 0x20)
        return !(c == '\t' || (c == '\n' && breaks == Breaks::Keep));
    if (c < 0x7f)
        return false;
    if (c <= 0x9f)
        return true; // DEL and the C1 controls (CSI among them, which some terminals obey)
    if (c < 0xad)
        return false;
    switch (c) {
    case 0x115f: // Hangul fillers and the halfwidth one: letters that draw nothing
    case 0x1160:
    case 0x3164:
    case 0xffa0:
        return true;
    default:
        break;
    }
    if (c >= 0xd800 && c <= 0xdfff)
        return true;
    if (c > 0x10ffff)
        return true;
    switch (QChar::category(c)) {
    case QChar::Other_Control:
    case QChar::Other_Format: // bidi controls, zero-width characters, BOM, soft hyphen, tags
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
        return true;
    default:
        break;
    }
    return false;
}

QString escape(QStringView text, Breaks breaks)
{
    qsizetype consumed = 0;
    return escapeText(text, -1, &consumed, breaks);
}

QString elide(QStringView text, qsizetype maxChars, Breaks breaks)
{
    qsizetype consumed = 0;
    QString out = escapeText(text, std::max<qsizetype>(maxChars, 0), &consumed, breaks);
    if (consumed < text.size())
        out += moreBytes(utf8Size(text.mid(consumed)));
    return out;
}

QString escapeBytes(QByteArrayView bytes, qsizetype maxChars, qsizetype *omitted, Breaks breaks)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype n = bytes.size();
    QString out;
    out.reserve(maxChars >= 0 ? std::min(n, maxChars) : n);
    qsizetype i = 0;
    while (i < n) {
        const unsigned char b = p[i];
        char32_t c = b;
        int len = 1;
        if (b >= 0x80) {
            len = utf8Sequence(p + i, n - i, &c);
            if (len == 0) {
                if (!fits(out, 4, maxChars))
                    break;
                appendByteEscape(out, b);
                ++i;
                continue;
            }
        }
        if (isEscaped(c, breaks)) {
            char buf[12];
            const int elen = escapeOf(c, buf);
            if (!fits(out, elen, maxChars))
                break;
            out.append(QLatin1String(buf, elen));
        } else if (len == 1) {
            if (!fits(out, 1, maxChars))
                break;
            out.append(QLatin1Char(char(b)));
        } else {
            const qsizetype units = c > 0xffff ? 2 : 1;
            if (!fits(out, units, maxChars))
                break;
            if (units == 2) {
                out.append(QChar(QChar::highSurrogate(c)));
                out.append(QChar(QChar::lowSurrogate(c)));
            } else {
                out.append(QChar(char16_t(c)));
            }
        }
        i += len;
    }
    if (omitted)
        *omitted = n - i;
    return out;
}

QString elideBytes(QByteArrayView bytes, qsizetype maxChars, Breaks breaks)
{
    qsizetype omitted = 0;
    QString out = escapeBytes(bytes, std::max<qsizetype>(maxChars, 0), &omitted, breaks);
    if (omitted > 0)
        out += moreBytes(omitted);
    return out;
}

QString moreBytes(qint64 omitted)
{
    return omitted == 1 ? QStringLiteral(" … (1 more byte)")
                        : QStringLiteral(" … (%1 more bytes)").arg(omitted);
}

qint64 utf8Size(QStringView text)
{
    qint64 size = 0;
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t u = text[i].unicode();
        if (u < 0x80) {
            size += 1;
        } else if (u < 0x800) {
            size += 2;
        } else if (QChar::isHighSurrogate(u) && i + 1 < n && text[i + 1].isLowSurrogate()) {
            size += 4;
            ++i;
        } else {
            size += 3;
        }
    }
    return size;
}

QByteArray forTerminal(QByteArrayView utf8)
{
    const auto *p = reinterpret_cast<const unsigned char *>(utf8.data());
    const qsizetype n = utf8.size();
    QByteArray out;
    out.reserve(n);
    qsizetype i = 0;
    while (i < n) {
        const unsigned char b = p[i];
        char32_t c = b;
        int len = 1;
        if (b >= 0x80) {
            len = utf8Sequence(p + i, n - i, &c);
            if (len == 0) {
                const char buf[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xf]};
                out.append(buf, 4);
                ++i;
                continue;
            }
        }
        if (isEscaped(c, Breaks::Keep)) {
            char buf[12];
            out.append(buf, escapeOf(c, buf));
        } else {
            out.append(reinterpret_cast<const char *>(p + i), len);
        }
        i += len;
    }
    return out;
}

QByteArray jsonForTerminal(QByteArrayView json)
{
    const auto *p = reinterpret_cast<const unsigned char *>(json.data());
    const qsizetype n = json.size();
    QByteArray out;
    out.reserve(n);
    auto appendU = [&out](char32_t unit) {
        const char buf[6] = {'\\', 'u', kHex[(unit >> 12) & 0xf], kHex[(unit >> 8) & 0xf],
                             kHex[(unit >> 4) & 0xf], kHex[unit & 0xf]};
        out.append(buf, 6);
    };
    qsizetype i = 0;
    while (i < n) {
        const unsigned char b = p[i];
        if (b < 0x80) {
            // Raw controls outside strings are JSON's own whitespace; inside strings the
            // writer escapes them already. Only DEL may come through raw.
            if (b == 0x7f)
                appendU(b);
            else
                out.append(char(b));
            ++i;
            continue;
        }
        char32_t c = 0;
        const int len = utf8Sequence(p + i, n - i, &c);
        if (len == 0) {
            appendU(0xfffd);
            ++i;
            continue;
        }
        if (isEscaped(c, Breaks::Escape)) {
            if (c > 0xffff) {
                appendU(QChar::highSurrogate(c));
                appendU(QChar::lowSurrogate(c));
            } else {
                appendU(c);
            }
        } else {
            out.append(reinterpret_cast<const char *>(p + i), len);
        }
        i += len;
    }
    return out;
}

} // namespace initscope::display
