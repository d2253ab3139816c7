// The stored form of a traced call's payload (docs/bundle-format.md, "Call payloads").
//
// Ingest keeps what the recorder saw — the argument and return registers, the captured output
// bytes, how the function was reached, its nesting — in a few dozen bytes, and the JSON that
// people and scripts read ({"args", "out", "result", "summary", …}, docs/api-catalog.md) is
// made from it through the API catalog when an event is read. So a run of a million calls is
// ingested without decoding any of them, and the bundle stays small; every reader
// (BundleReader, EventScanner, the timeline's index) hands out the JSON.
#pragma once

#include "calldecoder.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QStringView>

#include <array>

namespace initscope {

// A compact payload starts with this byte; JSON payloads start with '{'.
inline constexpr char kCompactCallMagic = '\x01';

struct CompactCall {
    quint8 api = 0;   // RawApi
    quint8 reach = 0; // RawReach
    quint8 depth = 0;
    quint8 argCount = 0; // argument registers kept (the catalog's signature, else 6)
    bool ok = true;      // what the decoded payload's top-level "ok" says
    quint64 ret = 0;
    std::array<quint64, 6> args{};
    QList<CapturedValue> outputs;
    QByteArray resolvedJson;    // {"resolved": …} of a cuGetProcAddress call, compact JSON
    QByteArray exportTableJson; // {"exportTable": …} of a cuGetExportTable call
};

QByteArray encodeCompactCall(const CompactCall &call);
bool isCompactCall(QByteArrayView payload);
// False for a payload that is not compact or is cut short.
bool decodeCompactCall(QByteArrayView payload, CompactCall *call);
// The top-level "ok" of a compact payload, read from its flags without decoding the rest.
bool compactCallOk(QByteArrayView payload);

// The JSON payload (compact JSON text) of a stored payload: compact ones are decoded through
// the catalog for `function`; anything else is returned as it is.
QByteArray expandCallPayload(QStringView function, const QByteArray &payload);

// Whether a call of `function` that returned `ret` is "ok" as the decoded payload says it: a
// result code of 0 where the function returns one, else true.
bool callResultOk(QStringView function, quint8 api, quint64 ret);

} // namespace initscope
