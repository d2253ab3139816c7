#include "recordprogressdialog.h"

#include "recordprocess.h"
#include "theme.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace initscope::ui
{

RecordProgressDialog::RecordProgressDialog(QWidget *parent)
    : QDialog(parent), m_process(new RecordProcess(this)), m_command(new QLabel(this)), m_status(new QLabel(this)),
      m_progress(new QProgressBar(this)), m_log(new QPlainTextEdit(this)), m_ticker(new QTimer(this))
{
    setWindowTitle(QStringLiteral("Recording"));
    m_command->setWordWrap(true);
    m_command->setTextInteractionFlags(Qt::TextSelectableByMouse);
    theme::setColor(m_command, theme::muted);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress->setRange(0, 0); // how long a run takes is not known beforehand
    m_progress->setTextVisible(false);
    m_log->setReadOnly(true);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setMaximumBlockCount(20000);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(QStringLiteral("The target's output and initscope's summary appear here."));

    auto *buttons = new QDialogButtonBox(this);
    m_open = buttons->addButton(QStringLiteral("&Open Bundle"), QDialogButtonBox::AcceptRole);
    m_open->setEnabled(false);
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    connect(m_open, &QPushButton::clicked, this, [this] {
        Q_EMIT bundleReady(m_bundle);
        accept();
    });
    connect(m_cancel, &QPushButton::clicked, this, &RecordProgressDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_command);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_log, 1);
    layout->addWidget(buttons);
    resize(900, 520);

    m_ticker->setInterval(1000);
    connect(m_ticker, &QTimer::timeout, this, &RecordProgressDialog::updateElapsed);
    connect(m_process, &RecordProcess::outputLine, m_log, &QPlainTextEdit::appendPlainText);
    connect(m_process, &RecordProcess::finished, this, &RecordProgressDialog::processFinished);
    connect(m_process, &RecordProcess::failed, this, [this](const QString &message) {
        m_status->setText(message);
        theme::setColor(m_status, theme::failure);
    });
}

void RecordProgressDialog::setProgram(const QString &program)
{
    m_process->setProgram(program);
}

bool RecordProgressDialog::start(const QString &configPath, const QString &bundlePath)
{
    m_bundle = QFileInfo(bundlePath).absoluteFilePath();
    setWindowTitle(QStringLiteral("Recording %1").arg(QFileInfo(configPath).fileName()));
    m_log->clear();
    m_open->setEnabled(false);
    m_cancel->setText(QStringLiteral("Cancel"));
    m_progress->setRange(0, 0);
    m_progress->show();
    theme::clearColor(m_status);
    if (!m_process->startConfig(configPath, m_bundle)) {
        m_progress->hide();
        m_cancel->setText(QStringLiteral("Close"));
        return false;
    }
    m_command->setText(m_process->commandLine());
    m_elapsed.start();
    m_ticker->start();
    updateElapsed();
    return true;
}

bool RecordProgressDialog::isRunning() const
{
    return m_process->isRunning();
}

void RecordProgressDialog::cancel()
{
    if (!m_process->isRunning())
        return;
    m_process->cancel();
    m_cancel->setEnabled(false);
    m_status->setText(QStringLiteral("Cancelling: stopping the process tree and saving what was recorded…"));
}

void RecordProgressDialog::reject()
{
    if (m_process->isRunning()) {
        cancel();
        return;
    }
    QDialog::reject();
}

void RecordProgressDialog::updateElapsed()
{
    if (m_process->isRunning() && !m_process->wasCancelled())
        m_status->setText(QStringLiteral("Recording for %1 s into %2")
                              .arg(m_elapsed.elapsed() / 1000)
                              .arg(QDir::toNativeSeparators(m_bundle)));
}

void RecordProgressDialog::processFinished(int exitCode, bool cancelled)
{
    m_ticker->stop();
    m_progress->hide(); // the status says how it ended
    m_cancel->setEnabled(true);
    m_cancel->setText(QStringLiteral("Close"));
    const bool saved = QFileInfo(m_bundle).isFile();
    m_open->setEnabled(saved);
    // The CLI's own last word ("initscope: exit 1; 3 processes, …") says how the run ended.
    QString summary;
    const QStringList lines = m_log->toPlainText().split(QLatin1Char('\n'));
    for (auto it = lines.crbegin(); it != lines.crend() && summary.isEmpty(); ++it) {
        if (it->startsWith(QLatin1String("initscope")))
            summary = *it;
    }
    Q_EMIT finished(exitCode, cancelled);
    if (saved && !cancelled) {
        Q_EMIT bundleReady(m_bundle);
        accept();
        return;
    }
    if (cancelled) {
        m_status->setText(saved ? QStringLiteral("Cancelled. The bundle keeps what was recorded until then.")
                                : QStringLiteral("Cancelled before anything was saved."));
        theme::setColor(m_status, theme::warning);
        return;
    }
    m_status->setText(summary.isEmpty() ? QStringLiteral("Nothing was recorded (exit %1).").arg(exitCode) : summary);
    theme::setColor(m_status, theme::failure);
}

} // namespace initscope::ui
