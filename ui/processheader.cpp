#include "processheader.h"

#include "format.h"
#include "ollamaimport.h"
#include "theme.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace initscope::ui
{

namespace
{

QLabel *caption(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    theme::setColor(label, theme::muted);
    label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return label;
}

QLabel *value(QWidget *parent)
{
    auto *label = new QLabel(parent);
    // Values come from the bundle: a name that looks like HTML is shown, never rendered.
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Long paths must clip, not push the splitter open.
    label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    return label;
}

} // namespace

ProcessHeader::ProcessHeader(QWidget *parent)
    : QWidget(parent), m_title(value(this)), m_ids(value(this)), m_exit(value(this)),
      m_exe(value(this)), m_command(new QLineEdit(this)), m_times(value(this))
{
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Preferred);
    m_ids->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Preferred);
    QFont exitFont = m_exit->font();
    exitFont.setBold(true);
    m_exit->setFont(exitFont);

    m_command->setReadOnly(true);
    m_command->setFrame(false);
    m_command->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_command->setBackgroundRole(QPalette::Window);
    theme::setColor(m_command, [] { return QGuiApplication::palette().color(QPalette::Window); }, QPalette::Base);

    auto *titleRow = new QHBoxLayout;
    titleRow->setSpacing(12);
    titleRow->addWidget(m_title);
    titleRow->addWidget(m_ids);
    titleRow->addWidget(m_exit, 1);

    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(8, 6, 8, 6);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(2);
    grid->addLayout(titleRow, 0, 0, 1, 2);
    grid->addWidget(caption(QStringLiteral("Executable"), this), 1, 0);
    grid->addWidget(m_exe, 1, 1);
    grid->addWidget(caption(QStringLiteral("Command"), this), 2, 0);
    grid->addWidget(m_command, 2, 1);
    grid->addWidget(caption(QStringLiteral("Time"), this), 3, 0);
    grid->addWidget(m_times, 3, 1);
    grid->setColumnStretch(1, 1);
    clear();
}

void ProcessHeader::setProcess(const Run &run, const Process &p, const Process *parent)
{
    m_title->setText(processName(p));
    const bool imported = isImportedLogRun(run);
    // An imported log names a pid only where journald printed one.
    QString ids = p.pid > 0 ? QStringLiteral("pid %1").arg(p.pid) : QStringLiteral("pid not in the log");
    if (p.ppid > 0)
        ids += QStringLiteral(" · ppid %1").arg(p.ppid);
    if (parent)
        ids += QStringLiteral(" (%1)").arg(processName(*parent));
    if (p.execSeq > 0)
        ids += QStringLiteral(" · image %1 of this pid").arg(p.execSeq + 1);
    m_ids->setText(ids);

    m_exit->setText(formatExit(p));
    if (isFailure(p))
        theme::setColor(m_exit, theme::failure);
    else if (p.endReason != EndReason::Exited)
        theme::setColor(m_exit, theme::muted);
    else
        theme::clearColor(m_exit);

    m_exe->setText(p.exe.isEmpty() ? QStringLiteral("(unknown)") : cellText(p.exe));
    m_exe->setToolTip(toolTipText(cellText(p.exe)));
    m_command->setText(cellText(quoteArgv(p.argv)));
    m_command->setCursorPosition(0);
    // One argument a line, each escaped on its own: a line break inside one cannot fake another.
    QStringList args;
    for (const QString &arg : p.argv)
        args << cellText(arg);
    m_command->setToolTip(toolTipText(args.join(QLatin1Char('\n'))));

    QString times = QStringLiteral("started at %1 ms").arg(formatMs(p.startNs));
    if (run.startRealtimeNs > 0) {
        const QDateTime wall =
            QDateTime::fromMSecsSinceEpoch((run.startRealtimeNs + p.startNs) / 1000000);
        times +=
            QStringLiteral(" (%1)").arg(wall.toString(QStringLiteral("yyyy-MM-dd hh:mm:ss.zzz")));
    }
    if (p.endNs) {
        times += QStringLiteral(" · ended at %1 ms · ran %2")
                     .arg(formatMs(*p.endNs), formatDuration(*p.endNs - p.startNs));
    } else {
        times += QStringLiteral(" · end not recorded");
    }
    if (imported)
        times += QStringLiteral(" · imported from a log, not recorded");
    else if (!p.recorded)
        times += QStringLiteral(" · recorder not active in this image");
    m_times->setText(times);
    setEnabled(true);
}

void ProcessHeader::clear()
{
    m_title->setText(QStringLiteral("No process selected"));
    m_ids->clear();
    m_exit->clear();
    m_exe->clear();
    m_command->clear();
    m_times->clear();
    setEnabled(false);
}

QString ProcessHeader::titleText() const
{
    return m_title->text() + QLatin1Char(' ') + m_ids->text();
}

QString ProcessHeader::exitText() const
{
    return m_exit->text();
}

QString ProcessHeader::commandText() const
{
    return m_command->text();
}

QString ProcessHeader::timesText() const
{
    return m_times->text();
}

} // namespace initscope::ui
