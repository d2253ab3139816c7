#include "environmentpanel.h"

#include "environmentmodel.h"
#include "viewsetup.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace initscope::ui
{

EnvironmentPanel::EnvironmentPanel(QWidget *parent)
    : QWidget(parent), m_model(new EnvironmentModel(this)),
      m_proxy(new QSortFilterProxyModel(this)), m_view(new QTableView(this)),
      m_filterEdit(new QLineEdit(this)), m_summary(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filterEdit->setPlaceholderText(QStringLiteral("Filter variables by name or value"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filterEdit, &QLineEdit::textChanged, this, &EnvironmentPanel::updateSummary);

    setupTableView(m_view);
    m_view->setModel(m_proxy);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 2);
    bar->addWidget(m_summary, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_view);
}

void EnvironmentPanel::setEnvironment(const QStringList &env)
{
    m_model->setEnvironment(env);
    fitColumnsToContents(m_view, m_view->horizontalHeader(), 1000);
    updateSummary();
}

void EnvironmentPanel::updateSummary()
{
    const int total = m_model->rowCount();
    m_summary->setText(
        m_proxy->rowCount() == total
            ? QStringLiteral("%1 variables").arg(total)
            : QStringLiteral("%1 of %2 variables").arg(m_proxy->rowCount()).arg(total));
}

} // namespace initscope::ui
