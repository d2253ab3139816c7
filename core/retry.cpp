// Retry variations (docs/diff.md).
#include "retry.h"

#include "displaytext.h"

#include "ingest.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <utility>

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

bool isVariableName(const QString &name)
{
    return !name.isEmpty() && !name.contains(QLatin1Char('=')) && !name.contains(QChar(0));
}

// NAME → value of a setEnv list, in order.
QList<std::pair<QString, QString>> assignments(const QStringList &env)
{
    QList<std::pair<QString, QString>> out;
    for (const QString &kv : env) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        out.append({eq < 0 ? kv : kv.left(eq), eq < 0 ? QString() : kv.mid(eq + 1)});
    }
    return out;
}

// One word for a POSIX shell: as it is when nothing in it is special, else single-quoted.
QString shellWord(const QString &word)
{
    static const QString plain = QStringLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-");
    if (!word.isEmpty() && std::all_of(word.begin(), word.end(), [](QChar c) { return plain.contains(c); }))
        return word;
    return QLatin1Char('\'') + QString(word).replace(QLatin1String("'"), QLatin1String("'\\''")) + QLatin1Char('\'');
}

QString shimName(const ShimSpec &s)
{
    return QFileInfo(s.path).fileName();
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
    // A value the bundle keeps only as redacted comes from this environment, or the retry is
    // refused: running with the placeholder would be a different run.
    QStringList missing;
    for (QString &kv : options->setEnv) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        if (eq <= 0 || !kv.mid(eq + 1).contains(QLatin1String(kRedacted)))
            continue;
        const QString name = kv.left(eq);
        if (qEnvironmentVariableIsSet(name.toLocal8Bit().constData()))
            kv = name + QLatin1Char('=') + qEnvironmentVariable(name.toLocal8Bit().constData());
        else
            missing << name;
    }
    if (!missing.isEmpty()) {
        if (error)
            *error = QStringLiteral("the bundle keeps %1 only redacted; set %2 in this environment to retry")
                         .arg(missing.join(QStringLiteral(", ")),
                              missing.size() == 1 ? QStringLiteral("it") : QStringLiteral("them"));
        return false;
    }
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
    add(QStringLiteral("as-recorded"), QStringLiteral("as recorded, nothing changed (does the outcome repeat?)"), original);
    return out;
}

bool applyEnvironmentEdits(RetryVariation *variation, const QStringList &set, const QStringList &unset,
                           QString *error)
{
    QStringList said;
    for (const QString &kv : set) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        if (eq <= 0 || !isVariableName(kv.left(eq))) {
            if (error)
                *error = QStringLiteral("\"%1\" is not NAME=value").arg(kv);
            return false;
        }
        setRecordVariable(&variation->options, kv.left(eq), kv.mid(eq + 1));
        said << QStringLiteral("set %1").arg(kv);
    }
    for (const QString &name : unset) {
        if (!isVariableName(name)) {
            if (error)
                *error = QStringLiteral("\"%1\" is not a variable name").arg(name);
            return false;
        }
        variation->options = withoutVariable(variation->options, name);
        said << QStringLiteral("unset %1").arg(name);
    }
    if (said.isEmpty())
        return true;
    variation->title += QStringLiteral(", and %1").arg(said.join(QStringLiteral(", ")));
    variation->options.runName += QStringLiteral(" + edited environment");
    return true;
}

QString describeRetry(const RecordOptions &o)
{
    // Shown to a person who decides whether to run it: every value comes from a bundle that
    // may be a stranger's, so each is escaped on its own (core/displaytext.h); a line break or a
    // bidi override in a value cannot fake or hide a line.
    constexpr qsizetype kShownChars = 2000;
    auto shown = [](const QString &value) { return display::elide(value, kShownChars); };
    QStringList words;
    for (const QString &a : o.command)
        words << shown(shellWord(a));
    QString out = QStringLiteral("command      %1\n").arg(words.join(QLatin1Char(' ')));
    if (!o.workingDirectory.isEmpty())
        out += QStringLiteral("directory    %1\n").arg(shown(o.workingDirectory));
    out += QStringLiteral("environment  %1\n")
               .arg(o.cleanEnv ? QStringLiteral("a minimal one: %1 from this machine's, then")
                                     .arg(kCleanEnvironment.join(QLatin1Char(' ')))
                               : QStringLiteral("this machine's, then"));
    for (const QString &kv : o.setEnv)
        out += QStringLiteral("  set        %1\n").arg(shown(kv));
    for (const QString &name : o.unsetEnv)
        out += QStringLiteral("  unset      %1\n").arg(shown(name));
    if (o.setEnv.isEmpty() && o.unsetEnv.isEmpty())
        out += QStringLiteral("  nothing set or unset\n");
    for (const ShimSpec &s : o.shims)
        out += QStringLiteral("shim         %1%2 (%3)\n")
                   .arg(shown(s.path), s.soname.isEmpty() ? QString() : QStringLiteral(" as ") + shown(s.soname),
                        injectModeName(o.inject));
    out += QStringLiteral("recorder     injected with LD_AUDIT (libinitscope_recorder.so)\n");
    if (o.timeoutSeconds)
        out += QStringLiteral("timeout      %1 s\n").arg(*o.timeoutSeconds);
    else if (o.fallbackTimeoutSeconds)
        out += QStringLiteral("timeout      %1 s (the run had none; a retry waits no longer)\n").arg(*o.fallbackTimeoutSeconds);
    return out;
}

QStringList retryChanges(const RecordOptions &original, const RecordOptions &retry)
{
    QStringList out;
    if (original.command != retry.command)
        out << QStringLiteral("command: %1 → %2").arg(original.command.join(QLatin1Char(' ')), retry.command.join(QLatin1Char(' ')));
    if (original.workingDirectory != retry.workingDirectory)
        out << QStringLiteral("directory: %1 → %2").arg(original.workingDirectory, retry.workingDirectory);
    if (original.cleanEnv != retry.cleanEnv)
        out << (retry.cleanEnv ? QStringLiteral("environment: this machine's → a minimal one")
                               : QStringLiteral("environment: a minimal one → this machine's"));
    const auto before = assignments(original.setEnv);
    const auto after = assignments(retry.setEnv);
    auto find = [](const QList<std::pair<QString, QString>> &list, const QString &name) -> const QString * {
        for (const auto &[n, v] : list)
            if (n == name)
                return &v;
        return nullptr;
    };
    for (const auto &[name, value] : after) {
        const QString *old = find(before, name);
        if (!old)
            out << QStringLiteral("set %1=%2").arg(name, value);
        else if (*old != value)
            out << QStringLiteral("%1: %2 → %3").arg(name, *old, value);
    }
    for (const auto &[name, value] : before)
        if (!find(after, name))
            out << (retry.unsetEnv.contains(name) ? QStringLiteral("unset %1 (was %2)").arg(name, value)
                                                  : QStringLiteral("%1=%2 no longer set").arg(name, value));
    for (const QString &name : retry.unsetEnv)
        if (!original.unsetEnv.contains(name) && !find(before, name))
            out << QStringLiteral("unset %1").arg(name);
    for (const ShimSpec &s : original.shims)
        if (std::none_of(retry.shims.begin(), retry.shims.end(), [&](const ShimSpec &r) { return r.path == s.path; }))
            out << QStringLiteral("without the shim %1").arg(shimName(s));
    for (const ShimSpec &s : retry.shims)
        if (std::none_of(original.shims.begin(), original.shims.end(), [&](const ShimSpec &o) { return o.path == s.path; }))
            out << QStringLiteral("with the shim %1").arg(s.path);
    if (!retry.shims.isEmpty() && original.inject != retry.inject)
        out << QStringLiteral("injection: %1 → %2").arg(injectModeName(original.inject), injectModeName(retry.inject));
    if (original.timeoutSeconds != retry.timeoutSeconds)
        out << QStringLiteral("timeout: %1 → %2")
                   .arg(original.timeoutSeconds ? QStringLiteral("%1 s").arg(*original.timeoutSeconds) : QStringLiteral("none"),
                        retry.timeoutSeconds ? QStringLiteral("%1 s").arg(*retry.timeoutSeconds) : QStringLiteral("none"));
    return out;
}

} // namespace initscope
