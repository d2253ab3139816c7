// The Symbols tab of a run: the check of the bundle `initscope demo` records (the fake GPU as
// the shim, the real CUDA runtime as a consumer) from the ELF facts the bundle keeps, its models
// under QAbstractItemModelTester, and its filters.
#include "guitest.h"

#include "bundle.h"
#include "runview.h"
#include "symbolsmodel.h"
#include "symbolspanel.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPixmap>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

class SymbolsTab : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        BundleError error;
        m_reader = BundleReader::open(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE), &error);
        ASSERT_TRUE(m_reader) << error.message.toStdString();
        ASSERT_FALSE(m_reader->runs().isEmpty());
        m_view = std::make_unique<RunView>();
        m_view->resize(1400, 900);
        m_view->setRun(m_reader.get(), m_reader->runs().first());
    }

    std::unique_ptr<BundleReader> m_reader;
    std::unique_ptr<RunView> m_view;
};

} // namespace

TEST_F(SymbolsTab, IsFilledOnlyWhenShownAndThenHoldsTheRunsCheck)
{
    SymbolsPanel *panel = m_view->symbolsPanel();
    EXPECT_EQ(panel->model()->rowCount(), 0) << "not computed before the tab is opened";
    m_view->runTabs()->setCurrentWidget(panel);
    ASSERT_GT(panel->model()->rowCount(), 100);
    QAbstractItemModelTester modelTester(panel->model(), QAbstractItemModelTester::FailureReportingMode::Warning);
    QAbstractItemModelTester filterTester(panel->filter(), QAbstractItemModelTester::FailureReportingMode::Warning);
    const QString findings = panel->findingsView()->toPlainText();
    EXPECT_TRUE(findings.contains(QLatin1String("exports 682 cu* functions"))) << findings.toStdString();
    EXPECT_TRUE(findings.contains(QLatin1String("libcudart.so.13 holds"))) << findings.toStdString();
    m_view->show();
    panel->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/symbols_tab.png"));
}

TEST_F(SymbolsTab, OpensOnProblemsAndFiltersByConsumerAndName)
{
    SymbolsPanel *panel = m_view->symbolsPanel();
    m_view->runTabs()->setCurrentWidget(panel);
    const int all = panel->model()->rowCount();
    EXPECT_TRUE(panel->problemsOnlyBox()->isChecked()) << "the run has unsatisfied names";
    const int problems = panel->filter()->rowCount();
    EXPECT_GT(problems, 0);
    EXPECT_LT(problems, all);
    for (int r = 0; r < problems; ++r)
        EXPECT_NE(panel->filter()->index(r, SymbolsModel::StatusColumn).data().toString(), QStringLiteral("ok"));

    panel->problemsOnlyBox()->setChecked(false);
    EXPECT_EQ(panel->filter()->rowCount(), all);

    const int cudart = panel->consumerBox()->findData(QStringLiteral("libcudart.so.13"));
    ASSERT_GE(cudart, 0);
    panel->consumerBox()->setCurrentIndex(cudart);
    const int cudartRows = panel->filter()->rowCount();
    EXPECT_GT(cudartRows, 0);
    EXPECT_LT(cudartRows, all);
    for (int r = 0; r < cudartRows; ++r)
        EXPECT_EQ(panel->filter()->index(r, SymbolsModel::NeededByColumn).data().toString(), QStringLiteral("libcudart.so.13"));

    panel->searchField()->setText(QStringLiteral("cuinit"));
    ASSERT_EQ(panel->filter()->rowCount(), 1);
    EXPECT_EQ(panel->filter()->index(0, SymbolsModel::SymbolColumn).data().toString(), QStringLiteral("cuInit"));
    EXPECT_EQ(panel->filter()->index(0, SymbolsModel::StatusColumn).data().toString(), QStringLiteral("ok"));
}

TEST_F(SymbolsTab, SortsBySymbolWhenTheHeaderIsClicked)
{
    SymbolsPanel *panel = m_view->symbolsPanel();
    m_view->runTabs()->setCurrentWidget(panel);
    panel->problemsOnlyBox()->setChecked(false);
    panel->view()->sortByColumn(SymbolsModel::SymbolColumn, Qt::AscendingOrder);
    QString previous;
    for (int r = 0; r < panel->filter()->rowCount(); ++r) {
        const QString s = panel->filter()->index(r, SymbolsModel::SymbolColumn).data().toString();
        EXPECT_LE(previous.compare(s, Qt::CaseInsensitive), 0) << previous.toStdString() << " before " << s.toStdString();
        previous = s;
    }
}
