#include "environmentpanel.h"

#include "displaytext.h"
#include "environmentmodel.h"
#include "format.h"
#include "runfilesmodel.h"
#include "viewsetup.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace initscope::ui
{

EnvironmentPanel::EnvironmentPanel(QWidget *parent)
    : QWidget(parent), m_model(new EnvironmentModel(this)),
      m_proxy(new QSortFilterProxyModel(this)), m_view(new QTableView(this)),
      m_filterEdit(new QLineEdit(this)), m_summary(new QLabel(this)),
      m_filesModel(new RunFilesModel(this)), m_filesView(new QTableView(this)),
      m_filesTitle(new QLabel(this)), m_config(new QPlainTextEdit(this)),
      m_splitter(new QSplitter(Qt::Vertical, this))
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

    // The run's part: which files it ran with, exactly, and the config that made it.
    m_filesTitle->setText(QStringLiteral("<b>Files of the run</b> &nbsp;the same for every process"));
    m_filesTitle->setContentsMargins(6, 6, 6, 4);
    setupTableView(m_filesView);
    m_filesView->setModel(m_filesModel);
    m_filesView->setTextElideMode(Qt::ElideMiddle);
    auto *copy = new QAction(QStringLiteral("&Copy Rows"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, this, &EnvironmentPanel::copyFiles);
    m_filesView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_filesView->addAction(copy);
    m_config->setReadOnly(true);
    m_config->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_config->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_config->setPlaceholderText(QStringLiteral("No run config was recorded with this run."));


    auto *variables = new QWidget(this);
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_filterEdit, 2);
    bar->addWidget(m_summary, 3);
    auto *variablesLayout = new QVBoxLayout(variables);
    variablesLayout->setContentsMargins(0, 0, 0, 0);
    variablesLayout->setSpacing(0);
    variablesLayout->addLayout(bar);
    variablesLayout->addWidget(m_view);

    auto *files = new QWidget(this);
    auto *filesLayout = new QVBoxLayout(files);
    filesLayout->setContentsMargins(0, 0, 0, 0);
    filesLayout->setSpacing(0);
    filesLayout->addWidget(m_filesTitle);
    filesLayout->addWidget(m_filesView, 1);

    auto *config = new QWidget(this);
    auto *configTitle = new QLabel(QStringLiteral("<b>Run config</b> &nbsp;what <tt>initscope record</tt> was asked to do"), config);
    configTitle->setContentsMargins(6, 6, 6, 4);
    auto *configLayout = new QVBoxLayout(config);
    configLayout->setContentsMargins(0, 0, 0, 0);
    configLayout->setSpacing(0);
    configLayout->addWidget(configTitle);
    configLayout->addWidget(m_config, 1);

    m_splitter->setObjectName(QStringLiteral("environmentSplitter"));
    m_splitter->addWidget(variables);
    m_splitter->addWidget(files);
    m_splitter->addWidget(config);
    m_splitter->setChildrenCollapsible(false);
    for (int i = 0; i < 3; ++i)
        m_splitter->setStretchFactor(i, 1);
    // Proportions; the splitter scales them to its height when first laid out.
    m_splitter->setSizes({450, 250, 300});

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_splitter);
}

void EnvironmentPanel::setEnvironment(const QStringList &env)
{
    m_model->setEnvironment(env);
    fitColumnsToContents(m_view, m_view->horizontalHeader(), 1000);
    updateSummary();
}

void EnvironmentPanel::setRunFiles(const QList<Artifact> &artifacts, const QByteArray &configJson)
{
    m_filesModel->setArtifacts(artifacts);
    fitColumnsToContents(m_filesView, m_filesView->horizontalHeader());
    // The path is what a reader scans for: wider than other columns may be.
    int pathWidth = m_filesView->horizontalHeader()->sectionSize(RunFilesModel::PathColumn);
    for (int row = 0; row < m_filesModel->rowCount(); ++row)
        pathWidth = std::max(pathWidth, m_filesView->fontMetrics().horizontalAdvance(
                                            m_filesModel->index(row, RunFilesModel::PathColumn).data().toString()) + 16);
    m_filesView->horizontalHeader()->resizeSection(RunFilesModel::PathColumn, std::min(pathWidth, 360));
    const QJsonDocument config = QJsonDocument::fromJson(configJson);
    // JSON escapes controls in its strings, not bidi or invisible characters: escaped here.
    m_config->setPlainText(config.isNull() ? safeText(configJson)
                                           : display::escape(QString::fromUtf8(config.toJson(QJsonDocument::Indented)),
                                                             display::Breaks::Keep));
}

void EnvironmentPanel::copyFiles()
{
    QModelIndexList rows = m_filesView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end());
    QStringList lines;
    for (const QModelIndex &row : rows) {
        QStringList cells;
        for (int c = 0; c < RunFilesModel::ColumnCount; ++c)
            cells << row.siblingAtColumn(c).data().toString();
        lines << cells.join(QLatin1Char('\t'));
    }
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
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
