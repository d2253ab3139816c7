// The grid of a run matrix (docs/run-config.md, "Matrices"): one row per variation, in the
// matrix's order, with how its run ended, the GPUs the libraries reported, the top finding and
// its error line (initscope::MatrixOutcome), or where the row is on its way there.
#pragma once

#include "runmatrix.h"

#include <QAbstractTableModel>
#include <QList>

namespace initscope::ui
{

class MatrixModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { VariationColumn, EndColumn, DevicesColumn, TopFindingColumn, ErrorLineColumn, ColumnCount };
    enum class State {
        Waiting,     // not begun
        Recording,   // the CLI is recording it
        Summarizing, // recorded; its bundle is being read
        Done,        // outcome() is its grid row
        Cancelled,   // never recorded: the matrix was cancelled before or while it ran
        NotRecorded, // the CLI ended without recording it
    };

    explicit MatrixModel(QObject *parent = nullptr);

    // One Waiting row per variation, with the bundle it will be recorded into.
    void setVariations(const QStringList &names, const QStringList &bundlePaths);
    void setState(int row, State state);
    void setOutcome(int row, const MatrixOutcome &outcome); // and the row is Done
    // Every row waiting or being recorded becomes state (Cancelled or NotRecorded).
    void finishUnfinished(State state);

    State state(int row) const { return m_rows.at(row).state; }
    MatrixOutcome outcome(int row) const { return m_rows.at(row).outcome; }
    // The bundle of a Done row whose run was recorded; empty otherwise.
    QString bundlePath(int row) const;
    int finishedCount() const; // Done, Cancelled or NotRecorded
    // exit 0 or the stop rule's end.
    static bool endedCleanly(const QString &end);
    // A run that went wrong: an end other than those (or a cancel), or a finding.
    static bool failing(const MatrixOutcome &outcome);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    struct Row {
        State state = State::Waiting;
        MatrixOutcome outcome; // variation and bundlePath from the start
    };
    void rowChanged(int row);

    QList<Row> m_rows;
};

} // namespace initscope::ui
