#include "environmenteditdialog.h"

#include "theme.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace initscope::ui
{

namespace
{

std::pair<QString, QString> split(const QString &kv)
{
    const qsizetype eq = kv.indexOf(QLatin1Char('='));
    return {eq < 0 ? kv : kv.left(eq), eq < 0 ? QString() : kv.mid(eq + 1)};
}

} // namespace

EnvironmentEditDialog::EnvironmentEditDialog(const RecordOptions &recorded, QWidget *parent)
    : QDialog(parent), m_recorded(recorded), m_table(new QTableWidget(0, ColumnCount, this)),
      m_problem(new QLabel(this))
{
    setWindowTitle(QStringLiteral("Retry With an Edited Environment"));
    auto *intro = new QLabel(
        recorded.cleanEnv
            ? QStringLiteral("The retry starts from a minimal environment (%1 of this machine's), then sets "
                             "and removes these variables:")
                  .arg(kCleanEnvironment.join(QStringLiteral(", ")))
            : QStringLiteral("The retry starts from this machine's environment, then sets and removes these "
                             "variables:"),
        this);
    intro->setWordWrap(true);

    m_table->setHorizontalHeaderLabels({QStringLiteral("Variable"), QStringLiteral("Value"), QStringLiteral("Remove")});
    m_table->horizontalHeader()->setSectionResizeMode(NameColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ValueColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(RemoveColumn, QHeaderView::ResizeToContents);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    for (const QString &kv : recorded.setEnv) {
        const auto [name, value] = split(kv);
        addVariable(name, value);
    }
    for (const QString &name : recorded.unsetEnv)
        addVariable(name, QString(), true);

    auto *add = new QPushButton(QStringLiteral("&Add Variable"), this);
    auto *remove = new QPushButton(QStringLiteral("&Delete Row"), this);
    connect(add, &QPushButton::clicked, this, &EnvironmentEditDialog::addRow);
    connect(remove, &QPushButton::clicked, this, &EnvironmentEditDialog::removeSelectedRows);
    auto *rowButtons = new QHBoxLayout;
    rowButtons->addWidget(add);
    rowButtons->addWidget(remove);
    rowButtons->addStretch(1);

    m_problem->setWordWrap(true);
    m_problem->hide();
    theme::setColor(m_problem, theme::failure);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("&Retry"));
    connect(buttons, &QDialogButtonBox::accepted, this, &EnvironmentEditDialog::acceptIfValid);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_table, 1);
    layout->addLayout(rowButtons);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);
    resize(640, 420);
}

int EnvironmentEditDialog::addVariable(const QString &name, const QString &value, bool remove)
{
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    m_table->setItem(row, NameColumn, new QTableWidgetItem(name));
    m_table->setItem(row, ValueColumn, new QTableWidgetItem(value));
    auto *check = new QTableWidgetItem;
    check->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    check->setCheckState(remove ? Qt::Checked : Qt::Unchecked);
    m_table->setItem(row, RemoveColumn, check);
    return row;
}

void EnvironmentEditDialog::addRow()
{
    const int row = addVariable(QString(), QString());
    m_table->setCurrentCell(row, NameColumn);
    m_table->editItem(m_table->item(row, NameColumn));
}

void EnvironmentEditDialog::removeSelectedRows()
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int row : rows)
        m_table->removeRow(row);
}

bool EnvironmentEditDialog::edits(QStringList *set, QStringList *unset, QString *error) const
{
    QList<std::pair<QString, QString>> recordedSet;
    for (const QString &kv : m_recorded.setEnv)
        recordedSet.append(split(kv));
    auto recordedValue = [&](const QString &name) -> const QString * {
        for (const auto &[n, v] : recordedSet)
            if (n == name)
                return &v;
        return nullptr;
    };
    auto refuse = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    set->clear();
    unset->clear();
    QSet<QString> seen;
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QString name = m_table->item(row, NameColumn) ? m_table->item(row, NameColumn)->text().trimmed() : QString();
        const QString value = m_table->item(row, ValueColumn) ? m_table->item(row, ValueColumn)->text() : QString();
        const bool remove = m_table->item(row, RemoveColumn) && m_table->item(row, RemoveColumn)->checkState() == Qt::Checked;
        if (name.isEmpty()) {
            if (value.isEmpty())
                continue; // a row added and left blank
            return refuse(QStringLiteral("Row %1 has a value but no variable name.").arg(row + 1));
        }
        if (name.contains(QLatin1Char('=')))
            return refuse(QStringLiteral("\"%1\" is not a variable name: it contains '='.").arg(name));
        if (seen.contains(name))
            return refuse(QStringLiteral("%1 is in the table twice.").arg(name));
        seen.insert(name);
        const QString *recorded = recordedValue(name);
        if (remove) {
            if (recorded || !m_recorded.unsetEnv.contains(name))
                unset->append(name);
        } else if (!recorded || *recorded != value) {
            set->append(name + QLatin1Char('=') + value);
        }
    }
    // A row of a variable the run set, deleted: the retry does not set it.
    for (const auto &[name, value] : recordedSet)
        if (!seen.contains(name))
            unset->append(name);
    return true;
}

void EnvironmentEditDialog::acceptIfValid()
{
    QStringList set, unset;
    QString error;
    if (!edits(&set, &unset, &error)) {
        m_problem->setText(error);
        m_problem->show();
        return;
    }
    accept();
}

} // namespace initscope::ui
