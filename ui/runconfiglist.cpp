#include "runconfiglist.h"

#include "recording.h"
#include "runconfigdialog.h"
#include "theme.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace initscope::ui
{

namespace
{

const QString kDirectoryKey = QStringLiteral("runConfigs/directory");

QString describeTarget(const RecordOptions &o)
{
    const QString command = o.command.join(QLatin1Char(' '));
    if (o.preset == QLatin1String("probe") || o.preset == QLatin1String("ollama"))
        return command.isEmpty() ? QStringLiteral("%1 preset").arg(o.preset)
                                 : QStringLiteral("%1 preset: %2").arg(o.preset, command);
    return command;
}

} // namespace

QString runConfigDirectory()
{
    const QString chosen = QSettings().value(kDirectoryKey).toString();
    if (!chosen.isEmpty())
        return chosen;
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).filePath(QStringLiteral("run-configs"));
}

void setRunConfigDirectory(const QString &directory)
{
    QSettings().setValue(kDirectoryKey, QFileInfo(directory).absoluteFilePath());
}

QList<RunConfigEntry> listRunConfigs(const QString &directory)
{
    QList<RunConfigEntry> entries;
    const QFileInfoList files = QDir(directory).entryInfoList({QStringLiteral("*.json")}, QDir::Files | QDir::Readable);
    for (const QFileInfo &file : files) {
        RunConfigEntry entry;
        entry.path = file.absoluteFilePath();
        entry.name = file.completeBaseName();
        QJsonObject config;
        RecordOptions own;
        QString error;
        if (!readRecordConfig(entry.path, &config, &error) || !recordConfigOwnOptions(config, &own, &error)) {
            entry.error = error;
        } else {
            if (!own.runName.isEmpty())
                entry.name = own.runName;
            entry.target = describeTarget(own);
        }
        entries.append(entry);
    }
    std::sort(entries.begin(), entries.end(), [](const RunConfigEntry &a, const RunConfigEntry &b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return entries;
}

RunConfigsDialog::RunConfigsDialog(QWidget *parent)
    : QDialog(parent), m_folder(new QLabel(this)), m_list(new QTreeWidget(this)),
      m_edit(new QPushButton(QStringLiteral("&Edit…"), this)), m_delete(new QPushButton(QStringLiteral("&Delete"), this)),
      m_record(new QPushButton(QStringLiteral("&Record…"), this))
{
    setWindowTitle(QStringLiteral("Run Configurations"));
    m_folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_folder->setWordWrap(true);
    auto *changeFolder = new QPushButton(QStringLiteral("Change &Folder…"), this);
    connect(changeFolder, &QPushButton::clicked, this, &RunConfigsDialog::chooseFolder);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(changeFolder);

    m_list->setHeaderLabels({QStringLiteral("Name"), QStringLiteral("Runs"), QStringLiteral("File")});
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    m_list->setUniformRowHeights(true);
    m_list->header()->setStretchLastSection(true);
    m_list->setColumnWidth(NameColumn, 220);
    m_list->setColumnWidth(TargetColumn, 380);
    connect(m_list, &QTreeWidget::currentItemChanged, this, &RunConfigsDialog::updateButtons);
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, [this] { edit(selectedPath()); });

    auto *newButton = new QPushButton(QStringLiteral("&New…"), this);
    connect(newButton, &QPushButton::clicked, this, [this] { edit(QString()); });
    connect(m_edit, &QPushButton::clicked, this, [this] { edit(selectedPath()); });
    connect(m_delete, &QPushButton::clicked, this, &RunConfigsDialog::remove);
    m_record->setToolTip(QStringLiteral("initscope record --config FILE, then open the bundle"));
    connect(m_record, &QPushButton::clicked, this, [this] {
        const QString path = selectedPath();
        if (path.isEmpty())
            return;
        accept();
        Q_EMIT recordRequested(path);
    });
    auto *buttons = new QVBoxLayout;
    for (QPushButton *button : {newButton, m_edit, m_delete, m_record})
        buttons->addWidget(button);
    buttons->addStretch(1);
    auto *middle = new QHBoxLayout;
    middle->addWidget(m_list, 1);
    middle->addLayout(buttons);

    auto *close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(folderRow);
    layout->addLayout(middle, 1);
    layout->addWidget(close);
    resize(900, 420);
    refresh();
}

void RunConfigsDialog::refresh()
{
    const QString selected = selectedPath();
    const QString directory = runConfigDirectory();
    m_folder->setText(QStringLiteral("Saved in %1").arg(QDir::toNativeSeparators(directory)));
    m_list->clear();
    for (const RunConfigEntry &entry : listRunConfigs(directory)) {
        auto *item = new QTreeWidgetItem(m_list, {entry.name, entry.error.isEmpty() ? entry.target : entry.error,
                                                  QFileInfo(entry.path).fileName()});
        item->setData(NameColumn, Qt::UserRole, entry.path);
        item->setData(TargetColumn, Qt::UserRole, entry.error);
        item->setToolTip(FileColumn, QDir::toNativeSeparators(entry.path));
        item->setToolTip(TargetColumn, item->text(TargetColumn));
        if (!entry.error.isEmpty())
            item->setForeground(TargetColumn, theme::failure());
        if (entry.path == selected)
            m_list->setCurrentItem(item);
    }
    if (!m_list->currentItem() && m_list->topLevelItemCount() > 0)
        m_list->setCurrentItem(m_list->topLevelItem(0));
    updateButtons();
}

QString RunConfigsDialog::selectedPath() const
{
    const QTreeWidgetItem *item = m_list->currentItem();
    return item ? item->data(NameColumn, Qt::UserRole).toString() : QString();
}

void RunConfigsDialog::edit(const QString &path)
{
    RunConfigDialog dialog(this);
    dialog.setDefaultDirectory(runConfigDirectory());
    QString error;
    if (!path.isEmpty() && !dialog.load(path, &error)) {
        QMessageBox::warning(this, QStringLiteral("Cannot Edit Run Configuration"),
                             error + QStringLiteral("\n\nFix the file in a text editor, or delete it."));
        return;
    }
    if (dialog.exec() == QDialog::Accepted)
        refresh();
}

void RunConfigsDialog::remove()
{
    const QString path = selectedPath();
    if (path.isEmpty())
        return;
    if (QMessageBox::question(this, QStringLiteral("Delete Run Configuration"),
                              QStringLiteral("Delete %1?").arg(QDir::toNativeSeparators(path)))
        != QMessageBox::Yes)
        return;
    QFile::remove(path);
    refresh();
}

void RunConfigsDialog::chooseFolder()
{
    const QString directory = QFileDialog::getExistingDirectory(this, QStringLiteral("Folder of Run Configurations"),
                                                                runConfigDirectory());
    if (directory.isEmpty())
        return;
    setRunConfigDirectory(directory);
    refresh();
}

void RunConfigsDialog::updateButtons()
{
    const QTreeWidgetItem *item = m_list->currentItem();
    m_edit->setEnabled(item);
    m_delete->setEnabled(item);
    m_record->setEnabled(item && item->data(TargetColumn, Qt::UserRole).toString().isEmpty());
}

} // namespace initscope::ui
