#include "bundleschema.h"

#include <QAtomicInteger>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace initscope::bundleschema {

QStringList createTables()
{
    // Text that repeats (kinds, names, paths, argv and env entries) lives once in `strings`
    // and is referenced by id; NULL in an *_id column means the empty string.
    return {
        QStringLiteral(R"(CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
))"),
        QStringLiteral(R"(CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL
))"),
        QStringLiteral(R"(CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    command TEXT NOT NULL,
    config_json TEXT NOT NULL,
    start_realtime_ns INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    exit_code INTEGER,
    exit_signal INTEGER,
    timed_out INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    recorder_version TEXT NOT NULL
))"),
        QStringLiteral(R"(CREATE TABLE processes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    pid INTEGER NOT NULL,
    ppid INTEGER NOT NULL,
    parent_id INTEGER REFERENCES processes(id),
    previous_image_id INTEGER REFERENCES processes(id),
    exec_seq INTEGER NOT NULL,
    exe_id INTEGER REFERENCES strings(id),
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    end_reason INTEGER NOT NULL,
    exit_code INTEGER,
    signal INTEGER,
    core_dumped INTEGER NOT NULL,
    recorded INTEGER NOT NULL
))"),
        // WITHOUT ROWID: the key is the natural order, and rows of one process sit together.
        QStringLiteral(R"(CREATE TABLE process_argv (
    process_id INTEGER NOT NULL REFERENCES processes(id),
    seq INTEGER NOT NULL,
    string_id INTEGER NOT NULL REFERENCES strings(id),
    PRIMARY KEY (process_id, seq)
) WITHOUT ROWID)"),
        QStringLiteral(R"(CREATE TABLE process_env (
    process_id INTEGER NOT NULL REFERENCES processes(id),
    seq INTEGER NOT NULL,
    string_id INTEGER NOT NULL REFERENCES strings(id),
    PRIMARY KEY (process_id, seq)
) WITHOUT ROWID)"),
        QStringLiteral(R"(CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    process_id INTEGER REFERENCES processes(id),
    tid INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    dur_ns INTEGER NOT NULL,
    kind_id INTEGER NOT NULL REFERENCES strings(id),
    name_id INTEGER REFERENCES strings(id),
    payload TEXT
))"),
        QStringLiteral(R"(CREATE TABLE output (
    id INTEGER PRIMARY KEY,
    process_id INTEGER NOT NULL REFERENCES processes(id),
    stream INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    data BLOB NOT NULL
))"),
        QStringLiteral(R"(CREATE TABLE lib_searches (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    process_id INTEGER NOT NULL REFERENCES processes(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    tid INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    name_id INTEGER REFERENCES strings(id),
    requester_id INTEGER REFERENCES strings(id),
    outcome INTEGER NOT NULL,
    result_path_id INTEGER REFERENCES strings(id)
))"),
        QStringLiteral(R"(CREATE TABLE lib_search_steps (
    search_id INTEGER NOT NULL REFERENCES lib_searches(id),
    seq INTEGER NOT NULL,
    path_id INTEGER REFERENCES strings(id),
    origin INTEGER NOT NULL,
    path_exists INTEGER,
    PRIMARY KEY (search_id, seq)
) WITHOUT ROWID)"),
        QStringLiteral(R"(CREATE TABLE lib_loads (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    process_id INTEGER NOT NULL REFERENCES processes(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    tid INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    path_id INTEGER REFERENCES strings(id),
    soname_id INTEGER REFERENCES strings(id),
    lmid INTEGER NOT NULL,
    base INTEGER NOT NULL,
    unload_ns INTEGER
))"),
        QStringLiteral(R"(CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    kind_id INTEGER REFERENCES strings(id),
    path_id INTEGER REFERENCES strings(id),
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL
))"),
    };
}

QStringList createIndexes()
{
    return {
        QStringLiteral("CREATE INDEX strings_text ON strings(text)"),
        QStringLiteral("CREATE INDEX processes_run ON processes(run_id, start_ns)"),
        QStringLiteral("CREATE INDEX events_run_ts ON events(run_id, ts_ns)"),
        QStringLiteral("CREATE INDEX events_process_ts ON events(process_id, ts_ns)"),
        QStringLiteral("CREATE INDEX output_process ON output(process_id, id)"),
        QStringLiteral("CREATE INDEX lib_searches_run_ts ON lib_searches(run_id, ts_ns)"),
        QStringLiteral("CREATE INDEX lib_searches_process_ts ON lib_searches(process_id, ts_ns)"),
        QStringLiteral("CREATE INDEX lib_loads_run_ts ON lib_loads(run_id, ts_ns)"),
        QStringLiteral("CREATE INDEX lib_loads_process_ts ON lib_loads(process_id, ts_ns)"),
        QStringLiteral("CREATE INDEX artifacts_run ON artifacts(run_id)"),
    };
}

const char *writerSql(WriterStatement statement)
{
    static const std::array<const char *, WriterStatementCount> sql = {
        "INSERT INTO strings(id, text) VALUES(?, COALESCE(?, ''))",
        "INSERT OR REPLACE INTO meta(key, value) VALUES(?, COALESCE(?, ''))",
        "INSERT INTO runs(id, name, command, config_json, start_realtime_ns, duration_ns,"
        " exit_code, exit_signal, timed_out, cancelled, hostname, recorder_version)"
        " VALUES(?, COALESCE(?, ''), ?, COALESCE(CAST(? AS TEXT), ''), ?, ?, ?, ?, ?, ?,"
        " COALESCE(?, ''), COALESCE(?, ''))",
        "UPDATE runs SET name = COALESCE(?, ''), command = ?,"
        " config_json = COALESCE(CAST(? AS TEXT), ''), start_realtime_ns = ?, duration_ns = ?,"
        " exit_code = ?, exit_signal = ?, timed_out = ?, cancelled = ?,"
        " hostname = COALESCE(?, ''), recorder_version = COALESCE(?, '') WHERE id = ?",
        "INSERT INTO processes(id, run_id, pid, ppid, parent_id, previous_image_id, exec_seq,"
        " exe_id, start_ns, end_ns, end_reason, exit_code, signal, core_dumped, recorded)"
        " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "UPDATE processes SET run_id = ?, pid = ?, ppid = ?, parent_id = ?,"
        " previous_image_id = ?, exec_seq = ?, exe_id = ?, start_ns = ?, end_ns = ?,"
        " end_reason = ?, exit_code = ?, signal = ?, core_dumped = ?, recorded = ? WHERE id = ?",
        "DELETE FROM process_argv WHERE process_id = ?",
        "DELETE FROM process_env WHERE process_id = ?",
        "INSERT INTO process_argv(process_id, seq, string_id) VALUES(?, ?, ?)",
        "INSERT INTO process_env(process_id, seq, string_id) VALUES(?, ?, ?)",
        "INSERT INTO output(id, process_id, stream, ts_ns, data)"
        " VALUES(?, ?, ?, ?, COALESCE(?, X''))",
        "INSERT INTO events(id, run_id, process_id, tid, ts_ns, dur_ns, kind_id, name_id,"
        " payload) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO lib_searches(id, run_id, process_id, event_id, tid, ts_ns, name_id,"
        " requester_id, outcome, result_path_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO lib_search_steps(search_id, seq, path_id, origin, path_exists)"
        " VALUES(?, ?, ?, ?, ?)",
        "INSERT INTO lib_loads(id, run_id, process_id, event_id, tid, ts_ns, path_id,"
        " soname_id, lmid, base, unload_ns) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO artifacts(id, run_id, kind_id, path_id, size, sha256, content)"
        " VALUES(?, ?, ?, ?, ?, COALESCE(CAST(? AS TEXT), ''), COALESCE(?, X''))",
        "SELECT id FROM strings WHERE text = COALESCE(?, '') ORDER BY id LIMIT 1",
    };
    return sql[statement];
}

#define PROCESS_SELECT \
    "SELECT p.id, p.run_id, p.pid, p.ppid, p.parent_id, p.previous_image_id, p.exec_seq," \
    " x.text, p.start_ns, p.end_ns, p.end_reason, p.exit_code, p.signal, p.core_dumped," \
    " p.recorded FROM processes p LEFT JOIN strings x ON x.id = p.exe_id"
#define LIST_OF_RUN(table) \
    "SELECT a.process_id, s.text FROM processes p JOIN " table " a ON a.process_id = p.id" \
    " LEFT JOIN strings s ON s.id = a.string_id WHERE p.run_id = ? ORDER BY a.process_id, a.seq"
#define LIST_OF_PROCESS(table) \
    "SELECT a.process_id, s.text FROM " table " a LEFT JOIN strings s ON s.id = a.string_id" \
    " WHERE a.process_id = ? ORDER BY a.seq"
// CAST(... AS BLOB) hands back the stored bytes untouched, whatever their encoding.
#define EVENT_SELECT \
    "SELECT e.id, e.run_id, e.process_id, e.tid, e.ts_ns, e.dur_ns, k.text, n.text," \
    " CAST(e.payload AS BLOB) FROM events e LEFT JOIN strings k ON k.id = e.kind_id" \
    " LEFT JOIN strings n ON n.id = e.name_id"
#define SEARCH_SELECT \
    "SELECT s.id, s.process_id, s.event_id, s.tid, s.ts_ns, n.text, r.text, s.outcome," \
    " p.text FROM lib_searches s LEFT JOIN strings n ON n.id = s.name_id" \
    " LEFT JOIN strings r ON r.id = s.requester_id LEFT JOIN strings p ON p.id = s.result_path_id"
#define STEP_SELECT \
    "SELECT st.search_id, p.text, st.origin, st.path_exists FROM lib_searches s" \
    " JOIN lib_search_steps st ON st.search_id = s.id LEFT JOIN strings p ON p.id = st.path_id"
#define LOAD_SELECT \
    "SELECT l.id, l.process_id, l.event_id, l.tid, l.ts_ns, p.text, so.text, l.lmid, l.base," \
    " l.unload_ns FROM lib_loads l LEFT JOIN strings p ON p.id = l.path_id" \
    " LEFT JOIN strings so ON so.id = l.soname_id"
// "+x.run_id" keeps SQLite from picking the run index when the process index is the narrow
// one: the unary plus makes the term unusable for an index.
#define OF_PROCESS(alias) " WHERE " alias ".process_id = ? AND +" alias ".run_id = ?"

const char *readerSql(ReaderStatement statement)
{
    static const std::array<const char *, ReaderStatementCount> sql = {
        "SELECT key, value FROM meta ORDER BY key",
        "SELECT id, name, CAST(command AS BLOB), CAST(config_json AS BLOB), start_realtime_ns,"
        " duration_ns, exit_code, exit_signal, timed_out, cancelled, hostname, recorder_version"
        " FROM runs ORDER BY id",
        PROCESS_SELECT " WHERE p.run_id = ? ORDER BY p.id",
        PROCESS_SELECT " WHERE p.id = ?",
        LIST_OF_RUN("process_argv"),
        LIST_OF_RUN("process_env"),
        LIST_OF_PROCESS("process_argv"),
        LIST_OF_PROCESS("process_env"),
        "SELECT id, process_id, stream, ts_ns, data FROM output WHERE process_id = ? ORDER BY id",
        "SELECT COALESCE(SUM(length(data)), 0) FROM output WHERE process_id = ?",
        EVENT_SELECT " WHERE e.run_id = ? ORDER BY e.ts_ns, e.id",
        EVENT_SELECT OF_PROCESS("e") " ORDER BY e.ts_ns, e.id",
        "SELECT COUNT(*) FROM events WHERE run_id = ?",
        "SELECT COUNT(*) FROM events WHERE process_id = ? AND +run_id = ?",
        SEARCH_SELECT " WHERE s.run_id = ? ORDER BY s.ts_ns, s.id",
        SEARCH_SELECT OF_PROCESS("s") " ORDER BY s.ts_ns, s.id",
        STEP_SELECT " WHERE s.run_id = ? ORDER BY st.search_id, st.seq",
        STEP_SELECT OF_PROCESS("s") " ORDER BY st.search_id, st.seq",
        LOAD_SELECT " WHERE l.run_id = ? ORDER BY l.ts_ns, l.id",
        LOAD_SELECT OF_PROCESS("l") " ORDER BY l.ts_ns, l.id",
        "SELECT a.id, a.run_id, k.text, p.text, a.size, CAST(a.sha256 AS BLOB), a.content"
        " FROM artifacts a LEFT JOIN strings k ON k.id = a.kind_id"
        " LEFT JOIN strings p ON p.id = a.path_id WHERE a.run_id = ? ORDER BY a.id",
        EVENT_SELECT " WHERE e.run_id = ? AND e.kind_id = (SELECT id FROM strings WHERE text = ?)"
        " ORDER BY e.ts_ns, e.id",
        EVENT_SELECT OF_PROCESS("e") " AND e.kind_id = (SELECT id FROM strings WHERE text = ?)"
        " ORDER BY e.ts_ns, e.id",
    };
    return sql[statement];
}

#undef PROCESS_SELECT
#undef LIST_OF_RUN
#undef LIST_OF_PROCESS
#undef EVENT_SELECT
#undef SEARCH_SELECT
#undef STEP_SELECT
#undef LOAD_SELECT
#undef OF_PROCESS

QString withNamedPlaceholders(const char *sql)
{
    QString out;
    int next = 0;
    for (const char *c = sql; *c; ++c) {
        if (*c == '?')
            out += placeholder(next++);
        else
            out += QLatin1Char(*c);
    }
    return out;
}

const QString &placeholder(int index)
{
    static const QList<QString> names = [] {
        QList<QString> list;
        for (int i = 0; i < 32; ++i)
            list.append(QStringLiteral(":p%1").arg(i));
        return list;
    }();
    Q_ASSERT(index >= 0 && index < names.size());
    return names.at(index);
}

QString uniqueConnectionName(const char *role)
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("initscope-bundle-%1-%2")
        .arg(QString::fromLatin1(role))
        .arg(counter.fetchAndAddRelaxed(1));
}

EndReason endReasonFromInt(qint64 value)
{
    switch (value) {
    case int(EndReason::Exited):
        return EndReason::Exited;
    case int(EndReason::Signaled):
        return EndReason::Signaled;
    case int(EndReason::Exec):
        return EndReason::Exec;
    default:
        return EndReason::Unknown;
    }
}

Stream streamFromInt(qint64 value)
{
    return value == int(Stream::Stderr) ? Stream::Stderr : Stream::Stdout;
}

SearchOutcome searchOutcomeFromInt(qint64 value)
{
    switch (value) {
    case int(SearchOutcome::Found):
        return SearchOutcome::Found;
    case int(SearchOutcome::AlreadyLoaded):
        return SearchOutcome::AlreadyLoaded;
    default:
        return SearchOutcome::NotFound;
    }
}

QString commandToJson(const QStringList &command)
{
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(command)).toJson(QJsonDocument::Compact));
}

QStringList commandFromJson(const QByteArray &json)
{
    QStringList out;
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isArray())
        return out;
    const QJsonArray array = doc.array();
    for (const QJsonValue &v : array)
        out.append(v.toString());
    return out;
}

BundleError corruptError(const QString &path, const QString &detail)
{
    // quick_check reports on several lines under a "*** in database main ***" banner; the
    // message must stay one sentence.
    QString reason = detail;
    reason.remove(QLatin1String("*** in database main ***"));
    reason = reason.simplified();
    if (reason.size() > 160)
        reason = reason.left(160) + QStringLiteral("…");
    if (reason.isEmpty())
        reason = QStringLiteral("unknown damage");
    return {BundleError::Code::Corrupt,
            QStringLiteral("The bundle %1 is damaged (%2); it was probably cut short or "
                           "altered after it was saved.")
                .arg(path, reason)};
}

namespace {

quint32 bigEndian(const QByteArray &bytes, int offset, int size)
{
    quint32 v = 0;
    for (int i = 0; i < size; ++i)
        v = (v << 8) | quint8(bytes.at(offset + i));
    return v;
}

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

} // namespace

std::optional<BundleError> checkFileBeforeOpen(const QString &path)
{
    using Code = BundleError::Code;
    const QFileInfo info(path);
    if (!info.exists())
        return BundleError{Code::Missing,
                           QStringLiteral("The bundle %1 does not exist.").arg(path)};
    if (info.isDir())
        return BundleError{Code::Unreadable,
                           QStringLiteral("The bundle %1 cannot be read: it is a folder, not a "
                                          "file.")
                               .arg(path)};
    // A FIFO or device would block or stream forever on the read below.
    if (!info.isFile())
        return BundleError{Code::Unreadable,
                           QStringLiteral("The bundle %1 cannot be read: it is not a regular "
                                          "file.")
                               .arg(path)};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return BundleError{Code::Unreadable,
                           QStringLiteral("The bundle %1 cannot be read: %2.")
                               .arg(path, file.errorString())};
    const qint64 size = file.size();
    if (size == 0)
        return BundleError{Code::Empty, QStringLiteral("The bundle %1 is empty (0 bytes); it "
                                                       "was not saved completely.")
                                            .arg(path)};
    // SQLite's 100-byte file header: magic, page size at 16, change counter at 24, page
    // count at 28, and at 92 the change counter for which that page count is valid.
    const QByteArray header = file.read(100);
    static const QByteArray magic("SQLite format 3\0", 16);
    if (!header.startsWith(magic))
        return BundleError{Code::NotSqlite,
                           QStringLiteral("%1 is not an InitScope bundle: it is not an SQLite "
                                          "database.")
                               .arg(path)};
    if (header.size() < 100)
        return corruptError(path, QStringLiteral("the file ends inside its header"));
    quint32 pageSize = bigEndian(header, 16, 2);
    if (pageSize == 1)
        pageSize = 65536;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0)
        return corruptError(path, QStringLiteral("the header gives an invalid page size"));
    // SQLite only ever writes whole pages, so a partial last page means the file was cut.
    if (size % pageSize != 0)
        return corruptError(path, QStringLiteral("the file ends in the middle of a page"));
    const quint32 changeCounter = bigEndian(header, 24, 4);
    const quint32 headerPages = bigEndian(header, 28, 4);
    if (headerPages != 0 && changeCounter == bigEndian(header, 92, 4)
        && quint64(size / pageSize) < headerPages)
        return corruptError(path, QStringLiteral("it holds %1 of its %2 pages")
                                      .arg(size / pageSize)
                                      .arg(headerPages));
    return std::nullopt;
}

QString createTemporarySibling(const QString &finalPath, QString *error)
{
    const QFileInfo info(finalPath);
    const QString dir = info.absolutePath();
    if (!QFileInfo(dir).isDir()) {
        *error = QStringLiteral("the folder %1 does not exist").arg(dir);
        return {};
    }
    if (info.isDir()) {
        *error = QStringLiteral("a folder of that name exists");
        return {};
    }
    struct stat existing = {};
    const bool replacing = ::stat(QFile::encodeName(finalPath).constData(), &existing) == 0;

    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < 100; ++attempt) {
        QString suffix;
        for (int i = 0; i < 6; ++i)
            suffix.append(QLatin1Char(
                alphabet[QRandomGenerator::global()->bounded(int(sizeof(alphabet) - 1))]));
        const QString candidate = dir + QLatin1Char('/') + QLatin1Char('.') + info.fileName() +
                                  QStringLiteral(".tmp-") + suffix;
        // open() rather than QTemporaryFile: 0666 lets umask decide the mode a new bundle
        // gets, where QTemporaryFile would leave it private to the owner after the rename.
        const int fd = ::open(QFile::encodeName(candidate).constData(),
                              O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            *error = QStringLiteral("cannot create a file in %1: %2").arg(dir, errnoText(errno));
            return {};
        }
        if (replacing)
            (void)::fchmod(fd, existing.st_mode & 07777);
        ::close(fd);
        return candidate;
    }
    *error = QStringLiteral("cannot find a free temporary file name in %1").arg(dir);
    return {};
}

bool syncFile(const QString &path, QString *error)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("cannot reopen %1: %2").arg(path, errnoText(errno));
        return false;
    }
    int rc;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        *error = QStringLiteral("cannot flush %1 to disk: %2").arg(path, errnoText(err));
        return false;
    }
    return true;
}

bool syncDirectoryOf(const QString &path, QString *error)
{
    const QString dir = QFileInfo(path).absolutePath();
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("cannot open the folder %1: %2").arg(dir, errnoText(errno));
        return false;
    }
    int rc;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    const int err = errno;
    ::close(fd);
    // Some file systems cannot sync a directory; the rename itself has happened.
    if (rc != 0 && err != EINVAL && err != ENOTSUP) {
        *error = QStringLiteral("cannot flush the folder %1 to disk: %2").arg(dir, errnoText(err));
        return false;
    }
    return true;
}

bool renameOver(const QString &from, const QString &to, QString *error)
{
    if (::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) != 0) {
        *error = QStringLiteral("cannot move the finished file into place: %1")
                     .arg(errnoText(errno));
        return false;
    }
    return true;
}

int lockForAppend(const QString &path, QString *error)
{
    const QByteArray name = QFile::encodeName(path);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int fd = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *error = QStringLiteral("cannot open it: %1").arg(errnoText(errno));
            return -1;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            ::close(fd);
            *error = err == EWOULDBLOCK
                         ? QStringLiteral("another InitScope is adding a run to it right now")
                         : QStringLiteral("cannot lock it: %1").arg(errnoText(err));
            return -1;
        }
        // The lock is on the file we opened; the path may already name the file an appender
        // that just finished renamed into place. Only a lock on what the path names counts.
        struct stat locked = {}, named = {};
        if (::fstat(fd, &locked) == 0 && ::stat(name.constData(), &named) == 0
            && locked.st_dev == named.st_dev && locked.st_ino == named.st_ino)
            return fd;
        ::close(fd);
    }
    *error = QStringLiteral("it keeps being replaced while InitScope tries to lock it");
    return -1;
}

bool copyInto(int fd, const QString &path, QString *error)
{
    const int out = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, errnoText(errno));
        return false;
    }
    std::array<char, 1 << 16> buffer;
    off_t offset = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *error = QStringLiteral("cannot read the bundle: %1").arg(errnoText(errno));
            ::close(out);
            return false;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out, buffer.data() + done, size_t(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                *error = QStringLiteral("cannot write %1: %2").arg(path, errnoText(errno));
                ::close(out);
                return false;
            }
            done += w;
        }
        offset += n;
    }
    if (::close(out) != 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, errnoText(errno));
        return false;
    }
    return true;
}

} // namespace initscope::bundleschema
