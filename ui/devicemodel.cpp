#include "devicemodel.h"

#include "format.h"

#include "theme.h"

#include <QFont>

namespace initscope::ui
{

DeviceModel::DeviceModel(QObject *parent) : QAbstractTableModel(parent) {}

void DeviceModel::setReport(const DeviceReport &report)
{
    beginResetModel();
    m_report = report;
    endResetModel();
}

int DeviceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_report.rows.size());
}

int DeviceModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_report.sources.size()) + 1;
}

QVariant DeviceModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant DeviceModel::rawData(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_report.rows.size())
        return {};
    const DeviceRow &row = m_report.rows.at(index.row());
    if (index.column() == 0) {
        if (role == Qt::DisplayRole)
            return row.property;
        if (role == Qt::FontRole && row.contradiction) {
            QFont f;
            f.setBold(true);
            return f;
        }
        if (role == Qt::ForegroundRole && row.contradiction)
            return theme::failure();
        if (role == Qt::ToolTipRole && row.contradiction)
            return QStringLiteral("The sources disagree on this property.");
        if (role == ContradictionRole)
            return row.contradiction;
        return {};
    }
    const QString source = m_report.sources.value(index.column() - 1);
    const auto cell = row.cells.constFind(source);
    switch (role) {
    case Qt::DisplayRole:
        return cell == row.cells.constEnd() ? QString() : cell->value;
    case Qt::ToolTipRole:
        if (cell == row.cells.constEnd())
            return {};
        return cell->eventId >= 0 ? QStringLiteral("%1 — from event #%2; double-click to show it").arg(cell->value).arg(cell->eventId)
                                  : cell->value;
    case Qt::BackgroundRole:
        return row.contradiction ? QVariant(theme::stderrBackground()) : QVariant();
    case EventIdRole:
        return cell == row.cells.constEnd() ? qint64(-1) : cell->eventId;
    case ProcessIdRole:
        return cell == row.cells.constEnd() ? qint64(-1) : cell->processId;
    case ContradictionRole:
        return row.contradiction;
    default:
        return {};
    }
}

QVariant DeviceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == 0 ? QStringLiteral("Property") : m_report.sources.value(section - 1);
}

} // namespace initscope::ui
