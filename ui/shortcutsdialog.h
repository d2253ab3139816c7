// Help > Keyboard Shortcuts: every menu action that has a shortcut, by menu, taken from the
// actions themselves so that the list never disagrees with the keys, and the mouse and keys
// the views understand besides.
#pragma once

#include <QDialog>

class QMenuBar;
class QTreeWidget;

namespace initscope::ui
{

class ShortcutsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ShortcutsDialog(const QMenuBar *menus, QWidget *parent = nullptr);

    QTreeWidget *list() const { return m_list; }

private:
    QTreeWidget *m_list;
};

} // namespace initscope::ui
