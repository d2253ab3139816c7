// The run's Calls tab: every traced call of every process in one sortable table, a filter bar
// (text, API family, process, thread, failed only) and the details of the selected call
// beside it. The calls are read the first time the tab is shown: those of a small bundle at
// once, those of a large one on a worker thread while the summary says how many are coming.
// On a large run the text search through the calls' records and the Result sort keys are made
// on a worker too; a newer request or another run makes an older one's answer stale, and it is
// dropped (docs/gui.md, "Large runs"). Other views follow the selection through eventSelected()
// and drive it through selectEvent().
#pragma once

#include "data.h"

#include <QHash>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

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
class EventScanner;
}

namespace initscope::ui
{

class CallsFilterModel;
struct CallsData;
class CallsModel;
class CallsWorker;
class EventDetailsView;

class CallsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit CallsPanel(QWidget *parent = nullptr);

    // reader must outlive this panel or the next setRun(); nullptr clears it.
    void setRun(const BundleReader *reader, qint64 runId);
    // Reads the run's calls unless that was done or is under way; showing the panel does it
    // too. A bundle file of up to inlineLoadLimit() bytes is read at once, a larger one on a
    // worker thread: isLoading() until loaded().
    void load();
    bool isLoaded() const { return m_state == LoadState::Loaded; }
    bool isLoading() const { return m_state == LoadState::Loading; }
    qint64 inlineLoadLimit() const { return m_inlineLoadLimit; }
    void setInlineLoadLimit(qint64 bytes) { m_inlineLoadLimit = bytes; }
    // Loading, or searching the calls' records for the filter text, or making sort keys.
    bool isBusy() const;

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
    QLabel *summaryLabel() const { return m_summary; }
    // Applies the text filter now instead of after the typing pause.
    void applyTextFilter();

public Q_SLOTS:
    // Makes the call current and visible, clearing filters that hide it. Does not emit
    // eventSelected(). Before the calls are read (or while they are) the id is kept and
    // selected once they are; false then, and when the run has no such call.
    bool selectEvent(qint64 eventId);

Q_SIGNALS:
    // The user selected a call here (in the table, through a details link or F8).
    void eventSelected(qint64 processId, qint64 eventId);
    // The calls have been read and are in the table.
    void loaded();

protected:
    void showEvent(QShowEvent *event) override;

private:
    enum class LoadState { NotLoaded, Loading, Loaded };

    void finishLoad(std::unique_ptr<EventScanner> scanner, std::shared_ptr<const CallsData> calls,
                    const QString &error);
    void sortRequested(int column, Qt::SortOrder order);
    void prefetchVisible();
    void scrollToCurrent();
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
    LoadState m_state = LoadState::NotLoaded;
    qint64 m_inlineLoadLimit = 8 << 20; // some 20,000 events: read in a few tens of ms
    qint64 m_expectedCalls = -1;        // counted while they load; -1 until known
    QString m_loadError;
    int m_sortColumn = 0;     // the sort last accepted, to go back to from one that is not
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    QString m_note;           // why the last request was not followed
    qint64 m_pendingEventId = -1;
    std::optional<bool> m_pendingFailure; // F8 (forward) or Shift+F8 pressed while loading
    bool m_selecting = false; // selectEvent() at work: no eventSelected()
    QHash<qint64, QString> m_labels; // Process::id → what the table calls it
    QHash<qint64, qint64> m_pids; // Process::id → pid, for naming main threads
    QHash<qint64, QList<LibLoad>> m_loads; // per process, read when a call of it is shown

    CallsModel *m_model;
    CallsFilterModel *m_proxy;
    CallsWorker *m_worker;
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
