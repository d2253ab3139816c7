#include "comparemodel.h"

#include "format.h"
#include "theme.h"

#include <QFont>

namespace initscope::ui
{

CompareModel::CompareModel(QObject *parent) : QAbstractTableModel(parent) {}

void CompareModel::setDiff(const RunDiff &diff)
{
    beginResetModel();
    m_diff = diff;
    m_firstDivergenceRow = -1;
    m_rowOfA.clear();
    m_rowOfB.clear();
    for (int r = 0; r < m_diff.alignment.size(); ++r) {
        const AlignedCall &a = m_diff.alignment[r];
        if (a.eventA >= 0)
            m_rowOfA.insert(a.eventA, r);
        if (a.eventB >= 0)
            m_rowOfB.insert(a.eventB, r);
        if (m_firstDivergenceRow < 0 && m_diff.first && a.difference >= 0 &&
            a.eventA == m_diff.first->eventA && a.eventB == m_diff.first->eventB)
            m_firstDivergenceRow = r;
    }
    endResetModel();
}

int CompareModel::firstDivergenceRow() const
{
    return m_firstDivergenceRow;
}

int CompareModel::nextDifference(int row, bool forward) const
{
    const int n = int(m_diff.alignment.size());
    for (int i = 1; i <= n; ++i) {
        const int r = ((row + (forward ? i : -i)) % n + n) % n;
        if (m_diff.alignment[r].difference >= 0)
            return r;
    }
    return -1;
}

int CompareModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_diff.alignment.size());
}

int CompareModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant CompareModel::rawData(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_diff.alignment.size())
        return {};
    const AlignedCall &a = m_diff.alignment.at(index.row());
    const bool differs = a.difference >= 0;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case StepColumn:
            return index.row() + 1;
        case TimeAColumn:
            return a.eventA >= 0 ? formatMs(a.tsA) : QString();
        case CallColumn:
            return a.call;
        case ResultAColumn:
            return a.eventA >= 0 ? a.resultA : QStringLiteral("(not made)");
        case TimeBColumn:
            return a.eventB >= 0 ? formatMs(a.tsB) : QString();
        case ResultBColumn:
            return a.eventB >= 0 ? a.resultB : QStringLiteral("(not made)");
        default:
            return {};
        }
    case Qt::BackgroundRole:
        return differs ? QVariant(theme::stderrBackground()) : QVariant();
    case Qt::ForegroundRole:
        if (differs && (index.column() == ResultAColumn || index.column() == ResultBColumn))
            return theme::failure();
        if ((index.column() == ResultAColumn && a.eventA < 0) ||
            (index.column() == ResultBColumn && a.eventB < 0))
            return theme::muted();
        return {};
    case Qt::FontRole:
        if (index.row() == firstDivergenceRow()) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        return differs && index.row() == firstDivergenceRow()
                   ? QStringLiteral("The first divergence")
                   : QVariant();
    case DifferenceRole:
        return a.difference;
    case EventARole:
        return a.eventA;
    case EventBRole:
        return a.eventB;
    default:
        return {};
    }
}

QVariant CompareModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StepColumn:
        return QStringLiteral("#");
    case TimeAColumn:
        return QStringLiteral("A (ms)");
    case CallColumn:
        return QStringLiteral("Call");
    case ResultAColumn:
        return QStringLiteral("A result");
    case TimeBColumn:
        return QStringLiteral("B (ms)");
    case ResultBColumn:
        return QStringLiteral("B result");
    default:
        return {};
    }
}

} // namespace initscope::ui
