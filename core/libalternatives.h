// Other files a library request could have reached: for each search of a GPU library (or of a
// shim's name), the files of that name in every directory the loader consults for that process
// (the requester's RPATH/RUNPATH, LD_LIBRARY_PATH, /etc/ld.so.cache, the default directories)
// and, for a request nothing satisfied, the near misses (libcuda.so.580.65.06 without a
// libcuda.so.1 link, the unversioned libcuda.so, the file one level down in lib/ or lib64/).
//
// Looked up at ingest, on the recording machine right after the run: the file system is the
// one the run saw unless something changed it in between. Stored as a "lib.alternatives" event
// per search (docs/bundle-format.md, docs/recording.md).
#pragma once

#include "data.h"
#include "elffacts.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

inline constexpr char kLibAlternativesEventKind[] = "lib.alternatives";

// One entry of the loader's cache: the name a request is matched against and the file it names.
struct LdCacheEntry {
    QString name;
    QString path;
    qint32 flags = 0; // FLAG_* of ldconfig: bits 0–7 the library type, 8–15 the architecture
};

// Parses glibc's ld.so.cache (the "glibc-ld.so.cache1.1" format, alone or after the old
// "ld.so-1.7.0" part). nullopt when the file is missing or not in a known format.
std::optional<QList<LdCacheEntry>> readLdCache(const QString &path);

// The default directories of the loader when none were seen in the recorded trail.
QStringList fallbackDefaultDirectories();

class LibraryAlternatives
{
public:
    // shims: the run's artifacts; those of kind "shim" are the files meant to answer their
    // SONAMEs. cachePath: the loader cache to read (once, on first use).
    explicit LibraryAlternatives(const QList<Artifact> &artifacts,
                                 QString cachePath = QStringLiteral("/etc/ld.so.cache"));

    // True for a requested name whose searches are looked into: libcuda, libcudart,
    // libnvidia-ml, libcublas*, libggml-cuda, and every name a shim answers to.
    bool covers(const QString &requestedName) const;

    // What one process sees when it asks for a library.
    struct ProcessView {
        QStringList env;          // its environment at exec (LD_LIBRARY_PATH is read from it)
        QString exe;              // its executable ($ORIGIN of LD_LIBRARY_PATH, ELF class)
        QStringList defaultDirs;  // default directories seen in its trail; fallback when empty
    };

    // The payload of the search's lib.alternatives event.
    QJsonObject describe(const LibSearch &search, qint64 searchId, const ProcessView &view);

    // The size and hash of a file this object already hashed, as an artifact of kind, so that a
    // large library is read once per ingest; nullopt when it did not.
    std::optional<Artifact> hashedArtifact(const QString &kind, const QString &path) const;

private:
    struct FileFacts {
        bool exists = false;     // the path leads to a file (links followed)
        bool danglingLink = false;
        QString linkTarget;      // for a symbolic link, what it points to as written
        QString realPath;
        QString soname;
        bool isElf = false;
        int elfClass = 0;
        int machine = 0;
        qint64 size = -1;
        bool hashed = false;     // sha256 was looked for
        QByteArray sha256;       // empty when too large to hash cheaply or unreadable
    };
    struct Place {
        QString dir;
        QString origin; // "rpath", "ld-library-path", "runpath", "cache", "default", "shim"
        int index = 0;  // 1-based entry of LD_LIBRARY_PATH; 0 otherwise
        QString written; // the entry as the variable or the dynamic section spells it
    };

    const FileFacts &facts(const QString &path);          // without the hash
    const FileFacts &hashedFacts(const QString &path);    // with it
    const ElfFacts &elfFacts(const QString &path);
    QJsonObject fileJson(const QString &path, const Place &place, const FileFacts &reference);
    const QList<LdCacheEntry> &cache();

    struct Shim {
        QString path;
        QString name;     // file name
        QString soname;   // DT_SONAME, empty if none
        QString realPath;
    };
    QList<Shim> m_shims;
    QStringList m_shimNames;
    QString m_cachePath;
    std::optional<QList<LdCacheEntry>> m_cache;
    bool m_cacheRead = false;
    QHash<QString, FileFacts> m_files;
    QHash<QString, QByteArray> m_hashes; // by real path
    QHash<QString, ElfFacts> m_elf;
};

} // namespace initscope
