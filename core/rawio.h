// Appending raw records from the launcher side (see recorder/rawformat.h).
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <sys/uio.h>

namespace initscope {

// One writev(2) on an O_APPEND descriptor: the record lands whole, whichever thread writes.
inline void appendRecord(int fd, const iovec *parts, int count)
{
    if (fd < 0)
        return;
    while (::writev(fd, parts, count) < 0 && errno == EINTR) {
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
