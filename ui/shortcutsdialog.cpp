#include "shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{
QString withoutMnemonic(QString text)
{
    text.remove(QRegularExpression(QStringLiteral("&(?!&)")));
    text.replace(QStringLiteral("&&"), QStringLiteral("&"));
    return text.remove(QStringLiteral("…")).trimmed();
}
} // namespace

ShortcutsDialog::ShortcutsDialog(const QMenuBar *menus, QWidget *parent)
    : QDialog(parent), m_list(new QTreeWidget(this))
{
    setWindowTitle(QStringLiteral("Keyboard Shortcuts"));
    m_list->setColumnCount(2);
    m_list->setHeaderLabels({QStringLiteral("Action"), QStringLiteral("Keys")});
    m_list->setRootIsDecorated(false);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    m_list->setFocusPolicy(Qt::NoFocus);
    m_list->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);

    auto addGroup = [this](const QString &title) {
        auto *group = new QTreeWidgetItem(m_list, {title});
        QFont bold = group->font(0);
        bold.setBold(true);
        group->setFont(0, bold);
        group->setFirstColumnSpanned(true);
        return group;
    };
    for (const QAction *menuAction : menus->actions()) {
        const QMenu *menu = menuAction->menu();
        if (!menu)
            continue;
        QTreeWidgetItem *group = nullptr;
        for (const QAction *action : menu->actions()) {
            if (action->shortcut().isEmpty())
                continue;
            if (!group)
                group = addGroup(withoutMnemonic(menuAction->text()));
            new QTreeWidgetItem(group, {withoutMnemonic(action->text()),
                                        action->shortcut().toString(QKeySequence::NativeText)});
        }
    }
    QTreeWidgetItem *views = addGroup(QStringLiteral("In the views"));
    const QList<QPair<QString, QString>> viewKeys = {
        {QStringLiteral("Copy the selected lines, calls or details"), QKeySequence(QKeySequence::Copy).toString(QKeySequence::NativeText)},
        {QStringLiteral("Select all output lines"), QKeySequence(QKeySequence::SelectAll).toString(QKeySequence::NativeText)},
        {QStringLiteral("Show the event an output line is about"), QStringLiteral("Double-click, Enter")},
        {QStringLiteral("Select an evidence item's event or line"), QStringLiteral("Click")},
        {QStringLiteral("Go to the resolver request of a call"), QStringLiteral("Click its row in the details")},
    };
    for (const auto &[what, keys] : viewKeys)
        new QTreeWidgetItem(views, {what, keys});
    m_list->expandAll();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list);
    layout->addWidget(buttons);
    resize(560, 460);
}

} // namespace initscope::ui
