// The bundle: one SQLite file (.initscope) that holds one or more recorded runs.
// Format documented in docs/bundle-format.md. Writers always write the current version;
// readers accept every older version and refuse newer ones.
#pragma once

#include "data.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace initscope {

inline constexpr int kBundleFormatVersion = 2;
inline constexpr int kBundleMinReadableVersion = 1;

// Why a bundle could not be opened or saved. message is one sentence a user can act on and
// names the file.
struct BundleError {
    enum class Code { Missing, Unreadable, Empty, NotSqlite, NotABundle, Corrupt, TooNew, Io };
    Code code = Code::Io;
    QString message;
};

// Writes a new bundle to a temporary file next to the target and moves it into place only on
// commit(): a half-written bundle never replaces anything. Not thread-safe; one writer per
// file. Every add* returns the row id it assigned. append() does the same for a bundle that
// gets one more run (docs/bundle-format.md, Appending).
class BundleWriter
{
public:
    ~BundleWriter();
    BundleWriter(const BundleWriter &) = delete;
    BundleWriter &operator=(const BundleWriter &) = delete;

    // Starts a bundle that will become finalPath on commit().
    static std::unique_ptr<BundleWriter> create(const QString &finalPath, BundleError *error);
    // Adds to the bundle at existingPath. The file is checked as BundleReader::open() checks it
    // and copied to a temporary file next to it; commit() renames the copy over the original,
    // so an append that fails, is aborted or is killed leaves the original as it was. Rows
    // already in the file keep their ids and content; new rows get ids after the highest.
    // A bundle of an older readable version is brought to the current one (its rows stay
    // as they are: version 2 only adds a stored form of call payloads). One writer at a
    // time (a second gets an Io error while the first is open). nullptr with *error (the
    // reader's error for a damaged file or one that is not a bundle) when it cannot be done.
    static std::unique_ptr<BundleWriter> append(const QString &existingPath, BundleError *error);

    void setMetadata(const QString &key, const QString &value);
    qint64 addRun(const Run &run);
    void updateRun(const Run &run); // run.id must come from addRun
    qint64 addProcess(const Process &process);
    void updateProcess(const Process &process);
    qint64 addOutput(const OutputChunk &chunk);
    qint64 addEvent(const Event &event);
    qint64 addLibSearch(const LibSearch &search); // also adds its "lib.search" event
    qint64 addLibLoad(const LibLoad &load);       // also adds its "lib.load" event
    qint64 addArtifact(const Artifact &artifact);

    // Finishes the file (indexes, fsync) and renames it to finalPath atomically.
    bool commit(BundleError *error);
    // Drops the temporary file.
    void abort();

    QString temporaryPath() const;

private:
    BundleWriter();
    struct Private;
    std::unique_ptr<Private> d;
};

// Read access to a bundle. All queries are answered from the file on demand, so a bundle of
// millions of events opens at once. Returned ids are the row ids of the file. Use it from the
// thread that opened it: a QtSql connection belongs to its thread.
class BundleReader
{
public:
    ~BundleReader();
    BundleReader(const BundleReader &) = delete;
    BundleReader &operator=(const BundleReader &) = delete;

    // Validates the file (existence, SQLite header, integrity, schema version) and returns
    // nullptr with *error filled in when it cannot be used.
    static std::unique_ptr<BundleReader> open(const QString &path, BundleError *error);

    QString path() const;
    int formatVersion() const;
    QMap<QString, QString> metadata() const;

    QList<Run> runs() const;
    QList<Process> processes(qint64 runId) const;
    std::optional<Process> process(qint64 processId) const;
    // Every chunk of the process's output, both streams, in the order it was read.
    QList<OutputChunk> output(qint64 processId) const;
    qint64 outputSize(qint64 processId) const;
    // Events of one process (or of the whole run when processId < 0), ordered by time.
    QList<Event> events(qint64 runId, qint64 processId = -1) const;
    qint64 eventCount(qint64 runId, qint64 processId = -1) const;
    // Only the events of one kind ("lib.alternatives", …), of a process or of the whole run.
    QList<Event> eventsOfKind(qint64 runId, qint64 processId, const QString &kind) const;
    QList<LibSearch> libSearches(qint64 runId, qint64 processId = -1) const;
    QList<LibLoad> libLoads(qint64 runId, qint64 processId = -1) const;
    QList<Artifact> artifacts(qint64 runId) const;

    // Set once a query could not be answered from the file (damaged, or changed on disk after
    // open()); that query returned an empty or partial result. Empty while all is well.
    std::optional<BundleError> queryError() const;

private:
    BundleReader();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace initscope
