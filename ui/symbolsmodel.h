// The rows of a symbol check: each symbol a consumer (or the recorded run) needs, who provides
// it and whether it is satisfied. Sorted and filtered through SymbolsFilter.
#pragma once

#include "symbolcheck.h"

#include <QAbstractTableModel>
#include <QList>
#include <QSortFilterProxyModel>

namespace initscope::ui
{

class SymbolsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { SymbolColumn, NeededByColumn, HowColumn, VersionColumn, ProvidedByColumn, StatusColumn, ColumnCount };

    explicit SymbolsModel(QObject *parent = nullptr);

    void setRows(const QList<SymbolRow> &rows);
    const SymbolRow &row(int r) const { return m_rows.at(r); }
    QStringList consumers() const; // distinct "needed by" values, in first-seen order

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    QList<SymbolRow> m_rows;
};

// Filters by consumer, by "not satisfied only" and by a substring of the symbol.
class SymbolsFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit SymbolsFilter(QObject *parent = nullptr);

    void setConsumer(const QString &consumer); // empty: every consumer
    void setProblemsOnly(bool on);
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_consumer;
    bool m_problemsOnly = false;
    QString m_text;
};

} // namespace initscope::ui
