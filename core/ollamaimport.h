// Import of an Ollama server log (or of llama.cpp/ggml output) that a user sent, as a bundle of
// one run, so that the diagnosis, the report and the GUI read it like a recorded run. Nothing is
// recorded: the run's processes are the ones the log shows (the server, one per runner it
// started), their output is the log's lines, and the original file travels as an artifact.
// What is inferred and how is documented in docs/ollama-logs.md ("Importing a log").
#pragma once

#include "data.h"

#include <QByteArray>
#include <QString>

namespace initscope {

class BundleWriter;

// The "kind" of the run config of an imported log.
inline constexpr char kImportedLogKind[] = "imported-log";

struct OllamaImportError {
    enum class Code {
        Missing,    // the file does not exist
        Unreadable, // it exists but cannot be read (permissions, a directory, an I/O error)
        Empty,      // it holds no bytes
        NotALog,    // it is not an Ollama server log nor llama.cpp/ggml output
        CannotWrite // the bundle cannot be written
    };
    Code code = Code::NotALog;
    QString message; // one sentence that names the file
};

struct OllamaImportStats {
    int lines = 0;      // physical lines of the log
    int processes = 0;  // processes made (server, runners, other journald identifiers)
    int runners = 0;    // of them, runners the server started
    qint64 bytes = 0;
};

// Why text is not a log this import understands; empty when it is one. A log must hold at least
// one Ollama server record (slog or Go-log form), a journald line of ollama[…], or ggml/llama.cpp
// output (ggml_…, llama_…, llm_load_…, load_backend:, a CUDA error line).
QString ollamaLogProblem(const QByteArray &text);

// Adds one run made from the log text to writer. sourcePath is the file the text came from (its
// name names the run, "Ollama log: <file name>"); the text is kept whole as a "log" artifact.
bool importOllamaLogData(const QByteArray &text, const QString &sourcePath, BundleWriter &writer,
                         OllamaImportStats *stats, OllamaImportError *error);

// Reads logPath and writes a new bundle to bundlePath (replaced atomically if it exists).
bool importOllamaLog(const QString &logPath, const QString &bundlePath, OllamaImportError *error,
                     OllamaImportStats *stats = nullptr);

// True for a run that importOllamaLog() made (its config's "kind" is kImportedLogKind).
bool isImportedLogRun(const Run &run);

// The role the import gave a process, as stored in its process.start event ("server",
// "bootstrap runner", "validation runner", "gpu-discover", "model runner", "log"); empty for a
// process of a recorded run.
QString importedProcessRole(const QByteArray &processStartPayload);

} // namespace initscope
