// Reads what the timeline shows from a bundle file (docs/timeline.md). The index comes from
// one scan of the events columns, with payloads looked at only through SQLite's json_extract
// for the failed flag; details of one event or output chunk are fetched when a view asks
// for them (hover, selection). The lines of collected files that carry a time stamp are
// instants on lanes of their own (collectedlines.h). Each object opens its own read-only
// connection to the file, in the thread that first uses it, so the index can be built off the
// GUI thread while a BundleReader is in use on it.
#pragma once

#include "data.h"
#include "timelineindex.h"

#include <QHash>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

namespace initscope {

struct TimelineLoadStats {
    qint64 eventRows = 0;
    qint64 outputRows = 0;
    qint64 collectedLines = 0; // lines of collected files placed
    qint64 queryMs = 0;  // the events scan, including building the rows
    qint64 arrangeMs = 0; // sorting into lanes and rows
};

// The run's timeline, read from the file at bundlePath. processes give the process lanes in
// the order they should appear. Returns nothing, with *error set, when the file cannot be
// read, or when *stop became true (then *error is empty).
std::optional<TimelineIndex> loadTimelineIndex(const QString &bundlePath, qint64 runId,
                                               qint64 runDurationNs,
                                               const QList<TimelineProcessInfo> &processes,
                                               const std::atomic_bool *stop, QString *error,
                                               TimelineLoadStats *stats = nullptr);

// One event, output chunk or string by id, on demand. Use it from one thread.
class TimelineDetails
{
public:
    explicit TimelineDetails(const QString &bundlePath);
    ~TimelineDetails();
    TimelineDetails(const TimelineDetails &) = delete;
    TimelineDetails &operator=(const TimelineDetails &) = delete;

    QString path() const { return m_path; }
    // The event with its payload; nothing when the id is not in the file.
    std::optional<Event> event(qint64 eventId);
    // The chunk with at most maxBytes of its data; *totalBytes gets its full size.
    std::optional<OutputChunk> output(qint64 outputId, qsizetype maxBytes,
                                      qsizetype *totalBytes = nullptr);
    // The 1-based line of its stream (as OutputPanel counts them) on which the chunk starts.
    int outputLine(qint64 outputId);
    // Line `line` (1-based) of the collected file with that artifacts.id, with the lines that
    // continue it (collectedMessage()); empty when there is no such line.
    QString collectedLine(qint64 artifactId, int line);
    // strings.text, cached; empty for 0 or an unknown id.
    QString string(quint32 stringId);

private:
    struct Connection;
    Connection *connection();

    QString m_path;
    std::unique_ptr<Connection> m_connection;
    QHash<quint32, QString> m_strings;
    QHash<qint64, QByteArray> m_collected; // the content of the collected file last asked for
};

} // namespace initscope
