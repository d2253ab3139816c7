// The lines of a file collected after a run (artifacts of kind "collected", docs/run-config.md)
// placed on the run's time axis: a line that carries a wall-clock time stamp gets its time since
// the run started, from Run::startRealtimeNs. The timeline shows them (docs/timeline.md). QtCore
// only, no I/O: unit-testable.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>
#include <vector>

namespace initscope {

// The wall-clock time a line carries, in ns since the Unix epoch; nothing when it carries none
// of these (leading blanks skipped, each form also inside [brackets] at the line's start):
//  - ISO 8601 at the start: 2026-11-26T22:31:25.123456Z, with a space for the T, with 0 to 9
//    digits of fraction (after '.' or ','), with Z, +hh:mm, +hhmm or no zone (local time);
//  - Go's log stamp at the start, 2026/11/26 22:31:25.123 (local time);
//  - a logfmt field time=… anywhere, quoted or not, holding one of the above (Ollama's server);
//  - Unix epoch seconds at the start, 10 digits with an optional fraction: 1764196285.123.
std::optional<qint64> lineTimestampNs(QByteArrayView line);

// One line placed on the timeline.
struct CollectedLine {
    int number = 0;            // 1-based line number in the file
    qint64 tsNs = 0;           // ns since the run's start
    int continuationLines = 0; // lines without a stamp right after it, taken as part of it
};

struct CollectedLines {
    std::vector<CollectedLine> lines; // in file order
    int lineCount = 0;  // lines in the file
    int stamped = 0;    // lines that carry a stamp, placed or not
    int outsideRun = 0; // stamped lines dropped for lying outside the run
};

// How far outside [0, run duration] a stamp may lie and still be placed (at its own time): the
// stamp's clock and resolution (whole seconds, milliseconds) against the recorder's.
inline constexpr qint64 kCollectedLineSlackNs = 1'000'000'000;

// The stamped lines of content. A line without a stamp continues the stamped line before it (a
// multi-line message, a stack trace) and is not placed on its own; lines before the first stamp
// are not placed. A stamp more than kCollectedLineSlackNs before the run started (an earlier
// run's lines in a log that is appended to) or after it ended is dropped with its continuation
// lines. runDurationNs <= 0: the end is unknown and only the start limits.
CollectedLines placeCollectedLines(const QByteArray &content, qint64 runStartRealtimeNs,
                                   qint64 runDurationNs);

// Line `number` (1-based) of content and its continuation lines, at most maxLines lines and
// about maxChars characters ("…" where cut); empty when there is no such line.
QString collectedMessage(const QByteArray &content, int number, int maxLines = 12,
                         int maxChars = 600);

} // namespace initscope
