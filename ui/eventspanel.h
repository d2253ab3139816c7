// The events of the selected process as a table, filterable by kind, name, thread and record
// (EventsFilterModel). While a large process's rows are read in the background the table
// gives way to a "Loading N events…" label (docs/gui.md, "Large runs").
#pragma once

#include "data.h"
#include "eventscan.h"

#include <QWidget>

#include <memory>
#include <vector>

class QLabel;
class QLineEdit;
class QStackedWidget;
class QTableView;
class QTimer;

namespace initscope::ui
{

class EventsFilterModel;
class EventsLoader;
class EventsModel;

class EventsPanel : public QWidget
{
    Q_OBJECT
public:
    // Processes with at least this many events have the records looked through off the GUI
    // thread when the filter text changes.
    static constexpr int kBackgroundSearchFrom = 20000;

    explicit EventsPanel(QWidget *parent = nullptr);

    // Shows rows (EventScanner::rows(query) of scanner's bundle); EventsModel::setRows().
    void setRows(std::shared_ptr<const EventScanner> scanner, const EventScanQuery &query,
                 std::vector<EventRow> rows, const QList<LibSearch> &searches = {},
                 const QList<LibLoad> &loads = {});
    // Empties the table and says that count events are on their way.
    void setLoading(qint64 count);
    // Empties the table; message, when there is one, takes its place (a bundle that could not
    // be read).
    void clear(const QString &message = {});
    bool isLoading() const { return m_loading; }

    EventsModel *model() const { return m_model; }
    EventsFilterModel *filterModel() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    // The label shown instead of the table while rows are loading.
    QLabel *placeholder() const { return m_placeholder; }

public Q_SLOTS:
    // Makes the row of events.id eventId current and visible, clearing a filter that hides
    // it; false when this process has no such event.
    bool selectEvent(qint64 eventId);

public:
    QTableView *view() const { return m_view; }

private:
    void updateSummary();
    void filterRecords();

    EventsModel *m_model;
    EventsFilterModel *m_proxy;
    EventsLoader *m_search; // looks through the records of a large process
    QStackedWidget *m_stack;
    QTableView *m_view;
    QLabel *m_placeholder;
    QLineEdit *m_filterEdit;
    QLabel *m_summary;
    QTimer *m_filterDelay;
    bool m_loading = false;
};

} // namespace initscope::ui
