// Rules about library searches: a GPU library not found (with the file probably meant) and the
// wrong file found first on the search path, from the trail and the lib.alternatives facts
// ingest recorded (docs/diagnosis.md, "The loader's side").
#include "diagnosisinternal.h"

#include "libalternatives.h"
#include "report.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <optional>

namespace initscope::diag {

namespace {

// One search's lib.alternatives event: the other files of that name the loader could have
// reached, and the near misses of a search that found nothing (docs/bundle-format.md).
struct Alternatives {
    qint64 eventId = -1;
    qint64 processId = -1;
    qint64 tsNs = 0;
    QJsonObject p;
    bool isNull() const { return eventId < 0; }
};

// By lib_search_id; processId < 0 for the whole run.
QHash<qint64, Alternatives> alternativesBySearch(const Context &ctx, qint64 processId)
{
    QHash<qint64, Alternatives> out;
    const QString kind = QString::fromLatin1(kLibAlternativesEventKind);
    for (const Event &e : ctx.reader.eventsOfKind(ctx.run.id, processId, kind)) {
        const QJsonObject p = QJsonDocument::fromJson(e.payload).object();
        out.insert(p.value(QLatin1String("lib_search_id")).toInteger(-1), Alternatives{e.id, e.processId, e.tsNs, p});
    }
    return out;
}

Evidence alternativesEvidence(const Alternatives &a, const QString &text)
{
    return evidenceOf(Evidence::Kind::Event, a.eventId, a.processId, a.tsNs, text);
}

Evidence searchEvidence(const LibSearch &s, const QString &text)
{
    return evidenceOf(Evidence::Kind::LibSearch, s.id, s.processId, s.tsNs, text);
}

Evidence loadEvidence(const LibLoad &l, const QString &text)
{
    return evidenceOf(Evidence::Kind::LibLoad, l.id, l.processId, l.tsNs, text);
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString existsWords(int exists)
{
    return exists == 1 ? QStringLiteral("exists") : exists == 0 ? QStringLiteral("missing") : QStringLiteral("unknown");
}

QStringList ldLibraryPath(const Context &ctx)
{
    static const QRegularExpression separators(QStringLiteral("[:;]"));
    for (const QString &kv : ctx.proc.env)
        if (kv.startsWith(QLatin1String("LD_LIBRARY_PATH=")))
            return kv.mid(16).split(separators);
    return {};
}

// Where a file of a lib.alternatives payload sits in the search: "LD_LIBRARY_PATH entry 2
// (/opt/shim)", "the loader cache /etc/ld.so.cache", "the default directory /usr/lib64", …
QString placeWords(const QJsonObject &file)
{
    const QString origin = str(file, "origin");
    const QString entry = str(file, "entry");
    const QString dir = QFileInfo(str(file, "path")).path();
    const QString written = entry.isEmpty() ? dir : entry;
    if (origin == QLatin1String("ld-library-path"))
        return QStringLiteral("LD_LIBRARY_PATH entry %1 (%2)").arg(file.value(QLatin1String("index")).toInt()).arg(written);
    if (origin == QLatin1String("rpath"))
        return QStringLiteral("the requester's RPATH (%1)").arg(written);
    if (origin == QLatin1String("runpath"))
        return QStringLiteral("the requester's RUNPATH (%1)").arg(written);
    if (origin == QLatin1String("cache"))
        return QStringLiteral("the loader cache /etc/ld.so.cache");
    if (origin == QLatin1String("default"))
        return QStringLiteral("the default directory %1").arg(dir);
    if (origin == QLatin1String("shim"))
        return QStringLiteral("passed with --shim");
    return QStringLiteral("the path the program asked for");
}

// The same from the trail alone, for a bundle without lib.alternatives events.
QString stepPlaceWords(const Context &ctx, const LibSearch &s)
{
    quint32 bits = 0;
    for (const LibSearchStep &st : s.steps)
        if (st.path == s.resultPath)
            bits = st.origin;
    const QString dir = QFileInfo(s.resultPath).path();
    if (bits == quint32(SearchOrigin::LibraryPath)) {
        const QStringList entries = ldLibraryPath(ctx);
        for (int i = 0; i < entries.size(); ++i)
            if (!entries[i].isEmpty() && QDir::cleanPath(entries[i]) == QDir::cleanPath(dir))
                return QStringLiteral("LD_LIBRARY_PATH entry %1 (%2)").arg(i + 1).arg(entries[i]);
    }
    return QStringLiteral("%1 (%2)").arg(searchOriginName(bits), dir);
}

// Every candidate in the loader's order. A long run of missing candidates of one origin (the
// loader tries each default directory with its hardware-capability subdirectories, about 80
// paths) is told as its first and last path and a count.
QString trailWords(const LibSearch &s)
{
    QStringList tried;
    for (qsizetype i = 0; i < s.steps.size(); ++i) {
        const LibSearchStep &st = s.steps[i];
        qsizetype end = i;
        while (end + 1 < s.steps.size() && s.steps[end + 1].origin == st.origin && s.steps[end + 1].exists == 0 && st.exists == 0)
            ++end;
        if (end - i + 1 >= 6) {
            tried.append(QStringLiteral("%1 … %2 (%3 %4 candidates, all missing)")
                             .arg(st.path, s.steps[end].path)
                             .arg(end - i + 1)
                             .arg(searchOriginName(st.origin)));
            i = end;
            continue;
        }
        QString w = QStringLiteral("%1 (%2, %3").arg(st.path, searchOriginName(st.origin), existsWords(st.exists));
        if (s.outcome == SearchOutcome::Found && st.path == s.resultPath)
            w += QStringLiteral(", loaded");
        tried.append(w + QLatin1Char(')'));
    }
    return tried.isEmpty() ? QStringLiteral("no path at all") : tried.join(QStringLiteral("; "));
}

QString realPathOf(const QJsonObject &file)
{
    return file.value(QLatin1String("realpath")).toString(str(file, "path"));
}

// "/tmp/a/libcuda.so.1 (→ /usr/local/cuda/lib64/stubs/libcuda.so)"
QString fileWords(const QJsonObject &file)
{
    const QString real = str(file, "realpath");
    return real.isEmpty() ? str(file, "path") : QStringLiteral("%1 (→ %2)").arg(str(file, "path"), real);
}

// The CUDA toolkit ships link-time stubs in …/stubs/; no driver lives there.
bool stubFile(const QString &path, const QJsonObject &file)
{
    for (const QString &p : {path, str(file, "realpath"), str(file, "linkTarget")})
        if (p.contains(QLatin1String("/stubs/")))
            return true;
    return false;
}

// The file meant in place of the loaded one: a shim of that name if one is reachable, else the
// first reachable alternative that is another, loadable file.
QJsonObject meantAlternative(const QJsonObject &payload, bool skipStubs)
{
    QJsonObject first;
    for (const QJsonValue &v : payload.value(QLatin1String("alternatives")).toArray()) {
        const QJsonObject o = v.toObject();
        if (o.value(QLatin1String("sameFileAsLoaded")).toBool() || !o.value(QLatin1String("elfClassOk")).toBool() ||
            (skipStubs && stubFile(str(o, "path"), o)))
            continue;
        if (o.value(QLatin1String("shim")).toBool())
            return o;
        if (first.isEmpty())
            first = o;
    }
    return first;
}

const LibLoad *loadOf(const Context &ctx, const LibSearch &s)
{
    const LibLoad *any = nullptr;
    for (const LibLoad &l : ctx.loads) {
        if (l.path != s.resultPath)
            continue;
        if (l.tsNs >= s.tsNs)
            return &l;
        any = any ? any : &l;
    }
    return any;
}

// The driver release a file belongs to by its real name: libcuda.so.580.65.06 → "580.65.06".
// Empty for a SONAME version such as libcuda.so.1.
QString driverRelease(const QString &path)
{
    static const QRegularExpression re(QStringLiteral("^lib(?:cuda|nvidia-ml)\\.so\\.(\\d{2,}\\.\\d+(?:\\.\\d+)*)$"));
    const QRegularExpressionMatch m = re.match(baseName(path));
    return m.hasMatch() ? m.captured(1) : QString();
}

QString requesterWords(const LibSearch &s)
{
    return s.requester.isEmpty() ? QStringLiteral("the program") : baseName(s.requester);
}

bool userPath(const QString &origin)
{
    return origin == QLatin1String("ld-library-path") || origin == QLatin1String("rpath") ||
           origin == QLatin1String("runpath");
}

// A near miss of a search that found nothing: how likely it is the file meant, why the loader
// did not take it, and what would make it.
struct NearMiss {
    QJsonObject file;
    int rank = 0;
    QString why;
    QString fix;
};

NearMiss explainNearMiss(const QJsonObject &o, const QString &name)
{
    NearMiss m;
    m.file = o;
    const QString kind = str(o, "kind");
    const QString path = str(o, "path");
    const QString origin = str(o, "origin");
    const QString dir = QFileInfo(path).path();
    const QString file = QFileInfo(path).fileName();
    const QString soname = str(o, "soname");
    const bool answers = soname == name; // the file is the library asked for, under another name
    const bool loadable = o.value(QLatin1String("elfClassOk")).toBool();
    const int onPath = userPath(origin) ? 10 : 0;
    if (kind == QLatin1String("subdirectory")) {
        m.rank = 100 + onPath;
        const QString variable = origin == QLatin1String("ld-library-path") ? QStringLiteral("LD_LIBRARY_PATH")
                                 : origin == QLatin1String("rpath")         ? QStringLiteral("the requester's RPATH")
                                                                            : QStringLiteral("the requester's RUNPATH");
        const QString entry = str(o, "entry").isEmpty() ? QFileInfo(dir).path() : str(o, "entry");
        m.why = QStringLiteral("%1 exists: %2 names %3, not %4").arg(path, variable, entry, dir);
        m.fix = origin == QLatin1String("ld-library-path")
                    ? QStringLiteral("Put %1 on LD_LIBRARY_PATH (in place of, or next to, %2).").arg(dir, entry)
                    : QStringLiteral("Add %1 to the search path (LD_LIBRARY_PATH, or the requester's RUNPATH).").arg(dir);
    } else if (kind == QLatin1String("other-version") || kind == QLatin1String("unversioned")) {
        m.rank = (answers ? 80 : 40) + onPath + (loadable ? 5 : 0);
        m.why = QStringLiteral("%1 exists but no %2 link, in %3").arg(path, name, placeWords(o));
        if (answers)
            m.why += QStringLiteral("; its SONAME is %1, so it is the library asked for under another file name").arg(soname);
        else if (!soname.isEmpty())
            m.why += QStringLiteral("; its SONAME is %1").arg(soname);
        m.fix = QStringLiteral("Create the link the loader looks for: `ln -s %1 %2/%3`").arg(file, dir, name);
        m.fix += answers ? QStringLiteral(" (or run `ldconfig -n %1`, which links each library there under its SONAME).").arg(dir)
                         : QStringLiteral(", after checking that it is the library meant.");
    } else if (kind == QLatin1String("dangling-link")) {
        m.rank = 90 + onPath;
        m.why = QStringLiteral("%1 is a symbolic link to %2, which does not exist; it is in %3").arg(path, str(o, "linkTarget"), placeWords(o));
        m.fix = QStringLiteral("Point %1 at an existing library file, or put back the file it names.").arg(path);
    } else if (kind == QLatin1String("wrong-elf-class")) {
        m.rank = 85 + onPath;
        m.why = QStringLiteral("%1 exists, in %2, but the loader cannot use it: %3")
                    .arg(path, placeWords(o),
                         o.value(QLatin1String("elf")).toBool(true)
                             ? QStringLiteral("it is built for another ELF class or machine than the program")
                             : QStringLiteral("it is not an ELF file"));
        m.fix = QStringLiteral("Replace %1 with the library built for the program's architecture.").arg(path);
    } else if (kind == QLatin1String("shim-other-name")) {
        m.rank = 95;
        m.why = QStringLiteral("the shim %1 was passed with --shim, but it answers to %2 and the program asked for %3")
                    .arg(path, soname.isEmpty() ? file : soname, name);
        m.fix = QStringLiteral("Let the shim answer the name asked for: `initscope record --shim %1:%2`.").arg(path, name);
    } else {
        m.rank = 10 + onPath;
        m.why = QStringLiteral("%1 has a similar name, in %2").arg(path, placeWords(o));
        m.fix = QStringLiteral("If %1 is the library meant, name it (or a link to it) %2.").arg(path, name);
    }
    return m;
}

} // namespace

void ruleMissingLibraries(const Context &ctx, QList<Finding> &out)
{
    const QList<LibLoad> runLoads = ctx.reader.libLoads(ctx.run.id);
    const QHash<qint64, Alternatives> alternatives = alternativesBySearch(ctx, ctx.proc.id);
    for (const LibSearch &s : ctx.searches) {
        if (s.outcome != SearchOutcome::NotFound)
            continue;
        bool named = false;
        for (const OutputLine &l : ctx.lines)
            named = named || lineText(l).contains(baseName(s.name));
        if (!isGpuLibrary(s.name) && !named)
            continue;
        Finding f = newFinding(ctx, QStringLiteral("library-not-found"), s.tsNs, 0.95);
        f.title = QStringLiteral("%1 not found").arg(s.name);
        f.step = QStringLiteral("the program asked the loader for %1 and no candidate could be loaded; tried: %2")
                     .arg(s.name, trailWords(s));
        f.evidence.append(searchEvidence(s, QStringLiteral("search for %1: not found after %2 candidate(s)").arg(s.name).arg(s.steps.size())));
        QString elsewhere;
        for (const LibLoad &l : runLoads)
            if (baseName(l.path) == baseName(s.name) && l.processId != ctx.proc.id)
                elsewhere = l.path;
        f.fix = QStringLiteral("Make %1 findable: put the directory that holds it (the shim's or the driver's) on "
                               "LD_LIBRARY_PATH, pass it with `initscope record --shim PATH`, or install the driver.")
                    .arg(s.name);

        // The file the user probably meant, from what was on disk next to the trail.
        const auto a = alternatives.constFind(s.id);
        if (a != alternatives.constEnd()) {
            const QString name = baseName(s.name);
            QList<NearMiss> misses;
            for (const QJsonValue &v : a->p.value(QLatin1String("nearMisses")).toArray())
                misses.append(explainNearMiss(v.toObject(), name));
            for (const QJsonValue &v : a->p.value(QLatin1String("alternatives")).toArray()) {
                const QJsonObject o = v.toObject();
                if (!o.value(QLatin1String("shim")).toBool() || str(o, "origin") != QLatin1String("shim"))
                    continue;
                NearMiss m;
                m.file = o;
                m.rank = 97;
                m.why = QStringLiteral("the shim %1 has that name but was on no path the loader searched").arg(str(o, "path"));
                m.fix = QStringLiteral("Record with `initscope record --shim %1` (the default audit injection answers "
                                       "every request for %2 with it).").arg(str(o, "path"), name);
                misses.append(m);
            }
            std::stable_sort(misses.begin(), misses.end(), [](const NearMiss &x, const NearMiss &y) { return x.rank > y.rank; });
            if (misses.isEmpty()) {
                f.evidence.append(alternativesEvidence(*a, QStringLiteral("no file named like %1 in any directory of the search path").arg(name)));
            } else {
                const NearMiss &best = misses.first();
                f.step += QStringLiteral("; probably meant: %1").arg(best.why);
                QStringList others;
                for (int i = 1; i < misses.size() && others.size() < 3; ++i)
                    others << str(misses[i].file, "path");
                if (!others.isEmpty())
                    f.step += QStringLiteral(" (other near misses: %1)").arg(others.join(QStringLiteral(", ")));
                f.fix = QStringLiteral("%1 The file most likely meant: %2.").arg(best.fix, best.why);
                for (const NearMiss &m : std::as_const(misses).mid(0, 4))
                    f.evidence.append(alternativesEvidence(*a, QStringLiteral("near miss (%1): %2").arg(str(m.file, "kind").isEmpty() ? QStringLiteral("shim") : str(m.file, "kind"), m.why)));
            }
        }
        if (!elsewhere.isEmpty())
            f.fix += QStringLiteral(" Another process of this run loaded it from %1.").arg(elsewhere);
        attachLine(ctx, f, pickErrorLine(ctx, {baseName(s.name), QStringLiteral("cannot open shared object")}, s.tsNs));
        f.consequence = QStringLiteral("nothing from %1 could be called").arg(s.name) + thenPrinted(ctx, f);
        out.append(f);
    }
}

namespace {

// The shim the run was given for a name, if any: the artifact, and where the search could have
// reached it (an entry of the lib.alternatives payload; empty when no searched path led to it).
struct ShimFile {
    Artifact artifact;
    QJsonObject reachable;
};

std::optional<ShimFile> shimFor(const Context &ctx, const QJsonObject &payload, const QStringList &names)
{
    QHash<QString, QString> answersTo; // path → the SONAME given with --shim PATH:SONAME
    for (const QJsonValue &v : QJsonDocument::fromJson(ctx.run.configJson).object().value(QLatin1String("shims")).toArray())
        answersTo.insert(str(v.toObject(), "path"), str(v.toObject(), "soname"));
    for (const Artifact &a : ctx.artifacts) {
        if (a.kind != QLatin1String("shim"))
            continue;
        const QString given = answersTo.value(a.path);
        if (!names.contains(baseName(a.path)) && (given.isEmpty() || !names.contains(given)))
            continue;
        ShimFile shim{a, {}};
        for (const QJsonValue &v : payload.value(QLatin1String("alternatives")).toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value(QLatin1String("shim")).toBool() &&
                (str(o, "path") == a.path || realPathOf(o) == a.path ||
                 (!a.sha256.isEmpty() && str(o, "sha256").toLatin1() == a.sha256))) {
                shim.reachable = o;
                break;
            }
        }
        return shim;
    }
    return std::nullopt;
}

QByteArray loadedHash(const Context &ctx, const LibSearch &s, const QJsonObject &loaded)
{
    if (loaded.contains(QLatin1String("sha256")))
        return str(loaded, "sha256").toLatin1();
    for (const Artifact &a : ctx.artifacts)
        if (a.kind == QLatin1String("gpu-library") && a.path == s.resultPath)
            return a.sha256;
    return {};
}

// What would make the meant file win over the loaded one, from where each sits in the search.
QString reorderFix(const QJsonObject &loaded, const QString &loadedWhere, const QJsonObject &meant, const QString &name)
{
    const QString lo = str(loaded, "origin");
    const QString mo = str(meant, "origin");
    const QString loadedDir = str(loaded, "entry").isEmpty() ? QFileInfo(str(loaded, "path")).path() : str(loaded, "entry");
    const QString meantDir = QFileInfo(str(meant, "path")).path();
    if (lo == QLatin1String("ld-library-path") && mo == QLatin1String("ld-library-path"))
        return QStringLiteral("Reorder LD_LIBRARY_PATH so that entry %1 (%2) comes before entry %3 (%4), or take %4 off it.")
            .arg(meant.value(QLatin1String("index")).toInt())
            .arg(str(meant, "entry").isEmpty() ? meantDir : str(meant, "entry"))
            .arg(loaded.value(QLatin1String("index")).toInt())
            .arg(loadedDir);
    if (lo == QLatin1String("ld-library-path"))
        return QStringLiteral("Take %1 off LD_LIBRARY_PATH (entry %2), or put %3 before it, so that %4 is found.")
            .arg(loadedDir).arg(loaded.value(QLatin1String("index")).toInt()).arg(meantDir, str(meant, "path"));
    if (lo == QLatin1String("rpath"))
        return QStringLiteral("The requester's RPATH (%1) is searched before LD_LIBRARY_PATH: rebuild it without that "
                              "entry (or with RUNPATH), or remove %2 there.").arg(loadedDir, str(loaded, "path"));
    if (mo.isEmpty())
        return QStringLiteral("Remove or replace %1 (%2), or put the directory of the %3 meant first on LD_LIBRARY_PATH.")
            .arg(str(loaded, "path"), loadedWhere, name);
    return QStringLiteral("Put %1 first on LD_LIBRARY_PATH, or remove %2 (%3), so that %4 is found.")
        .arg(meantDir, str(loaded, "path"), loadedWhere, str(meant, "path"));
}

} // namespace

void ruleWrongFileFirst(const Context &ctx, QList<Finding> &out)
{
    const QHash<qint64, Alternatives> alternatives = alternativesBySearch(ctx, ctx.proc.id);
    const bool failed = failedProcess(ctx.proc, ctx.run);
    QList<int> stubCalls; // calls answered with CUDA_ERROR_STUB_LIBRARY / cudaErrorStubLibrary
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (c.returned && !c.ok && c.code == 34 && (c.api == QLatin1String("driver") || c.api == QLatin1String("runtime")))
            stubCalls.append(i);
    }
    std::optional<QHash<qint64, Alternatives>> runAlternatives;
    std::optional<QList<Process>> runProcesses;
    QList<Finding> found;
    QSet<qint64> explainedCalls;
    QSet<qint64> blamedSearches;

    for (const LibSearch &s : ctx.searches) {
        if (s.outcome != SearchOutcome::Found || s.resultPath.isEmpty())
            continue;
        const QString name = baseName(s.name);
        const Alternatives a = alternatives.value(s.id);
        if (!isGpuLibrary(name) && !isShim(ctx, name) && a.isNull())
            continue;
        const QJsonObject loaded = a.p.value(QLatin1String("loaded")).toObject();
        const LibLoad *load = loadOf(ctx, s);
        const QString soname = load && !load->soname.isEmpty() ? load->soname : str(loaded, "soname");
        const bool driverName = name.startsWith(QLatin1String("libcuda.so")) || soname.startsWith(QLatin1String("libcuda.so"));
        const bool nvmlName = name.startsWith(QLatin1String("libnvidia-ml.so")) || soname.startsWith(QLatin1String("libnvidia-ml.so"));
        const QString where = loaded.isEmpty() ? stepPlaceWords(ctx, s) : placeWords(loaded);
        const QString loadedReal = loaded.isEmpty() ? s.resultPath : realPathOf(loaded);
        const QByteArray loadedSha = loadedHash(ctx, s, loaded);
        const QString loadedWords = loaded.isEmpty() ? s.resultPath : fileWords(loaded);
        QStringList names{name};
        if (!soname.isEmpty() && soname != name)
            names << soname;

        Finding f = newFinding(ctx, QStringLiteral("wrong-file-first"), s.tsNs, 0.9);
        QString reason;
        QJsonObject meant;
        QString meantWords;
        bool meantOutside = false; // the meant file is not on this process's search path
        QString outsideFix;
        QList<int> answered;
        const bool stubByPath = stubFile(s.resultPath, loaded);
        std::optional<ShimFile> shim = shimFor(ctx, a.p, names);
        const bool shimLoaded = !shim || loaded.value(QLatin1String("shim")).toBool() || shim->artifact.path == s.resultPath ||
                                shim->artifact.path == loadedReal ||
                                (!shim->artifact.sha256.isEmpty() && shim->artifact.sha256 == loadedSha);
        if (driverName && (stubByPath || !stubCalls.isEmpty())) {
            // 1. The toolkit's link-time stub answered as the driver.
            answered = stubCalls;
            f.confidence = stubByPath && !answered.isEmpty() ? 0.95 : 0.9;
            f.title = QStringLiteral("%1 loaded from the CUDA toolkit's stub, not a driver").arg(name);
            reason = QStringLiteral("it is the CUDA toolkit's link-time stub%1, which exists only for linking and answers "
                                    "every call with CUDA_ERROR_STUB_LIBRARY (34)")
                         .arg(stubByPath ? QString() : QStringLiteral(" (its calls answered CUDA_ERROR_STUB_LIBRARY)"));
            if (shim && !shimLoaded) {
                meant = shim->reachable.isEmpty()
                            ? QJsonObject{{QStringLiteral("path"), shim->artifact.path}, {QStringLiteral("origin"), QStringLiteral("shim")}}
                            : shim->reachable;
            } else {
                meant = meantAlternative(a.p, true);
            }
        } else if (!shimLoaded) {
            // 2. The shim passed for that name exists elsewhere and was not the one loaded.
            f.confidence = 0.9;
            f.title = QStringLiteral("%1 loaded from %2, not the shim %3").arg(name, s.resultPath, shim->artifact.path);
            reason = QStringLiteral("the run was given the shim %1 for %2 (--shim), and this is another file")
                         .arg(shim->artifact.path, names.join(QStringLiteral(" / ")));
            meant = shim->reachable.isEmpty()
                        ? QJsonObject{{QStringLiteral("path"), shim->artifact.path}, {QStringLiteral("origin"), QStringLiteral("shim")}}
                        : shim->reachable;
        } else if ((driverName || nvmlName) && failed) {
            // 3. Another process of the run loaded a different file for the same name and did not fail.
            if (!runAlternatives)
                runAlternatives = alternativesBySearch(ctx, -1);
            if (!runProcesses)
                runProcesses = ctx.reader.processes(ctx.run.id);
            QList<Alternatives> byTime = runAlternatives->values();
            std::sort(byTime.begin(), byTime.end(), [](const Alternatives &x, const Alternatives &y) {
                return x.tsNs != y.tsNs ? x.tsNs < y.tsNs : x.eventId < y.eventId;
            });
            for (const Alternatives &o : std::as_const(byTime)) {
                const QJsonObject other = o.p.value(QLatin1String("loaded")).toObject();
                if (o.processId == ctx.proc.id || other.isEmpty() || baseName(str(o.p, "name")) != name)
                    continue;
                if (realPathOf(other) == loadedReal || (!loadedSha.isEmpty() && str(other, "sha256").toLatin1() == loadedSha))
                    continue;
                const Process *p = nullptr;
                for (const Process &q : std::as_const(*runProcesses))
                    if (q.id == o.processId)
                        p = &q;
                if (!p || failedProcess(*p, ctx.run))
                    continue;
                // The same file within this process's own reach, if it is.
                for (const QJsonValue &v : a.p.value(QLatin1String("alternatives")).toArray())
                    if (realPathOf(v.toObject()) == realPathOf(other) ||
                        (!str(other, "sha256").isEmpty() && str(v.toObject(), "sha256") == str(other, "sha256")))
                        meant = v.toObject();
                const QString worked = QStringLiteral("pid %1 (%2) loaded it from %3 and did not fail")
                                           .arg(p->pid).arg(baseName(p->exe), placeWords(other));
                if (meant.isEmpty()) {
                    meant = other;
                    meantOutside = true;
                    meantWords = QStringLiteral("%1 (%2), but no directory this process searched holds it").arg(fileWords(other), worked);
                    QString mine, theirs;
                    for (const QString &kv : ctx.proc.env)
                        if (kv.startsWith(QLatin1String("LD_LIBRARY_PATH=")))
                            mine = kv.mid(16);
                    for (const QString &kv : p->env)
                        if (kv.startsWith(QLatin1String("LD_LIBRARY_PATH=")))
                            theirs = kv.mid(16);
                    outsideFix = QStringLiteral("Give this process the search path that worked for pid %1: its LD_LIBRARY_PATH was "
                                                "\"%2\", this process's \"%3\". Put %4 first (or take %5 off it).")
                                     .arg(p->pid)
                                     .arg(theirs, mine, QFileInfo(str(other, "path")).path(), QFileInfo(s.resultPath).path());
                } else {
                    meantWords = QStringLiteral("%1 at %2; %3").arg(fileWords(meant), placeWords(meant), worked);
                }
                f.evidence.append(alternativesEvidence(o, QStringLiteral("pid %1 loaded %2 for %3").arg(p->pid).arg(fileWords(other), name)));
                break;
            }
            if (meant.isEmpty())
                continue;
            f.confidence = 0.75;
            f.title = QStringLiteral("%1 loaded from %2, another file than the run's other processes").arg(name, s.resultPath);
            reason = QStringLiteral("another process of this run loaded a different %1 and worked").arg(name);
        } else {
            continue;
        }
        blamedSearches.insert(s.id);

        if (meantWords.isEmpty() && shim && !shimLoaded)
            meantWords = shim->reachable.isEmpty()
                             ? QStringLiteral("the shim %1, passed with --shim").arg(shim->artifact.path)
                             : QStringLiteral("the shim %1, passed with --shim and reachable as %2 at %3")
                                   .arg(shim->artifact.path, str(meant, "path"), placeWords(meant));
        if (meantWords.isEmpty() && !meant.isEmpty())
            meantWords = QStringLiteral("%1 at %2").arg(fileWords(meant), placeWords(meant));
        f.step = QStringLiteral("%1 asked the loader for %2 and it loaded %3 from %4, the first candidate that existed: %5")
                     .arg(requesterWords(s), s.name, loadedWords, where, reason);
        f.step += meant.isEmpty()
                      ? QStringLiteral(". No other %1 was within reach of the search").arg(name)
                      : QStringLiteral(". The file meant: %1%2")
                            .arg(meantWords,
                                 !meantOutside && (userPath(str(meant, "origin")) || str(meant, "origin") == QLatin1String("cache") ||
                                                   str(meant, "origin") == QLatin1String("default"))
                                     ? QStringLiteral(", which the loader would have reached only after it")
                                     : QString());
        f.step += QStringLiteral(". Trail: %1").arg(trailWords(s));

        // Evidence: the search, what was on disk, the load, the calls it answered.
        f.evidence.prepend(searchEvidence(s, QStringLiteral("search for %1: loaded %2 from %3").arg(s.name, s.resultPath, where)));
        if (!a.isNull()) {
            QStringList others;
            for (const QJsonValue &v : a.p.value(QLatin1String("alternatives")).toArray())
                if (!v.toObject().value(QLatin1String("sameFileAsLoaded")).toBool())
                    others << QStringLiteral("%1 at %2").arg(fileWords(v.toObject()), placeWords(v.toObject()));
            f.evidence.append(alternativesEvidence(
                a, others.isEmpty() ? QStringLiteral("no other file named %1 within reach").arg(name)
                                    : QStringLiteral("other files named %1 within reach: %2").arg(name, others.join(QStringLiteral("; ")))));
        }
        if (load)
            f.evidence.append(loadEvidence(*load, QStringLiteral("loaded %1%2").arg(loadedWords,
                                                  soname.isEmpty() ? QString() : QStringLiteral(", SONAME %1").arg(soname))));
        for (int i : std::as_const(answered)) {
            f.evidence.append(eventEvidence(ctx.calls[i]));
            explainedCalls.insert(ctx.calls[i].ev.id);
        }

        // Fix: make the meant file win.
        const QString loadedDir = str(loaded, "entry").isEmpty() ? QFileInfo(s.resultPath).path() : str(loaded, "entry");
        const QString lo = str(loaded, "origin");
        if (!answered.isEmpty() || stubByPath) {
            if (lo == QLatin1String("ld-library-path"))
                f.fix = QStringLiteral("Remove %1 from LD_LIBRARY_PATH (entry %2): its %3 is the toolkit's stub, which only "
                                       "links programs and never runs them.")
                            .arg(loadedDir).arg(loaded.value(QLatin1String("index")).toInt()).arg(name);
            else if (lo == QLatin1String("rpath") || lo == QLatin1String("runpath"))
                f.fix = QStringLiteral("Remove the stubs directory %1 from the requester's %2 (link with -L, not -rpath, "
                                       "against the stub).").arg(loadedDir, lo == QLatin1String("rpath") ? QStringLiteral("RPATH") : QStringLiteral("RUNPATH"));
            else
                f.fix = QStringLiteral("Remove %1 (%2): the toolkit's stub must never be where the loader looks for the "
                                       "driver; then run ldconfig.").arg(s.resultPath, where);
            if (!meant.isEmpty())
                f.fix += QStringLiteral(" Then %1 answers, as meant.").arg(str(meant, "path"));
            f.fix += QStringLiteral(" To test a shim whatever the search path says, record with `initscope record --shim %1`.")
                         .arg(meant.isEmpty() ? QStringLiteral("PATH") : str(meant, "path"));
        } else if (str(meant, "origin") == QLatin1String("shim") || (shim && !shimLoaded && str(meant, "origin").isEmpty())) {
            f.fix = QStringLiteral("Make the request reach the shim: record with the default audit injection, `initscope record "
                                   "--shim %1:%2`, which answers every request for %2 with it whatever the search path says.")
                        .arg(shim ? shim->artifact.path : str(meant, "path"), name);
        } else if (shim && !shimLoaded) {
            f.fix = reorderFix(loaded, where, meant, name) +
                    QStringLiteral(" Something put %1 ahead of the shim's directory (a program that prepends its own "
                                   "library directories for its children, as Ollama does); the default audit injection "
                                   "(`initscope record --shim %2`) answers every request for %3 with the shim, whatever "
                                   "the order.").arg(loadedDir, shim->artifact.path, name);
        } else if (meantOutside) {
            f.fix = outsideFix;
        } else {
            f.fix = reorderFix(loaded, where, meant, name);
        }
        found.append(f);
    }

    // 4. The driver library and NVML of different driver releases, by their real file names.
    const LibSearch *cudaSearch = nullptr;
    const LibSearch *nvmlSearch = nullptr;
    for (const LibSearch &s : ctx.searches) {
        if (s.outcome != SearchOutcome::Found)
            continue;
        const QString name = baseName(s.name);
        if (name.startsWith(QLatin1String("libcuda.so")) && !cudaSearch)
            cudaSearch = &s;
        if (name.startsWith(QLatin1String("libnvidia-ml.so")) && !nvmlSearch)
            nvmlSearch = &s;
    }
    if (cudaSearch && nvmlSearch && !blamedSearches.contains(cudaSearch->id) && !blamedSearches.contains(nvmlSearch->id)) {
        const Alternatives ca = alternatives.value(cudaSearch->id);
        const Alternatives na = alternatives.value(nvmlSearch->id);
        const QJsonObject cl = ca.p.value(QLatin1String("loaded")).toObject();
        const QJsonObject nl = na.p.value(QLatin1String("loaded")).toObject();
        const QString cudaRelease = driverRelease(cl.isEmpty() ? cudaSearch->resultPath : realPathOf(cl));
        const QString nvmlRelease = driverRelease(nl.isEmpty() ? nvmlSearch->resultPath : realPathOf(nl));
        if (!cudaRelease.isEmpty() && !nvmlRelease.isEmpty() && cudaRelease != nvmlRelease) {
            // Blame the one that has a file of the other's release within reach; NVML when neither has.
            auto matching = [](const Alternatives &x, const QString &release) {
                for (const QJsonValue &v : x.p.value(QLatin1String("alternatives")).toArray())
                    if (driverRelease(realPathOf(v.toObject())) == release)
                        return v.toObject();
                return QJsonObject();
            };
            QJsonObject meant = matching(na, cudaRelease);
            bool blameNvml = true;
            if (meant.isEmpty()) {
                meant = matching(ca, nvmlRelease);
                blameNvml = meant.isEmpty();
            }
            const LibSearch &s = blameNvml ? *nvmlSearch : *cudaSearch;
            const Alternatives &a = blameNvml ? na : ca;
            const QJsonObject &loaded = blameNvml ? nl : cl;
            const QString where = loaded.isEmpty() ? stepPlaceWords(ctx, s) : placeWords(loaded);
            Finding f = newFinding(ctx, QStringLiteral("wrong-file-first"), s.tsNs, 0.8);
            f.title = QStringLiteral("libcuda (%1) and libnvidia-ml (%2) come from different driver releases").arg(cudaRelease, nvmlRelease);
            f.step = QStringLiteral("%1 asked the loader for %2 and it loaded %3 from %4, of driver release %5, while %6 "
                                    "is of release %7: the driver library and NVML must come from one driver installation")
                         .arg(requesterWords(s), s.name, loaded.isEmpty() ? s.resultPath : fileWords(loaded), where,
                              blameNvml ? nvmlRelease : cudaRelease,
                              blameNvml ? (cl.isEmpty() ? cudaSearch->resultPath : fileWords(cl)) : (nl.isEmpty() ? nvmlSearch->resultPath : fileWords(nl)),
                              blameNvml ? cudaRelease : nvmlRelease);
            f.step += meant.isEmpty() ? QStringLiteral(". No %1 of release %2 was within reach of the search")
                                            .arg(baseName(s.name), blameNvml ? cudaRelease : nvmlRelease)
                                      : QStringLiteral(". The file meant: %1 at %2").arg(fileWords(meant), placeWords(meant));
            f.step += QStringLiteral(". Trail: %1").arg(trailWords(s));
            f.evidence.append(searchEvidence(*cudaSearch, QStringLiteral("search for %1: loaded %2").arg(cudaSearch->name, cudaSearch->resultPath)));
            f.evidence.append(searchEvidence(*nvmlSearch, QStringLiteral("search for %1: loaded %2").arg(nvmlSearch->name, nvmlSearch->resultPath)));
            if (!a.isNull())
                f.evidence.append(alternativesEvidence(a, QStringLiteral("files named %1 within reach, with their releases").arg(baseName(s.name))));
            f.fix = meant.isEmpty()
                        ? QStringLiteral("Load libcuda.so.1 and libnvidia-ml.so.1 of one driver release: remove or replace %1 "
                                         "(%2), or put the directory of the matching %3 first on LD_LIBRARY_PATH.")
                              .arg(s.resultPath, where, baseName(s.name))
                        : reorderFix(loaded, where, meant, baseName(s.name));
            found.append(f);
        }
    }
    if (found.isEmpty())
        return;

    // What the wrong file led to. Calls the stub answered with 34 are its consequence, not
    // departures of their own: their findings fold into this one.
    for (Finding &f : found) {
        QList<Finding> folded;
        for (qsizetype i = out.size() - 1; i >= 0; --i) {
            const Finding &g = out[i];
            if (g.processId != f.processId || g.evidence.isEmpty() || g.evidence.first().kind != Evidence::Kind::Event ||
                !explainedCalls.contains(g.evidence.first().id))
                continue;
            folded.prepend(g);
            out.removeAt(i);
        }
        const Finding *next = nullptr; // the first departure after the load that this one explains
        for (const Finding &g : std::as_const(folded))
            if (!next || g.tsNs < next->tsNs)
                next = &g;
        if (!next)
            for (const Finding &g : std::as_const(out))
                if (g.processId == f.processId && g.tsNs >= f.tsNs && g.severity != Severity::Harmless && (!next || g.tsNs < next->tsNs))
                    next = &g;
        if (next && !next->errorLine.isEmpty()) {
            f.errorLine = next->errorLine;
            f.errorStream = next->errorStream;
            f.errorLineNumber = next->errorLineNumber;
            for (const Evidence &e : next->evidence)
                if (e.kind == Evidence::Kind::OutputLine && e.line == next->errorLineNumber && e.stream == next->errorStream)
                    f.evidence.append(e);
        } else {
            attachLine(ctx, f, pickErrorLine(ctx, {QStringLiteral("stub"), f.title.section(QLatin1Char(' '), 0, 0)}, f.tsNs));
        }
        QString seen;
        for (const Finding &g : std::as_const(folded))
            for (const Evidence &e : g.evidence)
                if (e.kind == Evidence::Kind::Event && !std::any_of(f.evidence.begin(), f.evidence.end(), [&](const Evidence &x) {
                        return x.kind == e.kind && x.id == e.id;
                    }))
                    f.evidence.append(e);
        const Call *first = nullptr;
        for (const Call &c : ctx.calls)
            if (explainedCalls.contains(c.ev.id) && c.depth == 0 && !first)
                first = &c;
        for (const Call &c : ctx.calls)
            if (explainedCalls.contains(c.ev.id) && !first)
                first = &c;
        if (first)
            seen = QStringLiteral("%1 returned %2").arg(first->fn, resultWords(*first));
        else if (next)
            seen = QStringLiteral("the next departure: %1").arg(next->title);
        else
            seen = QStringLiteral("every request for that name went to this file");
        f.consequence = seen + thenPrinted(ctx, f);
        out.append(f);
    }
}

} // namespace initscope::diag
