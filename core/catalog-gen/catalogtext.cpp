// The catalog text parser: blocks, kinds, C declarations, UUIDs.
#include "catalogtext.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace initscope::catalogtext {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

bool isIdentChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && (isSpace(s.back()) || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Takes the next whitespace-separated token off the front of rest.
std::string_view nextToken(std::string_view &rest)
{
    rest = trim(rest);
    size_t end = 0;
    while (end < rest.size() && !isSpace(rest[end]))
        ++end;
    std::string_view token = rest.substr(0, end);
    rest.remove_prefix(end);
    rest = trim(rest);
    return token;
}

template<typename T>
std::optional<T> parseNumber(std::string_view text)
{
    bool negative = false;
    if (!text.empty() && text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty())
        return std::nullopt;
    unsigned long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (negative)
        return static_cast<T>(-static_cast<long long>(value));
    return static_cast<T>(value);
}

bool isIdentifier(std::string_view s)
{
    return !s.empty() && !(s.front() >= '0' && s.front() <= '9') &&
           std::all_of(s.begin(), s.end(), isIdentChar);
}

// "const char **pStr" -> type "const char **", name "pStr"; "struct cudaDeviceProp *prop" too.
bool splitDeclaration(std::string_view decl, std::string &type, std::string &name, int &stars)
{
    decl = trim(decl);
    size_t end = decl.size();
    size_t begin = end;
    while (begin > 0 && isIdentChar(decl[begin - 1]))
        --begin;
    if (begin == end)
        return false;
    name = std::string(decl.substr(begin));
    std::string_view rest = decl.substr(0, begin);
    std::vector<std::string> words;
    stars = 0;
    std::string word;
    for (char c : rest) {
        if (isIdentChar(c)) {
            if (stars)
                return false; // "char * const" and the like are not used by these APIs
            word += c;
            continue;
        }
        if (!word.empty()) {
            words.push_back(word);
            word.clear();
        }
        if (c == '*')
            ++stars;
        else if (!isSpace(c))
            return false;
    }
    if (!word.empty())
        words.push_back(word);
    if (words.empty())
        return false;
    type.clear();
    for (const auto &w : words)
        type += (type.empty() ? "" : " ") + w;
    if (stars)
        type += " " + std::string(size_t(stars), '*');
    return isIdentifier(name);
}

std::string normaliseType(std::string_view text)
{
    std::string type, name;
    int stars = 0;
    // A type alone has no name: append one so the declaration splitter can be reused.
    if (!splitDeclaration(std::string(text) + " x", type, name, stars))
        return {};
    return type;
}

std::string location(const std::string &file, int line)
{
    return file + ":" + std::to_string(line);
}

bool fail(std::string *error, const std::string &where, const std::string &what)
{
    if (error)
        *error = where + ": " + what;
    return false;
}

} // namespace

std::optional<Api> apiFromName(std::string_view name)
{
    if (name == "driver")
        return Api::Driver;
    if (name == "runtime")
        return Api::Runtime;
    if (name == "nvml")
        return Api::Nvml;
    return std::nullopt;
}

const char *apiName(Api api)
{
    switch (api) {
    case Api::Driver:
        return "driver";
    case Api::Runtime:
        return "runtime";
    case Api::Nvml:
        return "nvml";
    }
    return "unknown";
}

bool isInteger(Kind kind)
{
    switch (kind) {
    case Kind::I32:
    case Kind::U32:
    case Kind::I64:
    case Kind::U64:
    case Kind::Hex32:
    case Kind::Hex64:
        return true;
    default:
        return false;
    }
}

std::optional<ValueKind> parseKind(std::string_view text)
{
    text = trim(text);
    std::string_view head = text;
    std::string_view arg;
    bool hasArg = false;
    if (auto open = text.find('('); open != std::string_view::npos) {
        if (text.back() != ')')
            return std::nullopt;
        head = text.substr(0, open);
        arg = trim(text.substr(open + 1, text.size() - open - 2));
        hasArg = true;
    }
    static const std::map<std::string_view, Kind> plain = {
        {"i32", Kind::I32},   {"u32", Kind::U32},       {"i64", Kind::I64},
        {"u64", Kind::U64},   {"hex32", Kind::Hex32},   {"hex64", Kind::Hex64},
        {"ptr", Kind::Ptr},   {"handle", Kind::Handle}, {"device", Kind::Device},
        {"uuid", Kind::Uuid}, {"strptr", Kind::StrPtr}, {"opaque", Kind::Opaque},
    };
    ValueKind value;
    if (auto it = plain.find(head); it != plain.end()) {
        if (hasArg)
            return std::nullopt;
        value.kind = it->second;
        value.size = kindSize(value);
        return value;
    }
    if (!hasArg || arg.empty())
        return std::nullopt;
    if (head == "enum" || head == "flags" || head == "struct") {
        if (!isIdentifier(arg))
            return std::nullopt;
        value.kind = head == "enum" ? Kind::Enum : head == "flags" ? Kind::Flags : Kind::Struct;
        value.ref = std::string(arg);
    } else if (head == "result") {
        if (!apiFromName(arg))
            return std::nullopt;
        value.kind = Kind::Result;
        value.ref = std::string(arg);
    } else if (head == "bytes") {
        auto n = parseNumber<int>(arg);
        if (!n || *n <= 0 || *n > 65535)
            return std::nullopt;
        value.kind = Kind::Bytes;
        value.size = *n;
    } else if (head == "cstr") {
        value.kind = Kind::CStr;
        if (auto n = parseNumber<int>(arg)) {
            if (*n <= 0 || *n > 65535)
                return std::nullopt;
            value.size = *n;
        } else if (isIdentifier(arg)) {
            value.boundParam = std::string(arg);
        } else {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    if (value.kind != Kind::Struct && value.kind != Kind::Bytes && value.kind != Kind::CStr)
        value.size = kindSize(value);
    return value;
}

std::string kindText(const ValueKind &value)
{
    switch (value.kind) {
    case Kind::I32:
        return "i32";
    case Kind::U32:
        return "u32";
    case Kind::I64:
        return "i64";
    case Kind::U64:
        return "u64";
    case Kind::Hex32:
        return "hex32";
    case Kind::Hex64:
        return "hex64";
    case Kind::Ptr:
        return "ptr";
    case Kind::Handle:
        return "handle";
    case Kind::Device:
        return "device";
    case Kind::Enum:
        return "enum(" + value.ref + ")";
    case Kind::Flags:
        return "flags(" + value.ref + ")";
    case Kind::Result:
        return "result(" + value.ref + ")";
    case Kind::Uuid:
        return "uuid";
    case Kind::CStr:
        return "cstr(" +
               (value.boundParam.empty() ? std::to_string(value.size) : value.boundParam) + ")";
    case Kind::Struct:
        return "struct(" + value.ref + ")";
    case Kind::Bytes:
        return "bytes(" + std::to_string(value.size) + ")";
    case Kind::StrPtr:
        return "strptr";
    case Kind::Opaque:
        return "opaque";
    }
    return "opaque";
}

int kindSize(const ValueKind &value)
{
    switch (value.kind) {
    case Kind::I32:
    case Kind::U32:
    case Kind::Hex32:
    case Kind::Device:
    case Kind::Enum:
    case Kind::Flags:
    case Kind::Result:
        return 4;
    case Kind::I64:
    case Kind::U64:
    case Kind::Hex64:
    case Kind::Ptr:
    case Kind::Handle:
    case Kind::StrPtr:
        return 8;
    case Kind::Uuid:
        return 16;
    case Kind::CStr:
        return value.boundParam.empty() ? value.size : 0;
    case Kind::Struct:
    case Kind::Bytes:
        return value.size;
    case Kind::Opaque:
        return 0;
    }
    return 0;
}

std::string typeKey(std::string_view cType)
{
    std::string key;
    std::string_view rest = cType;
    while (!rest.empty()) {
        std::string_view word = nextToken(rest);
        if (word == "const" || word == "struct" || word == "enum")
            continue;
        if (!key.empty() && !(word.front() == '*' && key.back() == '*'))
            key += ' ';
        key += word;
    }
    return key;
}

bool parseText(std::string_view text, const std::string &fileName, Catalog &catalog,
               std::string *error)
{
    enum class Block { None, Function, Struct, Enum, Results, Variants };
    Block block = Block::None;
    int lineNumber = 0;
    while (!text.empty()) {
        size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        ++lineNumber;
        const std::string where = location(fileName, lineNumber);
        std::string_view content = trim(line);
        if (content.empty() || content.front() == '#')
            continue;
        const bool member = isSpace(line.front());
        std::string_view rest = content;

        if (!member) {
            std::string_view keyword = nextToken(rest);
            block = Block::None;
            if (keyword == "fn") {
                Function fn;
                fn.where = where;
                auto api = apiFromName(nextToken(rest));
                if (!api)
                    return fail(error, where, "fn needs an api: driver, runtime or nvml");
                fn.api = *api;
                std::string type, name;
                int stars = 0;
                if (!splitDeclaration(rest, type, name, stars))
                    return fail(error, where, "fn needs a return type and a name");
                fn.returnType = type;
                fn.spellings.push_back(name);
                catalog.functions.push_back(std::move(fn));
                block = Block::Function;
            } else if (keyword == "struct") {
                Struct s;
                s.where = where;
                s.name = std::string(nextToken(rest));
                auto size = parseNumber<int>(nextToken(rest));
                if (!isIdentifier(s.name) || !size || *size <= 0 || *size > 65535 || !rest.empty())
                    return fail(error, where, "expected: struct <name> <size>");
                s.size = *size;
                catalog.structs.push_back(std::move(s));
                block = Block::Struct;
            } else if (keyword == "enum" || keyword == "flags") {
                Enum e;
                e.where = where;
                e.flags = keyword == "flags";
                e.name = std::string(nextToken(rest));
                if (!isIdentifier(e.name) || !rest.empty())
                    return fail(error, where, "expected: " + std::string(keyword) + " <name>");
                catalog.enums.push_back(std::move(e));
                block = Block::Enum;
            } else if (keyword == "results") {
                ResultSet r;
                r.where = where;
                r.cType = std::string(nextToken(rest));
                auto api = apiFromName(nextToken(rest));
                if (!isIdentifier(r.cType) || !api || !rest.empty())
                    return fail(error, where, "expected: results <C type> <api>");
                r.api = *api;
                catalog.results.push_back(std::move(r));
                block = Block::Results;
            } else if (keyword == "variants") {
                VariantSet v;
                v.where = where;
                auto api = apiFromName(nextToken(rest));
                v.base = std::string(nextToken(rest));
                if (!api || !isIdentifier(v.base) || !rest.empty())
                    return fail(error, where, "expected: variants <api> <base>");
                v.api = *api;
                catalog.variants.push_back(std::move(v));
                block = Block::Variants;
            } else if (keyword == "type") {
                TypeRule rule;
                rule.where = where;
                auto kind = parseKind(nextToken(rest));
                if (!kind)
                    return fail(error, where, "unknown kind in type rule");
                rule.value = *kind;
                rule.cType = normaliseType(rest);
                if (rule.cType.empty())
                    return fail(error, where, "expected: type <kind> <C type>");
                catalog.types.push_back(std::move(rule));
            } else if (keyword == "exporttable") {
                ExportTable table;
                auto uuid = parseUuid(nextToken(rest));
                table.name = std::string(nextToken(rest));
                table.description = std::string(rest);
                if (!uuid || !isIdentifier(table.name))
                    return fail(error, where, "expected: exporttable <uuid> <NAME> <description>");
                table.uuid = *uuid;
                catalog.exportTables.push_back(std::move(table));
            } else {
                return fail(error, where, "unknown block '" + std::string(keyword) + "'");
            }
            continue;
        }

        switch (block) {
        case Block::None:
            return fail(error, where, "indented line outside a block");
        case Block::Function: {
            Function &fn = catalog.functions.back();
            std::string_view word = nextToken(rest);
            if (word == "also") {
                std::string_view spelling = nextToken(rest);
                if (!isIdentifier(spelling) || !rest.empty())
                    return fail(error, where, "expected: also <name>");
                fn.spellings.emplace_back(spelling);
                break;
            }
            Param param;
            if (word == "in")
                param.direction = Direction::In;
            else if (word == "out")
                param.direction = Direction::Out;
            else if (word == "inout")
                param.direction = Direction::InOut;
            else
                return fail(error, where, "expected in, out, inout or also");
            std::string_view decl = rest;
            if (auto colon = rest.find(':'); colon != std::string_view::npos) {
                decl = rest.substr(0, colon);
                auto kind = parseKind(rest.substr(colon + 1));
                if (!kind)
                    return fail(error, where,
                                "unknown kind '" + std::string(trim(rest.substr(colon + 1))) + "'");
                param.value = *kind;
                param.explicitKind = true;
            }
            int stars = 0;
            if (!splitDeclaration(decl, param.cType, param.name, stars))
                return fail(error, where, "expected a C declaration: <type> <name>");
            param.pointer = stars > 0;
            fn.params.push_back(std::move(param));
            break;
        }
        case Block::Struct: {
            Field field;
            auto offset = parseNumber<int>(nextToken(rest));
            auto kind = parseKind(nextToken(rest));
            field.name = std::string(nextToken(rest));
            if (!offset || *offset < 0 || !kind || !isIdentifier(field.name) || !rest.empty())
                return fail(error, where, "expected: <offset> <kind> <field>");
            field.offset = *offset;
            field.value = *kind;
            catalog.structs.back().fields.push_back(std::move(field));
            break;
        }
        case Block::Enum: {
            auto value = parseNumber<std::int64_t>(nextToken(rest));
            std::string_view name = nextToken(rest);
            if (!value || !isIdentifier(name) || !rest.empty())
                return fail(error, where, "expected: <value> <NAME>");
            catalog.enums.back().values.push_back({*value, std::string(name)});
            break;
        }
        case Block::Results: {
            auto code = parseNumber<std::int64_t>(nextToken(rest));
            std::string_view name = nextToken(rest);
            if (!code || !isIdentifier(name) || rest.empty())
                return fail(error, where, "expected: <code> <NAME> <message>");
            catalog.results.back().values.push_back({*code, std::string(name), std::string(rest)});
            break;
        }
        case Block::Variants: {
            VariantStep step;
            std::string_view from = nextToken(rest);
            if (from != "-") {
                auto version = parseNumber<int>(from);
                if (!version || *version < 0)
                    return fail(error, where, "expected a CUDA version or '-'");
                step.from = *version;
            }
            std::string_view spelling = nextToken(rest);
            if (!(spelling == "-" || isIdentifier(spelling)))
                return fail(error, where, "expected a spelling or '-'");
            step.spelling = std::string(spelling);
            std::string_view mode = nextToken(rest);
            if (mode == "per-thread")
                step.perThread = true;
            else if (!mode.empty())
                return fail(error, where, "unexpected '" + std::string(mode) + "'");
            if (!rest.empty())
                return fail(error, where, "unexpected text after the spelling");
            catalog.variants.back().steps.push_back(std::move(step));
            break;
        }
        }
    }
    return true;
}

std::string formatUuid(const Uuid &uuid)
{
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < uuid.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text += '-';
        text += digits[uuid[i] >> 4];
        text += digits[uuid[i] & 15];
    }
    return text;
}

std::optional<Uuid> parseUuid(std::string_view text)
{
    if (text.size() != 36)
        return std::nullopt;
    Uuid uuid{};
    size_t byte = 0;
    for (size_t i = 0; i < text.size();) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return std::nullopt;
            ++i;
            continue;
        }
        auto value = parseNumber<unsigned>("0x" + std::string(text.substr(i, 2)));
        if (!value || text[i] == '-' || text[i + 1] == '-' || byte >= uuid.size())
            return std::nullopt;
        uuid[byte++] = std::uint8_t(*value);
        i += 2;
    }
    return byte == uuid.size() ? std::optional<Uuid>(uuid) : std::nullopt;
}

} // namespace initscope::catalogtext
