// Ingest of the recorder's call logs (<pid>.calls): one event per traced call, with the
// resolver and export-table facts merged into the call that produced them.
#include "ingestcalls.h"

#include "bundle.h"
#include "rawformat.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstring>

namespace initscope {

namespace {

QString hex(quint64 v)
{
    return QStringLiteral("0x") + QString::number(v, 16);
}

QString reachName(uint32_t reach)
{
    switch (reach) {
    case RAW_REACH_BINDING:
        return QStringLiteral("binding");
    case RAW_REACH_DLSYM:
        return QStringLiteral("dlsym");
    case RAW_REACH_PROC_ADDRESS:
        return QStringLiteral("cuGetProcAddress");
    default:
        return QStringLiteral("unknown");
    }
}

struct PendingCall {
    Event event;
    QJsonObject payload;
};

} // namespace

CallDecoderHook defaultCallDecoder()
{
    return [](const QString &name, uint32_t api, const uint64_t args[6], uint64_t ret,
              const QList<CapturedValue> &outs) {
        std::array<quint64, 6> regs{};
        for (int i = 0; i < 6; ++i)
            regs[size_t(i)] = args[i];
        DecodedCall decoded = decodeCall(name, ApiFamily(api), regs, ret, outs);
        QJsonObject json = decoded.json;
        json.insert(QStringLiteral("summary"), decoded.summary);
        return json;
    };
}

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

int ingestInflight(const QString &path, quint64 t0, quint64 endTs, const ProcessLookup &processFor,
                   qint64 runId, BundleWriter &writer)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray data = file.readAll();
    const qsizetype slotCount = data.size() / qsizetype(sizeof(RawInflightSlot));
    const qint64 pid = QFileInfo(path).completeBaseName().toLongLong();
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
            const uint32_t api = name.startsWith(QLatin1String("cuda"))   ? RAW_API_RUNTIME
                                 : name.startsWith(QLatin1String("nvml")) ? RAW_API_NVML
                                                                          : RAW_API_DRIVER;
            Event e;
            e.runId = runId;
            e.processId = processFor(pid, f.start_ns);
            e.tid = slot.tid;
            e.tsNs = qint64(f.start_ns) - qint64(t0);
            e.durNs = endTs > f.start_ns ? qint64(endTs - f.start_ns) : 0;
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

CallLogStats ingestCallLog(const QString &path, quint64 t0, const ProcessLookup &processFor,
                           qint64 runId, BundleWriter &writer, const CallDecoderHook &decode)
{
    CallLogStats stats;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || file.size() == 0)
        return stats;
    const uchar *data = file.map(0, file.size());
    if (!data)
        return stats;
    const size_t size = size_t(file.size());

    QList<PendingCall> calls;
    QHash<QPair<quint32, quint64>, qsizetype> byStart; // (tid, start) → index in calls
    size_t pos = 0;
    while (pos + sizeof(RawHeader) <= size) {
        RawHeader h;
        std::memcpy(&h, data + pos, sizeof h);
        // Holes (uncommitted records, the unused tail) read as zero: step over them.
        if (h.size == 0) {
            pos += 8;
            continue;
        }
        if (h.size < sizeof h || h.size % 8 != 0 || pos + h.size > size) {
            ++stats.unreadable;
            pos += 8;
            continue;
        }
        const uchar *p = data + pos + sizeof h;
        const size_t len = h.size - sizeof h;
        pos += h.size;
        if (h.type == RAW_CALL && len >= sizeof(RawCall)) {
            RawCall c;
            std::memcpy(&c, p, sizeof c);
            if (sizeof c + c.name_len > len)
                continue;
            const QString name = QString::fromLatin1(reinterpret_cast<const char *>(p + sizeof c),
                                                     qsizetype(c.name_len));
            QList<CapturedValue> outs;
            size_t at = sizeof c + c.name_len;
            for (uint32_t i = 0; i < c.out_count && at + sizeof(RawOutValue) <= len; ++i) {
                RawOutValue v;
                std::memcpy(&v, p + at, sizeof v);
                at += sizeof v;
                if (at + v.len > len)
                    break;
                outs.append({v.arg, QByteArray(reinterpret_cast<const char *>(p + at), qsizetype(v.len))});
                at += v.len;
            }
            PendingCall call;
            call.event.runId = runId;
            call.event.processId = processFor(h.pid, h.ts_ns);
            call.event.tid = h.tid;
            call.event.tsNs = qint64(h.ts_ns) - qint64(t0);
            call.event.durNs = c.end_ns > h.ts_ns ? qint64(c.end_ns - h.ts_ns) : 0;
            call.event.kind = callEventKind(c.api);
            call.event.name = name;
            QJsonObject payload = decode ? decode(name, c.api, c.args, c.ret, outs) : QJsonObject();
            if (!payload.contains(QStringLiteral("args"))) {
                QJsonArray args;
                for (quint64 a : c.args)
                    args.append(hex(a));
                payload.insert(QStringLiteral("args"), args);
            }
            if (!payload.contains(QStringLiteral("result")))
                payload.insert(QStringLiteral("result"),
                               QJsonObject{{QStringLiteral("code"), qint64(qint32(c.ret))}});
            payload.insert(QStringLiteral("reach"), reachName(c.reach));
            payload.insert(QStringLiteral("depth"), qint64(c.depth));
            call.payload = payload;
            byStart.insert({h.tid, h.ts_ns}, calls.size());
            calls.append(call);
        } else if (h.type == RAW_PROC_ADDRESS && len >= sizeof(RawProcAddress)) {
            RawProcAddress r;
            std::memcpy(&r, p, sizeof r);
            if (sizeof r + r.symbol_len + r.owner_len + r.owner_symbol_len > len)
                continue;
            const char *s = reinterpret_cast<const char *>(p + sizeof r);
            const DecodedCall decoded = decodeProcAddress(
                r, QString::fromLatin1(s, qsizetype(r.symbol_len)),
                QString::fromLocal8Bit(s + r.symbol_len, qsizetype(r.owner_len)),
                QString::fromLatin1(s + r.symbol_len + r.owner_len, qsizetype(r.owner_symbol_len)));
            QJsonObject resolved = decoded.json;
            resolved.insert(QStringLiteral("summary"), decoded.summary);
            const auto it = byStart.find({h.tid, h.ts_ns});
            if (it != byStart.end())
                calls[*it].payload.insert(QStringLiteral("resolved"), resolved);
            ++stats.resolutions;
        } else if (h.type == RAW_EXPORT_TABLE && len >= sizeof(RawExportTable)) {
            RawExportTable e;
            std::memcpy(&e, p, sizeof e);
            const DecodedCall decoded = decodeExportTable(e);
            QJsonObject table = decoded.json;
            table.insert(QStringLiteral("summary"), decoded.summary);
            const auto it = byStart.find({h.tid, h.ts_ns});
            if (it != byStart.end())
                calls[*it].payload.insert(QStringLiteral("exportTable"), table);
            ++stats.exportTables;
        }
    }
    for (PendingCall &call : calls) {
        call.event.payload = QJsonDocument(call.payload).toJson(QJsonDocument::Compact);
        writer.addEvent(call.event);
        ++stats.calls;
    }
    return stats;
}

} // namespace initscope
