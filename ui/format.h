// Text that several views show the same way: times, durations, exits, command lines, raw
// bytes. Kept in one place so the process tree, the header and the tests agree to the letter.
#pragma once

#include "data.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariant>

class QFontMetrics;

namespace initscope::ui
{

// "1234.567": milliseconds since run start, the unit every time column uses.
QString formatMs(qint64 ns);
// "850 ns", "12.345 ms", "1.234 s", "2 min 03.4 s": for spans a person reads at a glance.
QString formatDuration(qint64 ns);
// "SIGSEGV" for 11; "signal 42" when the number has no name.
QString signalName(int signal);
// "exit 0", "SIGSEGV (core dumped)", "exec'd", "unknown".
QString formatExit(const Process &process);
// An image that ended in a way a user should look at: a non-zero exit or a signal.
bool isFailure(const Process &process);
// argv as it could be pasted into a POSIX shell (raw: pass it through cellText() or the like
// before showing it).
QString quoteArgv(const QStringList &argv);
// The file name of exe, or of argv[0] when exe is unknown; escaped and cut for display.
QString processName(const Process &process);
// "ollama (4117)", escaped and cut for display.
QString processLabel(const Process &process);

// Shows bytes that may not be text (core/displaytext.h): valid UTF-8 passes through, control,
// bidi and invisible characters and invalid bytes become escapes (\x1b, <U+202E>, \xff). At
// most maxBytes of input are shown, never half a character; the number of bytes that were left
// out is stored in *omitted when given.
QString safeText(const QByteArray &bytes, qsizetype maxBytes = -1, qsizetype *omitted = nullptr);
// The same for a byte range of a larger buffer, without copying it.
QString safeText(const char *data, qsizetype size, qsizetype maxBytes = -1,
                 qsizetype *omitted = nullptr);

// Strings of a bundle in views (docs/reliability.md, "Bundles from others"). A cell or tree item
// shows one line of at most kCellChars characters, then " … (N more bytes)"; a tooltip keeps
// line breaks, shows at most kToolTipChars and is never taken for rich text. Both escaped the
// same way.
inline constexpr qsizetype kCellChars = 2000;
inline constexpr qsizetype kToolTipChars = 8192;
QString cellText(QStringView text);
QString toolTipText(QStringView text);
// Text escaped and bounded already, as a tooltip: never taken for rich text, and wrapped (as
// rich text that shows it as it is) when a line is too long for the screen.
QString asToolTip(const QString &shown);
// One line for rich text (a label or panel that shows HTML): escaped, cut, then HTML-escaped.
QString htmlText(QStringView text, qsizetype maxChars = kCellChars);
// Text for a QLabel or tooltip that must be plain: rich-text look-alikes ("<b>…") are turned into
// HTML that shows them as they are.
QString plainForLabel(const QString &text);
// fm.elidedText() for text that may end in an elision note (" … (N more bytes)"): the note stays
// whole, only what comes before it is cut, so that no cut into the number states a wrong size.
// Where the note does not fit, the text is cut at its end and the note goes with it.
QString elideKeepingNote(const QFontMetrics &fm, const QString &text, Qt::TextElideMode mode, int width);
// The last step of a model's data() that shows strings of a bundle: DisplayRole text through
// cellText(), ToolTipRole text through toolTipText(); other roles and values as they are.
QVariant shownData(const QVariant &value, int role);

// A compact one-line rendering of an event payload: key=value pairs in the object's order
// of keys (sorted), nested values as compact JSON. Non-JSON payloads are shown as safe text.
QString formatPayload(const QByteArray &json);

} // namespace initscope::ui
