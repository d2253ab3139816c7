// The File > Open Recent list: at most kMaxEntries absolute paths, newest first, kept in
// QSettings. Entries whose file has gone are shown greyed so the list explains itself.
#pragma once

#include <QObject>
#include <QPointer>
#include <QStringList>

class QMenu;

namespace initscope::ui
{

class RecentFiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxEntries = 10;

    explicit RecentFiles(QObject *parent = nullptr);

    QStringList files() const;
    void add(const QString &path);
    void remove(const QString &path);
    void clear();

    // The menu is rebuilt each time it is about to show, so existence is checked then.
    void attachMenu(QMenu *menu);

Q_SIGNALS:
    void openRequested(const QString &path);
    void changed();

private:
    void store(const QStringList &files);
    void rebuildMenu();

    QPointer<QMenu> m_menu;
};

} // namespace initscope::ui
