// Everything about one selected process image: its header, then Output, Events, Libraries
// and Environment tabs, each titled with how much it holds.
#pragma once

#include "data.h"

#include <QWidget>

class QTabWidget;

namespace initscope
{
class BundleReader;
}

namespace initscope::ui
{

class EnvironmentPanel;
class EventsPanel;
class LibrariesPanel;
class OutputPanel;
class ProcessHeader;

class ProcessPanel : public QWidget
{
    Q_OBJECT
public:
    enum Tab { OutputTab, EventsTab, LibrariesTab, EnvironmentTab };

    explicit ProcessPanel(QWidget *parent = nullptr);

    // Asks reader for the image's output, events and libraries; parent may be nullptr.
    void showProcess(const BundleReader &reader, const Run &run, const Process &process,
                     const Process *parent);
    void clear();
    // Switch to the Events or Output tab and select the row there; false when not found.
    bool showEvent(qint64 eventId);
    bool showOutputLine(Stream stream, int line);

    ProcessHeader *header() const { return m_header; }
    OutputPanel *outputPanel() const { return m_output; }
    EventsPanel *eventsPanel() const { return m_events; }
    LibrariesPanel *librariesPanel() const { return m_libraries; }
    EnvironmentPanel *environmentPanel() const { return m_environment; }
    QTabWidget *tabs() const { return m_tabs; }

private:
    ProcessHeader *m_header;
    QTabWidget *m_tabs;
    OutputPanel *m_output;
    EventsPanel *m_events;
    LibrariesPanel *m_libraries;
    EnvironmentPanel *m_environment;
};

} // namespace initscope::ui
