// One run: the process tree on the left, the selected process on the right. Opens on the
// first image that failed, because that is what the user came to see.
#pragma once

#include "data.h"
#include "diagnosis.h"

#include <QWidget>

class QSplitter;
class QTabWidget;
class QTreeView;

namespace initscope
{
class BundleReader;
}

namespace initscope::ui
{

class CallsPanel;
class DevicePanel;
class DiagnosisPanel;
class ProcessPanel;
class ProcessTreeModel;
class SymbolsPanel;
class TimelineWidget;

class RunView : public QWidget
{
    Q_OBJECT
public:
    explicit RunView(QWidget *parent = nullptr);

    // reader must outlive this view or the next setRun().
    void setRun(const BundleReader *reader, const Run &run);
    void selectProcess(qint64 processId);
    // -1 when nothing is selected.
    qint64 currentProcessId() const;

    ProcessTreeModel *processModel() const { return m_model; }
    QTreeView *processView() const { return m_view; }
    ProcessPanel *processPanel() const { return m_panel; }
    DiagnosisPanel *diagnosisPanel() const { return m_diagnosis; }
    QSplitter *verticalSplitter() const { return m_vertical; }
    QTabWidget *runTabs() const { return m_runTabs; }
    SymbolsPanel *symbolsPanel() const { return m_symbols; }
    DevicePanel *devicePanel() const { return m_device; }
    CallsPanel *callsPanel() const { return m_calls; }
    TimelineWidget *timeline() const { return m_timeline; }
    // Fill the Symbols and Device tabs for the current run, once per run (each tab does it
    // when shown).
    void showSymbols();
    void showDevice();
    // The Timeline tab reads its index for the current run when first shown.
    void showTimeline();
    // A run with more events than this is diagnosed on a worker thread while the window
    // shows "Diagnosing…"; smaller ones at once (docs/gui.md, "Large runs").
    static void setBackgroundDiagnosisFrom(qint64 events);
    static qint64 backgroundDiagnosisFrom();

public Q_SLOTS:
    // Selects the evidence's process, then its event or output line in the process panel.
    void showEvidence(const initscope::Evidence &evidence);
    // Selects the event in every view of the run that lists it (the Calls tab when it is a
    // call, its process's Events), without emitting eventSelected().
    void selectEvent(qint64 processId, qint64 eventId);

Q_SIGNALS:
    // After the panel has been filled for processId (-1 when cleared).
    void processShown(qint64 processId);
    // The user selected an event in one of the run's views; the others already follow.
    void eventSelected(qint64 processId, qint64 eventId);
    // The diagnosis of the current run is in the panel (at once or from the worker thread).
    void diagnosisReady();

private:
    void showCurrent();
    void startDiagnosis();

    const BundleReader *m_reader = nullptr;
    Run m_run;
    ProcessTreeModel *m_model;
    QTreeView *m_view;
    ProcessPanel *m_panel;
    QSplitter *m_splitter;
    DiagnosisPanel *m_diagnosis;
    QSplitter *m_vertical;
    QTabWidget *m_runTabs;
    SymbolsPanel *m_symbols;
    bool m_symbolsShown = false;
    DevicePanel *m_device;
    bool m_deviceShown = false;
    CallsPanel *m_calls;
    bool m_syncing = false; // selecting in the process views on another view's behalf
    TimelineWidget *m_timeline;
    bool m_timelineShown = false;
    quint64 m_diagnosisGeneration = 0; // a result from an earlier run's worker is dropped
};

} // namespace initscope::ui
