#include "outputfiltermodel.h"

#include "outputmodel.h"

namespace initscope::ui
{

OutputFilterModel::OutputFilterModel(QObject *parent) : QSortFilterProxyModel(parent) {}

void OutputFilterModel::setStream(std::optional<Stream> stream)
{
    if (stream == m_stream)
        return;
    m_stream = stream;
    invalidateRowsFilter();
}

void OutputFilterModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateRowsFilter();
}

bool OutputFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (sourceParent.isValid())
        return false;
    const auto *output = qobject_cast<const OutputModel *>(sourceModel());
    if (!output)
        return true;
    if (m_stream && output->lineStream(sourceRow) != *m_stream)
        return false;
    if (m_text.isEmpty())
        return true;
    return QString::fromUtf8(output->lineBytes(sourceRow)).contains(m_text, Qt::CaseInsensitive);
}

} // namespace initscope::ui
