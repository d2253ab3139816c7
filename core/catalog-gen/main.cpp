// initscope-catalog-gen: writes the recorder's function table (a plain C header) from the API
// catalog's data files, at build time, so that the injected recorder needs neither Qt nor the
// data files at run time and cannot drift from what core decodes.
//
//     initscope-catalog-gen --output <header> <catalog file>...
//
// The header's format is what core/recorder consumes; docs/api-catalog.md describes it.
#include "catalogtext.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace initscope::catalogtext;

namespace {

struct Entry {
    std::string name;
    Api api;
    size_t nargs;
    std::vector<RecorderOutput> outputs;
};

int usage()
{
    std::fprintf(stderr, "usage: initscope-catalog-gen --output <header> <catalog file>...\n");
    return 2;
}

std::string header(const std::vector<Entry> &entries)
{
    std::ostringstream out;
    out << "/* generated: do not edit */\n"
           "/* Made by initscope-catalog-gen (core/catalog-gen) from resources/catalog; see\n"
           " * docs/api-catalog.md. */\n"
           "#ifndef INITSCOPE_RECORDER_TABLE_H\n"
           "#define INITSCOPE_RECORDER_TABLE_H\n"
           "\n"
           "#include <stdint.h>\n"
           "\n"
           "struct RecOutSpec { uint8_t arg; uint8_t kind; uint16_t size; uint8_t len_arg; };\n"
           "/* kind: 1 = `size` bytes at the pointer; 2 = NUL-terminated string, at most `size` "
           "bytes, or at most args[len_arg] bytes when len_arg != 255; 3 = the returned const "
           "char* string (arg = 255), at most `size` bytes; 4 = the string whose address the "
           "function stored at the pointer (a const char **), at most `size` bytes */\n"
           "struct RecFnSpec { const char *name; uint8_t api; uint8_t nargs; uint8_t nout; "
           "struct RecOutSpec out[4]; };\n"
           "static const struct RecFnSpec kRecFunctions[] = {\n"
           "    /* sorted by name (strcmp order) for bsearch */\n";
    for (const auto &e : entries) {
        out << "    {\"" << e.name << "\", " << int(e.api) << ", " << e.nargs << ", "
            << e.outputs.size() << ", {";
        for (int i = 0; i < kRecMaxOutputs; ++i) {
            RecorderOutput o;
            if (size_t(i) < e.outputs.size())
                o = e.outputs[size_t(i)];
            else
                o.lenArg = 0; // unused slots are all zero
            out << (i ? ", " : "") << "{" << int(o.arg) << ", " << int(o.kind) << ", " << o.size
                << ", " << int(o.lenArg) << "}";
        }
        out << "}},\n";
    }
    out << "};\n"
           "static const unsigned kRecFunctionCount = "
        << entries.size()
        << "u;\n"
           "\n"
           "#endif\n";
    return out.str();
}

} // namespace

int main(int argc, char **argv)
{
    std::string output;
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (argv[i][0] == '-')
            return usage();
        else
            inputs.emplace_back(argv[i]);
    }
    if (output.empty() || inputs.empty())
        return usage();

    Catalog catalog;
    std::string error;
    for (const auto &path : inputs) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "initscope-catalog-gen: cannot read %s\n", path.c_str());
            return 1;
        }
        std::stringstream text;
        text << in.rdbuf();
        if (!parseText(text.str(), path, catalog, &error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
    }
    if (!resolve(catalog, &error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }

    std::vector<Entry> entries;
    for (const auto &fn : catalog.functions)
        for (const auto &spelling : fn.spellings)
            entries.push_back({spelling, fn.api, fn.params.size(), recorderOutputs(fn)});
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        return std::strcmp(a.name.c_str(), b.name.c_str()) < 0;
    });

    // Written beside the target, then renamed: an interrupted build never leaves half a header.
    const std::string temp = output + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << header(entries);
        if (!out) {
            std::fprintf(stderr, "initscope-catalog-gen: cannot write %s\n", temp.c_str());
            return 1;
        }
    }
    if (std::rename(temp.c_str(), output.c_str()) != 0) {
        std::perror(output.c_str());
        return 1;
    }
    return 0;
}
