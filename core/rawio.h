// Appending raw records from the launcher side (see recorder/rawformat.h).
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <sys/uio.h>

namespace initscope {

// What could not be appended to the launcher's record file (a full disk): once a write fails
// or comes up short, nothing more is written to that descriptor, so the file ends with at most
// one cut record, which ingest skips, and every later record is counted here instead.
struct RawWriteLoss {
    std::atomic<int> brokenFd{-1};
    std::atomic<int> error{0};
    std::atomic<int64_t> lostBytes{0};
    std::atomic<int64_t> lostRecords{0};

    void reset()
    {
        brokenFd = -1;
        error = 0;
        lostBytes = 0;
        lostRecords = 0;
    }
};

inline RawWriteLoss &rawWriteLoss()
{
    static RawWriteLoss loss;
    return loss;
}

// One writev(2) on an O_APPEND descriptor: the record lands whole, whichever thread writes.
inline void appendRecord(int fd, const iovec *parts, int count)
{
    if (fd < 0)
        return;
    size_t total = 0;
    for (int i = 0; i < count; ++i)
        total += parts[i].iov_len;
    RawWriteLoss &loss = rawWriteLoss();
    if (loss.brokenFd.load(std::memory_order_relaxed) == fd) {
        loss.lostBytes += int64_t(total);
        ++loss.lostRecords;
        return;
    }
    ssize_t n;
    while ((n = ::writev(fd, parts, count)) < 0 && errno == EINTR) {
    }
    if (n < 0 || size_t(n) < total) {
        loss.error = n < 0 ? errno : ENOSPC;
        loss.brokenFd = fd;
        loss.lostBytes += int64_t(total);
        ++loss.lostRecords;
    }
}

// The clocks raw records are stamped with (the recorder uses the same ones).
inline int64_t monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t realtimeNs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace initscope
