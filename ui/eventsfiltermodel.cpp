#include "eventsfiltermodel.h"

#include "eventsmodel.h"

#include <algorithm>

namespace initscope::ui
{

EventsFilterModel::EventsFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    // String ids belong to a bundle: new rows, maybe of another one, start afresh.
    connect(this, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_stringMatches.clear(); });
}

const EventsModel *EventsFilterModel::events() const
{
    return qobject_cast<const EventsModel *>(sourceModel());
}

void EventsFilterModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    m_numeric = !text.isEmpty() && std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c.isDigit(); });
    m_recordMatches.clear();
    m_stringMatches.clear();
    // One layout change, not a signal per range of rows that comes or goes.
    invalidate();
}

void EventsFilterModel::setRecordMatches(std::vector<qint64> ids)
{
    m_recordMatches = std::move(ids);
    invalidate();
}

bool EventsFilterModel::stringMatches(qint32 stringId) const
{
    if (stringId == 0)
        return false;
    const auto it = m_stringMatches.constFind(stringId);
    if (it != m_stringMatches.constEnd())
        return *it;
    const EventsModel *model = events();
    const EventScanner *scanner = model ? model->scanner() : nullptr;
    const bool match = scanner && scanner->text(stringId).contains(m_text, Qt::CaseInsensitive);
    m_stringMatches.insert(stringId, match);
    return match;
}

bool EventsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const EventsModel *model = events();
    if (sourceParent.isValid() || !model)
        return !sourceParent.isValid();
    if (m_text.isEmpty())
        return true;
    const EventRow *row = model->eventRow(sourceRow);
    if (!row)
        return false;
    if (stringMatches(row->kindId) || stringMatches(row->nameId))
        return true;
    if (m_numeric && QString::number(row->tid).contains(m_text))
        return true;
    if (std::binary_search(m_recordMatches.begin(), m_recordMatches.end(), row->id))
        return true;
    return model->libraryDetails(sourceRow).contains(m_text, Qt::CaseInsensitive);
}

} // namespace initscope::ui
