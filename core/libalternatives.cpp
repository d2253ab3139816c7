#include "libalternatives.h"

#include "elffacts.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <cstring>

#include <unistd.h>

namespace initscope {

namespace {

// Files above this size are not hashed at ingest (a real libcublasLt is half a gigabyte).
constexpr qint64 kHashLimit = 128ll << 20;
constexpr int kMaxAlternatives = 32;
constexpr int kMaxNearMisses = 32;

// "libcuda.so.1" -> "libcuda.so"; a name without ".so" is its own stem.
QString stemOf(const QString &base)
{
    qsizetype at = base.indexOf(QLatin1String(".so"));
    while (at >= 0) {
        const qsizetype end = at + 3;
        if (end == base.size() || base.at(end) == QLatin1Char('.'))
            return base.left(end);
        at = base.indexOf(QLatin1String(".so"), at + 1);
    }
    return base;
}

QString dirOf(const QString &path)
{
    return QFileInfo(path).path();
}

// Expands $ORIGIN / ${ORIGIN}; empty for an entry with another dynamic string token (not
// looked into) or a relative one (relative to a working directory that is not recorded).
QString expandEntry(const QString &entry, const QString &origin)
{
    QString dir = entry;
    dir.replace(QLatin1String("${ORIGIN}"), origin).replace(QLatin1String("$ORIGIN"), origin);
    if (dir.contains(QLatin1Char('$')) || !dir.startsWith(QLatin1Char('/')))
        return {};
    return QDir::cleanPath(dir);
}

QString envValue(const QStringList &env, const QString &name)
{
    const QString prefix = name + QLatin1Char('=');
    for (const QString &kv : env)
        if (kv.startsWith(prefix))
            return kv.mid(prefix.size());
    return {};
}

QString originWords(quint32 bits)
{
    if (bits & quint32(SearchOrigin::ShimRedirect))
        return QStringLiteral("shim");
    if (bits & quint32(SearchOrigin::LibraryPath))
        return QStringLiteral("ld-library-path");
    if (bits & quint32(SearchOrigin::RunPath))
        return QStringLiteral("runpath");
    if (bits & quint32(SearchOrigin::Cache))
        return QStringLiteral("cache");
    if (bits & quint32(SearchOrigin::Default))
        return QStringLiteral("default");
    return QStringLiteral("name");
}

template<typename T> bool readAt(const QByteArray &data, qsizetype offset, T *out)
{
    if (offset < 0 || offset + qsizetype(sizeof(T)) > data.size())
        return false;
    std::memcpy(out, data.constData() + offset, sizeof(T));
    return true;
}

} // namespace

std::optional<QList<LdCacheEntry>> readLdCache(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray data = file.readAll();
    // The old format: "ld.so-1.7.0" (padded to 12 bytes), a 32-bit count, 12-byte entries; the
    // new format follows it, aligned to 8 bytes. Current ldconfig writes the new one alone.
    static constexpr char kOldMagic[] = "ld.so-1.7.0";
    static constexpr char kNewMagic[] = "glibc-ld.so.cache1.1";
    constexpr qsizetype kNewMagicLength = sizeof kNewMagic - 1;
    constexpr qsizetype kNewHeader = 48; // magic+version 20, nlibs 4, strings 4, flags 4, ext 4, unused 12
    constexpr qsizetype kNewEntry = 24;  // flags 4, key 4, value 4, osversion 4, hwcap 8
    qsizetype base = 0;
    if (data.startsWith(kOldMagic)) {
        quint32 oldCount = 0;
        if (!readAt(data, 12, &oldCount))
            return std::nullopt;
        base = (16 + qsizetype(oldCount) * 12 + 7) & ~qsizetype(7);
    }
    if (data.size() < base + kNewHeader || std::memcmp(data.constData() + base, kNewMagic, kNewMagicLength) != 0)
        return std::nullopt;
    quint32 count = 0;
    readAt(data, base + kNewMagicLength, &count);
    if (qsizetype(count) > (data.size() - base - kNewHeader) / kNewEntry)
        return std::nullopt;
    // String offsets are relative to the start of the new-format header.
    auto string = [&](quint32 offset) -> QString {
        const qsizetype at = base + qsizetype(offset);
        if (at < 0 || at >= data.size())
            return {};
        const char *start = data.constData() + at;
        const void *nul = std::memchr(start, '\0', size_t(data.size() - at));
        return nul ? QFile::decodeName(QByteArray(start, static_cast<const char *>(nul) - start)) : QString();
    };
    QList<LdCacheEntry> entries;
    entries.reserve(count);
    for (quint32 i = 0; i < count; ++i) {
        const qsizetype e = base + kNewHeader + qsizetype(i) * kNewEntry;
        LdCacheEntry entry;
        quint32 key = 0, value = 0;
        readAt(data, e, &entry.flags);
        readAt(data, e + 4, &key);
        readAt(data, e + 8, &value);
        entry.name = string(key);
        entry.path = string(value);
        if (!entry.name.isEmpty() && !entry.path.isEmpty())
            entries.append(entry);
    }
    return entries;
}

QStringList fallbackDefaultDirectories()
{
    // glibc's system directories on x86-64: the multiarch ones of Debian and Ubuntu, then the
    // classic ones.
    return {QStringLiteral("/lib/x86_64-linux-gnu"), QStringLiteral("/usr/lib/x86_64-linux-gnu"),
            QStringLiteral("/lib64"), QStringLiteral("/usr/lib64"), QStringLiteral("/lib"),
            QStringLiteral("/usr/lib")};
}

LibraryAlternatives::LibraryAlternatives(const QList<Artifact> &artifacts, QString cachePath)
    : m_cachePath(std::move(cachePath))
{
    for (const Artifact &a : artifacts) {
        if (a.kind != QLatin1String("shim"))
            continue;
        const QFileInfo info(a.path);
        const Shim shim{a.path, info.fileName(), readSoname(a.path), info.canonicalFilePath()};
        m_shims.append(shim);
        m_shimNames << shim.name;
        if (!shim.soname.isEmpty())
            m_shimNames << shim.soname;
    }
}

bool LibraryAlternatives::covers(const QString &requestedName) const
{
    const QString base = QFileInfo(requestedName).fileName();
    static const QStringList prefixes = {QStringLiteral("libcuda.so"), QStringLiteral("libcudart.so"),
                                         QStringLiteral("libnvidia-ml.so"), QStringLiteral("libcublas"),
                                         QStringLiteral("libggml-cuda")};
    for (const QString &p : prefixes)
        if (base.startsWith(p))
            return true;
    return m_shimNames.contains(base);
}

const QList<LdCacheEntry> &LibraryAlternatives::cache()
{
    if (!m_cacheRead) {
        m_cacheRead = true;
        m_cache = readLdCache(m_cachePath);
    }
    static const QList<LdCacheEntry> none;
    return m_cache ? *m_cache : none;
}

const LibraryAlternatives::FileFacts &LibraryAlternatives::facts(const QString &path)
{
    auto it = m_files.find(path);
    if (it != m_files.end())
        return *it;
    FileFacts f;
    const QFileInfo info(path);
    f.exists = info.exists() && !info.isDir();
    if (info.isSymLink()) {
        f.linkTarget = QFile::decodeName(QFile::encodeName(info.symLinkTarget()));
        f.danglingLink = !info.exists();
        // symLinkTarget() is absolute; keep what the link says where it can be read.
        const QByteArray raw = QFile::encodeName(path);
        char buffer[4096];
        const ssize_t n = ::readlink(raw.constData(), buffer, sizeof buffer);
        if (n > 0 && size_t(n) < sizeof buffer)
            f.linkTarget = QFile::decodeName(QByteArray(buffer, n));
    }
    if (f.exists) {
        f.realPath = info.canonicalFilePath();
        f.size = info.size();
        const ElfFacts elf = readElfFacts(path);
        f.isElf = elf.isElf;
        f.elfClass = elf.elfClass;
        f.machine = elf.machine;
        f.soname = elf.soname;
    }
    return *m_files.insert(path, f);
}

const LibraryAlternatives::FileFacts &LibraryAlternatives::hashedFacts(const QString &path)
{
    facts(path);
    FileFacts &f = m_files[path];
    if (f.hashed || !f.exists)
        return f;
    f.hashed = true;
    if (f.size > kHashLimit)
        return f;
    auto h = m_hashes.constFind(f.realPath);
    if (h == m_hashes.constEnd()) {
        QFile file(path);
        QByteArray hex;
        if (file.open(QIODevice::ReadOnly)) {
            QCryptographicHash hash(QCryptographicHash::Sha256);
            if (hash.addData(&file))
                hex = hash.result().toHex();
        }
        h = m_hashes.insert(f.realPath, hex);
    }
    f.sha256 = *h;
    return f;
}

const ElfFacts &LibraryAlternatives::elfFacts(const QString &path)
{
    auto it = m_elf.constFind(path);
    if (it == m_elf.constEnd())
        it = m_elf.insert(path, readElfFacts(path));
    return *it;
}

QJsonObject LibraryAlternatives::fileJson(const QString &path, const Place &place, const FileFacts &reference)
{
    const FileFacts &f = hashedFacts(path);
    QJsonObject o{{QStringLiteral("path"), path}, {QStringLiteral("origin"), place.origin}};
    if (place.index > 0)
        o.insert(QStringLiteral("index"), place.index);
    if (!place.written.isEmpty())
        o.insert(QStringLiteral("entry"), place.written);
    if (!f.linkTarget.isEmpty())
        o.insert(QStringLiteral("linkTarget"), f.linkTarget);
    if (!f.realPath.isEmpty() && f.realPath != path)
        o.insert(QStringLiteral("realpath"), f.realPath);
    if (!f.exists) {
        o.insert(QStringLiteral("exists"), false);
        return o;
    }
    if (!f.soname.isEmpty())
        o.insert(QStringLiteral("soname"), f.soname);
    o.insert(QStringLiteral("size"), f.size);
    if (!f.sha256.isEmpty())
        o.insert(QStringLiteral("sha256"), QString::fromLatin1(f.sha256));
    if (!f.isElf)
        o.insert(QStringLiteral("elf"), false);
    const bool classOk = f.isElf && (!reference.isElf || (f.elfClass == reference.elfClass && f.machine == reference.machine));
    o.insert(QStringLiteral("elfClassOk"), classOk);
    for (const Shim &shim : m_shims)
        if (shim.path == path || (!f.realPath.isEmpty() && shim.realPath == f.realPath))
            o.insert(QStringLiteral("shim"), true);
    return o;
}

std::optional<Artifact> LibraryAlternatives::hashedArtifact(const QString &kind, const QString &path) const
{
    const auto it = m_files.constFind(path);
    if (it == m_files.constEnd() || it->sha256.isEmpty())
        return std::nullopt;
    Artifact a;
    a.kind = kind;
    a.path = path;
    a.size = it->size;
    a.sha256 = it->sha256;
    return a;
}

QJsonObject LibraryAlternatives::describe(const LibSearch &search, qint64 searchId, const ProcessView &view)
{
    const QString base = QFileInfo(search.name).fileName();
    const QString stem = stemOf(base);

    // The reference the loader compares a candidate with: the process's own class and machine.
    FileFacts reference = facts(view.exe);
    if (!reference.isElf && search.requester.startsWith(QLatin1Char('/')))
        reference = facts(search.requester);

    // The directories the loader consults for this request, in its order.
    QList<Place> places;
    QJsonObject searchPath;
    static const ElfFacts none;
    const ElfFacts &requester = search.requester.startsWith(QLatin1Char('/')) ? elfFacts(search.requester) : none;
    const QString requesterDir = dirOf(search.requester);
    auto addEntries = [&](const QStringList &entries, const QString &origin, const QString &originDir, const char *key) {
        QJsonArray list;
        int index = 0;
        for (const QString &entry : entries) {
            ++index;
            list.append(entry);
            const QString dir = expandEntry(entry, originDir);
            if (!dir.isEmpty())
                places.append({dir, origin, origin == QLatin1String("ld-library-path") ? index : 0, entry});
        }
        if (!list.isEmpty())
            searchPath.insert(QLatin1String(key), list);
    };
    // DT_RPATH counts only when the object has no DT_RUNPATH, and comes before LD_LIBRARY_PATH.
    if (requester.runpath.isEmpty())
        addEntries(requester.rpath, QStringLiteral("rpath"), requesterDir, "rpath");
    static const QRegularExpression separators(QStringLiteral("[:;]"));
    const QString ldPath = envValue(view.env, QStringLiteral("LD_LIBRARY_PATH"));
    addEntries(ldPath.isEmpty() ? QStringList() : ldPath.split(separators), QStringLiteral("ld-library-path"),
               dirOf(view.exe), "ldLibraryPath");
    addEntries(requester.runpath, QStringLiteral("runpath"), requesterDir, "runpath");
    const qsizetype cachePlace = places.size();
    const QStringList defaults = view.defaultDirs.isEmpty() ? fallbackDefaultDirectories() : view.defaultDirs;
    searchPath.insert(QStringLiteral("defaultDirs"), QJsonArray::fromStringList(defaults));
    cache();
    searchPath.insert(QStringLiteral("cacheRead"), m_cache.has_value());
    for (const QString &dir : defaults)
        places.append({QDir::cleanPath(dir), QStringLiteral("default"), 0, {}});

    QJsonObject payload{{QStringLiteral("lib_search_id"), searchId},
                        {QStringLiteral("name"), search.name},
                        {QStringLiteral("outcome"), searchOutcomeName(search.outcome)},
                        {QStringLiteral("searchPath"), searchPath}};
    if (search.name.contains(QLatin1Char('/')))
        payload.insert(QStringLiteral("byPath"), true);

    // The file that answered, with where it came from.
    QSet<QString> seen;
    QString loadedReal;
    QByteArray loadedHash;
    if (!search.resultPath.isEmpty()) {
        quint32 bits = 0;
        for (const LibSearchStep &st : search.steps)
            if (st.path == search.resultPath)
                bits = st.origin;
        Place place{dirOf(search.resultPath), originWords(bits), 0, {}};
        for (const Place &p : places)
            if (p.origin == place.origin && p.dir == QDir::cleanPath(place.dir)) {
                place = p;
                break;
            }
        if (place.origin == QLatin1String("runpath") && requester.runpath.isEmpty() && !requester.rpath.isEmpty())
            place.origin = QStringLiteral("rpath");
        payload.insert(QStringLiteral("loaded"), fileJson(search.resultPath, place, reference));
        const FileFacts &lf = hashedFacts(search.resultPath);
        loadedReal = lf.realPath;
        loadedHash = lf.sha256;
        seen.insert(QDir::cleanPath(search.resultPath));
    }

    // Every other file of that name the loader could reach, in its order.
    QJsonArray alternatives;
    auto consider = [&](const QString &path, const Place &place) {
        const QString clean = QDir::cleanPath(path);
        if (seen.contains(clean) || alternatives.size() >= kMaxAlternatives)
            return;
        if (!facts(clean).exists)
            return;
        seen.insert(clean);
        QJsonObject o = fileJson(clean, place, reference);
        const FileFacts &f = facts(clean);
        if (!loadedReal.isEmpty() && (f.realPath == loadedReal || (!f.sha256.isEmpty() && f.sha256 == loadedHash)))
            o.insert(QStringLiteral("sameFileAsLoaded"), true);
        alternatives.append(o);
    };
    for (qsizetype i = 0; i < places.size(); ++i) {
        if (i == cachePlace)
            for (const LdCacheEntry &e : cache())
                if (e.name == base)
                    consider(e.path, {dirOf(e.path), QStringLiteral("cache"), 0, {}});
        consider(places[i].dir + QLatin1Char('/') + base, places[i]);
    }
    if (cachePlace == places.size())
        for (const LdCacheEntry &e : cache())
            if (e.name == base)
                consider(e.path, {dirOf(e.path), QStringLiteral("cache"), 0, {}});
    for (const Shim &shim : m_shims) {
        if (shim.name != base && shim.soname != base)
            continue;
        bool known = false;
        for (const QJsonValue &v : std::as_const(alternatives)) {
            const QJsonObject o = v.toObject();
            known = known || o.value(QLatin1String("realpath")).toString(o.value(QLatin1String("path")).toString()) == shim.realPath;
        }
        if (!known && shim.realPath != loadedReal)
            consider(shim.path, {dirOf(shim.path), QStringLiteral("shim"), 0, {}});
    }
    payload.insert(QStringLiteral("alternatives"), alternatives);
    if (search.outcome != SearchOutcome::NotFound)
        return payload;

    // Near misses: what the user may have meant when nothing of that name was there.
    QJsonArray nearMisses;
    QSet<QString> missSeen;
    auto miss = [&](const QString &path, const Place &place, const QString &kind, const QString &subdir = {}) {
        const QString clean = QDir::cleanPath(path);
        if (missSeen.contains(clean) || nearMisses.size() >= kMaxNearMisses)
            return;
        missSeen.insert(clean);
        QJsonObject o = fileJson(clean, place, reference);
        o.insert(QStringLiteral("kind"), kind);
        if (!subdir.isEmpty())
            o.insert(QStringLiteral("subdir"), subdir);
        nearMisses.append(o);
    };
    auto kindOf = [&](const QString &name) {
        if (name == stem)
            return QStringLiteral("unversioned");
        if (name.startsWith(stem + QLatin1Char('.')))
            return QStringLiteral("other-version");
        return QStringLiteral("similar-name");
    };
    for (const Place &place : std::as_const(places)) {
        const QDir dir(place.dir);
        const QStringList names = dir.entryList({stem + QLatin1Char('*')}, QDir::Files | QDir::System | QDir::Hidden, QDir::Name);
        for (const QString &name : names) {
            const QString path = dir.filePath(name);
            const FileFacts &f = facts(path);
            if (name == base) {
                if (f.danglingLink)
                    miss(path, place, QStringLiteral("dangling-link"));
                else if (f.exists && (!f.isElf || (reference.isElf && (f.elfClass != reference.elfClass || f.machine != reference.machine))))
                    miss(path, place, QStringLiteral("wrong-elf-class"));
                continue;
            }
            if (f.exists || f.danglingLink)
                miss(path, place, kindOf(name));
        }
        // The library one level down: a directory named where its lib/ or lib64/ was meant.
        if (place.origin == QLatin1String("default"))
            continue;
        for (const char *sub : {"lib", "lib64", "lib/x86_64-linux-gnu"}) {
            const QString subdir = QString::fromLatin1(sub);
            const QString path = place.dir + QLatin1Char('/') + subdir + QLatin1Char('/') + base;
            if (facts(path).exists)
                miss(path, place, QStringLiteral("subdirectory"), subdir);
        }
    }
    for (const LdCacheEntry &e : cache())
        if (e.name != base && e.name.startsWith(stem))
            miss(e.path, {dirOf(e.path), QStringLiteral("cache"), 0, {}}, kindOf(e.name));
    for (const Shim &shim : m_shims)
        if (shim.name != base && shim.soname != base && (shim.name.startsWith(stem) || shim.soname.startsWith(stem)))
            miss(shim.path, {dirOf(shim.path), QStringLiteral("shim"), 0, {}}, QStringLiteral("shim-other-name"));
    payload.insert(QStringLiteral("nearMisses"), nearMisses);
    return payload;
}

} // namespace initscope
