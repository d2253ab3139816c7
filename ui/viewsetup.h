// One look for every list in InitScope: compact rows, no grid, row selection, headers that
// are never narrower than their titles.
#pragma once

class QAbstractItemView;
class QTableView;
class QTreeView;
class QHeaderView;

namespace initscope::ui
{

void setupTableView(QTableView *view);
void setupTreeView(QTreeView *view);
// Sizes each listed column to the wider of its title and its first rows' contents, so that
// no header is clipped and the last column takes the rest.
void fitColumnsToContents(QAbstractItemView *view, QHeaderView *header, int sampleRows = 200);

} // namespace initscope::ui
