// A small bundle whose calls look exactly like what ingest writes (docs/api-catalog.md):
// an Ollama-like server asking NVML about the GPU, and a runner whose CUDA runtime resolves
// the driver's entry points through cuGetProcAddress_v2 from a shim, calls them through those
// pointers, is refused the CUDART_INTERFACE export table, and dies inside a cuInit on another
// thread. Known ids let the Calls tab tests check selection, filters and resolver links.
#pragma once

#include <QString>

namespace initscope::testing
{

struct CallSampleIds {
    qint64 runId = -1;
    qint64 serverId = -1; // pid 7100
    qint64 runnerId = -1; // pid 7200
    // Calls, in time order.
    qint64 nvmlInit = -1;
    qint64 nvmlCount = -1;
    qint64 nvmlName = -1;
    qint64 resolveInit = -1;        // cuGetProcAddress_v2("cuInit") → the shim's cuInit
    qint64 resolveExportTable = -1; // cuGetProcAddress_v2("cuGetExportTable")
    qint64 resolveMissing = -1;     // cuGetProcAddress_v2("cuGraphAddNode") → CUDA_ERROR_NOT_FOUND
    qint64 deviceCount = -1;        // cudaGetDeviceCount → cudaErrorNotSupported
    qint64 initViaPointer = -1;     // cuInit through the resolver's pointer, inside deviceCount
    qint64 exportTable = -1;        // cuGetExportTable(CUDART_INTERFACE) → CUDA_ERROR_NOT_SUPPORTED
    qint64 initOtherThread = -1;    // cuInit on thread 7203
    qint64 driverCount = -1;        // cuDeviceGetCount bound through the PLT
    qint64 unfinished = -1;         // cuInit the process died in
    qint64 runnerStart = -1;        // the runner's process.start event
};

bool writeCallSample(const QString &path, CallSampleIds *ids, QString *error);

} // namespace initscope::testing
