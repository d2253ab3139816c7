// Run › Retry With (docs/diff.md, Retries): the variations of the current run as a menu, and
// Edit Environment…; for a run recorded on another machine the exact command and environment
// first, and a question; the retry run in the background by the `initscope` CLI beside the GUI
// (core/retryprocess.h) with progress and Cancel; then the bundle's tab reopened on the new run
// and the comparison with the original in a window of its own.
#pragma once

#include "recording.h"
#include "retryprocess.h"

#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

class QAction;
class QMenu;
class QProgressDialog;
class QTimer;

namespace initscope::ui
{

class CompareView;
class MainWindow;

class RetryController : public QObject
{
    Q_OBJECT
public:
    // Asks a person whether to run a retry of a run from another machine; text holds the exact
    // command and environment. The default puts up a message box; tests answer themselves.
    using Confirmer = std::function<bool(const QString &title, const QString &text)>;
    // Lets a person edit the recorded run's environment; false when they cancelled. The
    // default is EnvironmentEditDialog.
    using EnvironmentEditor =
        std::function<bool(const RecordOptions &recorded, QStringList *set, QStringList *unset)>;
    // Says why a retry could not be made or failed. The default puts up a message box.
    using ErrorReporter = std::function<void(const QString &title, const QString &message)>;

    explicit RetryController(MainWindow *window);
    ~RetryController() override;

    // The "Retry With" menu (rebuilt for the current run whenever it is about to show) and the
    // action that opens it, for a menu and the toolbar.
    QMenu *menu() const { return m_menu; }
    QAction *menuAction() const;
    RetryProcess *process() const { return m_process; }
    QProgressDialog *progressDialog() const;
    // The comparison window the last retry opened, while it is open.
    CompareView *compareView() const;

    void setConfirmer(Confirmer confirmer) { m_confirm = std::move(confirmer); }
    void setEnvironmentEditor(EnvironmentEditor editor) { m_editEnvironment = std::move(editor); }
    void setErrorReporter(ErrorReporter reporter) { m_reportError = std::move(reporter); }

    // Fills the menu for the current tab's current run; disables it while a retry runs.
    void refresh();
    // Retries the current run with the variation of that id (retryVariations()) and a person's
    // environment edits. False when nothing was started: refused, not confirmed, or busy.
    bool retry(const QString &variationId, const QStringList &setEnv = {}, const QStringList &unsetEnv = {});
    // Edit Environment…: the recorded run ("as-recorded") with what the editor returns.
    bool editEnvironmentAndRetry();
    bool isRunning() const { return m_process->isRunning(); }

Q_SIGNALS:
    // The retry added runId to the bundle and its tab shows it; the comparison follows.
    void retryFinished(const QString &bundlePath, qint64 runId);
    void retryFailed(const QString &message);
    void compareOpened(initscope::ui::CompareView *view);

private:
    struct Pending {
        QString bundle;
        qint64 originalRun = -1;
        int originalNumber = 0; // 1-based, as the run selector shows it
        QList<qint64> runsBefore;
        QString title;          // the variation's title
        qint64 startedMs = 0;
        QString lastLine;
    };

    // False without *why when no run is shown, with *why when it cannot be retried.
    bool currentRun(Run *run, RecordOptions *recorded, QString *why);
    void showProgress();
    void updateProgress();
    void processFinished(int exitCode, bool cancelled);
    void openComparison(const QString &bundle, qint64 runA, qint64 runB, const QString &labelA,
                        const QString &labelB);
    void report(const QString &title, const QString &message);

    MainWindow *m_window;
    QMenu *m_menu;
    RetryProcess *m_process;
    QPointer<QProgressDialog> m_progress;
    QTimer *m_ticker;
    QPointer<CompareView> m_compare;
    Pending m_pending;
    Confirmer m_confirm;
    EnvironmentEditor m_editEnvironment;
    ErrorReporter m_reportError;
};

} // namespace initscope::ui
