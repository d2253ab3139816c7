// The device report as a table: one row per property, a column per source, rows whose sources
// contradict each other tinted; a cell from a call knows its event.
#pragma once

#include "deviceview.h"

#include <QAbstractTableModel>

namespace initscope::ui
{

class DeviceModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role { EventIdRole = Qt::UserRole + 1, ProcessIdRole, ContradictionRole };

    explicit DeviceModel(QObject *parent = nullptr);

    void setReport(const DeviceReport &report);
    const DeviceReport &report() const { return m_report; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    DeviceReport m_report;
};

} // namespace initscope::ui
