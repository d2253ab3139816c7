// Narrows an OutputModel to one stream and/or to lines containing a text, matched against
// the whole line (not only the part that is shown), case-insensitively.
#pragma once

#include "data.h"

#include <QSortFilterProxyModel>

#include <optional>

namespace initscope::ui
{

class OutputFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit OutputFilterModel(QObject *parent = nullptr);

    // std::nullopt shows both streams.
    void setStream(std::optional<Stream> stream);
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    std::optional<Stream> m_stream;
    QString m_text;
};

} // namespace initscope::ui
