// Retry variations (docs/diff.md).
#include "retry.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace initscope {

namespace {

const QStringList kFakeGpuModes = {QStringLiteral("healthy"), QStringLiteral("no-export-tables"),
                                   QStringLiteral("no-getprocaddress-v2"), QStringLiteral("v1-resolver"),
                                   QStringLiteral("old-driver"), QStringLiteral("no-device"),
                                   QStringLiteral("nvml-zero-memory"), QStringLiteral("no-vmm"),
                                   QStringLiteral("crash-in-init"), QStringLiteral("hang-in-init")};

QString valueOf(const QStringList &env, const QString &name)
{
    for (const QString &kv : env)
        if (kv.startsWith(name + QLatin1Char('=')))
            return kv.mid(name.size() + 1);
    return QString();
}

bool hasVariable(const QStringList &env, const QString &name)
{
    return std::any_of(env.begin(), env.end(), [&](const QString &kv) { return kv.startsWith(name + QLatin1Char('=')); });
}

RecordOptions withVariable(RecordOptions o, const QString &name, const QString &value)
{
    setRecordVariable(&o, name, value);
    return o;
}

RecordOptions withoutVariable(RecordOptions o, const QString &name)
{
    o.setEnv.erase(std::remove_if(o.setEnv.begin(), o.setEnv.end(),
                                  [&](const QString &kv) { return kv.startsWith(name + QLatin1Char('=')); }),
                   o.setEnv.end());
    if (!o.unsetEnv.contains(name))
        o.unsetEnv.append(name);
    return o;
}

bool isFakeGpu(const ShimSpec &s)
{
    return s.path.contains(QLatin1String("/fakegpu/"));
}

} // namespace

bool optionsOfRun(const QByteArray &configJson, RecordOptions *options, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(configJson, &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("the run's config is not readable (%1)").arg(parseError.errorString());
        return false;
    }
    if (!applyRecordConfig(doc.object(), options, error))
        return false;
    if (options->command.isEmpty()) {
        if (error)
            *error = QStringLiteral("the run's config names no command (imported from a log?)");
        return false;
    }
    return true;
}

QList<RetryVariation> retryVariations(const RecordOptions &original)
{
    QList<RetryVariation> out;
    auto add = [&](const QString &id, const QString &title, RecordOptions o) {
        o.runName = QStringLiteral("%1 — retry %2").arg(original.runName.isEmpty() ? QFileInfo(original.command.value(0)).fileName()
                                                                                    : original.runName,
                                                       id);
        o.outputPath.clear();
        out.append({id, title, o});
    };
    if (!original.shims.isEmpty()) {
        RecordOptions o = original;
        o.shims.clear();
        add(QStringLiteral("without-shims"), QStringLiteral("without the shims (the system's real libraries)"), o);
        if (original.shims.size() > 1)
            for (int i = 0; i < original.shims.size(); ++i) {
                RecordOptions alone = original;
                alone.shims = {original.shims[i]};
                add(QStringLiteral("only-shim-%1").arg(i + 1),
                    QStringLiteral("with %1 alone").arg(QFileInfo(original.shims[i].path).fileName()), alone);
            }
    }
    const bool fake = std::any_of(original.shims.begin(), original.shims.end(), isFakeGpu) ||
                      hasVariable(original.setEnv, QStringLiteral("INITSCOPE_FAKEGPU_MODE"));
    if (fake) {
        const QString current = valueOf(original.setEnv, QStringLiteral("INITSCOPE_FAKEGPU_MODE"));
        for (const QString &mode : kFakeGpuModes)
            if (mode != current && mode != QLatin1String("no-getprocaddress-v2") && mode != QLatin1String("no-vmm"))
                add(QStringLiteral("fakegpu-%1").arg(mode), QStringLiteral("with the fake GPU in mode %1").arg(mode),
                    withVariable(original, QStringLiteral("INITSCOPE_FAKEGPU_MODE"), mode));
    }
    if (hasVariable(original.setEnv, QStringLiteral("CUDA_VISIBLE_DEVICES")))
        add(QStringLiteral("visible-devices-unset"), QStringLiteral("without CUDA_VISIBLE_DEVICES"),
            withoutVariable(original, QStringLiteral("CUDA_VISIBLE_DEVICES")));
    if (valueOf(original.setEnv, QStringLiteral("CUDA_VISIBLE_DEVICES")) != QLatin1String("0"))
        add(QStringLiteral("visible-devices-0"), QStringLiteral("with CUDA_VISIBLE_DEVICES=0 (the first GPU only)"),
            withVariable(original, QStringLiteral("CUDA_VISIBLE_DEVICES"), QStringLiteral("0")));
    const bool ollama = std::any_of(original.command.begin(), original.command.end(),
                                    [](const QString &a) { return QFileInfo(a).fileName() == QLatin1String("ollama"); });
    if (ollama)
        for (const QString &lib : {QStringLiteral("cpu"), QStringLiteral("cuda_v12"), QStringLiteral("cuda_v13")})
            add(QStringLiteral("ollama-library-%1").arg(lib), QStringLiteral("with OLLAMA_LLM_LIBRARY=%1").arg(lib),
                withVariable(original, QStringLiteral("OLLAMA_LLM_LIBRARY"), lib));
    if (valueOf(original.setEnv, QStringLiteral("LD_BIND_NOW")) != QLatin1String("1"))
        add(QStringLiteral("bind-now"), QStringLiteral("with LD_BIND_NOW=1 (every symbol bound at load: undefined ones fail there)"),
            withVariable(original, QStringLiteral("LD_BIND_NOW"), QStringLiteral("1")));
    if (!original.shims.isEmpty())
        for (InjectMode m : {InjectMode::Audit, InjectMode::LdLibraryPath, InjectMode::LdPreload})
            if (m != original.inject) {
                RecordOptions o = original;
                o.inject = m;
                add(QStringLiteral("inject-%1").arg(injectModeName(m)),
                    QStringLiteral("with the shims injected by %1").arg(injectModeName(m)), o);
            }
    return out;
}

QString describeRetry(const RecordOptions &o)
{
    QString out = QStringLiteral("command      %1\n").arg(o.command.join(QLatin1Char(' ')));
    if (!o.workingDirectory.isEmpty())
        out += QStringLiteral("directory    %1\n").arg(o.workingDirectory);
    out += QStringLiteral("environment  %1%2\n")
               .arg(o.cleanEnv ? QStringLiteral("minimal, ") : QStringLiteral("this shell's, "),
                    o.setEnv.isEmpty() && o.unsetEnv.isEmpty() ? QStringLiteral("unchanged")
                                                               : QStringLiteral("set %1; unset %2")
                                                                     .arg(o.setEnv.isEmpty() ? QStringLiteral("nothing") : o.setEnv.join(QStringLiteral(", ")),
                                                                          o.unsetEnv.isEmpty() ? QStringLiteral("nothing") : o.unsetEnv.join(QStringLiteral(", "))));
    for (const ShimSpec &s : o.shims)
        out += QStringLiteral("shim         %1%2 (%3)\n")
                   .arg(s.path, s.soname.isEmpty() ? QString() : QStringLiteral(" as ") + s.soname, injectModeName(o.inject));
    if (o.timeoutSeconds)
        out += QStringLiteral("timeout      %1 s\n").arg(*o.timeoutSeconds);
    return out;
}

} // namespace initscope
