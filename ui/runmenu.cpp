#include "runmenu.h"

#include "mainwindow.h"
#include "matrixwindow.h"
#include "recording.h"
#include "recordprocess.h"
#include "recordprogressdialog.h"
#include "runconfigdialog.h"
#include "runconfiglist.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>

namespace initscope::ui
{

namespace
{
const QString kBundleDirKey = QStringLiteral("runConfigs/bundleDirectory");
const QString kMatrixDirKey = QStringLiteral("runConfigs/matrixDirectory");
} // namespace

RunMenu::RunMenu(MainWindow *window, QMenu *menu)
    : QObject(window), m_window(window), m_menu(menu), m_program(RecordProcess::defaultProgram())
{
    setObjectName(QStringLiteral("runMenu"));
    QAction *create = m_menu->addAction(QStringLiteral("&New Run Configuration…"), this, &RunMenu::newConfig);
    create->setObjectName(QStringLiteral("newRunConfigAction"));
    create->setStatusTip(QStringLiteral("Describe a run to record: the target, its environment, the libraries under "
                                        "test, when to stop, and save it as JSON"));
    QAction *list = m_menu->addAction(QStringLiteral("Run &Configurations…"), this, &RunMenu::showConfigs);
    list->setObjectName(QStringLiteral("runConfigsAction"));
    list->setStatusTip(QStringLiteral("The saved run configurations: edit, delete or record one"));
    m_recordMenu = m_menu->addMenu(QStringLiteral("&Record With"));
    m_recordMenu->setObjectName(QStringLiteral("recordWithMenu"));
    connect(m_recordMenu, &QMenu::aboutToShow, this, &RunMenu::rebuildRecordMenu);
    rebuildRecordMenu();
    m_menu->addSeparator();
    QAction *matrix = m_menu->addAction(QStringLiteral("Run &Matrix…"), this, &RunMenu::chooseMatrix);
    matrix->setObjectName(QStringLiteral("runMatrixAction"));
    matrix->setStatusTip(QStringLiteral("Record every variation of a matrix and compare how each run ended"));
}

void RunMenu::rebuildRecordMenu()
{
    m_recordMenu->clear();
    const QList<RunConfigEntry> entries = listRunConfigs(runConfigDirectory());
    for (const RunConfigEntry &entry : entries) {
        QAction *action = m_recordMenu->addAction(entry.name, this, [this, path = entry.path] { record(path); });
        action->setData(entry.path);
        action->setStatusTip(entry.error.isEmpty() ? QStringLiteral("%1 (%2)").arg(entry.target, QDir::toNativeSeparators(entry.path))
                                                   : entry.error);
        action->setEnabled(entry.error.isEmpty());
    }
    if (entries.isEmpty())
        m_recordMenu->addAction(QStringLiteral("No saved run configurations"))->setEnabled(false);
    m_recordMenu->addSeparator();
    m_recordMenu->addAction(QStringLiteral("Config &File…"), this, &RunMenu::recordOtherFile);
}

void RunMenu::newConfig()
{
    RunConfigDialog dialog(m_window);
    dialog.setDefaultDirectory(runConfigDirectory());
    if (dialog.exec() == QDialog::Accepted)
        m_window->statusBar()->showMessage(QStringLiteral("Saved %1").arg(QDir::toNativeSeparators(dialog.path())), 8000);
}

void RunMenu::showConfigs()
{
    RunConfigsDialog dialog(m_window);
    connect(&dialog, &RunConfigsDialog::recordRequested, this, [this](const QString &path) { record(path); });
    dialog.exec();
}

QString RunMenu::suggestBundlePath(const QString &configPath) const
{
    const QFileInfo config(configPath);
    QJsonObject json;
    RecordOptions own;
    if (readRecordConfig(configPath, &json, nullptr) && recordConfigOwnOptions(json, &own, nullptr) && !own.outputPath.isEmpty())
        return QDir(config.absolutePath()).absoluteFilePath(own.outputPath); // the CLI runs in the config's folder
    const QString dir = QSettings().value(kBundleDirKey, QDir::homePath()).toString();
    return QDir(dir).filePath(QStringLiteral("%1-%2.initscope")
                                  .arg(config.completeBaseName(),
                                       QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
}

RecordProgressDialog *RunMenu::record(const QString &configPath, const QString &bundlePath)
{
    QString bundle = bundlePath;
    if (bundle.isEmpty()) {
        bundle = QFileDialog::getSaveFileName(m_window, QStringLiteral("Record Into"), suggestBundlePath(configPath),
                                              QStringLiteral("InitScope bundles (*.initscope)"));
        if (bundle.isEmpty())
            return nullptr;
        QSettings().setValue(kBundleDirKey, QFileInfo(bundle).absolutePath());
    }
    // The file dialog has asked before replacing it; the CLI writes a new file.
    if (QFileInfo(bundle).isFile() && !QFile::remove(bundle)) {
        reportError(QStringLiteral("Cannot Record"), QStringLiteral("%1 cannot be replaced.").arg(QDir::toNativeSeparators(bundle)));
        return nullptr;
    }
    auto *dialog = new RecordProgressDialog(m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setProgram(m_program);
    connect(dialog, &RecordProgressDialog::bundleReady, m_window, &MainWindow::openBundle);
    dialog->show();
    dialog->start(configPath, bundle); // a failure to start stays on show in the dialog
    return dialog;
}

void RunMenu::recordOtherFile()
{
    const QString file = QFileDialog::getOpenFileName(m_window, QStringLiteral("Record With Run Configuration"),
                                                      runConfigDirectory(), QStringLiteral("Run configurations (*.json)"));
    if (!file.isEmpty())
        record(file);
}

MatrixWindow *RunMenu::openMatrix(const QString &matrixPath)
{
    auto *window = new MatrixWindow(m_window);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setProgram(m_program);
    QString error;
    if (!window->load(matrixPath, &error)) {
        delete window;
        reportError(QStringLiteral("Cannot Open Matrix"), error);
        return nullptr;
    }
    connect(window, &MatrixWindow::openBundleRequested, m_window, [this](const QString &path) {
        if (m_window->openBundle(path)) {
            m_window->raise();
            m_window->activateWindow();
        }
    });
    window->show();
    return window;
}

void RunMenu::chooseMatrix()
{
    const QString dir = QSettings().value(kMatrixDirKey, QDir::homePath()).toString();
    const QString file = QFileDialog::getOpenFileName(m_window, QStringLiteral("Run Matrix"), dir,
                                                      QStringLiteral("Run matrices (*.json);;All files (*)"));
    if (file.isEmpty())
        return;
    QSettings().setValue(kMatrixDirKey, QFileInfo(file).absolutePath());
    if (MatrixWindow *window = openMatrix(file))
        window->start();
}

void RunMenu::reportError(const QString &title, const QString &message)
{
    QMessageBox::warning(m_window, title, message);
}

} // namespace initscope::ui
