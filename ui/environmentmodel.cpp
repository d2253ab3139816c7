#include "environmentmodel.h"

#include "format.h"

#include <QFont>

#include <algorithm>

namespace initscope::ui
{

EnvironmentModel::EnvironmentModel(QObject *parent) : QAbstractTableModel(parent) {}

void EnvironmentModel::setEnvironment(const QStringList &env)
{
    beginResetModel();
    m_entries.clear();
    m_entries.reserve(env.size());
    for (const QString &entry : env) {
        const qsizetype eq = entry.indexOf(QLatin1Char('='));
        if (eq < 0)
            m_entries.append({entry, QString()});
        else
            m_entries.append({entry.left(eq), entry.mid(eq + 1)});
    }
    std::stable_sort(m_entries.begin(), m_entries.end(),
                     [](const Entry &a, const Entry &b) { return a.name < b.name; });
    endResetModel();
}

bool EnvironmentModel::isNotable(const QString &name)
{
    static const QStringList prefixes = {
        QStringLiteral("LD_"),     QStringLiteral("CUDA_"), QStringLiteral("NVIDIA_"),
        QStringLiteral("OLLAMA_"), QStringLiteral("GGML_"), QStringLiteral("HIP_"),
        QStringLiteral("ROCR_"),   QStringLiteral("__NV"),  QStringLiteral("INITSCOPE_")};
    for (const QString &prefix : prefixes) {
        if (name.startsWith(prefix))
            return true;
    }
    return name == QLatin1String("PATH");
}

int EnvironmentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int EnvironmentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EnvironmentModel::data(const QModelIndex &index, int role) const
{
    // EditRole stays the exact value (Copy); what is shown is escaped and cut (format.h).
    return shownData(rawData(index, role), role);
}

QVariant EnvironmentModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &e = m_entries[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        return index.column() == NameColumn ? e.name : e.value;
    case Qt::ToolTipRole:
        if (index.column() == ValueColumn && e.value.contains(QLatin1Char(':')) &&
            (e.name.endsWith(QLatin1String("PATH")) || e.name == QLatin1String("LD_PRELOAD")))
            return e.value.split(QLatin1Char(':')).join(QLatin1Char('\n'));
        return index.column() == NameColumn ? e.name : e.value;
    case Qt::FontRole:
        if (index.column() == NameColumn && isNotable(e.name)) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        break;
    }
    return {};
}

QVariant EnvironmentModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? QStringLiteral("Name") : QStringLiteral("Value");
}

} // namespace initscope::ui
