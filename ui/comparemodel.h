// The aligned calls of two runs, one row per step: A's call and result beside B's, differing
// steps tinted, the first divergence marked.
#pragma once

#include "rundiff.h"

#include <QAbstractTableModel>
#include <QHash>

namespace initscope::ui
{

class CompareModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        StepColumn,
        TimeAColumn,
        CallColumn,
        ResultAColumn,
        TimeBColumn,
        ResultBColumn,
        ColumnCount
    };
    enum Role { DifferenceRole = Qt::UserRole + 1, EventARole, EventBRole };

    explicit CompareModel(QObject *parent = nullptr);

    void setDiff(const RunDiff &diff);
    const RunDiff &diff() const { return m_diff; }
    // Row of the first divergence, -1 when the runs do not diverge.
    int firstDivergenceRow() const;
    // Next (or previous) differing row after (before) row, wrapping; -1 when none.
    int nextDifference(int row, bool forward) const;
    // The row of an event of A (or B), -1 when it is no step of the alignment (a resolver
    // lookup, a library load, a call of an unmatched process).
    int rowOfEventA(qint64 eventId) const { return m_rowOfA.value(eventId, -1); }
    int rowOfEventB(qint64 eventId) const { return m_rowOfB.value(eventId, -1); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    RunDiff m_diff;
    int m_firstDivergenceRow = -1;
    QHash<qint64, int> m_rowOfA, m_rowOfB;
};

} // namespace initscope::ui
