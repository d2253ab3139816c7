// What the three exports share (core/export.h): the runs to export, the words for a run's
// header, and the escaping of bundle strings for each target language. Every string of a
// bundle goes through one of these before it reaches an export: display::escape() first, so
// that control, bidi and invisible characters are shown rather than obeyed, then the target's
// own escaping (JSON string, HTML text, Markdown text or code).
#pragma once

#include "data.h"
#include "export.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

namespace initscope {

class BundleReader;
struct Diagnosis;
struct Report;

namespace exportdetail {

// options.runIds, else every run of the bundle; ids the bundle does not hold are dropped.
QList<Run> runsToExport(const BundleReader &reader, const ExportOptions &options);
// "Could not read FILE to the end: …" when a query of the reader failed, else empty.
QString readFailure(const BundleReader &reader);

// The program's file name: the exe's last component, else argv[0]'s, else "?".
QString programName(const Process &process);
// "2026-01-05 10:30:21.118 UTC", or "unknown" for 0.
QString wallTimeUtc(qint64 realtimeNs);
// ns as microseconds with three decimals, the unit of the trace-event format: "1234.567".
QByteArray microseconds(qint64 ns);
// The one-line summary of an event: a call's "summary", else the payload's "text" or
// "reason", else its compact JSON; escaped for display and cut to maxChars.
QString eventSummary(const QByteArray &payload, qsizetype maxChars);

// A JSON string literal, quotes included, that any JSON reader turns back into text: quote,
// backslash and controls escaped as JSON requires, and every display::isEscaped() character
// (bidi controls, zero-width characters, DEL, C1 controls, lone surrogates) as \uXXXX, so a
// viewer shows it as an escape. The output is ASCII-safe UTF-8 and always valid.
void appendJsonString(QByteArray *out, QStringView text);

// Text for HTML element content and attribute values: display::escape() (nothing invisible,
// nothing that reorders), then & < > " ' as character references.
QString html(QStringView text);
// html() of display::elide(text, maxChars).
QString htmlElided(QStringView text, qsizetype maxChars);
// Bytes (output lines) for HTML: invalid UTF-8 shown as \xNN, cut to maxChars.
QString htmlBytes(QByteArrayView bytes, qsizetype maxChars);

// Text for Markdown prose and table cells: display::escape(), then every ASCII punctuation
// character that Markdown or inline HTML gives a meaning ( \ ` * _ { } [ ] ( ) < > # + - ! | ~ & )
// preceded by a backslash, so that it renders as itself.
QString markdownText(QStringView text, qsizetype maxChars);
// An inline code span of text (escaped for display, cut to maxChars) whose backtick
// delimiters are longer than any backtick run inside it.
QString markdownCode(QStringView text, qsizetype maxChars);
// The longest run of consecutive backticks in text.
int longestBacktickRun(QStringView text);
// A fenced code block around lines: the fence is one backtick longer than the longest run in
// them, and at least three.
QString markdownFence(const QStringList &lines, const QString &info = QString());

// The run's timeline as an inline <svg> element: one lane per process and thread as the GUI
// draws them (at most 48), calls and instants merged per pixel column, failures in red, the
// findings of diagnosis as numbered lines. Empty, with *note saying why, when the events
// could not be read; *note also says when lanes were left out.
QString timelineSvg(const BundleReader &reader, const Run &run, const QList<Process> &processes,
                    const Diagnosis &diagnosis, QString *note);

} // namespace exportdetail
} // namespace initscope
