// The diagnosis panel at the top of a run: its model under QAbstractItemModelTester and
// compared through a text dump, and the bundle `initscope demo` records (the incident: a shim
// without the runtime's private export tables) opened in the main window, where the panel names
// the refused CUDART_INTERFACE table and a click on an evidence item selects it in the process
// views.
#include "guitest.h"

#include "bundle.h"
#include "bundlepage.h"
#include "diagnosis.h"
#include "diagnosismodel.h"
#include "diagnosispanel.h"
#include "eventsmodel.h"
#include "eventspanel.h"
#include "mainwindow.h"
#include "outputmodel.h"
#include "outputpanel.h"
#include "processpanel.h"
#include "runview.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QLabel>
#include <QPixmap>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QThreadPool>
#include <QTreeView>

#include <gtest/gtest.h>


using namespace initscope;
using namespace initscope::ui;

namespace
{

Diagnosis syntheticDiagnosis()
{
    Diagnosis d;
    Finding root;
    root.id = QStringLiteral("export-table-refused");
    root.title = QStringLiteral("cuGetExportTable refused CUDART_INTERFACE");
    root.severity = Severity::RootCause;
    root.confidence = 0.9;
    root.processId = 3;
    root.pid = 4242;
    root.step = QStringLiteral("the runtime's private interface");
    root.fix = QStringLiteral("implement the export table");
    root.errorLine = QStringLiteral("ggml_cuda_init: failed to initialize CUDA");
    Evidence event;
    event.kind = Evidence::Kind::Event;
    event.id = 17;
    event.processId = 3;
    event.text = QStringLiteral("cuGetExportTable → CUDA_ERROR_NOT_SUPPORTED");
    Evidence line;
    line.kind = Evidence::Kind::OutputLine;
    line.processId = 3;
    line.stream = Stream::Stderr;
    line.line = 2;
    line.text = root.errorLine;
    root.evidence = {event, line};
    Finding harmless;
    harmless.id = QStringLiteral("failed-call");
    harmless.title = QStringLiteral("nvmlInit failed");
    harmless.severity = Severity::Harmless;
    harmless.confidence = 0.5;
    harmless.processId = 3;
    d.findings = {root, harmless};
    return d;
}

std::unique_ptr<QAbstractItemModelTester> watch(QAbstractItemModel &model)
{
    return std::make_unique<QAbstractItemModelTester>(
        &model, QAbstractItemModelTester::FailureReportingMode::Fatal);
}

QModelIndex findEvidence(const DiagnosisModel &model, Evidence::Kind kind)
{
    for (int f = 0; f < model.rowCount(); ++f) {
        const QModelIndex finding = model.index(f, 0);
        for (int e = 0; e < model.rowCount(finding); ++e) {
            const QModelIndex i = model.index(e, 0, finding);
            if (i.data(DiagnosisModel::EvidenceKindRole).toInt() == int(kind))
                return i;
        }
    }
    return {};
}

void clickRow(QTreeView *view, const QModelIndex &index)
{
    view->scrollTo(index);
    const QRect rect = view->visualRect(index);
    ASSERT_TRUE(rect.isValid());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
}

} // namespace

TEST(DiagnosisModel, ListsFindingsWithTheirEvidenceAsChildren)
{
    initscope::testing::ensureApplication();
    DiagnosisModel model;
    const auto tester = watch(model);
    model.setFindings(syntheticDiagnosis().findings);
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.rowCount(model.index(0, 0)), 2);
    EXPECT_EQ(model.rowCount(model.index(1, 0)), 0);
    const QModelIndex line = model.index(1, 0, model.index(0, 0));
    ASSERT_NE(model.evidence(line), nullptr);
    EXPECT_EQ(model.evidence(line)->line, 2);
    EXPECT_EQ(model.finding(line), nullptr);
    EXPECT_EQ(model.parent(line), model.index(0, 0));
    initscope::testing::expectMatchesGolden(QStringLiteral("diagnosis_model.txt"),
                                            initscope::testing::dumpModel(model));
    model.setFindings({});
    EXPECT_EQ(model.rowCount(), 0);
}

TEST(DiagnosisPanel, ShowsTheTopFindingAndSaysSoWhenThereIsNone)
{
    initscope::testing::ensureApplication();
    DiagnosisPanel panel;
    panel.setDiagnosis(syntheticDiagnosis());
    EXPECT_EQ(panel.titleLabel()->text(),
              QStringLiteral("cuGetExportTable refused CUDART_INTERFACE"));
    EXPECT_EQ(panel.errorLineLabel()->text(),
              QStringLiteral("ggml_cuda_init: failed to initialize CUDA"));
    EXPECT_TRUE(panel.view()->isExpanded(panel.model()->index(0, 0)));
    EXPECT_FALSE(panel.view()->isExpanded(panel.model()->index(1, 0)));
    panel.setDiagnosis(Diagnosis{});
    EXPECT_TRUE(panel.titleLabel()->text().startsWith(QStringLiteral("No departure")));
    EXPECT_EQ(panel.model()->rowCount(), 0);
}

TEST(GuiDiagnosis, DemoBundleShowsRefusedExportTableAndEvidenceSelectsItsEvent)
{
    initscope::testing::ensureApplication();
    const QString path = QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE);

    MainWindow window;
    QStringList errors;
    window.setErrorReporter(
        [&errors](const QString &, const QString &message) { errors << message; });
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(window.openBundle(path)) << errors.join(QLatin1Char('\n')).toStdString();
    RunView *run = window.currentPage()->runView();
    DiagnosisPanel *panel = run->diagnosisPanel();
    const auto tester = watch(*panel->model());

    EXPECT_TRUE(panel->titleLabel()->text().contains(QLatin1String("CUDART_INTERFACE")))
        << panel->titleLabel()->text().toStdString();
    ASSERT_GE(panel->model()->rowCount(), 1);
    EXPECT_EQ(panel->model()->findings().first().title, panel->titleLabel()->text());

    // An event: its process becomes current, the Events tab shows it selected.
    const QModelIndex eventItem = findEvidence(*panel->model(), Evidence::Kind::Event);
    ASSERT_TRUE(eventItem.isValid()) << "the top findings cite at least one event";
    const Evidence event = *panel->model()->evidence(eventItem);
    panel->view()->expand(eventItem.parent());
    run->processPanel()->tabs()->setCurrentIndex(ProcessPanel::OutputTab);
    clickRow(panel->view(), eventItem);
    EXPECT_EQ(run->currentProcessId(), event.processId);
    ProcessPanel *process = run->processPanel();
    EXPECT_EQ(process->tabs()->currentIndex(), int(ProcessPanel::EventsTab));
    const QModelIndex current = process->eventsPanel()->view()->currentIndex();
    ASSERT_TRUE(current.isValid());
    EXPECT_EQ(current.data(EventsModel::EventIdRole).toLongLong(), event.id);
    EXPECT_TRUE(process->eventsPanel()->view()->selectionModel()->isRowSelected(current.row(),
                                                                                current.parent()));

    // An output line, where one is cited: the Output tab shows that line selected.
    const QModelIndex lineItem = findEvidence(*panel->model(), Evidence::Kind::OutputLine);
    if (lineItem.isValid()) {
        const Evidence line = *panel->model()->evidence(lineItem);
        panel->view()->expand(lineItem.parent());
        clickRow(panel->view(), lineItem);
        EXPECT_EQ(run->currentProcessId(), line.processId);
        EXPECT_EQ(process->tabs()->currentIndex(), int(ProcessPanel::OutputTab));
        const QModelIndex row = process->outputPanel()->view()->currentIndex();
        ASSERT_TRUE(row.isValid());
        EXPECT_EQ(row.data(OutputModel::StreamRole).toInt(), int(line.stream));
        EXPECT_TRUE(line.text.contains(row.siblingAtColumn(OutputModel::TextColumn)
                                           .data(OutputModel::FullTextRole)
                                           .toString()
                                           .trimmed()) ||
                    row.siblingAtColumn(OutputModel::TextColumn)
                        .data(OutputModel::FullTextRole)
                        .toString()
                        .contains(line.text.trimmed()));
    }

    // The screenshot shows the event selection, the case a person most wants to look at.
    clickRow(panel->view(), eventItem);
    QTest::qWait(50);
    window.grab().save(
        QDir(initscope::testing::artifactsDir()).filePath(QStringLiteral("gui_diagnosis.png")));
}

// A long run is diagnosed on a worker thread: the panel says so at once, then shows the same
// findings the synchronous path gives; a result for a run no longer shown is dropped.
TEST(GuiDiagnosis, LongRunIsDiagnosedInTheBackgroundWithTheSameFindings)
{
    initscope::testing::ensureApplication();
    const QString path = QStringLiteral(INITSCOPE_GUI_DEMO_BUNDLE);
    BundleError error;
    std::unique_ptr<BundleReader> reader = BundleReader::open(path, &error);
    ASSERT_TRUE(reader) << error.message.toStdString();
    const initscope::Run run = reader->runs().first();
    const Diagnosis expected = diagnose(*reader, run.id);
    ASSERT_FALSE(expected.findings.isEmpty());

    const qint64 before = RunView::backgroundDiagnosisFrom();
    RunView::setBackgroundDiagnosisFrom(0); // every run counts as long
    RunView view;
    QSignalSpy ready(&view, &RunView::diagnosisReady);
    view.setRun(reader.get(), run);
    EXPECT_TRUE(view.diagnosisPanel()->isPending());
    EXPECT_TRUE(view.diagnosisPanel()->titleLabel()->text().startsWith(QLatin1String("Diagnosing ")))
        << view.diagnosisPanel()->titleLabel()->text().toStdString();
    ASSERT_TRUE(ready.wait(60'000));
    EXPECT_FALSE(view.diagnosisPanel()->isPending());
    EXPECT_EQ(view.diagnosisPanel()->titleLabel()->text(), expected.findings.first().title);
    EXPECT_EQ(view.diagnosisPanel()->model()->rowCount(), expected.findings.size());

    // Two runs in quick succession: only the last one's result is shown.
    ready.clear();
    view.setRun(reader.get(), run);
    view.setRun(nullptr, initscope::Run());
    EXPECT_FALSE(view.diagnosisPanel()->isPending());
    QTest::qWait(200);
    QThreadPool::globalInstance()->waitForDone();
    QCoreApplication::processEvents();
    EXPECT_EQ(view.diagnosisPanel()->model()->rowCount(), 0) << "a stale result replaced the current one";
    RunView::setBackgroundDiagnosisFrom(before);
}
