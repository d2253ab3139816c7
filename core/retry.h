// "Retry with…" (docs/diff.md, Retries): the variations worth trying on a recorded run, made
// from the run's own config — without the shims, each shim alone, other fake-GPU modes,
// CUDA_VISIBLE_DEVICES changes, Ollama's library choices, LD_BIND_NOW, the other injection
// mechanisms, the run as it was — and a person's own environment edits on top of any of them.
#pragma once

#include "recording.h"

#include <QList>
#include <QString>

namespace initscope {

// A retry without a timeout of its own gets this long: a variation may hang, and that can be
// what it shows.
inline constexpr double kRetryTimeoutSeconds = 60;

struct RetryVariation {
    QString id;     // "without-shims", "fakegpu-healthy", "bind-now", …
    QString title;  // "without the shims (the system's real libraries)"
    RecordOptions options;
};

// The run's config (runs.config_json) as options; false with *error when it cannot be read.
bool optionsOfRun(const QByteArray &configJson, RecordOptions *options, QString *error);

// The last one is always "as-recorded": the run again with nothing changed.
QList<RetryVariation> retryVariations(const RecordOptions &original);

// The variation with a person's edits on top: each NAME=value of set is set, each NAME of
// unset removed (after set). Its id stays; its title and run name say what was edited. False
// with *error for an entry that is not NAME=value (set) or not a plain NAME (unset).
bool applyEnvironmentEdits(RetryVariation *variation, const QStringList &set, const QStringList &unset,
                           QString *error);

// The command line and environment a variation would run, for a person to read before
// anything runs (a bundle from another machine): the command quoted for a POSIX shell, the
// base environment, every variable set and unset, the shims and how they are injected.
QString describeRetry(const RecordOptions &options);
// What the variation changes against the run it retries, one line each: "set LD_BIND_NOW=1",
// "unset CUDA_VISIBLE_DEVICES", "INITSCOPE_FAKEGPU_MODE: no-export-tables → healthy",
// "no shim libcuda.so.1", "injection: audit → ld-preload". Empty when nothing differs.
QStringList retryChanges(const RecordOptions &original, const RecordOptions &retry);

} // namespace initscope
