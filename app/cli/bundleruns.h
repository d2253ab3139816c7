// What `report` and `diagnose` share: `FILE [--json] [--run ID] [-h]`, the bundle opened, the
// runs selected, and the one-line error conventions of docs/cli.md.
#pragma once

#include "bundle.h"

#include <QByteArray>
#include <QJsonObject>
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

// Everything the CLI prints of a bundle goes out through these two, the last guard before a
// terminal (core/displaytext.h): text with every control, bidi or invisible character and every
// invalid byte escaped (line breaks and tabs stay); JSON with such characters as \uXXXX.
void writeStdout(const QByteArray &utf8Text);
// writeStdout() for a command's result text, with InitScope's colours added after the guard
// when colour is on (colour.h; docs/cli.md, "Colour").
void writeStyled(const QByteArray &utf8Text);
void writeJson(const QJsonObject &document);
// "initscope: MESSAGE" on standard error: one line, escaped, at most a few hundred characters.
void printError(const QString &message);

} // namespace initscope::cli
