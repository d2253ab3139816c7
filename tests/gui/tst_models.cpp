// Every model of initscope_ui under QAbstractItemModelTester, fed from a bundle written with
// known content, and compared with its expected text dump in tests/gui/data.
#include "guitest.h"
#include "samplebundle.h"

#include "bundle.h"
#include "environmentmodel.h"
#include "eventscan.h"
#include "eventsmodel.h"
#include "format.h"
#include "libraryloadmodel.h"
#include "librarysearchmodel.h"
#include "outputfiltermodel.h"
#include "outputmodel.h"
#include "processtreemodel.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <memory>

using namespace initscope;
using namespace initscope::ui;
using initscope::testing::dumpModel;
using initscope::testing::expectMatchesGolden;
using initscope::testing::SampleIds;

namespace
{

class ModelTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        initscope::testing::ensureApplication();
        s_dir = new QTemporaryDir;
        ASSERT_TRUE(s_dir->isValid());
        const QString path = s_dir->filePath(QStringLiteral("sample.initscope"));
        QString error;
        ASSERT_TRUE(initscope::testing::writeSampleBundle(path, &s_ids, &error))
            << error.toStdString();
        BundleError bundleError;
        s_reader = BundleReader::open(path, &bundleError).release();
        ASSERT_NE(s_reader, nullptr) << bundleError.message.toStdString();
    }
    static void TearDownTestSuite()
    {
        delete s_reader;
        s_reader = nullptr;
        delete s_dir;
        s_dir = nullptr;
    }

    // The tester watches the model from before it is filled, so the reset is checked too.
    template <typename Model> std::unique_ptr<QAbstractItemModelTester> watch(Model &model)
    {
        return std::make_unique<QAbstractItemModelTester>(
            &model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    }

    static Process process(qint64 id) { return s_reader->process(id).value_or(Process{}); }

    static std::shared_ptr<const EventScanner> openScanner()
    {
        QString error;
        std::shared_ptr<const EventScanner> scanner = EventScanner::open(s_reader->path(), &error);
        EXPECT_NE(scanner, nullptr) << error.toStdString();
        return scanner;
    }

    static inline QTemporaryDir *s_dir = nullptr;
    static inline BundleReader *s_reader = nullptr;
    static inline SampleIds s_ids;
};

TEST_F(ModelTest, ProcessTreeNestsExecImageUnderTheImageItReplaced)
{
    ProcessTreeModel model;
    auto tester = watch(model);
    model.setProcesses(s_reader->processes(s_ids.mainRunId));
    expectMatchesGolden(QStringLiteral("processtree.txt"), dumpModel(model));

    ASSERT_EQ(model.rowCount(), 1);
    const QModelIndex shell = model.index(0, 0);
    EXPECT_EQ(shell.data(ProcessTreeModel::ProcessIdRole).toLongLong(), s_ids.shellId);
    const QModelIndex serve = model.index(0, 0, shell);
    EXPECT_EQ(serve.data(ProcessTreeModel::ProcessIdRole).toLongLong(), s_ids.serveId);
    EXPECT_TRUE(serve.data().toString().startsWith(QStringLiteral("↳ exec ")));
    EXPECT_EQ(model.rowCount(serve), 3); // helper and both runners, forked by the new image
}

TEST_F(ModelTest, ProcessTreeListsExactlyTheWrittenProcesses)
{
    ProcessTreeModel model;
    auto tester = watch(model);
    model.setProcesses(s_reader->processes(s_ids.mainRunId));
    QList<qint64> listed;
    QList<QModelIndex> stack{QModelIndex()};
    while (!stack.isEmpty()) {
        const QModelIndex parent = stack.takeLast();
        for (int r = 0; r < model.rowCount(parent); ++r) {
            const QModelIndex i = model.index(r, 0, parent);
            listed << i.data(ProcessTreeModel::ProcessIdRole).toLongLong();
            stack << i;
        }
    }
    std::sort(listed.begin(), listed.end());
    QList<qint64> written = s_ids.mainRunProcessIds();
    std::sort(written.begin(), written.end());
    EXPECT_EQ(listed, written);
    EXPECT_EQ(model.processCount(), written.size());
}

TEST_F(ModelTest, ProcessTreeMarksTheSegfaultedRunnerAsFirstFailure)
{
    ProcessTreeModel model;
    auto tester = watch(model);
    model.setProcesses(s_reader->processes(s_ids.mainRunId));
    const QModelIndex failure = model.firstFailure();
    ASSERT_TRUE(failure.isValid());
    EXPECT_EQ(failure.data(ProcessTreeModel::ProcessIdRole).toLongLong(), s_ids.runnerId);
    EXPECT_TRUE(failure.data(ProcessTreeModel::FailedRole).toBool());
    EXPECT_EQ(failure.siblingAtColumn(ProcessTreeModel::ExitColumn).data().toString(),
              QStringLiteral("SIGSEGV (core dumped)"));
}

TEST_F(ModelTest, ProcessTreeSurvivesParentLoopsAndDanglingParents)
{
    Process a;
    a.id = 1;
    a.parentId = 2;
    a.pid = 10;
    Process b;
    b.id = 2;
    b.parentId = 1;
    b.pid = 11;
    Process orphan;
    orphan.id = 3;
    orphan.parentId = 99;
    orphan.pid = 12;
    ProcessTreeModel model;
    auto tester = watch(model);
    model.setProcesses({a, b, orphan});
    EXPECT_EQ(model.processCount(), 3);
    for (qint64 id : {1, 2, 3})
        EXPECT_TRUE(model.indexOfProcess(id).isValid()) << id;
    model.clear();
    EXPECT_EQ(model.rowCount(), 0);
}

TEST_F(ModelTest, EventsShowTimesDetailsAndWhatLibrarySearchesFound)
{
    EventsModel model;
    auto tester = watch(model);
    const std::shared_ptr<const EventScanner> scanner = openScanner();
    ASSERT_NE(scanner, nullptr);
    EventScanQuery query;
    query.runId = s_ids.mainRunId;
    query.processId = s_ids.runnerId;
    model.setRows(scanner, query, scanner->rows(query), s_reader->libSearches(s_ids.mainRunId, s_ids.runnerId),
                  s_reader->libLoads(s_ids.mainRunId, s_ids.runnerId));
    expectMatchesGolden(QStringLiteral("events-runner.txt"), dumpModel(model));
}

TEST_F(ModelTest, EventsOfTheWholeRunAreOrderedByTime)
{
    EventsModel model;
    auto tester = watch(model);
    const std::shared_ptr<const EventScanner> scanner = openScanner();
    ASSERT_NE(scanner, nullptr);
    EventScanQuery query;
    query.runId = s_ids.mainRunId;
    model.setRows(scanner, query, scanner->rows(query));
    ASSERT_EQ(model.rowCount(), s_reader->eventCount(s_ids.mainRunId));
    ASSERT_GT(model.rowCount(), 10);
    for (int r = 1; r < model.rowCount(); ++r) {
        EXPECT_LE(model.index(r - 1, 0).data(EventsModel::TimeNsRole).toLongLong(),
                  model.index(r, 0).data(EventsModel::TimeNsRole).toLongLong());
    }
}

TEST_F(ModelTest, OutputInterleavesStreamsAndElidesTheHugeLine)
{
    OutputModel model;
    auto tester = watch(model);
    model.setChunks(s_reader->output(s_ids.runnerId));
    expectMatchesGolden(QStringLiteral("output-runner.txt"), dumpModel(model));

    int hugeRow = -1;
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.index(r, 0).data(OutputModel::ByteSizeRole).toLongLong() == 1024 * 1024)
            hugeRow = r;
    }
    ASSERT_GE(hugeRow, 0) << "the 1 MiB line was not stitched back together";
    const QModelIndex text = model.index(hugeRow, OutputModel::TextColumn);
    EXPECT_TRUE(text.data().toString().endsWith(
        QStringLiteral("… (%1 more bytes)").arg(1024 * 1024 - OutputModel::kElideBytes)));
    EXPECT_EQ(text.data(OutputModel::FullTextRole).toString().toUtf8(),
              initscope::testing::sampleHugeLine());
    EXPECT_EQ(model.lineBytes(hugeRow), initscope::testing::sampleHugeLine());
}

TEST_F(ModelTest, OutputShowsBinaryBytesEscaped)
{
    OutputModel model;
    auto tester = watch(model);
    model.setChunks(s_reader->output(s_ids.runnerId));
    int row = -1;
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.lineBytes(r) == initscope::testing::sampleBinaryLine())
            row = r;
    }
    ASSERT_GE(row, 0);
    EXPECT_EQ(model.index(row, OutputModel::TextColumn).data().toString(),
              QStringLiteral("tensor dump: \\x00\\x01\\x02\\xff\\xfe\\x1b[31mred\\x1b[0m café ✓ "
                             "\\xc3("));
}

TEST_F(ModelTest, OutputSavedRawIsWhatTheProcessWrote)
{
    OutputModel model;
    auto tester = watch(model);
    const QList<OutputChunk> chunks = s_reader->output(s_ids.runnerId);
    model.setChunks(chunks);
    QBuffer saved;
    saved.open(QIODevice::WriteOnly);
    ASSERT_TRUE(model.writeTo(&saved));
    // Per stream, the saved lines are the stream's bytes; only "\r\n" became "\n".
    QByteArray out, err;
    for (const OutputChunk &c : chunks)
        (c.stream == Stream::Stderr ? err : out) += c.data;
    out.replace("\r\n", "\n");
    QByteArray savedOut, savedErr;
    for (int r = 0; r < model.rowCount(); ++r) {
        QByteArray &target = model.lineStream(r) == Stream::Stderr ? savedErr : savedOut;
        target += model.lineBytes(r);
        if (r != model.rowCount() - 1 || model.lineStream(r) != Stream::Stderr)
            target += '\n';
    }
    EXPECT_EQ(savedOut, out);
    EXPECT_EQ(savedErr, err);
    EXPECT_EQ(saved.data().size(), out.size() + err.size());
}

TEST_F(ModelTest, OutputFilterKeepsOneStreamAndMatchingLines)
{
    OutputModel source;
    source.setChunks(s_reader->output(s_ids.runnerId));
    OutputFilterModel filter;
    auto tester = watch(filter);
    filter.setSourceModel(&source);
    filter.setStream(Stream::Stderr);
    filter.setText(QStringLiteral("CUDA"));
    expectMatchesGolden(QStringLiteral("output-runner-stderr-cuda.txt"), dumpModel(filter));
    // Matching looks at the whole line, not only the part that is displayed.
    filter.setStream(std::nullopt);
    filter.setText(QStringLiteral("]}")); // only at the very end of the 1 MiB line
    EXPECT_EQ(filter.rowCount(), 1);
    filter.setText(QString());
    EXPECT_EQ(filter.rowCount(), source.rowCount());
}

TEST_F(ModelTest, EnvironmentIsSortedWithLoaderVariablesEmphasized)
{
    EnvironmentModel model;
    auto tester = watch(model);
    model.setEnvironment(process(s_ids.runnerId).env);
    expectMatchesGolden(QStringLiteral("environment-runner.txt"), dumpModel(model));
}

TEST_F(ModelTest, LibrarySearchesShowEveryPathTriedInOrder)
{
    LibrarySearchModel model;
    auto tester = watch(model);
    model.setSearches(s_reader->libSearches(s_ids.mainRunId, s_ids.runnerId));
    expectMatchesGolden(QStringLiteral("libsearches-runner.txt"), dumpModel(model));
}

TEST_F(ModelTest, LibraryLoadsListMappedObjects)
{
    LibraryLoadModel model;
    auto tester = watch(model);
    model.setLoads(s_reader->libLoads(s_ids.mainRunId, s_ids.runnerId));
    expectMatchesGolden(QStringLiteral("libloads-runner.txt"), dumpModel(model));
}

TEST(Format, DurationsReadAtAGlance)
{
    EXPECT_EQ(formatDuration(850), QStringLiteral("850 ns"));
    EXPECT_EQ(formatDuration(41000), QStringLiteral("41.0 µs"));
    EXPECT_EQ(formatDuration(12345678), QStringLiteral("12.346 ms"));
    EXPECT_EQ(formatDuration(1234000000), QStringLiteral("1.234 s"));
    EXPECT_EQ(formatDuration(qint64(123400000000)), QStringLiteral("2 min 03.4 s"));
    EXPECT_EQ(formatMs(1234567), QStringLiteral("1.235"));
}

TEST(Format, SafeTextNeverSplitsACharacterAndEscapesInvalidBytes)
{
    qsizetype omitted = -1;
    // "é" is two bytes; a limit of 1 must not show half of it.
    EXPECT_EQ(initscope::ui::safeText(QByteArray("\xc3\xa9x"), 1, &omitted), QString());
    EXPECT_EQ(omitted, 3);
    EXPECT_EQ(initscope::ui::safeText(QByteArray("a\tb\x7f\xed\xa0\x80")),
              QStringLiteral("a\tb\\x7f\\xed\\xa0\\x80")); // DEL and an encoded surrogate
    EXPECT_EQ(initscope::ui::safeText(QByteArray("\xf0\x9f\x98\x80")), QStringLiteral("😀"));
}

TEST(Format, ArgvQuotedForAShell)
{
    EXPECT_EQ(quoteArgv({QStringLiteral("sh"), QStringLiteral("-c"),
                         QStringLiteral("exec ollama serve"), QString(), QStringLiteral("it's")}),
              QStringLiteral("sh -c 'exec ollama serve' '' 'it'\\''s'"));
}

} // namespace
