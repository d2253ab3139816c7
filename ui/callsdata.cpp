#include "callsdata.h"

#include <QByteArrayMatcher>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <array>
#include <numeric>

namespace initscope::ui
{

EventScanQuery callsQuery(qint64 runId)
{
    EventScanQuery query;
    query.runId = runId;
    query.kinds = {QStringLiteral("cuda.call"), QStringLiteral("cudart.call"), QStringLiteral("nvml.call")};
    return query;
}

std::shared_ptr<CallsData> readCalls(const EventScanner &scanner, qint64 runId, QString *error)
{
    auto calls = std::make_shared<CallsData>();
    calls->runId = runId;
    QString readError;
    calls->rows = scanner.rows(callsQuery(runId), &readError);
    if (!readError.isEmpty()) {
        if (error)
            *error = readError;
        return nullptr;
    }
    const std::vector<EventRow> &rows = calls->rows;
    calls->rowsById.resize(rows.size());
    std::iota(calls->rowsById.begin(), calls->rowsById.end(), 0);
    // Ids mostly follow time already; sorting what is nearly sorted costs little.
    std::sort(calls->rowsById.begin(), calls->rowsById.end(),
              [&rows](int a, int b) { return rows[size_t(a)].id < rows[size_t(b)].id; });
    QSet<qint64> processes;
    QSet<std::pair<qint64, qint64>> threads;
    QSet<qint32> names;
    // Calls come in runs of one thread and often of one function: the sets are asked only
    // when these change.
    std::pair<qint64, qint64> lastThread{-1, -1};
    qint32 lastName = -1;
    for (const EventRow &row : rows) {
        const std::pair<qint64, qint64> thread{row.processId, row.tid};
        if (thread != lastThread) {
            lastThread = thread;
            if (!threads.contains(thread)) {
                threads.insert(thread);
                calls->threads.append(thread);
            }
            if (!processes.contains(row.processId)) {
                processes.insert(row.processId);
                calls->processes.append(row.processId);
            }
        }
        if (row.nameId != lastName) {
            lastName = row.nameId;
            if (!names.contains(row.nameId)) {
                names.insert(row.nameId);
                calls->nameIds.append(row.nameId);
            }
        }
    }
    calls->driverKind = scanner.stringId(QStringLiteral("cuda.call"));
    calls->runtimeKind = scanner.stringId(QStringLiteral("cudart.call"));
    calls->nvmlKind = scanner.stringId(QStringLiteral("nvml.call"));
    return calls;
}

int findCallRow(const CallsData &calls, qint64 eventId)
{
    const auto it = std::lower_bound(calls.rowsById.cbegin(), calls.rowsById.cend(), eventId,
                                     [&calls](int row, qint64 id) { return calls.rows[size_t(row)].id < id; });
    return it != calls.rowsById.cend() && calls.rows[size_t(*it)].id == eventId ? *it : -1;
}

bool forEachCallPayload(const EventScanner &scanner, const CallsData &calls,
                        const std::function<void(int, QByteArrayView)> &visit, const std::atomic_bool *stop,
                        QString *error)
{
    EventScanQuery query = callsQuery(calls.runId);
    query.withPayload = true;
    query.inTimeOrder = false; // each payload is matched to its row by id
    // The id check finds the row when the file's order is not the rows' own.
    size_t next = 0;
    return scanner.scan(
        query,
        [&](const EventRow &row, QByteArrayView payload) {
            if (stop && stop->load(std::memory_order_relaxed))
                return false;
            int at = -1;
            if (next < calls.rows.size() && calls.rows[next].id == row.id)
                at = int(next++);
            else
                at = findCallRow(calls, row.id);
            if (at >= 0)
                visit(at, payload);
            return true;
        },
        error);
}

// A byte table beats QLatin1StringView's case-insensitive search by a wide margin on the
// hundreds of megabytes that a million payloads hold.
bool containsFolded(QByteArrayView haystack, QByteArrayView lowerNeedle)
{
    static const std::array<uchar, 256> fold = [] {
        std::array<uchar, 256> table{};
        for (int c = 0; c < 256; ++c)
            table[size_t(c)] = uchar(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        return table;
    }();
    const qsizetype n = lowerNeedle.size();
    if (n == 0)
        return true;
    const auto *h = reinterpret_cast<const uchar *>(haystack.data());
    const auto *needle = reinterpret_cast<const uchar *>(lowerNeedle.data());
    for (qsizetype i = 0; i + n <= haystack.size(); ++i) {
        if (fold[h[i]] != needle[0])
            continue;
        qsizetype k = 1;
        while (k < n && fold[h[i + k]] == needle[k])
            ++k;
        if (k == n)
            return true;
    }
    return false;
}

std::vector<bool> callsContaining(const EventScanner &scanner, const CallsData &calls, const QByteArray &needle,
                                  bool caseInsensitive, const std::atomic_bool *stop)
{
    std::vector<bool> found(calls.rows.size(), false);
    if (needle.isEmpty())
        return found;
    const QByteArray lower = caseInsensitive ? needle.toLower() : needle;
    const QByteArrayMatcher exact(needle);
    forEachCallPayload(scanner, calls, [&](int row, QByteArrayView payload) {
        found[size_t(row)] = caseInsensitive ? containsFolded(payload, lower) : exact.indexIn(payload) >= 0;
    }, stop);
    return found;
}

std::vector<qint32> rankCallsByText(const EventScanner &scanner, const CallsData &calls,
                                    const std::function<QString(QByteArrayView)> &textOf,
                                    const std::atomic_bool *stop)
{
    // Texts repeat (results nearly always): each distinct one is kept and sorted once.
    QHash<QString, qint32> distinct;
    QList<QString> texts;
    std::vector<qint32> ranks(calls.rows.size(), 0);
    forEachCallPayload(scanner, calls, [&](int row, QByteArrayView payload) {
        const QString text = textOf(payload);
        auto it = distinct.constFind(text);
        if (it == distinct.constEnd()) {
            it = distinct.insert(text, qint32(texts.size()));
            texts.append(text);
        }
        ranks[size_t(row)] = *it;
    }, stop);
    std::vector<qint32> order(size_t(texts.size()));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&texts](qint32 a, qint32 b) { return texts[a].compare(texts[b]) < 0; });
    std::vector<qint32> rankOf(order.size());
    for (size_t i = 0; i < order.size(); ++i)
        rankOf[size_t(order[i])] = qint32(i);
    if (!rankOf.empty()) {
        for (qint32 &rank : ranks)
            rank = rankOf[size_t(rank)];
    }
    return ranks;
}

} // namespace initscope::ui
