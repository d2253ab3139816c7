// A bundle with known content for the report tests: an exec chain, a child forked before the
// exec, a SIGSEGV child with a grandchild, a child that never ended, error lines that span
// chunks, a line far longer than the text view shows and a line that is not valid UTF-8.
#pragma once

#include <QString>

namespace initscope::test {

inline constexpr qint64 kMs = 1000000;

// Ids the writer assigned, for assertions.
struct ReportFixture {
    qint64 runId = -1;
    qint64 shell = -1;   // pid 100, /bin/sh, replaced by exec
    qint64 helper = -1;  // pid 101, forked by the shell before its exec, exit 0
    qint64 runner = -1;  // pid 100 after exec, /usr/bin/runner, exit 1
    qint64 ggml = -1;    // pid 102, child of runner, SIGSEGV with core
    qint64 grandchild = -1; // pid 104, child of ggml, exit 0
    qint64 watcher = -1; // pid 103, child of runner, end unknown
    qint64 secondRunId = -1; // a second run with one process that exits 0
};

// Writes the bundle to path; returns false (and fills *why) when the writer fails.
bool writeReportFixture(const QString &path, ReportFixture *ids, QString *why);

} // namespace initscope::test
