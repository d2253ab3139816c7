#include "symbolsmodel.h"

#include "format.h"

#include "theme.h"

namespace initscope::ui
{

SymbolsModel::SymbolsModel(QObject *parent) : QAbstractTableModel(parent) {}

void SymbolsModel::setRows(const QList<SymbolRow> &rows)
{
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

QStringList SymbolsModel::consumers() const
{
    QStringList out;
    for (const SymbolRow &r : m_rows)
        if (!out.contains(r.consumer))
            out.append(r.consumer);
    return out;
}

int SymbolsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SymbolsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SymbolsModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant SymbolsModel::rawData(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const SymbolRow &r = m_rows.at(index.row());
    const bool ok = r.status == QLatin1String("ok");
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case SymbolColumn:
            return r.symbol;
        case NeededByColumn:
            return r.consumer == QLatin1String("run") ? QStringLiteral("the recorded run") : r.consumer;
        case HowColumn:
            return r.how;
        case VersionColumn:
            return r.version;
        case ProvidedByColumn:
            return r.providedBy.isEmpty() ? QStringLiteral("—") : r.providedBy;
        case StatusColumn:
            return r.status;
        default:
            return {};
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == StatusColumn)
            return ok ? theme::success() : theme::failure();
        if (index.column() == ProvidedByColumn && r.providedBy.isEmpty())
            return theme::muted();
    }
    return {};
}

QVariant SymbolsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SymbolColumn:
        return QStringLiteral("Symbol");
    case NeededByColumn:
        return QStringLiteral("Needed by");
    case HowColumn:
        return QStringLiteral("How");
    case VersionColumn:
        return QStringLiteral("Version");
    case ProvidedByColumn:
        return QStringLiteral("Provided by");
    case StatusColumn:
        return QStringLiteral("Status");
    default:
        return {};
    }
}

SymbolsFilter::SymbolsFilter(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void SymbolsFilter::setConsumer(const QString &consumer)
{
    m_consumer = consumer;
    invalidateRowsFilter();
}

void SymbolsFilter::setProblemsOnly(bool on)
{
    m_problemsOnly = on;
    invalidateRowsFilter();
}

void SymbolsFilter::setText(const QString &text)
{
    m_text = text;
    invalidateRowsFilter();
}

bool SymbolsFilter::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const auto *model = qobject_cast<const SymbolsModel *>(sourceModel());
    if (!model)
        return true;
    const SymbolRow &r = model->row(sourceRow);
    if (!m_consumer.isEmpty() && r.consumer != m_consumer)
        return false;
    if (m_problemsOnly && r.status == QLatin1String("ok"))
        return false;
    return m_text.isEmpty() || r.symbol.contains(m_text, Qt::CaseInsensitive);
}

} // namespace initscope::ui
