// Colour in the CLI's text output (docs/cli.md, "Colour"): section headings in bold, failure and
// severity words and error lines in colour, on a terminal only. `--color=auto|always|never` on
// every command that colours; NO_COLOR (https://no-color.org) turns `auto` off.
//
// Colour is added to text that has already been through the display guard (bundleruns.h,
// writeStdout): the guard has escaped every control character a bundle brought, so the only
// escape sequences on the way out are InitScope's own.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace initscope::cli {

enum class ColourMode { Auto, Always, Never };

// Takes `--color=WHEN`, `--colour=WHEN` and a bare `--color` (always) out of args, up to a `--`.
// False with *error for a WHEN that is not auto, always or never.
bool takeColourOption(QStringList *args, QString *error);
void setColourMode(ColourMode mode);

// Whether text written to standard output now gets colour: always, never, or for auto when
// standard output is a terminal, NO_COLOR is unset or empty, and TERM is not "dumb".
bool colourOnStdout();

// The guarded text with InitScope's colours: SGR sequences around headings (a line at column 0
// that is the first of the text or is followed by an indented line), severity tags ([root cause],
// [error], [warning], [contributing], [info], [harmless]), failure words (a non-zero exit code, a
// signal, a time-out, CUDA/NVML error names, the `!` of a failed call, the first divergence,
// counts of errors and warnings) and error lines (report and diagnosis).
QByteArray colourize(const QByteArray &guardedUtf8);

// The help line every colouring command lists.
inline constexpr char kColourHelp[] =
    "  --color=WHEN        colour the text: auto (default: on a terminal, unless NO_COLOR is\n"
    "                      set), always or never\n";

} // namespace initscope::cli
