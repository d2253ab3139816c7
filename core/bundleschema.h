// What BundleWriter and BundleReader share: the SQL of the current format, the checks made on
// a file before SQLite is allowed near it, and the file-system steps of an atomic save.
// docs/bundle-format.md is the prose form of the SQL here; change both together.
#pragma once

#include "bundle.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope::bundleschema {

inline constexpr char kFormatVersionKey[] = "format_version";
inline constexpr char kWriterVersionKey[] = "writer_version";
inline constexpr char kCreatedKey[] = "created_utc";

// CREATE TABLE statements of the current version, in order.
QStringList createTables();
// CREATE INDEX statements, run once at commit so that inserts never maintain them.
QStringList createIndexes();

// Every statement the writer and the reader run, kept beside the tables they depend on.
// Placeholders are positional; bundle.cpp binds and reads columns in the order written here.
enum WriterStatement : int {
    InsertString, SetMeta, InsertRun, UpdateRun, InsertProcess, UpdateProcess,
    DeleteArgv, DeleteEnv, InsertArgv, InsertEnv, InsertOutput, InsertEvent,
    InsertSearch, InsertStep, InsertLoad, InsertArtifact, FindString, WriterStatementCount
};
const char *writerSql(WriterStatement statement);

// "OfProcess" variants take (process id, run id); the others take the run id alone. "OfKind"
// variants take the event kind's text last.
enum ReaderStatement : int {
    ReadMeta, ReadRuns, ReadProcessesOfRun, ReadProcess, ReadArgvOfRun, ReadEnvOfRun,
    ReadArgvOfProcess, ReadEnvOfProcess, ReadOutput, ReadOutputSize, ReadEventsOfRun,
    ReadEventsOfProcess, ReadEventCountOfRun, ReadEventCountOfProcess, ReadSearchesOfRun,
    ReadSearchesOfProcess, ReadStepsOfRun, ReadStepsOfProcess, ReadLoadsOfRun,
    ReadLoadsOfProcess, ReadArtifacts, ReadEventsOfKindOfRun, ReadEventsOfKindOfProcess,
    ReaderStatementCount
};
const char *readerSql(ReaderStatement statement);

// QSqlQuery::bindValue(int) formats and hashes a placeholder name for every value it binds,
// which costs more than the insert itself; binding by a prebuilt name is much cheaper. So the
// SQL above is prepared with each "?" turned into ":p0", ":p1", ... and bound by name.
QString withNamedPlaceholders(const char *sql);
const QString &placeholder(int index);

// A fresh QSqlDatabase connection name; connections are process-global in QtSql, so two
// writers or readers alive at once must never share one.
QString uniqueConnectionName(const char *role);

// Values read from a file are not trusted to be in range.
EndReason endReasonFromInt(qint64 value);
Stream streamFromInt(qint64 value);
SearchOutcome searchOutcomeFromInt(qint64 value);

// runs.command is a JSON array of strings; anything else reads as an empty list.
QString commandToJson(const QStringList &command);
QStringList commandFromJson(const QByteArray &json);

// Looks at the file with plain reads (existence, size, the 100-byte SQLite header) and
// returns the error that makes it unusable, or nothing when SQLite may open it.
std::optional<BundleError> checkFileBeforeOpen(const QString &path);

BundleError corruptError(const QString &path, const QString &detail);

// Atomic-save steps. Each returns false and fills *error (a short reason) on failure.
// Creates ".<name>.tmp-XXXXXX" next to finalPath, honouring umask (or the mode of an
// existing finalPath), and returns its path, empty on failure.
QString createTemporarySibling(const QString &finalPath, QString *error);
bool syncFile(const QString &path, QString *error);
bool syncDirectoryOf(const QString &path, QString *error);
bool renameOver(const QString &from, const QString &to, QString *error);

// Appending (BundleWriter::append). Opens path and takes an exclusive advisory lock on it, so
// that two appenders never both copy the same bundle and the second rename loses the first's
// run. Retries when the path was renamed over between open and lock. Returns the descriptor,
// or -1 with *error (which says so when another appender holds the lock).
int lockForAppend(const QString &path, QString *error);
// Copies the whole file behind fd (from its start) into the existing file at path.
bool copyInto(int fd, const QString &path, QString *error);

} // namespace initscope::bundleschema
