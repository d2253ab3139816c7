// Narrows a CallsModel by text, API family, process, thread and failure, and sorts it by any
// column. The text is looked for, case-insensitively, in the function name, the process and
// the call's whole record (arguments, outputs, result, resolver details), so a pointer value
// or a device name finds the calls that passed it.
//
// A flat proxy of its own rather than a QSortFilterProxyModel: that one asks lessThan() and
// filterAcceptsRow() through model indexes, which takes most of a second per sort or filter
// change on a million rows. Here filters read the rows' EventRow directly and sorting is one
// std::sort of (key, row) pairs; the layout changes once per change, never row by row.
#pragma once

#include "callsmodel.h"

#include <QAbstractProxyModel>
#include <QByteArray>
#include <QSet>

#include <optional>
#include <vector>

namespace initscope::ui
{

class CallsFilterModel : public QAbstractProxyModel
{
    Q_OBJECT
public:
    explicit CallsFilterModel(QObject *parent = nullptr);

    // A CallsModel; the proxy follows its resets (the only change it makes).
    void setSourceModel(QAbstractItemModel *sourceModel) override;

    // The text filter; the payload matches are searched here, through the model's scanner.
    void setText(const QString &text);
    // The same with the payload matches searched elsewhere (callsContaining() with
    // payloadNeedle(text)): one flag per source row.
    void setText(const QString &text, std::vector<bool> payloadRows);
    // The text as a JSON string holds it (quotes and backslashes escaped), UTF-8, and whether it
    // is matched in any case (ASCII) or byte for byte.
    static QByteArray payloadNeedle(const QString &text);
    static bool matchesAnyCase(const QByteArray &needle);

    void setApi(std::optional<CallsModel::Api> api); // std::nullopt: every family
    void setProcessId(qint64 processId);             // -1: every process
    void setThread(qint64 tid);                      // -1: every thread
    void setFailedOnly(bool failedOnly);

    QString text() const { return m_text; }
    std::optional<CallsModel::Api> api() const { return m_api; }
    qint64 processId() const { return m_processId; }
    qint64 thread() const { return m_tid; }
    bool failedOnly() const { return m_failedOnly; }
    bool isFiltering() const;

    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    // Sorts again: the model's sort keys for a payload column have come.
    void resort();

    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    QModelIndex mapFromSource(const QModelIndex &sourceIndex) const override;
    QModelIndex mapToSource(const QModelIndex &proxyIndex) const override;
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    QModelIndex sibling(int row, int column, const QModelIndex &index) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const CallsModel *calls() const;
    void sourceReset();
    // Filters and sorts the source rows again; as one layout change unless reset.
    void rebuild(bool asLayoutChange = true);
    void matchText();
    bool accepts(int sourceRow) const;
    void sortRows(std::vector<int> &rows) const;

    std::vector<int> m_sourceRows; // proxy row → source row
    std::vector<int> m_proxyRows;  // source row → proxy row, -1 when filtered out

    QString m_text;
    std::vector<bool> m_payloadRows;  // source rows whose payload holds the text
    std::vector<bool> m_nameMatches;  // by function name string id
    QSet<qint64> m_processMatches;    // Process::ids whose label holds the text
    std::optional<CallsModel::Api> m_api;
    qint64 m_processId = -1;
    qint64 m_tid = -1;
    bool m_failedOnly = false;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

} // namespace initscope::ui
