// Run configs: the JSON form of `initscope record`'s options (docs/run-config.md).
#include "recording.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace initscope {

namespace {

bool stringList(const QJsonValue &v, QStringList *out)
{
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isArray())
        return false;
    for (const QJsonValue &e : v.toArray()) {
        if (!e.isString())
            return false;
        out->append(e.toString());
    }
    return true;
}

} // namespace

QString injectModeName(InjectMode mode)
{
    switch (mode) {
    case InjectMode::LdLibraryPath:
        return QStringLiteral("ld-library-path");
    case InjectMode::LdPreload:
        return QStringLiteral("ld-preload");
    case InjectMode::Audit:
        break;
    }
    return QStringLiteral("audit");
}

std::optional<InjectMode> injectModeFromName(const QString &name)
{
    for (InjectMode m : {InjectMode::Audit, InjectMode::LdLibraryPath, InjectMode::LdPreload}) {
        if (name == injectModeName(m))
            return m;
    }
    return std::nullopt;
}

bool readRecordConfig(const QString &path, QJsonObject *config, QString *error)
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
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not valid JSON (%1 at offset %2)")
                        .arg(parseError.errorString())
                        .arg(parseError.offset));
    if (!doc.isObject())
        return fail(QStringLiteral("a run config is a JSON object"));
    *config = doc.object();
    return true;
}

bool loadRecordConfig(const QString &path, RecordOptions *options, QString *error)
{
    QJsonObject config;
    if (!readRecordConfig(path, &config, error))
        return false;
    QString why;
    if (!applyRecordConfig(config, options, &why)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return true;
}

bool recordConfigOwnOptions(const QJsonObject &config, RecordOptions *options, QString *error)
{
    QJsonObject own = config;
    const QJsonValue preset = own.take(QStringLiteral("preset"));
    // The preset by name only: applying the ollama preset takes a port and makes a folder.
    if (!preset.isUndefined() && (!preset.isString() || !recordPresetNames().contains(preset.toString()))) {
        RecordOptions ignored;
        if (preset.isString())
            applyRecordPreset(preset.toString(), &ignored, error);
        else if (error)
            *error = QStringLiteral("\"preset\" must be a string");
        return false;
    }
    *options = RecordOptions();
    if (!applyRecordConfig(own, options, error))
        return false;
    options->preset = preset.toString();
    return true;
}

QJsonObject recordConfigToJson(const RecordOptions &options)
{
    QJsonObject o;
    if (!options.runName.isEmpty())
        o.insert(QStringLiteral("name"), options.runName);
    if (!options.preset.isEmpty())
        o.insert(QStringLiteral("preset"), options.preset);
    if (!options.command.isEmpty())
        o.insert(QStringLiteral("command"), QJsonArray::fromStringList(options.command));
    if (!options.workingDirectory.isEmpty())
        o.insert(QStringLiteral("workingDirectory"), options.workingDirectory);
    QJsonObject env;
    if (options.cleanEnv)
        env.insert(QStringLiteral("clean"), true);
    QJsonObject set;
    for (const QString &kv : options.setEnv) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        set.insert(kv.left(eq), eq < 0 ? QString() : kv.mid(eq + 1));
    }
    if (!set.isEmpty())
        env.insert(QStringLiteral("set"), set);
    if (!options.unsetEnv.isEmpty())
        env.insert(QStringLiteral("unset"), QJsonArray::fromStringList(options.unsetEnv));
    if (!env.isEmpty())
        o.insert(QStringLiteral("environment"), env);
    if (options.timeoutSeconds)
        o.insert(QStringLiteral("timeoutSeconds"), *options.timeoutSeconds);
    if (!options.shims.isEmpty()) {
        QJsonArray shims;
        for (const ShimSpec &shim : options.shims) {
            QJsonObject s{{QStringLiteral("path"), shim.path}};
            if (!shim.soname.isEmpty())
                s.insert(QStringLiteral("soname"), shim.soname);
            shims.append(s);
        }
        o.insert(QStringLiteral("shims"), shims);
    }
    if (options.inject != InjectMode::Audit)
        o.insert(QStringLiteral("injection"), injectModeName(options.inject));
    if (!options.outputPath.isEmpty())
        o.insert(QStringLiteral("output"), options.outputPath);
    if (!options.stopOnOutput.isEmpty())
        o.insert(QStringLiteral("stopOnOutput"), QJsonArray::fromStringList(options.stopOnOutput));
    if (!options.collect.isEmpty())
        o.insert(QStringLiteral("collect"), QJsonArray::fromStringList(options.collect));
    if (options.redaction.toJson() != RedactionPolicy().toJson())
        o.insert(QStringLiteral("redaction"), options.redaction.toJson());
    return o;
}

bool saveRecordConfig(const QString &path, const QJsonObject &config, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(config).toJson(QJsonDocument::Indented)) < 0 ||
        !file.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool applyRecordConfig(const QJsonObject &o, RecordOptions *options, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    static const QStringList known = {QStringLiteral("name"), QStringLiteral("command"),
                                      QStringLiteral("workingDirectory"), QStringLiteral("environment"),
                                      QStringLiteral("timeoutSeconds"), QStringLiteral("shims"),
                                      QStringLiteral("injection"), QStringLiteral("output"),
                                      QStringLiteral("preset"), QStringLiteral("stopOnOutput"),
                                      QStringLiteral("collect"), QStringLiteral("redaction")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!known.contains(it.key()))
            return fail(QStringLiteral("unknown key \"%1\"").arg(it.key()));
    }
    // The preset first: every other key of the file overrides it.
    const QJsonValue preset = o.value(QStringLiteral("preset"));
    if (!preset.isUndefined()) {
        QString why;
        if (!preset.isString() || !applyRecordPreset(preset.toString(), options, &why))
            return fail(preset.isString() ? why : QStringLiteral("\"preset\" must be a string"));
    }
    if (o.contains(QStringLiteral("collect")))
        options->collect.clear();
    if (!stringList(o.value(QStringLiteral("collect")), &options->collect))
        return fail(QStringLiteral("\"collect\" must be an array of file patterns"));
    if (!stringList(o.value(QStringLiteral("stopOnOutput")), &options->stopOnOutput))
        return fail(QStringLiteral("\"stopOnOutput\" must be an array of strings"));
    if (o.contains(QStringLiteral("command")))
        options->command.clear(); // the file's command replaces a preset's
    if (!stringList(o.value(QStringLiteral("command")), &options->command))
        return fail(QStringLiteral("\"command\" must be an array of strings"));
    options->runName = o.value(QStringLiteral("name")).toString(options->runName);
    options->workingDirectory = o.value(QStringLiteral("workingDirectory")).toString(options->workingDirectory);
    options->outputPath = o.value(QStringLiteral("output")).toString(options->outputPath);
    const QJsonValue env = o.value(QStringLiteral("environment"));
    if (!env.isUndefined()) {
        if (!env.isObject())
            return fail(QStringLiteral("\"environment\" must be an object"));
        const QJsonObject e = env.toObject();
        options->cleanEnv = e.value(QStringLiteral("clean")).toBool(options->cleanEnv);
        if (!stringList(e.value(QStringLiteral("unset")), &options->unsetEnv))
            return fail(QStringLiteral("\"environment.unset\" must be an array of names"));
        const QJsonValue set = e.value(QStringLiteral("set"));
        if (set.isObject()) {
            const QJsonObject vars = set.toObject();
            for (auto it = vars.begin(); it != vars.end(); ++it) {
                if (!it.value().isString())
                    return fail(QStringLiteral("\"environment.set.%1\" must be a string").arg(it.key()));
                options->setEnv << it.key() + QLatin1Char('=') + it.value().toString();
            }
        } else if (!set.isUndefined()) {
            return fail(QStringLiteral("\"environment.set\" must be an object of NAME: value"));
        }
    }
    const QJsonValue timeout = o.value(QStringLiteral("timeoutSeconds"));
    if (!timeout.isUndefined()) {
        if (!timeout.isDouble() || timeout.toDouble() <= 0)
            return fail(QStringLiteral("\"timeoutSeconds\" must be a positive number"));
        options->timeoutSeconds = timeout.toDouble();
    }
    const QJsonValue shims = o.value(QStringLiteral("shims"));
    if (!shims.isUndefined()) {
        if (!shims.isArray())
            return fail(QStringLiteral("\"shims\" must be an array"));
        for (const QJsonValue &v : shims.toArray()) {
            const QJsonObject sh = v.toObject();
            if (!v.isObject() || !sh.value(QStringLiteral("path")).isString())
                return fail(QStringLiteral("each shim is an object with a \"path\" (and an optional \"soname\")"));
            options->shims.append({sh.value(QStringLiteral("path")).toString(),
                                   sh.value(QStringLiteral("soname")).toString()});
        }
    }
    const QJsonValue redaction = o.value(QStringLiteral("redaction"));
    if (!redaction.isUndefined()) {
        QString why;
        if (!redaction.isObject() || !RedactionPolicy::fromJson(redaction.toObject(), &options->redaction, &why))
            return fail(redaction.isObject() ? QStringLiteral("\"redaction\": %1").arg(why)
                                             : QStringLiteral("\"redaction\" must be an object"));
    }
    const QJsonValue inject = o.value(QStringLiteral("injection"));
    if (!inject.isUndefined()) {
        const auto mode = injectModeFromName(inject.toString());
        if (!mode)
            return fail(QStringLiteral("\"injection\" must be \"audit\", \"ld-library-path\" or \"ld-preload\""));
        options->inject = *mode;
    }
    return true;
}

} // namespace initscope
