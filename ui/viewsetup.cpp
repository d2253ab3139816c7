#include "viewsetup.h"

#include "format.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QHeaderView>
#include <QTableView>
#include <QTreeView>

#include <algorithm>

namespace initscope::ui
{

namespace
{

// Cells of bundle strings may end in an elision note (format.h): it stays whole when the view
// elides the cell to its width. Otherwise the standard delegate.
class ShownTextDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (!option->features.testFlag(QStyleOptionViewItem::HasDisplay) || option->rect.width() <= 0 ||
            !option->text.endsWith(QLatin1String(" more bytes)")))
            return;
        // Room for the text: the cell less the style's margins and the icon, if any.
        const QStyle *style = option->widget ? option->widget->style() : QApplication::style();
        int width = option->rect.width() - 2 * (style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, option->widget) + 1);
        if (option->features.testFlag(QStyleOptionViewItem::HasDecoration))
            width -= option->decorationSize.width() + 4;
        option->text = elideKeepingNote(option->fontMetrics, option->text, option->textElideMode, width - 4);
    }
};

} // namespace

void setupTableView(QTableView *view)
{
    view->setItemDelegate(new ShownTextDelegate(view));
    view->setShowGrid(false);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->setWordWrap(false);
    view->setCornerButtonEnabled(false);
    view->verticalHeader()->hide();
    // The default row height leaves room for an editor nobody opens here.
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
}

void setupTreeView(QTreeView *view)
{
    view->setItemDelegate(new ShownTextDelegate(view));
    view->setAlternatingRowColors(true);
    view->setUniformRowHeights(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAllColumnsShowFocus(true);
    view->header()->setStretchLastSection(true);
    view->header()->setSectionResizeMode(QHeaderView::Interactive);
}

void fitColumnsToContents(QAbstractItemView *view, QHeaderView *header, int sampleRows)
{
    QAbstractItemModel *model = view->model();
    if (!model)
        return;
    const int columns = model->columnCount();
    const int rows = std::min(model->rowCount(), sampleRows);
    // Nothing to measure: titles alone would squeeze the columns for the next content.
    if (rows == 0)
        return;
    for (int c = 0; c + 1 < columns; ++c) {
        int width = std::max(header->sectionSizeHint(c), header->minimumSectionSize());
        for (int r = 0; r < rows; ++r)
            width = std::max(width, view->sizeHintForIndex(model->index(r, c)).width());
        // A single very long value must not push every other column out of sight.
        header->resizeSection(c, std::min(width + 8, 320));
    }
}

} // namespace initscope::ui
