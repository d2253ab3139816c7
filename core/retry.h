// "Retry with…" (docs/diff.md, Retries): the variations worth trying on a recorded run, made
// from the run's own config — without the shims, each shim alone, other fake-GPU modes,
// CUDA_VISIBLE_DEVICES changes, Ollama's library choices, LD_BIND_NOW, the other injection
// mechanisms.
#pragma once

#include "recording.h"

#include <QList>
#include <QString>

namespace initscope {

struct RetryVariation {
    QString id;     // "without-shims", "fakegpu-healthy", "bind-now", …
    QString title;  // "without the shims (the system's real libraries)"
    RecordOptions options;
};

// The run's config (runs.config_json) as options; false with *error when it cannot be read.
bool optionsOfRun(const QByteArray &configJson, RecordOptions *options, QString *error);

QList<RetryVariation> retryVariations(const RecordOptions &original);

// The command line and environment changes a variation would run, for a person to read before
// anything runs (a bundle from another machine).
QString describeRetry(const RecordOptions &options);

} // namespace initscope
