// Reference manifests (docs/symbols.md): save and load.
#include "symbolmanifest.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

// The resource lives in a static library: nothing would pull its initializer into a program
// without this reference. Q_INIT_RESOURCE must be used outside any namespace.
static void initManifestResource()
{
    Q_INIT_RESOURCE(manifests);
}

namespace initscope {

namespace {

bool hasApiPrefix(const QString &name, const QString &prefix)
{
    if (!name.startsWith(prefix))
        return false;
    // "cu" alone means the driver API: cuda… belongs to the runtime.
    return prefix != QLatin1String("cu") || !name.startsWith(QLatin1String("cuda"));
}

} // namespace

QStringList SymbolManifest::functions(const QString &prefix) const
{
    QStringList out;
    for (const ManifestExport &e : exports)
        if (e.type == QLatin1String("func") && hasApiPrefix(e.name, prefix) && !out.contains(e.name))
            out.append(e.name);
    std::sort(out.begin(), out.end());
    return out;
}

bool SymbolManifest::hasExport(const QString &name) const
{
    return std::any_of(exports.begin(), exports.end(), [&](const ManifestExport &e) { return e.name == name; });
}

SymbolManifest manifestFromImage(const ElfImage &image, const QString &sha256)
{
    SymbolManifest m;
    m.library = QFileInfo(image.path).fileName();
    m.soname = image.soname;
    m.sha256 = sha256;
    m.size = image.fileSize;
    m.elfClass = image.elfClass;
    m.machine = image.machineName;
    static const QRegularExpression releaseRe(QStringLiteral("\\.so\\.(\\d+(?:\\.\\d+)+)$"));
    const QRegularExpressionMatch rm = releaseRe.match(QFileInfo(image.path).canonicalFilePath());
    if (rm.hasMatch())
        m.release = rm.captured(1);
    for (const ElfSymbol &s : image.symbols) {
        if (!s.defined || s.visibility == QLatin1String("hidden") || s.visibility == QLatin1String("internal"))
            continue;
        m.exports.append({s.name, s.type, s.version, s.defaultVersion});
    }
    std::sort(m.exports.begin(), m.exports.end(), [](const ManifestExport &a, const ManifestExport &b) {
        return a.name != b.name ? a.name < b.name : a.version < b.version;
    });
    m.apiStrings = image.apiStrings;
    m.versionDefinitions = image.versionDefinitions;
    return m;
}

QJsonObject manifestToJson(const SymbolManifest &m)
{
    QJsonArray exports;
    for (const ManifestExport &e : m.exports) {
        QJsonObject o{{QStringLiteral("name"), e.name}, {QStringLiteral("type"), e.type}};
        if (!e.version.isEmpty()) {
            o.insert(QStringLiteral("version"), e.version);
            o.insert(QStringLiteral("default"), e.defaultVersion);
        }
        exports.append(o);
    }
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-symbol-manifest")},
                       {QStringLiteral("version"), kSymbolManifestVersion},
                       {QStringLiteral("library"), m.library},
                       {QStringLiteral("soname"), m.soname},
                       {QStringLiteral("release"), m.release},
                       {QStringLiteral("sha256"), m.sha256},
                       {QStringLiteral("size"), m.size},
                       {QStringLiteral("class"), m.elfClass},
                       {QStringLiteral("machine"), m.machine},
                       {QStringLiteral("note"), m.note},
                       {QStringLiteral("versionDefinitions"), QJsonArray::fromStringList(m.versionDefinitions)},
                       {QStringLiteral("exports"), exports},
                       {QStringLiteral("apiStrings"), QJsonArray::fromStringList(m.apiStrings)}};
}

std::optional<SymbolManifest> manifestFromJson(const QJsonObject &json, QString *error)
{
    auto fail = [&](const QString &why) -> std::optional<SymbolManifest> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    if (json.value(QLatin1String("format")).toString() != QLatin1String("initscope-symbol-manifest"))
        return fail(QStringLiteral("not an InitScope symbol manifest (no \"format\": \"initscope-symbol-manifest\")"));
    const int version = json.value(QLatin1String("version")).toInt();
    if (version != kSymbolManifestVersion)
        return fail(QStringLiteral("symbol manifest version %1 is not supported (this InitScope reads version %2)")
                        .arg(version)
                        .arg(kSymbolManifestVersion));
    SymbolManifest m;
    m.library = json.value(QLatin1String("library")).toString();
    m.soname = json.value(QLatin1String("soname")).toString();
    m.release = json.value(QLatin1String("release")).toString();
    m.sha256 = json.value(QLatin1String("sha256")).toString();
    m.size = json.value(QLatin1String("size")).toInteger();
    m.elfClass = json.value(QLatin1String("class")).toInt();
    m.machine = json.value(QLatin1String("machine")).toString();
    m.note = json.value(QLatin1String("note")).toString();
    for (const QJsonValue &v : json.value(QLatin1String("versionDefinitions")).toArray())
        m.versionDefinitions.append(v.toString());
    for (const QJsonValue &v : json.value(QLatin1String("apiStrings")).toArray())
        m.apiStrings.append(v.toString());
    const QJsonValue exports = json.value(QLatin1String("exports"));
    if (!exports.isArray())
        return fail(QStringLiteral("the manifest has no \"exports\" array"));
    for (const QJsonValue &v : exports.toArray()) {
        const QJsonObject o = v.toObject();
        ManifestExport e;
        e.name = o.value(QLatin1String("name")).toString();
        if (e.name.isEmpty())
            return fail(QStringLiteral("an entry of \"exports\" has no name"));
        e.type = o.value(QLatin1String("type")).toString(QStringLiteral("func"));
        e.version = o.value(QLatin1String("version")).toString();
        e.defaultVersion = o.value(QLatin1String("default")).toBool(true);
        m.exports.append(e);
    }
    return m;
}

std::optional<SymbolManifest> loadManifest(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("%1: not JSON (%2 at byte %3)").arg(path, parseError.errorString()).arg(parseError.offset);
        return std::nullopt;
    }
    QString why;
    auto m = manifestFromJson(doc.object(), &why);
    if (!m && error)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return m;
}

QList<SymbolManifest> builtinManifests()
{
    static const bool initialised = (initManifestResource(), true);
    Q_UNUSED(initialised);
    QList<SymbolManifest> out;
    for (const char *name : {":/manifests/libcuda-580.159.04.json", ":/manifests/libnvidia-ml-580.159.04.json"})
        if (auto m = loadManifest(QString::fromLatin1(name), nullptr))
            out.append(*m);
    return out;
}

std::optional<SymbolManifest> builtinManifestFor(const QString &family)
{
    const QString soname = family == QLatin1String("nvml") ? QStringLiteral("libnvidia-ml.so.1") : QStringLiteral("libcuda.so.1");
    for (const SymbolManifest &m : builtinManifests())
        if (m.soname == soname)
            return m;
    return std::nullopt;
}

} // namespace initscope
