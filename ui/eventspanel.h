// The events of the selected process as a table, filterable by kind, name and details.
#pragma once

#include "data.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace initscope::ui
{

class EventsModel;

class EventsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit EventsPanel(QWidget *parent = nullptr);

    void setEvents(const QList<Event> &events, const QList<LibSearch> &searches = {},
                   const QList<LibLoad> &loads = {});

    EventsModel *model() const { return m_model; }

public Q_SLOTS:
    // Makes the row of events.id eventId current and visible, clearing a filter that hides
    // it; false when this process has no such event.
    bool selectEvent(qint64 eventId);

public:
    QTableView *view() const { return m_view; }

private:
    void updateSummary();

    EventsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filterEdit;
    QLabel *m_summary;
};

} // namespace initscope::ui
