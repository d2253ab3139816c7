// What `report` and `diagnose` share: `FILE [--json] [--run ID] [-h]`, the bundle opened, the
// runs selected, and the one-line error conventions of docs/cli.md.
#pragma once

#include "bundle.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace initscope::cli {

struct BundleRuns {
    std::unique_ptr<BundleReader> reader;
    QList<qint64> runIds; // the one asked for with --run, else every run in bundle order
    bool json = false;
};

// Parses args for `initscope <command>`. On help, a usage error or a bundle that cannot be
// opened it prints what it must, sets *exitCode and returns nothing.
std::optional<BundleRuns> openBundleRuns(const QString &command, const char *help,
                                         const QStringList &args, int *exitCode);

void writeStdout(const QByteArray &bytes);

} // namespace initscope::cli
