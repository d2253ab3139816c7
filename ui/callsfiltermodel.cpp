#include "callsfiltermodel.h"

#include <QHash>

#include <algorithm>
#include <numeric>
#include <utility>

namespace initscope::ui
{

CallsFilterModel::CallsFilterModel(QObject *parent) : QAbstractProxyModel(parent) {}

const CallsModel *CallsFilterModel::calls() const
{
    return qobject_cast<const CallsModel *>(sourceModel());
}

void CallsFilterModel::setSourceModel(QAbstractItemModel *source)
{
    beginResetModel();
    if (QAbstractItemModel *previous = sourceModel()) {
        disconnect(previous, &QAbstractItemModel::modelAboutToBeReset, this, nullptr);
        disconnect(previous, &QAbstractItemModel::modelReset, this, nullptr);
        disconnect(previous, &QAbstractItemModel::headerDataChanged, this, nullptr);
    }
    QAbstractProxyModel::setSourceModel(source);
    if (source) {
        connect(source, &QAbstractItemModel::modelAboutToBeReset, this, [this] { beginResetModel(); });
        connect(source, &QAbstractItemModel::modelReset, this, [this] {
            sourceReset();
            endResetModel();
        });
        connect(source, &QAbstractItemModel::headerDataChanged, this, &QAbstractItemModel::headerDataChanged);
    }
    sourceReset();
    endResetModel();
}

void CallsFilterModel::sourceReset()
{
    // Payload matches belong to the calls they were searched in: the text goes with them.
    m_text.clear();
    m_payloadRows.clear();
    m_nameMatches.clear();
    m_processMatches.clear();
    rebuild(false);
}

bool CallsFilterModel::isFiltering() const
{
    return !m_text.isEmpty() || m_api || m_processId >= 0 || m_tid >= 0 || m_failedOnly;
}

QByteArray CallsFilterModel::payloadNeedle(const QString &text)
{
    // Inside the payload a quote or backslash of a value is escaped.
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return escaped.toUtf8();
}

bool CallsFilterModel::matchesAnyCase(const QByteArray &needle)
{
    // Folding is exact for ASCII; other text is matched byte for byte.
    return std::all_of(needle.cbegin(), needle.cend(), [](char c) { return uchar(c) < 0x80; });
}

void CallsFilterModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    std::vector<bool> rows;
    if (const CallsModel *model = calls(); model && !text.isEmpty()) {
        const QByteArray needle = payloadNeedle(text);
        rows = model->rowsContaining(needle, matchesAnyCase(needle));
    }
    setText(text, std::move(rows));
}

void CallsFilterModel::setText(const QString &text, std::vector<bool> payloadRows)
{
    m_text = text;
    m_payloadRows = std::move(payloadRows);
    matchText();
    rebuild();
}

void CallsFilterModel::matchText()
{
    m_nameMatches.clear();
    m_processMatches.clear();
    const CallsModel *model = calls();
    if (!model || m_text.isEmpty())
        return;
    // A few hundred names and processes: each is matched once, not once per row.
    const CallsData &data = *model->calls();
    const qint32 maxName = data.nameIds.isEmpty() ? 0 : *std::max_element(data.nameIds.cbegin(), data.nameIds.cend());
    m_nameMatches.assign(size_t(std::max(maxName, 0)) + 1, false);
    for (qint32 id : data.nameIds) {
        if (id >= 0 && model->text(id).contains(m_text, Qt::CaseInsensitive))
            m_nameMatches[size_t(id)] = true;
    }
    for (qint64 process : data.processes) {
        if (model->processLabel(process).contains(m_text, Qt::CaseInsensitive))
            m_processMatches.insert(process);
    }
}

void CallsFilterModel::setApi(std::optional<CallsModel::Api> api)
{
    if (api == m_api)
        return;
    m_api = api;
    rebuild();
}

void CallsFilterModel::setProcessId(qint64 processId)
{
    if (processId == m_processId)
        return;
    m_processId = processId;
    rebuild();
}

void CallsFilterModel::setThread(qint64 tid)
{
    if (tid == m_tid)
        return;
    m_tid = tid;
    rebuild();
}

void CallsFilterModel::setFailedOnly(bool failedOnly)
{
    if (failedOnly == m_failedOnly)
        return;
    m_failedOnly = failedOnly;
    rebuild();
}

void CallsFilterModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column;
    m_sortOrder = order;
    rebuild();
}

void CallsFilterModel::resort()
{
    rebuild();
}

bool CallsFilterModel::accepts(int sourceRow) const
{
    const CallsModel *model = calls();
    const EventRow &e = model->callRow(sourceRow);
    if (m_api && model->api(sourceRow) != *m_api)
        return false;
    if (m_processId >= 0 && e.processId != m_processId)
        return false;
    if (m_tid >= 0 && e.tid != m_tid)
        return false;
    if (m_failedOnly && !model->isFailed(sourceRow))
        return false;
    if (m_text.isEmpty())
        return true;
    if (e.nameId >= 0 && size_t(e.nameId) < m_nameMatches.size() && m_nameMatches[size_t(e.nameId)])
        return true;
    if (m_processMatches.contains(e.processId))
        return true;
    return size_t(sourceRow) < m_payloadRows.size() && m_payloadRows[size_t(sourceRow)];
}

void CallsFilterModel::sortRows(std::vector<int> &rows) const
{
    const CallsModel *model = calls();
    if (!model || m_sortColumn < 0 || rows.size() < 2)
        return;
    const bool descending = m_sortOrder == Qt::DescendingOrder;
    // The source order is the time order.
    if (m_sortColumn == CallsModel::TimeColumn) {
        if (descending)
            std::reverse(rows.begin(), rows.end());
        return;
    }
    const std::vector<EventRow> &data = model->calls()->rows;
    std::vector<std::pair<qint64, int>> keyed;
    keyed.reserve(rows.size());
    auto keyBy = [&rows, &keyed](const auto &key) {
        for (int row : rows)
            keyed.emplace_back(qint64(key(row)), row);
    };
    // Texts of a few hundred processes or functions are sorted once; rows compare their ranks.
    auto ranksOf = [](const auto &ids, const auto &textOf) {
        QList<std::pair<QString, qint64>> texts;
        for (const auto id : ids)
            texts.append({textOf(id), qint64(id)});
        std::sort(texts.begin(), texts.end(), [](const auto &a, const auto &b) {
            const int c = a.first.compare(b.first);
            return c != 0 ? c < 0 : a.second < b.second;
        });
        QHash<qint64, qint64> rank;
        for (qsizetype i = 0; i < texts.size(); ++i)
            rank.insert(texts[i].second, i);
        return rank;
    };
    switch (m_sortColumn) {
    case CallsModel::DurationColumn:
        keyBy([&data](int row) { return data[size_t(row)].durNs; });
        break;
    case CallsModel::ThreadColumn:
        keyBy([&data](int row) { return data[size_t(row)].tid; });
        break;
    case CallsModel::ApiColumn:
        keyBy([model](int row) { return int(model->api(row)); });
        break;
    case CallsModel::ProcessColumn: {
        const QHash<qint64, qint64> rank =
            ranksOf(model->calls()->processes, [model](qint64 id) { return model->processLabel(id); });
        keyBy([&data, &rank](int row) { return rank.value(data[size_t(row)].processId); });
        break;
    }
    case CallsModel::FunctionColumn: {
        const QHash<qint64, qint64> byId =
            ranksOf(model->calls()->nameIds, [model](qint32 id) { return model->text(id); });
        // A flat table: a million hash lookups would cost more than the sort.
        qint64 maxId = 0;
        for (auto it = byId.cbegin(); it != byId.cend(); ++it)
            maxId = std::max(maxId, it.key());
        std::vector<qint32> rank(size_t(std::max<qint64>(maxId, 0)) + 1, 0);
        for (auto it = byId.cbegin(); it != byId.cend(); ++it) {
            if (it.key() >= 0)
                rank[size_t(it.key())] = qint32(it.value());
        }
        keyBy([&data, &rank](int row) {
            const qint32 id = data[size_t(row)].nameId;
            return id >= 0 && size_t(id) < rank.size() ? rank[size_t(id)] : 0;
        });
        break;
    }
    case CallsModel::ResultColumn:
    case CallsModel::CallColumn: {
        // Until a large run's keys have come, the rows stay in time order.
        const std::vector<qint32> *ranks = model->sortRanks(CallsModel::Column(m_sortColumn));
        if (!ranks)
            return;
        keyBy([ranks](int row) { return (*ranks)[size_t(row)]; });
        break;
    }
    default:
        return;
    }
    // Equal keys keep the time order, which is the source order, in either direction.
    const auto [low, high] = std::minmax_element(keyed.cbegin(), keyed.cend());
    const qint64 range = high->first - low->first;
    if (range >= 0 && range < qint64(keyed.size()) && range < (qint64(1) << 22)) {
        // Few distinct keys (function, process, thread, API, result ranks): one counting pass,
        // stable, a fraction of a comparison sort's time on a million rows.
        std::vector<int> start(size_t(range) + 2, 0);
        auto bucket = [&](qint64 key) { return size_t(descending ? high->first - key : key - low->first); };
        for (const auto &[key, row] : keyed)
            ++start[bucket(key) + 1];
        std::partial_sum(start.begin(), start.end(), start.begin());
        for (const auto &[key, row] : keyed)
            rows[size_t(start[bucket(key)]++)] = row;
        return;
    }
    if (descending)
        std::sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
    else
        std::sort(keyed.begin(), keyed.end());
    for (size_t i = 0; i < rows.size(); ++i)
        rows[i] = keyed[i].second;
}

void CallsFilterModel::rebuild(bool asLayoutChange)
{
    const CallsModel *model = calls();
    const int sourceRows = model ? model->rowCount() : 0;
    QModelIndexList from;
    std::vector<int> fromSource;
    if (asLayoutChange) {
        Q_EMIT layoutAboutToBeChanged();
        // The selection, the current row and the like follow their call.
        from = persistentIndexList();
        fromSource.reserve(size_t(from.size()));
        for (const QModelIndex &index : std::as_const(from)) {
            const bool mapped = index.isValid() && size_t(index.row()) < m_sourceRows.size();
            fromSource.push_back(mapped ? m_sourceRows[size_t(index.row())] : -1);
        }
    }
    std::vector<int> rows;
    rows.reserve(size_t(sourceRows));
    if (!isFiltering()) {
        rows.resize(size_t(sourceRows));
        std::iota(rows.begin(), rows.end(), 0);
    } else {
        for (int row = 0; row < sourceRows; ++row) {
            if (accepts(row))
                rows.push_back(row);
        }
    }
    sortRows(rows);
    m_sourceRows = std::move(rows);
    m_proxyRows.assign(size_t(sourceRows), -1);
    for (size_t i = 0; i < m_sourceRows.size(); ++i)
        m_proxyRows[size_t(m_sourceRows[i])] = int(i);
    if (asLayoutChange) {
        QModelIndexList to;
        to.reserve(from.size());
        for (qsizetype i = 0; i < from.size(); ++i) {
            const int source = fromSource[size_t(i)];
            const int row = source >= 0 && source < sourceRows ? m_proxyRows[size_t(source)] : -1;
            to.append(row >= 0 ? createIndex(row, from[i].column()) : QModelIndex());
        }
        changePersistentIndexList(from, to);
        Q_EMIT layoutChanged();
    }
}

QModelIndex CallsFilterModel::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!sourceIndex.isValid() || sourceIndex.model() != sourceModel() ||
        size_t(sourceIndex.row()) >= m_proxyRows.size())
        return {};
    const int row = m_proxyRows[size_t(sourceIndex.row())];
    return row >= 0 ? createIndex(row, sourceIndex.column()) : QModelIndex();
}

QModelIndex CallsFilterModel::mapToSource(const QModelIndex &proxyIndex) const
{
    if (!proxyIndex.isValid() || !sourceModel() || size_t(proxyIndex.row()) >= m_sourceRows.size())
        return {};
    return sourceModel()->index(m_sourceRows[size_t(proxyIndex.row())], proxyIndex.column());
}

QModelIndex CallsFilterModel::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || row >= rowCount() || column < 0 || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex CallsFilterModel::parent(const QModelIndex &) const
{
    return {};
}

QModelIndex CallsFilterModel::sibling(int row, int column, const QModelIndex &) const
{
    return index(row, column);
}

int CallsFilterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sourceRows.size());
}

int CallsFilterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !sourceModel() ? 0 : sourceModel()->columnCount();
}

bool CallsFilterModel::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && rowCount() > 0 && columnCount() > 0;
}

QVariant CallsFilterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!sourceModel())
        return {};
    // Column titles do not depend on the rows (the base class asks the first row for them).
    if (orientation == Qt::Horizontal)
        return sourceModel()->headerData(section, orientation, role);
    return QAbstractProxyModel::headerData(section, orientation, role);
}

} // namespace initscope::ui
