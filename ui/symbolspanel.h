// The symbol check of a run (docs/symbols.md): its findings on top, then every symbol a
// consumer or the recorded run needed, with who provides it, sortable and filterable by
// consumer, by problems only and by name.
#pragma once

#include "symbolcheck.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QTextBrowser;

namespace initscope::ui
{

class SymbolsFilter;
class SymbolsModel;

class SymbolsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SymbolsPanel(QWidget *parent = nullptr);

    void setResult(const SymbolCheckResult &result);

    SymbolsModel *model() const { return m_model; }
    SymbolsFilter *filter() const { return m_filter; }
    QTableView *view() const { return m_view; }
    QComboBox *consumerBox() const { return m_consumer; }
    QCheckBox *problemsOnlyBox() const { return m_problemsOnly; }
    QLineEdit *searchField() const { return m_search; }
    QTextBrowser *findingsView() const { return m_findings; }

private:
    void updateCount();

    QTextBrowser *m_findings;
    QComboBox *m_consumer;
    QCheckBox *m_problemsOnly;
    QLineEdit *m_search;
    QLabel *m_count;
    SymbolsModel *m_model;
    SymbolsFilter *m_filter;
    QTableView *m_view;
};

} // namespace initscope::ui
