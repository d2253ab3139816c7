// How text that came out of a bundle is shown: by the CLI on a terminal and by the GUI in its
// cells, labels and tooltips. A bundle is written on another machine by programs nobody here
// controls; its strings (argv, environment, paths, output, payloads) may hold terminal escape
// sequences, characters that reorder or hide text, invalid UTF-8 or megabytes in one value.
// Every place that shows such a string goes through these functions, so that what a person
// sees is what the bundle holds, with nothing hidden and nothing obeyed. The rules are in
// docs/reliability.md, "Bundles from others".
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace initscope::display {

enum class Breaks {
    Escape, // "\n" shown as the two characters \n: the text stays on one line
    Keep,   // "\n" stays a line break (a block of text, a multi-line detail)
};

// Whether the character is shown as an escape instead of itself: C0 controls but tab (and
// newline with Breaks::Keep), DEL, C1 controls, format characters (bidi embeddings,
// overrides, isolates and marks, zero-width space and joiners, word joiner, BOM, soft hyphen,
// tags), line and paragraph separators, lone surrogates and the blank fillers U+115F, U+1160,
// U+3164, U+FFA0.
bool isEscaped(char32_t c, Breaks breaks = Breaks::Escape);

// The text with every isEscaped() character replaced: "\n" and "\r" as \n and \r, other
// ASCII controls and DEL as \xNN, every other one as <U+XXXX> (U+202E becomes <U+202E>).
// Everything else, backslashes included, is unchanged.
QString escape(QStringView text, Breaks breaks = Breaks::Escape);

// escape(), made to stop after maxChars characters (an escape or a surrogate pair is never
// cut); when something is left out, " … (N more bytes)" follows, N counting the UTF-8 bytes
// of what was not shown. Works in time proportional to maxChars plus one pass to count.
QString elide(QStringView text, qsizetype maxChars, Breaks breaks = Breaks::Escape);

// Bytes that may not be text, such as a process's output: valid UTF-8 is shown as escape()
// shows characters, every byte that is not part of valid UTF-8 as \xNN. At most maxChars
// characters are made (-1: no limit); *omitted, when given, gets the bytes left out.
QString escapeBytes(QByteArrayView bytes, qsizetype maxChars = -1, qsizetype *omitted = nullptr,
                    Breaks breaks = Breaks::Escape);
// escapeBytes() with " … (N more bytes)" when something was left out.
QString elideBytes(QByteArrayView bytes, qsizetype maxChars, Breaks breaks = Breaks::Escape);

// " … (N more bytes)", the one wording of an elision.
QString moreBytes(qint64 omitted);

// The UTF-8 size of text, counted without converting it.
qint64 utf8Size(QStringView text);

// The last guard before a terminal, for text meant to be read there: every isEscaped()
// character (line breaks and tabs stay) and every byte that is not valid UTF-8 is replaced by
// its escape. Text made with escape() passes unchanged.
QByteArray forTerminal(QByteArrayView utf8);

// The same guard for a JSON document: every such character inside a string becomes its
// \uXXXX escape, which any JSON reader turns back into the same character, and every byte
// that is not valid UTF-8 becomes \ufffd. The result is valid JSON that means the same.
QByteArray jsonForTerminal(QByteArrayView json);

} // namespace initscope::display
