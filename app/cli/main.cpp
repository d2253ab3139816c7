// initscope: record a program's GPU bring-up and explain it.
#include "commands.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

namespace {

// Started with stdin, stdout or stderr closed (`initscope record … >&-`), the first file
// initscope opens would get that number — the raw record file, the bundle, a pipe — and
// whatever is then written to "stdout" would land in it, or be handed to the target as its
// output's destination. Each closed one gets /dev/null opened the wrong way round (read-only
// for stdout and stderr, write-only for stdin): the number is taken, and using the stream
// still fails with EBADF exactly as if it were closed.
void holdClosedStandardDescriptors()
{
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        const int held = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (held >= 0 && held != fd) {
            ::dup2(held, fd);
            ::close(held);
        }
    }
}

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
    {"export", "write a bundle as a Chrome trace (Perfetto), an HTML report or a Markdown summary",
     initscope::cli::cmdExport},
    {"demo", "record initscope-probe, print its report and open the GUI",
     initscope::cli::cmdDemo},
};

void printUsage(FILE *to)
{
    std::fprintf(to, "usage: initscope <command> [options]\n\ncommands:\n");
    for (const Command &c : kCommands)
        std::fprintf(to, "  %-8s %s\n", c.name, c.summary);
    std::fprintf(to, "\nRun 'initscope <command> --help' for the options of one command.\n"
                     "\n"
                     "Results go to standard output, messages and progress to standard error (progress\n"
                     "only on a terminal; INITSCOPE_PROGRESS=always|never). Text is coloured on a\n"
                     "terminal unless NO_COLOR is set (--color=auto|always|never).\n"
                     "\n"
                     "Exit status: 0 success, 1 the command's negative answer (a diagnosis without a root\n"
                     "cause, failed checks, runs that differ), 64 bad command line, 65 unusable input,\n"
                     "66 no such file, 70 internal error, 73 cannot write; record passes on the recorded\n"
                     "command's own status. docs/cli.md has the details.\n"
                     "\n"
                     "examples:\n"
                     "  initscope demo\n"
                     "  initscope record -o run.initscope -- initscope-probe\n"
                     "  initscope report run.initscope\n"
                     "  initscope diagnose --json run.initscope\n");
}

} // namespace

int main(int argc, char **argv)
{
    holdClosedStandardDescriptors();
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
        if (name != QLatin1String(c.name))
            continue;
        const int code = c.run(args);
        // A result that could not be written (stdout closed, a full disk) is said once, on
        // stderr, whichever command it was.
        if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
            std::fprintf(stderr, "initscope: the output of '%s' could not be written to standard output\n",
                         c.name);
            return code == initscope::cli::ExitOk ? initscope::cli::ExitInternal : code;
        }
        return code;
    }
    std::fprintf(stderr, "initscope: unknown command '%s'\n\n", qPrintable(name));
    printUsage(stderr);
    return initscope::cli::ExitUsage;
}
