// `initscope record` run in a process of its own, for the GUI (docs/run-config.md, "In the GUI").
// Recording in the GUI's own process would make it the subreaper of every target and set
// SIGPIPE aside; a process of its own is also what makes a run cancellable at any moment
// without holding the event loop.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

class QTimer;

namespace initscope {

class RecordProcess : public QObject
{
    Q_OBJECT
public:
    // How long the CLI has, after SIGTERM, to stop the target and save what it recorded
    // before its process group is killed.
    static constexpr int kCancelGraceMs = 10000;

    explicit RecordProcess(QObject *parent = nullptr);
    // Cancels a run still going and waits for it (at most kCancelGraceMs, then SIGKILL).
    ~RecordProcess() override;

    // `initscope` beside the running executable.
    static QString defaultProgram();
    void setProgram(const QString &program);
    QString program() const { return m_program; }

    // `initscope record --config CONFIG -o BUNDLE`, started in CONFIG's folder so that the
    // config's relative paths mean the same as beside it. False (with failed()) when a run is
    // already going or the program cannot be started.
    bool startConfig(const QString &configPath, const QString &bundlePath);
    // `initscope record --matrix MATRIX -o DIR`, in MATRIX's folder: variationStarted() for
    // each variation as the CLI begins it, the grid as text at the end.
    bool startMatrix(const QString &matrixPath, const QString &outputDir);

    bool isRunning() const;
    // SIGTERM to the CLI's process group: the CLI stops the target's tree, saves what was
    // recorded and exits 130; the group is killed if it is still there kCancelGraceMs later.
    void cancel();
    bool wasCancelled() const { return m_cancelled; }
    qint64 processId() const { return m_pid; }
    // The program and its arguments, as a person would type them.
    QString commandLine() const;

Q_SIGNALS:
    // One line of what the CLI wrote: its own progress and summary and, for a single run, the
    // target's output as it forwards it.
    void outputLine(const QString &line);
    // A matrix run began its index-th variation (from 0) of count.
    void variationStarted(int index, int count, const QString &name);
    // The CLI has exited: its exit code (-1 after a crash or a kill) and whether cancel() was
    // called.
    void finished(int exitCode, bool cancelled);
    void failed(const QString &message);

private:
    bool start(const QStringList &arguments, const QString &workingDirectory);
    void readChannel(QProcess::ProcessChannel channel);
    void emitLine(const QByteArray &line);
    void signalGroup(int signal);

    QProcess *m_process = nullptr;
    QTimer *m_killTimer = nullptr;
    QString m_program;
    QStringList m_arguments;
    bool m_matrix = false;
    bool m_cancelled = false;
    qint64 m_pid = 0;
    QByteArray m_pendingOut;
    QByteArray m_pendingErr;
};

} // namespace initscope
