// The effective environment of the selected process, sorted and filterable.
#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace initscope::ui
{

class EnvironmentModel;

class EnvironmentPanel : public QWidget
{
    Q_OBJECT
public:
    explicit EnvironmentPanel(QWidget *parent = nullptr);

    void setEnvironment(const QStringList &env);

    EnvironmentModel *model() const { return m_model; }

private:
    void updateSummary();

    EnvironmentModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filterEdit;
    QLabel *m_summary;
};

} // namespace initscope::ui
