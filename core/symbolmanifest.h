// A reference manifest: the exported interface of a real library (a driver's libcuda.so.1, its
// libnvidia-ml.so.1, a runtime), saved as JSON so that a shim can be compared with it on a
// machine that has no such library (docs/symbols.md).
#pragma once

#include "elfimage.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

inline constexpr int kSymbolManifestVersion = 1;

struct ManifestExport {
    QString name;
    QString type;    // as ElfSymbol::type
    QString version; // empty when unversioned
    bool defaultVersion = true;
};

struct SymbolManifest {
    QString library;      // file name as saved, e.g. "libcuda.so.580.159.04"
    QString soname;
    QString sha256;
    qint64 size = 0;
    int elfClass = 0;
    QString machine;
    QString release;      // the version in the file name after ".so.", e.g. "580.159.04"
    QString note;         // free text: where and how it was made
    QList<ManifestExport> exports; // defined, default-visibility dynamic symbols, by name
    QStringList apiStrings;        // names the library holds as data (as ElfImage::apiStrings)
    QStringList versionDefinitions;

    // Exported functions whose name starts with prefix ("cu", "cuda", "nvml"; "cu" excludes
    // "cuda"), sorted.
    QStringList functions(const QString &prefix) const;
    bool hasExport(const QString &name) const;
};

SymbolManifest manifestFromImage(const ElfImage &image, const QString &sha256);
QJsonObject manifestToJson(const SymbolManifest &manifest);
// nullopt with *error set when the JSON is not a manifest of a known version.
std::optional<SymbolManifest> manifestFromJson(const QJsonObject &json, QString *error);
std::optional<SymbolManifest> loadManifest(const QString &path, QString *error);

// The manifests built into InitScope (resources/manifests): real driver libraries.
QList<SymbolManifest> builtinManifests();
// The built-in manifest for shims of API family "cu" (libcuda) or "nvml", if any.
std::optional<SymbolManifest> builtinManifestFor(const QString &family);

} // namespace initscope
