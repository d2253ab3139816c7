#include "libraryloadmodel.h"

#include "format.h"

namespace initscope::ui
{

LibraryLoadModel::LibraryLoadModel(QObject *parent) : QAbstractTableModel(parent) {}

void LibraryLoadModel::setLoads(const QList<LibLoad> &loads)
{
    beginResetModel();
    m_loads = loads;
    endResetModel();
}

int LibraryLoadModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_loads.size());
}

int LibraryLoadModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LibraryLoadModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant LibraryLoadModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LibLoad &l = m_loads[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case TimeColumn:
            return formatMs(l.tsNs);
        case PathColumn:
            return l.path;
        case SonameColumn:
            return l.soname;
        case BaseColumn:
            return QStringLiteral("0x%1").arg(l.base, 12, 16, QLatin1Char('0'));
        case UnloadColumn:
            return l.unloadNs ? formatMs(*l.unloadNs) : QString();
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn || index.column() == UnloadColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant LibraryLoadModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time (ms)");
    case PathColumn:
        return QStringLiteral("Path");
    case SonameColumn:
        return QStringLiteral("SONAME");
    case BaseColumn:
        return QStringLiteral("Base address");
    case UnloadColumn:
        return QStringLiteral("Unloaded (ms)");
    }
    return {};
}

} // namespace initscope::ui
