// Turns one recorded call (raw registers and captured bytes, core/recorder/rawformat.h) into
// what people and scripts read: arguments by name and type, output values, the result code
// with its name and the message the library prints, and a one-line summary such as
//
//     cuDeviceGetCount(count=&1) → CUDA_SUCCESS
//     cuInit(Flags=0x0) → CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected
//
// Everything it knows comes from the ApiCatalog; a function the catalog lacks is still decoded
// (raw registers, the family's result code). The JSON shape is documented in docs/api-catalog.md.
#pragma once

#include "apicatalog.h"
#include "rawformat.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringView>

#include <array>

namespace initscope {

// RawOutValue::arg of the string a function returned (cudaGetErrorString, nvmlErrorString).
inline constexpr quint32 kReturnedValueArg = 255;

// One output value the recorder read after the call.
struct CapturedValue {
    quint32 argIndex = 0; // parameter index, or kReturnedValueArg
    QByteArray bytes;
};

struct DecodedCall {
    QJsonObject json;
    QString summary;
};

// args: the six integer argument registers as passed; ret: the integer return register.
DecodedCall decodeCall(QStringView function, ApiFamily api, const std::array<quint64, 6> &args,
                       quint64 ret, const QList<CapturedValue> &outputs,
                       const ApiCatalog &catalog = ApiCatalog::instance());

// A cuGetProcAddress(_v2) resolution, with the strings that follow the record. Says which
// spelling a caller of that version expects, and whether the one handed out is it.
DecodedCall decodeProcAddress(const RawProcAddress &raw, QStringView symbol, QStringView owner,
                              QStringView ownerSymbol,
                              const ApiCatalog &catalog = ApiCatalog::instance());

// A cuGetExportTable request, with the table's name where the catalog knows the UUID.
DecodedCall decodeExportTable(const RawExportTable &raw,
                              const ApiCatalog &catalog = ApiCatalog::instance());

// {"code", "name", "message", "ok", "known"} of one result code.
QJsonObject resultJson(const ResultCodeInfo &result);

} // namespace initscope
