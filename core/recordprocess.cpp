#include "recordprocess.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
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

} // namespace

RecordProcess::RecordProcess(QObject *parent)
    : QObject(parent), m_killTimer(new QTimer(this)), m_program(defaultProgram())
{
    m_killTimer->setSingleShot(true);
    m_killTimer->setInterval(kCancelGraceMs);
    connect(m_killTimer, &QTimer::timeout, this, [this] { signalGroup(SIGKILL); });
}

RecordProcess::~RecordProcess()
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

QString RecordProcess::defaultProgram()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("initscope"));
}

void RecordProcess::setProgram(const QString &program)
{
    m_program = program;
}

bool RecordProcess::startConfig(const QString &configPath, const QString &bundlePath)
{
    m_matrix = false;
    const QFileInfo config(configPath);
    return start({QStringLiteral("record"), QStringLiteral("--config"), config.absoluteFilePath(), QStringLiteral("-o"),
                  QFileInfo(bundlePath).absoluteFilePath()},
                 config.absolutePath());
}

bool RecordProcess::startMatrix(const QString &matrixPath, const QString &outputDir)
{
    m_matrix = true;
    const QFileInfo matrix(matrixPath);
    return start({QStringLiteral("record"), QStringLiteral("--matrix"), matrix.absoluteFilePath(), QStringLiteral("-o"),
                  QFileInfo(outputDir).absoluteFilePath()},
                 matrix.absolutePath());
}

bool RecordProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

QString RecordProcess::commandLine() const
{
    QStringList words{shellQuoted(m_program)};
    for (const QString &arg : m_arguments)
        words << shellQuoted(arg);
    return words.join(QLatin1Char(' '));
}

bool RecordProcess::start(const QStringList &arguments, const QString &workingDirectory)
{
    if (isRunning()) {
        Q_EMIT failed(QStringLiteral("a recording is already running"));
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
    // A group of its own, so that cancel() reaches the CLI and nothing of ours; and SIGTERM, as
    // a cancel, should the GUI die first.
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this,
            [this] { readChannel(QProcess::StandardOutput); });
    connect(m_process, &QProcess::readyReadStandardError, this,
            [this] { readChannel(QProcess::StandardError); });
    connect(m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        m_killTimer->stop();
        readChannel(QProcess::StandardOutput);
        readChannel(QProcess::StandardError);
        for (QByteArray *rest : {&m_pendingOut, &m_pendingErr}) {
            if (!rest->isEmpty())
                emitLine(std::exchange(*rest, QByteArray()));
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

void RecordProcess::readChannel(QProcess::ProcessChannel channel)
{
    if (!m_process)
        return;
    m_process->setReadChannel(channel);
    const QByteArray data = m_process->readAll();
    QByteArray &pending = channel == QProcess::StandardOutput ? m_pendingOut : m_pendingErr;
    pending += data;
    qsizetype newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
        emitLine(pending.left(newline));
        pending.remove(0, newline + 1);
    }
}

void RecordProcess::emitLine(const QByteArray &bytes)
{
    QString line = QString::fromUtf8(bytes);
    if (line.endsWith(QLatin1Char('\r')))
        line.chop(1);
    if (m_matrix) {
        // `[2/6] incident`: the CLI's progress (docs/run-config.md, "Matrices").
        static const QRegularExpression progress(QStringLiteral("^\\[(\\d+)/(\\d+)\\] (.*)$"));
        const QRegularExpressionMatch m = progress.match(line);
        if (m.hasMatch())
            Q_EMIT variationStarted(m.captured(1).toInt() - 1, m.captured(2).toInt(), m.captured(3));
    }
    Q_EMIT outputLine(line);
}

void RecordProcess::cancel()
{
    if (!isRunning() || m_cancelled)
        return;
    m_cancelled = true;
    signalGroup(SIGTERM);
    m_killTimer->start();
}

void RecordProcess::signalGroup(int signal)
{
    if (isRunning() && m_pid > 0)
        ::kill(-pid_t(m_pid), signal);
}

} // namespace initscope
