// The Device tab of a run: the report of the bundle `initscope demo` records (its machine facts
// and the fake GPU's calls), its model under QAbstractItemModelTester, and a value that came
// from a call leading to that call in the process views.
#include "guitest.h"

#include "bundle.h"
#include "devicemodel.h"
#include "devicepanel.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "processpanel.h"
#include "runview.h"

#include <QAbstractItemModelTester>
#include <QPixmap>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTreeView>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

namespace
{

class DeviceTab : public ::testing::Test
{
protected:
    void SetUp() override
    {
        initscope::testing::ensureApplication();
        BundleError error;
        m_reader = BundleReader::open(QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE), &error);
        ASSERT_TRUE(m_reader) << error.message.toStdString();
        m_view = std::make_unique<RunView>();
        m_view->resize(1400, 900);
        m_view->setRun(m_reader.get(), m_reader->runs().first());
        m_view->runTabs()->setCurrentWidget(m_view->devicePanel());
    }

    int rowOf(const QString &property) const
    {
        const DeviceModel *model = m_view->devicePanel()->model();
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->index(r, 0).data().toString() == property)
                return r;
        return -1;
    }

    std::unique_ptr<BundleReader> m_reader;
    std::unique_ptr<RunView> m_view;
};

} // namespace

TEST_F(DeviceTab, ShowsTheMachineAndTheLibrariesSideBySide)
{
    DevicePanel *panel = m_view->devicePanel();
    QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::Warning);
    const DeviceReport &report = panel->model()->report();
    ASSERT_TRUE(report.machine.has_value()) << "record keeps the machine's facts";
    EXPECT_TRUE(report.sources.contains(kSourcePci));
    EXPECT_TRUE(report.sources.contains(kSourceDriverApi));
    const int name = rowOf(QStringLiteral("GPU 0 name"));
    ASSERT_GE(name, 0);
    const int driverColumn = int(report.sources.indexOf(kSourceDriverApi)) + 1;
    EXPECT_EQ(panel->model()->index(name, driverColumn).data().toString(), QStringLiteral("InitScope Fake GPU"));
    // The fake GPU sits at a bus id this machine's PCI bus does not have.
    EXPECT_TRUE(panel->findingsView()->toPlainText().contains(QLatin1String("where the machine has no GPU on the PCI bus")))
        << panel->findingsView()->toPlainText().toStdString();
    m_view->show();
    panel->grab().save(initscope::testing::artifactsDir() + QStringLiteral("/device_tab.png"));
}

TEST_F(DeviceTab, DoubleClickingAValueFromACallShowsThatCallInTheProcessViews)
{
    DevicePanel *panel = m_view->devicePanel();
    const DeviceReport &report = panel->model()->report();
    const int row = rowOf(QStringLiteral("GPU 0 name"));
    ASSERT_GE(row, 0);
    const QModelIndex cell = panel->model()->index(row, int(report.sources.indexOf(kSourceDriverApi)) + 1);
    const qint64 event = cell.data(DeviceModel::EventIdRole).toLongLong();
    ASSERT_GE(event, 0);
    Q_EMIT panel->view()->doubleClicked(cell);
    EXPECT_NE(m_view->runTabs()->currentWidget(), panel) << "the process views come to the front";
    ProcessPanel *process = m_view->processPanel();
    EXPECT_EQ(process->tabs()->currentIndex(), int(ProcessPanel::EventsTab));
    EXPECT_EQ(process->eventsPanel()->view()->currentIndex().data(EventsModel::EventIdRole).toLongLong(), event);
}
