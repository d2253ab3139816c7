// State of the fake driver that several of its files consult.
#pragma once

#include "fakegpu.h"

namespace fakegpu {

// The mode this libcuda.so.1 runs in: the configured one, or the variant's own when none is
// configured (so pointing a program at lib/fakegpu/no-vmm reproduces that failure alone).
Mode driverMode();

// What cuDriverGetVersion reports (old-driver lowers it).
int reportedDriverVersion();

} // namespace fakegpu
