// Run > Run Matrix…: a run matrix (docs/run-config.md, "Matrices") recorded by
// `initscope record --matrix` in a process of its own, its grid filled in row by row as each
// variation's bundle is written: variation × how the run ended, the GPUs reported, the top
// finding and its error line. Cancel stops the variation being recorded and marks the rest
// cancelled; a double-click on a row opens its bundle in the main window.
#pragma once

#include "runmatrix.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableView;
class QToolButton;

namespace initscope
{
class RecordProcess;
}

namespace initscope::ui
{

class MatrixModel;

class MatrixWindow : public QWidget
{
    Q_OBJECT
public:
    explicit MatrixWindow(QWidget *parent = nullptr);
    ~MatrixWindow() override;

    // Reads the matrix (loadRunMatrix()) and shows its variations, waiting; false with the same
    // one-line error as `initscope record --matrix` when it cannot be used.
    bool load(const QString &matrixPath, QString *error);
    // <matrix folder>/<matrix name>-matrix, where the CLI would put them when run there.
    static QString defaultOutputDirectory(const QString &matrixPath);
    void setOutputDirectory(const QString &directory);
    QString outputDirectory() const;
    // The `initscope` to run (default: the one beside this executable).
    void setProgram(const QString &program);

    bool start();
    void cancel();
    bool isRunning() const;

    MatrixModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const { return m_status; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPlainTextEdit *log() const { return m_log; }
    RecordProcess *process() const { return m_process; }

Q_SIGNALS:
    void openBundleRequested(const QString &path);
    // The CLI has exited and every recorded row has its outcome.
    void finished(bool cancelled);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void variationStarted(int index, int count, const QString &name);
    void processFinished(int exitCode, bool cancelled);
    void summarize(int row);
    void summarized(int generation, int row, const MatrixOutcome &outcome);
    void openRow(int row);
    void updateControls();
    void checkFinished();

    RunMatrix m_matrix;
    QString m_path;
    RecordProcess *m_process;
    MatrixModel *m_model;
    QLabel *m_title;
    QLabel *m_file;
    QLineEdit *m_outputDir;
    QToolButton *m_browse;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPushButton *m_open;
    QProgressBar *m_progress;
    QLabel *m_status;
    QTableView *m_view;
    QPlainTextEdit *m_log;
    int m_generation = 0;
    int m_pendingSummaries = 0;
    bool m_processEnded = true;
    bool m_cancelled = false;
    int m_exitCode = 0;
};

} // namespace initscope::ui
