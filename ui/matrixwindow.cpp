#include "matrixwindow.h"

#include "matrixmodel.h"
#include "recordprocess.h"
#include "theme.h"

#include <QCloseEvent>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFont>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QThreadPool>
#include <QToolButton>
#include <QVBoxLayout>

namespace initscope::ui
{

MatrixWindow::MatrixWindow(QWidget *parent)
    : QWidget(parent, Qt::Window), m_process(new RecordProcess(this)), m_model(new MatrixModel(this)),
      m_title(new QLabel(this)), m_file(new QLabel(this)), m_outputDir(new QLineEdit(this)),
      m_run(new QPushButton(QStringLiteral("&Run"), this)), m_cancel(new QPushButton(QStringLiteral("&Cancel"), this)),
      m_open(new QPushButton(QStringLiteral("&Open Bundle"), this)), m_progress(new QProgressBar(this)),
      m_status(new QLabel(this)), m_view(new QTableView(this)), m_log(new QPlainTextEdit(this))
{
    setWindowTitle(QStringLiteral("Run Matrix"));
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    m_file->setTextInteractionFlags(Qt::TextSelectableByMouse);
    theme::setColor(m_file, theme::muted);
    m_status->setWordWrap(true);

    auto *outputRow = new QHBoxLayout;
    auto *outputLabel = new QLabel(QStringLiteral("&Bundles go to:"), this);
    outputLabel->setBuddy(m_outputDir);
    m_browse = new QToolButton(this);
    m_browse->setText(QStringLiteral("…"));
    m_browse->setToolTip(QStringLiteral("Choose the folder"));
    connect(m_browse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Folder for the Bundles"), m_outputDir->text());
        if (!dir.isEmpty())
            m_outputDir->setText(dir);
    });
    outputRow->addWidget(outputLabel);
    outputRow->addWidget(m_outputDir, 1);
    outputRow->addWidget(m_browse);

    auto *controls = new QHBoxLayout;
    m_run->setToolTip(QStringLiteral("Record every variation, one bundle each"));
    m_cancel->setToolTip(QStringLiteral("Stop the variation being recorded (its bundle keeps what it did) and skip the rest"));
    m_open->setToolTip(QStringLiteral("Open the selected variation's bundle in the main window (or double-click its row)"));
    m_progress->setFormat(QStringLiteral("%v of %m recorded"));
    controls->addWidget(m_run);
    controls->addWidget(m_cancel);
    controls->addWidget(m_progress, 1);
    controls->addWidget(m_open);
    connect(m_run, &QPushButton::clicked, this, &MatrixWindow::start);
    connect(m_cancel, &QPushButton::clicked, this, &MatrixWindow::cancel);
    connect(m_open, &QPushButton::clicked, this, [this] { openRow(m_view->currentIndex().row()); });

    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setColumnWidth(MatrixModel::VariationColumn, 200);
    m_view->setColumnWidth(MatrixModel::EndColumn, 150);
    m_view->setColumnWidth(MatrixModel::DevicesColumn, 170);
    m_view->setColumnWidth(MatrixModel::TopFindingColumn, 330);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) { openRow(index.row()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MatrixWindow::updateControls);
    connect(m_model, &MatrixModel::dataChanged, this, &MatrixWindow::updateControls);

    m_log->setReadOnly(true);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setMaximumBlockCount(20000);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(QStringLiteral("What initscope record prints: each variation as it begins, how its run "
                                             "ended, and the grid at the end."));
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("matrixSplitter"));
    splitter->addWidget(m_view);
    splitter->addWidget(m_log);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_file);
    layout->addLayout(outputRow);
    layout->addLayout(controls);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_process, &RecordProcess::outputLine, m_log, &QPlainTextEdit::appendPlainText);
    connect(m_process, &RecordProcess::variationStarted, this, &MatrixWindow::variationStarted);
    connect(m_process, &RecordProcess::finished, this, &MatrixWindow::processFinished);
    connect(m_process, &RecordProcess::failed, this, [this](const QString &message) {
        m_status->setText(message);
        theme::setColor(m_status, theme::failure);
    });
    resize(1280, 640);
    updateControls();
}

MatrixWindow::~MatrixWindow() = default;

bool MatrixWindow::load(const QString &matrixPath, QString *error)
{
    RunMatrix matrix;
    if (!loadRunMatrix(matrixPath, &matrix, error))
        return false;
    m_matrix = matrix;
    m_path = QFileInfo(matrixPath).absoluteFilePath();
    ++m_generation;
    m_title->setText(m_matrix.name);
    m_file->setText(QDir::toNativeSeparators(m_path));
    setWindowTitle(QStringLiteral("%1 — Run Matrix").arg(m_matrix.name));
    setOutputDirectory(defaultOutputDirectory(m_path));
    QStringList names;
    for (const MatrixVariation &v : m_matrix.variations)
        names << v.name;
    m_model->setVariations(names, {});
    m_progress->setRange(0, int(names.size()));
    m_progress->setValue(0);
    m_status->setText(QStringLiteral("%1 variations. Run records each into a bundle of its own.").arg(names.size()));
    theme::clearColor(m_status);
    updateControls();
    return true;
}

QString MatrixWindow::defaultOutputDirectory(const QString &matrixPath)
{
    const QFileInfo info(matrixPath);
    return QDir(info.absolutePath()).filePath(info.completeBaseName() + QStringLiteral("-matrix"));
}

void MatrixWindow::setOutputDirectory(const QString &directory)
{
    m_outputDir->setText(QDir::toNativeSeparators(directory));
}

QString MatrixWindow::outputDirectory() const
{
    return QDir::fromNativeSeparators(m_outputDir->text().trimmed());
}

void MatrixWindow::setProgram(const QString &program)
{
    m_process->setProgram(program);
}

bool MatrixWindow::start()
{
    if (m_path.isEmpty() || isRunning())
        return false;
    const QString outputDir = QFileInfo(outputDirectory()).absoluteFilePath();
    ++m_generation; // summaries of an earlier run are dropped when they come
    m_pendingSummaries = 0;
    m_cancelled = false;
    QStringList names, bundles;
    for (int i = 0; i < m_matrix.variations.size(); ++i) {
        names << m_matrix.variations[i].name;
        bundles << matrixBundlePath(outputDir, i + 1, m_matrix.variations[i].name);
    }
    m_model->setVariations(names, bundles);
    m_progress->setValue(0);
    m_log->clear();
    theme::clearColor(m_status);
    m_processEnded = false;
    if (!m_process->startMatrix(m_path, outputDir)) {
        m_processEnded = true;
        m_model->finishUnfinished(MatrixModel::State::NotRecorded);
        updateControls();
        return false;
    }
    m_log->appendPlainText(QStringLiteral("$ ") + m_process->commandLine());
    m_status->setText(QStringLiteral("Starting…"));
    updateControls();
    return true;
}

void MatrixWindow::cancel()
{
    if (!m_process->isRunning())
        return;
    m_process->cancel();
    m_status->setText(QStringLiteral("Cancelling: stopping the variation being recorded…"));
    updateControls();
}

bool MatrixWindow::isRunning() const
{
    return !m_processEnded || m_pendingSummaries > 0;
}

void MatrixWindow::variationStarted(int index, int count, const QString &name)
{
    for (int row = 0; row < index; ++row) {
        if (m_model->state(row) == MatrixModel::State::Recording)
            summarize(row);
    }
    m_model->setState(index, MatrixModel::State::Recording);
    m_status->setText(QStringLiteral("Recording %1 of %2: %3").arg(index + 1).arg(count).arg(name));
    m_progress->setValue(index);
}

void MatrixWindow::summarize(int row)
{
    m_model->setState(row, MatrixModel::State::Summarizing);
    ++m_pendingSummaries;
    const int generation = m_generation;
    const QString name = m_model->outcome(row).variation;
    const QString bundle = m_model->outcome(row).bundlePath;
    QPointer<MatrixWindow> self(this);
    // Reading a bundle and diagnosing it takes a moment: off the GUI thread.
    QThreadPool::globalInstance()->start([self, generation, row, name, bundle] {
        const MatrixOutcome outcome = summarizeMatrixRun(name, bundle);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, generation, row, outcome] {
                if (self)
                    self->summarized(generation, row, outcome);
            },
            Qt::QueuedConnection);
    });
}

void MatrixWindow::summarized(int generation, int row, const MatrixOutcome &outcome)
{
    if (generation != m_generation)
        return;
    --m_pendingSummaries;
    m_model->setOutcome(row, outcome);
    checkFinished();
}

void MatrixWindow::processFinished(int exitCode, bool cancelled)
{
    m_processEnded = true;
    m_cancelled = cancelled;
    m_exitCode = exitCode;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        // The variation in flight has a bundle when the CLI had time to save what it recorded.
        if (m_model->state(row) == MatrixModel::State::Recording && QFileInfo(m_model->outcome(row).bundlePath).isFile())
            summarize(row);
    }
    m_model->finishUnfinished(cancelled ? MatrixModel::State::Cancelled : MatrixModel::State::NotRecorded);
    checkFinished();
}

void MatrixWindow::checkFinished()
{
    int recorded = 0;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const MatrixModel::State state = m_model->state(row);
        recorded += state == MatrixModel::State::Done || state == MatrixModel::State::Summarizing;
    }
    if (m_processEnded)
        m_progress->setValue(recorded);
    updateControls();
    if (!m_processEnded || m_pendingSummaries > 0)
        return;
    const int total = m_model->rowCount();
    if (m_cancelled) {
        m_status->setText(QStringLiteral("Cancelled: %1 of %2 variations recorded.").arg(recorded).arg(total));
        theme::setColor(m_status, theme::warning);
    } else if (recorded < total || m_exitCode != 0) {
        // The CLI's last line says why it stopped.
        QString last;
        const QStringList lines = m_log->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        for (auto it = lines.crbegin(); it != lines.crend() && last.isEmpty(); ++it) {
            if (it->startsWith(QLatin1String("initscope")))
                last = *it;
        }
        m_status->setText(QStringLiteral("%1 of %2 variations recorded; initscope record ended with exit %3%4")
                              .arg(recorded)
                              .arg(total)
                              .arg(m_exitCode)
                              .arg(last.isEmpty() ? QString() : QStringLiteral(": ") + last));
        theme::setColor(m_status, theme::failure);
    } else {
        m_status->setText(QStringLiteral("All %1 variations recorded. Double-click a row to open its bundle.").arg(total));
        theme::clearColor(m_status);
    }
    Q_EMIT finished(m_cancelled);
}

void MatrixWindow::openRow(int row)
{
    const QString bundle = m_model->bundlePath(row);
    if (!bundle.isEmpty())
        Q_EMIT openBundleRequested(bundle);
}

void MatrixWindow::updateControls()
{
    const bool running = !m_processEnded;
    m_run->setEnabled(!running && !m_path.isEmpty());
    m_cancel->setEnabled(running && !m_process->wasCancelled());
    m_outputDir->setEnabled(!running);
    m_browse->setEnabled(!running);
    m_open->setEnabled(!m_model->bundlePath(m_view->currentIndex().row()).isEmpty());
}

void MatrixWindow::closeEvent(QCloseEvent *event)
{
    // The CLI must not outlive the window: the process's destructor waits for it.
    cancel();
    QWidget::closeEvent(event);
}

} // namespace initscope::ui
