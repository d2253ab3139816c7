// Text that several views show the same way: times, durations, exits, command lines, raw
// bytes. Kept in one place so the process tree, the header and the tests agree to the letter.
#pragma once

#include "data.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

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
// argv as it could be pasted into a POSIX shell.
QString quoteArgv(const QStringList &argv);
// The file name of exe, or of argv[0] when exe is unknown.
QString processName(const Process &process);
// "ollama (4117)".
QString processLabel(const Process &process);

// Shows bytes that may not be text: valid UTF-8 passes through, control characters other
// than tab and invalid bytes become \xNN. At most maxBytes of input are looked at; the
// number of bytes that were left out is stored in *omitted when given.
QString safeText(const QByteArray &bytes, qsizetype maxBytes = -1, qsizetype *omitted = nullptr);
// The same for a byte range of a larger buffer, without copying it.
QString safeText(const char *data, qsizetype size, qsizetype maxBytes = -1,
                 qsizetype *omitted = nullptr);

// A compact one-line rendering of an event payload: key=value pairs in the object's order
// of keys (sorted), nested values as compact JSON. Non-JSON payloads are shown as safe text.
QString formatPayload(const QByteArray &json);

} // namespace initscope::ui
