// End to end: a bundle that `initscope record` made of fixture_spawn_tree (parent → child →
// grandchild, each a fork followed by an exec) opens in the main window, and the process tree
// lists exactly the processes the bundle holds.
#include "guitest.h"

#include "bundle.h"
#include "bundlepage.h"
#include "mainwindow.h"
#include "processtreemodel.h"
#include "runview.h"

#include <QDir>
#include <QPixmap>
#include <QSet>
#include <QTest>

#include <gtest/gtest.h>

using namespace initscope;
using namespace initscope::ui;

TEST(GuiEndToEnd, RecordedSpawnTreeShowsEveryProcessOfTheBundle)
{
    initscope::testing::ensureApplication();
    const QString path = QStringLiteral(INITSCOPE_GUI_RECORDED_SAMPLE);

    BundleError error;
    const auto reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const QList<initscope::Run> runs = reader->runs();
    ASSERT_EQ(runs.size(), 1);
    QSet<qint64> inBundle;
    QSet<qint64> pids;
    for (const Process &p : reader->processes(runs[0].id)) {
        inBundle.insert(p.id);
        pids.insert(p.pid);
    }
    EXPECT_GE(pids.size(), 3) << "parent, child and grandchild";

    MainWindow window;
    QStringList errors;
    window.setErrorReporter(
        [&errors](const QString &, const QString &message) { errors << message; });
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(window.openBundle(path)) << errors.join(QLatin1Char('\n')).toStdString();
    const ProcessTreeModel *model = window.currentPage()->runView()->processModel();

    QSet<qint64> listed;
    QList<QModelIndex> stack{QModelIndex()};
    while (!stack.isEmpty()) {
        const QModelIndex parent = stack.takeLast();
        for (int r = 0; r < model->rowCount(parent); ++r) {
            const QModelIndex i = model->index(r, 0, parent);
            listed.insert(i.data(ProcessTreeModel::ProcessIdRole).toLongLong());
            stack << i;
        }
    }
    EXPECT_EQ(listed, inBundle);
    EXPECT_GE(listed.size(), 3);
    EXPECT_EQ(model->processCount(), inBundle.size());

    QTest::qWait(50);
    window.grab().save(QDir(initscope::testing::artifactsDir())
                           .filePath(QStringLiteral("gui_recorded_sample.png")));
}
