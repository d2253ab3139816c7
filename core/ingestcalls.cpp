// Ingest of the recorder's call logs (<pid>.calls): one event per traced call, with the
// resolver and export-table facts merged into the call that produced them.
#include "ingestcalls.h"

#include "bundle.h"
#include "rawformat.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

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

QString uuidText(const uint8_t *b)
{
    // Memory order, grouped 4-2-2-2-6 as DOMAIN-style UUIDs are printed.
    QString s;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s += QLatin1Char('-');
        s += QStringLiteral("%1").arg(b[i], 2, 16, QLatin1Char('0'));
    }
    return s;
}

struct PendingCall {
    Event event;
    QJsonObject payload;
};

} // namespace

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
            QJsonObject resolved{
                {QStringLiteral("symbol"), QString::fromLatin1(s, qsizetype(r.symbol_len))},
                {QStringLiteral("requestedVersion"), qint64(r.requested_version)},
                {QStringLiteral("flags"), qint64(r.flags)},
                {QStringLiteral("resolverV2"), r.resolver_v2 != 0},
                {QStringLiteral("pointer"), hex(r.pointer)},
            };
            resolved.insert(QStringLiteral("status"), r.status_value == UINT64_MAX
                                                          ? QJsonValue(QJsonValue::Null)
                                                          : QJsonValue(qint64(qint32(r.status_value))));
            if (r.owner_len)
                resolved.insert(QStringLiteral("owner"),
                                QString::fromLocal8Bit(s + r.symbol_len, qsizetype(r.owner_len)));
            if (r.owner_symbol_len)
                resolved.insert(QStringLiteral("ownerSymbol"),
                                QString::fromLatin1(s + r.symbol_len + r.owner_len,
                                                    qsizetype(r.owner_symbol_len)));
            const auto it = byStart.find({h.tid, h.ts_ns});
            if (it != byStart.end())
                calls[*it].payload.insert(QStringLiteral("resolved"), resolved);
            ++stats.resolutions;
        } else if (h.type == RAW_EXPORT_TABLE && len >= sizeof(RawExportTable)) {
            RawExportTable e;
            std::memcpy(&e, p, sizeof e);
            QJsonObject table{{QStringLiteral("uuid"), uuidText(e.uuid)},
                              {QStringLiteral("table"), hex(e.table)},
                              {QStringLiteral("tableSize"), qint64(e.table_size)}};
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
