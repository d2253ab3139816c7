// Run > Run Configurations…: the run configs saved in one folder (by default
// <AppConfigLocation>/run-configs, another one chosen here is kept in QSettings), each with its
// name and what it runs; New, Edit, Delete and Record from there.
#pragma once

#include <QDialog>
#include <QList>
#include <QString>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace initscope::ui
{

struct RunConfigEntry {
    QString path;
    QString name;   // the config's "name", else the file's base name
    QString target; // what it runs: "ollama preset", "/bin/sh -c …"
    QString error;  // why the file cannot be used, when it cannot
};

QString runConfigDirectory();
void setRunConfigDirectory(const QString &directory);
// The *.json files of directory, by name.
QList<RunConfigEntry> listRunConfigs(const QString &directory);

class RunConfigsDialog : public QDialog
{
    Q_OBJECT
public:
    enum Column { NameColumn, TargetColumn, FileColumn };

    explicit RunConfigsDialog(QWidget *parent = nullptr);

    void refresh();
    QString selectedPath() const;
    QTreeWidget *list() const { return m_list; }

Q_SIGNALS:
    // Record was chosen for the config at path; the dialog has closed.
    void recordRequested(const QString &path);

private:
    void edit(const QString &path);
    void remove();
    void chooseFolder();
    void updateButtons();

    QLabel *m_folder;
    QTreeWidget *m_list;
    QPushButton *m_edit;
    QPushButton *m_delete;
    QPushButton *m_record;
};

} // namespace initscope::ui
