#include "diagnosismodel.h"

#include "format.h"

#include "theme.h"

#include <QFont>
#include <QFontDatabase>

namespace initscope::ui
{

namespace
{
// internalId 0 marks a finding row; an evidence row stores its finding's row + 1.
constexpr quintptr kFindingRow = 0;

QString evidenceWhere(const Evidence &e)
{
    switch (e.kind) {
    case Evidence::Kind::OutputLine:
        return QStringLiteral("%1 line %2")
            .arg(e.stream == Stream::Stderr ? QStringLiteral("stderr") : QStringLiteral("stdout"))
            .arg(e.line);
    case Evidence::Kind::Process:
        return QStringLiteral("process");
    default:
        return QStringLiteral("%1 #%2").arg(evidenceKindName(e.kind)).arg(e.id);
    }
}
} // namespace

QColor severityColor(Severity severity)
{
    switch (severity) {
    case Severity::RootCause:
        return theme::failure();
    case Severity::Contributing:
        return theme::warning();
    case Severity::Harmless:
        break;
    }
    return theme::muted();
}

DiagnosisModel::DiagnosisModel(QObject *parent) : QAbstractItemModel(parent) {}

void DiagnosisModel::setFindings(const QList<Finding> &findings)
{
    beginResetModel();
    m_findings = findings;
    endResetModel();
}

const Finding *DiagnosisModel::finding(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() != kFindingRow)
        return nullptr;
    return &m_findings.at(index.row());
}

const Evidence *DiagnosisModel::evidence(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == kFindingRow)
        return nullptr;
    const Finding &f = m_findings.at(qsizetype(index.internalId() - 1));
    return &f.evidence.at(index.row());
}

QModelIndex DiagnosisModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, kFindingRow);
    return createIndex(row, column, quintptr(parent.row()) + 1);
}

QModelIndex DiagnosisModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == kFindingRow)
        return {};
    return createIndex(int(child.internalId() - 1), 0, kFindingRow);
}

int DiagnosisModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_findings.size());
    if (parent.column() != 0)
        return 0;
    const Finding *f = finding(parent);
    return f ? int(f->evidence.size()) : 0;
}

int DiagnosisModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant DiagnosisModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant DiagnosisModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    if (const Finding *f = finding(index)) {
        switch (role) {
        case Qt::DisplayRole:
            if (index.column() == TextColumn)
                return f->title;
            return QStringLiteral("%1 · %2%")
                .arg(severityName(f->severity))
                .arg(qRound(f->confidence * 100));
        case Qt::ToolTipRole:
            return f->step.isEmpty() ? f->title : f->title + QLatin1Char('\n') + f->step;
        case Qt::ForegroundRole:
            return severityColor(f->severity);
        case Qt::FontRole:
            if (index.column() == TextColumn && f->severity == Severity::RootCause) {
                QFont font;
                font.setBold(true);
                return font;
            }
            return {};
        case EvidenceKindRole:
        case EvidenceIdRole:
            return -1;
        case ProcessIdRole:
            return f->processId;
        default:
            return {};
        }
    }
    const Evidence *e = evidence(index);
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == TextColumn ? e->text : evidenceWhere(*e);
    case Qt::ToolTipRole:
        return QStringLiteral("%1\nClick to show it in the process views.").arg(e->text);
    case Qt::FontRole:
        if (index.column() == TextColumn && e->kind == Evidence::Kind::OutputLine)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == WhereColumn)
            return theme::muted();
        return {};
    case EvidenceKindRole:
        return int(e->kind);
    case EvidenceIdRole:
        return e->id;
    case ProcessIdRole:
        return e->processId;
    default:
        return {};
    }
}

QVariant DiagnosisModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TextColumn:
        return QStringLiteral("Finding / evidence");
    case WhereColumn:
        return QStringLiteral("Severity / where");
    default:
        return {};
    }
}

} // namespace initscope::ui
