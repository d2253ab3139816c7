// The events of one process (or of a whole run) in time order, one row each. Details are
// rendered from the payload JSON only for rows that are painted.
#pragma once

#include "data.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

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

    explicit EventsModel(QObject *parent = nullptr);

    // searches and loads let "lib.search" and "lib.load" rows say what they found instead of
    // showing the row id their payload refers to.
    void setEvents(const QList<Event> &events, const QList<LibSearch> &searches = {},
                   const QList<LibLoad> &loads = {});
    const Event *event(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QString details(const Event &event) const;

    QList<Event> m_events;
    QHash<qint64, LibSearch> m_searchByEvent;
    QHash<qint64, LibLoad> m_loadByEvent;
};

} // namespace initscope::ui
