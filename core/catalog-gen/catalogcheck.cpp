// Cross-reference checks of a parsed catalog, and the recorder's view of a function.
#include "catalogtext.h"

#include <algorithm>
#include <map>
#include <set>

namespace initscope::catalogtext {

namespace {

bool fail(std::string *error, const std::string &where, const std::string &what)
{
    if (error)
        *error = where + ": " + what;
    return false;
}

bool checkRefs(const Catalog &catalog, const ValueKind &value, const std::string &where,
               std::string *error)
{
    switch (value.kind) {
    case Kind::Enum:
    case Kind::Flags: {
        auto it = std::find_if(catalog.enums.begin(), catalog.enums.end(),
                               [&](const Enum &e) { return e.name == value.ref; });
        if (it == catalog.enums.end())
            return fail(error, where, "no enum or flags block named " + value.ref);
        if (it->flags != (value.kind == Kind::Flags))
            return fail(error, where,
                        value.ref + " is declared as " + (it->flags ? "flags" : "enum"));
        return true;
    }
    case Kind::Struct: {
        auto it = std::find_if(catalog.structs.begin(), catalog.structs.end(),
                               [&](const Struct &s) { return s.name == value.ref; });
        if (it == catalog.structs.end())
            return fail(error, where, "no struct block named " + value.ref);
        return true;
    }
    default:
        return true;
    }
}

const TypeRule *findRule(const Catalog &catalog, const std::string &key)
{
    for (const auto &rule : catalog.types)
        if (typeKey(rule.cType) == key)
            return &rule;
    return nullptr;
}

const Struct *findStruct(const Catalog &catalog, const std::string &name)
{
    for (const auto &s : catalog.structs)
        if (s.name == name)
            return &s;
    return nullptr;
}

} // namespace

bool resolve(Catalog &catalog, std::string *error)
{
    std::set<std::string> seen;
    for (const auto &rule : catalog.types) {
        if (!seen.insert(typeKey(rule.cType)).second)
            return fail(error, rule.where, "second type rule for " + rule.cType);
        if (rule.value.kind == Kind::CStr && !rule.value.boundParam.empty())
            return fail(error, rule.where, "a type rule cannot name a bounding parameter");
        if (!checkRefs(catalog, rule.value, rule.where, error))
            return false;
    }

    seen.clear();
    for (auto &s : catalog.structs) {
        if (!seen.insert(s.name).second)
            return fail(error, s.where, "second struct named " + s.name);
        std::set<std::string> fieldNames;
        for (const auto &f : s.fields) {
            const int size = kindSize(f.value);
            if (f.value.kind == Kind::Struct || f.value.kind == Kind::Opaque ||
                f.value.kind == Kind::StrPtr || size == 0)
                return fail(error, s.where, "field " + f.name + " needs a fixed-size kind");
            if (f.offset + size > s.size)
                return fail(error, s.where, "field " + f.name + " ends past the struct's size");
            if (!fieldNames.insert(f.name).second)
                return fail(error, s.where, "second field named " + f.name);
            if (!checkRefs(catalog, f.value, s.where, error))
                return false;
        }
    }

    seen.clear();
    for (const auto &e : catalog.enums) {
        if (!seen.insert(e.name).second)
            return fail(error, e.where, "second enum named " + e.name);
        std::set<std::int64_t> values;
        for (const auto &v : e.values)
            if (!values.insert(v.value).second)
                return fail(error, e.where,
                            e.name + " lists " + std::to_string(v.value) + " twice");
    }

    std::set<Api> apis;
    for (const auto &r : catalog.results) {
        if (!apis.insert(r.api).second)
            return fail(error, r.where, std::string("second results block for ") + apiName(r.api));
        std::set<std::int64_t> codes;
        for (const auto &v : r.values)
            if (!codes.insert(v.code).second)
                return fail(error, r.where,
                            r.cType + " lists " + std::to_string(v.code) + " twice");
    }

    seen.clear();
    for (auto &fn : catalog.functions) {
        for (const auto &spelling : fn.spellings)
            if (!seen.insert(spelling).second)
                return fail(error, fn.where, "second function spelled " + spelling);
        const std::string &name = fn.spellings.front();

        if (fn.returnType == "void") {
            fn.returnKind = ReturnKind::Void;
        } else if (typeKey(fn.returnType) == "char *") {
            fn.returnKind = ReturnKind::String;
            fn.returnValue.kind = Kind::CStr;
            fn.returnValue.size = kRecStringCap;
        } else if (const TypeRule *rule = findRule(catalog, typeKey(fn.returnType))) {
            fn.returnValue = rule->value;
            fn.returnKind =
                rule->value.kind == Kind::Result ? ReturnKind::ResultCode : ReturnKind::Value;
        } else {
            return fail(error, fn.where, name + ": no type rule for return type " + fn.returnType);
        }

        std::set<std::string> paramNames;
        for (auto &p : fn.params) {
            const std::string what = name + " " + p.name + ": ";
            if (!paramNames.insert(p.name).second)
                return fail(error, fn.where, what + "second parameter of that name");
            if (!p.explicitKind) {
                std::string key = typeKey(p.cType);
                if (p.pointer)
                    key = typeKey(key.substr(0, key.size() - 1)); // one level less
                if (const TypeRule *rule = findRule(catalog, key))
                    p.value = rule->value;
                else if (p.pointer && findStruct(catalog, key))
                    p.value = *parseKind("struct(" + key + ")");
                else if (p.pointer)
                    p.value = ValueKind{}; // opaque: nothing the catalog reads
                else
                    return fail(error, fn.where, what + "no type rule for " + p.cType);
            }
            if (p.direction != Direction::In) {
                if (!p.pointer)
                    return fail(error, fn.where, what + "an output must be a pointer");
                if (p.value.kind == Kind::Opaque)
                    return fail(error, fn.where, what + "an output needs a kind to be read as");
            }
            if (!checkRefs(catalog, p.value, fn.where, error))
                return false;
        }
        for (auto &p : fn.params) {
            if (p.value.kind == Kind::Struct)
                p.value.size = findStruct(catalog, p.value.ref)->size;
            if (p.value.kind != Kind::CStr || p.value.boundParam.empty())
                continue;
            auto it = std::find_if(fn.params.begin(), fn.params.end(),
                                   [&](const Param &q) { return q.name == p.value.boundParam; });
            if (it == fn.params.end() || it->pointer || !isInteger(it->value.kind))
                return fail(error, fn.where,
                            name + " " + p.name + ": " + p.value.boundParam +
                                " is not an integer parameter of the function");
            p.value.boundIndex = int(it - fn.params.begin());
        }
        if (int(recorderOutputs(fn).size()) > kRecMaxOutputs)
            return fail(error, fn.where, name + ": more outputs than the recorder table holds");
    }

    std::map<std::string, std::string> spellingBase;
    seen.clear();
    for (const auto &v : catalog.variants) {
        if (!seen.insert(v.base).second)
            return fail(error, v.where, "second variants block for " + v.base);
        for (bool perThread : {false, true}) {
            int last = -1;
            for (const auto &step : v.steps) {
                if (step.perThread != perThread || !step.from)
                    continue;
                if (*step.from < last)
                    return fail(error, v.where, v.base + ": versions must not go down");
                last = *step.from;
            }
        }
        for (const auto &step : v.steps) {
            if (step.spelling == "-")
                continue;
            auto [it, inserted] = spellingBase.emplace(step.spelling, v.base);
            if (!inserted && it->second != v.base)
                return fail(error, v.where,
                            step.spelling + " is already a spelling of " + it->second);
        }
    }

    std::set<Uuid> uuids;
    seen.clear();
    for (const auto &t : catalog.exportTables) {
        if (!uuids.insert(t.uuid).second || !seen.insert(t.name).second)
            return fail(error, "exporttable " + t.name, "listed twice");
    }
    return true;
}

std::vector<RecorderOutput> recorderOutputs(const Function &function)
{
    std::vector<RecorderOutput> outputs;
    for (size_t i = 0; i < function.params.size() && int(i) < kRecRegisterArgs; ++i) {
        const Param &p = function.params[i];
        if (p.direction == Direction::In)
            continue;
        RecorderOutput out;
        out.arg = std::uint8_t(i);
        if (p.value.kind == Kind::CStr) {
            out.kind = 2;
            out.size = p.value.boundParam.empty() ? std::uint16_t(p.value.size) : kRecStringCap;
            if (p.value.boundIndex >= 0)
                out.lenArg = std::uint8_t(p.value.boundIndex);
        } else if (p.value.kind == Kind::StrPtr) {
            out.kind = 4; // the function stores a const char * at the pointer: read that string
            out.size = kRecStringCap;
        } else {
            out.kind = 1;
            out.size = std::uint16_t(kindSize(p.value));
        }
        outputs.push_back(out);
    }
    if (function.returnKind == ReturnKind::String)
        outputs.push_back({kRecReturnArg, 3, kRecStringCap, kRecNoLenArg});
    return outputs;
}


} // namespace initscope::catalogtext
