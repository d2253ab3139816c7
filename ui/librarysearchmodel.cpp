#include "librarysearchmodel.h"

#include "format.h"
#include "theme.h"

namespace initscope::ui
{

LibrarySearchModel::LibrarySearchModel(QObject *parent) : QAbstractItemModel(parent) {}

void LibrarySearchModel::setSearches(const QList<LibSearch> &searches)
{
    beginResetModel();
    m_searches = searches;
    endResetModel();
}

QString LibrarySearchModel::originText(quint32 origin)
{
    // Names follow ld.so(8), so that the column reads like the loader's own documentation.
    QStringList parts;
    if (origin & quint32(SearchOrigin::Original))
        parts << QStringLiteral("as given");
    if (origin & quint32(SearchOrigin::LibraryPath))
        parts << QStringLiteral("LD_LIBRARY_PATH");
    if (origin & quint32(SearchOrigin::RunPath))
        parts << QStringLiteral("RPATH/RUNPATH");
    if (origin & quint32(SearchOrigin::Cache))
        parts << QStringLiteral("ld.so.cache");
    if (origin & quint32(SearchOrigin::Default))
        parts << QStringLiteral("default dirs");
    if (origin & quint32(SearchOrigin::Secure))
        parts << QStringLiteral("secure");
    return parts.join(QStringLiteral(", "));
}

QString LibrarySearchModel::outcomeText(const LibSearch &search)
{
    switch (search.outcome) {
    case SearchOutcome::Found:
        return QStringLiteral("found");
    case SearchOutcome::AlreadyLoaded:
        return QStringLiteral("already loaded");
    case SearchOutcome::NotFound:
        break;
    }
    return QStringLiteral("not found");
}

QModelIndex LibrarySearchModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < m_searches.size() ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (parent.internalId() != 0 || parent.column() != 0)
        return {};
    if (row >= m_searches[parent.row()].steps.size())
        return {};
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex LibrarySearchModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int LibrarySearchModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_searches.size());
    if (parent.internalId() != 0 || parent.column() != 0)
        return 0;
    return int(m_searches[parent.row()].steps.size());
}

int LibrarySearchModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant LibrarySearchModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant LibrarySearchModel::rawData(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    if (index.internalId() == 0)
        return searchData(m_searches[index.row()], index.column(), role);
    const LibSearch &search = m_searches[int(index.internalId() - 1)];
    return stepData(search, search.steps[index.row()], index.column(), role);
}

QVariant LibrarySearchModel::searchData(const LibSearch &s, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case LibraryColumn:
            return s.name;
        case ResultColumn:
            // The path that was loaded is the green row below; only a search answered by an
            // object already in memory has no row to point at.
            if (s.outcome == SearchOutcome::AlreadyLoaded && !s.resultPath.isEmpty())
                return outcomeText(s) + QStringLiteral(": ") + s.resultPath;
            return outcomeText(s);
        case TimeColumn:
            return formatMs(s.tsNs);
        case RequesterColumn:
            return s.requester;
        }
        break;
    case Qt::ToolTipRole:
        if (column == LibraryColumn)
            return QStringLiteral("%1 requested by %2, %3 candidate path(s) tried")
                .arg(s.name, s.requester.isEmpty() ? QStringLiteral("?") : s.requester)
                .arg(s.steps.size());
        if (column == ResultColumn && !s.resultPath.isEmpty())
            return outcomeText(s) + QStringLiteral(": ") + s.resultPath;
        return searchData(s, column, Qt::DisplayRole);
    case Qt::ForegroundRole:
        if (column == ResultColumn || column == LibraryColumn) {
            if (s.outcome == SearchOutcome::NotFound)
                return theme::failure();
        }
        break;
    case Qt::TextAlignmentRole:
        if (column == TimeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant LibrarySearchModel::stepData(const LibSearch &s, const LibSearchStep &step, int column,
                                      int role) const
{
    const bool loaded = s.outcome == SearchOutcome::Found && step.path == s.resultPath;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case LibraryColumn:
            return step.path;
        case ResultColumn:
            if (loaded)
                return QStringLiteral("loaded");
            if (step.exists == 0)
                return QStringLiteral("no such file");
            if (step.exists == 1)
                return QStringLiteral("exists, not used");
            return QStringLiteral("not checked");
        case OriginColumn:
            return originText(step.origin);
        }
        break;
    case Qt::ToolTipRole:
        return stepData(s, step, column, Qt::DisplayRole);
    case Qt::ForegroundRole:
        if (column > OriginColumn)
            break;
        if (loaded)
            return theme::success();
        if (step.exists == 0)
            return theme::muted();
        break;
    }
    return {};
}

QVariant LibrarySearchModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case LibraryColumn:
        return QStringLiteral("Library / path tried");
    case ResultColumn:
        return QStringLiteral("Result");
    case OriginColumn:
        return QStringLiteral("From");
    case TimeColumn:
        return QStringLiteral("Time (ms)");
    case RequesterColumn:
        return QStringLiteral("Requested by");
    }
    return {};
}

} // namespace initscope::ui
