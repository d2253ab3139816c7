// The dynamic-linking view of an ELF file: what it is, what it needs, what it defines and which
// API names it may ask for at run time. Read with libelf over a private mapping of the file, so
// a cuBLAS-size library costs its symbol tables, not its size. Every offset and index is checked
// against the file; a malformed file gives an error, never a crash (docs/symbols.md).
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

struct ElfSymbol {
    QString name;
    QString version;       // "libcudart.so.13", "GLIBC_2.34"; empty when unversioned
    bool defaultVersion = true; // name@@VER (or unversioned); false for a hidden name@VER
    bool defined = false;  // st_shndx != SHN_UNDEF
    QString type;          // "func", "object", "tls", "ifunc", "notype", "section", "file", "common"
    QString binding;       // "global", "weak", "local", "unique"
    QString visibility;    // "default", "protected", "hidden", "internal"
    quint64 value = 0;
    quint64 size = 0;
};

// One DT_VERNEED entry: the versions required from one file.
struct ElfVersionNeed {
    QString file; // "libcudart.so.13"
    QStringList versions;
};

struct ElfImage {
    QString path;
    qint64 fileSize = 0;
    int elfClass = 0;      // 32 or 64
    bool littleEndian = true;
    int machine = 0;       // e_machine
    QString machineName;   // "x86-64", "AArch64", "i386", or "machine 183"
    QString fileType;      // "shared object", "executable", "relocatable", "core", "other"
    QString soname;
    QStringList needed;    // DT_NEEDED, in order
    QStringList rpath;     // DT_RPATH entries
    QStringList runpath;   // DT_RUNPATH entries
    bool bindNow = false;  // DF_BIND_NOW / DF_1_NOW: every undefined function resolved at load
    QList<ElfSymbol> symbols; // the dynamic symbol table, without the null entry
    QStringList versionDefinitions; // DT_VERDEF names, the file's own (base) name first
    QList<ElfVersionNeed> versionNeeds;
    // NUL-terminated strings in read-only data that look like CUDA driver, runtime or NVML entry
    // point names (cuXxx, cudaXxx, nvmlXxx): names the object may resolve by dlsym or
    // cuGetProcAddress at run time. Sorted, unique.
    QStringList apiStrings;
    // Functions and objects the file defines but does not export (hidden or internal visibility,
    // or local binding), from .symtab when the file is not stripped: names a consumer may look
    // for in vain although the source "defines" them. Sorted, unique.
    QStringList unexportedDefinitions;
    bool hasSymtab = false;

    QList<ElfSymbol> definedSymbols() const;
    QList<ElfSymbol> undefinedSymbols() const;
    const ElfSymbol *findDefined(const QString &name) const; // the default version if several
};

struct ElfReadOptions {
    bool apiStrings = true; // scan read-only data for API names
};

// Reads path. On failure returns nullopt and sets *error to one sentence naming the file and
// what is wrong with it ("… is not an ELF file", "… is truncated: section 12 ends past …").
std::optional<ElfImage> readElfImage(const QString &path, QString *error,
                                     const ElfReadOptions &options = {});

// The facts as JSON ({"format": "initscope-elf", "version": 1, …}) and back: how a bundle keeps
// them (an artifact of kind "elf-facts", docs/bundle-format.md) so that the symbol check works
// where the files are not.
QJsonObject elfImageToJson(const ElfImage &image);
std::optional<ElfImage> elfImageFromJson(const QJsonObject &json, QString *error);

// True for names that look like an entry point of the three APIs: cu[A-Z]…, cuda[A-Z]…,
// nvml[A-Z]… (letters, digits and underscores only).
bool looksLikeGpuApiName(const char *text, size_t length);

} // namespace initscope
