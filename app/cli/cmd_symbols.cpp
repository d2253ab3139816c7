// initscope symbols: the ELF facts of a library, and reference manifests of real libraries.
// Documented in docs/cli.md and docs/symbols.md.
#include "commands.h"

#include "bundleruns.h"
#include "elfimage.h"
#include "elffacts.h"
#include "symbolmanifest.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope symbols --describe [--json] LIB\n"
    "       initscope symbols --save-manifest OUT.json [--note TEXT] LIB\n"
    "\n"
    "Read the dynamic-linking facts of an ELF file: class, machine, SONAME, needed libraries,\n"
    "search paths, exported and imported symbols with their versions, and the CUDA, runtime\n"
    "and NVML names it holds as data (names it may ask for at run time).\n"
    "\n"
    "options:\n"
    "  --describe           print those facts (text, or one JSON document with --json)\n"
    "  --save-manifest OUT  save LIB's exported interface as a reference manifest, for comparing\n"
    "                       shims with a real driver on machines that have none\n"
    "  --note TEXT          free text stored in the manifest (where and how it was made)\n"
    "  -h, --help           show this help\n";

int usage(const QString &message)
{
    std::fprintf(stderr, "initscope symbols: %s\nRun 'initscope symbols --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

QJsonObject imageToJson(const ElfImage &img)
{
    QJsonArray symbols;
    for (const ElfSymbol &s : img.symbols) {
        QJsonObject o{{QStringLiteral("name"), s.name},
                      {QStringLiteral("defined"), s.defined},
                      {QStringLiteral("type"), s.type},
                      {QStringLiteral("binding"), s.binding},
                      {QStringLiteral("visibility"), s.visibility}};
        if (!s.version.isEmpty()) {
            o.insert(QStringLiteral("version"), s.version);
            o.insert(QStringLiteral("default"), s.defaultVersion);
        }
        symbols.append(o);
    }
    QJsonArray needs;
    for (const ElfVersionNeed &n : img.versionNeeds)
        needs.append(QJsonObject{{QStringLiteral("file"), n.file},
                                 {QStringLiteral("versions"), QJsonArray::fromStringList(n.versions)}});
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-elf")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("path"), img.path},
                       {QStringLiteral("size"), img.fileSize},
                       {QStringLiteral("class"), img.elfClass},
                       {QStringLiteral("machine"), img.machineName},
                       {QStringLiteral("fileType"), img.fileType},
                       {QStringLiteral("soname"), img.soname},
                       {QStringLiteral("needed"), QJsonArray::fromStringList(img.needed)},
                       {QStringLiteral("rpath"), QJsonArray::fromStringList(img.rpath)},
                       {QStringLiteral("runpath"), QJsonArray::fromStringList(img.runpath)},
                       {QStringLiteral("bindNow"), img.bindNow},
                       {QStringLiteral("versionDefinitions"), QJsonArray::fromStringList(img.versionDefinitions)},
                       {QStringLiteral("versionNeeds"), needs},
                       {QStringLiteral("symbols"), symbols},
                       {QStringLiteral("unexportedDefinitions"), QJsonArray::fromStringList(img.unexportedDefinitions)},
                       {QStringLiteral("apiStrings"), QJsonArray::fromStringList(img.apiStrings)}};
}

QString describeText(const ElfImage &img)
{
    QList<ElfSymbol> defined = img.definedSymbols();
    QList<ElfSymbol> undefined = img.undefinedSymbols();
    const auto byName = [](const ElfSymbol &a, const ElfSymbol &b) { return a.name < b.name; };
    std::stable_sort(defined.begin(), defined.end(), byName);
    std::stable_sort(undefined.begin(), undefined.end(), byName);
    QString out;
    out += QStringLiteral("%1\n").arg(img.path);
    out += QStringLiteral("  %1-bit %2 %3, %4 bytes\n").arg(img.elfClass).arg(img.machineName, img.fileType).arg(img.fileSize);
    out += QStringLiteral("  soname      %1\n").arg(img.soname.isEmpty() ? QStringLiteral("(none)") : img.soname);
    out += QStringLiteral("  needed      %1\n").arg(img.needed.isEmpty() ? QStringLiteral("(none)") : img.needed.join(QStringLiteral(", ")));
    if (!img.rpath.isEmpty())
        out += QStringLiteral("  rpath       %1\n").arg(img.rpath.join(QLatin1Char(':')));
    if (!img.runpath.isEmpty())
        out += QStringLiteral("  runpath     %1\n").arg(img.runpath.join(QLatin1Char(':')));
    out += QStringLiteral("  binding     %1\n").arg(img.bindNow ? QStringLiteral("every function at load (BIND_NOW)")
                                                             : QStringLiteral("lazy"));
    if (!img.versionDefinitions.isEmpty())
        out += QStringLiteral("  defines     versions %1\n").arg(img.versionDefinitions.join(QStringLiteral(", ")));
    for (const ElfVersionNeed &n : img.versionNeeds)
        out += QStringLiteral("  needs       %1 from %2\n").arg(n.versions.join(QStringLiteral(", ")), n.file);
    out += QStringLiteral("  exports     %1 symbols\n").arg(defined.size());
    out += QStringLiteral("  imports     %1 symbols\n").arg(undefined.size());
    out += QStringLiteral("  API names   %1 held as data\n").arg(img.apiStrings.size());
    if (!img.unexportedDefinitions.isEmpty())
        out += QStringLiteral("  not exported  %1 defined functions or objects (hidden or local)\n").arg(img.unexportedDefinitions.size());
    out += QStringLiteral("\nexports\n");
    for (const ElfSymbol &s : defined)
        out += QStringLiteral("  %1%2  %3 %4%5\n")
                   .arg(s.name, s.version.isEmpty() ? QString() : (s.defaultVersion ? QStringLiteral("@@") : QStringLiteral("@")) + s.version,
                        s.type, s.binding,
                        s.visibility == QLatin1String("default") ? QString() : QLatin1Char(' ') + s.visibility);
    out += QStringLiteral("\nimports\n");
    for (const ElfSymbol &s : undefined)
        out += QStringLiteral("  %1%2\n").arg(s.name, s.version.isEmpty() ? QString() : QLatin1Char('@') + s.version);
    return out;
}

} // namespace

int cmdSymbols(const QStringList &args)
{
    bool describe = false, json = false;
    QString manifestOut, note;
    QStringList files;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            writeStdout(kHelp);
            return ExitOk;
        } else if (a == QLatin1String("--describe")) {
            describe = true;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a == QLatin1String("--save-manifest") || a == QLatin1String("--note")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            (a == QLatin1String("--note") ? note : manifestOut) = args[++i];
        } else if (a.startsWith(QLatin1Char('-')) && a.size() > 1) {
            return usage(QStringLiteral("unknown option %1").arg(a));
        } else {
            files.append(a);
        }
    }
    if (describe == !manifestOut.isEmpty())
        return usage(QStringLiteral("give one of --describe and --save-manifest"));
    if (files.size() != 1)
        return usage(QStringLiteral("give exactly one library"));
    if (json && !describe)
        return usage(QStringLiteral("--json goes with --describe (a manifest is JSON already)"));
    const QString lib = files.first();
    if (!QFileInfo::exists(lib)) {
        std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(lib));
        return ExitNoInput;
    }
    QString error;
    const std::optional<ElfImage> img = readElfImage(lib, &error);
    if (!img) {
        std::fprintf(stderr, "initscope: %s\n", qPrintable(error));
        return ExitBadInput;
    }
    if (describe) {
        writeStdout(json ? QJsonDocument(imageToJson(*img)).toJson(QJsonDocument::Indented) : describeText(*img).toUtf8());
        return std::fflush(stdout) == 0 ? ExitOk : ExitInternal;
    }
    SymbolManifest manifest = manifestFromImage(*img, fileArtifact(QStringLiteral("manifest"), lib).sha256);
    manifest.note = note;
    QSaveFile out(manifestOut);
    if (!out.open(QIODevice::WriteOnly) ||
        out.write(QJsonDocument(manifestToJson(manifest)).toJson(QJsonDocument::Indented)) < 0 || !out.commit()) {
        std::fprintf(stderr, "initscope: cannot write %s: %s\n", qPrintable(manifestOut), qPrintable(out.errorString()));
        return ExitCantCreate;
    }
    std::fprintf(stderr, "initscope: %s: %lld exported symbols (%lld cu*, %lld cuda*, %lld nvml* functions) -> %s\n",
                 qPrintable(lib), static_cast<long long>(manifest.exports.size()),
                 static_cast<long long>(manifest.functions(QStringLiteral("cu")).size()),
                 static_cast<long long>(manifest.functions(QStringLiteral("cuda")).size()),
                 static_cast<long long>(manifest.functions(QStringLiteral("nvml")).size()), qPrintable(manifestOut));
    return ExitOk;
}

} // namespace initscope::cli
