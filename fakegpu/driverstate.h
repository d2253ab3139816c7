// State of the fake driver that several of its files consult.
#pragma once

#include "driverapi.h"

namespace fakegpu {

// The mode this libcuda.so.1 runs in: the configured one, or the variant's own when none is
// configured (so pointing a program at lib/fakegpu/no-vmm reproduces that failure alone).
Mode driverMode();

// NOT_INITIALIZED before cuInit, INVALID_DEVICE for anything but device 0, else success.
CUresult checkDevice(CUdevice device);

} // namespace fakegpu
