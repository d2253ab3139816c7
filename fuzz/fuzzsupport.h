// What every fuzz target shares (docs/reliability.md, "Fuzzing"): the application object, a
// scratch folder of the process for the files a parser must read from disk, and the entry
// points libFuzzer calls. The same target sources are linked against libFuzzer (fuzz/) and
// against a plain main() that replays the seed corpora in the normal build (tests/fuzz).
#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace initscope::fuzz
{

// libFuzzer keeps an input only when the target returns 0; this asks it to drop one.
inline constexpr int kRejectInput = -1;

// Creates the one QCoreApplication (QtSql and the presets need it). Call from
// LLVMFuzzerInitialize.
void initApplication(char *argv0);

// A folder of this process on tmpfs (/dev/shm, else the temporary folder), removed at exit.
const QString &scratchDir();

// Writes data to path, replacing the file. False when it cannot be written.
bool writeFile(const QString &path, const char *data, qsizetype size);

// Reports a broken invariant (a round trip that does not give back what went in) as a crash,
// with the two values, so that libFuzzer keeps the input.
[[noreturn]] void invariantBroken(const char *what, const QByteArray &expected,
                                  const QByteArray &got);

} // namespace initscope::fuzz
