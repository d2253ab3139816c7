// Ingest: turns the raw records of one run directory into a run of a bundle. Everything the
// recorder wrote as raw facts (timestamps, pids, paths, flags) is interpreted here.
#pragma once

#include "data.h"
#include "ingestcalls.h"
#include "redaction.h"

#include <QString>

#include <functional>

namespace initscope {

class BundleWriter;

struct IngestOptions {
    // Which values are secret: redacted in environments, searched for elsewhere.
    RedactionPolicy redaction;
    // Artifacts that belong to the run (shims, configs), added with the run's id.
    QList<Artifact> artifacts;
    // Notes about the run as a whole (how it was stopped), added as recorder.note events at
    // its end.
    QStringList notes;
    // Called as the raw records go into the bundle: bytes of the run directory's record files
    // done, of their total. Often enough for a progress line; cheap to leave unset.
    std::function<void(qint64 done, qint64 total)> progress;
};

struct IngestStats {
    int processes = 0;
    int events = 0;
    int librarySearches = 0;
    int libraryLoads = 0;
    int calls = 0;
    qint64 outputBytes = 0;
    int outputCapped = 0;        // processes whose output went past the cap (not all kept)
    qint64 outputDropped = 0;    // their bytes that were passed on but not kept
    int unreadableRecords = 0; // short or malformed records that were skipped
    qint64 runId = -1;         // the id the run got in the bundle
    RedactionSummary redaction; // what was redacted
};

// Adds `run` (name, command, config, outcome filled in by the caller; timing is taken from
// the records) with everything recorded in runDirectory to writer.
bool ingestRunDirectory(const QString &runDirectory, Run run, BundleWriter &writer,
                        const IngestOptions &options, IngestStats *stats, QString *error);

// The default policy's answers (RedactionPolicy): whether a variable's value must not travel
// in a bundle, and what a bundle keeps of it.
bool isSecretVariable(const QString &name);
QString redactedValue(const QString &name, const QString &value);

} // namespace initscope
