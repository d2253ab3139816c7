// The Run menu (docs/gui.md): run configurations (new, the list of saved ones, Record with…)
// and run matrices. Recording runs `initscope record` in a process of its own (RecordProcess);
// a bundle it writes opens in the main window.
#pragma once

#include <QObject>
#include <QPointer>

class QMenu;

namespace initscope::ui
{

class MainWindow;
class MatrixWindow;
class RecordProgressDialog;

class RunMenu : public QObject
{
    Q_OBJECT
public:
    RunMenu(MainWindow *window, QMenu *menu);

    // The `initscope` the recordings run (default: the one beside this executable).
    void setProgram(const QString &program) { m_program = program; }
    QString program() const { return m_program; }

    // Run > New Run Configuration…: the editor, saving into runConfigDirectory().
    void newConfig();
    // Run > Run Configurations…
    void showConfigs();
    // Records the config into bundlePath (asked for when empty) with a progress dialog; the
    // bundle opens in the main window when the run has ended. Null when nothing was started.
    RecordProgressDialog *record(const QString &configPath, const QString &bundlePath = QString());
    // Opens a matrix in a window of its own; null (after saying why) when it cannot be used.
    MatrixWindow *openMatrix(const QString &matrixPath);

    QMenu *menu() const { return m_menu; }
    QMenu *recordMenu() const { return m_recordMenu; }

private:
    void rebuildRecordMenu();
    void recordOtherFile();
    void chooseMatrix();
    QString suggestBundlePath(const QString &configPath) const;
    void reportError(const QString &title, const QString &message);

    MainWindow *m_window;
    QMenu *m_menu;
    QMenu *m_recordMenu;
    QString m_program;
};

} // namespace initscope::ui
