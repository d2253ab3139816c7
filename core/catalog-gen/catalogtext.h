// The text format of the API catalog (resources/catalog/*.txt, docs/api-catalog.md): parser,
// cross-reference checks and the recorder's view of a function. Standard C++ only, so that the
// build-time generator of the recorder's table and core's ApiCatalog read the data through the
// same code and cannot disagree about it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace initscope::catalogtext {

// Same numbers as RawApi in core/recorder/rawformat.h.
enum class Api : std::uint8_t { Driver = 1, Runtime = 2, Nvml = 3 };
std::optional<Api> apiFromName(std::string_view name);
const char *apiName(Api api);

enum class Kind : std::uint8_t {
    I32,
    U32,
    I64,
    U64,
    Hex32,
    Hex64,
    Ptr,
    Handle,
    Device,
    Enum,   // ref: enum type
    Flags,  // ref: flags type
    Result, // ref: api name
    Uuid,
    CStr,   // size: buffer bytes, or boundParam names the parameter holding it
    Struct, // ref: struct name; size filled in by resolve()
    Bytes,  // size
    StrPtr,
    Opaque,
};

struct ValueKind {
    Kind kind = Kind::Opaque;
    std::string ref;
    int size = 0;
    std::string boundParam;
    int boundIndex = -1; // filled in by resolve()
};

std::optional<ValueKind> parseKind(std::string_view text);
std::string kindText(const ValueKind &value);
// Bytes the value occupies, 0 for a string bounded by a parameter and for opaque data.
int kindSize(const ValueKind &value);
bool isInteger(Kind kind);

enum class Direction : std::uint8_t { In, Out, InOut };

struct Param {
    Direction direction = Direction::In;
    std::string cType; // normalised: words separated by one space, then " *" per level
    std::string name;
    bool pointer = false;      // value describes what the pointer points to
    bool explicitKind = false; // the data named the kind
    ValueKind value;
};

enum class ReturnKind : std::uint8_t { ResultCode, String, Value, Void };

struct Function {
    Api api = Api::Driver;
    std::string returnType;
    ReturnKind returnKind = ReturnKind::Void;
    ValueKind returnValue;
    std::vector<std::string> spellings; // the fn line's name first, then each `also`
    std::vector<Param> params;
    std::string where; // file:line of the fn line
};

struct Field {
    int offset = 0;
    ValueKind value;
    std::string name;
};

struct Struct {
    std::string name;
    int size = 0;
    std::vector<Field> fields;
    std::string where;
};

struct EnumValue {
    std::int64_t value = 0;
    std::string name;
};

struct Enum {
    std::string name;
    bool flags = false;
    std::vector<EnumValue> values;
    std::string where;
};

struct ResultValue {
    std::int64_t code = 0;
    std::string name;
    std::string message;
};

struct ResultSet {
    std::string cType;
    Api api = Api::Driver;
    std::vector<ResultValue> values;
    std::string where;
};

struct TypeRule {
    std::string cType;
    ValueKind value;
    std::string where;
};

struct VariantStep {
    std::optional<int> from; // empty: the spelling exists, no version selects it
    std::string spelling;    // "-": not available from `from` on
    bool perThread = false;
};

struct VariantSet {
    Api api = Api::Driver;
    std::string base;
    std::vector<VariantStep> steps;
    std::string where;
};

using Uuid = std::array<std::uint8_t, 16>;

struct ExportTable {
    Uuid uuid{};
    std::string name;
    std::string description;
};

struct Catalog {
    std::vector<Function> functions;
    std::vector<Struct> structs;
    std::vector<Enum> enums;
    std::vector<ResultSet> results;
    std::vector<TypeRule> types;
    std::vector<VariantSet> variants;
    std::vector<ExportTable> exportTables;
};

// Adds the blocks of one file to catalog. On the first error returns false with
// "<fileName>:<line>: <what>" in *error.
bool parseText(std::string_view text, const std::string &fileName, Catalog &catalog,
               std::string *error);

// Run once after every file was parsed: derives each parameter's kind from the type rules,
// fills struct sizes and string bounds, and checks every cross reference and duplicate.
bool resolve(Catalog &catalog, std::string *error);

// The type-rule lookup key of a C type: without const, struct and enum keywords.
std::string typeKey(std::string_view cType);

// Memory order, 8-4-4-4-12 lowercase hex.
std::string formatUuid(const Uuid &uuid);
std::optional<Uuid> parseUuid(std::string_view text);

// What the recorder reads after a call of this function (generated recorder table).
inline constexpr std::uint8_t kRecReturnArg = 255;
inline constexpr std::uint8_t kRecNoLenArg = 255;
inline constexpr std::uint16_t kRecStringCap = 256;
inline constexpr int kRecMaxOutputs = 4;
inline constexpr int kRecRegisterArgs = 6;

struct RecorderOutput {
    std::uint8_t arg = 0;
    std::uint8_t kind = 0; // 1 bytes, 2 string at the pointer, 3 returned string,
                           // 4 string whose address the function stored at the pointer
    std::uint16_t size = 0;
    std::uint8_t lenArg = kRecNoLenArg;
};
std::vector<RecorderOutput> recorderOutputs(const Function &function);

} // namespace initscope::catalogtext
