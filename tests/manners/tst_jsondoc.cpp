// docs/json-output.md against the documents the commands print: every top-level field the page
// lists is in the document, and the document has no top-level field the page does not list. The
// page is parsed, so the two cannot drift apart.
#include "clirun.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace initscope::test;

namespace {

struct Field {
    QString name;
    QString when; // "always", or the option that adds it
};

struct Check {
    QStringList args;   // with placeholders
    QString outputFile; // the placeholder of the file the document is written to; empty: stdout
};

struct Section {
    QString format;
    QList<Check> checks;
    QList<Field> fields;
};

QList<Section> documentedSections()
{
    QFile page(QStringLiteral(INITSCOPE_SOURCE_DIR "/docs/json-output.md"));
    if (!page.open(QIODevice::ReadOnly))
        return {};
    static const QRegularExpression heading(QStringLiteral("^## `(initscope-[a-z-]+)`$"));
    static const QRegularExpression check(QStringLiteral("^<!-- check(?:, output in (\\S+))?: (.*) -->$"));
    static const QRegularExpression row(QStringLiteral("^\\|([^|]*)\\|[^|]*\\|([^|]*)\\|"));
    static const QRegularExpression name(QStringLiteral("`([A-Za-z][A-Za-z0-9]*)`"));
    QList<Section> sections;
    for (const QString &line : QString::fromUtf8(page.readAll()).split(QLatin1Char('\n'))) {
        if (const auto m = heading.match(line); m.hasMatch()) {
            sections.append(Section{m.captured(1), {}, {}});
        } else if (sections.isEmpty()) {
            continue;
        } else if (const auto c = check.match(line); c.hasMatch()) {
            sections.last().checks.append(Check{QProcess::splitCommand(c.captured(2)), c.captured(1)});
        } else if (const auto r = row.match(QString(line).replace(QLatin1String("\\|"), QLatin1String("/"))); r.hasMatch()) {
            const QString when = r.captured(2).trimmed().remove(QLatin1Char('`'));
            auto names = name.globalMatch(r.captured(1));
            while (names.hasNext())
                sections.last().fields.append(Field{names.next().captured(1), when});
        }
    }
    return sections;
}

} // namespace

TEST(JsonDoc, EveryFormatIsDocumentedWithFieldsAndACheck)
{
    const QList<Section> sections = documentedSections();
    QSet<QString> formats;
    for (const Section &s : sections) {
        formats.insert(s.format);
        EXPECT_FALSE(s.checks.isEmpty()) << qPrintable(s.format) << " has no check comment";
        EXPECT_GE(s.fields.size(), 3) << qPrintable(s.format) << " lists no fields";
    }
    for (const char *format : {"initscope-report", "initscope-diagnosis", "initscope-device", "initscope-diff",
                               "initscope-symbols", "initscope-elf", "initscope-symbol-manifest", "initscope-matrix"})
        EXPECT_TRUE(formats.contains(QLatin1String(format))) << format << " is not in docs/json-output.md";
}

TEST(JsonDoc, DocumentedTopLevelFieldsAreExactlyThoseOfTheDocument)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString bundle = makeDemoBundle(dir.path());
    ASSERT_FALSE(bundle.isEmpty());
    const QString matrix = dir.filePath(QStringLiteral("modes.json"));
    {
        QFile f(matrix);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(R"({"name": "modes", "base": {"command": ["%1", "--driver-only"],
            "shims": [{"path": "%2"}]}, "variations": [{"name": "healthy"}]})")
                    .arg(QStringLiteral(INITSCOPE_BIN_DIR "/initscope-probe"),
                         QStringLiteral(FAKEGPU_DIR "/libcuda.so.1"))
                    .toUtf8());
    }
    const QHash<QString, QString> placeholders{
        {QStringLiteral("BUNDLE"), bundle},
        {QStringLiteral("LIB"), QStringLiteral(FAKEGPU_DIR "/libcuda.so.1")},
        {QStringLiteral("LOG"), QStringLiteral(INITSCOPE_SOURCE_DIR "/tests/ollama/corpus/cuinit-802-h200/log.txt")},
        {QStringLiteral("MATRIX"), matrix},
        {QStringLiteral("MATRIXDIR"), dir.filePath(QStringLiteral("matrix"))},
        {QStringLiteral("OUT"), dir.filePath(QStringLiteral("out.json"))},
    };
    const QList<Section> sections = documentedSections();
    ASSERT_FALSE(sections.isEmpty());
    for (const Section &section : sections) {
        for (const Check &check : section.checks) {
            QStringList args;
            for (const QString &a : check.args)
                args << placeholders.value(a, a);
            const CliResult r = runPiped(args);
            ASSERT_TRUE(r.exitCode == 0 || r.exitCode == 1) << qPrintable(args.join(QLatin1Char(' '))) << ": "
                                                            << r.err.constData();
            QByteArray json = r.out;
            if (!check.outputFile.isEmpty()) {
                QFile f(placeholders.value(check.outputFile));
                ASSERT_TRUE(f.open(QIODevice::ReadOnly)) << qPrintable(f.fileName());
                json = f.readAll();
            }
            QJsonParseError error;
            const QJsonObject doc = QJsonDocument::fromJson(json, &error).object();
            ASSERT_EQ(error.error, QJsonParseError::NoError) << qPrintable(error.errorString());
            EXPECT_EQ(doc.value(QStringLiteral("format")).toString(), section.format) << qPrintable(args.join(QLatin1Char(' ')));
            QSet<QString> documented;
            for (const Field &f : section.fields) {
                documented.insert(f.name);
                const bool required = f.when == QLatin1String("always") || args.contains(f.when);
                if (required)
                    EXPECT_TRUE(doc.contains(f.name))
                        << qPrintable(section.format) << ": `" << qPrintable(f.name) << "` is documented but "
                        << qPrintable(args.join(QLatin1Char(' '))) << " does not print it";
                else
                    EXPECT_FALSE(doc.contains(f.name))
                        << qPrintable(section.format) << ": `" << qPrintable(f.name) << "` is documented as coming with "
                        << qPrintable(f.when) << " only";
            }
            for (const QString &key : doc.keys())
                EXPECT_TRUE(documented.contains(key)) << qPrintable(section.format) << ": `" << qPrintable(key)
                                                      << "` is printed but not in docs/json-output.md";
        }
    }
}
