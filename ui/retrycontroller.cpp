#include "retrycontroller.h"

#include "origin.h"

#include "bundle.h"
#include "bundlepage.h"
#include "compareview.h"
#include "environmenteditdialog.h"
#include "format.h"
#include "mainwindow.h"
#include "retry.h"
#include "rundiff.h"

#include <QAction>
#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QIcon>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QStatusBar>
#include <QSysInfo>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>

namespace initscope::ui
{

namespace
{

QString capitalized(QString text)
{
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

} // namespace

RetryController::RetryController(MainWindow *window)
    : QObject(window), m_window(window), m_menu(new QMenu(QStringLiteral("Retry &With"), window)),
      m_process(new RetryProcess(this)), m_ticker(new QTimer(this))
{
    m_menu->setObjectName(QStringLiteral("retryMenu"));
    m_menu->setIcon(QIcon(QStringLiteral(":/icons/retry.svg")));
    menuAction()->setObjectName(QStringLiteral("retryAction"));
    menuAction()->setStatusTip(QStringLiteral("Record the current run again with one thing changed, add it to the "
                                              "bundle and compare it with the original"));
    connect(m_menu, &QMenu::aboutToShow, this, &RetryController::refresh);
    m_ticker->setInterval(1000);
    connect(m_ticker, &QTimer::timeout, this, &RetryController::updateProgress);
    connect(m_process, &RetryProcess::outputLine, this, [this](const QString &line) {
        if (!line.trimmed().isEmpty())
            m_pending.lastLine = line.trimmed();
        updateProgress();
    });
    connect(m_process, &RetryProcess::finished, this, &RetryController::processFinished);
    connect(m_process, &RetryProcess::failed, this, [this](const QString &message) {
        if (m_progress)
            m_progress->deleteLater();
        m_ticker->stop();
        report(QStringLiteral("Cannot Retry"), message);
        Q_EMIT retryFailed(message);
        refresh();
    });

    m_confirm = [this](const QString &title, const QString &text) {
        QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, m_window);
        box.setTextFormat(Qt::RichText);
        QPushButton *run = box.addButton(QStringLiteral("&Run Here"), QMessageBox::AcceptRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        return box.clickedButton() == run;
    };
    m_editEnvironment = [this](const RecordOptions &recorded, QStringList *set, QStringList *unset) {
        EnvironmentEditDialog dialog(recorded, m_window);
        return dialog.exec() == QDialog::Accepted && dialog.edits(set, unset);
    };
    m_reportError = [this](const QString &title, const QString &message) {
        QMessageBox::warning(m_window, title, toolTipText(message));
    };
    refresh();
}

RetryController::~RetryController() = default;

QAction *RetryController::menuAction() const
{
    return m_menu->menuAction();
}

QProgressDialog *RetryController::progressDialog() const
{
    return m_progress;
}

CompareView *RetryController::compareView() const
{
    return m_compare;
}

bool RetryController::currentRun(Run *run, RecordOptions *recorded, QString *why)
{
    const BundlePage *page = m_window->currentPage();
    if (!page || page->currentRun() < 0)
        return false;
    *run = page->runs().at(page->currentRun());
    return optionsOfRun(run->configJson, recorded, why);
}

void RetryController::refresh()
{
    m_menu->clear();
    const BundlePage *page = m_window->currentPage();
    menuAction()->setEnabled(page && page->currentRun() >= 0 && !isRunning());
    if (!page || page->currentRun() < 0)
        return;
    if (isRunning()) {
        m_menu->addAction(QStringLiteral("A retry is running…"))->setEnabled(false);
        return;
    }
    Run run;
    RecordOptions recorded;
    QString why;
    if (!currentRun(&run, &recorded, &why)) {
        m_menu->addAction(QStringLiteral("This run cannot be retried: %1").arg(cellText(why)))->setEnabled(false);
        return;
    }
    for (const RetryVariation &v : retryVariations(recorded)) {
        // A title may name a shim of the bundle: escaped like every string of it.
        QAction *action = m_menu->addAction(cellText(capitalized(v.title)));
        action->setData(v.id);
        action->setStatusTip(QStringLiteral("initscope retry %1 %2").arg(QFileInfo(page->path()).fileName(), v.id));
        const QString id = v.id;
        connect(action, &QAction::triggered, this, [this, id] { retry(id); });
    }
    m_menu->addSeparator();
    QAction *edit = m_menu->addAction(QStringLiteral("&Edit Environment…"), this, &RetryController::editEnvironmentAndRetry);
    edit->setObjectName(QStringLiteral("retryEditEnvironmentAction"));
    edit->setStatusTip(QStringLiteral("Set or remove environment variables, then record the run again"));
}

bool RetryController::editEnvironmentAndRetry()
{
    Run run;
    RecordOptions recorded;
    QString why;
    if (!currentRun(&run, &recorded, &why)) {
        if (!why.isEmpty())
            report(QStringLiteral("Cannot Retry"), QStringLiteral("This run cannot be retried: %1.").arg(why));
        return false;
    }
    QStringList set, unset;
    if (!m_editEnvironment || !m_editEnvironment(recorded, &set, &unset))
        return false;
    return retry(QStringLiteral("as-recorded"), set, unset);
}

bool RetryController::retry(const QString &variationId, const QStringList &setEnv, const QStringList &unsetEnv)
{
    if (isRunning()) {
        report(QStringLiteral("Cannot Retry"), QStringLiteral("A retry is already running; cancel it or wait for it."));
        return false;
    }
    const BundlePage *page = m_window->currentPage();
    if (!page || page->currentRun() < 0)
        return false;
    const Run run = page->runs().at(page->currentRun());
    RecordOptions recorded;
    QString why;
    if (!optionsOfRun(run.configJson, &recorded, &why)) {
        report(QStringLiteral("Cannot Retry"), QStringLiteral("This run cannot be retried: %1.").arg(why));
        return false;
    }
    const QList<RetryVariation> variations = retryVariations(recorded);
    const auto it = std::find_if(variations.begin(), variations.end(),
                                 [&](const RetryVariation &v) { return v.id == variationId; });
    if (it == variations.end()) {
        report(QStringLiteral("Cannot Retry"), QStringLiteral("There is no variation \"%1\" for this run.").arg(variationId));
        return false;
    }
    RetryVariation variation = *it;
    if (!applyEnvironmentEdits(&variation, setEnv, unsetEnv, &why)) {
        report(QStringLiteral("Cannot Retry"), QStringLiteral("The environment edit is not valid: %1.").arg(why));
        return false;
    }
    // A bundle from another machine: what would run here is shown before anything runs.
    const QString here = QSysInfo::machineHostName();
    if (!recordedHere(page->reader(), run)) {
        RecordOptions shown = variation.options;
        shown.fallbackTimeoutSeconds = kRetryTimeoutSeconds;
        // Every value is the bundle's, escaped on its own (describeRetry() does the same for the
        // command and environment): what the dialog shows is what would run, nothing hidden; long
        // lines wrap rather than run past the dialog's edge.
        QStringList changes;
        for (const QString &change : retryChanges(recorded, shown))
            changes << htmlText(change, 600);
        const QString text =
            QStringLiteral("<p>%1 %2. Retrying it %3 runs this "
                           "here:</p><pre style=\"white-space:pre-wrap\">%4</pre><p>Changed from the recorded run: %5</p>"
                           "<p>Run it on this machine?</p>")
                .arg(htmlText(QFileInfo(page->path()).fileName(), 200),
                     // A bundle that names this host but lacks the mark was written by someone
                     // else, or changed since (core/origin.h).
                     run.hostname == here
                         ? QStringLiteral("names this machine (%1) but carries no mark of a run recorded here by you, "
                                          "so it may come from someone else")
                               .arg(htmlText(here))
                         : QStringLiteral("was recorded on <b>%1</b>, not on this machine (%2)")
                               .arg(run.hostname.isEmpty() ? QStringLiteral("an unnamed machine")
                                                           : htmlText(run.hostname, 200),
                                    htmlText(here)),
                     htmlText(variation.title), describeRetry(shown).toHtmlEscaped(),
                     changes.isEmpty() ? QStringLiteral("nothing") : changes.join(QStringLiteral("; ")));
        if (!m_confirm || !m_confirm(QStringLiteral("Retry a Run From Another Machine?"), text)) {
            m_window->statusBar()->showMessage(QStringLiteral("Nothing was run."), 5000);
            return false;
        }
    }
    m_pending = Pending{};
    m_pending.bundle = page->path();
    m_pending.originalRun = run.id;
    m_pending.originalNumber = page->currentRun() + 1;
    for (const Run &r : page->runs())
        m_pending.runsBefore << r.id;
    m_pending.title = variation.title;
    m_pending.startedMs = QDateTime::currentMSecsSinceEpoch();
    if (!m_process->start({page->path(), run.id, variation.id, setEnv, unsetEnv}))
        return false; // failed() has reported why
    showProgress();
    refresh();
    return true;
}

void RetryController::showProgress()
{
    m_progress = new QProgressDialog(m_window);
    m_progress->setObjectName(QStringLiteral("retryProgress"));
    m_progress->setWindowTitle(QStringLiteral("Retrying"));
    m_progress->setRange(0, 0); // how long a target takes is not known in advance
    m_progress->setMinimumDuration(0);
    m_progress->setAutoClose(false);
    m_progress->setAutoReset(false);
    m_progress->setWindowModality(Qt::NonModal);
    connect(m_progress, &QProgressDialog::canceled, m_process, &RetryProcess::cancel);
    updateProgress();
    m_progress->show();
    m_ticker->start();
}

void RetryController::updateProgress()
{
    if (!m_progress)
        return;
    const qint64 seconds = (QDateTime::currentMSecsSinceEpoch() - m_pending.startedMs) / 1000;
    QString text = QStringLiteral("Recording run %1 of %2 again %3…\n%4 s")
                       .arg(m_pending.originalNumber)
                       .arg(QFileInfo(m_pending.bundle).fileName(), m_pending.title)
                       .arg(seconds);
    if (m_process->wasCancelled())
        text += QStringLiteral(" · cancelling");
    if (!m_pending.lastLine.isEmpty())
        text += QStringLiteral("\n") + m_pending.lastLine.left(160);
    m_progress->setLabelText(text);
}

void RetryController::processFinished(int exitCode, bool cancelled)
{
    m_ticker->stop();
    if (m_progress)
        m_progress->deleteLater();
    const QString bundle = m_pending.bundle;
    const QString name = QFileInfo(bundle).fileName();
    if (cancelled) {
        m_window->statusBar()->showMessage(QStringLiteral("Retry cancelled; nothing was added to %1.").arg(name), 10000);
        Q_EMIT retryFailed(QStringLiteral("cancelled"));
        refresh();
        return;
    }
    if (exitCode != 0) {
        const QString message = QStringLiteral("The retry of run %1 of %2 failed (exit status %3); nothing was added.%4")
                                    .arg(m_pending.originalNumber)
                                    .arg(name)
                                    .arg(exitCode)
                                    .arg(m_pending.lastLine.isEmpty() ? QString() : QStringLiteral("\n\n") + m_pending.lastLine);
        report(QStringLiteral("Retry Failed"), message);
        Q_EMIT retryFailed(message);
        refresh();
        return;
    }
    // The tab's reader still sees the file as it was opened; the bundle with the new run is a
    // new file in its place.
    BundlePage *page = m_window->reloadBundle(bundle);
    if (!page) {
        Q_EMIT retryFailed(QStringLiteral("the bundle could not be opened again"));
        refresh();
        return;
    }
    int index = -1;
    for (int i = 0; i < page->runs().size(); ++i)
        if (!m_pending.runsBefore.contains(page->runs()[i].id))
            index = i;
    if (index < 0) {
        const QString message = QStringLiteral("The retry ended without adding a run to %1.").arg(name);
        report(QStringLiteral("Retry Failed"), message);
        Q_EMIT retryFailed(message);
        refresh();
        return;
    }
    page->setCurrentRun(index);
    const qint64 runId = page->runs()[index].id;
    m_window->statusBar()->showMessage(QStringLiteral("Added run %1 to %2: %3").arg(index + 1).arg(name, m_pending.title), 10000);
    refresh();
    Q_EMIT retryFinished(bundle, runId);
    openComparison(bundle, m_pending.originalRun, runId,
                   QStringLiteral("run %1 (original)").arg(m_pending.originalNumber),
                   QStringLiteral("run %1 (%2)").arg(index + 1).arg(m_pending.title));
}

void RetryController::openComparison(const QString &bundle, qint64 runA, qint64 runB, const QString &labelA,
                                     const QString &labelB)
{
    // Aligning two runs reads every call of both: on a worker, with a connection of its own.
    QPointer<RetryController> self(this);
    QThreadPool::globalInstance()->start([self, bundle, runA, runB, labelA, labelB] {
        BundleError error;
        RunDiff diff;
        std::unique_ptr<BundleReader> reader = BundleReader::open(bundle, &error);
        const bool opened = reader != nullptr;
        if (reader)
            diff = diffRuns({reader.get(), runA, labelA}, {reader.get(), runB, labelB});
        reader.reset();
        QCoreApplication *app = QCoreApplication::instance();
        if (!app)
            return;
        const QString problem = error.message;
        QMetaObject::invokeMethod(app, [self, bundle, runA, runB, diff, problem, opened, labelA, labelB] {
            if (!self)
                return;
            if (!opened) {
                self->report(QStringLiteral("Cannot Compare"), problem);
                return;
            }
            // The view's timelines read the runs on this thread, with a reader of their own.
            BundleError error;
            std::shared_ptr<const BundleReader> reader = BundleReader::open(bundle, &error);
            if (!reader) {
                self->report(QStringLiteral("Cannot Compare"), error.message);
                return;
            }
            auto *view = new CompareView(self->m_window);
            view->setWindowFlag(Qt::Window);
            view->setAttribute(Qt::WA_DeleteOnClose);
            view->setObjectName(QStringLiteral("retryCompareView"));
            view->setWindowTitle(QStringLiteral("Compare %1 and %2 of %3 — InitScope")
                                     .arg(labelA.section(QLatin1Char(' '), 0, 1), labelB.section(QLatin1Char(' '), 0, 1),
                                          QFileInfo(bundle).fileName()));
            view->setRuns(reader, runA, reader, runB, diff);
            view->resize(1400, 900);
            view->show();
            self->m_compare = view;
            Q_EMIT self->compareOpened(view);
        });
    });
}

void RetryController::report(const QString &title, const QString &message)
{
    if (m_reportError)
        m_reportError(title, message);
}

} // namespace initscope::ui
