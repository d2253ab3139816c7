// Appending raw records from the launcher side (see recorder/rawformat.h).
#pragma once

#include <cerrno>
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

} // namespace initscope
