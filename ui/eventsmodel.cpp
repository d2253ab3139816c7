#include "eventsmodel.h"

#include "displaytext.h"
#include "format.h"
#include "theme.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace initscope::ui
{

EventsModel::EventsModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_details.setMaxCost(kDetailsCacheRows);
}

void EventsModel::setRows(std::shared_ptr<const EventScanner> scanner, const EventScanQuery &query,
                          std::vector<EventRow> rows, const QList<LibSearch> &searches,
                          const QList<LibLoad> &loads)
{
    beginResetModel();
    m_scanner = std::move(scanner);
    m_query = query;
    m_rows = std::move(rows);
    m_details.clear();
    m_callKinds.clear();
    if (m_scanner) {
        for (const EventRow &r : m_rows) {
            if (!m_callKinds.contains(r.kindId))
                m_callKinds.insert(r.kindId, m_scanner->text(r.kindId).endsWith(QLatin1String(".call")));
        }
    }
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

void EventsModel::clear()
{
    setRows(nullptr, {}, {});
}

const EventRow *EventsModel::eventRow(int row) const
{
    return row >= 0 && size_t(row) < m_rows.size() ? &m_rows[size_t(row)] : nullptr;
}

QString EventsModel::kind(int row) const
{
    const EventRow *r = eventRow(row);
    return r && m_scanner ? m_scanner->text(r->kindId) : QString();
}

QString EventsModel::name(int row) const
{
    const EventRow *r = eventRow(row);
    return r && m_scanner ? m_scanner->text(r->nameId) : QString();
}

bool EventsModel::isCall(int row) const
{
    const EventRow *r = eventRow(row);
    return r && m_callKinds.value(r->kindId);
}

bool EventsModel::isFailedCall(int row) const
{
    const EventRow *r = eventRow(row);
    return r && (r->status == CallStatus::Failed || r->status == CallStatus::Unfinished) && isCall(row);
}

int EventsModel::rowOfEvent(qint64 eventId) const
{
    // Time order is not id order; a pass over 48-byte rows takes a millisecond for a million.
    const auto it = std::find_if(m_rows.begin(), m_rows.end(),
                                 [eventId](const EventRow &r) { return r.id == eventId; });
    return it == m_rows.end() ? -1 : int(it - m_rows.begin());
}

QString EventsModel::libraryDetails(int row) const
{
    const EventRow *r = eventRow(row);
    if (!r)
        return {};
    if (const auto s = m_searchByEvent.constFind(r->id); s != m_searchByEvent.constEnd()) {
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
    if (const auto l = m_loadByEvent.constFind(r->id); l != m_loadByEvent.constEnd()) {
        QString text = QStringLiteral("base=0x%1").arg(l->base, 12, 16, QLatin1Char('0'));
        if (!l->soname.isEmpty())
            text.prepend(QStringLiteral("soname=%1  ").arg(l->soname));
        return text;
    }
    return {};
}

QHash<qint64, QByteArray> EventsModel::payloads(const QList<int> &rows) const
{
    QList<qint64> ids;
    ids.reserve(rows.size());
    for (int row : rows) {
        if (const EventRow *r = eventRow(row))
            ids.append(r->id);
    }
    return m_scanner ? m_scanner->payloads(ids) : QHash<qint64, QByteArray>();
}

QString EventsModel::renderDetails(int row, const QByteArray &payload) const
{
    const QString library = libraryDetails(row);
    if (!library.isEmpty())
        return display::elide(library, kMaxDetailsChars);
    QString text;
    // Traced calls carry a one-line decoded summary (and resolver / export-table details
    // with their own): that is what a reader wants in a table cell.
    if (isCall(row)) {
        const QJsonObject object = QJsonDocument::fromJson(payload).object();
        for (const char *detail : {"resolved", "exportTable"}) {
            text = object.value(QLatin1String(detail)).toObject().value(QStringLiteral("summary")).toString();
            if (!text.isEmpty())
                break;
        }
        if (text.isEmpty())
            text = object.value(QStringLiteral("summary")).toString();
    }
    if (text.isEmpty())
        return display::elide(formatPayload(payload), kMaxDetailsChars);
    return display::elide(text, kMaxDetailsChars);
}

QString EventsModel::details(int row) const
{
    if (const QString *cached = m_details.object(row))
        return *cached;
    // A view paints rows next to each other: one query for this row and its neighbours whose
    // details are not here yet, instead of one per painted row.
    QList<int> rows;
    QList<qint64> ids;
    const int first = std::max(0, row - kFetchMargin);
    const int last = std::min(rowCount() - 1, row + kFetchMargin);
    for (int r = first; r <= last; ++r) {
        if (r != row && m_details.contains(r))
            continue;
        rows.append(r);
        const qint64 id = m_rows[size_t(r)].id;
        if (!m_searchByEvent.contains(id) && !m_loadByEvent.contains(id))
            ids.append(id);
    }
    const QHash<qint64, QByteArray> fetched = m_scanner ? m_scanner->payloads(ids) : QHash<qint64, QByteArray>();
    QString shown;
    for (int r : rows) {
        QString text = renderDetails(r, fetched.value(m_rows[size_t(r)].id));
        if (r == row)
            shown = text;
        m_details.insert(r, new QString(std::move(text)));
    }
    return shown;
}

int EventsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EventsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const EventRow &e = m_rows[size_t(row)];
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
            return cellText(kind(row));
        case NameColumn:
            return cellText(name(row));
        case DetailsColumn:
            return details(row);
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == DetailsColumn) {
            // Hovering is rare: the payload is read for this one row and not kept.
            const QByteArray payload = payloads({row}).value(e.id);
            // A tooltip is for a glance; a payload of megabytes would freeze the painter.
            if (payload.size() > kToolTipChars)
                return asToolTip(display::elideBytes(payload, kToolTipChars));
            const QJsonDocument doc = QJsonDocument::fromJson(payload);
            QString tip = doc.isNull() ? safeText(payload)
                                       : display::escape(QString::fromUtf8(doc.toJson(QJsonDocument::Indented)),
                                                         display::Breaks::Keep);
            const QString shown = details(row);
            return asToolTip(shown == formatPayload(payload) ? tip : shown + QStringLiteral("\n\n") + tip);
        }
        return toolTipText(data(index, Qt::DisplayRole).toString());
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn || index.column() == DurationColumn ||
            index.column() == TidColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        // A call whose result says failure stands out, as it does in the report. The status
        // came with the row: no payload is read for it.
        if (e.status == CallStatus::Failed && isCall(row))
            return theme::failure();
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
