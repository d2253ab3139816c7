// Library searches (each path tried, in loader order) above the objects actually mapped.
#pragma once

#include "data.h"

#include <QWidget>

class QLabel;
class QTableView;
class QTreeView;

namespace initscope::ui
{

class LibraryLoadModel;
class LibrarySearchModel;

class LibrariesPanel : public QWidget
{
    Q_OBJECT
public:
    explicit LibrariesPanel(QWidget *parent = nullptr);

    void setLibraries(const QList<LibSearch> &searches, const QList<LibLoad> &loads);

    LibrarySearchModel *searchModel() const { return m_searchModel; }
    LibraryLoadModel *loadModel() const { return m_loadModel; }

private:
    LibrarySearchModel *m_searchModel;
    LibraryLoadModel *m_loadModel;
    QTreeView *m_searchView;
    QTableView *m_loadView;
    QLabel *m_searchTitle;
    QLabel *m_loadTitle;
};

} // namespace initscope::ui
