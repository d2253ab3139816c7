// Run > Record With: `initscope record --config FILE -o BUNDLE` running, its output as it comes,
// the time it has taken and Cancel. A bundle saved by a run that ended by itself opens at once;
// after Cancel or a failure the dialog stays to say what happened.
#pragma once

#include <QDialog>
#include <QElapsedTimer>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace initscope
{
class RecordProcess;
}

namespace initscope::ui
{

class RecordProgressDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RecordProgressDialog(QWidget *parent = nullptr);

    // The `initscope` to run (default: the one beside this executable).
    void setProgram(const QString &program);
    // Starts recording; false (and the dialog says why) when the CLI could not be started.
    bool start(const QString &configPath, const QString &bundlePath);
    bool isRunning() const;
    void cancel();

    RecordProcess *process() const { return m_process; }
    QString bundlePath() const { return m_bundle; }
    QPlainTextEdit *log() const { return m_log; }
    QLabel *statusLabel() const { return m_status; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *openButton() const { return m_open; }

Q_SIGNALS:
    // The run has ended and its bundle is there: the main window opens it.
    void bundleReady(const QString &path);
    void finished(int exitCode, bool cancelled);

public Q_SLOTS:
    // Esc and the window's close button cancel a run still going; afterwards they close.
    void reject() override;

private:
    void processFinished(int exitCode, bool cancelled);
    void updateElapsed();

    RecordProcess *m_process;
    QString m_bundle;
    QLabel *m_command;
    QLabel *m_status;
    QProgressBar *m_progress;
    QPlainTextEdit *m_log;
    QPushButton *m_cancel;
    QPushButton *m_open;
    QTimer *m_ticker;
    QElapsedTimer m_elapsed;
};

} // namespace initscope::ui
