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
#include <utility>
#include <vector>

namespace initscope {

class BundleWriter;

// The bundle process id of the image of `pid` that was running at monotonic time ts.
using ProcessLookup = std::function<qint64(qint64 pid, quint64 ts)>;

struct CallLogStats {
    int calls = 0;
    int resolutions = 0;
    int exportTables = 0;
    int unreadable = 0;
    quint64 droppedBytes = 0; // call records the recorder could not keep (rawformat.h)
};

// Turns times of the recorder's call clock into CLOCK_MONOTONIC ns: from readings of both
// clocks taken together (ring headers, lane blocks, the launcher's RAW_CLOCK records),
// interpolated between the nearest ones. For rings that keep CLOCK_MONOTONIC it is the
// identity.
class CallClock
{
public:
    void addReading(quint64 ticks, quint64 monotonicNs);
    void setTicksAreNs(bool identity) { m_identity = identity; }
    bool ticksAreNs() const { return m_identity; }
    // Sorts the readings; call once after the last addReading().
    void finish();
    quint64 toMonotonic(quint64 ticks) const;
    // Nanoseconds per tick over all readings (1 without two distinct ones).
    double nsPerTick() const { return m_rate; }

private:
    std::vector<std::pair<quint64, quint64>> m_readings;
    double m_rate = 1.0;
    bool m_identity = true;
};

// The call clock of a run directory: the kind from its rings, the readings from the rings,
// their blocks and the launcher's RAW_CLOCK records (given as (ticks, ns) pairs).
CallClock readCallClock(const QString &runDirectory,
                        const std::vector<std::pair<quint64, quint64>> &launcherReadings);

// The event kind of a traced call by library family: "cuda.call", "cudart.call", "nvml.call".
QString callEventKind(uint32_t api);

// When the image of `pid` that was running at monotonic time ts ended (exit, death or exec).
using ProcessEndLookup = std::function<quint64(qint64 pid, quint64 ts)>;

// Adds one event per call that had not returned when its process image ended (crash, kill,
// hang, or an exec while another thread was inside a call), from the in-flight file at path
// (<pid>.inflight or <pid>.N.inflight): payload {"unfinished": true, …}, lasting until the
// image's end.
int ingestInflight(const QString &path, const CallClock &clock, quint64 t0, const ProcessEndLookup &endOf,
                   const ProcessLookup &processFor, qint64 runId, BundleWriter &writer);

// Adds one event per call recorded in the ring at ringPath and the .calls file beside it, its
// payload in the compact stored form (callpayload.h). Times become ns since t0.
CallLogStats ingestCallRing(const QString &ringPath, const CallClock &clock, quint64 t0,
                            const ProcessLookup &processFor, qint64 runId, BundleWriter &writer);

} // namespace initscope
