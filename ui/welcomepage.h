// What the window shows while no bundle is open: how to open one, and the recent bundles as
// links.
#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;

namespace initscope::ui
{

class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);

    void setRecentFiles(const QStringList &files);

Q_SIGNALS:
    void openRequested();
    void importRequested();
    void openFileRequested(const QString &path);

private:
    QLabel *m_recent;
};

} // namespace initscope::ui
