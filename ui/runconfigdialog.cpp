#include "runconfigdialog.h"

#include "theme.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace initscope::ui
{

namespace
{

QStringList nonEmptyLines(const QPlainTextEdit *edit)
{
    QStringList lines;
    for (const QString &line : edit->toPlainText().split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty())
            lines << line;
    }
    return lines;
}

QLabel *noteLabel(const QString &text = QString())
{
    auto *label = new QLabel(text);
    label->setWordWrap(true);
    theme::setColor(label, theme::muted);
    return label;
}

// A line edit with a Browse… button beside it; pick returns the chosen path, or empty.
QWidget *withBrowse(QLineEdit *edit, const std::function<QString()> &pick)
{
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    auto *browse = new QToolButton(row);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(QStringLiteral("Browse"));
    QObject::connect(browse, &QToolButton::clicked, edit, [edit, pick] {
        const QString path = pick();
        if (!path.isEmpty())
            edit->setText(path);
    });
    layout->addWidget(browse);
    return row;
}

// Shows what an empty cell means (muted), where a line edit would show a placeholder.
class PlaceholderDelegate : public QStyledItemDelegate
{
public:
    PlaceholderDelegate(const QString &placeholder, QObject *parent)
        : QStyledItemDelegate(parent), m_placeholder(placeholder)
    {
    }

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (!option->text.isEmpty())
            return;
        const bool editable = index.flags() & Qt::ItemIsEditable;
        option->text = editable ? m_placeholder : QStringLiteral("removed");
        option->palette.setColor(QPalette::Text, theme::muted());
        option->font.setItalic(true);
    }

private:
    QString m_placeholder;
};

QTableWidget *editableTable(const QStringList &headers)
{
    auto *table = new QTableWidget(0, int(headers.size()));
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::AllEditTriggers);
    table->setAlternatingRowColors(true);
    return table;
}

QString cellText(const QTableWidget *table, int row, int column)
{
    const QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

void removeSelectedRows(QTableWidget *table)
{
    QList<int> rows;
    for (const QModelIndex &index : table->selectionModel()->selectedRows())
        rows << index.row();
    if (rows.isEmpty() && table->currentRow() >= 0)
        rows << table->currentRow();
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int row : rows)
        table->removeRow(row);
}

// Add / Remove under a table.
QWidget *tableButtons(QTableWidget *table, const QString &addText, const std::function<void()> &add)
{
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *addButton = new QPushButton(addText, row);
    auto *removeButton = new QPushButton(QStringLiteral("Remove"), row);
    QObject::connect(addButton, &QPushButton::clicked, table, add);
    QObject::connect(removeButton, &QPushButton::clicked, table, [table] { removeSelectedRows(table); });
    layout->addWidget(addButton);
    layout->addWidget(removeButton);
    layout->addStretch(1);
    return row;
}

} // namespace

RunConfigDialog::RunConfigDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(QStringLiteral("Run Configuration"));
    auto *columns = new QHBoxLayout;
    auto *left = new QVBoxLayout;
    left->addWidget(createTargetGroup());
    left->addWidget(createEndGroup(), 1);
    auto *right = new QVBoxLayout;
    right->addWidget(createEnvironmentGroup(), 1);
    right->addWidget(createShimGroup(), 1);
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    theme::setColor(m_problem, theme::failure);
    m_pathLabel = noteLabel();
    m_pathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    QPushButton *saveAsButton = buttons->addButton(QStringLiteral("Save &As…"), QDialogButtonBox::ActionRole);
    connect(saveAsButton, &QPushButton::clicked, this, &RunConfigDialog::saveAs);
    connect(buttons, &QDialogButtonBox::accepted, this, &RunConfigDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(columns, 1);
    layout->addWidget(m_problem);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_pathLabel, 1);
    bottom->addWidget(buttons);
    layout->addLayout(bottom);

    setPath(QString());
    presetChanged();
    resize(1080, 700);
}

QWidget *RunConfigDialog::createTargetGroup()
{
    auto *group = new QGroupBox(QStringLiteral("Target"));
    auto *form = new QFormLayout(group);
    m_name = new QLineEdit(group);
    m_name->setPlaceholderText(QStringLiteral("the run's name in the bundle"));
    form->addRow(QStringLiteral("&Name:"), m_name);

    m_preset = new QComboBox(group);
    m_preset->addItem(QStringLiteral("None: the command below"), QString());
    m_preset->addItem(QStringLiteral("probe: initscope-probe asks every GPU library"), QStringLiteral("probe"));
    m_preset->addItem(QStringLiteral("ollama: ollama serve until GPU discovery ends"), QStringLiteral("ollama"));
    m_preset->addItem(QStringLiteral("custom: the command below"), QStringLiteral("custom"));
    connect(m_preset, &QComboBox::currentIndexChanged, this, &RunConfigDialog::presetChanged);
    form->addRow(QStringLiteral("&Preset:"), m_preset);
    m_presetNote = noteLabel();
    form->addRow(QString(), m_presetNote);

    m_program = new QLineEdit(group);
    form->addRow(QStringLiteral("P&rogram:"), withBrowse(m_program, [this] {
                     return QFileDialog::getOpenFileName(this, QStringLiteral("Program to Run"), m_program->text());
                 }));
    m_arguments = new QLineEdit(group);
    m_arguments->setPlaceholderText(QStringLiteral("arguments; \"quote one\" that holds spaces"));
    form->addRow(QStringLiteral("&Arguments:"), m_arguments);
    m_workingDirectory = new QLineEdit(group);
    m_workingDirectory->setPlaceholderText(QStringLiteral("the config file's folder"));
    form->addRow(QStringLiteral("&Working folder:"), withBrowse(m_workingDirectory, [this] {
                     return QFileDialog::getExistingDirectory(this, QStringLiteral("Working Folder"), m_workingDirectory->text());
                 }));
    m_timeout = new QDoubleSpinBox(group);
    m_timeout->setRange(0, 7 * 24 * 3600);
    m_timeout->setDecimals(1);
    m_timeout->setSuffix(QStringLiteral(" s"));
    m_timeout->setToolTip(QStringLiteral("Stop the whole process tree after this long; 0: no limit of this config's own"));
    form->addRow(QStringLiteral("&Timeout:"), m_timeout);
    m_output = new QLineEdit(group);
    m_output->setPlaceholderText(QStringLiteral("asked for when recording"));
    form->addRow(QStringLiteral("&Bundle:"), withBrowse(m_output, [this] {
                     return QFileDialog::getSaveFileName(this, QStringLiteral("Bundle to Write"), m_output->text(),
                                                         QStringLiteral("InitScope bundles (*.initscope)"));
                 }));
    for (QLineEdit *edit : {m_name, m_program, m_arguments, m_workingDirectory, m_output})
        connect(edit, &QLineEdit::textChanged, this, &RunConfigDialog::updateProblem);
    return group;
}

QWidget *RunConfigDialog::createEnvironmentGroup()
{
    auto *group = new QGroupBox(QStringLiteral("Environment"));
    auto *layout = new QVBoxLayout(group);
    m_clean = new QCheckBox(QStringLiteral("Start from a &clean environment (%1 only)")
                                .arg(kCleanEnvironment.join(QStringLiteral(", "))),
                            group);
    layout->addWidget(m_clean);
    m_environment = editableTable({QStringLiteral("Action"), QStringLiteral("Variable"), QStringLiteral("Value")});
    m_environment->setObjectName(QStringLiteral("environmentTable"));
    m_environment->setToolTip(QStringLiteral("Unset variables are removed first, then the set ones are set"));
    m_environment->horizontalHeader()->setSectionResizeMode(EnvActionColumn, QHeaderView::ResizeToContents);
    m_environment->setColumnWidth(EnvNameColumn, 200);
    m_environment->setItemDelegateForColumn(EnvValueColumn, new PlaceholderDelegate(QStringLiteral("empty"), m_environment));
    connect(m_environment, &QTableWidget::itemChanged, this, &RunConfigDialog::updateProblem);
    layout->addWidget(m_environment, 1);
    layout->addWidget(tableButtons(m_environment, QStringLiteral("Add &Variable"), [this] {
        addVariable(QString(), QString());
        m_environment->setCurrentCell(m_environment->rowCount() - 1, EnvNameColumn);
        m_environment->editItem(m_environment->item(m_environment->rowCount() - 1, EnvNameColumn));
    }));
    return group;
}

QWidget *RunConfigDialog::createShimGroup()
{
    auto *group = new QGroupBox(QStringLiteral("Libraries under test (shims)"));
    auto *layout = new QVBoxLayout(group);
    m_shims = editableTable({QStringLiteral("Library"), QStringLiteral("Answers for SONAME")});
    m_shims->setObjectName(QStringLiteral("shimTable"));
    m_shims->horizontalHeaderItem(ShimSonameColumn)
        ->setToolTip(QStringLiteral("Empty: the file's own DT_SONAME, else its file name"));
    m_shims->setColumnWidth(ShimPathColumn, 340);
    m_shims->setItemDelegateForColumn(ShimSonameColumn, new PlaceholderDelegate(QStringLiteral("the file's own"), m_shims));
    connect(m_shims, &QTableWidget::itemChanged, this, &RunConfigDialog::updateProblem);
    layout->addWidget(m_shims, 1);
    layout->addWidget(tableButtons(m_shims, QStringLiteral("Add &Library…"), [this] {
        const QStringList files = QFileDialog::getOpenFileNames(this, QStringLiteral("Libraries Under Test"), QString(),
                                                                QStringLiteral("Shared libraries (*.so *.so.*);;All files (*)"));
        for (const QString &file : files)
            addShim(file);
    }));
    auto *form = new QFormLayout;
    m_injection = new QComboBox(group);
    m_injection->addItem(QStringLiteral("audit: answer the loader's search for the SONAME (default)"),
                         injectModeName(InjectMode::Audit));
    m_injection->addItem(QStringLiteral("ld-library-path: a folder of links first in LD_LIBRARY_PATH"),
                         injectModeName(InjectMode::LdLibraryPath));
    m_injection->addItem(QStringLiteral("ld-preload: first in LD_PRELOAD, in every process"),
                         injectModeName(InjectMode::LdPreload));
    form->addRow(QStringLiteral("&Injection:"), m_injection);
    layout->addLayout(form);
    return group;
}

QWidget *RunConfigDialog::createEndGroup()
{
    auto *group = new QGroupBox(QStringLiteral("Stop rule and files to keep"));
    auto *layout = new QVBoxLayout(group);
    auto *stopLabel = new QLabel(QStringLiteral("&Stop the tree, as planned, at the first line of output containing "
                                                "one of these texts (one per line, plain text):"),
                                 group);
    stopLabel->setWordWrap(true);
    layout->addWidget(stopLabel);
    m_stopOn = new QPlainTextEdit(group);
    m_stopOn->setObjectName(QStringLiteral("stopOn"));
    m_stopOn->setPlaceholderText(QStringLiteral("e.g. listening on"));
    stopLabel->setBuddy(m_stopOn);
    layout->addWidget(m_stopOn, 1);
    m_stopNote = noteLabel();
    layout->addWidget(m_stopNote);
    auto *collectLabel = new QLabel(QStringLiteral("&Keep these files in the bundle once the run has ended "
                                                   "(one file pattern per line, e.g. the shim's log):"),
                                    group);
    collectLabel->setWordWrap(true);
    layout->addWidget(collectLabel);
    m_collect = new QPlainTextEdit(group);
    m_collect->setObjectName(QStringLiteral("collect"));
    m_collect->setPlaceholderText(QStringLiteral("e.g. /tmp/shim-*.log"));
    collectLabel->setBuddy(m_collect);
    layout->addWidget(m_collect, 1);
    return group;
}

void RunConfigDialog::presetChanged()
{
    const QString preset = m_preset->currentData().toString();
    if (preset == QLatin1String("probe")) {
        m_presetNote->setText(QStringLiteral("Runs initscope-probe (installed beside initscope), which asks the "
                                             "driver API, the runtime and NVML for the GPUs, until it exits. A program "
                                             "given below replaces it."));
        m_program->setPlaceholderText(QStringLiteral("initscope-probe (the preset's)"));
        m_timeout->setSpecialValueText(QStringLiteral("none"));
        m_stopNote->clear();
    } else if (preset == QLatin1String("ollama")) {
        m_presetNote->setText(QStringLiteral("Runs ollama serve (from PATH) on a free loopback port (OLLAMA_HOST), "
                                             "with a new model folder (OLLAMA_MODELS) and OLLAMA_DEBUG=2. "
                                             "Variables and a program given here replace the preset's."));
        m_program->setPlaceholderText(QStringLiteral("ollama serve (the preset's)"));
        m_timeout->setSpecialValueText(QStringLiteral("the preset's: 60 s"));
        m_stopNote->setText(QStringLiteral("The preset also stops at \"inference compute\", \"failure during GPU "
                                           "discovery\" and \"no compatible GPUs were discovered\"."));
    } else {
        m_presetNote->setText(preset.isEmpty() ? QString() : QStringLiteral("The command given below, as is."));
        m_program->setPlaceholderText(QStringLiteral("the program to run (required)"));
        m_timeout->setSpecialValueText(QStringLiteral("none"));
        m_stopNote->clear();
    }
    m_presetNote->setVisible(!m_presetNote->text().isEmpty());
    m_stopNote->setVisible(!m_stopNote->text().isEmpty());
    updateProblem();
}

void RunConfigDialog::addVariable(const QString &name, const QString &value, bool unset)
{
    const int row = m_environment->rowCount();
    m_environment->insertRow(row);
    auto *action = new QComboBox(m_environment);
    action->addItems({QStringLiteral("set"), QStringLiteral("unset")});
    action->setCurrentIndex(unset ? 1 : 0);
    m_environment->setCellWidget(row, EnvActionColumn, action);
    m_environment->setItem(row, EnvNameColumn, new QTableWidgetItem(name));
    auto *valueItem = new QTableWidgetItem(unset ? QString() : value);
    m_environment->setItem(row, EnvValueColumn, valueItem);
    auto applyAction = [this, action, valueItem] {
        const bool isUnset = action->currentIndex() == 1;
        valueItem->setFlags(isUnset ? Qt::ItemIsSelectable : Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsEditable);
        if (isUnset)
            valueItem->setText(QString());
        updateProblem();
    };
    connect(action, &QComboBox::currentIndexChanged, this, applyAction);
    applyAction();
}

void RunConfigDialog::addShim(const QString &path, const QString &soname)
{
    const int row = m_shims->rowCount();
    m_shims->insertRow(row);
    m_shims->setItem(row, ShimPathColumn, new QTableWidgetItem(path));
    m_shims->setItem(row, ShimSonameColumn, new QTableWidgetItem(soname));
}

void RunConfigDialog::setOptions(const RecordOptions &o)
{
    m_name->setText(o.runName);
    const int preset = m_preset->findData(o.preset);
    m_preset->setCurrentIndex(preset < 0 ? 0 : preset);
    m_program->setText(o.command.value(0));
    m_arguments->setText(joinArguments(o.command.mid(1)));
    m_workingDirectory->setText(o.workingDirectory);
    m_output->setText(o.outputPath);
    m_timeout->setValue(o.timeoutSeconds.value_or(0));
    m_clean->setChecked(o.cleanEnv);
    m_environment->setRowCount(0);
    for (const QString &name : o.unsetEnv)
        addVariable(name, QString(), true);
    for (const QString &kv : o.setEnv) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        addVariable(kv.left(eq), eq < 0 ? QString() : kv.mid(eq + 1));
    }
    m_shims->setRowCount(0);
    for (const ShimSpec &shim : o.shims)
        addShim(shim.path, shim.soname);
    m_injection->setCurrentIndex(std::max(0, m_injection->findData(injectModeName(o.inject))));
    m_stopOn->setPlainText(o.stopOnOutput.join(QLatin1Char('\n')));
    m_collect->setPlainText(o.collect.join(QLatin1Char('\n')));
    updateProblem();
}

RecordOptions RunConfigDialog::options() const
{
    RecordOptions o;
    o.runName = m_name->text().trimmed();
    o.preset = m_preset->currentData().toString();
    if (!m_program->text().trimmed().isEmpty())
        o.command = QStringList{m_program->text().trimmed()} + splitArguments(m_arguments->text());
    o.workingDirectory = m_workingDirectory->text().trimmed();
    o.outputPath = m_output->text().trimmed();
    if (m_timeout->value() > 0)
        o.timeoutSeconds = m_timeout->value();
    o.cleanEnv = m_clean->isChecked();
    for (int row = 0; row < m_environment->rowCount(); ++row) {
        const auto *action = qobject_cast<const QComboBox *>(m_environment->cellWidget(row, EnvActionColumn));
        const QString name = cellText(m_environment, row, EnvNameColumn).trimmed();
        if (action && action->currentIndex() == 1)
            o.unsetEnv << name;
        else
            o.setEnv << name + QLatin1Char('=') + cellText(m_environment, row, EnvValueColumn);
    }
    for (int row = 0; row < m_shims->rowCount(); ++row)
        o.shims.append({cellText(m_shims, row, ShimPathColumn).trimmed(), cellText(m_shims, row, ShimSonameColumn).trimmed()});
    o.inject = injectModeFromName(m_injection->currentData().toString()).value_or(InjectMode::Audit);
    o.stopOnOutput = nonEmptyLines(m_stopOn);
    o.collect = nonEmptyLines(m_collect);
    for (QString &pattern : o.collect)
        pattern = pattern.trimmed();
    return o;
}

QJsonObject RunConfigDialog::config() const
{
    return recordConfigToJson(options());
}

QString RunConfigDialog::problem() const
{
    const RecordOptions o = options();
    const bool presetCommand = o.preset == QLatin1String("probe") || o.preset == QLatin1String("ollama");
    if (o.command.isEmpty() && !m_arguments->text().trimmed().isEmpty())
        return QStringLiteral("Arguments need a program to go with them.");
    if (o.command.isEmpty() && !presetCommand)
        return QStringLiteral("Give the program to run, or choose a preset that has one.");
    QStringList names; // from the table: a name holding '=' would split differently in NAME=value
    for (int row = 0; row < m_environment->rowCount(); ++row)
        names << cellText(m_environment, row, EnvNameColumn).trimmed();
    static const QRegularExpression validName(QStringLiteral("^[^=\\s]+$"));
    for (const QString &name : names) {
        if (!validName.match(name).hasMatch())
            return name.isEmpty() ? QStringLiteral("A variable has no name.")
                                  : QStringLiteral("\"%1\" is not a variable name.").arg(name);
        if (names.count(name) > 1)
            return QStringLiteral("%1 is in the environment table twice.").arg(name);
    }
    for (const ShimSpec &shim : o.shims) {
        if (shim.path.isEmpty())
            return QStringLiteral("A library under test has no path.");
    }
    RecordOptions checked;
    QString error;
    if (!recordConfigOwnOptions(config(), &checked, &error))
        return error;
    return QString();
}

void RunConfigDialog::updateProblem()
{
    m_problem->setText(problem());
    m_problem->setVisible(!m_problem->text().isEmpty());
}

bool RunConfigDialog::load(const QString &path, QString *error)
{
    QJsonObject config;
    RecordOptions own;
    if (!readRecordConfig(path, &config, error))
        return false;
    QString why;
    if (!recordConfigOwnOptions(config, &own, &why)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    setOptions(own);
    setPath(QFileInfo(path).absoluteFilePath());
    return true;
}

bool RunConfigDialog::saveTo(const QString &path, QString *error)
{
    const QString why = problem();
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        updateProblem();
        return false;
    }
    if (!saveRecordConfig(path, config(), error))
        return false;
    setPath(QFileInfo(path).absoluteFilePath());
    Q_EMIT saved(m_path);
    return true;
}

void RunConfigDialog::accept()
{
    if (m_path.isEmpty()) {
        saveAs();
        return;
    }
    QString error;
    if (!saveTo(m_path, &error)) {
        m_problem->setText(error);
        m_problem->show();
        return;
    }
    QDialog::accept();
}

void RunConfigDialog::saveAs()
{
    if (const QString why = problem(); !why.isEmpty()) {
        updateProblem();
        return;
    }
    QString stem = m_name->text().trimmed().toLower();
    stem.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    if (stem.isEmpty())
        stem = QStringLiteral("run");
    const QString start = m_path.isEmpty() ? QDir(m_defaultDirectory).filePath(stem + QStringLiteral(".json")) : m_path;
    if (!m_defaultDirectory.isEmpty())
        QDir().mkpath(m_defaultDirectory);
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save Run Configuration"), start,
                                                      QStringLiteral("Run configurations (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveTo(path, &error)) {
        m_problem->setText(error);
        m_problem->show();
        return;
    }
    QDialog::accept();
}

void RunConfigDialog::setPath(const QString &path)
{
    m_path = path;
    m_pathLabel->setText(path.isEmpty() ? QStringLiteral("Not saved yet")
                                        : QDir::toNativeSeparators(path));
    setWindowTitle(path.isEmpty() ? QStringLiteral("New Run Configuration")
                                  : QStringLiteral("%1 — Run Configuration").arg(QFileInfo(path).fileName()));
}

QString RunConfigDialog::joinArguments(const QStringList &arguments)
{
    QStringList words;
    for (const QString &arg : arguments) {
        const bool plain = !arg.isEmpty() && !arg.contains(QLatin1Char('"')) &&
                           std::none_of(arg.begin(), arg.end(), [](QChar c) { return c.isSpace(); });
        words << (plain ? arg : QLatin1Char('"') + QString(arg).replace(QLatin1String("\""), QLatin1String("\"\"\"")) + QLatin1Char('"'));
    }
    return words.join(QLatin1Char(' '));
}

QStringList RunConfigDialog::splitArguments(const QString &text)
{
    return QProcess::splitCommand(text);
}

} // namespace initscope::ui
