// `initscope` run in a process of its own, for the GUI: recordings, matrices and retries
// (recordprocess.h, retryprocess.h). A process of its own keeps the window responsive, makes
// a run cancellable at any moment, and keeps the GUI from becoming the subreaper of every
// target. The CLI gets a process group of its own, so that cancel() reaches it and its
// target and nothing of ours, and SIGTERM, as a cancel, should the GUI die first.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

class QTimer;

namespace initscope {

class CliProcess : public QObject
{
    Q_OBJECT
public:
    // How long the CLI has, after SIGTERM, to stop the target (and save what it recorded)
    // before its process group is killed.
    static constexpr int kCancelGraceMs = 10000;

    explicit CliProcess(QObject *parent = nullptr);
    // Cancels a run still going and waits for it (at most kCancelGraceMs, then SIGKILL).
    ~CliProcess() override;

    // `initscope` beside the running executable.
    static QString defaultProgram();
    void setProgram(const QString &program);
    QString program() const { return m_program; }

    bool isRunning() const;
    // SIGTERM to the CLI's process group: the CLI stops the target's tree and exits 130; the
    // group is killed if it is still there kCancelGraceMs later.
    void cancel();
    bool wasCancelled() const { return m_cancelled; }
    qint64 processId() const { return m_pid; }
    // The program and its arguments of the last start, as a person would type them.
    QString commandLine() const;

Q_SIGNALS:
    // One line the CLI wrote on standard error (and, unless a subclass keeps its standard
    // output, on standard output).
    void outputLine(const QString &line);
    // The CLI has exited: its exit code (-1 after a crash or a kill), and whether cancel() was
    // called.
    void finished(int exitCode, bool cancelled);
    void failed(const QString &message);

protected:
    // Starts the CLI with arguments in workingDirectory. False (with failed()) when one is
    // already running (busy says what) or the program cannot be started.
    bool startCli(const QStringList &arguments, const QString &workingDirectory, const QString &busy);
    // Bytes of standard output: split into lines by default.
    virtual void standardOutput(const QByteArray &data);
    // One whole line of either stream, without its end.
    virtual void line(const QString &text);

private:
    void read(QProcess::ProcessChannel channel);
    void signalGroup(int signal);

    QProcess *m_process = nullptr;
    QTimer *m_killTimer = nullptr;
    QString m_program;
    QStringList m_arguments;
    bool m_cancelled = false;
    qint64 m_pid = 0;
    QByteArray m_pendingOut;
    QByteArray m_pendingErr;
};

} // namespace initscope
