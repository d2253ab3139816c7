#include "devicepanel.h"

#include "format.h"

#include "devicemodel.h"
#include "theme.h"
#include "viewsetup.h"

#include <QHeaderView>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace initscope::ui
{

namespace
{

QString findingsHtml(const DeviceReport &r)
{
    QString html;
    if (!r.machine)
        html += QStringLiteral("<p style=\"color:%1\">This run keeps no facts of its machine (recorded before they were kept, "
                               "or imported from a log): only what the libraries reported is shown.</p>")
                    .arg(theme::muted().name());
    if (r.findings.isEmpty())
        return html + QStringLiteral("<p style=\"color:%1\"><b>No contradiction between the sources.</b></p>").arg(theme::success().name());
    for (const DeviceFinding &f : r.findings) {
        const QString colour = f.severity == QLatin1String("error")     ? theme::failure().name()
                               : f.severity == QLatin1String("warning") ? theme::warning().name()
                                                                        : theme::muted().name();
        html += QStringLiteral("<p style=\"margin:0 0 6px 0\"><b style=\"color:%1\">%2</b> <b>%3</b><br>%4")
                    .arg(colour, f.severity.toUpper(), htmlText(f.title), htmlText(f.detail));
        if (!f.fix.isEmpty())
            html += QStringLiteral("<br><i>Fix:</i> %1").arg(htmlText(f.fix));
        html += QStringLiteral("</p>");
    }
    return html;
}

} // namespace

DevicePanel::DevicePanel(QWidget *parent)
    : QWidget(parent), m_findings(new QTextBrowser(this)), m_model(new DeviceModel(this)), m_view(new QTableView(this))
{
    m_findings->setOpenLinks(false);
    m_findings->setFrameShape(QFrame::NoFrame);
    setupTableView(m_view);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectItems);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const qint64 event = index.data(DeviceModel::EventIdRole).toLongLong();
        const qint64 process = index.data(DeviceModel::ProcessIdRole).toLongLong();
        if (event >= 0)
            Q_EMIT eventActivated(process, event);
    });
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_findings);
    splitter->addWidget(m_view);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

void DevicePanel::setReport(const DeviceReport &report)
{
    m_findings->setHtml(findingsHtml(report));
    theme::onPaletteChange(m_findings, [this, report] { m_findings->setHtml(findingsHtml(report)); });
    m_model->setReport(report);
    fitColumnsToContents(m_view, m_view->horizontalHeader());
}

} // namespace initscope::ui
