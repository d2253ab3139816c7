#include "bundlepage.h"

#include "bundle.h"
#include "displaytext.h"
#include "format.h"
#include "processtreemodel.h"
#include "runview.h"
#include "theme.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{

QString runTitle(const Run &run, int index)
{
    constexpr qsizetype kTitleChars = 120;
    const QString name = run.name.isEmpty() ? quoteArgv(run.command) : run.name;
    return QStringLiteral("#%1  %2").arg(QString::number(index + 1), display::elide(name, kTitleChars));
}

QString runResult(const Run &run)
{
    if (run.timedOut)
        return QStringLiteral("timed out");
    if (run.cancelled)
        return QStringLiteral("cancelled");
    if (run.exitSignal)
        return signalName(*run.exitSignal);
    if (run.exitCode)
        return QStringLiteral("exit %1").arg(*run.exitCode);
    return QStringLiteral("no exit status");
}

} // namespace

BundlePage::BundlePage(std::unique_ptr<BundleReader> reader, QWidget *parent)
    : QWidget(parent), m_reader(std::move(reader)), m_runs(m_reader->runs()),
      m_runCombo(new QComboBox(this)), m_runLabel(new QLabel(QStringLiteral("Run"), this)),
      m_runInfo(new QLabel(this)), m_problem(new QLabel(this)), m_runView(new RunView(this))
{
    for (int i = 0; i < m_runs.size(); ++i)
        m_runCombo->addItem(runTitle(m_runs[i], i));
    m_runCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_runCombo->setMaximumWidth(480);
    // A single run needs no selector; its name is in the info line.
    m_runCombo->setVisible(m_runs.size() > 1);
    m_runLabel->setVisible(m_runs.size() > 1);
    m_runLabel->setBuddy(m_runCombo);
    m_runInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_runInfo->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    connect(m_runCombo, &QComboBox::currentIndexChanged, this, &BundlePage::showRun);
    // A damaged file opens, then fails on the query that reaches the damage; say so where the
    // user looks instead of showing silently shortened lists.
    m_problem->setVisible(false);
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setContentsMargins(8, 4, 8, 4);
    theme::setColor(m_problem, theme::failure);
    connect(m_runView, &RunView::processShown, this, &BundlePage::checkReader);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(8, 4, 8, 4);
    bar->addWidget(m_runLabel);
    bar->addWidget(m_runCombo);
    bar->addWidget(m_runInfo, 1);
    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(line);
    layout->addWidget(m_problem);
    layout->addWidget(m_runView, 1);

    showRun(m_runs.isEmpty() ? -1 : 0);
    checkReader();
}

QString BundlePage::readProblem() const
{
    const std::optional<BundleError> error = m_reader->queryError();
    return error ? error->message : QString();
}

void BundlePage::checkReader()
{
    const QString problem = readProblem();
    m_problem->setText(problem.isEmpty()
                           ? QString()
                           : QStringLiteral("Some data could not be read, lists may be "
                                            "incomplete: %1")
                                 .arg(display::elide(problem, 600)));
    m_problem->setVisible(!problem.isEmpty());
}

BundlePage::~BundlePage() = default;

QString BundlePage::path() const
{
    return m_reader->path();
}

int BundlePage::currentRun() const
{
    return m_runs.isEmpty() ? -1 : m_runCombo->currentIndex();
}

void BundlePage::setCurrentRun(int index)
{
    m_runCombo->setCurrentIndex(index);
}

QString BundlePage::summary() const
{
    return m_summary;
}

void BundlePage::showRun(int index)
{
    if (index < 0 || index >= m_runs.size()) {
        m_runView->setRun(nullptr, Run{});
        m_runInfo->setText(QStringLiteral("This bundle holds no runs."));
        m_summary = QStringLiteral("No runs");
        Q_EMIT summaryChanged(m_summary);
        return;
    }
    const Run &run = m_runs[index];
    m_runView->setRun(m_reader.get(), run);

    QStringList info;
    if (m_runs.size() == 1 && !run.name.isEmpty())
        info << QStringLiteral("<b>%1</b>").arg(htmlText(run.name, 200));
    info << QStringLiteral("<tt>%1</tt>").arg(htmlText(quoteArgv(run.command), 500));
    if (run.startRealtimeNs > 0)
        info << QDateTime::fromMSecsSinceEpoch(run.startRealtimeNs / 1000000)
                    .toString(QStringLiteral("yyyy-MM-dd hh:mm:ss"));
    if (!run.hostname.isEmpty())
        info << QStringLiteral("on %1").arg(htmlText(run.hostname, 200));
    if (!run.recorderVersion.isEmpty())
        info << QStringLiteral("recorder %1").arg(htmlText(run.recorderVersion, 100));
    m_runInfo->setText(info.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    m_runInfo->setToolTip(toolTipText(QDir::toNativeSeparators(m_reader->path())));

    const int processes = m_runView->processModel()->processCount();
    const qint64 events = m_reader->eventCount(run.id);
    m_summary = QStringLiteral("%1 %2 · %3 events · %4 · %5")
                    .arg(processes)
                    .arg(processes == 1 ? QStringLiteral("process") : QStringLiteral("processes"))
                    .arg(events)
                    .arg(formatDuration(run.durationNs), runResult(run));
    Q_EMIT summaryChanged(m_summary);
}

} // namespace initscope::ui
