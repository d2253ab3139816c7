#include "recentfiles.h"

#include "displaytext.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace initscope::ui
{

namespace
{
const QString kKey = QStringLiteral("recentFiles");
}

RecentFiles::RecentFiles(QObject *parent) : QObject(parent) {}

QStringList RecentFiles::files() const
{
    QStringList list = QSettings().value(kKey).toStringList();
    list.removeAll(QString());
    list.removeDuplicates();
    return list.mid(0, kMaxEntries);
}

void RecentFiles::add(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = files();
    list.removeAll(absolute);
    list.prepend(absolute);
    store(list.mid(0, kMaxEntries));
}

void RecentFiles::remove(const QString &path)
{
    QStringList list = files();
    list.removeAll(QFileInfo(path).absoluteFilePath());
    store(list);
}

void RecentFiles::clear()
{
    store({});
}

void RecentFiles::store(const QStringList &files)
{
    QSettings settings;
    settings.setValue(kKey, files);
    Q_EMIT changed();
}

void RecentFiles::attachMenu(QMenu *menu)
{
    m_menu = menu;
    menu->setToolTipsVisible(true);
    connect(menu, &QMenu::aboutToShow, this, &RecentFiles::rebuildMenu);
    rebuildMenu();
}

void RecentFiles::rebuildMenu()
{
    if (!m_menu)
        return;
    m_menu->clear();
    const QStringList list = files();
    for (int i = 0; i < list.size(); ++i) {
        const QString path = list[i];
        const QFileInfo info(path);
        // A mnemonic digit for the first nine; file names may contain '&'.
        // A file from someone else may have any name: shown escaped (core/displaytext.h).
        QString name = display::elide(info.fileName(), 120);
        name.replace(QLatin1Char('&'), QStringLiteral("&&"));
        const QString label = i < 9 ? QStringLiteral("&%1  %2").arg(QString::number(i + 1), name)
                                    : QStringLiteral("    %1").arg(name);
        QAction *action = m_menu->addAction(label);
        action->setToolTip(display::escape(QDir::toNativeSeparators(path)));
        if (!info.exists()) {
            action->setEnabled(false);
            action->setText(label + QStringLiteral("  (missing)"));
        }
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT openRequested(path); });
    }
    if (!list.isEmpty())
        m_menu->addSeparator();
    QAction *clearAction = m_menu->addAction(QStringLiteral("&Clear Menu"));
    clearAction->setEnabled(!list.isEmpty());
    connect(clearAction, &QAction::triggered, this, &RecentFiles::clear);
}

} // namespace initscope::ui
