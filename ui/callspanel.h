// The run's Calls tab: every traced call of every process in one sortable table, a filter bar
// (text, API family, process, thread, failed only) and the details of the selected call
// beside it. The calls are read the first time the tab is shown. Other views follow the
// selection through eventSelected() and drive it through selectEvent().
#pragma once

#include "data.h"

#include <QHash>
#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QTimer;

namespace initscope
{
class BundleReader;
}

namespace initscope::ui
{

class CallsFilterModel;
class CallsModel;
class EventDetailsView;

class CallsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit CallsPanel(QWidget *parent = nullptr);

    // reader must outlive this panel or the next setRun(); nullptr clears it.
    void setRun(const BundleReader *reader, qint64 runId);
    // Reads the run's calls unless that was done; showing the panel does it too.
    void load();
    bool isLoaded() const { return m_loaded; }

    // -1 when no call is selected.
    qint64 currentEventId() const;
    // Move the selection to the next (previous) failed call, or to the next (previous) call of
    // the selected call's function, in the order the table shows, wrapping around at the
    // end. False when there is none.
    bool goToFailure(bool forward);
    bool goToSameFunction(bool forward);

    CallsModel *model() const { return m_model; }
    CallsFilterModel *filterModel() const { return m_proxy; }
    QTableView *view() const { return m_view; }
    EventDetailsView *details() const { return m_details; }
    QSplitter *splitter() const { return m_splitter; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QComboBox *apiCombo() const { return m_apiCombo; }
    QComboBox *processCombo() const { return m_processCombo; }
    QComboBox *threadCombo() const { return m_threadCombo; }
    QCheckBox *failedOnlyBox() const { return m_failedOnly; }
    // Applies the text filter now instead of after the typing pause.
    void applyTextFilter();

public Q_SLOTS:
    // Makes the call current and visible, clearing filters that hide it. Does not emit
    // eventSelected(). Before the calls are read the id is kept and selected once they are;
    // false then, and when the run has no such call.
    bool selectEvent(qint64 eventId);

Q_SIGNALS:
    // The user selected a call here (in the table, through a details link or F8).
    void eventSelected(qint64 processId, qint64 eventId);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void currentChanged();
    void showDetails(int sourceRow);
    void fillProcessCombo();
    void fillThreadCombo();
    void applyFilters();
    void clearFilters();
    void updateSummary();
    bool step(bool forward, const std::function<bool(int)> &matches);
    void copySelection();

    const BundleReader *m_reader = nullptr;
    qint64 m_runId = -1;
    bool m_loaded = false;
    qint64 m_pendingEventId = -1;
    bool m_selecting = false; // selectEvent() at work: no eventSelected()
    QHash<qint64, qint64> m_pids; // Process::id → pid, for naming main threads
    QHash<qint64, QList<LibLoad>> m_loads; // per process, read when a call of it is shown

    CallsModel *m_model;
    CallsFilterModel *m_proxy;
    QLineEdit *m_filterEdit;
    QComboBox *m_apiCombo;
    QComboBox *m_processCombo;
    QComboBox *m_threadCombo;
    QCheckBox *m_failedOnly;
    QLabel *m_summary;
    QTimer *m_textTimer;
    QSplitter *m_splitter;
    QTableView *m_view;
    EventDetailsView *m_details;
};

} // namespace initscope::ui
