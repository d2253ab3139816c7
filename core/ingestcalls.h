// Ingest of traced GPU-library calls (see recorder/calltrace.h and recorder/calllog.h).
#pragma once

#include "calldecoder.h"
#include "data.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <cstdint>
#include <functional>

namespace initscope {

class BundleWriter;

// Turns one call's raw registers into {"args": …, "out": …, "result": …}; the catalog's
// decoder (defaultCallDecoder()) in practice. Whatever it leaves out is filled with raw values.
using CallDecoderHook = std::function<QJsonObject(const QString &name, uint32_t api,
                                                  const uint64_t args[6], uint64_t ret,
                                                  const QList<CapturedValue> &outs)>;
// The bundle process id of the image of `pid` that was running at monotonic time ts.
using ProcessLookup = std::function<qint64(qint64 pid, quint64 ts)>;

struct CallLogStats {
    int calls = 0;
    int resolutions = 0;
    int exportTables = 0;
    int unreadable = 0;
};

// The catalog's decoder as a hook.
CallDecoderHook defaultCallDecoder();

// Event kind of a traced call by library family: "cuda.call", "cudart.call", "nvml.call".
QString callEventKind(uint32_t api);

// Adds one event per call that had not returned when its process ended (crash, kill, hang),
// from the in-flight file at path: payload {"unfinished": true, …}, lasting until endTs.
int ingestInflight(const QString &path, quint64 t0, quint64 endTs, const ProcessLookup &processFor,
                   qint64 runId, BundleWriter &writer);

// Adds one event per call recorded in the call log at path. Times become ns since t0.
CallLogStats ingestCallLog(const QString &path, quint64 t0, const ProcessLookup &processFor,
                           qint64 runId, BundleWriter &writer, const CallDecoderHook &decode);

} // namespace initscope
