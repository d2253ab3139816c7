#include "cliprocess.h"

#include <QCoreApplication>
#include <QDir>
#include <QRegularExpression>
#include <QTimer>

#include <csignal>
#include <utility>

#include <sys/prctl.h>
#include <unistd.h>

namespace initscope {

namespace {

QString shellQuoted(const QString &arg)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(arg).hasMatch())
        return arg;
    return QLatin1Char('\'') + QString(arg).replace(QLatin1Char('\''), QLatin1String("'\\''")) + QLatin1Char('\'');
}

// Whole lines of pending, each handed to take without its end; the rest stays.
template <typename Take>
void takeLines(QByteArray &pending, Take &&take)
{
    qsizetype newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
        take(pending.left(newline));
        pending.remove(0, newline + 1);
    }
}

QString lineText(const QByteArray &bytes)
{
    QString text = QString::fromUtf8(bytes);
    if (text.endsWith(QLatin1Char('\r')))
        text.chop(1);
    return text;
}

} // namespace

CliProcess::CliProcess(QObject *parent)
    : QObject(parent), m_killTimer(new QTimer(this)), m_program(defaultProgram())
{
    m_killTimer->setSingleShot(true);
    m_killTimer->setInterval(kCancelGraceMs);
    connect(m_killTimer, &QTimer::timeout, this, [this] { signalGroup(SIGKILL); });
}

CliProcess::~CliProcess()
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

QString CliProcess::defaultProgram()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("initscope"));
}

void CliProcess::setProgram(const QString &program)
{
    m_program = program;
}

bool CliProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

QString CliProcess::commandLine() const
{
    QStringList words{shellQuoted(m_program)};
    for (const QString &arg : m_arguments)
        words << shellQuoted(arg);
    return words.join(QLatin1Char(' '));
}

bool CliProcess::startCli(const QStringList &arguments, const QString &workingDirectory, const QString &busy)
{
    if (isRunning()) {
        Q_EMIT failed(busy);
        return false;
    }
    if (m_process)
        m_process->deleteLater();
    m_process = new QProcess(this);
    m_arguments = arguments;
    m_cancelled = false;
    m_pid = 0;
    m_pendingOut.clear();
    m_pendingErr.clear();
    m_process->setProgram(m_program);
    m_process->setArguments(arguments);
    m_process->setWorkingDirectory(workingDirectory);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] { read(QProcess::StandardOutput); });
    connect(m_process, &QProcess::readyReadStandardError, this, [this] { read(QProcess::StandardError); });
    connect(m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        m_killTimer->stop();
        read(QProcess::StandardOutput);
        read(QProcess::StandardError);
        for (QByteArray *rest : {&m_pendingOut, &m_pendingErr}) {
            if (!rest->isEmpty())
                line(lineText(std::exchange(*rest, QByteArray())));
        }
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

void CliProcess::read(QProcess::ProcessChannel channel)
{
    if (!m_process)
        return;
    m_process->setReadChannel(channel);
    const QByteArray data = m_process->readAll();
    if (channel == QProcess::StandardOutput) {
        standardOutput(data);
        return;
    }
    m_pendingErr += data;
    takeLines(m_pendingErr, [this](const QByteArray &bytes) { line(lineText(bytes)); });
}

void CliProcess::standardOutput(const QByteArray &data)
{
    m_pendingOut += data;
    takeLines(m_pendingOut, [this](const QByteArray &bytes) { line(lineText(bytes)); });
}

void CliProcess::line(const QString &text)
{
    Q_EMIT outputLine(text);
}

void CliProcess::cancel()
{
    if (!isRunning() || m_cancelled)
        return;
    m_cancelled = true;
    signalGroup(SIGTERM);
    m_killTimer->start();
}

void CliProcess::signalGroup(int signal)
{
    if (isRunning() && m_pid > 0)
        ::kill(-pid_t(m_pid), signal);
}

} // namespace initscope
