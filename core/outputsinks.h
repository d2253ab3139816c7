// The launcher's side of output capture: one thread per captured stream copies every byte to
// where the process originally meant it to go and appends it to the raw record file.
#pragma once

#include <QtGlobal>

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace initscope {

// What a process may leave in the record before the rest of its output is only passed on
// (docs/recording.md, "Output floods").
inline constexpr qint64 kDefaultOutputCapBytes = 256ll << 20;

class OutputSinks
{
public:
    // capBytes: the most output bytes of one process (all its streams) that are recorded;
    // beyond it bytes are still passed on, counted, and reported in a RAW_OUTPUT_CAPPED record.
    explicit OutputSinks(int recordFd, qint64 capBytes = kDefaultOutputCapBytes);
    ~OutputSinks();
    OutputSinks(const OutputSinks &) = delete;
    OutputSinks &operator=(const OutputSinks &) = delete;

    // A pipe the launcher made for the root: destination is where the bytes go on.
    void addRoot(pid_t pid, uint32_t stream, int readFd, int destination);
    // A stream a recorder handed over: `original` is the descriptor the process had before.
    // When `original` is itself one of our pipes, the bytes skip it and go straight to its
    // destination (so they are recorded once, for the process that wrote them), while the
    // original stays open until this stream ends, as it would have without the recorder.
    void addCaptured(pid_t pid, uint64_t imageKey, uint32_t stream, int readFd, int original);
    // Waits for every stream to reach end of file.
    void finish();

    // Lines containing one of patterns (plain text) set *hit and keep the first such line in
    // *line (guarded by *lineMutex). Set before the first stream is added.
    void watchLines(std::vector<std::string> patterns, std::atomic<bool> *hit, std::string *line, std::mutex *lineMutex);

    // Bytes passed on to a terminal go out inside a Progress::Interruption, so that a progress
    // line on the same terminal is erased first and never cuts into them. Set before the first
    // stream is added.
    void shareTerminalWithProgress();

    // Bytes read from every stream so far (recorded or not): for progress.
    qint64 bytesRead() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace initscope
