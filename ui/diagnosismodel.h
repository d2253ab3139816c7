// The ranked findings of one run's diagnosis as a tree: one top-level row per finding, its
// evidence items as children. Built from core's Diagnosis; never diagnoses anything itself.
#pragma once

#include "diagnosis.h"

#include <QAbstractItemModel>

namespace initscope::ui
{

class DiagnosisModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { TextColumn, WhereColumn, ColumnCount };
    enum Role {
        EvidenceKindRole = Qt::UserRole + 1, // int(Evidence::Kind); -1 on a finding row
        EvidenceIdRole,                      // Evidence::id; -1 on a finding row
        ProcessIdRole,                       // processes.id of the finding or evidence
    };

    explicit DiagnosisModel(QObject *parent = nullptr);

    void setFindings(const QList<Finding> &findings);
    const QList<Finding> &findings() const { return m_findings; }

    // nullptr unless index is a finding row (or evidence row, for evidence()).
    const Finding *finding(const QModelIndex &index) const;
    const Evidence *evidence(const QModelIndex &index) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    QList<Finding> m_findings;
};

// The colour a finding's severity is shown in.
QColor severityColor(Severity severity);

} // namespace initscope::ui
