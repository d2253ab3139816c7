// The top-level window: File, Go and Help menus, the toolbar, one tab per open bundle, drag and
// drop, the status bar, and what is kept between launches (geometry, toolbar, splitter sizes,
// recent files). Everything inside a tab lives in BundlePage and below.
#pragma once

#include <QMainWindow>

#include <functional>

class QAction;
class QLabel;
class QStackedWidget;
class QTabWidget;

namespace initscope::ui
{

class BundlePage;
class CompareView;
class RecentFiles;
class RetryController;
class WelcomePage;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // Shows why a file could not be opened. The default puts up a message box; tests and
    // batch callers replace it so that nothing waits for a click.
    using ErrorReporter = std::function<void(const QString &path, const QString &message)>;

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens path in a new tab, or switches to its tab when it is already open. Returns false
    // after reporting the error when the file cannot be used; other tabs are untouched.
    bool openBundle(const QString &path);
    void openBundles(const QStringList &paths);
    // File > Import Log: turns an Ollama server log (or llama.cpp output) a user sent into a
    // bundle and opens it. With no bundlePath the bundle is a new file in importDirectory().
    // Returns the bundle's path, or an empty string after reporting why the log was refused.
    QString importLog(const QString &logPath, const QString &bundlePath = QString());
    // Where imported logs become bundles: <temp>/initscope-imports (docs/ollama-logs.md).
    static QString importDirectory();
    void closeTab(int index);
    // Opens path again in its tab (same place in the tab bar), for a bundle replaced on disk —
    // by a retry that added a run. Returns the new page, or nullptr after reporting the error.
    BundlePage *reloadBundle(const QString &path);
    // Run › Retry With (docs/diff.md, Retries).
    RetryController *retryController() const { return m_retry; }
    // Run > Compare with the Real Driver: the current run against the reference recording of
    // the same program on a real driver (resources/reference, docs/diff.md), in a compare
    // window. Returns that window, or nullptr after saying in the status bar why there is none.
    CompareView *compareWithReference();
    void setErrorReporter(ErrorReporter reporter);

    int pageCount() const;
    BundlePage *page(int index) const;
    BundlePage *currentPage() const;
    RecentFiles *recentFiles() const { return m_recent; }
    QString statusText() const;
    // Go menu: F8 / Shift+F8 and Ctrl+J / Ctrl+Shift+J, acting on the current run's view.
    QAction *nextErrorAction() const { return m_nextError; }
    QAction *previousErrorAction() const { return m_previousError; }
    QAction *nextSameFunctionAction() const { return m_nextSame; }
    QAction *previousSameFunctionAction() const { return m_previousSame; }
    // Moves to the next (previous) failed call or error line, or to the next (previous) call of
    // the selected call's function (docs/gui.md); says so in the status bar when there is none.
    bool goToError(bool forward);
    bool goToSameFunction(bool forward);
    void showShortcuts();

Q_SIGNALS:
    void bundleOpened(const QString &path);
    void openFailed(const QString &path, const QString &message);
    void logImported(const QString &logPath, const QString &bundlePath);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void showOpenDialog();
    void showImportDialog();
    void currentTabChanged();
    void showAbout();
    bool navigate(bool errors, bool forward);

    RecentFiles *m_recent;
    QStackedWidget *m_stack;
    WelcomePage *m_welcome;
    QTabWidget *m_tabs;
    QLabel *m_status;
    ErrorReporter m_reportError;
    QString m_errorTitle; // of the message box the default reporter puts up
    QAction *m_nextError = nullptr;
    QAction *m_previousError = nullptr;
    QAction *m_nextSame = nullptr;
    QAction *m_previousSame = nullptr;
    RetryController *m_retry = nullptr;
};

} // namespace initscope::ui
