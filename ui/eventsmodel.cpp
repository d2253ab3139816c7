#include "eventsmodel.h"

#include "format.h"
#include "theme.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <QJsonDocument>

namespace initscope::ui
{

EventsModel::EventsModel(QObject *parent) : QAbstractTableModel(parent) {}

void EventsModel::setEvents(const QList<Event> &events, const QList<LibSearch> &searches,
                            const QList<LibLoad> &loads)
{
    beginResetModel();
    m_events = events;
    m_searchByEvent.clear();
    m_loadByEvent.clear();
    for (const LibSearch &s : searches) {
        if (s.eventId >= 0)
            m_searchByEvent.insert(s.eventId, s);
    }
    for (const LibLoad &l : loads) {
        if (l.eventId >= 0)
            m_loadByEvent.insert(l.eventId, l);
    }
    endResetModel();
}

QString EventsModel::details(const Event &e) const
{
    if (const auto s = m_searchByEvent.constFind(e.id); s != m_searchByEvent.constEnd()) {
        const QString tried = s->steps.size() == 1
                                  ? QStringLiteral("1 path tried")
                                  : QStringLiteral("%1 paths tried").arg(s->steps.size());
        switch (s->outcome) {
        case SearchOutcome::Found:
            return QStringLiteral("found %1 (%2)").arg(s->resultPath, tried);
        case SearchOutcome::AlreadyLoaded:
            return QStringLiteral("already loaded %1").arg(s->resultPath);
        case SearchOutcome::NotFound:
            break;
        }
        return QStringLiteral("not found (%1)").arg(tried);
    }
    if (const auto l = m_loadByEvent.constFind(e.id); l != m_loadByEvent.constEnd()) {
        QString text = QStringLiteral("base=0x%1").arg(l->base, 12, 16, QLatin1Char('0'));
        if (!l->soname.isEmpty())
            text.prepend(QStringLiteral("soname=%1  ").arg(l->soname));
        return text;
    }
    // Traced calls carry a one-line decoded summary (and resolver / export-table details
    // with their own): that is what a reader wants in a table cell.
    if (e.kind.endsWith(QLatin1String(".call"))) {
        const QJsonObject payload = QJsonDocument::fromJson(e.payload).object();
        for (const char *detail : {"resolved", "exportTable"}) {
            const QString summary = payload.value(QLatin1String(detail)).toObject().value(QStringLiteral("summary")).toString();
            if (!summary.isEmpty())
                return summary;
        }
        const QString summary = payload.value(QStringLiteral("summary")).toString();
        if (!summary.isEmpty())
            return summary;
    }
    return formatPayload(e.payload);
}

const Event *EventsModel::event(int row) const
{
    return row >= 0 && row < m_events.size() ? &m_events[row] : nullptr;
}

int EventsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Event &e = m_events[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return formatMs(e.tsNs);
        case DurationColumn:
            return e.durNs > 0 ? formatDuration(e.durNs) : QString();
        case TidColumn:
            return e.tid;
        case KindColumn:
            return e.kind;
        case NameColumn:
            return e.name;
        case DetailsColumn:
            return details(e);
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == DetailsColumn) {
            // A tooltip is for a glance; a payload of megabytes would freeze the painter.
            if (e.payload.size() > 8192)
                return safeText(e.payload, 8192) + QStringLiteral(" …");
            const QJsonDocument doc = QJsonDocument::fromJson(e.payload);
            QString tip = doc.isNull() ? safeText(e.payload)
                                       : QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
            const QString shown = details(e);
            return shown == formatPayload(e.payload) ? tip : shown + QStringLiteral("\n\n") + tip;
        }
        return data(index, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn || index.column() == DurationColumn ||
            index.column() == TidColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        if (e.kind.endsWith(QLatin1String(".call"))) {
            // A call whose result code says failure stands out, as it does in the report.
            const QJsonObject result =
                QJsonDocument::fromJson(e.payload).object().value(QStringLiteral("result")).toObject();
            if (result.contains(QStringLiteral("code")) &&
                !result.value(QStringLiteral("ok")).toBool(result.value(QStringLiteral("code")).toInt(-1) == 0))
                return theme::failure();
        }
        break;
    case EventIdRole:
        return e.id;
    case TimeNsRole:
        return e.tsNs;
    }
    return {};
}

QVariant EventsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time (ms)");
    case DurationColumn:
        return QStringLiteral("Duration");
    case TidColumn:
        return QStringLiteral("TID");
    case KindColumn:
        return QStringLiteral("Kind");
    case NameColumn:
        return QStringLiteral("Name");
    case DetailsColumn:
        return QStringLiteral("Details");
    }
    return {};
}

} // namespace initscope::ui
