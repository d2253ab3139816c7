// The API catalog: what InitScope knows about the CUDA driver API, the CUDA runtime API and NVML
// — function signatures, which ABI spelling a caller of a CUDA version gets, result codes with
// the messages the libraries print, enumerations and the runtime's export tables. The facts
// live as data in resources/catalog (docs/api-catalog.md), compiled in as a Qt resource; the
// recorder's function table is generated from the same files at build time.
//
// Loaded once; every const member is safe to call from any thread.
#pragma once

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <array>
#include <memory>
#include <optional>
#include <utility>

namespace initscope {

// Same numbers as RawApi in core/recorder/rawformat.h.
enum class ApiFamily : quint8 { Unknown = 0, Driver = 1, Runtime = 2, Nvml = 3 };

QString apiFamilyName(ApiFamily api); // "driver", "runtime", "nvml", "unknown"
ApiFamily apiFamilyFromName(QStringView name);

enum class ParamDirection : quint8 { In, Out, InOut };

// How a value is shown, and for an output how many bytes make it (types.txt lists the kinds).
enum class ValueKind : quint8 {
    Int32,
    UInt32,
    Int64,
    UInt64,
    Hex32,
    Hex64,
    Pointer,
    Handle,
    Device,        // CUdevice ordinal
    Enum,          // ref: enum type
    Flags,         // ref: flags type
    Result,        // ref: "driver", "runtime" or "nvml"
    Uuid,          // 16 bytes in memory order
    String,        // NUL-terminated; size or boundParam gives the buffer
    Struct,        // ref: struct name, size: bytes read
    Bytes,         // size bytes
    StringPointer, // a const char * stored at the pointer
    Opaque,        // nothing the catalog reads
};

struct ValueType {
    ValueKind kind = ValueKind::Opaque;
    QString ref;
    int size = 0;        // bytes of a fixed-size value; 0 for a string bounded by a parameter
    int boundParam = -1; // String: index of the parameter that holds the buffer length
};

struct ParamSpec {
    QString name;
    QString cType; // e.g. "char *", "CUdevice_attribute"
    ParamDirection direction = ParamDirection::In;
    bool pointer = false; // value describes what the pointer points to
    ValueType value;
};

enum class ReturnKind : quint8 {
    ResultCode, // CUresult, cudaError_t, nvmlReturn_t: returnValue.ref names the family
    String,     // const char *: the recorder captures the string as output 255
    Value,
    Void,
};

struct FunctionSpec {
    QString name; // this spelling
    QString base; // baseOf(name)
    ApiFamily api = ApiFamily::Unknown;
    QString returnType;
    ReturnKind returnKind = ReturnKind::Void;
    ValueType returnValue;
    QList<ParamSpec> params;
};

struct ResultCodeInfo {
    qint64 code = 0;
    QString name;    // e.g. CUDA_ERROR_NOT_SUPPORTED; "unknown CUresult 12345" when not catalogued
    QString message; // as the library's own error-string function returns it
    bool known = false;
};

struct EnumValueInfo {
    qint64 value = 0;
    QString name;
};

struct StructFieldSpec {
    QString name;
    int offset = 0;
    ValueType value;
};

struct StructSpec {
    QString name;
    int size = 0;
    QList<StructFieldSpec> fields;
};

using Uuid = std::array<quint8, 16>;

struct ExportTableSpec {
    Uuid uuid{};
    QString name;
    QString description;
};

// Which default stream a cuGetProcAddress caller asked for.
enum class StreamMode : quint8 { Legacy, PerThread };

class ApiCatalog
{
public:
    // The catalog compiled into this build. The data is checked by the tests; a broken resource
    // is a build defect and aborts with the parser's message.
    static const ApiCatalog &instance();

    // A catalog from texts (name, contents), e.g. a directory of data files being edited.
    static std::optional<ApiCatalog> fromTexts(const QList<std::pair<QString, QByteArray>> &files,
                                               QString *error);
    static std::optional<ApiCatalog> fromDirectory(const QString &dir, QString *error);

    // Exact spelling, variants included ("cuCtxCreate_v4", "cuLaunchKernel_ptsz"); null if the
    // catalog has no signature for it.
    const FunctionSpec *function(QStringView spelling) const;
    const QList<FunctionSpec> &functions() const;

    // The spelling a caller of cudaVersion (1000 * major + 10 * minor) gets for base, as the
    // driver's cuGetProcAddress hands it out (runtime: as the headers of that version map it;
    // NVML: as today's nvml.h maps it, whatever the version). Empty when base is not available
    // at that version. A name the catalog has no variants for is its own spelling. A spelling
    // passed as base is first reduced to its base.
    QString variantFor(QStringView base, int cudaVersion,
                       StreamMode mode = StreamMode::Legacy) const;
    // The base name of a spelling: from the variant tables, else by dropping a trailing
    // _ptds/_ptsz and then _v<N>.
    QString baseOf(QStringView spelling) const;
    // Every spelling the catalog knows for a base, oldest first (the base itself if none).
    QStringList spellingsOf(QStringView base) const;
    bool hasVariants(QStringView base) const;

    // Result codes of a family: CUresult (driver), cudaError_t (runtime), nvmlReturn_t (nvml).
    ResultCodeInfo result(ApiFamily family, qint64 code) const;
    QList<ResultCodeInfo> results(ApiFamily family) const;
    QString resultType(ApiFamily family) const; // "CUresult", "cudaError_t", "nvmlReturn_t"

    // The name of value in an enum or flags type, empty when it has none.
    QString enumName(QStringView type, qint64 value) const;
    QList<EnumValueInfo> enumValues(QStringView type) const;
    bool isFlags(QStringView type) const;
    // A flags value as NAME|NAME, with bits no name covers as a trailing 0x…; "0" or the zero
    // name for 0.
    QString flagsText(QStringView type, quint64 value) const;

    const StructSpec *structSpec(QStringView name) const;

    // Export tables of cuGetExportTable, by UUID (memory order).
    QString exportTableName(const Uuid &uuid) const; // empty when unknown
    const ExportTableSpec *exportTable(const Uuid &uuid) const;
    QList<ExportTableSpec> exportTables() const;

    // 16 bytes in memory order as 8-4-4-4-12 lowercase hex, e.g.
    // 6bd5fb6c-5bf4-e74a-8987-d93912fd9df9.
    static QString formatUuid(const Uuid &uuid);
    static QString formatUuid(QByteArrayView bytes); // empty unless exactly 16 bytes
    static std::optional<Uuid> parseUuid(QStringView text);
    static std::optional<Uuid> uuidFromBytes(QByteArrayView bytes);

    struct Data;

private:
    explicit ApiCatalog(std::shared_ptr<const Data> data);
    std::shared_ptr<const Data> d;
};

} // namespace initscope
