// The events of one process (or of a whole run) in time order, one row each. Rows are the lean
// rows of EventScanner (48 bytes, no payload): a process of half a million events costs a few
// tens of MB. Details are rendered from the payload only for rows that are painted, fetched in
// batches around them and kept in a bounded cache (docs/gui.md, "Large runs").
#pragma once

#include "data.h"
#include "eventscan.h"

#include <QAbstractTableModel>
#include <QCache>
#include <QHash>
#include <QList>

#include <memory>
#include <vector>

namespace initscope::ui
{

class EventsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        DurationColumn,
        TidColumn,
        KindColumn,
        NameColumn,
        DetailsColumn,
        ColumnCount
    };
    enum Role {
        EventIdRole = Qt::UserRole + 1, // Event::id
        TimeNsRole,                     // Event::tsNs, qint64, for sorting
    };

    // Rendered details kept at most: a few screens of rows, whatever the process holds.
    static constexpr int kDetailsCacheRows = 2048;
    // A row painted without its details fetches the payloads of this many rows on each side.
    static constexpr int kFetchMargin = 64;
    // Details longer than this are cut: a cell shows one line, the tooltip the whole payload.
    static constexpr int kMaxDetailsChars = 2000;

    explicit EventsModel(QObject *parent = nullptr);

    // rows are what scanner->rows(query) gave; scanner, of the GUI thread, is asked for their
    // kinds, names and payloads while the model shows them. searches and loads let "lib.search"
    // and "lib.load" rows say what they found instead of showing the row id their payload
    // refers to.
    void setRows(std::shared_ptr<const EventScanner> scanner, const EventScanQuery &query,
                 std::vector<EventRow> rows, const QList<LibSearch> &searches = {},
                 const QList<LibLoad> &loads = {});
    void clear();

    const EventRow *eventRow(int row) const;
    QString kind(int row) const;
    QString name(int row) const;
    // A traced call (the kind ends in ".call").
    bool isCall(int row) const;
    // A call whose result says failure, or one the process ended inside.
    bool isFailedCall(int row) const;
    // The row of events.id eventId; -1 when it is not here.
    int rowOfEvent(qint64 eventId) const;
    // What a "lib.search" or "lib.load" row found; empty for other rows.
    QString libraryDetails(int row) const;
    // The payloads of these rows, read now and not kept (keys are event ids).
    QHash<qint64, QByteArray> payloads(const QList<int> &rows) const;

    const EventScanner *scanner() const { return m_scanner.get(); }
    const EventScanQuery &query() const { return m_query; }
    // How many rows have their details in the cache now (at most kDetailsCacheRows).
    int cachedDetailsCount() const { return int(m_details.count()); }
    bool hasCachedDetails(int row) const { return m_details.contains(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QString details(int row) const;
    QString renderDetails(int row, const QByteArray &payload) const;

    std::shared_ptr<const EventScanner> m_scanner;
    EventScanQuery m_query;
    std::vector<EventRow> m_rows;
    QHash<qint32, bool> m_callKinds; // kind id → whether it names a traced call
    QHash<qint64, LibSearch> m_searchByEvent;
    QHash<qint64, LibLoad> m_loadByEvent;
    // Row → rendered details, least recently used dropped first.
    mutable QCache<int, QString> m_details;
};

} // namespace initscope::ui
