// Ingest of the recorder's call rings (<stem>.ring and <stem>.calls, rawformat.h): one event
// per traced call, with the resolver and export-table facts merged into the call that
// produced them.
#include "ingestcalls.h"

#include "bundle.h"
#include "callpayload.h"
#include "rawformat.h"

#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstring>

namespace initscope {

QString callEventKind(uint32_t api)
{
    switch (api) {
    case RAW_API_RUNTIME:
        return QStringLiteral("cudart.call");
    case RAW_API_NVML:
        return QStringLiteral("nvml.call");
    default:
        return QStringLiteral("cuda.call");
    }
}

void CallClock::addReading(quint64 ticks, quint64 monotonicNs)
{
    if (ticks && monotonicNs)
        m_readings.emplace_back(ticks, monotonicNs);
}

void CallClock::finish()
{
    std::sort(m_readings.begin(), m_readings.end());
    // Both clocks only go forward: a reading that says otherwise (two taken within the
    // jitter of each other) is dropped, so that the mapping never runs backwards.
    std::vector<std::pair<quint64, quint64>> kept;
    kept.reserve(m_readings.size());
    for (const auto &r : m_readings) {
        if (!kept.empty() && (r.first == kept.back().first || r.second < kept.back().second))
            continue;
        kept.push_back(r);
    }
    m_readings = std::move(kept);
    m_rate = 1.0;
    if (m_readings.size() >= 2 && m_readings.back().first > m_readings.front().first)
        m_rate = double(m_readings.back().second - m_readings.front().second) /
                 double(m_readings.back().first - m_readings.front().first);
}

namespace {

// Nanoseconds as a quint64, saturated: readings or ticks that no recorder writes (a damaged ring)
// can put a time outside its range, where converting the double would be undefined.
quint64 saturatedNs(double ns)
{
    if (!(ns > 0))
        return 0;
    return ns >= 18446744073709551616.0 ? ~quint64(0) : quint64(ns);
}

} // namespace

quint64 CallClock::toMonotonic(quint64 ticks) const
{
    if (m_identity || m_readings.empty())
        return ticks;
    auto it = std::upper_bound(m_readings.begin(), m_readings.end(), std::make_pair(ticks, ~quint64(0)));
    const auto extrapolate = [&](const std::pair<quint64, quint64> &from) {
        const double delta = (double(ticks) - double(from.first)) * m_rate;
        return saturatedNs(double(from.second) + delta);
    };
    if (it == m_readings.begin())
        return extrapolate(*it);
    if (it == m_readings.end())
        return extrapolate(m_readings.back());
    const auto &a = *(it - 1);
    const auto &b = *it;
    const double f = double(ticks - a.first) / double(b.first - a.first);
    return a.second + saturatedNs(f * double(b.second - a.second));
}

namespace {

// A ring file and the .calls file beside it, mapped.
class RingFiles
{
public:
    explicit RingFiles(const QString &ringPath) : m_ring(ringPath)
    {
        QString callsPath = ringPath;
        callsPath.chop(4);
        m_calls.setFileName(callsPath + QStringLiteral("calls"));
        if (!m_ring.open(QIODevice::ReadOnly) || m_ring.size() < 4096)
            return;
        m_ringData = m_ring.map(0, m_ring.size());
        if (!m_ringData)
            return;
        std::memcpy(&m_header, m_ringData, sizeof m_header);
        if (m_header.magic != INITSCOPE_RING_MAGIC || m_header.lanes == 0 || m_header.lanes > 64 ||
            m_header.lane_size == 0 || (m_header.lane_size & (m_header.lane_size - 1)) != 0 ||
            4096 + qint64(m_header.lanes) * m_header.lane_size > m_ring.size()) {
            m_ringData = nullptr;
            return;
        }
        if (m_calls.open(QIODevice::ReadOnly) && m_calls.size() > 0)
            m_callsData = m_calls.map(0, m_calls.size());
    }

    bool valid() const { return m_ringData != nullptr; }
    const RawRingHeader &header() const { return m_header; }

    RawLane lane(uint32_t i) const
    {
        RawLane l;
        std::memcpy(&l, m_ringData + 64 + size_t(i) * 64, sizeof l);
        return l;
    }

    const uchar *laneData(uint32_t i) const { return m_ringData + 4096 + size_t(i) * m_header.lane_size; }

    // Calls fn(block, bytes) for each block of the .calls file; returns the bytes it could not
    // read as blocks (holes left by a writer killed between reserving and writing).
    template <typename Fn>
    quint64 forEachBlock(Fn &&fn) const
    {
        quint64 skipped = 0;
        if (!m_callsData)
            return 0;
        const size_t size = size_t(m_calls.size());
        size_t pos = 0;
        while (pos + sizeof(RawBlock) <= size) {
            RawBlock b;
            std::memcpy(&b, m_callsData + pos, sizeof b);
            if (b.magic != INITSCOPE_BLOCK_MAGIC || b.lane >= m_header.lanes ||
                b.size > size - pos - sizeof b) {
                pos += 8;
                skipped += 8;
                continue;
            }
            fn(b, m_callsData + pos + sizeof b);
            pos += (sizeof b + b.size + 7) & ~size_t(7);
        }
        return skipped;
    }

private:
    QFile m_ring;
    QFile m_calls;
    const uchar *m_ringData = nullptr;
    const uchar *m_callsData = nullptr;
    RawRingHeader m_header{};
};

// One call as the lane recorded it; names and times are resolved once every record is read.
struct LaneCall {
    quint64 start = 0;
    quint64 end = 0;
    quint64 ret = 0;
    quint32 tid = 0;
    quint16 slot = 0;
    quint8 depth = 0;
    quint8 nargs = 0;
    const uchar *args = nullptr; // nargs × 8 bytes
    const uchar *outs = nullptr;
    quint8 outCount = 0;
    size_t outBytes = 0;
};

struct SlotInfo {
    QString name;
    quint8 api = 0;
    quint8 reach = 0;
    bool defined = false;
};

struct Extra {
    QJsonObject resolved;
    QJsonObject exportTable;
};

} // namespace

CallClock readCallClock(const QString &runDirectory,
                        const std::vector<std::pair<quint64, quint64>> &launcherReadings)
{
    CallClock clock;
    bool anyTsc = false;
    const QDir dir(runDirectory);
    for (const QString &name : dir.entryList({QStringLiteral("*.ring")}, QDir::Files, QDir::Name)) {
        RingFiles files(dir.filePath(name));
        if (!files.valid() || files.header().clock != RAW_CLOCK_TSC)
            continue;
        anyTsc = true;
        clock.addReading(files.header().ticks0, files.header().mono0_ns);
        files.forEachBlock([&](const RawBlock &b, const uchar *) { clock.addReading(b.ticks, b.mono_ns); });
    }
    clock.setTicksAreNs(!anyTsc);
    if (anyTsc) {
        for (const auto &r : launcherReadings)
            clock.addReading(r.first, r.second);
    }
    clock.finish();
    return clock;
}

int ingestInflight(const QString &path, const CallClock &clock, quint64 t0, const ProcessEndLookup &endOf,
                   const ProcessLookup &processFor, qint64 runId, BundleWriter &writer)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray data = file.readAll();
    const qsizetype slotCount = data.size() / qsizetype(sizeof(RawInflightSlot));
    const qint64 pid = QFileInfo(path).fileName().section(QLatin1Char('.'), 0, 0).toLongLong();
    int added = 0;
    for (qsizetype i = 0; i < slotCount; ++i) {
        RawInflightSlot slot;
        std::memcpy(&slot, data.constData() + i * qsizetype(sizeof slot), sizeof slot);
        if (slot.tid == 0 || slot.depth == 0)
            continue;
        const uint32_t kept = std::min<uint32_t>(slot.depth, INITSCOPE_INFLIGHT_DEPTH);
        for (uint32_t d = 0; d < kept; ++d) {
            const RawInflightFrame &f = slot.frames[d];
            const QString name = QString::fromLatin1(f.name, qsizetype(qstrnlen(f.name, sizeof f.name)));
            if (name.isEmpty() || f.start_ns == 0)
                continue;
            const quint64 start = clock.toMonotonic(f.start_ns);
            const quint64 endTs = endOf(pid, start);
            const uint32_t api = name.startsWith(QLatin1String("cuda"))   ? RAW_API_RUNTIME
                                 : name.startsWith(QLatin1String("nvml")) ? RAW_API_NVML
                                                                          : RAW_API_DRIVER;
            Event e;
            e.runId = runId;
            e.processId = processFor(pid, start);
            e.tid = slot.tid;
            e.tsNs = qint64(start - t0); // unsigned: a damaged time wraps instead of overflowing
            e.durNs = endTs > start ? qint64(endTs - start) : 0;
            e.kind = callEventKind(api);
            e.name = name;
            e.payload = QJsonDocument(QJsonObject{
                                          {QStringLiteral("unfinished"), true},
                                          {QStringLiteral("depth"), qint64(d)},
                                          {QStringLiteral("summary"),
                                           QStringLiteral("%1(…) had not returned when the process ended").arg(name)}})
                            .toJson(QJsonDocument::Compact);
            writer.addEvent(e);
            ++added;
        }
    }
    return added;
}

CallLogStats ingestCallRing(const QString &ringPath, const CallClock &clock, quint64 t0,
                            const ProcessLookup &processFor, qint64 runId, BundleWriter &writer)
{
    CallLogStats stats;
    RingFiles files(ringPath);
    if (!files.valid()) {
        ++stats.unreadable;
        return stats;
    }
    const RawRingHeader &header = files.header();
    const quint64 laneSize = header.lane_size;
    stats.droppedBytes = header.dropped;

    // Each lane's stream, as pieces by stream offset: the blocks of the .calls file, then
    // what the ring still holds between tail and head.
    struct Piece {
        quint64 offset;
        const uchar *data;
        quint64 size;
        QByteArray owned; // a ring remainder that wrapped, made contiguous
    };
    std::vector<std::vector<Piece>> pieces(header.lanes);
    stats.unreadable += int(files.forEachBlock([&](const RawBlock &b, const uchar *data) {
        pieces[b.lane].push_back({b.offset, data, b.size, {}});
    }) / 8);
    for (uint32_t i = 0; i < header.lanes; ++i) {
        const RawLane lane = files.lane(i);
        if (lane.head <= lane.tail || lane.head - lane.tail > laneSize)
            continue;
        const quint64 size = lane.head - lane.tail;
        const quint64 from = lane.tail & (laneSize - 1);
        const uchar *data = files.laneData(i);
        if (from + size <= laneSize) {
            pieces[i].push_back({lane.tail, data + from, size, {}});
        } else {
            Piece p{lane.tail, nullptr, size, {}};
            p.owned = QByteArray(reinterpret_cast<const char *>(data + from), qsizetype(laneSize - from));
            p.owned.append(reinterpret_cast<const char *>(data), qsizetype(size - (laneSize - from)));
            p.data = reinterpret_cast<const uchar *>(p.owned.constData());
            pieces[i].push_back(std::move(p));
        }
    }

    QHash<quint16, SlotInfo> slotInfo;
    std::vector<LaneCall> calls;
    QHash<QPair<quint32, quint64>, Extra> extras; // (tid, start ticks) → resolver / table facts
    for (uint32_t laneIndex = 0; laneIndex < header.lanes; ++laneIndex) {
        auto &list = pieces[laneIndex];
        std::stable_sort(list.begin(), list.end(),
                         [](const Piece &a, const Piece &b) { return a.offset < b.offset; });
        quint64 covered = 0;
        quint32 tid = 0;
        for (const Piece &piece : list) {
            const quint64 end = piece.offset + piece.size;
            if (end <= covered)
                continue; // already read (a flush the writer did not get to mark done)
            quint64 at = std::max(covered, piece.offset);
            while (at + sizeof(RawLaneRecord) <= end) {
                const uchar *p = piece.data + (at - piece.offset);
                RawLaneRecord r;
                std::memcpy(&r, p, sizeof r);
                if (r.type == LANE_PAD) {
                    at = (at | (laneSize - 1)) + 1;
                    continue;
                }
                if (r.size < sizeof r || r.size % 8 != 0 || at + r.size > end) {
                    ++stats.unreadable;
                    break;
                }
                const size_t len = r.size;
                switch (r.type) {
                case LANE_THREAD:
                    if (len >= 12)
                        std::memcpy(&tid, p + 8, 4);
                    break;
                case LANE_SLOT: {
                    quint32 nameLen = 0;
                    if (len >= 12)
                        std::memcpy(&nameLen, p + 8, 4);
                    if (12 + size_t(nameLen) > len)
                        break;
                    SlotInfo &info = slotInfo[r.b];
                    info.name = QString::fromLatin1(reinterpret_cast<const char *>(p + 12), qsizetype(nameLen));
                    info.api = r.c;
                    info.reach = r.d;
                    info.defined = true;
                    break;
                }
                case LANE_CALL: {
                    if (len < sizeof(RawLaneCall))
                        break;
                    RawLaneCall c;
                    std::memcpy(&c, p, sizeof c);
                    LaneCall call;
                    call.tid = tid;
                    call.slot = r.b;
                    call.depth = r.c;
                    call.nargs = std::min<quint8>(r.a, 6);
                    call.start = c.start;
                    call.ret = c.ret_low;
                    size_t pos = sizeof c;
                    if (r.d & LANE_CALL_RET_HIGH) {
                        quint64 high = 0;
                        if (pos + 8 <= len)
                            std::memcpy(&high, p + pos, 8);
                        call.ret |= high << 32;
                        pos += 8;
                    }
                    call.end = c.start + c.duration;
                    if (r.d & LANE_CALL_LONG) {
                        if (pos + 8 <= len)
                            std::memcpy(&call.end, p + pos, 8);
                        pos += 8;
                    }
                    if (pos + size_t(call.nargs) * 8 > len)
                        break;
                    call.args = p + pos;
                    pos += size_t(call.nargs) * 8;
                    call.outs = p + pos;
                    call.outBytes = len - pos;
                    call.outCount = quint8((r.d >> LANE_CALL_OUT_SHIFT) & 7);
                    calls.push_back(call);
                    break;
                }
                case LANE_PROC_ADDRESS: {
                    RawProcAddress pa;
                    if (len < 16 + sizeof pa)
                        break;
                    quint64 start = 0;
                    std::memcpy(&start, p + 8, 8);
                    std::memcpy(&pa, p + 16, sizeof pa);
                    if (16 + sizeof pa + pa.symbol_len + pa.owner_len + pa.owner_symbol_len > len)
                        break;
                    const char *str = reinterpret_cast<const char *>(p + 16 + sizeof pa);
                    const DecodedCall decoded = decodeProcAddress(
                        pa, QString::fromLatin1(str, qsizetype(pa.symbol_len)),
                        QString::fromLocal8Bit(str + pa.symbol_len, qsizetype(pa.owner_len)),
                        QString::fromLatin1(str + pa.symbol_len + pa.owner_len, qsizetype(pa.owner_symbol_len)));
                    QJsonObject resolved = decoded.json;
                    resolved.insert(QStringLiteral("summary"), decoded.summary);
                    extras[{tid, start}].resolved = resolved;
                    ++stats.resolutions;
                    break;
                }
                case LANE_EXPORT_TABLE: {
                    RawExportTable e;
                    if (len < 16 + sizeof e)
                        break;
                    quint64 start = 0;
                    std::memcpy(&start, p + 8, 8);
                    std::memcpy(&e, p + 16, sizeof e);
                    const DecodedCall decoded = decodeExportTable(e);
                    QJsonObject table = decoded.json;
                    table.insert(QStringLiteral("summary"), decoded.summary);
                    extras[{tid, start}].exportTable = table;
                    ++stats.exportTables;
                    break;
                }
                default:
                    break; // a record of a later recorder: skipped
                }
                at += len;
            }
            covered = std::max(covered, at);
        }
    }

    // The order the calls returned in, as the process saw them end.
    const auto byEnd = [](const LaneCall &a, const LaneCall &b) { return a.end < b.end; };
    if (!std::is_sorted(calls.begin(), calls.end(), byEnd)) // one thread's calls already are
        std::stable_sort(calls.begin(), calls.end(), byEnd);
    const qint64 pid = qint64(header.pid);
    // Per slot: its name once as a QString, and whether its return value is a result code.
    QHash<quint16, std::pair<QString, bool>> slotFacts;
    for (auto it = slotInfo.cbegin(); it != slotInfo.cend(); ++it) {
        const FunctionSpec *spec = ApiCatalog::instance().function(it->name);
        slotFacts.insert(it.key(), {it->name, spec ? spec->returnKind == ReturnKind::ResultCode : true});
    }
    const QString kinds[4] = {callEventKind(0), callEventKind(RAW_API_DRIVER),
                              callEventKind(RAW_API_RUNTIME), callEventKind(RAW_API_NVML)};
    CompactCall compact;
    for (const LaneCall &c : calls) {
        const SlotInfo &info = slotInfo[c.slot];
        auto facts = slotFacts.constFind(c.slot);
        const QString name = facts != slotFacts.constEnd() ? facts->first : QStringLiteral("slot%1").arg(c.slot);
        const bool resultCode = facts != slotFacts.constEnd() ? facts->second : true;
        compact.api = info.api;
        compact.reach = info.reach;
        compact.depth = c.depth;
        compact.argCount = c.nargs;
        compact.ret = c.ret;
        compact.ok = !resultCode || qint32(quint32(c.ret)) == 0;
        compact.args = {};
        if (c.nargs)
            std::memcpy(compact.args.data(), c.args, size_t(c.nargs) * 8);
        compact.outputs.clear();
        size_t at = 0;
        for (unsigned i = 0; i < c.outCount && at + sizeof(RawOutValue) <= c.outBytes; ++i) {
            RawOutValue v;
            std::memcpy(&v, c.outs + at, sizeof v);
            at += sizeof v;
            if (at + v.len > c.outBytes)
                break;
            compact.outputs.append({v.arg, QByteArray(reinterpret_cast<const char *>(c.outs + at), qsizetype(v.len))});
            at += v.len;
        }
        compact.resolvedJson.clear();
        compact.exportTableJson.clear();
        if (const auto it = extras.constFind({c.tid, c.start}); it != extras.constEnd()) {
            if (!it->resolved.isEmpty())
                compact.resolvedJson = QJsonDocument(it->resolved).toJson(QJsonDocument::Compact);
            if (!it->exportTable.isEmpty())
                compact.exportTableJson = QJsonDocument(it->exportTable).toJson(QJsonDocument::Compact);
        }
        const quint64 start = clock.toMonotonic(c.start);
        const quint64 end = clock.toMonotonic(c.end);
        Event event;
        event.runId = runId;
        event.processId = processFor(pid, start);
        event.tid = c.tid;
        event.tsNs = qint64(start - t0); // unsigned: a damaged time wraps instead of overflowing
        event.durNs = end > start ? qint64(end - start) : 0;
        event.kind = kinds[info.api <= RAW_API_NVML ? info.api : 0];
        event.name = name;
        event.payload = encodeCompactCall(compact);
        writer.addEvent(event);
        ++stats.calls;
    }
    return stats;
}

} // namespace initscope
