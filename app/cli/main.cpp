// initscope: record a program's GPU bring-up and explain it.
#include "commands.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace {

struct Command {
    const char *name;
    const char *summary;
    int (*run)(const QStringList &args);
};

constexpr Command kCommands[] = {
    {"record", "run a program with the recorder injected and save a bundle",
     initscope::cli::cmdRecord},
    {"report", "print the process tree, exits, error lines and last events of a bundle",
     initscope::cli::cmdReport},
    {"diagnose", "say why a recorded run (or an Ollama log) failed to bring up its GPU and what would fix it",
     initscope::cli::cmdDiagnose},
    {"symbols", "check shims against their consumers, a real driver and a run; describe ELF files; save manifests",
     initscope::cli::cmdSymbols},
    {"device", "show every source's view of the GPUs (machine, driver, NVML, run) and where they disagree",
     initscope::cli::cmdDevice},
    {"diff", "align two runs and show the first divergence and every other difference",
     initscope::cli::cmdDiff},
    {"retry", "record a run again with one thing changed and show how it differs",
     initscope::cli::cmdRetry},
    {"demo", "record initscope-probe, print its report and open the GUI",
     initscope::cli::cmdDemo},
};

void printUsage(FILE *to)
{
    std::fprintf(to, "usage: initscope <command> [options]\n\ncommands:\n");
    for (const Command &c : kCommands)
        std::fprintf(to, "  %-8s %s\n", c.name, c.summary);
    std::fprintf(to, "\nRun 'initscope <command> --help' for the options of one command.\n");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("initscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(INITSCOPE_VERSION));

    QStringList args = app.arguments().mid(1);
    if (args.isEmpty()) {
        printUsage(stderr);
        return initscope::cli::ExitUsage;
    }
    const QString name = args.takeFirst();
    if (name == QLatin1String("--help") || name == QLatin1String("-h") ||
        name == QLatin1String("help")) {
        printUsage(stdout);
        return initscope::cli::ExitOk;
    }
    if (name == QLatin1String("--version")) {
        std::printf("initscope %s\n", INITSCOPE_VERSION);
        return initscope::cli::ExitOk;
    }
    for (const Command &c : kCommands) {
        if (name == QLatin1String(c.name))
            return c.run(args);
    }
    std::fprintf(stderr, "initscope: unknown command '%s'\n\n", qPrintable(name));
    printUsage(stderr);
    return initscope::cli::ExitUsage;
}
