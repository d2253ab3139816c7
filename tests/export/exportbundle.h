// A bundle with known calls for the export tests: a process with two threads making driver,
// runtime and NVML calls (one refused), a child that dies of SIGSEGV inside cuInit (an
// unfinished call), library searches and loads, error lines holding HTML, Markdown and
// backtick fences, and a second run whose process has the same pid as the first run's root.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace initscope::test {

inline constexpr char kScriptLine[] = "<script>alert('exported')</script> error: `x` ``` ```` fence";

struct ExportBundle {
    qint64 runId = -1;
    qint64 secondRunId = -1;
    qint64 rootId = -1;   // pid 500, threads 500 and 501, exit 1
    qint64 childId = -1;  // pid 502, SIGSEGV inside cuInit
    qint64 unfinishedCallId = -1;
    qint64 childEndNs = 0;
    int callsInFirstRun = 0;
    int callsInSecondRun = 0;
};

// Writes the bundle to path; false with *why when the writer fails.
bool writeExportBundle(const QString &path, ExportBundle *ids, QString *why);

} // namespace initscope::test
