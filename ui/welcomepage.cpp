#include "welcomepage.h"

#include "displaytext.h"

#include "theme.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

namespace initscope::ui
{

WelcomePage::WelcomePage(QWidget *parent) : QWidget(parent), m_recent(new QLabel(this))
{
    auto *title = new QLabel(QStringLiteral("InitScope"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 2.2);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *text = new QLabel(
        QStringLiteral("Open a bundle (.initscope) to see which processes ran, how each one "
                       "ended, everything it printed and which libraries it looked for.<br>"
                       "Drop bundle files anywhere on this window, or pass them on the "
                       "command line.<br>"
                       "Got only an Ollama server log? Import it: InitScope diagnoses it "
                       "the same way."),
        this);
    text->setWordWrap(true);
    text->setFixedWidth(520);

    auto *open = new QPushButton(QStringLiteral("Open Bundle…"), this);
    open->setDefault(true);
    connect(open, &QPushButton::clicked, this, &WelcomePage::openRequested);
    auto *import = new QPushButton(QStringLiteral("Import Log…"), this);
    connect(import, &QPushButton::clicked, this, &WelcomePage::importRequested);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(8);
    buttons->addWidget(open);
    buttons->addWidget(import);
    buttons->addStretch(1);

    m_recent->setTextFormat(Qt::RichText);
    m_recent->setOpenExternalLinks(false);
    connect(m_recent, &QLabel::linkActivated, this,
            [this](const QString &link) { Q_EMIT openFileRequested(QUrl(link).toLocalFile()); });

    auto *column = new QVBoxLayout;
    column->setSpacing(14);
    column->addWidget(title);
    column->addWidget(text);
    column->addLayout(buttons);
    column->addSpacing(10);
    column->addWidget(m_recent);

    auto *outer = new QVBoxLayout(this);
    outer->addStretch(2);
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addLayout(column);
    row->addStretch(1);
    outer->addLayout(row);
    outer->addStretch(3);
}

void WelcomePage::setRecentFiles(const QStringList &files)
{
    if (files.isEmpty()) {
        m_recent->clear();
        return;
    }
    const QString grey = theme::muted().name();
    QString html = QStringLiteral("<b>Recent bundles</b><table cellspacing=4>");
    for (const QString &path : files) {
        const QFileInfo info(path);
        const QString dir = display::elide(QDir::toNativeSeparators(info.absolutePath()), 300).toHtmlEscaped();
        if (info.exists()) {
            html += QStringLiteral("<tr><td><a href=\"%1\">%2</a></td>"
                                   "<td style=\"color:%3\">%4</td></tr>")
                        .arg(QUrl::fromLocalFile(path).toString(QUrl::FullyEncoded),
                             display::elide(info.fileName(), 120).toHtmlEscaped(), grey, dir);
        } else {
            html += QStringLiteral("<tr><td style=\"color:%1\">%2 (missing)</td>"
                                   "<td style=\"color:%1\">%3</td></tr>")
                        .arg(grey, display::elide(info.fileName(), 120).toHtmlEscaped(), dir);
        }
    }
    html += QStringLiteral("</table>");
    m_recent->setText(html);
    theme::onPaletteChange(m_recent, [this, files] { setRecentFiles(files); });
}

} // namespace initscope::ui
