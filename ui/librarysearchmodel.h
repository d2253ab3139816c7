// Every library request of a process and, under it, each path the dynamic loader tried in
// order, where that path came from and whether it existed. This is the view that shows a
// shim being shadowed by another libcuda.so.1 earlier in the search order.
#pragma once

#include "data.h"

#include <QAbstractItemModel>
#include <QList>

namespace initscope::ui
{

class LibrarySearchModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column {
        LibraryColumn,
        ResultColumn,
        OriginColumn,
        TimeColumn,
        RequesterColumn,
        ColumnCount
    };

    explicit LibrarySearchModel(QObject *parent = nullptr);

    void setSearches(const QList<LibSearch> &searches);
    static QString originText(quint32 origin);
    static QString outcomeText(const LibSearch &search);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    // internalId 0 marks a search row; n > 0 marks a step row under search n - 1.
    QVariant searchData(const LibSearch &search, int column, int role) const;
    QVariant stepData(const LibSearch &search, const LibSearchStep &step, int column,
                      int role) const;

    QList<LibSearch> m_searches;
};

} // namespace initscope::ui
