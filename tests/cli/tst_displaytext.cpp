// The one way strings of a bundle are shown (core/displaytext.h, docs/reliability.md "Bundles
// from others"): what is escaped and how, elision with the full length, invalid UTF-8, and the
// last guards before a terminal for text and JSON.
#include "displaytext.h"
#include "hostilebundle.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace initscope;
using display::Breaks;

void PrintTo(const QString &value, std::ostream *os)
{
    *os << value.toStdString();
}

TEST(DisplayText, ControlCharactersBecomeVisibleEscapes)
{
    const QString text = QStringLiteral("a\x1b[31mb\x07" "c\x08" "d\re\nf\tg\x7f") + QChar(0) + QStringLiteral("h");
    EXPECT_EQ(display::escape(text), QStringLiteral("a\\x1b[31mb\\x07c\\x08d\\re\\nf\tg\\x7f\\x00h"));
    // A block keeps its line breaks, never a carriage return that would overwrite a line.
    EXPECT_EQ(display::escape(QStringLiteral("one\r\ntwo\n"), Breaks::Keep), QStringLiteral("one\\r\ntwo\n"));
}

TEST(DisplayText, BidiZeroWidthAndC1CharactersBecomeMarkers)
{
    EXPECT_EQ(display::escape(QStringLiteral("file\u202Egpj.exe")), QStringLiteral("file<U+202E>gpj.exe"));
    EXPECT_EQ(display::escape(QStringLiteral("\u2066a\u2067b\u2068c\u2069\u202A\u202B\u202C\u202D\u200E\u200F\u061C")),
              QStringLiteral("<U+2066>a<U+2067>b<U+2068>c<U+2069><U+202A><U+202B><U+202C><U+202D><U+200E><U+200F>"
                             "<U+061C>"));
    EXPECT_EQ(display::escape(QStringLiteral("lib\u200Bcuda\u200C\u200D\u2060\uFEFF\u00AD")),
              QStringLiteral("lib<U+200B>cuda<U+200C><U+200D><U+2060><U+FEFF><U+00AD>"));
    EXPECT_EQ(display::escape(QStringLiteral("\u009b2J\u0085\u2028\u2029\u3164")),
              QStringLiteral("<U+009B>2J<U+0085><U+2028><U+2029><U+3164>"));
    // A tag character (outside the BMP) and a lone surrogate.
    EXPECT_EQ(display::escape(QString::fromUcs4(U"x\U000E0041y")), QStringLiteral("x<U+E0041>y"));
    EXPECT_EQ(display::escape(QString(QChar(0xd800)) + QStringLiteral("z")), QStringLiteral("<U+D800>z"));
}

TEST(DisplayText, OrdinaryTextIsUnchanged)
{
    const QString text = QStringLiteral("café ✓ 日本語 🙂 \\x1b is typed, not an escape; path/to/libcuda.so.1 مرحبا");
    EXPECT_EQ(display::escape(text), text);
    EXPECT_EQ(display::elide(text, 1000), text);
}

TEST(DisplayText, InvalidUtf8BytesAreShownAsHexAndValidTextAsCharacters)
{
    const QByteArray bytes("ok \xff\xfe caf\xc3\xa9 \xc3( \xe2\x80\xae \xed\xa0\x80 \xc0\xaf \xf0\x9f\x99\x82 end");
    EXPECT_EQ(display::escapeBytes(bytes),
              QStringLiteral("ok \\xff\\xfe café \\xc3( <U+202E> \\xed\\xa0\\x80 \\xc0\\xaf 🙂 end"));
}

TEST(DisplayText, LongTextIsElidedWithTheBytesLeftOut)
{
    const QString text = QStringLiteral("é") + QString(5000, QLatin1Char('x'));
    const QString shown = display::elide(text, 100);
    EXPECT_EQ(shown, QStringLiteral("é") + QString(99, QLatin1Char('x')) + QStringLiteral(" … (4901 more bytes)"));
    // An escape or a character outside the BMP is never cut in half.
    EXPECT_EQ(display::elide(QStringLiteral("ab\x1b"), 4), QStringLiteral("ab … (1 more byte)"));
    EXPECT_EQ(display::elide(QString::fromUcs4(U"a\U0001F642"), 2), QStringLiteral("a … (4 more bytes)"));
    const QByteArray bytes = QByteArray("\xff") + QByteArray(100, 'y');
    EXPECT_EQ(display::elideBytes(bytes, 10), QStringLiteral("\\xffyyyyyy … (94 more bytes)"));
    EXPECT_EQ(display::utf8Size(QString::fromUcs4(U"aé✓\U0001F642")), 1 + 2 + 3 + 4);
}

TEST(DisplayText, Eliding5MiBTakesTimeForWhatIsShown)
{
    const QString big = QString(initscope::test::kHugeBytes, QLatin1Char('\x1b'));
    QElapsedTimer clock;
    clock.start();
    QString shown;
    for (int i = 0; i < 20; ++i)
        shown = display::elide(big, 200);
    EXPECT_EQ(shown.size(), 200 + QStringLiteral(" … (5242830 more bytes)").size());
    EXPECT_TRUE(shown.startsWith(QStringLiteral("\\x1b\\x1b")));
    // Twenty elisions of 5 MiB count the rest (one pass each); copying or escaping it whole
    // twenty times would take far longer on any machine.
    EXPECT_LT(clock.elapsed(), 5000);
}

TEST(DisplayText, TerminalGuardEscapesWhatEscapeWouldAndKeepsLinesAndTabs)
{
    const QByteArray raw = QByteArray("line\tone\n\x1b[2Jtwo \xe2\x80\xae three\r\n\xff end\n");
    const QByteArray safe = display::forTerminal(raw);
    EXPECT_EQ(safe, QByteArray("line\tone\n\\x1b[2Jtwo <U+202E> three\\r\n\\xff end\n"));
    EXPECT_EQ(test::findUnsafe(safe), -1);
    // Text that was escaped already passes unchanged.
    const QString escaped = display::escape(QStringLiteral("a\u202Eb\x1b"), Breaks::Keep) + QStringLiteral("\n");
    EXPECT_EQ(display::forTerminal(escaped.toUtf8()), escaped.toUtf8());
}

TEST(DisplayText, JsonGuardKeepsTheDocumentValidAndItsStringsEqual)
{
    const QString hostile = QStringLiteral("a\u202Eb\u200Bc\u009bd\x7f") + QString::fromUcs4(U"\U000E0041") +
                            QStringLiteral("\x1b[31m");
    const QJsonObject object{{QStringLiteral("value"), hostile}, {QStringLiteral("list"), QJsonArray{hostile}}};
    const QByteArray raw = QJsonDocument(object).toJson(QJsonDocument::Indented);
    const QByteArray safe = display::jsonForTerminal(raw);
    EXPECT_EQ(test::findUnsafe(safe), -1) << safe.constData();
    QJsonParseError error;
    const QJsonDocument back = QJsonDocument::fromJson(safe, &error);
    ASSERT_EQ(error.error, QJsonParseError::NoError) << qPrintable(error.errorString());
    EXPECT_EQ(back.object(), object);
    EXPECT_TRUE(safe.contains("\\u202e")) << safe.constData();
    // Bytes that are not UTF-8 become U+FFFD: still JSON, still one string.
    const QByteArray broken = display::jsonForTerminal(QByteArray("{\"a\": \"x\xffy\"}"));
    EXPECT_EQ(QJsonDocument::fromJson(broken).object().value(QStringLiteral("a")).toString(), QStringLiteral("x\uFFFDy"));
}
