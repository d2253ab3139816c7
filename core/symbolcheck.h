// The symbol-export checker: will this set of shims satisfy these consumers, in this order of
// loading, for these CUDA versions? Compares the ELF facts of shims and consumers (elfimage.h),
// optionally a reference manifest of a real library (symbolmanifest.h) and the names a recorded
// run asked for at run time. Each finding has a severity and a fix; docs/symbols.md lists the
// checks.
#pragma once

#include "elfimage.h"
#include "symbolmanifest.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

class BundleReader;

// A name a recorded run asked a GPU library for at run time (cuGetProcAddress, or a dlsym the
// recorder saw bind).
struct RuntimeRequest {
    QString symbol;
    QString via;       // "cuGetProcAddress_v2", "dlsym", …
    int cudaVersion = 0;
    bool provided = false; // the library handed out a function
    QString process;   // "pid 123 (ollama)"
};

struct SymbolCheckInput {
    QList<ElfImage> shims;     // in the order they are loaded: the first definition wins
    QList<ElfImage> consumers; // programs and libraries that use the shims
    std::optional<SymbolManifest> reference;
    QList<RuntimeRequest> requests; // from a bundle, if one was given
    QString bundlePath;
};

enum class CheckSeverity { Error, Warning, Info };
QString checkSeverityName(CheckSeverity severity); // "error", "warning", "info"

struct SymbolFinding {
    QString id; // "missing-import", "hidden-definition", "wrong-type", "version-missing",
                // "soname-mismatch", "wrong-class", "variant-missing", "runtime-name-missing",
                // "runtime-request-missing",
                // "reference-coverage", "no-version-info"
    CheckSeverity severity = CheckSeverity::Error;
    QString title;
    QString detail;
    QString fix;
    QString library;  // the shim or consumer it is about
    QStringList symbols;
};

// One symbol one consumer needs, and who provides it.
struct SymbolRow {
    QString consumer;   // file name of the consumer ("run" for names a recorded run asked for)
    QString symbol;
    QString version;    // the version the consumer requires, if any
    QString how;        // "import" (linked), "by name" (held as data), "run time" (bundle)
    QString providedBy; // file name of the first shim that exports it, or empty
    QString status;     // "ok", "missing", "hidden", "wrong type", "version missing"
};

struct SymbolCheckResult {
    QList<SymbolFinding> findings; // errors first, then warnings, then information
    QList<SymbolRow> rows;
    bool hasErrors() const;
};

SymbolCheckResult checkSymbols(const SymbolCheckInput &input);

// The names the runs of a bundle (or the one run runId) asked for at run time: every
// cuGetProcAddress lookup (provided or not), and each function bound through dlsym and called
// (a failed dlsym leaves no trace for the recorder).
QList<RuntimeRequest> runtimeRequests(const BundleReader &reader, qint64 runId = -1);

// The check of one recorded run from what its bundle keeps: the stored ELF facts of its shims
// (its real driver libraries when it had none) and consumers, its lookups, and the built-in
// manifest of the real driver for the shims' API. Empty input (no facts) gives no findings.
SymbolCheckResult checkRecordedRun(const BundleReader &reader, qint64 runId);

QString formatSymbolCheckText(const SymbolCheckResult &result);
QJsonObject symbolCheckToJson(const SymbolCheckResult &result); // {"format": "initscope-symbols", …}

} // namespace initscope
