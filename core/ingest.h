// Ingest: turns the raw records of one run directory into a run of a bundle. Everything the
// recorder wrote as raw facts (timestamps, pids, paths, flags) is interpreted here.
#pragma once

#include "data.h"
#include "ingestcalls.h"

#include <QString>

namespace initscope {

class BundleWriter;

struct IngestOptions {
    // Replace values of variables whose names look secret (TOKEN, SECRET, PASSWORD, …).
    bool redactSecrets = true;
    // Artifacts that belong to the run (shims, configs), added with the run's id.
    QList<Artifact> artifacts;
    // Notes about the run as a whole (how it was stopped), added as recorder.note events at
    // its end.
    QStringList notes;
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
};

// Adds `run` (name, command, config, outcome filled in by the caller; timing is taken from
// the records) with everything recorded in runDirectory to writer.
bool ingestRunDirectory(const QString &runDirectory, Run run, BundleWriter &writer,
                        const IngestOptions &options, IngestStats *stats, QString *error);

// True for environment variable names whose values must not travel in a bundle: names that
// contain TOKEN, SECRET, KEY, PASSWORD, PASSWD, CREDENTIAL or AUTH, in any case.
bool isSecretVariable(const QString &name);

// What a bundle keeps of a variable's value: kRedacted for a secret name, else the value with
// the password of any URL in it (scheme://user:password@host) replaced by kRedacted.
inline constexpr char kRedacted[] = "<redacted>";
QString redactedValue(const QString &name, const QString &value);

} // namespace initscope
