#include "processpanel.h"

#include "bundle.h"
#include "environmentpanel.h"
#include "eventspanel.h"
#include "format.h"
#include "librariespanel.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processheader.h"

#include <QFrame>
#include <QTabWidget>
#include <QVBoxLayout>

namespace initscope::ui
{

ProcessPanel::ProcessPanel(QWidget *parent)
    : QWidget(parent), m_header(new ProcessHeader(this)), m_tabs(new QTabWidget(this)),
      m_output(new OutputPanel(m_tabs)), m_events(new EventsPanel(m_tabs)),
      m_libraries(new LibrariesPanel(m_tabs)), m_environment(new EnvironmentPanel(m_tabs))
{
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_output, QStringLiteral("Output"));
    m_tabs->addTab(m_events, QStringLiteral("Events"));
    m_tabs->addTab(m_libraries, QStringLiteral("Libraries"));
    m_tabs->addTab(m_environment, QStringLiteral("Environment"));

    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_header);
    layout->addWidget(line);
    layout->addWidget(m_tabs, 1);
    clear();
}

void ProcessPanel::showProcess(const BundleReader &reader, const Run &run, const Process &p,
                               const Process *parent)
{
    m_header->setProcess(run, p, parent);
    m_output->setOutput(reader.output(p.id),
                        QStringLiteral("%1-%2").arg(processName(p)).arg(p.pid));
    const QList<Event> events = reader.events(run.id, p.id);
    const QList<LibSearch> searches = reader.libSearches(run.id, p.id);
    const QList<LibLoad> loads = reader.libLoads(run.id, p.id);
    m_events->setEvents(events, searches, loads);
    m_libraries->setLibraries(searches, loads);
    m_environment->setEnvironment(p.env);

    const int lines = m_output->model()->rowCount();
    m_tabs->setTabText(OutputTab, lines == 1 ? QStringLiteral("Output (1 line)")
                                             : QStringLiteral("Output (%1 lines)").arg(lines));
    m_tabs->setTabText(EventsTab, QStringLiteral("Events (%1)").arg(events.size()));
    m_tabs->setTabText(LibrariesTab, QStringLiteral("Libraries (%1 searched, %2 loaded)")
                                         .arg(searches.size())
                                         .arg(loads.size()));
    m_tabs->setTabText(EnvironmentTab, QStringLiteral("Environment (%1)").arg(p.env.size()));
    m_tabs->setEnabled(true);
}

bool ProcessPanel::showEvent(qint64 eventId)
{
    if (!m_events->selectEvent(eventId))
        return false;
    m_tabs->setCurrentWidget(m_events);
    return true;
}

bool ProcessPanel::showOutputLine(Stream stream, int line)
{
    if (!m_output->selectLine(stream, line))
        return false;
    m_tabs->setCurrentWidget(m_output);
    return true;
}

void ProcessPanel::clear()
{
    m_header->clear();
    m_output->setOutput({}, QString());
    m_events->setEvents({});
    m_libraries->setLibraries({}, {});
    m_environment->setEnvironment({});
    m_tabs->setTabText(OutputTab, QStringLiteral("Output"));
    m_tabs->setTabText(EventsTab, QStringLiteral("Events"));
    m_tabs->setTabText(LibrariesTab, QStringLiteral("Libraries"));
    m_tabs->setTabText(EnvironmentTab, QStringLiteral("Environment"));
    m_tabs->setEnabled(false);
}

} // namespace initscope::ui
