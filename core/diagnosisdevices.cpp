// What a process's calls said about its devices, and CUDA_VISIBLE_DEVICES: a variable that
// hides every GPU makes the driver answer exactly as if there were none, so an init failure
// with CUDA_ERROR_NO_DEVICE is read against the environment before it is blamed on the driver.
#include "diagnosisinternal.h"

#include <QRegularExpression>

namespace initscope::diag {

namespace {

QString envValue(const QStringList &env, const QString &name, bool *present)
{
    const QString prefix = name + QLatin1Char('=');
    for (const QString &e : env)
        if (e.startsWith(prefix)) {
            *present = true;
            return e.mid(prefix.size());
        }
    *present = false;
    return QString();
}

QString uuidText(const QString &uuid)
{
    return uuid.startsWith(QLatin1String("GPU-")) ? uuid : QStringLiteral("GPU-") + uuid;
}

} // namespace

DeviceView deviceView(const Context &ctx)
{
    if (ctx.devices)
        return *ctx.devices;
    DeviceView &v = ctx.devices.emplace();
    for (const Call &c : ctx.calls) {
        if (!c.ok)
            continue;
        const QJsonObject out = c.p.value(QLatin1String("out")).toObject();
        if (c.fn.startsWith(QLatin1String("nvmlDeviceGetCount")) && v.nvmlCount < 0) {
            v.nvmlCount = out.value(QLatin1String("deviceCount")).toInteger(-1);
            v.nvmlCountCall = v.nvmlCount >= 0 ? &c : nullptr;
        }
        if ((c.fn.startsWith(QLatin1String("cuDeviceGetCount")) || c.fn == QLatin1String("cudaGetDeviceCount")) &&
            v.cudaCount < 0) {
            v.cudaCount = out.value(QLatin1String("count")).toInteger(-1);
            v.cudaCountCall = v.cudaCount >= 0 ? &c : nullptr;
        }
        const QString uuid = out.value(QLatin1String("uuid")).toString();
        if (!uuid.isEmpty() && !v.uuids.contains(uuidText(uuid)))
            v.uuids.append(uuidText(uuid));
    }
    return v;
}

VisibleDevices visibleDevices(const Context &ctx, const DeviceView &view)
{
    VisibleDevices v;
    v.value = envValue(ctx.proc.env, QStringLiteral("CUDA_VISIBLE_DEVICES"), &v.set);
    if (!v.set)
        return v;
    // The driver reads the list up to the first entry that names no device; so the first
    // entry decides whether anything is left.
    const QString first = v.value.split(QLatin1Char(',')).first().trimmed();
    bool isNumber = false;
    const qint64 ordinal = first.toLongLong(&isNumber);
    static const QRegularExpression uuidRe(QStringLiteral("^(GPU-|MIG-)?[0-9a-fA-F-]{4,}$"));
    if (first.isEmpty()) {
        v.hidesAll = true;
        v.why = v.value.trimmed().isEmpty() ? QStringLiteral("an empty value hides every device")
                                            : QStringLiteral("its first entry is empty, and the list ends there");
        v.confidence = 0.95;
    } else if (isNumber && ordinal < 0) {
        v.hidesAll = true;
        v.why = QStringLiteral("%1 is no device's ordinal, so the list ends before naming any").arg(ordinal);
        v.confidence = 0.95;
    } else if (isNumber) {
        if (view.nvmlCount >= 0 && ordinal >= view.nvmlCount) {
            v.hidesAll = true;
            v.why = QStringLiteral("it names ordinal %1 first, but NVML counts %2 device(s) (ordinals 0 to %3)")
                        .arg(ordinal).arg(view.nvmlCount).arg(view.nvmlCount - 1);
            v.confidence = 0.9;
        } else if (view.nvmlCount < 0 && ordinal > 0) {
            v.hidesAll = true;
            v.why = QStringLiteral("it names ordinal %1 first, which exists only on a machine with %2 or more GPUs")
                        .arg(ordinal).arg(ordinal + 1);
            v.confidence = 0.7;
        }
    } else if (uuidRe.match(first).hasMatch()) {
        const QString want = first.startsWith(QLatin1String("MIG-")) ? first : uuidText(first);
        bool matches = false;
        for (const QString &u : view.uuids)
            matches = matches || u.startsWith(want, Qt::CaseInsensitive);
        if (!matches) {
            v.hidesAll = true;
            v.why = view.uuids.isEmpty()
                        ? QStringLiteral("it names %1 first, and the driver found no device of that UUID").arg(first)
                        : QStringLiteral("it names %1 first, but the devices are %2").arg(first, view.uuids.join(QStringLiteral(", ")));
            v.confidence = view.uuids.isEmpty() ? 0.7 : 0.9;
        }
    } else {
        v.hidesAll = true;
        v.why = QStringLiteral("\"%1\" is neither an ordinal nor a device UUID, so the list ends before naming any").arg(first);
        v.confidence = 0.95;
    }
    if (!v.hidesAll)
        return v;
    // Who put it there: a parent that started this process with a value it does not have itself.
    for (const Process &p : ctx.reader.processes(ctx.run.id)) {
        if (p.id != ctx.proc.parentId)
            continue;
        bool parentHas = false;
        const QString parentValue = envValue(p.env, QStringLiteral("CUDA_VISIBLE_DEVICES"), &parentHas);
        if (!parentHas || parentValue != v.value)
            v.setBy = QStringLiteral("pid %1 (%2), whose own environment has %3")
                          .arg(p.pid)
                          .arg(baseName(p.exe),
                               parentHas ? QStringLiteral("CUDA_VISIBLE_DEVICES=%1").arg(parentValue)
                                         : QStringLiteral("no CUDA_VISIBLE_DEVICES"));
    }
    return v;
}

Finding hiddenDevicesFinding(const Context &ctx, const Call &c, const VisibleDevices &visible, const DeviceView &view)
{
    Finding f = newFinding(ctx, QStringLiteral("devices-hidden"), c.endNs(), visible.confidence);
    f.title = QStringLiteral("CUDA_VISIBLE_DEVICES=\"%1\" hides every device").arg(visible.value);
    const QString saw = c.ok ? QStringLiteral("%1 counted 0 devices").arg(c.fn)
                             : QStringLiteral("%1 answered %2").arg(c.fn, resultWords(c));
    f.step = QStringLiteral("%1 because the process runs with CUDA_VISIBLE_DEVICES=\"%2\": %3. This is the "
                            "environment, not a driver or shim fault")
                 .arg(saw, visible.value, visible.why);
    if (view.nvmlCount > 0 && !visible.why.contains(QLatin1String("NVML")))
        f.step += QStringLiteral("; NVML, which ignores the variable, counts %1 device(s)").arg(view.nvmlCount);
    if (!visible.setBy.isEmpty())
        f.step += QStringLiteral("; it was set by its parent, %1").arg(visible.setBy);
    Evidence env = processEvidence(ctx);
    env.text = QStringLiteral("pid %1 %2 environment: CUDA_VISIBLE_DEVICES=%3")
                   .arg(ctx.proc.pid).arg(baseName(ctx.proc.exe), visible.value);
    f.evidence.append(env);
    f.evidence.append(eventEvidence(c));
    if (view.nvmlCountCall)
        f.evidence.append(eventEvidence(*view.nvmlCountCall));
    const QString examples = view.uuids.isEmpty() ? QStringLiteral("0") : QStringLiteral("0 or %1").arg(view.uuids.first());
    f.fix = QStringLiteral("Unset CUDA_VISIBLE_DEVICES, or set it to the ordinal or UUID of a GPU that exists (%1). "
                           "Look where it is set: %2the shell profile, a systemd unit's Environment=, docker run -e, "
                           "a container image's ENV.")
                .arg(examples, visible.setBy.isEmpty() ? QString() : QStringLiteral("the parent process (%1), ").arg(visible.setBy));
    return f;
}

} // namespace initscope::diag
