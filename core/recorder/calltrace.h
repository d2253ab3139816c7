// Call tracing at the GPU boundary: every function of libcuda, libcudart and libnvidia-ml
// that a caller reaches — by PLT binding, by dlsym, or through a pointer that
// cuGetProcAddress handed out — is replaced by a small generated stub that records the call
// (thread, start, end, argument registers, return value, known output values) and then runs
// the real function with the caller's registers and stack untouched.
#pragma once

#include <stdint.h>

namespace initscope::recorder {

// Run directory for the call log; call once from la_version.
void callTraceInit(const char *runDir);

// Library family of a function by its name (RawApi), 0 when it is none of ours.
uint32_t apiOfName(const char *name);

// Returns a stub that traces calls to `real` and forwards them, or `real` itself when no
// more stubs can be made. `name` is copied. reach is a RawReach value.
void *traceFunction(void *real, const char *name, uint32_t reach);

} // namespace initscope::recorder
