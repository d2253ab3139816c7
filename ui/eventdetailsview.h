// The details pane beside the Calls table: the call's one-line summary, then the
// EventDetailsModel tree. A click on a row that leads to another event (the resolver request
// that handed out the pointer) asks for that event to be selected.
#pragma once

#include "eventdetailsmodel.h"

#include <QWidget>

class QLabel;
class QTreeView;

namespace initscope::ui
{

class EventDetailsView : public QWidget
{
    Q_OBJECT
public:
    explicit EventDetailsView(QWidget *parent = nullptr);

    void setCall(const Event &event, const EventDetailsModel::Context &context);
    void clear();

    EventDetailsModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }
    QLabel *summaryLabel() const { return m_summary; }
    // "Field: value" of the selected rows, one per line, as Copy puts it on the clipboard.
    QString selectedText() const;

Q_SIGNALS:
    void eventActivated(qint64 processId, qint64 eventId);

private:
    void activate(const QModelIndex &index);

    QLabel *m_summary;
    EventDetailsModel *m_model;
    QTreeView *m_view;
};

} // namespace initscope::ui
