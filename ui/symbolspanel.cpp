#include "symbolspanel.h"

#include "format.h"

#include "symbolsmodel.h"
#include "theme.h"
#include "viewsetup.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{

QString colourOf(CheckSeverity s)
{
    switch (s) {
    case CheckSeverity::Error:
        return theme::failure().name();
    case CheckSeverity::Warning:
        return theme::warning().name();
    case CheckSeverity::Info:
        break;
    }
    return theme::muted().name();
}

QString findingsHtml(const SymbolCheckResult &r)
{
    if (r.findings.isEmpty() && r.rows.isEmpty())
        return QStringLiteral("<p>This run keeps no ELF facts of a shim or GPU library (recorded before they were kept, "
                              "or imported from a log). Check files with <code>initscope symbols</code>.</p>");
    if (r.findings.isEmpty())
        return QStringLiteral("<p style=\"color:%1\"><b>Every symbol checked is provided.</b></p>").arg(theme::success().name());
    QString html;
    for (const SymbolFinding &f : r.findings) {
        html += QStringLiteral("<p style=\"margin:0 0 6px 0\"><b style=\"color:%1\">%2</b> <b>%3</b><br>%4")
                    .arg(colourOf(f.severity), checkSeverityName(f.severity).toUpper(), htmlText(f.title),
                         htmlText(f.detail));
        if (!f.fix.isEmpty())
            html += QStringLiteral("<br><i>Fix:</i> %1").arg(htmlText(f.fix));
        html += QStringLiteral("</p>");
    }
    return html;
}

} // namespace

SymbolsPanel::SymbolsPanel(QWidget *parent)
    : QWidget(parent), m_findings(new QTextBrowser(this)), m_consumer(new QComboBox(this)),
      m_problemsOnly(new QCheckBox(QStringLiteral("Problems only"), this)), m_search(new QLineEdit(this)),
      m_count(new QLabel(this)), m_model(new SymbolsModel(this)), m_filter(new SymbolsFilter(this)),
      m_view(new QTableView(this))
{
    m_findings->setOpenLinks(false);
    m_findings->setFrameShape(QFrame::NoFrame);
    m_filter->setSourceModel(m_model);
    setupTableView(m_view);
    m_view->setModel(m_filter);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(SymbolsModel::StatusColumn, Qt::AscendingOrder);
    m_search->setPlaceholderText(QStringLiteral("Filter symbols"));
    m_search->setClearButtonEnabled(true);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    bar->addWidget(new QLabel(QStringLiteral("Needed by"), this));
    bar->addWidget(m_consumer);
    bar->addWidget(m_problemsOnly);
    bar->addWidget(m_search, 1);
    bar->addWidget(m_count);

    auto *table = new QWidget(this);
    auto *tableLayout = new QVBoxLayout(table);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(bar);
    tableLayout->addWidget(m_view);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_findings);
    splitter->addWidget(table);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(m_consumer, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setConsumer(m_consumer->currentData().toString());
        updateCount();
    });
    connect(m_problemsOnly, &QCheckBox::toggled, this, [this](bool on) {
        m_filter->setProblemsOnly(on);
        updateCount();
    });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_filter->setText(text);
        updateCount();
    });
}

void SymbolsPanel::setResult(const SymbolCheckResult &result)
{
    m_findings->setHtml(findingsHtml(result));
    theme::onPaletteChange(m_findings, [this, result] { m_findings->setHtml(findingsHtml(result)); });
    m_model->setRows(result.rows);
    m_consumer->blockSignals(true);
    m_consumer->clear();
    m_consumer->addItem(QStringLiteral("every consumer"), QString());
    for (const QString &c : m_model->consumers())
        m_consumer->addItem(c == QLatin1String("run") ? QStringLiteral("the recorded run") : cellText(c), c);
    m_consumer->blockSignals(false);
    m_filter->setConsumer(QString());
    // Problems first: what is not satisfied is what this view is for.
    bool problems = false;
    for (const SymbolRow &r : result.rows)
        problems = problems || r.status != QLatin1String("ok");
    m_problemsOnly->setChecked(problems);
    m_filter->setProblemsOnly(problems);
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    updateCount();
}

void SymbolsPanel::updateCount()
{
    m_count->setText(QStringLiteral("%1 of %2").arg(m_filter->rowCount()).arg(m_model->rowCount()));
}

} // namespace initscope::ui
