#include "retryprocess.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <csignal>
#include <utility>
#include <sys/prctl.h>
#include <unistd.h>

namespace initscope {

RetryProcess::RetryProcess(QObject *parent)
    : QObject(parent), m_killTimer(new QTimer(this)), m_program(defaultProgram())
{
    m_killTimer->setSingleShot(true);
    m_killTimer->setInterval(kCancelGraceMs);
    connect(m_killTimer, &QTimer::timeout, this, [this] { signalGroup(SIGKILL); });
}

RetryProcess::~RetryProcess()
{
    if (!isRunning())
        return;
    m_process->disconnect(this);
    signalGroup(SIGTERM);
    if (!m_process->waitForFinished(kCancelGraceMs)) {
        signalGroup(SIGKILL);
        m_process->waitForFinished(1000);
    }
}

QString RetryProcess::defaultProgram()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("initscope"));
}

void RetryProcess::setProgram(const QString &program)
{
    m_program = program;
}

QStringList RetryProcess::arguments(const Request &request)
{
    QStringList args{QStringLiteral("retry"), QStringLiteral("--yes")};
    if (request.runId > 0)
        args << QStringLiteral("--run") << QString::number(request.runId);
    for (const QString &kv : request.setEnv)
        args << QStringLiteral("--env") << kv;
    for (const QString &name : request.unsetEnv)
        args << QStringLiteral("--unset") << name;
    args << QFileInfo(request.bundle).absoluteFilePath() << request.variation;
    return args;
}

bool RetryProcess::start(const Request &request)
{
    if (isRunning()) {
        Q_EMIT failed(QStringLiteral("a retry is already running"));
        return false;
    }
    if (m_process)
        m_process->deleteLater();
    m_process = new QProcess(this);
    m_cancelled = false;
    m_pid = 0;
    m_stdout.clear();
    m_pendingErr.clear();
    m_process->setProgram(m_program);
    m_process->setArguments(arguments(request));
    // A run with a working directory of its own has it in its config; one without starts where
    // the CLI does, and the bundle's folder is the one choice that does not depend on how the
    // GUI was started.
    m_process->setWorkingDirectory(QFileInfo(request.bundle).absolutePath());
    m_process->setStandardInputFile(QProcess::nullDevice());
    // A group of its own, so that cancel() reaches the CLI and the target and nothing of ours;
    // and SIGTERM, as a cancel, should the GUI die first.
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this,
            [this] { m_stdout += m_process->readAllStandardOutput(); });
    connect(m_process, &QProcess::readyReadStandardError, this, &RetryProcess::readErrors);
    connect(m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        m_killTimer->stop();
        m_stdout += m_process->readAllStandardOutput();
        readErrors();
        if (!m_pendingErr.isEmpty())
            Q_EMIT outputLine(QString::fromUtf8(std::exchange(m_pendingErr, QByteArray())));
        Q_EMIT finished(status == QProcess::NormalExit ? exitCode : -1, m_cancelled);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            Q_EMIT failed(QStringLiteral("%1 could not be started: %2").arg(m_program, m_process->errorString()));
    });
    m_process->start();
    if (!m_process->waitForStarted(10000))
        return false; // failed() has said why
    m_pid = m_process->processId();
    return true;
}

void RetryProcess::readErrors()
{
    if (!m_process)
        return;
    m_pendingErr += m_process->readAllStandardError();
    qsizetype newline;
    while ((newline = m_pendingErr.indexOf('\n')) >= 0) {
        Q_EMIT outputLine(QString::fromUtf8(m_pendingErr.left(newline)));
        m_pendingErr.remove(0, newline + 1);
    }
}

bool RetryProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

void RetryProcess::cancel()
{
    if (!isRunning() || m_cancelled)
        return;
    m_cancelled = true;
    signalGroup(SIGTERM);
    m_killTimer->start();
}

void RetryProcess::signalGroup(int signal)
{
    if (isRunning() && m_pid > 0)
        ::kill(-pid_t(m_pid), signal);
}

} // namespace initscope
