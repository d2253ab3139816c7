#include "mainwindow.h"

#include "bundle.h"
#include "bundlepage.h"
#include "displaytext.h"
#include "exportmenu.h"
#include "format.h"
#include "callspanel.h"
#include "compareview.h"
#include "ollamaimport.h"
#include "processpanel.h"
#include "recentfiles.h"
#include "references.h"
#include "retrycontroller.h"
#include "runmenu.h"
#include "rundiff.h"
#include "runview.h"
#include "shortcutsdialog.h"
#include "welcomepage.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>

// The icons are compiled into the static initscope_ui library, whose resources are registered
// only when something references them. Q_INIT_RESOURCE must be used outside any namespace.
static void registerIcons()
{
    Q_INIT_RESOURCE(icons);
}

namespace initscope::ui
{

namespace
{

const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kSplitterPrefix = QStringLiteral("splitters/");
const QString kLastDirKey = QStringLiteral("mainWindow/lastDirectory");
const QString kLastLogDirKey = QStringLiteral("mainWindow/lastLogDirectory");
const QString kOpenBundleTitle = QStringLiteral("Cannot Open Bundle");

QStringList localFiles(const QMimeData *mime)
{
    QStringList files;
    if (!mime || !mime->hasUrls())
        return files;
    for (const QUrl &url : mime->urls()) {
        if (url.isLocalFile())
            files << url.toLocalFile();
    }
    return files;
}

// Every named splitter under root takes the sizes the user last gave a splitter of that name,
// and keeps them for the next one.
void keepSplitterSizes(QWidget *root)
{
    const QSettings settings;
    for (QSplitter *splitter : root->findChildren<QSplitter *>()) {
        if (splitter->objectName().isEmpty())
            continue;
        const QString key = kSplitterPrefix + splitter->objectName();
        splitter->restoreState(settings.value(key).toByteArray());
        QObject::connect(splitter, &QSplitter::splitterMoved, splitter,
                         [splitter, key] { QSettings().setValue(key, splitter->saveState()); });
    }
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_recent(new RecentFiles(this)), m_stack(new QStackedWidget(this)),
      m_welcome(new WelcomePage(m_stack)), m_tabs(new QTabWidget(m_stack)),
      m_status(new QLabel(this))
{
    registerIcons();
    setWindowTitle(QStringLiteral("InitScope"));
    // The installed theme's icon where there is one (hicolor, from the package), else the same
    // drawing built in: a window list or task bar shows InitScope's icon either way.
    setWindowIcon(QIcon::fromTheme(QStringLiteral("initscope"), QIcon(QStringLiteral(":/icons/initscope.svg"))));
    setAcceptDrops(true);

    m_errorTitle = kOpenBundleTitle;
    m_reportError = [this](const QString &, const QString &message) {
        // The message names the file, whose name may be a stranger's: shown escaped, as text.
        QMessageBox::warning(this, m_errorTitle, plainForLabel(display::elide(message, 2000)));
    };

    m_tabs->setDocumentMode(true);
    m_tabs->setTabsClosable(true);
    m_tabs->setMovable(true);
    m_tabs->tabBar()->setExpanding(false);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &MainWindow::closeTab);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::currentTabChanged);

    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);
    connect(m_welcome, &WelcomePage::openRequested, this, &MainWindow::showOpenDialog);
    connect(m_welcome, &WelcomePage::importRequested, this, &MainWindow::showImportDialog);
    connect(m_welcome, &WelcomePage::openFileRequested, this, &MainWindow::openBundle);
    connect(m_recent, &RecentFiles::openRequested, this, &MainWindow::openBundle);
    connect(m_recent, &RecentFiles::changed, this,
            [this] { m_welcome->setRecentFiles(m_recent->files()); });
    m_welcome->setRecentFiles(m_recent->files());

    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusBar()->addWidget(m_status, 1);
    createMenus();

    restoreState(QSettings().value(kStateKey).toByteArray());
    if (!restoreGeometry(QSettings().value(kGeometryKey).toByteArray())) {
        // Wide enough for a process tree beside full-width output lines.
        QSize size(1440, 900);
        if (const QScreen *s = screen())
            size = size.boundedTo(s->availableSize() * 0.92);
        resize(size);
    }
    currentTabChanged();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *open = file->addAction(QIcon(QStringLiteral(":/icons/open.svg")), QStringLiteral("&Open…"), this,
                                    &MainWindow::showOpenDialog);
    open->setShortcut(QKeySequence::Open);
    open->setObjectName(QStringLiteral("openAction"));
    m_recent->attachMenu(file->addMenu(QStringLiteral("Open &Recent")));
    QAction *import = file->addAction(QIcon(QStringLiteral(":/icons/import-log.svg")), QStringLiteral("&Import Log…"),
                                      this, &MainWindow::showImportDialog);
    import->setShortcut(QKeySequence(QStringLiteral("Ctrl+I")));
    import->setObjectName(QStringLiteral("importLogAction"));
    import->setStatusTip(QStringLiteral("Turn an Ollama server log (journalctl, docker logs, a terminal) or llama.cpp "
                                        "output into a bundle and diagnose it"));
    new ExportMenu(this, file);
    file->addSeparator();
    QAction *close = file->addAction(QStringLiteral("&Close"), this,
                                     [this] { closeTab(m_tabs->currentIndex()); });
    close->setShortcut(QKeySequence::Close);
    connect(m_tabs, &QTabWidget::currentChanged, close,
            [this, close] { close->setEnabled(m_tabs->count() > 0); });
    close->setEnabled(false);
    file->addSeparator();
    QAction *quit = file->addAction(QIcon::fromTheme(QStringLiteral("application-exit")),
                                    QStringLiteral("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    // Navigation inside the current run: the tab in front decides what "next" means.
    QMenu *go = menuBar()->addMenu(QStringLiteral("&Go"));
    auto goAction = [this, go](const QString &icon, const QString &text, const QKeySequence &keys, const QString &tip,
                               auto slot) {
        QAction *action = go->addAction(icon.isEmpty() ? QIcon() : QIcon(icon), text, this, slot);
        action->setShortcut(keys);
        action->setStatusTip(tip);
        action->setToolTip(QStringLiteral("%1 (%2)").arg(QString(text).remove(QLatin1Char('&')),
                                                         keys.toString(QKeySequence::NativeText)));
        action->setEnabled(false);
        return action;
    };
    m_nextError = goAction(QStringLiteral(":/icons/next-error.svg"), QStringLiteral("&Next Error"),
                           QKeySequence(Qt::Key_F8),
                           QStringLiteral("The next failed call, or the next error line in a process's output"),
                           [this] { goToError(true); });
    m_previousError = goAction(QStringLiteral(":/icons/previous-error.svg"), QStringLiteral("&Previous Error"),
                               QKeySequence(Qt::SHIFT | Qt::Key_F8),
                               QStringLiteral("The previous failed call, or the previous error line"),
                               [this] { goToError(false); });
    go->addSeparator();
    m_nextSame = goAction(QStringLiteral(":/icons/same-function.svg"), QStringLiteral("Next Call of the &Same Function"),
                          QKeySequence(Qt::CTRL | Qt::Key_J),
                          QStringLiteral("The next call of the selected call's function"),
                          [this] { goToSameFunction(true); });
    m_previousSame = goAction(QString(), QStringLiteral("Previous Call of the Same &Function"),
                              QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_J),
                              QStringLiteral("The previous call of the selected call's function"),
                              [this] { goToSameFunction(false); });

    // The current run as a whole: record it again with one thing changed.
    QMenu *run = menuBar()->addMenu(QStringLiteral("&Run"));
    m_retry = new RetryController(this);
    run->addMenu(m_retry->menu());
    QAction *reference = run->addAction(QStringLiteral("Compare with the Real &Driver"), this,
                                        [this] { compareWithReference(); });
    reference->setStatusTip(QStringLiteral("Align this run with the same program recorded on a real NVIDIA driver"));
    // Recording new runs: run configurations and matrices (docs/run-config.md, "In the GUI").
    run->addSeparator();
    new RunMenu(this, run);

    QMenu *help = menuBar()->addMenu(QStringLiteral("&Help"));
    QAction *keys = help->addAction(QStringLiteral("&Keyboard Shortcuts…"), this, &MainWindow::showShortcuts);
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(QStringLiteral("&About InitScope"), this, &MainWindow::showAbout);

    QToolBar *bar = addToolBar(QStringLiteral("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->addAction(open);
    bar->addAction(import);
    bar->addSeparator();
    bar->addAction(m_previousError);
    bar->addAction(m_nextError);
    bar->addAction(m_nextSame);
    bar->addSeparator();
    bar->addAction(m_retry->menuAction());
    if (auto *button = qobject_cast<QToolButton *>(bar->widgetForAction(m_retry->menuAction())))
        button->setPopupMode(QToolButton::InstantPopup);
}

CompareView *MainWindow::compareWithReference()
{
    BundlePage *page = currentPage();
    if (!page || page->currentRun() < 0) {
        statusBar()->showMessage(QStringLiteral("Open a bundle first: there is no run to compare."), 8000);
        return nullptr;
    }
    BundleError error;
    std::shared_ptr<const BundleReader> a = BundleReader::open(page->path(), &error);
    const QList<Run> runs = a ? a->runs() : QList<Run>();
    if (!a || page->currentRun() >= runs.size()) {
        statusBar()->showMessage(error.message, 8000);
        return nullptr;
    }
    const Run &run = runs[page->currentRun()];
    const QString program = programOfRun(*a, run.id);
    const QString found = findReference(program);
    if (found.isEmpty()) {
        statusBar()->showMessage(QStringLiteral("No reference recording of %1 on a real driver (looked in %2).")
                                     .arg(program.isEmpty() ? QStringLiteral("this run's program") : program,
                                          referenceDirs().join(QStringLiteral(", "))),
                                 12000);
        return nullptr;
    }
    std::shared_ptr<const BundleReader> b = BundleReader::open(found, &error);
    if (!b || b->runs().isEmpty()) {
        statusBar()->showMessage(error.message, 8000);
        return nullptr;
    }
    const qint64 referenceRun = b->runs().first().id;
    // Which library answered differs by design against a reference: the shim is not the driver.
    const RunDiff diff = diffRuns({a.get(), run.id, QStringLiteral("%1 run %2").arg(page->path()).arg(run.id)},
                                  {b.get(), referenceRun, found}, DiffOptions{false});
    auto *view = new CompareView;
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->setWindowTitle(QStringLiteral("%1 against the real driver — InitScope").arg(display::elide(QFileInfo(page->path()).fileName(), 120)));
    view->setRuns(a, run.id, b, referenceRun, diff);
    view->resize(1400, 900);
    view->show();
    return view;
}

bool MainWindow::goToError(bool forward)
{
    return navigate(true, forward);
}

bool MainWindow::goToSameFunction(bool forward)
{
    return navigate(false, forward);
}

bool MainWindow::navigate(bool errors, bool forward)
{
    BundlePage *current = currentPage();
    if (!current)
        return false;
    RunView *run = current->runView();
    QWidget *tab = run->runTabs()->currentWidget();
    bool found = false;
    if (tab && tab->isAncestorOf(run->processPanel())) {
        ProcessPanel *panel = run->processPanel();
        found = errors ? panel->goToError(forward) : panel->goToSameFunction(forward);
    } else {
        // Elsewhere the run's calls are what "next" walks through.
        CallsPanel *calls = run->callsPanel();
        run->runTabs()->setCurrentWidget(calls);
        found = errors ? calls->goToFailure(forward) : calls->goToSameFunction(forward);
    }
    if (!found)
        statusBar()->showMessage(errors ? QStringLiteral("No failed call or error line in this view")
                                        : QStringLiteral("No other call of this function in this view"),
                                 5000);
    return found;
}

void MainWindow::showShortcuts()
{
    ShortcutsDialog dialog(menuBar(), this);
    dialog.exec();
}

void MainWindow::setErrorReporter(ErrorReporter reporter)
{
    m_reportError = std::move(reporter);
}

bool MainWindow::openBundle(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (QFileInfo(page(i)->path()).absoluteFilePath() == absolute) {
            m_tabs->setCurrentIndex(i);
            return true;
        }
    }

    BundleError error;
    std::unique_ptr<BundleReader> reader = BundleReader::open(absolute, &error);
    if (!reader) {
        if (error.code == BundleError::Code::Missing)
            m_recent->remove(absolute);
        const QString message =
            error.message.isEmpty()
                ? QStringLiteral("%1 could not be opened.").arg(QDir::toNativeSeparators(absolute))
                : error.message;
        Q_EMIT openFailed(absolute, message);
        if (m_reportError)
            m_reportError(absolute, message);
        return false;
    }

    auto *page = new BundlePage(std::move(reader), m_tabs);
    connect(page, &BundlePage::summaryChanged, this, [this, page](const QString &summary) {
        if (page == currentPage())
            m_status->setText(summary);
    });
    keepSplitterSizes(page);
    const int index = m_tabs->addTab(page, display::elide(QFileInfo(absolute).fileName(), 80));
    m_tabs->setTabToolTip(index, toolTipText(QDir::toNativeSeparators(absolute)));
    m_tabs->setCurrentIndex(index);
    m_recent->add(absolute);
    QSettings().setValue(kLastDirKey, QFileInfo(absolute).absolutePath());
    Q_EMIT bundleOpened(absolute);
    return true;
}

BundlePage *MainWindow::reloadBundle(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    int index = -1;
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (page(i) && QFileInfo(page(i)->path()).absoluteFilePath() == absolute)
            index = i;
    }
    if (index >= 0)
        closeTab(index);
    if (!openBundle(absolute))
        return nullptr;
    if (index >= 0 && m_tabs->currentIndex() != index)
        m_tabs->tabBar()->moveTab(m_tabs->currentIndex(), index);
    return currentPage();
}

void MainWindow::openBundles(const QStringList &paths)
{
    for (const QString &path : paths)
        openBundle(path);
}

void MainWindow::closeTab(int index)
{
    QWidget *widget = m_tabs->widget(index);
    if (!widget)
        return;
    m_tabs->removeTab(index);
    delete widget;
    currentTabChanged();
}

int MainWindow::pageCount() const
{
    return m_tabs->count();
}

BundlePage *MainWindow::page(int index) const
{
    return qobject_cast<BundlePage *>(m_tabs->widget(index));
}

BundlePage *MainWindow::currentPage() const
{
    return qobject_cast<BundlePage *>(m_tabs->currentWidget());
}

QString MainWindow::statusText() const
{
    return m_status->text();
}

void MainWindow::showOpenDialog()
{
    const QString dir = QSettings().value(kLastDirKey, QDir::homePath()).toString();
    const QStringList files = QFileDialog::getOpenFileNames(
        this, QStringLiteral("Open Bundle"), dir,
        QStringLiteral("InitScope bundles (*.initscope);;All files (*)"));
    openBundles(files);
}

QString MainWindow::importDirectory()
{
    return QDir(QDir::tempPath()).filePath(QStringLiteral("initscope-imports"));
}

QString MainWindow::importLog(const QString &logPath, const QString &bundlePath)
{
    const QString log = QFileInfo(logPath).absoluteFilePath();
    QString target = bundlePath;
    if (target.isEmpty()) {
        // A new file for each import: a bundle already open in a tab is never replaced.
        const QDir dir(importDirectory());
        dir.mkpath(QStringLiteral("."));
        const QString stem = QStringLiteral("%1-%2").arg(QFileInfo(log).fileName(),
                                                         QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
        target = dir.filePath(stem + QStringLiteral(".initscope"));
        for (int n = 2; QFileInfo::exists(target); ++n)
            target = dir.filePath(QStringLiteral("%1-%2.initscope").arg(stem).arg(n));
    }
    OllamaImportError error;
    if (!importOllamaLog(log, target, &error)) {
        Q_EMIT openFailed(log, error.message);
        if (m_reportError) {
            m_errorTitle = QStringLiteral("Cannot Import Log");
            m_reportError(log, error.message);
            m_errorTitle = kOpenBundleTitle;
        }
        return QString();
    }
    QSettings settings;
    settings.setValue(kLastLogDirKey, QFileInfo(log).absolutePath());
    // Opening records the bundle's folder as the last one; the user's own folder stays the
    // place File > Open starts in.
    const QVariant lastDir = settings.value(kLastDirKey);
    if (!openBundle(target))
        return QString();
    if (lastDir.isValid())
        settings.setValue(kLastDirKey, lastDir);
    else
        settings.remove(kLastDirKey);
    const QString absolute = QFileInfo(target).absoluteFilePath();
    statusBar()->showMessage(QStringLiteral("Imported %1 as %2").arg(QDir::toNativeSeparators(log),
                                                                     QDir::toNativeSeparators(absolute)),
                             10000);
    Q_EMIT logImported(log, absolute);
    return absolute;
}

void MainWindow::showImportDialog()
{
    const QString dir = QSettings().value(kLastLogDirKey, QDir::homePath()).toString();
    const QString file = QFileDialog::getOpenFileName(
        this, QStringLiteral("Import Ollama or llama.cpp Log"), dir,
        QStringLiteral("Logs (*.log *.txt);;All files (*)"));
    if (!file.isEmpty())
        importLog(file);
}

void MainWindow::currentTabChanged()
{
    const BundlePage *current = currentPage();
    m_stack->setCurrentWidget(current ? static_cast<QWidget *>(m_tabs) : m_welcome);
    for (QAction *action : {m_nextError, m_previousError, m_nextSame, m_previousSame}) {
        if (action)
            action->setEnabled(current != nullptr);
    }
    if (m_retry)
        m_retry->refresh();
    if (!current) {
        setWindowTitle(QStringLiteral("InitScope"));
        m_status->setText(QStringLiteral("Open a bundle with File › Open (Ctrl+O) or drop one "
                                         "on this window."));
        return;
    }
    setWindowTitle(QStringLiteral("%1 — InitScope").arg(display::elide(QFileInfo(current->path()).fileName(), 120)));
    m_status->setText(current->summary());
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, QStringLiteral("About InitScope"),
                       QStringLiteral("<h3>InitScope %1</h3>"
                                      "<p>Records why a program fails to bring up its GPU and "
                                      "shows every process, line of output and library "
                                      "search of the run.</p>")
                           .arg(QStringLiteral(INITSCOPE_VERSION)));
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList files = localFiles(event->mimeData());
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    // Opening may put up a message box; doing it after the drop has finished keeps the
    // drag source from waiting on it.
    QTimer::singleShot(0, this, [this, files] { openBundles(files); });
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace initscope::ui
