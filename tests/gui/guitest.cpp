#include "guitest.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QColor>
#include <QDir>
#include <QFile>
#include <QFont>
#include <QSettings>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <algorithm>

namespace initscope::testing
{

void ensureApplication()
{
    if (QApplication::instance())
        return;
    static int argc = 1;
    static char name[] = "initscope-gui-test";
    static char *argv[] = {name, nullptr};
    static QTemporaryDir settingsDir;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir.path());
    new QApplication(argc, argv); // lives until the process ends, as a test main would keep it
    QApplication::setOrganizationName(QStringLiteral("InitScopeTests"));
    QApplication::setApplicationName(QStringLiteral("initscope-gui-test"));
}

QString artifactsDir()
{
    const QString dir = QStringLiteral(INITSCOPE_TEST_ARTIFACTS);
    QDir().mkpath(dir);
    return dir;
}

QString goldenDir()
{
    return QStringLiteral(INITSCOPE_GUI_GOLDEN_DIR);
}

namespace
{

void dumpRows(const QAbstractItemModel &model, const QModelIndex &parent, int depth, QString &out)
{
    const int rows = model.rowCount(parent);
    const int columns = model.columnCount(parent);
    for (int r = 0; r < rows; ++r) {
        QStringList cells;
        for (int c = 0; c < columns; ++c) {
            const QModelIndex index = model.index(r, c, parent);
            QString cell = index.data(Qt::DisplayRole).toString();
            const QVariant fg = index.data(Qt::ForegroundRole);
            if (fg.isValid())
                cell += QStringLiteral(" {fg=%1}").arg(fg.value<QColor>().name());
            const QVariant bg = index.data(Qt::BackgroundRole);
            if (bg.isValid())
                cell += QStringLiteral(" {bg=%1}").arg(bg.value<QColor>().name(QColor::HexArgb));
            const QVariant font = index.data(Qt::FontRole);
            if (font.isValid() && font.value<QFont>().bold())
                cell += QStringLiteral(" {bold}");
            cells << cell;
        }
        out += QString(depth * 2, QLatin1Char(' ')) + cells.join(QStringLiteral(" | ")) +
               QLatin1Char('\n');
        const QModelIndex first = model.index(r, 0, parent);
        if (model.hasChildren(first))
            dumpRows(model, first, depth + 1, out);
    }
}

} // namespace

QString dumpModel(const QAbstractItemModel &model)
{
    QStringList headers;
    for (int c = 0; c < model.columnCount(); ++c)
        headers << model.headerData(c, Qt::Horizontal).toString();
    QString out = QStringLiteral("# ") + headers.join(QStringLiteral(" | ")) + QLatin1Char('\n');
    dumpRows(model, QModelIndex(), 0, out);
    return out;
}

void expectMatchesGolden(const QString &name, const QString &actual)
{
    QFile actualFile(QDir(artifactsDir()).filePath(name));
    if (actualFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        actualFile.write(actual.toUtf8());

    const QString goldenPath = QDir(goldenDir()).filePath(name);
    if (qEnvironmentVariableIntValue("INITSCOPE_UPDATE_GOLDEN") == 1) {
        QFile golden(goldenPath);
        ASSERT_TRUE(golden.open(QIODevice::WriteOnly | QIODevice::Truncate))
            << goldenPath.toStdString();
        golden.write(actual.toUtf8());
        return;
    }
    QFile golden(goldenPath);
    ASSERT_TRUE(golden.open(QIODevice::ReadOnly))
        << "missing golden file " << goldenPath.toStdString();
    const QStringList expectedLines = QString::fromUtf8(golden.readAll()).split(QLatin1Char('\n'));
    const QStringList actualLines = actual.split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < std::max(expectedLines.size(), actualLines.size()); ++i) {
        const QString e = expectedLines.value(i, QStringLiteral("<end of file>"));
        const QString a = actualLines.value(i, QStringLiteral("<end of file>"));
        if (e != a) {
            ADD_FAILURE() << name.toStdString() << ": first difference at line " << i + 1
                          << "\n  expected: " << e.left(300).toStdString()
                          << "\n  actual:   " << a.left(300).toStdString()
                          << "\n  (whole actual dump in " << actualFile.fileName().toStdString()
                          << ")";
            return;
        }
    }
}

} // namespace initscope::testing
