#include "callsfiltermodel.h"

#include <algorithm>

namespace initscope::ui
{

CallsFilterModel::CallsFilterModel(QObject *parent) : QSortFilterProxyModel(parent) {}

const CallsModel *CallsFilterModel::calls() const
{
    return qobject_cast<const CallsModel *>(sourceModel());
}

bool CallsFilterModel::isFiltering() const
{
    return !m_text.isEmpty() || m_api || m_processId >= 0 || m_tid >= 0 || m_failedOnly;
}

void CallsFilterModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    // Inside the payload a quote or backslash of a value is escaped.
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    m_needle = escaped.toUtf8();
    m_asciiNeedle = std::all_of(m_needle.cbegin(), m_needle.cend(), [](char c) { return uchar(c) < 0x80; });
    // One layout change, not a signal per range of rows that comes or goes: a million rows
    // shown again at once stay a matter of milliseconds.
    invalidate();
}

void CallsFilterModel::setApi(std::optional<CallsModel::Api> api)
{
    if (api == m_api)
        return;
    m_api = api;
    invalidate();
}

void CallsFilterModel::setProcessId(qint64 processId)
{
    if (processId == m_processId)
        return;
    m_processId = processId;
    invalidate();
}

void CallsFilterModel::setThread(qint64 tid)
{
    if (tid == m_tid)
        return;
    m_tid = tid;
    invalidate();
}

void CallsFilterModel::setFailedOnly(bool failedOnly)
{
    if (failedOnly == m_failedOnly)
        return;
    m_failedOnly = failedOnly;
    invalidate();
}

bool CallsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const CallsModel *model = calls();
    if (sourceParent.isValid() || !model)
        return !sourceParent.isValid();
    const Event &e = model->event(sourceRow);
    if (m_api && model->api(sourceRow) != *m_api)
        return false;
    if (m_processId >= 0 && e.processId != m_processId)
        return false;
    if (m_tid >= 0 && e.tid != m_tid)
        return false;
    if (m_failedOnly && !model->isFailed(sourceRow))
        return false;
    if (m_text.isEmpty())
        return true;
    if (e.name.contains(m_text, Qt::CaseInsensitive) ||
        model->processLabel(e.processId).contains(m_text, Qt::CaseInsensitive))
        return true;
    // Latin-1 folding is exact for ASCII; other text is matched byte for byte.
    if (m_asciiNeedle)
        return QLatin1String(e.payload).contains(QLatin1String(m_needle), Qt::CaseInsensitive);
    return e.payload.contains(m_needle);
}

bool CallsFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const CallsModel *model = calls();
    if (!model)
        return QSortFilterProxyModel::lessThan(left, right);
    const int l = left.row();
    const int r = right.row();
    const Event &a = model->event(l);
    const Event &b = model->event(r);
    // Equal keys keep the time order, which is the source order.
    auto byKey = [l, r](const auto &ka, const auto &kb) { return ka != kb ? ka < kb : l < r; };
    // Case-sensitive: a case-insensitive compare of a million summaries takes seconds.
    auto byText = [l, r](const QString &ka, const QString &kb) {
        const int c = ka.compare(kb);
        return c != 0 ? c < 0 : l < r;
    };
    switch (left.column()) {
    case CallsModel::DurationColumn:
        return byKey(a.durNs, b.durNs);
    case CallsModel::ProcessColumn:
        return byText(model->processLabel(a.processId), model->processLabel(b.processId));
    case CallsModel::ThreadColumn:
        return byKey(a.tid, b.tid);
    case CallsModel::ApiColumn:
        return byKey(int(model->api(l)), int(model->api(r)));
    case CallsModel::FunctionColumn:
        return byText(a.name, b.name);
    case CallsModel::ResultColumn:
        return byText(model->decoded(l).result, model->decoded(r).result);
    case CallsModel::CallColumn:
        return byText(model->decoded(l).summary, model->decoded(r).summary);
    default:
        return l < r;
    }
}

} // namespace initscope::ui
