// File › Export… (docs/export.md): the current run of the bundle in front as a Chrome trace,
// an HTML report or a Markdown summary, written by the same core functions as
// `initscope export`, in a thread of its own so that a run of a million calls does not stop
// the window.
#pragma once

#include <QObject>
#include <QPointer>
#include <QThread>
#include <QString>

class QAction;
class QMenu;

namespace initscope::ui
{

class MainWindow;

class ExportMenu : public QObject
{
    Q_OBJECT
public:
    // Adds File › Export… to menu, at the end.
    ExportMenu(MainWindow *window, QMenu *menu);
    // Waits for an export still running: its file is then complete or not there at all.
    ~ExportMenu() override;

    QAction *action() const { return m_action; }
    // Writes the current run of the current bundle to path, in the format its name asks for
    // (.json, .html, .md). Returns false (after saying why in the status bar) when nothing was
    // started; the outcome follows in the status bar and through finished().
    bool exportTo(const QString &path);

Q_SIGNALS:
    void finished(const QString &path, const QString &error);

private:
    void chooseFile();

    MainWindow *m_window;
    QAction *m_action;
    bool m_busy = false;
    QPointer<QThread> m_worker;
};

} // namespace initscope::ui
