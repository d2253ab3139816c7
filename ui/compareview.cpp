#include "compareview.h"

#include "comparemodel.h"
#include "theme.h"
#include "viewsetup.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{

QString listHtml(const QString &title, const QStringList &lines)
{
    if (lines.isEmpty())
        return QString();
    QString html = QStringLiteral("<p style=\"margin:6px 0 2px 0\"><b>%1</b> (%2)</p><ul style=\"margin:0\">").arg(title.toHtmlEscaped()).arg(lines.size());
    for (int i = 0; i < lines.size() && i < 25; ++i)
        html += QStringLiteral("<li>%1</li>").arg(lines[i].toHtmlEscaped());
    if (lines.size() > 25)
        html += QStringLiteral("<li>… %1 more</li>").arg(lines.size() - 25);
    return html + QStringLiteral("</ul>");
}

QString summaryHtml(const RunDiff &d)
{
    QString html = QStringLiteral("<p><b>A</b> %1<br><b>B</b> %2</p>").arg(d.labelA.toHtmlEscaped(), d.labelB.toHtmlEscaped());
    if (d.equivalent())
        return html + QStringLiteral("<p style=\"color:%1\"><b>Equivalent</b>: the same processes, calls, results, libraries, "
                                     "environment, output and diagnosis.</p>")
                          .arg(theme::success().name());
    if (d.first)
        html += QStringLiteral("<p><b style=\"color:%1\">First divergence</b> %2: %3 in A, %4 in B</p>")
                    .arg(theme::failure().name(), d.first->call.toHtmlEscaped(),
                         (d.first->eventA >= 0 ? d.first->resultA : QStringLiteral("not made")).toHtmlEscaped(),
                         (d.first->eventB >= 0 ? d.first->resultB : QStringLiteral("not made")).toHtmlEscaped());
    html += QStringLiteral("<p>%1 calls aligned and equal, %2 different.</p>").arg(d.alignedCalls).arg(d.calls.size());
    if (d.diagnosisA != d.diagnosisB)
        html += QStringLiteral("<p><b>Diagnosis</b><br>A: %1<br>B: %2</p>").arg(d.diagnosisA.toHtmlEscaped(), d.diagnosisB.toHtmlEscaped());
    html += listHtml(QStringLiteral("Environment"), d.environment);
    html += listHtml(QStringLiteral("Config"), d.config);
    html += listHtml(QStringLiteral("Libraries"), d.libraries);
    html += listHtml(QStringLiteral("Resolved in A only"), d.resolverOnlyA);
    html += listHtml(QStringLiteral("Resolved in B only"), d.resolverOnlyB);
    html += listHtml(QStringLiteral("Output only in A"), d.outputOnlyA);
    html += listHtml(QStringLiteral("Output only in B"), d.outputOnlyB);
    return html;
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_summary(new QTextBrowser(this)), m_model(new CompareModel(this)),
      m_view(new QTableView(this))
{
    m_summary->setOpenLinks(false);
    m_summary->setFrameShape(QFrame::NoFrame);
    setupTableView(m_view);
    m_view->setModel(m_model);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);

    auto *first = new QPushButton(QStringLiteral("First divergence"), this);
    auto *previous = new QPushButton(QStringLiteral("Previous difference"), this);
    auto *next = new QPushButton(QStringLiteral("Next difference"), this);
    first->setShortcut(QKeySequence(Qt::Key_Home | Qt::ControlModifier));
    previous->setShortcut(QKeySequence(Qt::Key_F8 | Qt::ShiftModifier));
    next->setShortcut(QKeySequence(Qt::Key_F8));
    first->setToolTip(QStringLiteral("Ctrl+Home"));
    previous->setToolTip(QStringLiteral("Shift+F8"));
    next->setToolTip(QStringLiteral("F8"));
    connect(first, &QPushButton::clicked, this, &CompareView::goToFirstDivergence);
    connect(previous, &QPushButton::clicked, this, &CompareView::goToPreviousDifference);
    connect(next, &QPushButton::clicked, this, &CompareView::goToNextDifference);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_title, 1);
    bar->addWidget(first);
    bar->addWidget(previous);
    bar->addWidget(next);

    auto *calls = new QWidget(this);
    auto *callsLayout = new QVBoxLayout(calls);
    callsLayout->setContentsMargins(0, 0, 0, 0);
    callsLayout->addLayout(bar);
    callsLayout->addWidget(m_view);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_summary);
    splitter->addWidget(calls);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

void CompareView::setDiff(const RunDiff &diff)
{
    m_model->setDiff(diff);
    m_summary->setHtml(summaryHtml(diff));
    theme::onPaletteChange(m_summary, [this, diff] { m_summary->setHtml(summaryHtml(diff)); });
    m_title->setText(QStringLiteral("Aligned calls (%1 steps, %2 different)").arg(diff.alignment.size()).arg(diff.calls.size()));
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    goToFirstDivergence();
}

void CompareView::selectRow(int row)
{
    if (row < 0)
        return;
    const QModelIndex index = m_model->index(row, CompareModel::CallColumn);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

void CompareView::goToFirstDivergence()
{
    selectRow(m_model->firstDivergenceRow());
}

void CompareView::goToNextDifference()
{
    selectRow(m_model->nextDifference(m_view->currentIndex().isValid() ? m_view->currentIndex().row() : -1, true));
}

void CompareView::goToPreviousDifference()
{
    selectRow(m_model->nextDifference(m_view->currentIndex().isValid() ? m_view->currentIndex().row() : 0, false));
}

} // namespace initscope::ui
