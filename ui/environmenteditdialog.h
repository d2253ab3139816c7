// Run › Retry With › Edit Environment… (docs/diff.md, Retries): the variables the recorded run
// set and removed, as a table a person edits — change a value, add a variable, tick "Remove"
// to take one out of the environment, delete a row to stop setting it. What comes out is the
// edit against the recorded run, for `initscope retry … as-recorded --env/--unset`.
#pragma once

#include "recording.h"

#include <QDialog>

class QLabel;
class QTableWidget;

namespace initscope::ui
{

class EnvironmentEditDialog : public QDialog
{
    Q_OBJECT
public:
    enum Column { NameColumn, ValueColumn, RemoveColumn, ColumnCount };

    explicit EnvironmentEditDialog(const RecordOptions &recorded, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    // A row for NAME (value, or removed); returns its index.
    int addVariable(const QString &name, const QString &value, bool remove = false);

    // The edit against the recorded run: NAME=value to set (new or changed), NAME to unset
    // (ticked, or a row of a set variable deleted). False with *error for a row without a
    // name or with '=' in it.
    bool edits(QStringList *set, QStringList *unset, QString *error = nullptr) const;

private:
    void addRow();
    void removeSelectedRows();
    void acceptIfValid();

    RecordOptions m_recorded;
    QTableWidget *m_table;
    QLabel *m_problem;
};

} // namespace initscope::ui
