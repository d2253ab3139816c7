#include "outputpanel.h"

#include "outputfiltermodel.h"
#include "outputmodel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QSaveFile>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace initscope::ui
{

OutputPanel::OutputPanel(QWidget *parent)
    : QWidget(parent), m_model(new OutputModel(this)), m_filter(new OutputFilterModel(this)),
      m_view(new QTreeView(this)), m_filterEdit(new QLineEdit(this)),
      m_streamCombo(new QComboBox(this)), m_summary(new QLabel(this)),
      m_filterTimer(new QTimer(this))
{
    m_filter->setSourceModel(m_model);

    m_filterEdit->setPlaceholderText(QStringLiteral("Filter lines"));
    m_filterEdit->setClearButtonEnabled(true);
    m_streamCombo->addItem(QStringLiteral("stdout + stderr"));
    m_streamCombo->addItem(QStringLiteral("stdout only"));
    m_streamCombo->addItem(QStringLiteral("stderr only"));

    auto *copyAction = new QAction(QStringLiteral("&Copy Lines"), this);
    copyAction->setShortcut(QKeySequence::Copy);
    copyAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copyAction, &QAction::triggered, this, &OutputPanel::copySelection);
    auto *selectAllAction = new QAction(QStringLiteral("Select &All"), this);
    selectAllAction->setShortcut(QKeySequence::SelectAll);
    selectAllAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(selectAllAction, &QAction::triggered, m_view, &QTreeView::selectAll);
    auto *saveAction = new QAction(QStringLiteral("&Save Output…"), this);
    connect(saveAction, &QAction::triggered, this, &OutputPanel::saveOutput);

    auto *saveButton = new QToolButton(this);
    saveButton->setDefaultAction(saveAction);
    saveButton->setToolButtonStyle(Qt::ToolButtonTextOnly);

    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setModel(m_filter);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true); // the one setting that keeps a million rows fast
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setAllColumnsShowFocus(true);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->addAction(copyAction);
    m_view->addAction(selectAllAction);
    m_view->addAction(saveAction);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_view->viewport()->installEventFilter(this);

    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(200);
    connect(m_filterTimer, &QTimer::timeout, this, &OutputPanel::applyFilter);
    connect(m_filterEdit, &QLineEdit::textChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_streamCombo, &QComboBox::currentIndexChanged, this, &OutputPanel::applyFilter);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 2);
    bar->addWidget(m_streamCombo);
    bar->addWidget(m_summary, 3);
    bar->addWidget(saveButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_view);
}

void OutputPanel::setOutput(const QList<OutputChunk> &chunks, const QString &suggestedName)
{
    m_suggestedName = suggestedName;
    m_model->setChunks(chunks);
    fitColumns();
    updateSummary();
}

void OutputPanel::fitColumns()
{
    const QFontMetrics fm(m_view->font());
    const int digit = fm.horizontalAdvance(QLatin1Char('0'));
    const int pad =
        2 * m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_view) + digit * 2;
    QHeaderView *header = m_view->header();
    header->resizeSection(OutputModel::TimeColumn,
                          std::max(fm.horizontalAdvance(QStringLiteral("00000.000")) + pad,
                                   header->sectionSizeHint(OutputModel::TimeColumn)));
    header->resizeSection(OutputModel::StreamColumn,
                          std::max(fm.horizontalAdvance(QStringLiteral("err")) + pad,
                                   header->sectionSizeHint(OutputModel::StreamColumn)));
    // Scroll like a terminal instead of eliding: a line is wide exactly as its shown text.
    m_textWidth = fm.horizontalAdvance(QLatin1Char('M')) * m_model->widestDisplayChars() + pad;
    fitTextColumn();
}

void OutputPanel::fitTextColumn()
{
    // At least as wide as the view, so that the stderr tint and the selection span the row.
    const QHeaderView *header = m_view->header();
    const int rest = m_view->viewport()->width() - header->sectionSize(OutputModel::TimeColumn) -
                     header->sectionSize(OutputModel::StreamColumn);
    m_view->header()->resizeSection(OutputModel::TextColumn, std::max(m_textWidth, rest));
}

bool OutputPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitTextColumn();
    return QWidget::eventFilter(watched, event);
}

void OutputPanel::applyFilter()
{
    m_filterTimer->stop();
    switch (m_streamCombo->currentIndex()) {
    case 1:
        m_filter->setStream(Stream::Stdout);
        break;
    case 2:
        m_filter->setStream(Stream::Stderr);
        break;
    default:
        m_filter->setStream(std::nullopt);
    }
    m_filter->setText(m_filterEdit->text());
    updateSummary();
}

void OutputPanel::updateSummary()
{
    const int errLines = m_model->lineCount(Stream::Stderr);
    const int lines = m_model->rowCount();
    QString text = QStringLiteral("%1 %2 (%3 on stderr) · %4")
                       .arg(lines)
                       .arg(lines == 1 ? QStringLiteral("line") : QStringLiteral("lines"))
                       .arg(errLines)
                       .arg(QLocale().formattedDataSize(m_model->totalBytes()));
    if (m_filter->rowCount() != m_model->rowCount())
        text = QStringLiteral("%1 of ").arg(m_filter->rowCount()) + text;
    m_summary->setText(text);
}

bool OutputPanel::selectLine(Stream stream, int line)
{
    int seen = 0;
    int found = -1;
    for (int row = 0; row < m_model->rowCount() && found < 0; ++row) {
        if (m_model->lineStream(row) == stream && ++seen == line)
            found = row;
    }
    if (found < 0)
        return false;
    const QModelIndex source = m_model->index(found, 0);
    if (!m_filter->mapFromSource(source).isValid()) {
        const QSignalBlocker blockEdit(m_filterEdit);
        const QSignalBlocker blockCombo(m_streamCombo);
        m_filterEdit->clear();
        m_streamCombo->setCurrentIndex(0);
        applyFilter();
    }
    const QModelIndex index = m_filter->mapFromSource(source);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    return true;
}

QString OutputPanel::selectedText() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end());
    QStringList lines;
    lines.reserve(rows.size());
    for (const QModelIndex &row : rows)
        lines << row.data(OutputModel::FullTextRole).toString();
    return lines.join(QLatin1Char('\n'));
}

void OutputPanel::copySelection()
{
    const QString text = selectedText();
    if (!text.isEmpty())
        QApplication::clipboard()->setText(text);
}

void OutputPanel::saveOutput()
{
    const QString path = QFileDialog::getSaveFileName(
        this, QStringLiteral("Save Output"),
        QDir::home().filePath(m_suggestedName + QStringLiteral(".log")),
        QStringLiteral("Log files (*.log *.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !m_model->writeTo(&file) || !file.commit()) {
        QMessageBox::warning(this, QStringLiteral("Save Output"),
                             QStringLiteral("Could not write %1: %2")
                                 .arg(QDir::toNativeSeparators(path), file.errorString()));
    }
}

} // namespace initscope::ui
