// Running the built `initscope` as a person or a script does: with its output piped, or under a
// pseudo-terminal (stdout and stderr both the terminal, in raw mode so that the transcript holds
// exactly the bytes written).
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace initscope::test {

struct CliResult {
    int exitCode = -1; // -1: did not finish (killed at the time limit) or could not start
    QByteArray out;    // standard output (piped), or the whole terminal transcript (pty)
    QByteArray err;    // standard error (piped only)
    qint64 elapsedMs = 0;
};

// env: "NAME=value" to set, "NAME" alone to remove; INITSCOPE_PROGRESS, NO_COLOR and DISPLAY
// are removed first, TERM is xterm, and the build's bin/ leads PATH.
CliResult runPiped(const QStringList &args, const QStringList &env = {}, const QString &workDir = {},
                   int timeoutMs = 120000);
CliResult runInTerminal(const QStringList &args, const QStringList &env = {}, const QString &workDir = {},
                        int timeoutMs = 120000);

QString cliPath();

// `initscope demo --no-gui -o DIR/demo.initscope`; the path, or empty (with a test failure).
QString makeDemoBundle(const QString &dir);

// The terminal transcript without the progress line's sequences ("\r…\x1b[K" draws and
// "\r\x1b[K" erases).
QByteArray withoutProgress(const QByteArray &transcript);

} // namespace initscope::test
