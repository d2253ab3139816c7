// The report of a recorded run: process tree, how each process ended, the lines of its output
// that look like errors, and the events that led up to each failure. Built once from a bundle
// and shown by both `initscope report` and the GUI, so the two never disagree.
// Text and JSON forms are documented in docs/cli.md.
#pragma once

#include "data.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

namespace initscope {

struct Diagnosis;

class BundleReader;

inline constexpr int kReportJsonVersion = 1;

// One line of one stream of one process image. Lines are split from the chunks of a stream
// concatenated in read order, so a line may span several chunks.
struct OutputLine {
    Stream stream = Stream::Stdout;
    int number = 0;      // 1-based, counted per stream of the image
    qint64 tsNs = 0;     // timestamp of the chunk that holds the line's first byte
    QByteArray bytes;    // without the terminator ("\n" or "\r\n")
    bool terminated = true; // false for a last line that had no newline
};

// Splits the output of one process image into lines, each stream on its own. A line break is
// "\n"; one "\r" right before it (or at the very end of the stream) is part of the break.
// Any other "\r" stays in the line. Lines come back in the order their first byte was read.
QList<OutputLine> splitOutputLines(const QList<OutputChunk> &chunks);

// A line the error rules matched, with what is needed to show it.
struct ErrorLine {
    OutputLine line;
    QString text;       // bytes decoded as UTF-8; invalid sequences become U+FFFD
    bool utf8Valid = true;
    QString rule;       // name of the first rule that matched (see errorRules())
};

// A case-insensitive pattern that marks a line as an error line. The list is deliberately
// short: a false positive costs one extra line in the report, a missed line can hide the one
// message that explains the failure.
struct ErrorRule {
    QString name;
    QString pattern; // QRegularExpression syntax, matched case-insensitively
};
const QList<ErrorRule> &errorRules();
// The name of the first rule that matches line, or an empty string.
QString matchErrorRule(QStringView line);

inline constexpr int kLastEventCount = 10;

// One image in the process tree, in display order (depth-first; an exec successor follows the
// subtree of the image it replaced, at the same depth).
struct ReportProcess {
    Process process;
    int depth = 0;
    // Index into Report::processes of the row this one is drawn under (-1 at top level).
    int treeParent = -1;
    bool execRow = false;            // drawn as "exec →" right after the image it replaced
    bool failed = false;             // non-zero exit, signal or unknown end
    qint64 stdoutBytes = 0;
    qint64 stderrBytes = 0;
    int stdoutLines = 0;
    int stderrLines = 0;
    QList<ErrorLine> errorLines;
    QList<Event> lastEvents;         // up to kLastEventCount, oldest first; only when failed
    // Library requests of this image that no candidate satisfied, each with its whole trail:
    // the first thing to read when a program says "cannot open shared object file".
    QList<LibSearch> failedSearches;
    // Calls at the GPU boundary: totals, resolver traffic in one line, and the calls that
    // tell the story (everything but resolutions), up to kGpuCallLimit.
    int gpuCallCount = 0;
    int resolutions = 0;
    int resolutionsFound = 0;
    QList<Event> gpuCalls;
};

inline constexpr int kGpuCallLimit = 60;


struct Report {
    QString bundlePath;
    int bundleFormatVersion = 0;
    Run run;
    QList<ReportProcess> processes;
    // The diagnosis's first finding in a few lines (core/diagnosis.h), shown first; empty when
    // nothing departed from a healthy bring-up.
    QString topFinding;
};

// Reads everything the report needs for one run. runId must be one of reader.runs().
Report buildReport(const BundleReader &reader, qint64 runId);
// The same with the run's diagnosis already made (an export shows both): not made twice.
Report buildReport(const BundleReader &reader, qint64 runId, const Diagnosis &diagnosis);

// Linux signal numbers (x86-64 and arm64 share them) to names, independent of the host that
// opens the bundle. "SIG?" for numbers without a name.
QString signalName(int signal);
// "exit code 1", "killed by signal SIGSEGV (11) [core dumped]", "still running or unknown",
// "exec'd".
QString describeEnd(const Process &process);
// How a run ended, the reason InitScope stopped it first: "timed out; killed by signal SIGTERM
// (15)", "exit code 1", "unknown".
QString describeRunEnd(const Run &run);
// An argument as a shell would take it back: plain words as they are, others in single quotes.
QString shellQuote(const QString &arg);
// argv joined by spaces, each argument through shellQuote().
QString commandLine(const QStringList &argv);
// ns since run start as milliseconds with three decimals, e.g. "1234.568".
QString formatMs(qint64 ns);

// Human-readable text, one run; ends with a newline.
QString formatReportText(const Report &report);

// The JSON document for one run: {"format": "initscope-report", "version": 1, "bundle": …,
// "runs": [ … ]}. reportsToJson puts any number of runs of one bundle into the same shape, so
// a script reads one document whether it asked for one run or all of them.
QJsonObject reportToJson(const Report &report);
QJsonObject reportsToJson(const QList<Report> &reports, const QString &bundlePath,
                          int bundleFormatVersion);
// The object of one run inside "runs".
QJsonObject runReportToJson(const Report &report);

} // namespace initscope
