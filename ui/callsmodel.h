// Every traced call of a run (cuda.call, cudart.call, nvml.call events) in time order, one row
// each. A row keeps its event's payload as bytes and decodes it the first time the row is
// painted, sorted on or asked about, so that a run of a million calls opens without parsing a
// million JSON objects. Whether a call failed is first answered from a scan of the bytes, which
// keeps the failed-only filter and F8 fast.
#pragma once

#include "data.h"

#include <QAbstractTableModel>
#include <QByteArrayView>
#include <QHash>
#include <QList>

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

    // What a payload says, decoded once per row on first use.
    struct Decoded {
        QString summary; // the resolver's or export table's own line where there is one
        QString result;  // "CUDA_ERROR_NOT_FOUND", "\"operation not supported\"", "did not return"
        QString message; // the result's message, e.g. "named symbol not found"
        QString reach;   // "binding", "dlsym", "cuGetProcAddress"; empty when not recorded
        bool failed = false;
        bool unfinished = false; // the process ended inside the call
    };

    explicit CallsModel(QObject *parent = nullptr);
    ~CallsModel() override;

    // events: call events of one run in time order; labels: what to show for each Process::id.
    void setCalls(QList<Event> events, const QHash<qint64, QString> &processLabels);
    void clear();

    // The Api of a call event kind; std::nullopt for an event that is no call.
    static std::optional<Api> apiOfKind(QStringView kind);
    static QString apiName(Api api);
    // The verdict Decoded::failed gives for a payload, without keeping anything and mostly
    // without parsing it.
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

    const Event &event(int row) const; // row must be in range
    int rowOfEvent(qint64 eventId) const; // -1 when the run has no such call
    Api api(int row) const;
    QString processLabel(qint64 processId) const;
    bool isFailed(int row) const;
    const Decoded &decoded(int row) const;
    // The cuGetProcAddress call that handed out the pointer the call at row went through: the
    // last successful request of the same process before it whose handed-out function has the
    // call's name. -1 when the call was not reached that way or no such request was recorded.
    int resolverRow(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void indexResolvers() const;
    // Whether the cuGetProcAddress call at resolverRow handed out a pointer to function.
    bool handedOut(int resolverRow, const QString &function) const;

    QList<Event> m_events;
    std::vector<Api> m_apis;
    QHash<qint64, int> m_rowById;
    QHash<qint64, QString> m_labels;
    mutable std::vector<std::unique_ptr<Decoded>> m_decoded;
    mutable std::vector<qint8> m_failed; // -1 not known yet, else 0 / 1
    // Process::id → rows of its cuGetProcAddress calls, ascending.
    mutable QHash<qint64, std::vector<int>> m_resolvers;
    mutable bool m_resolversIndexed = false;
};

} // namespace initscope::ui
