// The compare view: the demo bundle (the incident) against the same probe on the healthy fake,
// its model under QAbstractItemModelTester, the first divergence selected on open, and next /
// previous difference moving between differing steps only.
#include "guitest.h"

#include "bundle.h"
#include "comparemodel.h"
#include "compareview.h"
#include "rundiff.h"

#include <QAbstractItemModelTester>
#include <QPixmap>
#include <QTableView>
#include <QTextBrowser>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

class CompareTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        BundleError error;
        m_a = BundleReader::open(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE), &error);
        ASSERT_TRUE(m_a) << error.message.toStdString();
        m_b = BundleReader::open(QStringLiteral(INITSCOPE_GUI_HEALTHY_BUNDLE), &error);
        ASSERT_TRUE(m_b) << error.message.toStdString();
        m_holder = std::make_unique<CompareView>();
        m_holder->resize(1400, 900);
        m_holder->setDiff(diffRuns({m_a.get(), m_a->runs().first().id, QStringLiteral("incident")},
                                {m_b.get(), m_b->runs().first().id, QStringLiteral("healthy")}));
    }
    std::unique_ptr<BundleReader> m_a, m_b;
    std::unique_ptr<CompareView> m_holder;
    CompareView &view() { return *m_holder; }
};

} // namespace

TEST_F(CompareTest, OpensOnTheFirstDivergenceTheExportTableRequest)
{
    QAbstractItemModelTester tester(view().model(), QAbstractItemModelTester::FailureReportingMode::Warning);
    const int row = view().model()->firstDivergenceRow();
    ASSERT_GE(row, 0);
    EXPECT_EQ(view().view()->currentIndex().row(), row);
    EXPECT_EQ(view().model()->index(row, CompareModel::CallColumn).data().toString(), QStringLiteral("cuGetExportTable(CUDART_INTERFACE)"));
    EXPECT_EQ(view().model()->index(row, CompareModel::ResultAColumn).data().toString(), QStringLiteral("CUDA_ERROR_NOT_SUPPORTED"));
    EXPECT_EQ(view().model()->index(row, CompareModel::ResultBColumn).data().toString(), QStringLiteral("CUDA_SUCCESS"));
    EXPECT_TRUE(view().summaryView()->toPlainText().contains(QLatin1String("First divergence cuGetExportTable(CUDART_INTERFACE)")))
        << view().summaryView()->toPlainText().toStdString();
    view().show();
    view().grab().save(initscope::testing::artifactsDir() + QStringLiteral("/compare.png"));
}

TEST_F(CompareTest, NextAndPreviousDifferenceVisitOnlyDifferingSteps)
{
    const int first = view().view()->currentIndex().row();
    view().goToNextDifference();
    const int second = view().view()->currentIndex().row();
    EXPECT_NE(second, first);
    EXPECT_GE(view().model()->index(second, 0).data(CompareModel::DifferenceRole).toInt(), 0);
    view().goToPreviousDifference();
    EXPECT_EQ(view().view()->currentIndex().row(), first);
    // The steps before the divergence are the same on both sides.
    for (int r = 0; r < first; ++r)
        EXPECT_LT(view().model()->index(r, 0).data(CompareModel::DifferenceRole).toInt(), 0) << r;
}
