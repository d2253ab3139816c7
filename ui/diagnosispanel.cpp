#include "diagnosispanel.h"

#include "displaytext.h"

#include "diagnosismodel.h"
#include "format.h"
#include "theme.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTreeView>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{
QLabel *wrappingLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QLabel *fieldName(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    theme::setColor(label, theme::muted);
    return label;
}
} // namespace

DiagnosisPanel::DiagnosisPanel(QWidget *parent)
    : QWidget(parent), m_title(wrappingLabel(this)), m_meta(wrappingLabel(this)),
      m_fields(new QWidget(this)), m_step(wrappingLabel(m_fields)),
      m_errorLine(wrappingLabel(m_fields)), m_errorLink(new QLabel(m_fields)), m_fix(wrappingLabel(m_fields)),
      m_model(new DiagnosisModel(this)), m_view(new QTreeView(this))
{
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    m_errorLine->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    theme::setColor(m_meta, theme::muted);

    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAllColumnsShowFocus(true);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setExpandsOnDoubleClick(true);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(DiagnosisModel::TextColumn, QHeaderView::Stretch);
    m_view->header()->setSectionResizeMode(DiagnosisModel::WhereColumn,
                                           QHeaderView::ResizeToContents);
    // A click is enough: evidence is a link into the other views, not an item to edit.
    connect(m_view, &QTreeView::clicked, this, &DiagnosisPanel::activate);
    connect(m_view, &QTreeView::activated, this, &DiagnosisPanel::activate);

    auto *form = new QFormLayout(m_fields);
    form->setContentsMargins(0, 0, 0, 0);
    form->setHorizontalSpacing(10);
    form->setVerticalSpacing(2);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    form->addRow(fieldName(QStringLiteral("Failing step"), m_fields), m_step);
    // The line in full, and where it is: one click shows it among the process's other lines.
    m_errorLink->setText(QStringLiteral("<a href=\"line\">show in output</a>"));
    m_errorLink->setToolTip(QStringLiteral("Select this line in the process's output"));
    m_errorLink->setAlignment(Qt::AlignRight | Qt::AlignTop);
    connect(m_errorLink, &QLabel::linkActivated, this, [this] { Q_EMIT evidenceActivated(m_errorEvidence); });
    auto *errorRow = new QHBoxLayout;
    errorRow->setContentsMargins(0, 0, 0, 0);
    errorRow->addWidget(m_errorLine, 1);
    errorRow->addWidget(m_errorLink, 0, Qt::AlignTop);
    form->addRow(fieldName(QStringLiteral("Error line"), m_fields), errorRow);
    form->addRow(fieldName(QStringLiteral("Fix"), m_fields), m_fix);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 4);
    layout->setSpacing(4);
    layout->addWidget(m_title);
    layout->addWidget(m_meta);
    layout->addWidget(m_fields);
    layout->addWidget(m_view, 1);
    clear();
}

void DiagnosisPanel::setDiagnosis(const Diagnosis &diagnosis)
{
    m_pending = false;
    m_model->setFindings(diagnosis.findings);
    if (diagnosis.findings.isEmpty()) {
        clear();
        return;
    }
    const Finding &top = diagnosis.findings.first();
    // Findings quote the bundle (paths, names, the error line): escaped and bounded, so that a
    // line of megabytes cannot stall the label's layout (core/displaytext.h).
    const auto shown = [](const QString &text) {
        return display::elide(text, kCellChars, display::Breaks::Keep);
    };
    m_title->setText(shown(top.title));
    theme::setColor(m_title, [severity = top.severity] { return severityColor(severity); });

    QStringList meta{severityName(top.severity),
                     QStringLiteral("%1% confidence").arg(qRound(top.confidence * 100))};
    if (top.pid > 0)
        meta << QStringLiteral("pid %1").arg(top.pid);
    meta << QStringLiteral("at %1 ms").arg(formatMs(top.tsNs));
    const qsizetype others = diagnosis.findings.size() - 1;
    if (others > 0)
        meta << (others == 1 ? QStringLiteral("1 more finding below")
                             : QStringLiteral("%1 more findings below").arg(others));
    if (!diagnosis.notes.isEmpty())
        meta << QStringLiteral("long run, read selectively");
    m_meta->setText(meta.join(QStringLiteral(" · ")));
    m_meta->setToolTip(toolTipText(diagnosis.notes.join(QLatin1Char('\n'))));
    m_meta->show();

    m_step->setText(top.step.isEmpty() ? QStringLiteral("—") : shown(top.step));
    m_errorLine->setText(top.errorLine.isEmpty() ? QStringLiteral("—") : cellText(top.errorLine));
    // The finding's own evidence names the process the line is in.
    m_errorEvidence = Evidence();
    for (const Evidence &e : top.evidence) {
        if (e.kind == Evidence::Kind::OutputLine && e.stream == top.errorStream && e.line == top.errorLineNumber)
            m_errorEvidence = e;
    }
    m_errorLink->setVisible(!top.errorLine.isEmpty() && m_errorEvidence.kind == Evidence::Kind::OutputLine &&
                            m_errorEvidence.line > 0);
    m_fix->setText(top.fix.isEmpty() ? QStringLiteral("—") : shown(top.fix));
    m_fields->show();

    m_view->show();
    m_view->collapseAll();
    const QModelIndex first = m_model->index(0, 0);
    m_view->expand(first);
    m_view->setCurrentIndex(first);
}

void DiagnosisPanel::setPending(const QString &text)
{
    clear();
    m_pending = true;
    m_title->setText(text);
    theme::setColor(m_title, theme::muted);
}

void DiagnosisPanel::clear()
{
    m_pending = false;
    m_model->setFindings({});
    m_title->setText(QStringLiteral("No departure from the GPU bring-up sequence was found"));
    theme::setColor(m_title, theme::success);
    m_meta->hide();
    m_fields->hide();
    m_view->hide();
}

void DiagnosisPanel::activate(const QModelIndex &index)
{
    const QModelIndex row = index.siblingAtColumn(DiagnosisModel::TextColumn);
    if (const Evidence *e = m_model->evidence(row))
        Q_EMIT evidenceActivated(*e);
}

} // namespace initscope::ui
