#include "librariespanel.h"

#include "libraryloadmodel.h"
#include "librarysearchmodel.h"
#include "viewsetup.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace initscope::ui
{

namespace
{

QWidget *titled(QLabel *title, QWidget *view, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    title->setContentsMargins(6, 4, 6, 0);
    QFont font = title->font();
    font.setBold(true);
    title->setFont(font);
    layout->addWidget(title);
    layout->addWidget(view);
    return box;
}

} // namespace

LibrariesPanel::LibrariesPanel(QWidget *parent)
    : QWidget(parent), m_searchModel(new LibrarySearchModel(this)),
      m_loadModel(new LibraryLoadModel(this)), m_searchView(new QTreeView(this)),
      m_loadView(new QTableView(this)), m_searchTitle(new QLabel(this)),
      m_loadTitle(new QLabel(this))
{
    setupTreeView(m_searchView);
    m_searchView->setModel(m_searchModel);
    setupTableView(m_loadView);
    m_loadView->setModel(m_loadModel);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(titled(m_searchTitle, m_searchView, splitter));
    splitter->addWidget(titled(m_loadTitle, m_loadView, splitter));
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

void LibrariesPanel::setLibraries(const QList<LibSearch> &searches, const QList<LibLoad> &loads)
{
    m_searchModel->setSearches(searches);
    m_loadModel->setLoads(loads);
    // Searches that failed are what this view is for; open those, leave the rest folded
    // unless there are few enough to read at once.
    for (int r = 0; r < m_searchModel->rowCount(); ++r) {
        const QModelIndex index = m_searchModel->index(r, 0);
        const bool notFound = searches[r].outcome == SearchOutcome::NotFound;
        m_searchView->setExpanded(index, notFound || searches.size() <= 12);
    }
    if (!searches.isEmpty()) {
        for (int c = 0; c < LibrarySearchModel::ColumnCount - 1; ++c)
            m_searchView->resizeColumnToContents(c);
        m_searchView->setColumnWidth(0, std::min(m_searchView->columnWidth(0), 520));
    }
    fitColumnsToContents(m_loadView, m_loadView->horizontalHeader());

    const int notFound =
        int(std::count_if(searches.begin(), searches.end(),
                          [](const LibSearch &s) { return s.outcome == SearchOutcome::NotFound; }));
    m_searchTitle->setText(notFound ? QStringLiteral("Library searches (%1, %2 not found)")
                                          .arg(searches.size())
                                          .arg(notFound)
                                    : QStringLiteral("Library searches (%1)").arg(searches.size()));
    m_loadTitle->setText(QStringLiteral("Loaded objects (%1)").arg(loads.size()));
}

} // namespace initscope::ui
