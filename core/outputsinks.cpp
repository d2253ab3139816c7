#include "outputsinks.h"

#include "progress.h"
#include "rawformat.h"
#include "rawio.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fcntl.h>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <poll.h>
#include <sys/stat.h>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace initscope {

namespace {


using PipeId = std::pair<dev_t, ino_t>;

} // namespace

struct OutputSinks::Private {
    struct Sink {
        pid_t pid = 0;
        uint64_t imageKey = 0;
        uint32_t stream = 0;
        int readFd = -1;
        int destFd = -1;
        int holdFd = -1;
        bool destTerminal = false; // destFd is a terminal a progress line may be on
        PipeId pipe{};
        std::thread thread;
        bool done = false;
        std::string partial; // the line being assembled, for the stop patterns
    };

    std::vector<std::string> patterns;
    std::atomic<bool> *hit = nullptr;
    std::string *hitLine = nullptr;
    std::mutex *hitMutex = nullptr;

    // Complete lines of s's stream checked against the stop patterns.
    void watch(Sink *s, const char *data, size_t len)
    {
        if (patterns.empty() || hit->load())
            return;
        s->partial.append(data, len);
        size_t start = 0;
        for (size_t nl; (nl = s->partial.find('\n', start)) != std::string::npos; start = nl + 1) {
            const std::string_view line(s->partial.data() + start, nl - start);
            for (const std::string &p : patterns) {
                if (line.find(p) == std::string_view::npos)
                    continue;
                std::lock_guard lock(*hitMutex);
                if (!hit->load()) {
                    *hitLine = std::string(line);
                    hit->store(true);
                }
                return;
            }
        }
        s->partial.erase(0, start);
        if (s->partial.size() > 64 * 1024)
            s->partial.erase(0, s->partial.size() - 64 * 1024); // a line without end: keep its tail
    }

    int recordFd = -1;
    bool shareTerminal = false;
    qint64 cap = kDefaultOutputCapBytes;
    // Per writing process: bytes recorded, bytes only passed on, and when the cap was reached.
    struct Budget {
        uint64_t imageKey = 0;
        qint64 kept = 0;
        qint64 dropped = 0;
        uint64_t cappedAt = 0;
    };
    std::mutex budgetMutex;
    std::map<pid_t, Budget> budgets;

    // How many of len new bytes of s may be recorded; the rest are counted as dropped.
    size_t allowance(const Sink &s, size_t len)
    {
        std::lock_guard lock(budgetMutex);
        Budget &b = budgets[s.pid];
        b.imageKey = s.imageKey ? s.imageKey : b.imageKey;
        const qint64 room = std::max<qint64>(0, cap - b.kept);
        const size_t kept = size_t(std::min<qint64>(room, qint64(len)));
        b.kept += qint64(kept);
        if (kept < len) {
            if (b.dropped == 0)
                b.cappedAt = monotonicNs();
            b.dropped += qint64(len - kept);
        }
        return kept;
    }

    void recordCapped()
    {
        std::lock_guard lock(budgetMutex);
        for (const auto &[pid, b] : budgets) {
            if (b.dropped == 0)
                continue;
            RawHeader h{};
            RawOutputCapped c{};
            h.type = RAW_OUTPUT_CAPPED;
            h.ts_ns = b.cappedAt;
            h.pid = uint32_t(pid);
            h.size = sizeof h + sizeof c;
            c.image_key = b.imageKey;
            c.cap = uint64_t(cap);
            c.dropped = uint64_t(b.dropped);
            iovec iov[2] = {{&h, sizeof h}, {&c, sizeof c}};
            appendRecord(recordFd, iov, 2);
        }
    }

    std::mutex mutex;
    std::condition_variable doneChanged;
    std::list<Sink> sinks;
    std::map<PipeId, Sink *> livePipes;
    std::atomic<bool> stop{false};
    std::atomic<qint64> received{0};

    void record(const Sink &s, const char *data, size_t len)
    {
        RawHeader h{};
        RawOutput o{};
        h.type = RAW_OUTPUT;
        h.ts_ns = monotonicNs();
        h.pid = uint32_t(s.pid);
        h.size = uint32_t(sizeof h + sizeof o + len);
        o.image_key = s.imageKey;
        o.stream = s.stream;
        o.data_len = uint32_t(len);
        iovec iov[3] = {{&h, sizeof h}, {&o, sizeof o}, {const_cast<char *>(data), len}};
        appendRecord(recordFd, iov, 3);
    }

    // Passes bytes on: 0 when they all went, else the error that stopped them (EPIPE: the
    // destination's reader is gone). A destination that is full waits, as the writer would.
    static int forward(int fd, const char *data, size_t len)
    {
        while (len > 0) {
            const ssize_t w = ::write(fd, data, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 1000);
                continue;
            }
            if (w <= 0)
                return w < 0 ? errno : EIO;
            data += w;
            len -= size_t(w);
        }
        return 0;
    }

    void pump(Sink *s)
    {
        static constexpr size_t kChunk = 64 * 1024;
        auto buffer = std::make_unique<char[]>(kChunk);
        bool destinationOpen = s->destFd >= 0;
        for (;;) {
            pollfd p{s->readFd, POLLIN, 0};
            const int ready = ::poll(&p, 1, 100);
            if (ready == 0) {
                if (stop.load())
                    break;
                continue;
            }
            const ssize_t n = ::read(s->readFd, buffer.get(), kChunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break;
            received.fetch_add(n, std::memory_order_relaxed);
            if (const size_t kept = allowance(*s, size_t(n)); kept > 0)
                record(*s, buffer.get(), kept);
            watch(s, buffer.get(), size_t(n));
            if (destinationOpen) {
                std::optional<Progress::Interruption> pause;
                if (s->destTerminal)
                    pause.emplace();
                const int failed = forward(s->destFd, buffer.get(), size_t(n));
                if (pause)
                    pause->wrote(buffer.get(), size_t(n));
                pause.reset();
                if (failed == EPIPE) {
                    // Without the recorder the writer would now get EPIPE/SIGPIPE; closing our
                    // read end gives it exactly that.
                    break;
                }
                // Any other failure (a destination that cannot be written, such as initscope's
                // own stdout closed by its caller) ends the passing on, not the recording: the
                // writer goes on, and every byte it writes is still kept.
                destinationOpen = failed == 0;
            }
        }
        std::lock_guard lock(mutex);
        livePipes.erase(s->pipe);
        for (int *fd : {&s->readFd, &s->destFd, &s->holdFd}) {
            if (*fd >= 0)
                ::close(*fd);
            *fd = -1;
        }
        s->done = true;
        doneChanged.notify_all();
    }

    void start(pid_t pid, uint64_t imageKey, uint32_t stream, int readFd, int dest, int hold)
    {
        // Called with the mutex held.
        sinks.emplace_back();
        Sink *s = &sinks.back();
        s->pid = pid;
        s->imageKey = imageKey;
        s->stream = stream;
        s->readFd = readFd;
        s->destFd = dest;
        s->holdFd = hold;
        s->destTerminal = shareTerminal && dest >= 0 && ::isatty(dest) == 1;
        ::fcntl(readFd, F_SETFL, ::fcntl(readFd, F_GETFL) | O_NONBLOCK);
        struct stat st{};
        if (::fstat(readFd, &st) == 0) {
            s->pipe = {st.st_dev, st.st_ino};
            livePipes[s->pipe] = s;
        }
        s->thread = std::thread([this, s] { pump(s); });
    }
};

void OutputSinks::watchLines(std::vector<std::string> patterns, std::atomic<bool> *hit, std::string *line,
                             std::mutex *lineMutex)
{
    d->patterns = std::move(patterns);
    d->hit = hit;
    d->hitLine = line;
    d->hitMutex = lineMutex;
}

void OutputSinks::shareTerminalWithProgress()
{
    d->shareTerminal = true;
}

qint64 OutputSinks::bytesRead() const
{
    return d->received.load(std::memory_order_relaxed);
}

OutputSinks::OutputSinks(int recordFd, qint64 capBytes) : d(std::make_unique<Private>())
{
    d->recordFd = recordFd;
    d->cap = capBytes;
}

OutputSinks::~OutputSinks()
{
    finish();
}

void OutputSinks::addRoot(pid_t pid, uint32_t stream, int readFd, int destination)
{
    std::lock_guard lock(d->mutex);
    d->start(pid, 0, stream, readFd, destination, -1);
}

void OutputSinks::addCaptured(pid_t pid, uint64_t imageKey, uint32_t stream, int readFd,
                              int original)
{
    std::lock_guard lock(d->mutex);
    int dest = original;
    int hold = -1;
    struct stat st{};
    if (::fstat(original, &st) == 0 && S_ISFIFO(st.st_mode)) {
        auto it = d->livePipes.find({st.st_dev, st.st_ino});
        if (it != d->livePipes.end() && it->second->destFd >= 0) {
            dest = ::fcntl(it->second->destFd, F_DUPFD_CLOEXEC, 3);
            hold = original;
        }
    }
    d->start(pid, imageKey, stream, readFd, dest, hold);
}

void OutputSinks::finish()
{
    {
        // Normally every writer is gone and each stream ends by itself; a writer that
        // escaped the tree must not keep the recording open forever.
        std::unique_lock lock(d->mutex);
        d->doneChanged.wait_for(lock, std::chrono::seconds(5), [this] {
            for (const auto &s : d->sinks) {
                if (!s.done)
                    return false;
            }
            return true;
        });
    }
    d->stop.store(true);
    for (auto &s : d->sinks) {
        if (s.thread.joinable())
            s.thread.join();
    }
    d->recordCapped();
    d->budgets.clear();
}

} // namespace initscope
