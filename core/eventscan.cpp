#include "eventscan.h"

#include "callpayload.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace initscope {

namespace {

bool contains(QByteArrayView haystack, QByteArrayView needle)
{
    return haystack.size() >= needle.size()
           && ::memmem(haystack.data(), size_t(haystack.size()), needle.data(), size_t(needle.size()))
                  != nullptr;
}

} // namespace

// Strings and nested objects are skipped as a whole, so a nested "ok" is never taken for the
// object's own.
QByteArrayView topLevelJsonValue(QByteArrayView json, QByteArrayView key)
{
    int depth = 0;
    bool inString = false;
    qsizetype stringStart = -1;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
                // A key of the outer object: "key" followed by ':'.
                if (depth == 1 && i + 1 < json.size() && json[i + 1] == ':'
                    && json.sliced(stringStart + 1, i - stringStart - 1) == key) {
                    // The value: to the ',' or '}' that ends it at this level.
                    qsizetype end = i + 2;
                    int nested = 0;
                    bool quoted = false;
                    for (; end < json.size(); ++end) {
                        const char v = json[end];
                        if (quoted) {
                            if (v == '\\')
                                ++end;
                            else if (v == '"')
                                quoted = false;
                        } else if (v == '"') {
                            quoted = true;
                        } else if (v == '{' || v == '[') {
                            ++nested;
                        } else if (v == '}' || v == ']') {
                            if (nested-- == 0)
                                break;
                        } else if (v == ',' && nested == 0) {
                            break;
                        }
                    }
                    // A backslash as the last byte (a value cut short) skipped past the end.
                    end = std::min(end, json.size());
                    return json.sliced(i + 2, end - i - 2);
                }
            }
            continue;
        }
        if (c == '"') {
            inString = true;
            stringStart = i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return {};
}

CallStatus callStatusOfPayload(QByteArrayView payload)
{
    if (isCompactCall(payload))
        return compactCallOk(payload) ? CallStatus::Ok : CallStatus::Failed;
    // Payloads are compact JSON (docs/bundle-format.md).
    const bool okFalse = contains(payload, "\"ok\":false");
    const bool unfinished = contains(payload, "\"unfinished\"");
    if (!okFalse && !unfinished && contains(payload, "\"ok\":"))
        return CallStatus::Ok;
    if (unfinished && topLevelJsonValue(payload, "unfinished") == QByteArrayView("true"))
        return CallStatus::Unfinished;
    const QByteArrayView ok = topLevelJsonValue(payload, "ok");
    if (ok == QByteArrayView("false"))
        return CallStatus::Failed;
    if (ok == QByteArrayView("true"))
        return CallStatus::Ok;
    // No top-level "ok": older payloads, where the result (or a bare code) decides.
    const QJsonObject p = QJsonDocument::fromJson(payload.toByteArray()).object();
    const QJsonObject result = p.value(QLatin1String("result")).toObject();
    const qint64 code = result.contains(QLatin1String("code")) ? result.value(QLatin1String("code")).toInteger()
                                                               : p.value(QLatin1String("code")).toInteger(0);
    return result.value(QLatin1String("ok")).toBool(code == 0) ? CallStatus::Ok : CallStatus::Failed;
}

bool isCallKind(QStringView kind)
{
    return kind == QLatin1String("cuda.call") || kind == QLatin1String("cudart.call")
           || kind == QLatin1String("nvml.call");
}

struct EventScanner::Private {
    QString path;
    sqlite3 *db = nullptr;
    QHash<qint32, QString> texts;
    QHash<QString, qint32> ids;
    QList<qint32> callKinds;

    ~Private()
    {
        if (db)
            sqlite3_close(db);
    }

    QString lastError() const
    {
        return db ? QString::fromUtf8(sqlite3_errmsg(db)) : QStringLiteral("not open");
    }

    // A prepared statement that finalises itself.
    struct Statement {
        sqlite3_stmt *stmt = nullptr;
        ~Statement() { sqlite3_finalize(stmt); }
    };

    bool prepare(Statement &s, const QByteArray &sql, QString *error) const
    {
        if (sqlite3_prepare_v2(db, sql.constData(), int(sql.size()), &s.stmt, nullptr) == SQLITE_OK)
            return true;
        if (error)
            *error = lastError();
        return false;
    }

    // "kind_id IN (…)" for the query's kinds; an empty string for every kind, "0" (no row) for
    // kinds the bundle never uses.
    QByteArray kindFilter(const EventScanQuery &q) const
    {
        if (q.kinds.isEmpty())
            return {};
        QByteArray list;
        for (const QString &kind : q.kinds) {
            const qint32 id = ids.value(kind, 0);
            if (id == 0)
                continue;
            if (!list.isEmpty())
                list += ',';
            list += QByteArray::number(id);
        }
        return " AND kind_id IN (" + (list.isEmpty() ? QByteArray("0") : list) + ")";
    }

    QByteArray nameFilter(const EventScanQuery &q) const
    {
        if (q.namePrefixes.isEmpty())
            return {};
        QByteArray list;
        for (auto it = texts.constBegin(); it != texts.constEnd(); ++it) {
            const bool match = std::any_of(q.namePrefixes.begin(), q.namePrefixes.end(),
                                           [&](const QString &prefix) { return it.value().startsWith(prefix); });
            if (match)
                list += (list.isEmpty() ? "" : ",") + QByteArray::number(it.key());
        }
        return " AND name_id IN (" + (list.isEmpty() ? QByteArray("0") : list) + ")";
    }

    // tableScan: filter the process on the table's rows ("+process_id" keeps SQLite off the
    // process index), which reads the file front to back — faster than the index's random
    // row lookups when the process has most of the file's rows.
    QByteArray where(const EventScanQuery &q, bool tableScan = false) const
    {
        QByteArray sql = " WHERE +run_id = " + QByteArray::number(q.runId);
        if (q.processId >= 0)
            sql += (tableScan ? " AND +process_id = " : " AND process_id = ") + QByteArray::number(q.processId);
        return sql + kindFilter(q) + nameFilter(q);
    }
};

EventScanner::EventScanner() : d(std::make_unique<Private>()) {}
EventScanner::~EventScanner() = default;

std::unique_ptr<EventScanner> EventScanner::open(const QString &path, QString *error)
{
    std::unique_ptr<EventScanner> scanner(new EventScanner);
    Private &p = *scanner->d;
    p.path = path;
    const QByteArray file = QFile::encodeName(path);
    if (sqlite3_open_v2(file.constData(), &p.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr)
        != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, p.lastError());
        return nullptr;
    }
    Private::Statement s;
    if (!p.prepare(s, "SELECT id, text FROM strings", error))
        return nullptr;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
        const qint32 id = sqlite3_column_int(s.stmt, 0);
        const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(s.stmt, 1));
        const QString value = QString::fromUtf8(text, sqlite3_column_bytes(s.stmt, 1));
        p.texts.insert(id, value);
        p.ids.insert(value, id);
    }
    if (rc != SQLITE_DONE) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, p.lastError());
        return nullptr;
    }
    for (const char *kind : {"cuda.call", "cudart.call", "nvml.call"}) {
        if (const qint32 id = p.ids.value(QString::fromLatin1(kind)))
            p.callKinds.append(id);
    }
    return scanner;
}

QString EventScanner::path() const
{
    return d->path;
}

QString EventScanner::text(qint32 stringId) const
{
    return d->texts.value(stringId);
}

qint32 EventScanner::stringId(const QString &text) const
{
    return d->ids.value(text, 0);
}

bool EventScanner::scan(const EventScanQuery &query, const Visitor &visit, QString *error) const
{
    return scanRows(query, query.inTimeOrder, visit, error);
}

bool EventScanner::scanRows(const EventScanQuery &query, bool ordered, const Visitor &visit,
                            QString *error) const
{
    // The payload comes out of SQLite only for calls (their status is in it) or when asked for.
    QByteArray callList;
    for (qint32 id : d->callKinds)
        callList += (callList.isEmpty() ? "" : ",") + QByteArray::number(id);
    const QByteArray payloadColumn =
        query.withPayload ? QByteArray("payload")
                          : "CASE WHEN kind_id IN (" + (callList.isEmpty() ? QByteArray("0") : callList)
                                + ") THEN payload END";
    bool tableScan = false;
    if (!ordered && query.processId >= 0) {
        Private::Statement span;
        if (d->prepare(span, "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM events", nullptr)
            && sqlite3_step(span.stmt) == SQLITE_ROW)
            tableScan = countOfProcess(query.processId) * 2 > sqlite3_column_int64(span.stmt, 0);
    }
    const QByteArray sql = "SELECT id, process_id, tid, ts_ns, dur_ns, kind_id, name_id, " + payloadColumn
                           + " FROM events" + d->where(query, tableScan) + (ordered ? " ORDER BY ts_ns, id" : "");
    Private::Statement s;
    if (!d->prepare(s, sql, error))
        return false;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
        EventRow row;
        row.id = sqlite3_column_int64(s.stmt, 0);
        row.processId = sqlite3_column_type(s.stmt, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(s.stmt, 1);
        row.tid = sqlite3_column_int64(s.stmt, 2);
        row.tsNs = sqlite3_column_int64(s.stmt, 3);
        row.durNs = sqlite3_column_int64(s.stmt, 4);
        row.kindId = sqlite3_column_int(s.stmt, 5);
        row.nameId = sqlite3_column_type(s.stmt, 6) == SQLITE_NULL ? 0 : sqlite3_column_int(s.stmt, 6);
        const auto *bytes = static_cast<const char *>(sqlite3_column_blob(s.stmt, 7));
        const QByteArrayView payload(bytes, bytes ? sqlite3_column_bytes(s.stmt, 7) : 0);
        if (d->callKinds.contains(row.kindId))
            row.status = callStatusOfPayload(payload);
        if (query.withPayload && !query.storedPayload && isCompactCall(payload)) {
            // Readers get the JSON; the stored form is the bundle's business (callpayload.h).
            const QByteArray json = expandCallPayload(text(row.nameId), payload.toByteArray());
            if (!visit(row, json))
                return true;
            continue;
        }
        if (!visit(row, query.withPayload ? payload : QByteArrayView()))
            return true;
    }
    if (rc != SQLITE_DONE) {
        if (error)
            *error = d->lastError();
        return false;
    }
    return true;
}

std::vector<EventRow> EventScanner::rows(const EventScanQuery &query, QString *error) const
{
    std::vector<EventRow> out;
    EventScanQuery lean = query;
    lean.withPayload = false;
    // In table order, which reads the file front to back, then sorted here: walking the time
    // index would read the table in random order.
    scanRows(lean, false, [&out](const EventRow &row, QByteArrayView) {
        out.push_back(row);
        return true;
    }, error);
    std::sort(out.begin(), out.end(), [](const EventRow &a, const EventRow &b) {
        return a.tsNs != b.tsNs ? a.tsNs < b.tsNs : a.id < b.id;
    });
    return out;
}

qint64 EventScanner::count(const EventScanQuery &query, QString *error) const
{
    Private::Statement s;
    if (!d->prepare(s, "SELECT COUNT(*) FROM events" + d->where(query), error))
        return 0;
    if (sqlite3_step(s.stmt) != SQLITE_ROW) {
        if (error)
            *error = d->lastError();
        return 0;
    }
    return sqlite3_column_int64(s.stmt, 0);
}

qint64 EventScanner::countOfProcess(qint64 processId, QString *error) const
{
    Private::Statement s;
    if (!d->prepare(s, "SELECT COUNT(*) FROM events WHERE process_id = " + QByteArray::number(processId), error))
        return 0;
    if (sqlite3_step(s.stmt) != SQLITE_ROW) {
        if (error)
            *error = d->lastError();
        return 0;
    }
    return sqlite3_column_int64(s.stmt, 0);
}

QHash<qint64, QByteArray> EventScanner::payloads(const QList<qint64> &ids, QString *error) const
{
    QHash<qint64, QByteArray> out;
    Private::Statement s;
    if (ids.isEmpty() || !d->prepare(s, "SELECT payload, name_id FROM events WHERE id = ?", error))
        return out;
    for (qint64 id : ids) {
        sqlite3_reset(s.stmt);
        sqlite3_bind_int64(s.stmt, 1, id);
        const int rc = sqlite3_step(s.stmt);
        if (rc == SQLITE_ROW) {
            const auto *bytes = static_cast<const char *>(sqlite3_column_blob(s.stmt, 0));
            const QByteArray stored(bytes, bytes ? sqlite3_column_bytes(s.stmt, 0) : 0);
            out.insert(id, isCompactCall(stored) ? expandCallPayload(text(sqlite3_column_int(s.stmt, 1)), stored)
                                                 : stored);
        } else if (rc != SQLITE_DONE) {
            if (error)
                *error = d->lastError();
            break;
        }
    }
    return out;
}

std::optional<Event> EventScanner::event(qint64 id, QString *error) const
{
    Private::Statement s;
    if (!d->prepare(s, "SELECT run_id, process_id, tid, ts_ns, dur_ns, kind_id, name_id, payload"
                       " FROM events WHERE id = ?", error))
        return std::nullopt;
    sqlite3_bind_int64(s.stmt, 1, id);
    const int rc = sqlite3_step(s.stmt);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE && error)
            *error = d->lastError();
        return std::nullopt;
    }
    EventRow row;
    row.id = id;
    row.processId = sqlite3_column_type(s.stmt, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(s.stmt, 1);
    row.tid = sqlite3_column_int64(s.stmt, 2);
    row.tsNs = sqlite3_column_int64(s.stmt, 3);
    row.durNs = sqlite3_column_int64(s.stmt, 4);
    row.kindId = sqlite3_column_int(s.stmt, 5);
    row.nameId = sqlite3_column_type(s.stmt, 6) == SQLITE_NULL ? 0 : sqlite3_column_int(s.stmt, 6);
    const auto *bytes = static_cast<const char *>(sqlite3_column_blob(s.stmt, 7));
    const QByteArray stored(bytes, bytes ? sqlite3_column_bytes(s.stmt, 7) : 0);
    return toEvent(row, expandCallPayload(text(row.nameId), stored), sqlite3_column_int64(s.stmt, 0));
}

Event EventScanner::toEvent(const EventRow &row, QByteArray payload, qint64 runId) const
{
    Event e;
    e.id = row.id;
    e.processId = row.processId;
    e.tid = row.tid;
    e.tsNs = row.tsNs;
    e.durNs = row.durNs;
    e.kind = text(row.kindId);
    e.name = text(row.nameId);
    e.payload = std::move(payload);
    e.runId = runId;
    return e;
}

} // namespace initscope
