// `initscope retry` run in a process of its own, for the GUI's "Retry with…" (docs/diff.md,
// Retries). The CLI records and adds the run to the bundle, so the GUI and the command line
// retry in exactly the same way; a process of its own keeps the window responsive and makes a
// retry cancellable at any moment.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

class QTimer;

namespace initscope {

class RetryProcess : public QObject
{
    Q_OBJECT
public:
    // How long the CLI has, after SIGTERM, to stop the target before its group is killed.
    static constexpr int kCancelGraceMs = 10000;

    struct Request {
        QString bundle;
        qint64 runId = -1;
        QString variation;   // an id of retryVariations()
        QStringList setEnv;  // NAME=value, a person's edits on top of the variation
        QStringList unsetEnv;
    };

    explicit RetryProcess(QObject *parent = nullptr);
    // Cancels a retry still going and waits for it (at most kCancelGraceMs, then SIGKILL).
    ~RetryProcess() override;

    // `initscope` beside the running executable.
    static QString defaultProgram();
    void setProgram(const QString &program);
    QString program() const { return m_program; }

    // `retry --yes --run N [--env K=V]… [--unset K]… BUNDLE VARIATION`: the run is added to
    // BUNDLE. --yes because whoever starts it has shown the command and asked already.
    static QStringList arguments(const Request &request);
    // False (with failed()) when a retry is already going or the program cannot be started.
    bool start(const Request &request);

    bool isRunning() const;
    // SIGTERM to the CLI's process group: the CLI stops the target's tree, adds nothing and
    // exits 130; the group is killed if it is still there kCancelGraceMs later.
    void cancel();
    bool wasCancelled() const { return m_cancelled; }
    // What the CLI wrote on standard output: which run it added, and the diff.
    QString report() const { return QString::fromUtf8(m_stdout); }

Q_SIGNALS:
    // One line the CLI wrote on standard error: its progress and summary.
    void outputLine(const QString &line);
    // The CLI has exited: its exit code (-1 after a crash or a kill), and whether cancel() was
    // called.
    void finished(int exitCode, bool cancelled);
    void failed(const QString &message);

private:
    void readErrors();
    void signalGroup(int signal);

    QProcess *m_process = nullptr;
    QTimer *m_killTimer = nullptr;
    QString m_program;
    bool m_cancelled = false;
    qint64 m_pid = 0;
    QByteArray m_stdout;
    QByteArray m_pendingErr;
};

} // namespace initscope
