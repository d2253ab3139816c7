// Two runs side by side (docs/diff.md): a summary of every difference on top, the aligned call
// sequence below with the differing steps tinted, and "first divergence" / next / previous
// difference actions that move the selection.
#pragma once

#include "rundiff.h"

#include <QWidget>

class QLabel;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace initscope::ui
{

class CompareModel;

class CompareView : public QWidget
{
    Q_OBJECT
public:
    explicit CompareView(QWidget *parent = nullptr);

    void setDiff(const RunDiff &diff);

    CompareModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QTextBrowser *summaryView() const { return m_summary; }

public Q_SLOTS:
    void goToFirstDivergence();
    void goToNextDifference();
    void goToPreviousDifference();

private:
    void selectRow(int row);

    QLabel *m_title;
    QTextBrowser *m_summary;
    CompareModel *m_model;
    QTableView *m_view;
};

} // namespace initscope::ui
