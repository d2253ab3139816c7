#include "matrixmodel.h"

#include "format.h"

#include "theme.h"

#include <QDir>

#include <algorithm>

namespace initscope::ui
{

MatrixModel::MatrixModel(QObject *parent) : QAbstractTableModel(parent) {}

void MatrixModel::setVariations(const QStringList &names, const QStringList &bundlePaths)
{
    beginResetModel();
    m_rows.clear();
    for (qsizetype i = 0; i < names.size(); ++i) {
        Row row;
        row.outcome.variation = names[i];
        row.outcome.bundlePath = bundlePaths.value(i);
        m_rows.append(row);
    }
    endResetModel();
}

void MatrixModel::setState(int row, State state)
{
    if (row < 0 || row >= m_rows.size() || m_rows[row].state == state)
        return;
    m_rows[row].state = state;
    rowChanged(row);
}

void MatrixModel::setOutcome(int row, const MatrixOutcome &outcome)
{
    if (row < 0 || row >= m_rows.size())
        return;
    Row &r = m_rows[row];
    const QString variation = r.outcome.variation;
    r.outcome = outcome;
    r.outcome.variation = variation; // the matrix's name for it, whatever the bundle says
    r.state = State::Done;
    rowChanged(row);
}

void MatrixModel::finishUnfinished(State state)
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows[row].state == State::Waiting || m_rows[row].state == State::Recording)
            setState(row, state);
    }
}

QString MatrixModel::bundlePath(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return QString();
    const Row &r = m_rows[row];
    return r.state == State::Done && r.outcome.end != QLatin1String("not recorded") ? r.outcome.bundlePath : QString();
}

int MatrixModel::finishedCount() const
{
    return int(std::count_if(m_rows.begin(), m_rows.end(), [](const Row &r) {
        return r.state == State::Done || r.state == State::Cancelled || r.state == State::NotRecorded;
    }));
}

bool MatrixModel::endedCleanly(const QString &end)
{
    return end == QLatin1String("exit 0") || end == QLatin1String("stopped as planned");
}

bool MatrixModel::failing(const MatrixOutcome &o)
{
    if (o.end == QLatin1String("cancelled"))
        return false; // the user stopped it: nothing to conclude
    return !endedCleanly(o.end) || (!o.topFinding.isEmpty() && o.topFinding != QLatin1String("no departure"));
}

int MatrixModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MatrixModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MatrixModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant MatrixModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    const MatrixOutcome &o = r.outcome;
    const bool done = r.state == State::Done;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case VariationColumn:
            return QStringLiteral("%1. %2").arg(index.row() + 1).arg(o.variation);
        case EndColumn:
            switch (r.state) {
            case State::Waiting:
                return QStringLiteral("waiting");
            case State::Recording:
                return QStringLiteral("recording…");
            case State::Summarizing:
                return QStringLiteral("reading the bundle…");
            case State::Cancelled:
                return QStringLiteral("cancelled");
            case State::NotRecorded:
                return QStringLiteral("not recorded");
            case State::Done:
                return o.end;
            }
            break;
        case DevicesColumn:
            return done ? o.devices : QString();
        case TopFindingColumn:
            return done ? o.topFinding : r.state == State::Cancelled ? QStringLiteral("not recorded") : QString();
        case ErrorLineColumn:
            return done ? o.errorLine : QString();
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == VariationColumn && !bundlePath(index.row()).isEmpty())
            return QStringLiteral("%1\nDouble-click to open the bundle").arg(QDir::toNativeSeparators(o.bundlePath));
        if (index.column() == ErrorLineColumn && done && !o.errorLine.isEmpty())
            return o.errorLine;
        if (index.column() == TopFindingColumn && done)
            return o.topFinding;
        break;
    case Qt::ForegroundRole:
        if (!done) // the row being recorded in the text's own colour, the others muted
            return index.column() == VariationColumn || r.state == State::Recording ? QVariant() : QVariant(theme::muted());
        // A cancelled run ended because someone stopped it: what it found is no verdict.
        if (o.end == QLatin1String("cancelled"))
            return index.column() == VariationColumn ? QVariant() : QVariant(theme::muted());
        if (index.column() == EndColumn)
            return endedCleanly(o.end) ? theme::success() : theme::failure();
        if (index.column() == TopFindingColumn)
            return o.topFinding == QLatin1String("no departure") ? theme::success() : theme::failure();
        break;
    case Qt::BackgroundRole:
        // The whole row, so that a failing variation stands out in a long grid.
        if (done && failing(o))
            return theme::stderrBackground();
        break;
    }
    return {};
}

QVariant MatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case VariationColumn:
        return QStringLiteral("Variation");
    case EndColumn:
        return QStringLiteral("End");
    case DevicesColumn:
        return QStringLiteral("GPUs reported");
    case TopFindingColumn:
        return QStringLiteral("Top finding");
    case ErrorLineColumn:
        return QStringLiteral("Error line");
    }
    return {};
}

void MatrixModel::rowChanged(int row)
{
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

} // namespace initscope::ui
