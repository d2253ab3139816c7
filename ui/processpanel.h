// Everything about one selected process image: its header, then Output, Events, Libraries
// and Environment tabs, each titled with how much it holds. An output line leads to the
// event it is about (double-click, or Show Nearest Event in its menu).
#pragma once

#include "data.h"

#include <QWidget>

#include <functional>
#include <memory>

class QTabWidget;

namespace initscope
{
class BundleReader;
class EventScanner;
}

namespace initscope::ui
{

class EnvironmentPanel;
class EventsLoader;
class EventsPanel;
class LibrariesPanel;
class OutputPanel;
class ProcessHeader;

class ProcessPanel : public QWidget
{
    Q_OBJECT
public:
    enum Tab { OutputTab, EventsTab, LibrariesTab, EnvironmentTab };

    // A process with at least this many events has its Events tab filled by a worker thread,
    // "Loading N events…" meanwhile; smaller ones are read at once (docs/gui.md, "Large runs").
    static constexpr qint64 kBackgroundLoadFrom = 20000;

    explicit ProcessPanel(QWidget *parent = nullptr);

    // Asks reader for the image's output, events and libraries; parent may be nullptr. The
    // events of a large process come later: eventsLoaded() says when. A later call supersedes
    // a load still under way.
    void showProcess(const BundleReader &reader, const Run &run, const Process &process,
                     const Process *parent);
    void clear();
    // Switch to the Events or Output tab and select the row there; false when not found.
    // While the events are loading, true when eventId is an event of this process: it is
    // selected once they are there (unless another showEvent() or showProcess() came first).
    bool showEvent(qint64 eventId);
    // The Events tab is still waiting for the rows of a large process.
    bool isLoadingEvents() const;
    bool showOutputLine(Stream stream, int line);
    // Selects the event the output line is about in the Events tab: looking back from the
    // line's time, the last event whose function or library the line names, else the last
    // failed call whose message it quotes, else the last event before it; false when the
    // process has no events.
    bool showEventNearLine(const QModelIndex &outputIndex);
    // F8 / Shift+F8: in the Output tab the next (previous) line an error rule matches
    // (report.h), elsewhere the next (previous) failed call in the Events tab; wraps around.
    bool goToError(bool forward);
    // Ctrl+J / Ctrl+Shift+J: the next (previous) call of the selected call's function.
    bool goToSameFunction(bool forward);

    ProcessHeader *header() const { return m_header; }
    OutputPanel *outputPanel() const { return m_output; }
    EventsPanel *eventsPanel() const { return m_events; }
    LibrariesPanel *librariesPanel() const { return m_libraries; }
    EnvironmentPanel *environmentPanel() const { return m_environment; }
    QTabWidget *tabs() const { return m_tabs; }
    qint64 processId() const { return m_processId; }

Q_SIGNALS:
    // The current row of the Events tab became eventId, by a click or by showEvent().
    void eventSelected(qint64 processId, qint64 eventId);
    // The Events tab holds the events of processId now: at once from showProcess() for a small
    // process, later for a large one.
    void eventsLoaded(qint64 processId);

private:
    // Fills the Events tab, or starts the worker that will; true when the rows are there now.
    bool loadEvents(const BundleReader &reader, qint64 runId, qint64 processId,
                    const QList<LibSearch> &searches, const QList<LibLoad> &loads);
    void setEventsTitle(qint64 count, bool loading);
    // Selects the next (previous) row of the Events tab (rows of EventsModel) that matches,
    // given the row of the current one (-1 when none); the current row is tried last with
    // includeCurrent.
    bool stepEvents(bool forward, bool includeCurrent, const std::function<bool(int row, int current)> &matches);

    ProcessHeader *m_header;
    QTabWidget *m_tabs;
    OutputPanel *m_output;
    EventsPanel *m_events;
    LibrariesPanel *m_libraries;
    EnvironmentPanel *m_environment;
    EventsLoader *m_loader;
    qint64 m_processId = -1;
    // The GUI thread's reader of the shown bundle's events, shared with the Events tab's model.
    std::shared_ptr<const EventScanner> m_scanner;
    // While a large process's events load: what their rows will be shown with, and the event
    // showEvent() asked for meanwhile.
    QList<LibSearch> m_loadingSearches;
    QList<LibLoad> m_loadingLoads;
    qint64 m_pendingEventId = -1;
    // The run whose config and files the Environment tab shows.
    const BundleReader *m_filesReader = nullptr;
    QString m_filesBundle;
    qint64 m_filesRunId = -1;
};

} // namespace initscope::ui
