#include "runfilesmodel.h"

#include "format.h"

#include "theme.h"

#include <QFontDatabase>
#include <QLocale>

#include <algorithm>

namespace initscope::ui
{

namespace
{
// Display order: what the user chose first, then what the run loaded, then the rest.
int kindRank(const QString &kind)
{
    static const QStringList order = {QStringLiteral("config"), QStringLiteral("shim"),
                                      QStringLiteral("gpu-library"), QStringLiteral("log")};
    const qsizetype i = order.indexOf(kind);
    return i < 0 ? int(order.size()) : int(i);
}
} // namespace

RunFilesModel::RunFilesModel(QObject *parent) : QAbstractTableModel(parent) {}

QString RunFilesModel::kindName(const QString &kind)
{
    if (kind == QLatin1String("config"))
        return QStringLiteral("run config");
    if (kind == QLatin1String("shim"))
        return QStringLiteral("shim");
    if (kind == QLatin1String("gpu-library"))
        return QStringLiteral("loaded");
    return kind;
}

void RunFilesModel::setArtifacts(const QList<Artifact> &artifacts)
{
    beginResetModel();
    m_files.clear();
    for (const Artifact &a : artifacts) {
        if (a.kind == QLatin1String("elf-facts") || a.kind == QLatin1String("machine-facts"))
            continue;
        auto same = std::find_if(m_files.begin(), m_files.end(), [&a](const File &f) {
            return f.path == a.path && (f.sha256.isEmpty() || a.sha256.isEmpty() || f.sha256 == QLatin1String(a.sha256));
        });
        if (same == m_files.end()) {
            m_files.append({a.path, {a.kind}, a.size, QString::fromLatin1(a.sha256)});
            continue;
        }
        if (!same->kinds.contains(a.kind))
            same->kinds << a.kind;
        if (same->sha256.isEmpty())
            same->sha256 = QString::fromLatin1(a.sha256);
        same->size = std::max(same->size, a.size);
    }
    for (File &f : m_files)
        std::sort(f.kinds.begin(), f.kinds.end(),
                  [](const QString &a, const QString &b) { return kindRank(a) < kindRank(b); });
    std::stable_sort(m_files.begin(), m_files.end(), [](const File &a, const File &b) {
        const int ra = kindRank(a.kinds.value(0));
        const int rb = kindRank(b.kinds.value(0));
        return ra != rb ? ra < rb : a.path < b.path;
    });
    endResetModel();
}

int RunFilesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_files.size());
}

int RunFilesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunFilesModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant RunFilesModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const File &f = m_files[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PathColumn:
            return f.path;
        case KindColumn: {
            QStringList names;
            for (const QString &kind : f.kinds)
                names << kindName(kind);
            return names.join(QStringLiteral(", "));
        }
        case SizeColumn:
            return QLocale::c().toString(f.size);
        case Sha256Column:
            return f.sha256.isEmpty() ? QStringLiteral("not hashed") : f.sha256;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == SizeColumn)
            return QStringLiteral("%1 bytes").arg(f.size);
        if (index.column() == KindColumn)
            return QStringLiteral("shim: given with --shim; loaded: a GPU library a process of the run loaded; "
                                  "run config: the file given with --config");
        return rawData(index, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::FontRole:
        if (index.column() == Sha256Column)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        break;
    case Qt::ForegroundRole:
        if (index.column() == Sha256Column && f.sha256.isEmpty())
            return theme::muted();
        break;
    }
    return {};
}

QVariant RunFilesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PathColumn:
        return QStringLiteral("File");
    case KindColumn:
        return QStringLiteral("Kind");
    case SizeColumn:
        return QStringLiteral("Size (bytes)");
    case Sha256Column:
        return QStringLiteral("SHA-256");
    }
    return {};
}

} // namespace initscope::ui
