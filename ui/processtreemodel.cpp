#include "processtreemodel.h"

#include "format.h"
#include "theme.h"

#include <QFont>

#include <algorithm>

namespace initscope::ui
{

ProcessTreeModel::ProcessTreeModel(QObject *parent) : QAbstractItemModel(parent) {}

void ProcessTreeModel::setProcesses(const QList<Process> &processes)
{
    beginResetModel();
    m_nodes.clear();
    m_roots.clear();
    m_byId.clear();

    QList<Process> sorted = processes;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Process &a, const Process &b) {
        return a.startNs != b.startNs ? a.startNs < b.startNs : a.id < b.id;
    });
    m_nodes.reserve(size_t(sorted.size()));
    for (const Process &p : sorted) {
        m_byId.insert(p.id, int(m_nodes.size()));
        // An argv element of megabytes is quoted, escaped and cut here, once, not per paint.
        m_nodes.push_back(Node{p, -1, 0, false, {}, cellText(quoteArgv(p.argv)), 0});
    }

    // The image an exec replaced is the better parent than the forking process: it keeps a
    // pid's successive images together.
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        Node &node = m_nodes[i];
        const int viaExec = m_byId.value(node.process.previousImageId, -1);
        const int viaFork = m_byId.value(node.process.parentId, -1);
        node.viaExec = viaExec >= 0 && viaExec != int(i);
        node.parent = node.viaExec ? viaExec : (viaFork != int(i) ? viaFork : -1);
    }
    // A damaged bundle could link images in a loop; such an image becomes a root instead of
    // vanishing from the tree.
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        int at = m_nodes[i].parent;
        for (size_t steps = 0; at >= 0 && steps <= m_nodes.size(); ++steps) {
            if (at == int(i)) {
                m_nodes[i].parent = -1;
                m_nodes[i].viaExec = false;
                break;
            }
            at = m_nodes[size_t(at)].parent;
        }
    }
    // Depths without recursion (a parent may start after its child in a damaged bundle): walk up
    // to a node whose depth is known, then fill in the way back.
    std::vector<int> path;
    std::vector<bool> known(m_nodes.size(), false);
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        path.clear();
        int at = int(i);
        while (at >= 0 && !known[size_t(at)]) {
            path.push_back(at);
            at = m_nodes[size_t(at)].parent;
        }
        int depth = at >= 0 ? m_nodes[size_t(at)].depth : -1;
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            m_nodes[size_t(*it)].depth = ++depth;
            known[size_t(*it)] = true;
        }
    }
    // Deeper than kDepthLimit: listed under the ancestor at that depth. Shallower nodes are
    // done first, so each deep node finds its parent already moved.
    std::vector<int> byDepth(m_nodes.size());
    for (size_t i = 0; i < m_nodes.size(); ++i)
        byDepth[i] = int(i);
    std::stable_sort(byDepth.begin(), byDepth.end(),
                     [this](int a, int b) { return m_nodes[size_t(a)].depth < m_nodes[size_t(b)].depth; });
    for (int i : byDepth) {
        Node &node = m_nodes[size_t(i)];
        if (node.depth <= kDepthLimit + 1)
            continue;
        node.parent = m_nodes[size_t(node.parent)].parent;
        node.viaExec = false;
    }
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        Node &node = m_nodes[i];
        QList<int> &siblings = node.parent >= 0 ? m_nodes[size_t(node.parent)].children : m_roots;
        if (node.viaExec)
            siblings.prepend(int(i));
        else
            siblings.append(int(i));
    }
    auto number = [this](const QList<int> &list) {
        for (int r = 0; r < list.size(); ++r)
            m_nodes[size_t(list[r])].row = r;
    };
    number(m_roots);
    for (const Node &node : m_nodes)
        number(node.children);
    endResetModel();
}

void ProcessTreeModel::clear()
{
    setProcesses({});
}

const Process *ProcessTreeModel::process(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    return &m_nodes[size_t(index.internalId())].process;
}

QModelIndex ProcessTreeModel::indexOfProcess(qint64 processId, int column) const
{
    const int node = m_byId.value(processId, -1);
    if (node < 0)
        return {};
    return createIndex(m_nodes[size_t(node)].row, column, quintptr(node));
}

QModelIndex ProcessTreeModel::firstFailure() const
{
    QList<int> stack(m_roots.crbegin(), m_roots.crend());
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        const Node &node = m_nodes[size_t(n)];
        if (isFailure(node.process))
            return createIndex(node.row, 0, quintptr(n));
        for (auto it = node.children.crbegin(); it != node.children.crend(); ++it)
            stack.append(*it);
    }
    return {};
}

const QList<int> &ProcessTreeModel::childrenOf(const QModelIndex &parent) const
{
    return parent.isValid() ? m_nodes[size_t(parent.internalId())].children : m_roots;
}

QModelIndex ProcessTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    if (parent.isValid() && parent.column() != 0)
        return {};
    const QList<int> &children = childrenOf(parent);
    if (row >= children.size())
        return {};
    return createIndex(row, column, quintptr(children[row]));
}

QModelIndex ProcessTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const int parentNode = m_nodes[size_t(child.internalId())].parent;
    if (parentNode < 0)
        return {};
    return createIndex(m_nodes[size_t(parentNode)].row, 0, quintptr(parentNode));
}

int ProcessTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(childrenOf(parent).size());
}

int ProcessTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant ProcessTreeModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant ProcessTreeModel::rawData(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Node &node = m_nodes[size_t(index.internalId())];
    const Process &p = node.process;

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ProcessColumn: {
            QString label = processLabel(p);
            if (const QString role = m_roles.value(p.id); !role.isEmpty())
                label = QStringLiteral("%1 — %2").arg(p.pid > 0 ? label : processName(p), role);
            if (node.depth > kDepthLimit)
                label = QStringLiteral("[depth %1] ").arg(node.depth) + label;
            return node.viaExec ? QStringLiteral("↳ exec ") + label : label;
        }
        case ExitColumn:
            return formatExit(p);
        case DurationColumn:
            return p.endNs ? formatDuration(*p.endNs - p.startNs) : QStringLiteral("—");
        case CommandColumn:
            return node.command;
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case ProcessColumn: {
            // Each value escaped on its own line: a line break inside one cannot fake another.
            QString tip = QStringLiteral("%1\npid %2, ppid %3")
                              .arg(cellText(p.exe), QString::number(p.pid), QString::number(p.ppid));
            if (node.viaExec)
                tip += QStringLiteral("\nreplaced %1 by execve()")
                           .arg(processLabel(m_nodes[size_t(node.parent)].process));
            if (node.depth > kDepthLimit)
                tip += QStringLiteral("\n%1 levels deep in the process tree, listed under its ancestor %2 levels deep")
                           .arg(node.depth)
                           .arg(kDepthLimit);
            if (!p.recorded)
                tip += QStringLiteral("\nthe recorder did not run inside this image");
            return tip;
        }
        case CommandColumn: {
            QStringList lines;
            for (const QString &arg : p.argv)
                lines << cellText(arg);
            return lines.join(QLatin1Char('\n'));
        }
        default:
            return rawData(index, Qt::DisplayRole);
        }
    case Qt::ForegroundRole:
        if (isFailure(p) && (index.column() == ProcessColumn || index.column() == ExitColumn))
            return theme::failure();
        if (index.column() == ExitColumn &&
            (p.endReason == EndReason::Exec || p.endReason == EndReason::Unknown))
            return theme::muted();
        break;
    case Qt::FontRole:
        if (isFailure(p) && index.column() == ExitColumn) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == DurationColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case ProcessIdRole:
        return p.id;
    case FailedRole:
        return isFailure(p);
    }
    return {};
}

QVariant ProcessTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ProcessColumn:
        return QStringLiteral("Process");
    case ExitColumn:
        return QStringLiteral("Exit");
    case DurationColumn:
        return QStringLiteral("Duration");
    case CommandColumn:
        return QStringLiteral("Command line");
    }
    return {};
}

} // namespace initscope::ui
