// Fast, lean reads of a bundle's events table for the views that must cope with millions of
// rows (calls table, per-process event list, diagnosis of a long run): rows without their
// payload, a call's status read from the payload bytes without parsing them, and payloads
// fetched by id only for what is shown. Goes through SQLite's C API on a read-only connection
// of its own, so it costs no QVariant per value and may be used from any one thread (one
// EventScanner per thread). docs/bundle-format.md, docs/gui.md ("Large runs").
#pragma once

#include "data.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace initscope {

// What a call event's payload says about its outcome (docs/bundle-format.md).
enum class CallStatus : quint8 {
    NotACall,   // lib.search, process.start, …
    Ok,
    Failed,     // "ok":false at the top level (or a failing result where "ok" is absent)
    Unfinished, // the process ended inside the call ("unfinished":true)
};

// The status of a call payload, mostly from a byte search: only payloads that hold
// "ok":false or "unfinished" are parsed (a nested "result" has an "ok" of its own).
CallStatus callStatusOfPayload(QByteArrayView payload);
// The bytes of the value of a top-level key of a compact JSON object ("false", "2", "\"x\"", an
// object's text), without parsing it; empty when the object has no such key.
QByteArrayView topLevelJsonValue(QByteArrayView json, QByteArrayView key);
// Whether an event kind is a traced call: cuda.call, cudart.call, nvml.call.
bool isCallKind(QStringView kind);

// One event without its payload: 48 bytes, where an Event with its payload takes ten times more.
struct EventRow {
    qint64 id = -1;
    qint64 processId = -1;
    qint64 tid = 0;
    qint64 tsNs = 0;
    qint64 durNs = 0;
    qint32 kindId = 0; // ids in the bundle's strings table: EventScanner::text()
    qint32 nameId = 0; // 0 when the event has no name
    CallStatus status = CallStatus::NotACall;
};

struct EventScanQuery {
    qint64 runId = -1;
    qint64 processId = -1;  // -1: every process of the run
    QList<QString> kinds;   // empty: every kind
    QList<QString> namePrefixes; // empty: every name; else only events whose name starts so
    bool withPayload = false; // hand the payload bytes to the visitor (status is read either way)
    // With withPayload: hand over a call's payload as stored (callpayload.h), not decoded to
    // JSON, for a reader that decodes each distinct one once.
    bool storedPayload = false;
    // scan() visits in time order; a caller that does not need it (a search that collects ids)
    // sets this false and gets the file's own order, which reads it front to back and costs no
    // sort of every payload (about half the time on a million events).
    bool inTimeOrder = true;
};

class EventScanner
{
public:
    ~EventScanner();
    EventScanner(const EventScanner &) = delete;
    EventScanner &operator=(const EventScanner &) = delete;

    // A read-only connection to the bundle at path; nullptr with *error set when it cannot be
    // opened. Does not validate the file: open it with BundleReader first.
    static std::unique_ptr<EventScanner> open(const QString &path, QString *error);

    QString path() const;
    // The text of a strings-table id (kind, function or library name); empty for 0 or unknown.
    QString text(qint32 stringId) const;
    // The id of a text in the strings table; 0 when the bundle never uses it.
    qint32 stringId(const QString &text) const;

    // Visits the events the query selects in time order (ts_ns, then id; in the file's order
    // when !query.inTimeOrder). payload is empty
    // unless query.withPayload; it points into SQLite's buffer and is valid during the call
    // only. The visitor returns false to stop early. Returns false with *error set when the
    // file could not be read to the end (damaged, changed on disk).
    using Visitor = std::function<bool(const EventRow &row, QByteArrayView payload)>;
    bool scan(const EventScanQuery &query, const Visitor &visit, QString *error = nullptr) const;
    // The same, kept: every row the query selects, in time order.
    std::vector<EventRow> rows(const EventScanQuery &query, QString *error = nullptr) const;
    qint64 count(const EventScanQuery &query, QString *error = nullptr) const;
    // The events of one process, counted from the process index alone (process ids are unique
    // across runs, so no table row is read): tens of milliseconds for half a million, where
    // count() reads each row for its run. For the Events tab, which picks between loading a
    // process at once and in the background by it (docs/gui.md, "Large runs").
    qint64 countOfProcess(qint64 processId, QString *error = nullptr) const;

    // Payloads of the given event ids (missing ids are absent from the answer).
    QHash<qint64, QByteArray> payloads(const QList<qint64> &ids, QString *error = nullptr) const;
    // A whole event, as BundleReader::events() gives it.
    std::optional<Event> event(qint64 id, QString *error = nullptr) const;
    // Rebuilds the Event of a row with its payload.
    Event toEvent(const EventRow &row, QByteArray payload, qint64 runId) const;

private:
    EventScanner();
    bool scanRows(const EventScanQuery &query, bool ordered, const Visitor &visit, QString *error) const;
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace initscope
