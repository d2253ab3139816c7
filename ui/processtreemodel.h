// The process tree of one run: one row per program image. A forked child sits under the
// image that forked it; an image that replaced another by execve() sits under the image it
// replaced, first among its children, marked "↳ exec", so a chain like sh -c → ollama reads
// top to bottom in the order it happened. Past kDepthLimit levels the tree stops nesting: a
// deeper image is listed under its ancestor at that depth, in start order, and says its depth
// ("[depth 57]"), so that a chain thousands of levels deep stays readable in its column.
#pragma once

#include "data.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QList>

#include <vector>

namespace initscope::ui
{

class ProcessTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { ProcessColumn, ExitColumn, DurationColumn, CommandColumn, ColumnCount };
    enum Role {
        ProcessIdRole = Qt::UserRole + 1, // Process::id, qint64
        FailedRole,                       // bool, isFailure()
    };

    static constexpr int kDepthLimit = 8;

    explicit ProcessTreeModel(QObject *parent = nullptr);

    void setProcesses(const QList<Process> &processes);
    void clear();
    // What each process was to the program, by Process::id ("server", "bootstrap runner", …):
    // shown next to its name. Set for runs imported from a log, whose processes have no pid of
    // their own to tell them apart. Call before setProcesses().
    void setRoles(const QHash<qint64, QString> &roles) { m_roles = roles; }

    int processCount() const { return int(m_nodes.size()); }
    // nullptr for an invalid index.
    const Process *process(const QModelIndex &index) const;
    QModelIndex indexOfProcess(qint64 processId, int column = 0) const;
    // The first image, in tree order, that ended in a failure; invalid if none did.
    QModelIndex firstFailure() const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant rawData(const QModelIndex &index, int role) const;
    struct Node {
        Process process;
        int parent = -1; // index into m_nodes
        int row = 0;     // position among the parent's children
        bool viaExec = false;
        QList<int> children;
        QString command; // the command line as its cell shows it, made once
        int depth = 0;   // in the process tree, whether or not the view nests it that deep
    };
    const QList<int> &childrenOf(const QModelIndex &parent) const;

    std::vector<Node> m_nodes;
    QList<int> m_roots;
    QHash<qint64, int> m_byId;
    QHash<qint64, QString> m_roles;
};

} // namespace initscope::ui
