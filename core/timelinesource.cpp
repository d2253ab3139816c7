#include "timelinesource.h"

#include "bundleschema.h"
#include "callpayload.h"
#include "collectedlines.h"

#include <QByteArrayMatcher>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <array>
#include <thread>

namespace initscope {

namespace {

QString errorText(const QSqlError &error)
{
    const QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    return text.isEmpty() ? QStringLiteral("unknown database error") : text;
}

// A read-only connection of the calling thread, removed again on destruction.
class ScopedConnection
{
public:
    explicit ScopedConnection(const QString &path)
        : m_name(bundleschema::uniqueConnectionName("timeline"))
    {
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        m_db.setDatabaseName(path);
        m_db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        m_open = m_db.open();
    }
    ~ScopedConnection()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    ScopedConnection(const ScopedConnection &) = delete;
    ScopedConnection &operator=(const ScopedConnection &) = delete;

    bool isOpen() const { return m_open; }
    QSqlDatabase &db() { return m_db; }

private:
    QString m_name;
    QSqlDatabase m_db;
    bool m_open = false;
};

QString idList(const QList<qint64> &ids)
{
    QStringList parts;
    for (qint64 id : ids)
        parts.append(QString::number(id));
    return parts.isEmpty() ? QStringLiteral("-1") : parts.join(QLatin1Char(','));
}

} // namespace

namespace {

// The kinds whose failure is read from the payload.
struct FailureKinds {
    QList<qint64> calls;
    qint64 search = -1;
};

bool readFailureKinds(QSqlDatabase &db, FailureKinds *kinds, QString *error)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT id, text FROM strings WHERE text IN "
                               "('cuda.call', 'cudart.call', 'nvml.call', 'lib.search')"))) {
        *error = errorText(q.lastError());
        return false;
    }
    while (q.next()) {
        if (q.value(1).toString() == QLatin1String("lib.search"))
            kinds->search = q.value(0).toLongLong();
        else
            kinds->calls.append(q.value(0).toLongLong());
    }
    return true;
}

// A row as the scan reads it: the kind is still the strings.id.
struct ScannedRow {
    TimelineRow row;
    qint64 kindId = 0;
};

// What a payload says about failure. Payloads are compact JSON (docs/bundle-format.md), so a
// call that failed holds the bytes "ok":false and one cut short by its process's end
// "unfinished":true; a byte search picks those few out and only they are parsed, to read the
// top-level key (a nested "result" has an "ok" of its own).
quint8 failureOf(const QByteArray &payload, bool search)
{
    if (isCompactCall(payload))
        return compactCallOk(payload) ? 0 : TimelineFailed;
    static const QByteArrayMatcher okFalse(QByteArrayLiteral("\"ok\":false"));
    static const QByteArrayMatcher unfinishedTrue(QByteArrayLiteral("\"unfinished\":true"));
    static const QByteArrayMatcher notFound(QByteArrayLiteral("\"outcome\":\"not found\""));
    if (search ? notFound.indexIn(payload) < 0
               : okFalse.indexIn(payload) < 0 && unfinishedTrue.indexIn(payload) < 0)
        return 0;
    const QJsonObject json = QJsonDocument::fromJson(payload).object();
    if (search)
        return json.value(QLatin1String("outcome")).toString() == QLatin1String("not found")
                   ? TimelineFailed
                   : 0;
    if (json.value(QLatin1String("unfinished")).toBool())
        return TimelineUnfinished;
    return json.value(QLatin1String("ok")) == QJsonValue(false) ? TimelineFailed : 0;
}

struct StopFlags {
    const std::atomic_bool *caller;
    const std::atomic_bool *local;
    bool operator()() const
    {
        return (caller && caller->load(std::memory_order_relaxed))
               || local->load(std::memory_order_relaxed);
    }
};

// One slice of the events table, ids [firstId, lastId], in table order ("+run_id" keeps SQLite
// from walking the time index, which would read the table in random order). Two slices run side
// by side, each on its own connection. The payload comes along only for the kinds whose failure
// it tells.
struct Slice {
    qint64 firstId = 0;
    qint64 lastId = 0;
    std::vector<ScannedRow> rows;
    QString error;
    bool ok = false;
};

bool scanSlice(const QString &path, qint64 runId, const FailureKinds &kinds, StopFlags stopped,
               Slice *slice)
{
    ScopedConnection connection(path);
    if (!connection.isOpen()) {
        slice->error = errorText(connection.db().lastError());
        return false;
    }
    QSqlQuery q(connection.db());
    q.setForwardOnly(true);
    QList<qint64> withPayload = kinds.calls;
    withPayload.append(kinds.search);
    const QString sql =
        QStringLiteral("SELECT id, process_id, tid, ts_ns, dur_ns, kind_id, name_id,"
                       " CASE WHEN kind_id IN (%1) THEN CAST(payload AS BLOB) END"
                       " FROM events WHERE id BETWEEN ? AND ? AND +run_id = ?")
            .arg(idList(withPayload));
    if (!q.prepare(sql)) {
        slice->error = errorText(q.lastError());
        return false;
    }
    q.bindValue(0, slice->firstId);
    q.bindValue(1, slice->lastId);
    q.bindValue(2, runId);
    if (!q.exec()) {
        slice->error = errorText(q.lastError());
        return false;
    }
    while (q.next()) {
        if ((slice->rows.size() & 0xfff) == 0 && stopped())
            return false;
        ScannedRow r;
        r.row.id = q.value(0).toLongLong();
        const QVariant process = q.value(1);
        r.row.processId = process.isNull() ? -1 : process.toLongLong();
        r.row.tid = q.value(2).toLongLong();
        r.row.tsNs = q.value(3).toLongLong();
        r.row.durNs = q.value(4).toLongLong();
        r.kindId = q.value(5).toLongLong();
        r.row.nameId = quint32(q.value(6).toLongLong());
        const QVariant payload = q.value(7);
        if (!payload.isNull())
            r.row.flags = failureOf(payload.toByteArray(), r.kindId == kinds.search);
        slice->rows.push_back(r);
    }
    if (q.lastError().type() != QSqlError::NoError) {
        slice->error = errorText(q.lastError());
        return false;
    }
    return true;
}

// The collected files of the run (artifacts of kind "collected"): a lane for each that has a
// line placed on the run's time axis, an instant per such line, as output chunks are placed.
bool addCollectedFiles(QSqlDatabase &db, qint64 runId, qint64 runDurationNs,
                       TimelineIndexBuilder *builder, QStringList *kinds, TimelineLoadStats *stats,
                       QString *error)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.prepare(QStringLiteral(
            "SELECT r.start_realtime_ns, a.id, p.text, a.content FROM artifacts a"
            " JOIN runs r ON r.id = a.run_id JOIN strings k ON k.id = a.kind_id"
            " LEFT JOIN strings p ON p.id = a.path_id"
            " WHERE a.run_id = ? AND k.text = 'collected' ORDER BY a.id"))) {
        *error = errorText(q.lastError());
        return false;
    }
    q.bindValue(0, runId);
    if (!q.exec()) {
        *error = errorText(q.lastError());
        return false;
    }
    int kind = -1;
    while (q.next()) {
        const qint64 artifactId = q.value(1).toLongLong();
        const QString path = q.value(2).toString();
        const CollectedLines placed =
            placeCollectedLines(q.value(3).toByteArray(), q.value(0).toLongLong(), runDurationNs);
        if (placed.lines.empty())
            continue;
        if (kind < 0) {
            kind = int(kinds->size());
            kinds->append(QStringLiteral("collected"));
        }
        const int lane = builder->addCollectedLane(QFileInfo(path).fileName(), path);
        for (const CollectedLine &line : placed.lines) {
            TimelineRow row;
            row.id = artifactId;
            row.tsNs = line.tsNs;
            row.nameId = quint32(line.number);
            row.kind = quint16(kind);
            row.family = TimelineFamily::Output;
            row.flags = TimelineFromCollected;
            builder->addToLane(lane, row);
        }
        stats->collectedLines += qint64(placed.lines.size());
    }
    if (q.lastError().type() != QSqlError::NoError) {
        *error = errorText(q.lastError());
        return false;
    }
    return true;
}

} // namespace

std::optional<TimelineIndex> loadTimelineIndex(const QString &bundlePath, qint64 runId,
                                               qint64 runDurationNs,
                                               const QList<TimelineProcessInfo> &processes,
                                               const std::atomic_bool *stop, QString *error,
                                               TimelineLoadStats *stats)
{
    TimelineLoadStats scratch;
    TimelineLoadStats &st = stats ? *stats : scratch;
    auto fail = [&](const QString &detail) -> std::optional<TimelineIndex> {
        if (error)
            *error = QStringLiteral("Could not read the timeline of %1: %2.").arg(bundlePath, detail);
        return std::nullopt;
    };
    auto stopped = [&] { return stop && stop->load(std::memory_order_relaxed); };
    QElapsedTimer timer;
    timer.start();
    TimelineIndexBuilder builder(runId, processes);
    builder.setDurationNs(runDurationNs);
    QStringList kinds;
    {
        // Scoped so that every query is gone before the connection is removed.
        ScopedConnection connection(bundlePath);
        if (!connection.isOpen())
            return fail(errorText(connection.db().lastError()));
        FailureKinds failureKinds;
        QString failure;
        if (!readFailureKinds(connection.db(), &failureKinds, &failure))
            return fail(failure);
        qint64 maxId = 0;
        {
            QSqlQuery q(connection.db());
            if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM events")) || !q.next())
                return fail(errorText(q.lastError()));
            maxId = q.value(0).toLongLong();
        }

        // The second half of the table in another thread, the first one here.
        std::array<Slice, 2> slices;
        slices[0].firstId = 0;
        slices[0].lastId = maxId / 2;
        slices[1].firstId = maxId / 2 + 1;
        slices[1].lastId = maxId;
        std::atomic_bool abandon = false; // set when this thread gives up early
        const StopFlags stopFlags{stop, &abandon};
        std::thread other([&] {
            slices[1].ok = scanSlice(bundlePath, runId, failureKinds, stopFlags, &slices[1]);
        });
        struct JoinGuard {
            std::thread &thread;
            std::atomic_bool &abandon;
            ~JoinGuard()
            {
                abandon = true;
                if (thread.joinable())
                    thread.join();
            }
        } guard{other, abandon};
        slices[0].ok = scanSlice(bundlePath, runId, failureKinds, stopFlags, &slices[0]);
        if (!slices[0].ok)
            abandon = true;
        other.join();
        if (stopped())
            return std::nullopt;
        for (const Slice &slice : slices)
            if (!slice.ok)
                return fail(slice.error);

        // Kinds: a few distinct ids, each looked up once.
        QSqlQuery kindText(connection.db());
        kindText.setForwardOnly(true);
        kindText.prepare(QStringLiteral("SELECT text FROM strings WHERE id = ?"));
        QList<TimelineFamily> kindFamily;
        QHash<qint64, quint16> kindIndex;
        auto kindOf = [&](qint64 kindId) -> quint16 {
            const auto it = kindIndex.constFind(kindId);
            if (it != kindIndex.constEnd())
                return *it;
            kindText.bindValue(0, kindId);
            QString text;
            if (kindText.exec() && kindText.next())
                text = kindText.value(0).toString();
            kindText.finish();
            const quint16 index = quint16(std::min<qsizetype>(kinds.size(), 0xffff));
            if (kinds.size() < 0xffff) {
                kinds.append(text);
                kindFamily.append(timelineFamilyOfKind(text));
            }
            kindIndex.insert(kindId, index);
            return index;
        };
        qint64 lastKindId = -1;
        quint16 lastKind = 0;
        for (Slice &slice : slices) {
            for (ScannedRow &r : slice.rows) {
                if (r.kindId != lastKindId) {
                    lastKind = kindOf(r.kindId);
                    lastKindId = r.kindId;
                }
                r.row.kind = lastKind;
                r.row.family = kindFamily.value(lastKind, TimelineFamily::Other);
                builder.add(r.row);
            }
            st.eventRows += qint64(slice.rows.size());
            slice.rows = {};
        }
        kindText.finish();

        // Output chunks: instants on their process's lane; their bytes stay in the file.
        const quint16 outputKind = quint16(kinds.size());
        kinds.append(QStringLiteral("output"));
        QSqlQuery o(connection.db());
        o.setForwardOnly(true);
        if (!o.prepare(QStringLiteral("SELECT o.id, o.process_id, o.stream, o.ts_ns FROM output o"
                                      " JOIN processes p ON p.id = o.process_id WHERE p.run_id = ?")))
            return fail(errorText(o.lastError()));
        o.bindValue(0, runId);
        if (!o.exec())
            return fail(errorText(o.lastError()));
        while (o.next()) {
            if ((++st.outputRows & 0xfff) == 0 && stopped())
                return std::nullopt;
            TimelineRow row;
            row.id = o.value(0).toLongLong();
            row.processId = o.value(1).toLongLong();
            row.tsNs = o.value(3).toLongLong();
            row.kind = outputKind;
            row.family = TimelineFamily::Output;
            row.flags = quint8(TimelineFromOutput
                               | (o.value(2).toInt() == int(Stream::Stderr) ? TimelineStderr : 0));
            builder.add(row);
        }
        if (o.lastError().type() != QSqlError::NoError)
            return fail(errorText(o.lastError()));
        o.finish();

        if (!addCollectedFiles(connection.db(), runId, runDurationNs, &builder, &kinds, &st, &failure))
            return fail(failure);
    }
    st.queryMs = timer.restart();

    builder.setKinds(kinds);
    TimelineIndex result = builder.finish();
    // Process exits take their failure from the process, not from the payload.
    for (TimelineLane &lane : result.lanes) {
        if (lane.kind != TimelineLane::Kind::Process || !lane.failedEnd)
            continue;
        std::vector<TimelineItem> items = lane.instants.items();
        bool changed = false;
        for (TimelineItem &item : items) {
            if (item.family == TimelineFamily::Process
                && result.kinds.value(item.kind) == QLatin1String("process.exit")) {
                item.flags |= TimelineFailed | (lane.crashed ? TimelineCrash : 0);
                changed = true;
            }
        }
        if (changed)
            lane.instants = TimelineTrack(std::move(items));
    }
    st.arrangeMs = timer.elapsed();
    return result;
}

// ---------------------------------------------------------------------------------------------
// TimelineDetails

struct TimelineDetails::Connection {
    explicit Connection(const QString &path) : scoped(path), event(scoped.db()), output(scoped.db()),
        text(scoped.db()), before(scoped.db()), artifact(scoped.db())
    {
        for (QSqlQuery *q : {&event, &output, &text, &before, &artifact})
            q->setForwardOnly(true);
        event.prepare(QStringLiteral(
            "SELECT e.id, e.run_id, e.process_id, e.tid, e.ts_ns, e.dur_ns, k.text, n.text,"
            " CAST(e.payload AS BLOB) FROM events e LEFT JOIN strings k ON k.id = e.kind_id"
            " LEFT JOIN strings n ON n.id = e.name_id WHERE e.id = ?"));
        output.prepare(QStringLiteral("SELECT id, process_id, stream, ts_ns, substr(data, 1, ?),"
                                      " length(data) FROM output WHERE id = ?"));
        text.prepare(QStringLiteral("SELECT text FROM strings WHERE id = ?"));
        before.prepare(QStringLiteral("SELECT data FROM output WHERE process_id = ? AND stream = ?"
                                      " AND id < ? ORDER BY id"));
        artifact.prepare(QStringLiteral("SELECT content FROM artifacts WHERE id = ?"));
    }
    ~Connection()
    {
        for (QSqlQuery *q : {&event, &output, &text, &before, &artifact})
            *q = QSqlQuery();
    }
    ScopedConnection scoped;
    QSqlQuery event, output, text, before, artifact;
};

TimelineDetails::TimelineDetails(const QString &bundlePath) : m_path(bundlePath) {}

TimelineDetails::~TimelineDetails() = default;

TimelineDetails::Connection *TimelineDetails::connection()
{
    if (!m_connection)
        m_connection = std::make_unique<Connection>(m_path);
    return m_connection->scoped.isOpen() ? m_connection.get() : nullptr;
}

std::optional<Event> TimelineDetails::event(qint64 eventId)
{
    Connection *c = connection();
    if (!c)
        return std::nullopt;
    QSqlQuery &q = c->event;
    q.bindValue(0, eventId);
    std::optional<Event> out;
    if (q.exec() && q.next()) {
        Event e;
        e.id = q.value(0).toLongLong();
        e.runId = q.value(1).toLongLong();
        e.processId = q.value(2).isNull() ? -1 : q.value(2).toLongLong();
        e.tid = q.value(3).toLongLong();
        e.tsNs = q.value(4).toLongLong();
        e.durNs = q.value(5).toLongLong();
        e.kind = q.value(6).toString();
        e.name = q.value(7).toString();
        e.payload = expandCallPayload(e.name, q.value(8).toByteArray());
        out = e;
    }
    q.finish();
    return out;
}

std::optional<OutputChunk> TimelineDetails::output(qint64 outputId, qsizetype maxBytes,
                                                   qsizetype *totalBytes)
{
    Connection *c = connection();
    if (!c)
        return std::nullopt;
    QSqlQuery &q = c->output;
    q.bindValue(0, qint64(std::max<qsizetype>(maxBytes, 0)));
    q.bindValue(1, outputId);
    std::optional<OutputChunk> out;
    if (q.exec() && q.next()) {
        OutputChunk chunk;
        chunk.id = q.value(0).toLongLong();
        chunk.processId = q.value(1).toLongLong();
        chunk.stream = bundleschema::streamFromInt(q.value(2).toLongLong());
        chunk.tsNs = q.value(3).toLongLong();
        chunk.data = q.value(4).toByteArray();
        if (totalBytes)
            *totalBytes = qsizetype(q.value(5).toLongLong());
        out = chunk;
    }
    q.finish();
    return out;
}

int TimelineDetails::outputLine(qint64 outputId)
{
    const std::optional<OutputChunk> chunk = output(outputId, 0);
    Connection *c = connection();
    if (!chunk || !c)
        return 0;
    QSqlQuery &q = c->before;
    q.bindValue(0, chunk->processId);
    q.bindValue(1, int(chunk->stream));
    q.bindValue(2, outputId);
    int line = 1;
    if (q.exec()) {
        while (q.next())
            line += int(q.value(0).toByteArray().count('\n'));
    }
    q.finish();
    return line;
}

QString TimelineDetails::collectedLine(qint64 artifactId, int line)
{
    auto it = m_collected.constFind(artifactId);
    if (it == m_collected.constEnd()) {
        QByteArray content;
        if (Connection *c = connection()) {
            c->artifact.bindValue(0, artifactId);
            if (c->artifact.exec() && c->artifact.next())
                content = c->artifact.value(0).toByteArray();
            c->artifact.finish();
        }
        // Only the file last asked for is kept: a hover moves along one lane at a time.
        m_collected.clear();
        it = m_collected.insert(artifactId, content);
    }
    return collectedMessage(*it, line);
}

QString TimelineDetails::string(quint32 stringId)
{
    if (stringId == 0)
        return {};
    const auto it = m_strings.constFind(stringId);
    if (it != m_strings.constEnd())
        return *it;
    QString text;
    if (Connection *c = connection()) {
        c->text.bindValue(0, qint64(stringId));
        if (c->text.exec() && c->text.next())
            text = c->text.value(0).toString();
        c->text.finish();
    }
    m_strings.insert(stringId, text);
    return text;
}

} // namespace initscope
