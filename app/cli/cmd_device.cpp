// initscope device: every source's view of the GPUs side by side (docs/device.md).
#include "commands.h"

#include "bundle.h"
#include "bundleruns.h"
#include "colour.h"
#include "deviceview.h"
#include "machinefacts.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope device [--root DIR] [--json] [--color=WHEN]\n"
    "       initscope device --bundle FILE [--run ID] [--root DIR] [--json] [--color=WHEN]\n"
    "\n"
    "Show every source's view of the GPUs side by side: PCI devices in sysfs, the NVIDIA kernel\n"
    "driver, device nodes and modules of this machine (or of the tree under --root); with\n"
    "--bundle, the machine as it was when the run was recorded and what the CUDA driver API,\n"
    "NVML, the runtime and Ollama reported during the run. Contradictions between the sources\n"
    "are findings. Exit status 0 when no finding is an error, 1 when one is, 64 for a bad\n"
    "command line, 65 for a file that is not a bundle or has no such run, 66 for a bundle or\n"
    "root that does not exist.\n"
    "\n"
    "options:\n"
    "  --root DIR     read the machine's facts below DIR instead of / (a copied tree)\n"
    "  --bundle FILE  a recorded bundle: its machine facts and its run's calls and output\n"
    "  --run ID       the run of the bundle (default: the first)\n"
    "  --json         print one JSON document (format \"initscope-device\")\n"
    "  --color=WHEN   colour the text: auto (default: on a terminal, unless NO_COLOR is set),\n"
    "                 always or never\n"
    "  -h, --help     show this help\n"
    "\n"
    "examples:\n"
    "  initscope device\n"
    "  initscope device --bundle ollama.initscope --json\n"
    "  initscope device --root /tmp/gpu-box-root\n";

int usage(const QString &message)
{
    std::fprintf(stderr, "initscope device: %s\nRun 'initscope device --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

} // namespace

int cmdDevice(const QStringList &arguments)
{
    QStringList args = arguments;
    if (QString why; !takeColourOption(&args, &why))
        return usage(why);
    QString root, bundlePath;
    qint64 runId = -1;
    bool json = false;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            writeStdout(kHelp);
            return ExitOk;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a == QLatin1String("--root") || a == QLatin1String("--bundle") || a == QLatin1String("--run")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            const QString value = args[++i];
            if (a == QLatin1String("--root")) {
                root = value;
            } else if (a == QLatin1String("--bundle")) {
                bundlePath = value;
            } else {
                bool ok = false;
                runId = value.toLongLong(&ok);
                if (!ok || runId < 1)
                    return usage(QStringLiteral("--run needs a run id (1, 2, ...), not \"%1\"").arg(value));
            }
        } else {
            return usage(QStringLiteral("unexpected argument %1").arg(a));
        }
    }
    if (runId >= 0 && bundlePath.isEmpty())
        return usage(QStringLiteral("--run goes with --bundle"));
    if (!root.isEmpty() && !QFileInfo(root).isDir()) {
        std::fprintf(stderr, "initscope: %s: no such directory\n", qPrintable(root));
        return ExitNoInput;
    }
    std::unique_ptr<BundleReader> reader;
    std::optional<MachineFacts> machine;
    if (!bundlePath.isEmpty()) {
        if (!QFileInfo::exists(bundlePath)) {
            std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(bundlePath));
            return ExitNoInput;
        }
        BundleError error;
        reader = BundleReader::open(bundlePath, &error);
        if (!reader) {
            printError(error.message);
            return ExitBadInput;
        }
        const QList<Run> runs = reader->runs();
        if (runs.isEmpty()) {
            std::fprintf(stderr, "initscope: %s holds no runs\n", qPrintable(bundlePath));
            return ExitBadInput;
        }
        if (runId < 0)
            runId = runs.first().id;
        if (std::none_of(runs.begin(), runs.end(), [&](const Run &r) { return r.id == runId; })) {
            std::fprintf(stderr, "initscope: %s has no run %lld\n", qPrintable(bundlePath), static_cast<long long>(runId));
            return ExitBadInput;
        }
        machine = root.isEmpty() ? storedMachineFacts(*reader, runId) : std::optional(readMachineFacts(QDir(root).absolutePath()));
    } else {
        machine = readMachineFacts(root.isEmpty() ? QStringLiteral("/") : QDir(root).absolutePath());
    }
    const DeviceReport report = buildDeviceReport(machine, reader.get(), runId);
    if (json)
        writeJson(deviceReportToJson(report));
    else
        writeStyled(formatDeviceReportText(report).toUtf8());
    if (std::fflush(stdout) != 0)
        return ExitInternal;
    const bool errors = std::any_of(report.findings.begin(), report.findings.end(),
                                    [](const DeviceFinding &f) { return f.severity == QLatin1String("error"); });
    return errors ? 1 : ExitOk;
}

} // namespace initscope::cli
