// Bundles as a stranger could send them, written with BundleWriter: every string a view or the
// CLI shows carries shell syntax that would leave a marker file if anything ran it, terminal
// escape sequences, bidi overrides, zero-width characters, invalid UTF-8 and values of
// megabytes; and bundles of very deep and very wide process trees. Shared by the CLI and GUI
// tests (docs/reliability.md, "Bundles from others").
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace initscope::test {

// The size of the huge argv element, environment value and output line.
inline constexpr qsizetype kHugeBytes = 5 * 1024 * 1024;

struct HostileBundle {
    qint64 runId = -1;       // the hostile run, recorded "on another machine"
    qint64 secondRunId = -1; // a second run, slightly different, so that diff has two
    qint64 rootId = -1;      // its first process: hostile exe, argv, environment, output
    qint64 childId = -1;     // a child whose output holds the 5 MiB line
};

// Shell commands, each of which creates a file in markerDir if anything ran it. Every one of
// them appears in the bundle's strings.
QStringList hostileShellSnippets(const QString &markerDir);

// Writes the bundle to path; the marker files would appear in markerDir. Returns false and
// fills *why when the writer fails.
bool writeHostileBundle(const QString &path, const QString &markerDir, HostileBundle *ids, QString *why);

// One run whose processes form a single chain of fork children `depth` deep, each with a line
// of output; the deepest one dies of SIGSEGV.
bool writeDeepChainBundle(const QString &path, int depth, QString *why);
// One run whose root has `count` children, each exiting 1 after an error line.
bool writeWideBundle(const QString &path, int count, QString *why);

// Where in bytes of what the CLI printed (or a view showed, as UTF-8) something that must never
// reach a terminal or a view raw is: a C0 control but line feed and tab, DEL, a C1 control, a
// bidi control, a zero-width or other invisible format character, or a byte that is not valid
// UTF-8. -1 when there is none; *what says which.
qsizetype findUnsafe(const QByteArray &utf8, QString *what = nullptr);

} // namespace initscope::test
