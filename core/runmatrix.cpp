// Run matrices (docs/run-config.md).
#include "runmatrix.h"

#include "bundle.h"
#include "deviceview.h"
#include "diagnosis.h"
#include "report.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

namespace initscope {

bool loadRunMatrix(const QString &path, RunMatrix *matrix, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    };
    QFile file(path);
    if (!file.exists())
        return fail(QStringLiteral("no such file"));
    if (!file.open(QIODevice::ReadOnly))
        return fail(file.errorString());
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!doc.isObject())
        return fail(parseError.error != QJsonParseError::NoError
                        ? QStringLiteral("not valid JSON (%1 at offset %2)").arg(parseError.errorString()).arg(parseError.offset)
                        : QStringLiteral("a matrix is a JSON object"));
    const QJsonObject o = doc.object();
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.key() != QLatin1String("name") && it.key() != QLatin1String("base") && it.key() != QLatin1String("variations"))
            return fail(QStringLiteral("unknown key \"%1\" (a matrix has name, base and variations)").arg(it.key()));
    RecordOptions base;
    QString why;
    if (!applyRecordConfig(o.value(QLatin1String("base")).toObject(), &base, &why))
        return fail(QStringLiteral("base: %1").arg(why));
    const QJsonArray variations = o.value(QLatin1String("variations")).toArray();
    if (variations.isEmpty())
        return fail(QStringLiteral("\"variations\" must be a non-empty array"));
    matrix->name = o.value(QLatin1String("name")).toString(QStringLiteral("matrix"));
    int index = 0;
    for (const QJsonValue &v : variations) {
        ++index;
        if (!v.isObject())
            return fail(QStringLiteral("variation %1 is not an object").arg(index));
        QJsonObject change = v.toObject();
        MatrixVariation m;
        m.name = change.take(QStringLiteral("name")).toString(QStringLiteral("variation %1").arg(index));
        m.options = base;
        // Environment: set merges by name, unset adds; the rest replaces the base's value.
        const QJsonObject env = change.take(QStringLiteral("environment")).toObject();
        for (auto it = env.begin(); it != env.end(); ++it) {
            if (it.key() == QLatin1String("set")) {
                const QJsonObject set = it.value().toObject();
                for (auto s = set.begin(); s != set.end(); ++s)
                    setRecordVariable(&m.options, s.key(), s.value().toString());
            } else if (it.key() == QLatin1String("unset")) {
                for (const QJsonValue &n : it.value().toArray()) {
                    m.options.unsetEnv.append(n.toString());
                    m.options.setEnv.erase(std::remove_if(m.options.setEnv.begin(), m.options.setEnv.end(),
                                                          [&](const QString &kv) { return kv.startsWith(n.toString() + QLatin1Char('=')); }),
                                           m.options.setEnv.end());
                }
            } else if (it.key() == QLatin1String("clean")) {
                m.options.cleanEnv = it.value().toBool();
            } else {
                return fail(QStringLiteral("variation \"%1\": unknown key \"environment.%2\"").arg(m.name, it.key()));
            }
        }
        if (change.contains(QStringLiteral("shims")))
            m.options.shims.clear();
        if (change.contains(QStringLiteral("stopOnOutput")))
            m.options.stopOnOutput.clear();
        if (!applyRecordConfig(change, &m.options, &why))
            return fail(QStringLiteral("variation \"%1\": %2").arg(m.name, why));
        m.options.runName = m.name;
        matrix->variations.append(m);
    }
    return true;
}

MatrixOutcome summarizeMatrixRun(const QString &variation, const QString &bundlePath)
{
    MatrixOutcome o;
    o.variation = variation;
    o.bundlePath = bundlePath;
    BundleError error;
    const std::unique_ptr<BundleReader> reader = BundleReader::open(bundlePath, &error);
    if (!reader || reader->runs().isEmpty()) {
        o.end = QStringLiteral("not recorded");
        o.devices = QStringLiteral("—");
        return o;
    }
    const Run run = reader->runs().first();
    bool planned = false;
    for (const Event &e : reader->eventsOfKind(run.id, -1, QStringLiteral("recorder.note")))
        planned = planned || e.name.startsWith(QLatin1String("stopped by the run's stop rule"));
    o.end = planned ? QStringLiteral("stopped as planned")
            : run.cancelled ? QStringLiteral("cancelled")
            : run.timedOut ? QStringLiteral("timed out")
            : run.exitSignal ? signalName(*run.exitSignal)
                             : QStringLiteral("exit %1").arg(run.exitCode.value_or(-1));
    const DeviceReport devices = buildDeviceReport(std::nullopt, reader.get(), run.id);
    for (const DeviceRow &row : devices.rows)
        if (row.property == QLatin1String("GPUs"))
            for (const QString &source : {kSourceDriverApi, kSourceRuntime, kSourceNvml, kSourceOllama})
                if (row.cells.contains(source) && o.devices.isEmpty())
                    o.devices = QStringLiteral("%1 (%2)").arg(row.cells.value(source).value, source);
    if (o.devices.isEmpty())
        o.devices = QStringLiteral("—"); // no library was asked
    const Diagnosis d = diagnose(*reader, run.id);
    if (d.findings.isEmpty()) {
        o.topFinding = QStringLiteral("no departure");
    } else {
        o.topFinding = d.findings.first().title;
        o.errorLine = d.findings.first().errorLine;
    }
    if (o.errorLine.isEmpty()) {
        const Report r = buildReport(*reader, run.id, d);
        for (const ReportProcess &p : r.processes)
            if (!p.errorLines.isEmpty() && o.errorLine.isEmpty())
                o.errorLine = p.errorLines.first().text;
    }
    return o;
}

QString matrixBundlePath(const QString &outputDir, int index, const QString &variation)
{
    QString slug = variation.toLower();
    slug.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    return QDir(outputDir).filePath(QStringLiteral("%1-%2.initscope").arg(index, 2, 10, QLatin1Char('0')).arg(slug));
}

QString formatMatrixGrid(const QList<MatrixOutcome> &rows)
{
    const QStringList header{QStringLiteral("variation"), QStringLiteral("end"), QStringLiteral("GPUs"),
                             QStringLiteral("top finding"), QStringLiteral("error line")};
    QList<QStringList> table{header};
    for (const MatrixOutcome &o : rows)
        table.append({o.variation, o.end, o.devices, o.topFinding, o.errorLine.left(100)});
    QList<int> widths(header.size(), 0);
    for (const QStringList &line : table)
        for (int i = 0; i < line.size(); ++i)
            widths[i] = std::max(widths[i], int(line[i].size()));
    QString out;
    for (const QStringList &line : table) {
        for (int i = 0; i < line.size(); ++i)
            out += (i ? QStringLiteral("  ") : QString()) + (i + 1 < line.size() ? line[i].leftJustified(widths[i]) : line[i]);
        out += QLatin1Char('\n');
    }
    return out;
}

QJsonObject matrixToJson(const QString &name, const QList<MatrixOutcome> &rows)
{
    QJsonArray runs;
    for (const MatrixOutcome &o : rows)
        runs.append(QJsonObject{{QStringLiteral("variation"), o.variation},
                                {QStringLiteral("bundle"), o.bundlePath},
                                {QStringLiteral("end"), o.end},
                                {QStringLiteral("devices"), o.devices},
                                {QStringLiteral("topFinding"), o.topFinding},
                                {QStringLiteral("errorLine"), o.errorLine}});
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-matrix")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("runs"), runs}};
}

} // namespace initscope
