// Every traced call of a run (cuda.call, cudart.call, nvml.call events) in time order, one row
// each. The model keeps 48 bytes per call (core's EventRow: ids, times, whether it failed) and
// reads a payload by id only when its row is painted, sorted on or asked about: the decoded rows
// live in a bounded cache, so a run of a million calls opens in about 50 MB and scrolling through
// it keeps memory flat. Reading the rows, searching the payloads and ranking rows by a text
// decoded from them are plain functions of callsdata.h that take a scanner, so that CallsPanel
// runs them on a worker thread with a scanner of its own (docs/gui.md, "Large runs").
#pragma once

#include "callsdata.h"
#include "data.h"
#include "eventscan.h"

#include <QAbstractTableModel>
#include <QByteArrayView>
#include <QCache>
#include <QHash>
#include <QList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace initscope::ui
{

class CallsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        DurationColumn,
        ProcessColumn,
        ThreadColumn,
        ApiColumn,
        FunctionColumn,
        ResultColumn,
        CallColumn,
        ColumnCount
    };
    enum Role {
        EventIdRole = Qt::UserRole + 1, // Event::id, qint64
        ProcessIdRole,                  // Event::processId, qint64
        TimeNsRole,                     // Event::tsNs, qint64
        FailedRole,                     // bool
        ApiRole,                        // int(Api)
    };
    enum class Api { Driver, Runtime, Nvml };

    // What a payload says, decoded on first use and kept while the row stays in the cache.
    struct Decoded {
        QString summary; // the resolver's or export table's own line where there is one
        QString result;  // "CUDA_ERROR_NOT_FOUND", "\"operation not supported\"", "did not return"
        QString message; // the result's message, e.g. "named symbol not found"
        QString reach;   // "binding", "dlsym", "cuGetProcAddress"; empty when not recorded
        bool failed = false;
        bool unfinished = false; // the process ended inside the call
    };

    using Calls = CallsData;
    using SharedCalls = std::shared_ptr<const Calls>;

    // Runs of more calls than this are large: their payload passes (text search, Result and
    // Call sort keys) are not made here on demand but left to setSortRanks() and to the caller's
    // own worker. See docs/gui.md.
    static constexpr int kDefaultLargeRunLimit = 20000;
    // Decoded rows kept: a few screens' worth for any table height.
    static constexpr int kDefaultDecodedLimit = 4096;

    explicit CallsModel(QObject *parent = nullptr);
    ~CallsModel() override;

    // The sort keys of a column that needs the payloads (ResultColumn, CallColumn): the rank of
    // each row's text, from any thread (rankCallsByText()).
    static std::vector<qint32> computeSortRanks(const EventScanner &scanner, const Calls &calls, Column column,
                                                const std::atomic_bool *stop);

    // scanner: a connection of the GUI thread to the calls' bundle, kept for payloads;
    // labels: what to show for each Process::id.
    void setCalls(std::unique_ptr<EventScanner> scanner, SharedCalls calls,
                  const QHash<qint64, QString> &processLabels);
    void clear();
    SharedCalls calls() const { return m_calls; }
    // The bundle the calls come from; empty when cleared.
    QString path() const;
    bool isLarge() const { return rowCount() > m_largeRunLimit; }
    int largeRunLimit() const { return m_largeRunLimit; }
    void setLargeRunLimit(int calls) { m_largeRunLimit = calls; }

    // The Api of a call event kind; std::nullopt for an event that is no call.
    static std::optional<Api> apiOfKind(QStringView kind);
    static QString apiName(Api api);
    // Whether a call payload says the call failed or never returned (core's callStatusOfPayload).
    static bool payloadFailed(const QByteArray &payload);
    // Calls visit(key, value bytes) for each key of a compact JSON object itself (not of the
    // objects nested in it), without parsing it; stops after the key stopAfter.
    static void forEachTopLevelKey(QByteArrayView json,
                                   const std::function<void(QByteArrayView key, QByteArrayView value)> &visit,
                                   QByteArrayView stopAfter = {});
    // The bytes of the value of one such key; empty when the object has no such key.
    static QByteArrayView topLevelSlice(QByteArrayView json, QByteArrayView key);
    // The same for a boolean; std::nullopt when absent or not a boolean.
    static std::optional<bool> topLevelBool(QByteArrayView json, QByteArrayView key);
    // What the table shows of a call payload.
    static Decoded decode(const QByteArray &payload);

    // row must be in range for all of these.
    const EventRow &callRow(int row) const { return m_calls->rows[size_t(row)]; }
    QString functionName(int row) const;
    // The whole event with its payload, read now.
    Event event(int row) const;
    QByteArray payload(int row) const;
    CallStatus status(int row) const { return callRow(row).status; }
    bool isFailed(int row) const;
    Api api(int row) const;
    // A copy: the cache may let the row go at the next call.
    Decoded decoded(int row) const;
    // Decodes the rows not in the cache in one read (the rows a view is about to paint).
    void prefetch(const std::vector<int> &rows) const;
    // callsContaining() through this thread's scanner: fine for a run that is not large.
    std::vector<bool> rowsContaining(const QByteArray &needle, bool caseInsensitive) const;

    int rowOfEvent(qint64 eventId) const; // -1 when the run has no such call
    QString processLabel(qint64 processId) const;
    // A text of the bundle's strings table (function or kind name).
    QString text(qint32 stringId) const;
    // The cuGetProcAddress call that handed out the pointer the call at row went through: the
    // last successful request of the same process before it whose handed-out function has the
    // call's name. -1 when the call was not reached that way or no such request was recorded.
    int resolverRow(int row) const;

    // Sort keys of a column that needs the payloads (computeSortRanks()); computed here on first
    // use for a run that is not large, nullptr while unknown for a large one.
    const std::vector<qint32> *sortRanks(Column column) const;
    bool hasSortRanks(Column column) const;
    // ranks: computeSortRanks() of these calls, made elsewhere.
    void setSortRanks(Column column, std::vector<qint32> ranks);

    // The decode cache, for tests and measurements.
    int decodedCount() const { return int(m_decoded.size()); }
    int decodedLimit() const { return int(m_decoded.maxCost()); }
    void setDecodedLimit(int rows) { m_decoded.setMaxCost(rows); }
    qint64 payloadsRead() const { return m_payloadsRead; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    void indexResolvers() const;
    std::vector<qint32> *rankSlot(Column column) const;

    std::unique_ptr<EventScanner> m_scanner;
    SharedCalls m_calls;
    QHash<qint64, QString> m_labels;
    int m_largeRunLimit = kDefaultLargeRunLimit;
    mutable QCache<int, Decoded> m_decoded;
    mutable qint64 m_payloadsRead = 0;
    mutable std::vector<qint32> m_resultRanks; // empty while unknown
    mutable std::vector<qint32> m_callRanks;
    // Process::id → rows of its cuGetProcAddress calls, ascending.
    mutable QHash<qint64, std::vector<int>> m_resolvers;
    mutable bool m_resolversIndexed = false;
};

} // namespace initscope::ui
