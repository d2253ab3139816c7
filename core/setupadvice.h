// What a failed GPU bring-up result usually means about the machine's setup, and what to check.
// The engine's findings are built from what was recorded; this adds the knowledge of where a
// given driver or NVML result comes from (a daemon that is not running, a kernel module of
// another version, a forward-compatibility library on the wrong GPU), for the fix of an
// init-failed finding and for errors read from a log without a recorded run.
#pragma once

#include "apicatalog.h"

#include <QString>

namespace initscope {

struct SetupAdvice {
    QString cause; // "the NVSwitch fabric manager is not running"; empty when the code has none
    QString fix;   // what to check or change, in the order worth trying
    bool isSetupFault = false; // the machine's setup, not a shim or the target
};

// Advice for a result of a bring-up call (cuInit, cudaGetDeviceCount, nvmlInit, …). The driver
// and runtime share these codes; NVML has its own. An unknown code gives an empty cause.
SetupAdvice setupAdvice(ApiFamily family, qint64 code);

} // namespace initscope
