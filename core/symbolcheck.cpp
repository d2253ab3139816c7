// The symbol-export checker (docs/symbols.md).
#include "symbolcheck.h"

#include "apicatalog.h"
#include "bundle.h"
#include "ingestelf.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace initscope {

namespace {

QString fileName(const QString &path)
{
    return QFileInfo(path).fileName();
}

// "cu" (driver API), "cuda" (runtime), "nvml", or empty.
QString apiFamily(const QString &name)
{
    if (!looksLikeGpuApiName(name.toLatin1().constData(), size_t(name.size())))
        return QString();
    if (name.startsWith(QLatin1String("cuda")))
        return QStringLiteral("cuda");
    if (name.startsWith(QLatin1String("nvml")))
        return QStringLiteral("nvml");
    return QStringLiteral("cu");
}

// Names a shim answers to: its SONAME and its file name.
bool answersTo(const ElfImage &shim, const QString &name)
{
    return !name.isEmpty() && (shim.soname == name || fileName(shim.path) == name);
}

QString listed(const QStringList &names, int max = 12)
{
    if (names.size() <= max)
        return names.join(QStringLiteral(", "));
    return names.mid(0, max).join(QStringLiteral(", ")) + QStringLiteral(" and %1 more").arg(names.size() - max);
}

struct ShimView {
    const ElfImage *image = nullptr;
    QHash<QString, QList<const ElfSymbol *>> defined; // by name
    QSet<QString> hidden;
    QSet<QString> families; // API families it exports functions of
};

int severityRank(CheckSeverity s)
{
    return s == CheckSeverity::Error ? 0 : s == CheckSeverity::Warning ? 1 : 2;
}

// The version file a consumer's undefined, versioned symbol is required from.
QString versionFile(const ElfImage &consumer, const QString &version)
{
    for (const ElfVersionNeed &n : consumer.versionNeeds)
        if (n.versions.contains(version))
            return n.file;
    return QString();
}

} // namespace

QString checkSeverityName(CheckSeverity severity)
{
    switch (severity) {
    case CheckSeverity::Error:
        return QStringLiteral("error");
    case CheckSeverity::Warning:
        return QStringLiteral("warning");
    case CheckSeverity::Info:
        break;
    }
    return QStringLiteral("info");
}

bool SymbolCheckResult::hasErrors() const
{
    return std::any_of(findings.begin(), findings.end(),
                       [](const SymbolFinding &f) { return f.severity == CheckSeverity::Error; });
}

SymbolCheckResult checkSymbols(const SymbolCheckInput &in)
{
    SymbolCheckResult r;
    const ApiCatalog &catalog = ApiCatalog::instance();
    QList<ShimView> shims;
    for (const ElfImage &img : in.shims) {
        ShimView v;
        v.image = &img;
        for (const ElfSymbol &s : img.symbols) {
            if (!s.defined || s.visibility == QLatin1String("hidden") || s.visibility == QLatin1String("internal"))
                continue;
            v.defined[s.name].append(&s);
            if (s.type == QLatin1String("func") && !apiFamily(s.name).isEmpty())
                v.families.insert(apiFamily(s.name));
        }
        for (const QString &h : img.unexportedDefinitions)
            v.hidden.insert(h);
        shims.append(v);
    }
    auto firstDefiner = [&](const QString &name) -> const ShimView * {
        for (const ShimView &v : shims)
            if (v.defined.contains(name))
                return &v;
        return nullptr;
    };

    // --- class and machine: a shim the loader would skip ---
    for (const ShimView &v : shims) {
        const ElfImage &s = *v.image;
        QString against;
        int wantClass = 64;
        QString wantMachine = QStringLiteral("x86-64");
        if (!in.consumers.isEmpty()) {
            wantClass = in.consumers.first().elfClass;
            wantMachine = in.consumers.first().machineName;
            against = fileName(in.consumers.first().path);
        } else {
            against = QStringLiteral("this machine's 64-bit x86-64 processes");
        }
        if (s.elfClass != wantClass || s.machineName != wantMachine) {
            r.findings.append({QStringLiteral("wrong-class"), CheckSeverity::Error,
                               QStringLiteral("%1 is %2-bit %3, %4 is %5-bit %6")
                                   .arg(fileName(s.path)).arg(s.elfClass).arg(s.machineName, against).arg(wantClass).arg(wantMachine),
                               QStringLiteral("The loader skips a library of the wrong class or machine (\"wrong ELF class: "
                                              "ELFCLASS%1\") and goes on searching: another %2 is loaded, or none.")
                                   .arg(s.elfClass)
                                   .arg(s.soname.isEmpty() ? fileName(s.path) : s.soname),
                               QStringLiteral("Build the shim for %1-bit %2.").arg(wantClass).arg(wantMachine),
                               s.path,
                               {}});
        }
    }

    // --- API functions exported as something else ---
    for (const ShimView &v : shims) {
        QStringList wrong;
        for (auto it = v.defined.constBegin(); it != v.defined.constEnd(); ++it) {
            if (!catalog.function(it.key()))
                continue;
            for (const ElfSymbol *d : it.value())
                if (d->type != QLatin1String("func") && d->type != QLatin1String("ifunc") && !wrong.contains(it.key()))
                    wrong.append(QStringLiteral("%1 (%2)").arg(it.key(), d->type));
        }
        std::sort(wrong.begin(), wrong.end());
        if (!wrong.isEmpty())
            r.findings.append({QStringLiteral("wrong-type"), CheckSeverity::Error,
                               QStringLiteral("%1 exports API functions as data: %2").arg(fileName(v.image->path), listed(wrong, 6)),
                               QStringLiteral("A consumer's call binds to the name and jumps into data: the process crashes "
                                              "or computes garbage."),
                               QStringLiteral("Define them as functions with the API's signature."),
                               v.image->path,
                               wrong});
    }

    // --- SONAME against the name it is loaded under ---
    for (const ShimView &v : shims) {
        const ElfImage &s = *v.image;
        QStringList loadedAs;
        for (const ElfImage &c : in.consumers)
            for (const QString &n : c.needed)
                if ((fileName(s.path) == n || fileName(s.path).startsWith(n + QLatin1Char('.'))) && !loadedAs.contains(n))
                    loadedAs.append(n);
        if (loadedAs.isEmpty()) {
            // No consumer names it: a versioned file name (libcuda.so.1) is the name it answers to.
            const QString file = fileName(s.path);
            if (file.contains(QLatin1String(".so.")))
                loadedAs.append(file);
        }
        for (const QString &n : loadedAs) {
            if (s.soname == n)
                continue;
            r.findings.append({QStringLiteral("soname-mismatch"), CheckSeverity::Warning,
                               s.soname.isEmpty() ? QStringLiteral("%1 has no SONAME; it is loaded as %2").arg(fileName(s.path), n)
                                                  : QStringLiteral("%1 has SONAME %2 but is loaded as %3").arg(fileName(s.path), s.soname, n),
                               QStringLiteral("The loader registers a library under its SONAME. A later request for %1 (a "
                                              "dlopen by ggml or the CUDA runtime, a DT_NEEDED of another library) does not "
                                              "match it and loads a second copy, or another file of that name.")
                                   .arg(n),
                               QStringLiteral("Link the shim with -Wl,-soname,%1.").arg(n),
                               s.path,
                               {}});
        }
    }

    // --- imports: what each consumer links against ---
    QHash<QString, QStringList> missingByConsumer, hiddenByConsumer, wrongTypeByConsumer;
    for (const ElfImage &c : in.consumers) {
        const QString consumer = fileName(c.path);
        QStringList neededShims;
        for (const ShimView &v : shims)
            for (const QString &n : c.needed)
                if (answersTo(*v.image, n))
                    neededShims.append(n);
        QSet<QString> seen;
        for (const ElfSymbol &u : c.symbols) {
            if (u.defined || seen.contains(u.name + QLatin1Char('@') + u.version))
                continue;
            seen.insert(u.name + QLatin1Char('@') + u.version);
            // Required from a shim: versioned against a file a shim answers to, or an API name
            // of a consumer that needs a shim.
            bool fromShim = false;
            if (!u.version.isEmpty()) {
                const QString file = versionFile(c, u.version);
                for (const ShimView &v : shims)
                    fromShim = fromShim || answersTo(*v.image, file);
            } else {
                fromShim = !apiFamily(u.name).isEmpty() && !neededShims.isEmpty();
            }
            if (!fromShim)
                continue;
            SymbolRow row{consumer, u.name, u.version, QStringLiteral("import"), QString(), QStringLiteral("ok")};
            const ShimView *def = firstDefiner(u.name);
            if (!def) {
                bool hidden = false;
                for (const ShimView &v : shims)
                    if (v.hidden.contains(u.name)) {
                        hidden = true;
                        row.providedBy = fileName(v.image->path);
                    }
                row.status = hidden ? QStringLiteral("hidden") : QStringLiteral("missing");
                if (u.binding != QLatin1String("weak"))
                    (hidden ? hiddenByConsumer : missingByConsumer)[consumer].append(u.name);
            } else {
                row.providedBy = fileName(def->image->path);
                const QList<const ElfSymbol *> defs = def->defined.value(u.name);
                // The linker copies the definition's type into the consumer's undefined entry, so
                // a function of the API (the catalog knows its signature) must be a function.
                const bool apiFunction = catalog.function(u.name) != nullptr;
                const QString wanted = apiFunction ? QStringLiteral("func") : u.type;
                const bool typeOk = std::any_of(defs.begin(), defs.end(), [&](const ElfSymbol *d) {
                    return wanted == QLatin1String("notype") || d->type == wanted ||
                           (wanted == QLatin1String("func") && d->type == QLatin1String("ifunc"));
                });
                if (!typeOk) {
                    row.status = QStringLiteral("wrong type");
                    wrongTypeByConsumer[consumer].append(QStringLiteral("%1 (%2, needed as %3)")
                                                             .arg(u.name, defs.first()->type, wanted));
                }
                if (!u.version.isEmpty() && !def->image->versionDefinitions.isEmpty() &&
                    !def->image->versionDefinitions.contains(u.version))
                    row.status = QStringLiteral("version missing");
            }
            r.rows.append(row);
        }
    }
    for (const ElfImage &c : in.consumers) {
        const QString consumer = fileName(c.path);
        const QString when = c.bindNow
                                 ? QStringLiteral("%1 binds every function at load (BIND_NOW): loading it fails with "
                                                  "\"undefined symbol\".")
                                       .arg(consumer)
                                 : QStringLiteral("Loading %1 fails with \"undefined symbol\" under dlopen(RTLD_NOW) (ggml "
                                                  "loads its backends so) or LD_BIND_NOW; with lazy binding the process "
                                                  "aborts at the first call of one of them.")
                                       .arg(consumer);
        const QStringList missing = missingByConsumer.value(consumer);
        if (!missing.isEmpty())
            r.findings.append({QStringLiteral("missing-import"), CheckSeverity::Error,
                               QStringLiteral("%1 imports %2 symbol(s) no shim defines: %3")
                                   .arg(consumer).arg(missing.size()).arg(listed(missing, 8)),
                               when,
                               QStringLiteral("Export %1 from the shim (forwarding to the real driver, or failing with an "
                                              "error code when unsupported).")
                                   .arg(listed(missing)),
                               c.path,
                               missing});
        const QStringList hidden = hiddenByConsumer.value(consumer);
        if (!hidden.isEmpty())
            r.findings.append({QStringLiteral("hidden-definition"), CheckSeverity::Error,
                               QStringLiteral("%1 needs %2, which the shim defines but does not export")
                                   .arg(consumer, listed(hidden, 8)),
                               QStringLiteral("The definitions have hidden visibility or local binding (a version script's "
                                              "local: *, -fvisibility=hidden): the loader cannot see them. ")
                                   + when,
                               QStringLiteral("Export them: list them under global: in the version script, or mark them "
                                              "__attribute__((visibility(\"default\"))).") ,
                               c.path,
                               hidden});
        const QStringList wrong = wrongTypeByConsumer.value(consumer);
        if (!wrong.isEmpty())
            r.findings.append({QStringLiteral("wrong-type"), CheckSeverity::Error,
                               QStringLiteral("%1 needs symbols of another type than the shim exports: %2").arg(consumer, listed(wrong, 6)),
                               QStringLiteral("The name binds, but a call jumps into data (or a data access reads code): "
                                              "the process crashes or computes garbage."),
                               QStringLiteral("Define them as functions with the API's signature."),
                               c.path,
                               wrong});
        // Required version nodes.
        for (const ElfVersionNeed &need : c.versionNeeds) {
            for (const ShimView &v : shims) {
                if (!answersTo(*v.image, need.file))
                    continue;
                const ElfImage &s = *v.image;
                if (s.versionDefinitions.isEmpty()) {
                    r.findings.append({QStringLiteral("no-version-info"), CheckSeverity::Warning,
                                       QStringLiteral("%1 requires versions %2 from %3, which defines no versions")
                                           .arg(consumer, need.versions.join(QStringLiteral(", ")), fileName(s.path)),
                                       QStringLiteral("The loader prints \"no version information available (required by "
                                                      "%1)\" and binds the names anyway.")
                                           .arg(consumer),
                                       QStringLiteral("Give the shim a version script that defines %1 and puts the "
                                                      "exports in it, as the real library does.")
                                           .arg(need.versions.join(QStringLiteral(", "))),
                                       s.path,
                                       {}});
                    continue;
                }
                QStringList absent;
                for (const QString &ver : need.versions)
                    if (!s.versionDefinitions.contains(ver))
                        absent.append(ver);
                if (!absent.isEmpty())
                    r.findings.append({QStringLiteral("version-missing"), CheckSeverity::Error,
                                       QStringLiteral("%1 requires version %2 of %3, which %4 does not define")
                                           .arg(consumer, absent.join(QStringLiteral(", ")), need.file, fileName(s.path)),
                                       QStringLiteral("The loader refuses to load %1: \"version `%2' not found (required "
                                                      "by %1)\".")
                                           .arg(consumer, absent.first()),
                                       QStringLiteral("Define the version node%1 %2 in the shim's version script and put "
                                                      "the symbols %3 imports under it.")
                                           .arg(absent.size() > 1 ? QStringLiteral("s") : QString(),
                                                absent.join(QStringLiteral(", ")), consumer),
                                       s.path,
                                       absent});
            }
        }
    }

    // --- names the consumers hold as data: what they may ask for at run time ---
    for (const ElfImage &c : in.consumers) {
        const QString consumer = fileName(c.path);
        QStringList asked, missing;
        for (const QString &name : c.apiStrings) {
            const QString family = apiFamily(name);
            bool shimOfFamily = false;
            for (const ShimView &v : shims)
                shimOfFamily = shimOfFamily || v.families.contains(family);
            if (!shimOfFamily || c.findDefined(name))
                continue;
            // Only real entry points: the reference's exports, else the catalog's functions.
            const bool real = in.reference ? in.reference->hasExport(name) : catalog.function(name) != nullptr;
            if (!real)
                continue;
            asked.append(name);
            const ShimView *def = firstDefiner(name);
            r.rows.append({consumer, name, QString(), QStringLiteral("by name"),
                           def ? fileName(def->image->path) : QString(),
                           def ? QStringLiteral("ok") : QStringLiteral("missing")});
            if (!def)
                missing.append(name);
        }
        if (!missing.isEmpty()) {
            r.findings.append({QStringLiteral("runtime-name-missing"), CheckSeverity::Warning,
                               QStringLiteral("%1 holds %2 driver-API names; the shims export %3 of them")
                                   .arg(consumer).arg(asked.size()).arg(asked.size() - missing.size()),
                               QStringLiteral("%1 may ask for these by dlsym or cuGetProcAddress at run time; a shim that "
                                              "neither exports nor resolves them answers NOT_FOUND. Missing: %2")
                                   .arg(consumer, listed(missing, 20)),
                               QStringLiteral("Resolve them in the shim's cuGetProcAddress (forwarding to the real "
                                              "driver), or export them."),
                               c.path,
                               missing});
        }
    }

    // --- ABI variants a real driver has and the shim lacks ---
    for (const ShimView &v : shims) {
        QStringList newer, older; // spellings after / before the newest one the shim exports
        QSet<QString> bases;
        for (auto it = v.defined.constBegin(); it != v.defined.constEnd(); ++it)
            if (apiFamily(it.key()) == QLatin1String("cu"))
                bases.insert(catalog.baseOf(it.key()));
        QStringList sortedBases(bases.begin(), bases.end());
        std::sort(sortedBases.begin(), sortedBases.end());
        for (const QString &base : sortedBases) {
            const QStringList spellings = catalog.spellingsOf(base); // oldest first
            qsizetype newestExported = -1;
            for (qsizetype i = 0; i < spellings.size(); ++i)
                if (v.defined.contains(spellings[i]))
                    newestExported = i;
            for (qsizetype i = 0; i < spellings.size(); ++i) {
                const bool inReference = in.reference ? in.reference->hasExport(spellings[i]) : true;
                if (inReference && !v.defined.contains(spellings[i]))
                    (i > newestExported ? newer : older).append(spellings[i]);
            }
        }
        if (newer.isEmpty() && older.isEmpty())
            continue;
        const QString source = in.reference ? QStringLiteral("the reference %1 exports them").arg(in.reference->library)
                                            : QStringLiteral("the catalog, measured on driver 580, knows them");
        QString detail = QStringLiteral("Each variant is a different ABI of the same call (_v2: 64-bit sizes, _v3 and "
                                        "later: new arguments, _ptsz/_ptds: per-thread default stream); %1.")
                             .arg(source);
        if (!newer.isEmpty())
            detail += QStringLiteral(" Newer than any spelling the shim has: %1 — consumers built against a newer CUDA "
                                     "link to them or are handed them by cuGetProcAddress.")
                          .arg(listed(newer, 20));
        if (!older.isEmpty())
            detail += QStringLiteral(" Older: %1 — only consumers built against an older CUDA use them.").arg(listed(older, 20));
        const QStringList all = newer + older;
        r.findings.append({QStringLiteral("variant-missing"), newer.isEmpty() ? CheckSeverity::Info : CheckSeverity::Warning,
                           QStringLiteral("%1 lacks %2 ABI variant(s) of functions it exports%3")
                               .arg(fileName(v.image->path))
                               .arg(all.size())
                               .arg(newer.isEmpty() ? QStringLiteral(" (older spellings only)")
                                                    : QStringLiteral(": %1").arg(listed(newer, 6))),
                           detail,
                           QStringLiteral("Export and resolve every spelling: %1.").arg(listed(all, 30)),
                           v.image->path,
                           all});
    }

    // --- names a recorded run asked for ---
    if (!in.requests.isEmpty()) {
        QStringList failed;
        QSet<QString> seen;
        for (const RuntimeRequest &q : in.requests) {
            if (seen.contains(q.symbol))
                continue;
            seen.insert(q.symbol);
            const ShimView *def = firstDefiner(q.symbol);
            r.rows.append({QStringLiteral("run"), q.symbol, QString(), QStringLiteral("run time (%1)").arg(q.via),
                           def ? fileName(def->image->path) : QString(),
                           q.provided ? QStringLiteral("ok") : QStringLiteral("missing")});
            if (!q.provided)
                failed.append(q.symbol);
        }
        if (!failed.isEmpty())
            r.findings.append({QStringLiteral("runtime-request-missing"), CheckSeverity::Warning,
                               QStringLiteral("the recorded run asked for %1 name(s); %2 were not provided")
                                   .arg(seen.size()).arg(failed.size()),
                               QStringLiteral("In %1 the shim answered these lookups without a function: %2. Most "
                                              "consumers go on without them; one they need then fails (see "
                                              "`initscope diagnose`).")
                                   .arg(in.bundlePath, listed(failed, 20)),
                               QStringLiteral("Resolve them in the shim's cuGetProcAddress."),
                               in.bundlePath,
                               failed});
    }

    // --- coverage against the reference ---
    if (in.reference) {
        const QString family = in.reference->soname.startsWith(QLatin1String("libnvidia-ml")) ? QStringLiteral("nvml")
                                                                                               : QStringLiteral("cu");
        const QStringList refFunctions = in.reference->functions(family);
        for (const ShimView &v : shims) {
            if (!v.families.contains(family))
                continue; // a shim of another API than the reference's
            int exported = 0;
            for (auto it = v.defined.constBegin(); it != v.defined.constEnd(); ++it)
                exported += apiFamily(it.key()) == family ? 1 : 0;
            QString detail = QStringLiteral("The reference %1 (%2%3) exports %4 %5* functions; %6 exports %7.")
                                 .arg(in.reference->library, in.reference->soname,
                                      in.reference->release.isEmpty() ? QString() : QStringLiteral(", release %1").arg(in.reference->release))
                                 .arg(refFunctions.size())
                                 .arg(family, fileName(v.image->path))
                                 .arg(exported);
            for (const ElfImage &c : in.consumers) {
                int asked = 0, lacking = 0;
                for (const QString &name : c.apiStrings) {
                    if (!refFunctions.contains(name))
                        continue;
                    ++asked;
                    lacking += v.defined.contains(name) ? 0 : 1;
                }
                if (asked > 0)
                    detail += QStringLiteral(" Of the %1 that %2 holds by name, %3 are missing.").arg(asked).arg(fileName(c.path)).arg(lacking);
            }
            r.findings.append({QStringLiteral("reference-coverage"), CheckSeverity::Info,
                               QStringLiteral("%1 exports %2 of the reference's %3 %4* functions")
                                   .arg(fileName(v.image->path)).arg(exported).arg(refFunctions.size()).arg(family),
                               detail, QString(), v.image->path, {}});
        }
    }

    std::stable_sort(r.findings.begin(), r.findings.end(), [](const SymbolFinding &a, const SymbolFinding &b) {
        return severityRank(a.severity) < severityRank(b.severity);
    });
    return r;
}

QList<RuntimeRequest> runtimeRequests(const BundleReader &reader, qint64 runId)
{
    QList<RuntimeRequest> out;
    for (const Run &run : reader.runs()) {
        if (runId >= 0 && run.id != runId)
            continue;
        QHash<qint64, QString> processNames;
        for (const Process &p : reader.processes(run.id))
            processNames.insert(p.id, QStringLiteral("pid %1 (%2)").arg(p.pid).arg(fileName(p.exe)));
        QSet<QString> viaDlsym;
        for (const Event &e : reader.events(run.id)) {
            if (!e.kind.endsWith(QLatin1String(".call")))
                continue;
            const QJsonObject p = QJsonDocument::fromJson(e.payload).object();
            // A function the program got with dlsym (the recorder bound it there) and called.
            if (p.value(QLatin1String("reach")).toString() == QLatin1String("dlsym") && !viaDlsym.contains(e.name)) {
                viaDlsym.insert(e.name);
                RuntimeRequest q;
                q.symbol = e.name;
                q.via = QStringLiteral("dlsym");
                q.provided = true;
                q.process = processNames.value(e.processId);
                out.append(q);
            }
            if (!e.name.startsWith(QLatin1String("cuGetProcAddress")))
                continue;
            const QJsonObject resolved = p.value(QLatin1String("resolved")).toObject();
            const QString symbol = resolved.value(QLatin1String("symbol")).toString();
            if (symbol.isEmpty())
                continue;
            RuntimeRequest q;
            q.symbol = symbol;
            q.via = e.name;
            q.cudaVersion = resolved.value(QLatin1String("cudaVersion")).toInt();
            q.provided = resolved.value(QLatin1String("ok")).toBool(false) && p.value(QLatin1String("ok")).toBool(false);
            q.process = processNames.value(e.processId);
            out.append(q);
        }
    }
    return out;
}

SymbolCheckResult checkRecordedRun(const BundleReader &reader, qint64 runId)
{
    SymbolCheckInput in;
    QList<ElfImage> drivers;
    for (const StoredElf &e : storedElfFacts(reader, runId)) {
        if (e.role == QLatin1String("shim"))
            in.shims.append(e.image);
        else if (e.role == QLatin1String("driver"))
            drivers.append(e.image);
        else
            in.consumers.append(e.image);
    }
    if (in.shims.isEmpty())
        in.shims = drivers;
    if (in.shims.isEmpty())
        return {};
    in.requests = runtimeRequests(reader, runId);
    in.bundlePath = reader.path();
    bool driverApi = false;
    for (const ElfImage &s : in.shims)
        for (const ElfSymbol &sym : s.symbols)
            driverApi = driverApi || (sym.defined && apiFamily(sym.name) == QLatin1String("cu"));
    in.reference = builtinManifestFor(driverApi ? QStringLiteral("cu") : QStringLiteral("nvml"));
    return checkSymbols(in);
}

QString formatSymbolCheckText(const SymbolCheckResult &r)
{
    QString out;
    int errors = 0, warnings = 0;
    for (const SymbolFinding &f : r.findings) {
        errors += f.severity == CheckSeverity::Error ? 1 : 0;
        warnings += f.severity == CheckSeverity::Warning ? 1 : 0;
        out += QStringLiteral("[%1] %2 (%3)\n").arg(checkSeverityName(f.severity), f.title, f.id);
        out += QStringLiteral("    %1\n").arg(f.detail);
        if (!f.fix.isEmpty())
            out += QStringLiteral("    fix: %1\n").arg(f.fix);
        out += QLatin1Char('\n');
    }
    QHash<QString, int> missingRows;
    for (const SymbolRow &row : r.rows)
        if (row.status != QLatin1String("ok"))
            ++missingRows[row.consumer];
    out += QStringLiteral("%1 error(s), %2 warning(s); %3 symbol(s) checked")
               .arg(errors)
               .arg(warnings)
               .arg(r.rows.size());
    QStringList per;
    for (auto it = missingRows.constBegin(); it != missingRows.constEnd(); ++it)
        per.append(QStringLiteral("%1: %2 not satisfied").arg(it.key()).arg(it.value()));
    std::sort(per.begin(), per.end());
    if (!per.isEmpty())
        out += QStringLiteral(" (%1)").arg(per.join(QStringLiteral("; ")));
    out += QLatin1Char('\n');
    return out;
}

QJsonObject symbolCheckToJson(const SymbolCheckResult &r)
{
    QJsonArray findings;
    for (const SymbolFinding &f : r.findings)
        findings.append(QJsonObject{{QStringLiteral("id"), f.id},
                                    {QStringLiteral("severity"), checkSeverityName(f.severity)},
                                    {QStringLiteral("title"), f.title},
                                    {QStringLiteral("detail"), f.detail},
                                    {QStringLiteral("fix"), f.fix},
                                    {QStringLiteral("library"), f.library},
                                    {QStringLiteral("symbols"), QJsonArray::fromStringList(f.symbols)}});
    QJsonArray rows;
    for (const SymbolRow &row : r.rows)
        rows.append(QJsonObject{{QStringLiteral("consumer"), row.consumer},
                                {QStringLiteral("symbol"), row.symbol},
                                {QStringLiteral("version"), row.version},
                                {QStringLiteral("how"), row.how},
                                {QStringLiteral("providedBy"), row.providedBy},
                                {QStringLiteral("status"), row.status}});
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-symbols")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("errors"), r.hasErrors()},
                       {QStringLiteral("findings"), findings},
                       {QStringLiteral("symbols"), rows}};
}

} // namespace initscope
