#include "exportmenu.h"

#include "bundle.h"
#include "bundlepage.h"
#include "displaytext.h"
#include "export.h"
#include "mainwindow.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QPointer>
#include <QSaveFile>
#include <QSettings>
#include <QStatusBar>
#include <QThread>

namespace initscope::ui
{

namespace
{
const QString kExportDirKey = QStringLiteral("export/directory");
const QString kChromeFilter = QStringLiteral("Chrome trace for Perfetto (*.json)");
const QString kHtmlFilter = QStringLiteral("HTML report (*.html *.htm)");
const QString kMarkdownFilter = QStringLiteral("Markdown summary (*.md)");
} // namespace

ExportMenu::ExportMenu(MainWindow *window, QMenu *menu) : QObject(window), m_window(window)
{
    setObjectName(QStringLiteral("exportMenu"));
    m_action = menu->addAction(QStringLiteral("&Export…"), this, &ExportMenu::chooseFile);
    m_action->setObjectName(QStringLiteral("exportAction"));
    m_action->setShortcut(QKeySequence(QStringLiteral("Ctrl+E")));
    m_action->setStatusTip(QStringLiteral("Write the current run as a Chrome trace (Perfetto), an HTML report for a "
                                          "ticket or a Markdown summary for an issue"));
    connect(menu, &QMenu::aboutToShow, this, [this] { m_action->setEnabled(m_window->currentPage() && !m_busy); });
}

ExportMenu::~ExportMenu()
{
    if (m_worker)
        m_worker->wait();
}

void ExportMenu::chooseFile()
{
    BundlePage *page = m_window->currentPage();
    if (!page || m_busy)
        return;
    const QString dir = QSettings().value(kExportDirKey, QFileInfo(page->path()).absolutePath()).toString();
    const QString stem = QFileInfo(page->path()).completeBaseName();
    QString filter = kHtmlFilter;
    const QString chosen = QFileDialog::getSaveFileName(
        m_window, QStringLiteral("Export Run"), dir + QLatin1Char('/') + stem + QStringLiteral(".html"),
        QStringList{kHtmlFilter, kChromeFilter, kMarkdownFilter}.join(QStringLiteral(";;")), &filter);
    if (chosen.isEmpty())
        return;
    QString path = chosen;
    if (!exportFormatForPath(path)) {
        // No known suffix: the filter chosen decides, and names the file.
        const ExportFormat format = filter == kChromeFilter   ? ExportFormat::ChromeTrace
                                    : filter == kMarkdownFilter ? ExportFormat::Markdown
                                                                : ExportFormat::Html;
        path += QLatin1Char('.') + exportSuffix(format);
    }
    QSettings().setValue(kExportDirKey, QFileInfo(path).absolutePath());
    exportTo(path);
}

bool ExportMenu::exportTo(const QString &path)
{
    BundlePage *page = m_window->currentPage();
    const std::optional<ExportFormat> format = exportFormatForPath(path);
    if (!page || !format || m_busy) {
        m_window->statusBar()->showMessage(QStringLiteral("Nothing to export"), 5000);
        return false;
    }
    const int runIndex = page->currentRun();
    if (runIndex < 0 || runIndex >= page->runs().size()) {
        m_window->statusBar()->showMessage(QStringLiteral("The bundle holds no run to export"), 5000);
        return false;
    }
    const qint64 runId = page->runs().at(runIndex).id;
    const QString bundlePath = page->path();
    m_busy = true;
    m_action->setEnabled(false);
    m_window->statusBar()->showMessage(QStringLiteral("Exporting run %1 to %2…").arg(runId).arg(display::elide(path, 200)));

    // A reader of its own: a BundleReader belongs to the thread that opened it.
    QPointer<ExportMenu> self(this);
    QThread *worker = QThread::create([self, bundlePath, runId, path, format = *format] {
        QString error;
        BundleError openError;
        const std::unique_ptr<BundleReader> reader = BundleReader::open(bundlePath, &openError);
        if (!reader) {
            error = openError.message;
        } else {
            QSaveFile file(path);
            ExportOptions options;
            options.runIds = {runId};
            if (!file.open(QIODevice::WriteOnly))
                error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
            else if (!writeExport(format, *reader, options, &file, &error))
                file.cancelWriting();
            else if (!file.commit())
                error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
        }
        QMetaObject::invokeMethod(
            self,
            [self, path, error] {
                if (!self)
                    return;
                self->m_busy = false;
                self->m_action->setEnabled(true);
                if (error.isEmpty()) {
                    self->m_window->statusBar()->showMessage(QStringLiteral("Exported %1").arg(display::elide(path, 200)), 8000);
                } else {
                    // In the status bar, not a dialog: nothing waits for a click (batch use, tests).
                    self->m_window->statusBar()->showMessage(
                        QStringLiteral("Export failed: %1").arg(display::elide(error.simplified(), 600)), 15000);
                }
                Q_EMIT self->finished(path, error);
            },
            Qt::QueuedConnection);
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    m_worker = worker;
    worker->start();
    return true;
}

} // namespace initscope::ui
