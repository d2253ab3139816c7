#include "callpayload.h"

#include "apicatalog.h"
#include "rawformat.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstring>

namespace initscope {

namespace {

enum Flags : quint8 {
    FlagOk = 1,
    FlagResolved = 2,
    FlagExportTable = 4,
};

// Layout: magic, flags, api, reach, depth, argCount, then varints: ret, args[argCount],
// output count, per output (arg index, length, bytes), and for the flagged ones the length
// and bytes of the resolver's and the export table's JSON.
constexpr int kFixed = 6;

void putVarint(QByteArray &out, quint64 v)
{
    char buf[10];
    int n = 0;
    while (v >= 0x80) {
        buf[n++] = char(v | 0x80);
        v >>= 7;
    }
    buf[n++] = char(v);
    out.append(buf, n);
}

bool getVarint(const uchar *&p, const uchar *end, quint64 *v)
{
    quint64 result = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        const uchar b = *p++;
        result |= quint64(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = result;
            return true;
        }
    }
    return false;
}

QString reachName(quint8 reach)
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

} // namespace

QByteArray encodeCompactCall(const CompactCall &call)
{
    QByteArray out;
    out.reserve(kFixed + 10 * (1 + call.argCount) + 16);
    const quint8 flags = (call.ok ? FlagOk : 0) | (call.resolvedJson.isEmpty() ? 0 : FlagResolved) |
                         (call.exportTableJson.isEmpty() ? 0 : FlagExportTable);
    const char fixed[kFixed] = {kCompactCallMagic, char(flags), char(call.api), char(call.reach),
                                char(call.depth), char(call.argCount)};
    out.append(fixed, kFixed);
    putVarint(out, call.ret);
    for (int i = 0; i < call.argCount && i < 6; ++i)
        putVarint(out, call.args[size_t(i)]);
    putVarint(out, quint64(call.outputs.size()));
    for (const CapturedValue &v : call.outputs) {
        putVarint(out, v.argIndex);
        putVarint(out, quint64(v.bytes.size()));
        out.append(v.bytes);
    }
    for (const QByteArray *json : {&call.resolvedJson, &call.exportTableJson}) {
        if (json->isEmpty())
            continue;
        putVarint(out, quint64(json->size()));
        out.append(*json);
    }
    return out;
}

bool isCompactCall(QByteArrayView payload)
{
    return payload.size() >= kFixed && payload.front() == kCompactCallMagic;
}

bool compactCallOk(QByteArrayView payload)
{
    return isCompactCall(payload) && (quint8(payload.at(1)) & FlagOk);
}

bool decodeCompactCall(QByteArrayView payload, CompactCall *call)
{
    if (!isCompactCall(payload))
        return false;
    const auto *p = reinterpret_cast<const uchar *>(payload.data());
    const uchar *end = p + payload.size();
    const quint8 flags = p[1];
    call->ok = flags & FlagOk;
    call->api = p[2];
    call->reach = p[3];
    call->depth = p[4];
    call->argCount = quint8(qMin<int>(p[5], 6));
    p += kFixed;
    if (!getVarint(p, end, &call->ret))
        return false;
    call->args = {};
    for (int i = 0; i < call->argCount; ++i) {
        if (!getVarint(p, end, &call->args[size_t(i)]))
            return false;
    }
    quint64 count = 0;
    if (!getVarint(p, end, &count) || count > 64)
        return false;
    call->outputs.clear();
    for (quint64 i = 0; i < count; ++i) {
        quint64 arg = 0, len = 0;
        if (!getVarint(p, end, &arg) || !getVarint(p, end, &len) || len > quint64(end - p))
            return false;
        call->outputs.append({quint32(arg), QByteArray(reinterpret_cast<const char *>(p), qsizetype(len))});
        p += len;
    }
    for (auto [flag, json] : {std::pair{FlagResolved, &call->resolvedJson},
                              std::pair{FlagExportTable, &call->exportTableJson}}) {
        json->clear();
        if (!(flags & flag))
            continue;
        quint64 len = 0;
        if (!getVarint(p, end, &len) || len > quint64(end - p))
            return false;
        *json = QByteArray(reinterpret_cast<const char *>(p), qsizetype(len));
        p += len;
    }
    return true;
}

QByteArray expandCallPayload(QStringView function, const QByteArray &payload)
{
    if (!isCompactCall(payload))
        return payload;
    // Calls repeat (a polling loop, a device query per attribute): the same function and the
    // same stored bytes give the same JSON, so each thread keeps the last few thousand.
    thread_local QHash<QByteArray, QByteArray> recent;
    QByteArray key = function.toUtf8();
    key.append('\0');
    key.append(payload);
    if (const auto it = recent.constFind(key); it != recent.constEnd())
        return *it;
    CompactCall call;
    if (!decodeCompactCall(payload, &call))
        return payload;
    DecodedCall decoded = decodeCall(function, ApiFamily(call.api), call.args, call.ret, call.outputs);
    QJsonObject json = std::move(decoded.json);
    json.insert(QStringLiteral("summary"), decoded.summary);
    json.insert(QStringLiteral("reach"), reachName(call.reach));
    json.insert(QStringLiteral("depth"), qint64(call.depth));
    if (!call.resolvedJson.isEmpty())
        json.insert(QStringLiteral("resolved"), QJsonDocument::fromJson(call.resolvedJson).object());
    if (!call.exportTableJson.isEmpty())
        json.insert(QStringLiteral("exportTable"), QJsonDocument::fromJson(call.exportTableJson).object());
    QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Compact);
    if (recent.size() >= 4096)
        recent.clear();
    recent.insert(std::move(key), text);
    return text;
}

bool callResultOk(QStringView function, quint8 api, quint64 ret)
{
    const ApiCatalog &catalog = ApiCatalog::instance();
    const FunctionSpec *spec = catalog.function(function);
    const bool resultCode = spec ? spec->returnKind == ReturnKind::ResultCode : api != 0;
    return !resultCode || qint32(quint32(ret)) == 0;
}

} // namespace initscope
