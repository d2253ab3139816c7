// Facts read from an Ollama server log (docs/ollama-logs.md): what Ollama concluded about the
// GPUs, which processes it started for discovery, and the runner errors that explain a fallback
// to the CPU. Plain values; parseOllamaLog() is the only behaviour.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace initscope {

// What stood before the log text on a line, as added by whatever collected it.
enum class OllamaPrefix {
    None,          // the log as Ollama wrote it
    Journald,      // "Jan 05 10:30:21 host ollama[1234]: " (journalctl, syslog)
    DockerCompose, // "ollama  | " (docker compose logs)
    Timestamp,     // "2024-03-06T13:07:32.5146Z " (docker logs -t) or "2024-09-27 13:50:04 "
};

// The record syntax of the server's own lines.
enum class OllamaFormat {
    None,   // no server record at all (runner or llama.cpp output only)
    Legacy, // "2023/11/11 16:00:46 routes.go:696: message" (Go log package, up to early 2025)
    Logfmt, // "time=… level=… source=… msg=… key=value" (slog)
    Mixed,  // both
};

enum class OllamaRunnerRole {
    Model,       // serves a model (also every runner of builds without runner-based discovery)
    Bootstrap,   // first discovery pass, one per library directory
    Validation,  // second discovery pass, restricted to devices (CUDA_VISIBLE_DEVICES, GGML_CUDA_INIT)
    GpuDiscover, // "ollama gpu-discover --lib-dir …"
};

// One parsed server record. For Legacy lines the text before the first key=value is the msg.
struct OllamaRecord {
    int line = 0;    // 1-based line of the input where the record starts
    int endLine = 0; // the line where it ends (a record wrapped over several lines)
    OllamaPrefix prefix = OllamaPrefix::None;
    qint64 pid = 0; // from a journald prefix, 0 otherwise
    QString time;
    QString level;
    QString source;
    QString msg;
    QMap<QString, QString> fields; // every other key=value, values unquoted
};

struct OllamaGpu {
    QString id;
    QString library;
    QString compute;
    QString driver;
    QString name; // name=, or description= where name= is only a backend name such as CUDA0
    QString total;
    QString available;
};

struct OllamaRunner {
    int line = 0; // the "starting runner" record, or the "subprocess" record of an excerpt that starts there
    int port = 0;
    OllamaRunnerRole role = OllamaRunnerRole::Model;
    QString cmd;         // empty when the excerpt starts after the "starting runner" record
    QString libraryPath; // OLLAMA_LIBRARY_PATH of the following "subprocess" record, if logged
    QStringList env;     // NAME=value of the "subprocess" record (the variables Ollama set for it)
};

struct OllamaDiscoveryFailure {
    int line = 0;
    QString error;
    QString libraryPath; // OLLAMA_LIBRARY_PATH= of the record, as printed
};

struct OllamaLog {
    OllamaFormat format = OllamaFormat::None;
    OllamaPrefix prefix = OllamaPrefix::None; // the first non-None prefix seen
    qint64 serverPid = 0;                     // pid of the journald lines naming ollama
    QString version;                          // from "Listening on … (version X)"
    QMap<QString, QString> env;               // server config env=map[…]
    QList<OllamaRecord> records;
    QList<OllamaGpu> gpus; // GPU entries of "inference compute" (the CPU entry is not a GPU)
    QString totalVram;     // total_vram= or "total vram"=
    bool libraryCpu = false;       // an "inference compute" entry with library=cpu
    bool noCompatibleGpus = false; // "no compatible GPUs were discovered" (0.1.x: "no GPU detected")
    QList<OllamaRunner> runners;
    QList<OllamaDiscoveryFailure> discoveryFailures;
    QStringList bootstrapDurations; // duration= of "bootstrap discovery took" records
    QStringList ggmlDevices;        // "Device N: …" lines printed by ggml_cuda_init
    QStringList runnerErrors;       // runner or ggml stderr lines that report a GPU failure
    // Output of Ollama's in-process GPU probe (2024–2025) that names a failed driver or NVML
    // result: "cuInit err: 802", "cuda driver library failed to get device context 46".
    QStringList probeErrors;

    // Ollama's conclusion: it runs on the CPU (library=cpu, total_vram "0 B", no compatible GPU,
    // or no GPU reported while discovery or a runner failed).
    bool cpuFallback = false;
    // Why, most direct first: the runner errors, then the discovery failures.
    QStringList causes;
};

OllamaLog parseOllamaLog(const QByteArray &text);

// Building blocks, public for tests.
struct OllamaLine {
    OllamaPrefix prefix = OllamaPrefix::None;
    qint64 pid = 0;
    QString process; // journald identifier, e.g. "ollama" or "systemd"
    QString text;    // the line without its prefix
};
OllamaLine stripOllamaPrefix(const QString &line);
// Splits a line holding several "time=" records into one string per record.
QStringList splitGluedRecords(const QString &text);
// key=value pairs; keys may be quoted ("total vram"), values quoted with \" \\ \n \t escapes.
// Text that is not key=value is returned under the empty key (joined by single spaces).
QMap<QString, QString> parseLogfmt(const QString &text);
// "map[A:1 B: C:[x y]]" → {A:"1", B:"", C:"[x y]"}
QMap<QString, QString> parseGoMap(const QString &text);
OllamaRunnerRole ollamaRunnerRole(const QString &cmd, bool duringDiscovery, bool restrictedToDevices);
QString ollamaPrefixName(OllamaPrefix prefix);
QString ollamaFormatName(OllamaFormat format);
QString ollamaRunnerRoleName(OllamaRunnerRole role);

} // namespace initscope
