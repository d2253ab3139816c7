// The objects mapped into a process, in load order, with the SONAME read from each file.
#pragma once

#include "data.h"

#include <QAbstractTableModel>
#include <QList>

namespace initscope::ui
{

class LibraryLoadModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, PathColumn, SonameColumn, BaseColumn, UnloadColumn, ColumnCount };

    explicit LibraryLoadModel(QObject *parent = nullptr);

    void setLoads(const QList<LibLoad> &loads);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    QList<LibLoad> m_loads;
};

} // namespace initscope::ui
