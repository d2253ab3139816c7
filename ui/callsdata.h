// A run's calls as the Calls tab keeps them: core's EventRow (48 bytes, status included) for
// each call in time order, and the passes over their payloads that a large run needs in the
// background: reading them, searching them for a text, ranking them by a text decoded from them.
// Each takes the EventScanner of the thread it runs on (one connection per thread) and a stop
// flag, so CallsPanel runs them on a worker and CallsModel on the GUI thread for small runs.
#pragma once

#include "eventscan.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace initscope::ui
{

// Never changed once read: workers share it with the model through a shared_ptr.
struct CallsData {
    qint64 runId = -1;
    std::vector<EventRow> rows; // time order
    std::vector<int> rowsById;  // row numbers in id order, for findCallRow()
    QList<qint64> processes;    // in the order of their first call
    // (Process::id, tid) of each thread that made a call, in the order of its first call.
    QList<std::pair<qint64, qint64>> threads;
    QList<qint32> nameIds;      // the distinct function names (strings table ids)
    qint32 driverKind = 0;      // string ids of cuda.call, cudart.call, nvml.call
    qint32 runtimeKind = 0;
    qint32 nvmlKind = 0;
};

// The events a run's calls are: EventScanner::count() of it says how many before they are read.
EventScanQuery callsQuery(qint64 runId);
// The calls of a run; nullptr with *error set when the bundle could not be read.
std::shared_ptr<CallsData> readCalls(const EventScanner &scanner, qint64 runId, QString *error);
// The row of an event id; -1 when it is no call of these.
int findCallRow(const CallsData &calls, qint64 eventId);

// Visits the calls' payloads in time order: visit(row, payload bytes, valid during the call).
// Stops early, leaving the answer incomplete, once *stop is set. False with *error set when the
// file could not be read to the end.
bool forEachCallPayload(const EventScanner &scanner, const CallsData &calls,
                        const std::function<void(int row, QByteArrayView payload)> &visit,
                        const std::atomic_bool *stop, QString *error = nullptr);
// The rows whose payload holds needle: ASCII letters in any case when caseInsensitive, byte
// for byte otherwise.
std::vector<bool> callsContaining(const EventScanner &scanner, const CallsData &calls, const QByteArray &needle,
                                  bool caseInsensitive, const std::atomic_bool *stop);
// The rank of each row by textOf(its payload): equal texts share a rank, ranks follow
// QString::compare (case-sensitive: a case-insensitive compare of a million texts takes seconds).
std::vector<qint32> rankCallsByText(const EventScanner &scanner, const CallsData &calls,
                                    const std::function<QString(QByteArrayView payload)> &textOf,
                                    const std::atomic_bool *stop);
// Whether lowerNeedle (ASCII letters in lower case) is in haystack, ASCII letters in any case.
bool containsFolded(QByteArrayView haystack, QByteArrayView lowerNeedle);

} // namespace initscope::ui
