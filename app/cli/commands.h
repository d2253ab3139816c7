// Subcommands of the `initscope` CLI. Each lives in its own cmd_<name>.cpp and is listed in
// the table in main.cpp. Exit codes are documented in docs/cli.md.
#pragma once

#include <QStringList>

namespace initscope::cli {

// Exit codes shared by every subcommand (sysexits.h values where one fits).
enum ExitCode {
    ExitOk = 0,
    ExitUsage = 64,      // bad command line
    ExitBadInput = 65,   // a bundle or config that cannot be used
    ExitNoInput = 66,    // an input file that does not exist
    ExitInternal = 70,   // InitScope itself failed
    ExitCantCreate = 73, // the output file cannot be written
    ExitTimeout = 124,   // the target ran past --timeout
    ExitProcessLimit = 125, // the target's tree went past --max-processes and was stopped
};

// args excludes the program name and the subcommand itself.
int cmdRecord(const QStringList &args);
int cmdReport(const QStringList &args);
int cmdDemo(const QStringList &args);
int cmdDiagnose(const QStringList &args);
int cmdSymbols(const QStringList &args);
int cmdDevice(const QStringList &args);
int cmdDiff(const QStringList &args);
int cmdRetry(const QStringList &args);
int cmdExport(const QStringList &args);

} // namespace initscope::cli
