// Rules about call results: a failed call the process did not recover from, and values a
// successful call reported that no working bring-up reports (an old driver, no device, 0 B).
#include "diagnosisinternal.h"

#include "report.h"
#include "setupadvice.h"

#include <QHash>
#include <QRegularExpression>

namespace initscope::diag {

namespace {

// A failed call that the process did not recover from, explained by its class.
Finding callFinding(const Context &ctx, int index)
{
    const Call &c = ctx.calls[index];
    const Call *outer = (c.outer >= 0 && c.outer != index) ? &ctx.calls[c.outer] : nullptr;
    const QString who = outer ? QStringLiteral("the %1 library (inside %2)")
                                    .arg(outer->api == QLatin1String("runtime") ? QStringLiteral("CUDA runtime")
                                                                               : outer->api,
                                         outer->fn)
                              : QStringLiteral("the program");
    const QString answerer = whoAnswers(ctx, c.api == QLatin1String("nvml") ? ctx.nvmlLib : ctx.driverLib,
                                        QStringLiteral("the library"));
    Finding f;
    QString causeNote; // what the result means about the setup, after the step's facts
    const bool cudaApi = c.api != QLatin1String("nvml");
    const DeviceView view = deviceView(ctx);
    const VisibleDevices visible = cudaApi && c.code == 100 ? visibleDevices(ctx, view) : VisibleDevices{};
    if (visible.hidesAll) {
        f = hiddenDevicesFinding(ctx, c, visible, view);
    } else if (c.fn == QLatin1String("cuGetExportTable")) {
        const QString uuid = c.table.value(QLatin1String("uuid")).toString();
        QString name = c.table.value(QLatin1String("name")).toString();
        f = newFinding(ctx, QStringLiteral("export-table-refused"), c.endNs(), 0.9);
        const QString tableWords = name.isEmpty() ? QStringLiteral("a private interface %1").arg(uuid)
                                                  : QStringLiteral("its private interface %1 (%2)").arg(shortUuid(uuid), name);
        f.title = QStringLiteral("export table %1 refused").arg(name.isEmpty() ? uuid : name);
        f.step = QStringLiteral("%1 asked the driver for %2 with cuGetExportTable and %3 refused it with %4")
                     .arg(who, tableWords, answerer, resultWords(c));
        f.fix = QStringLiteral("Make cuGetExportTable in %1 answer %2%3 with a table: the CUDA runtime needs it "
                               "to start and gives up without it. The runtime's private tables are undocumented "
                               "(slot 0 holds the table's size in bytes); forward the request to a real "
                               "libcuda.so.1 or implement the table. Only the optional skip-init probe "
                               "(f8cff951…) may be answered with CUDA_ERROR_NOT_FOUND.")
                    .arg(answerer, uuid, name.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(name));
    } else if (c.fn.startsWith(QLatin1String("cuInit")) || c.fn.startsWith(QLatin1String("nvmlInit"))) {
        f = newFinding(ctx, QStringLiteral("init-failed"), c.endNs(), 0.9);
        f.title = QStringLiteral("%1 failed with %2").arg(c.fn, c.resName);
        f.step = QStringLiteral("%1 called %2 and %3 answered %4").arg(who, c.fn, answerer, resultWords(c));
        const SetupAdvice advice = setupAdvice(cudaApi ? ApiFamily::Driver : ApiFamily::Nvml, c.code);
        if (!advice.cause.isEmpty())
            causeNote = QStringLiteral(". Meaning: %1").arg(advice.cause);
        if (cudaApi && c.code == 100 && view.nvmlCount > 0)
            causeNote += QStringLiteral(" (yet NVML counts %1 device(s) in the same process: the kernel driver sees the GPU, "
                                     "the CUDA driver library does not)")
                          .arg(view.nvmlCount);
        if (cudaApi && c.code == 100 && view.nvmlCountCall)
            f.evidence.append(eventEvidence(*view.nvmlCountCall));
        if (advice.cause.isEmpty()) {
            f.fix = QStringLiteral("Find why %1 fails %2 with %3 (\"%4\"): that is the first step of bring-up and "
                                   "nothing after it can work.")
                        .arg(answerer, c.fn, c.resName, c.resMsg);
        } else {
            f.fix = advice.fix;
            if (isShim(ctx, c.api == QLatin1String("nvml") ? ctx.nvmlLib : ctx.driverLib))
                f.fix += QStringLiteral(" The answer came from %1: if it forwards to a real driver, the fault is that "
                                        "driver's setup as above; if it makes the answer itself, make its %2 succeed.")
                             .arg(answerer, c.fn);
        }
    } else {
        f = newFinding(ctx, QStringLiteral("failed-call"), c.endNs(), 0.6);
        f.title = QStringLiteral("%1 returned %2").arg(c.fn, c.resName);
        // A library call (the runtime's) whose own calls into the driver all succeeded: the
        // library rejected one of the driver's answers, the driver did not fail.
        QStringList inner;
        const Call *lastInner = nullptr;
        for (int i = index + 1; i < ctx.calls.size() && ctx.calls[i].outer == index; ++i) {
            const Call &n = ctx.calls[i];
            if (n.isResolution() || n.depth == 0)
                continue;
            lastInner = &n;
            if (!inner.contains(n.fn))
                inner.append(n.fn);
        }
        const QString library = c.api == QLatin1String("runtime") ? QStringLiteral("the CUDA runtime") : answerer;
        if (c.depth == 0 && lastInner) {
            f.step = QStringLiteral("%1 returned %2 at %3 ms although every driver call it made inside succeeded (%4): "
                                    "%5 rejected something the driver answered, the driver did not fail")
                         .arg(c.fn, resultWords(c), formatMs(c.ev.tsNs), inner.mid(qMax(0, inner.size() - 6)).join(QStringLiteral(", ")),
                              library);
            f.evidence.append(eventEvidence(*lastInner));
            f.fix = QStringLiteral("Compare what %1 answered inside %2 (the last call was %3) with a real driver's "
                                   "answers for the same calls: values, versions, and the contents of the tables "
                                   "cuGetExportTable handed out.")
                        .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")), c.fn, lastInner->fn);
        } else {
            f.step = QStringLiteral("%1 returned %2 at %3 ms, the first departure from the expected bring-up "
                                    "(called by %4, answered by %5)")
                         .arg(c.fn, resultWords(c), formatMs(c.ev.tsNs), who, answerer);
            f.fix = QStringLiteral("Make %1 in %2 succeed for these arguments (%3), or find why it answers %4.")
                        .arg(c.fn, answerer, c.p.value(QLatin1String("summary")).toString(), c.resName);
        }
    }
    f.evidence.append(eventEvidence(c));
    addSucceededBefore(ctx, f, index);
    QStringList needles;
    QString seen;
    if (outer && !outer->ok) {
        f.consumerView = true;
        needles << outer->resMsg;
        seen = QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer));
        f.evidence.append(eventEvidence(*outer));
    } else {
        seen = QStringLiteral("%1 saw %2").arg(who, resultWords(c));
    }
    needles << c.resMsg << c.resName << c.fn;
    attachLine(ctx, f, pickErrorLine(ctx, needles, c.endNs()));
    if (!f.succeededBefore.isEmpty() && !visible.hidesAll)
        f.step += QStringLiteral(", after %1 succeeded").arg(f.succeededBefore.join(QStringLiteral(", ")));
    f.step += causeNote;
    f.consequence = seen + thenPrinted(ctx, f);
    return f;
}

} // namespace

void ruleCalls(const Context &ctx, QList<Finding> &out, QList<Finding> &tolerated)
{
    // The call a failed outer call ended on: its last failed nested call that is not a lookup.
    QHash<int, int> culprit;
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        const bool optional = c.table.value(QLatin1String("uuid")).toString() == kSkipInitProbe;
        if (c.depth > 0 && !c.ok && c.returned && !c.isResolution() && !optional && c.outer >= 0 &&
            !ctx.calls[c.outer].ok)
            culprit.insert(c.outer, i);
    }
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (c.ok || !c.returned || c.isResolution())
            continue;
        const bool optionalTable = c.table.value(QLatin1String("uuid")).toString() == kSkipInitProbe;
        const bool nestedTolerated = c.depth > 0 && (c.outer < 0 || ctx.calls[c.outer].ok || culprit.value(c.outer) != i);
        if (optionalTable || nestedTolerated) {
            Finding f = newFinding(ctx, QStringLiteral("tolerated-failure"), c.endNs(), 0.7);
            f.severity = Severity::Harmless;
            f.title = QStringLiteral("%1 failed and the caller went on").arg(c.fn);
            f.step = eventEvidence(c).text;
            f.consequence = QStringLiteral("none: the caller accepted the answer and continued");
            f.fix = QStringLiteral("Nothing required.");
            f.evidence.append(eventEvidence(c));
            tolerated.append(f);
            continue;
        }
        if (c.depth == 0 && culprit.contains(i))
            continue; // explained by the nested call it ended on
        out.append(callFinding(ctx, i));
    }
}

// Values that a successful call reported and that no working bring-up reports.
void ruleReportedValues(const Context &ctx, QList<Finding> &out)
{
    const DeviceView view = deviceView(ctx);
    qint64 cudaBytes = -1;
    const Call *cudaMem = nullptr;
    qint64 driverVersion = -1;
    const Call *versionCall = nullptr;
    qint64 required = 0;
    QString requiredWhy;
    for (const LibLoad &l : ctx.loads) {
        static const QRegularExpression re(QStringLiteral("libcudart\\.so\\.(\\d+)"));
        const QRegularExpressionMatch m = re.match(l.soname.isEmpty() ? l.path : l.soname);
        if (m.hasMatch() && m.captured(1).toInt() * 1000 > required) {
            required = m.captured(1).toInt() * 1000;
            requiredWhy = QStringLiteral("the runtime %1 loaded").arg(baseName(l.path));
        }
    }
    for (const Call &c : ctx.calls) {
        if (!c.ok)
            continue;
        if (c.fn.startsWith(QLatin1String("cuDeviceTotalMem")) && cudaBytes < 0) {
            cudaBytes = outNumber(c, "bytes");
            cudaMem = &c;
        }
        if (c.fn == QLatin1String("cuDriverGetVersion") && !versionCall) {
            driverVersion = outNumber(c, "driverVersion");
            versionCall = &c;
        }
        if (c.fn == QLatin1String("cudaRuntimeGetVersion") && outNumber(c, "runtimeVersion") > required) {
            required = outNumber(c, "runtimeVersion");
            requiredWhy = QStringLiteral("cudaRuntimeGetVersion reported %1").arg(required);
        }
    }
    if (versionCall && driverVersion > 0 && required > driverVersion) {
        Finding f = newFinding(ctx, QStringLiteral("driver-older-than-runtime"), versionCall->endNs(), 0.9);
        auto cuda = [](qint64 v) { return QStringLiteral("CUDA %1.%2").arg(v / 1000).arg((v % 1000) / 10); };
        f.title = QStringLiteral("driver reports %1, the runtime needs %2").arg(cuda(driverVersion), cuda(required));
        f.step = QStringLiteral("cuDriverGetVersion reported %1 (%2), older than the runtime (%3: %4)")
                     .arg(driverVersion).arg(cuda(driverVersion), requiredWhy, cuda(required));
        f.evidence.append(eventEvidence(*versionCall));
        int index = int(versionCall - ctx.calls.constData());
        const Call *outer = versionCall->outer >= 0 && versionCall->outer != index ? &ctx.calls[versionCall->outer] : nullptr;
        QStringList needles;
        if (outer && !outer->ok) {
            needles << outer->resMsg;
            f.evidence.append(eventEvidence(*outer));
        }
        needles << QStringLiteral("insufficient");
        attachLine(ctx, f, pickErrorLine(ctx, needles, versionCall->endNs()));
        f.consequence = (outer && !outer->ok ? QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer))
                                             : QStringLiteral("a runtime of %1 refuses this driver").arg(cuda(required)))
            + thenPrinted(ctx, f);
        f.fix = QStringLiteral("Make %1 report at least %2 in cuDriverGetVersion (and NVML's "
                               "nvmlSystemGetCudaDriverVersion), or use a runtime of %3 or older "
                               "(for Ollama: OLLAMA_LLM_LIBRARY=cuda_v%4).")
                    .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver")))
                    .arg(required).arg(cuda(driverVersion)).arg(driverVersion / 1000);
        out.append(f);
    }
    for (const Call &c : ctx.calls) {
        if (!c.ok)
            continue;
        const bool count = c.fn.startsWith(QLatin1String("cuDeviceGetCount")) || c.fn.startsWith(QLatin1String("nvmlDeviceGetCount"));
        if (count && (outNumber(c, "count") == 0 || outNumber(c, "deviceCount") == 0)) {
            const bool nvml = c.api == QLatin1String("nvml");
            const qint64 other = nvml ? view.cudaCount : view.nvmlCount;
            const Call *otherCall = nvml ? view.cudaCountCall : view.nvmlCountCall;
            const VisibleDevices visible = nvml ? VisibleDevices{} : visibleDevices(ctx, view);
            Finding f;
            if (visible.hidesAll) {
                f = hiddenDevicesFinding(ctx, c, visible, view);
            } else if (other > 0) {
                f = newFinding(ctx, QStringLiteral("device-count-disagreement"), c.endNs(), 0.85);
                f.title = QStringLiteral("%1 counts no device, %2 counts %3")
                              .arg(nvml ? QStringLiteral("NVML") : QStringLiteral("CUDA"),
                                   nvml ? QStringLiteral("CUDA") : QStringLiteral("NVML"))
                              .arg(other);
                f.step = QStringLiteral("%1 succeeded but counted 0 devices, while %2 counted %3 in the same process: "
                                        "the two libraries do not describe the same machine")
                             .arg(c.fn, otherCall->fn).arg(other);
                f.evidence.append(eventEvidence(c));
                f.evidence.append(eventEvidence(*otherCall));
                f.fix = QStringLiteral("Make %1 of %2 count the device(s) that %3 presents; a shim must answer both "
                                       "APIs about the same GPUs (consumers such as Ollama match them by PCI bus id "
                                       "or UUID).")
                            .arg(c.fn,
                                 whoAnswers(ctx, nvml ? ctx.nvmlLib : ctx.driverLib,
                                            nvml ? QStringLiteral("the NVML library") : QStringLiteral("the driver library")),
                                 otherCall->fn);
            } else {
                f = newFinding(ctx, QStringLiteral("no-device"), c.endNs(), 0.8);
                f.title = QStringLiteral("%1 reports no device").arg(c.fn);
                f.step = QStringLiteral("%1 succeeded but counted 0 devices").arg(c.fn);
                f.evidence.append(eventEvidence(c));
                f.fix = QStringLiteral("Make %1 count the device the shim presents.").arg(c.fn);
            }
            attachLine(ctx, f, pickErrorLine(ctx, {c.fn, QStringLiteral("no devices"), QStringLiteral("no CUDA-capable")}, c.endNs()));
            f.consequence = QStringLiteral("the consumer finds no GPU") + thenPrinted(ctx, f);
            out.append(f);
        } else if (count && view.nvmlCount > 0 && view.cudaCount > 0 && view.nvmlCount != view.cudaCount &&
                   c.api == QLatin1String("nvml")) {
            const VisibleDevices visible = visibleDevices(ctx, view);
            if (visible.set)
                continue; // CUDA_VISIBLE_DEVICES selects a subset: CUDA counting fewer is expected
            Finding f = newFinding(ctx, QStringLiteral("device-count-disagreement"), c.endNs(), 0.75);
            f.title = QStringLiteral("NVML counts %1 device(s), CUDA %2").arg(view.nvmlCount).arg(view.cudaCount);
            f.step = QStringLiteral("%1 counted %2 and %3 counted %4 in the same process, with no "
                                    "CUDA_VISIBLE_DEVICES to explain the difference")
                         .arg(view.nvmlCountCall->fn).arg(view.nvmlCount).arg(view.cudaCountCall->fn).arg(view.cudaCount);
            f.evidence.append(eventEvidence(*view.nvmlCountCall));
            f.evidence.append(eventEvidence(*view.cudaCountCall));
            f.consequence = QStringLiteral("consumers that pair NVML and CUDA devices by index or bus id pair the wrong "
                                           "ones or drop some");
            f.fix = QStringLiteral("Make both libraries present the same devices (a GPU CUDA cannot use is usually in "
                                   "a bad state: check nvidia-smi -q for it and dmesg for Xid errors).");
            out.append(f);
        }
        if (c.fn.startsWith(QLatin1String("nvmlDeviceGetMemoryInfo"))) {
            const QJsonObject mem = c.p.value(QLatin1String("out")).toObject().value(QLatin1String("memory")).toObject();
            if (!mem.contains(QLatin1String("total")))
                continue;
            const qint64 total = mem.value(QLatin1String("total")).toInteger();
            const bool oneDevice = view.nvmlCount <= 1 && view.cudaCount <= 1;
            if (total != 0) {
                // Both libraries describe one device: its size must agree (within what the driver
                // reserves for itself).
                if (!oneDevice || cudaBytes <= 0 || qAbs(total - cudaBytes) * 10 <= cudaBytes)
                    continue;
                Finding f = newFinding(ctx, QStringLiteral("memory-disagreement"), c.endNs(), 0.7);
                f.title = QStringLiteral("NVML reports %1 MiB of device memory, CUDA %2 MiB")
                              .arg(total >> 20).arg(cudaBytes >> 20);
                f.step = QStringLiteral("%1 reported total %2 bytes while %3 reported %4 bytes for the one device")
                             .arg(c.fn).arg(total).arg(cudaMem->fn).arg(cudaBytes);
                f.evidence.append(eventEvidence(c));
                f.evidence.append(eventEvidence(*cudaMem));
                f.consequence = QStringLiteral("consumers that size work with one library's numbers and allocate with the "
                                               "other's fail or leave memory unused");
                f.fix = QStringLiteral("Make nvmlDeviceGetMemoryInfo of %1 and %2 of %3 report the same device size.")
                            .arg(whoAnswers(ctx, ctx.nvmlLib, QStringLiteral("the NVML library")), cudaMem->fn,
                                 whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")));
                out.append(f);
                continue;
            }
            Finding f = newFinding(ctx, QStringLiteral("memory-disagreement"), c.endNs(), cudaBytes > 0 ? 0.9 : 0.75);
            f.title = QStringLiteral("NVML reports 0 B of device memory");
            f.step = cudaBytes > 0
                         ? QStringLiteral("%1 reported total 0 B while %2 reported %3 bytes for the same device")
                               .arg(c.fn, cudaMem->fn).arg(cudaBytes)
                         : QStringLiteral("%1 reported total 0 B, free 0 B for a device it counts").arg(c.fn);
            f.evidence.append(eventEvidence(c));
            if (cudaMem)
                f.evidence.append(eventEvidence(*cudaMem));
            attachLine(ctx, f, pickErrorLine(ctx, {c.fn, QStringLiteral("0 B"), QStringLiteral("0 MiB")}, c.endNs()));
            f.consequence = QStringLiteral("consumers that size work with NVML's numbers (Ollama: total_vram=\"0 B\") see a GPU "
                                           "without memory")
                + thenPrinted(ctx, f);
            f.fix = QStringLiteral("Make nvmlDeviceGetMemoryInfo of %1 fill nvmlMemory_t with the device's memory%2.")
                        .arg(whoAnswers(ctx, ctx.nvmlLib, QStringLiteral("the NVML library")),
                             cudaBytes > 0 ? QStringLiteral(" (%1 bytes, as the driver reports)").arg(cudaBytes) : QString());
            out.append(f);
        }
    }
}

} // namespace initscope::diag
