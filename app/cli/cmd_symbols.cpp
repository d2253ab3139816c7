// initscope symbols: the ELF facts of a library, and reference manifests of real libraries.
// Documented in docs/cli.md and docs/symbols.md.
#include "commands.h"

#include "bundleruns.h"
#include "colour.h"
#include "elfimage.h"
#include "elffacts.h"
#include "ingestelf.h"
#include "bundle.h"
#include "symbolcheck.h"
#include "symbolmanifest.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>

#include <algorithm>
#include <cstdio>

namespace initscope::cli {

namespace {

constexpr char kHelp[] =
    "usage: initscope symbols [--consumer PATH]... [--reference MANIFEST] [--bundle FILE] [--json] [--color=WHEN] SHIM...\n"
    "       initscope symbols --bundle FILE [--reference MANIFEST] [--json]\n"
    "       initscope symbols --describe [--json] LIB\n"
    "       initscope symbols --save-manifest OUT.json [--note TEXT] LIB\n"
    "\n"
    "Check whether the shims SHIM... (in the order they are loaded) satisfy their consumers:\n"
    "imports no shim defines, hidden or wrongly typed definitions, missing symbol versions,\n"
    "a SONAME that differs from the name it is loaded under, the wrong ELF class, ABI variants\n"
    "(_v2, _ptsz, ...) a real driver has and the shim lacks, and names the consumers or a\n"
    "recorded run ask for at run time. Exit status 0 when no check fails, 1 when one does.\n"
    "\n"
    "options:\n"
    "  --consumer PATH      a program or library that uses the shims (repeatable)\n"
    "  --reference MANIFEST compare with a real library's manifest; \"builtin\" picks the\n"
    "                       built-in one of driver 580 for the shims' API (libcuda or NVML)\n"
    "  --bundle FILE        also check the names the recorded runs asked for; without SHIM\n"
    "                       (or --consumer), the shims (consumers) whose ELF facts the bundle\n"
    "                       keeps from the recording are checked\n"
    "  --json               print one JSON document (format \"initscope-symbols\")\n"
    "  --describe           print those facts (text, or one JSON document with --json)\n"
    "  --save-manifest OUT  save LIB's exported interface as a reference manifest, for comparing\n"
    "                       shims with a real driver on machines that have none\n"
    "  --note TEXT          free text stored in the manifest (where and how it was made)\n"
    "  --color=WHEN         colour the text: auto (default: on a terminal, unless NO_COLOR is\n"
    "                       set), always or never\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 no check fails with an error, 1 one does, 64 bad command line, 65 a file\n"
    "that is not ELF, an unreadable manifest or a bundle without a shim's facts, 66 no such\n"
    "file, 73 --save-manifest cannot write.\n"
    "\n"
    "examples:\n"
    "  initscope symbols --bundle ollama.initscope\n"
    "  initscope symbols --reference builtin --consumer ./libggml-cuda.so ./libcuda.so.1\n"
    "  initscope symbols --describe --json ./libcuda.so.1\n"
    "  initscope symbols --save-manifest driver.json --note \"driver 580\" /usr/lib/x86_64-linux-gnu/libcuda.so.1\n";

int usage(const QString &message)
{
    std::fprintf(stderr, "initscope symbols: %s\nRun 'initscope symbols --help' for usage.\n", qPrintable(message));
    return ExitUsage;
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


int runCheck(const QStringList &shimPaths, const QStringList &consumerPaths, const QString &referencePath,
             const QString &bundlePath, bool json)
{
    SymbolCheckInput in;
    auto readAll = [](const QStringList &paths, QList<ElfImage> &out) -> int {
        for (const QString &path : paths) {
            if (!QFileInfo::exists(path)) {
                std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(path));
                return ExitNoInput;
            }
            QString error;
            std::optional<ElfImage> img = readElfImage(path, &error);
            if (!img) {
                std::fprintf(stderr, "initscope: %s\n", qPrintable(error));
                return ExitBadInput;
            }
            out.append(*img);
        }
        return ExitOk;
    };
    if (int rc = readAll(shimPaths, in.shims); rc != ExitOk)
        return rc;
    if (int rc = readAll(consumerPaths, in.consumers); rc != ExitOk)
        return rc;
    if (referencePath == QLatin1String("builtin")) {
        // Resolved below, once the shims (from the command line or the bundle) are known.
    } else if (!referencePath.isEmpty()) {
        if (!QFileInfo::exists(referencePath)) {
            std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(referencePath));
            return ExitNoInput;
        }
        QString error;
        in.reference = loadManifest(referencePath, &error);
        if (!in.reference) {
            std::fprintf(stderr, "initscope: %s\n", qPrintable(error));
            return ExitBadInput;
        }
    }
    if (!bundlePath.isEmpty()) {
        if (!QFileInfo::exists(bundlePath)) {
            std::fprintf(stderr, "initscope: %s: no such file\n", qPrintable(bundlePath));
            return ExitNoInput;
        }
        BundleError error;
        std::unique_ptr<BundleReader> reader = BundleReader::open(bundlePath, &error);
        if (!reader) {
            printError(error.message);
            return ExitBadInput;
        }
        in.requests = runtimeRequests(*reader);
        in.bundlePath = bundlePath;
        // The facts stored at recording stand in for files not named here (or not on this machine).
        QList<ElfImage> storedShims, storedDrivers, storedConsumers;
        QSet<QString> seen;
        for (const Run &run : reader->runs())
            for (const StoredElf &e : storedElfFacts(*reader, run.id)) {
                if (seen.contains(e.role + e.image.path))
                    continue;
                seen.insert(e.role + e.image.path);
                (e.role == QLatin1String("shim") ? storedShims
                 : e.role == QLatin1String("driver") ? storedDrivers
                                                      : storedConsumers).append(e.image);
            }
        if (in.shims.isEmpty())
            in.shims = storedShims.isEmpty() ? storedDrivers : storedShims;
        if (in.consumers.isEmpty())
            in.consumers = storedConsumers;
        if (in.shims.isEmpty()) {
            std::fprintf(stderr, "initscope: %s holds no ELF facts of a shim or driver library; name the shims "
                                 "to check\n", qPrintable(bundlePath));
            return ExitBadInput;
        }
    }
    if (referencePath == QLatin1String("builtin")) {
        bool driverApi = false;
        for (const ElfImage &shim : in.shims)
            for (const ElfSymbol &sym : shim.symbols)
                driverApi = driverApi || (sym.defined && sym.name.startsWith(QLatin1String("cu")) &&
                                          !sym.name.startsWith(QLatin1String("cuda")));
        in.reference = builtinManifestFor(driverApi ? QStringLiteral("cu") : QStringLiteral("nvml"));
    }
    const SymbolCheckResult result = checkSymbols(in);
    if (json)
        writeJson(symbolCheckToJson(result));
    else
        writeStyled(formatSymbolCheckText(result).toUtf8());
    if (std::fflush(stdout) != 0)
        return ExitInternal;
    return result.hasErrors() ? 1 : ExitOk;
}

} // namespace

int cmdSymbols(const QStringList &arguments)
{
    QStringList args = arguments;
    if (QString why; !takeColourOption(&args, &why))
        return usage(why);
    bool describe = false, json = false;
    QString manifestOut, note, referencePath, bundlePath;
    QStringList files, consumers;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
            writeStdout(kHelp);
            return ExitOk;
        } else if (a == QLatin1String("--describe")) {
            describe = true;
        } else if (a == QLatin1String("--json")) {
            json = true;
        } else if (a == QLatin1String("--save-manifest") || a == QLatin1String("--note") ||
                   a == QLatin1String("--consumer") || a == QLatin1String("--reference") ||
                   a == QLatin1String("--bundle")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            const QString value = args[++i];
            if (a == QLatin1String("--note"))
                note = value;
            else if (a == QLatin1String("--save-manifest"))
                manifestOut = value;
            else if (a == QLatin1String("--consumer"))
                consumers.append(value);
            else if (a == QLatin1String("--reference"))
                referencePath = value;
            else
                bundlePath = value;
        } else if (a.startsWith(QLatin1Char('-')) && a.size() > 1) {
            return usage(QStringLiteral("unknown option %1").arg(a));
        } else {
            files.append(a);
        }
    }
    if (describe && !manifestOut.isEmpty())
        return usage(QStringLiteral("--describe and --save-manifest exclude each other"));
    if (!describe && manifestOut.isEmpty()) {
        if (files.isEmpty() && bundlePath.isEmpty())
            return usage(QStringLiteral("give at least one shim library to check, or --bundle"));
        return runCheck(files, consumers, referencePath, bundlePath, json);
    }
    if (!consumers.isEmpty() || !referencePath.isEmpty() || !bundlePath.isEmpty())
        return usage(QStringLiteral("--consumer, --reference and --bundle go with a check, not with %1")
                         .arg(describe ? QStringLiteral("--describe") : QStringLiteral("--save-manifest")));
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
        if (json)
            writeJson(elfImageToJson(*img));
        else
            writeStyled(describeText(*img).toUtf8());
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
