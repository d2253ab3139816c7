#include "bundle.h"

#include "callpayload.h"

#include "bundleschema.h"

#include <sqlite3.h>

#include <QDateTime>
#include <QSqlDriver>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <array>
#include <initializer_list>

#include <sys/stat.h>
#include <unistd.h>

namespace initscope {

using namespace bundleschema;

namespace {

const QString kDriver = QStringLiteral("QSQLITE");
// Bundles up to this size get SQLite's integrity check when opened (docs/bundle-format.md).
constexpr qint64 kFullCheckBytes = qint64(64) << 20;

// NULL for an absent optional; QSQLITE binds an invalid QVariant as NULL.
template<typename T>
QVariant nullable(const std::optional<T> &value)
{
    return value ? QVariant(qlonglong(*value)) : QVariant();
}

template<typename T>
std::optional<T> optionalFrom(const QVariant &value)
{
    if (value.isNull())
        return std::nullopt;
    return T(value.toLongLong());
}

QString sqlErrorText(const QSqlError &error)
{
    const QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    return text.isEmpty() ? QStringLiteral("unknown database error") : text;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// BundleWriter

struct BundleWriter::Private {
    using Stmt = WriterStatement;
    enum class State { Open, Committed, Aborted };

    QString finalPath;
    QString tempPath;
    QString connection;
    QSqlDatabase db;
    std::array<std::optional<QSqlQuery>, WriterStatementCount> stmts;
    // Events go in through SQLite's C API on the same connection: a run can have millions,
    // and binding through QVariant costs more than the insert itself.
    sqlite3 *raw = nullptr;
    sqlite3_stmt *insertEventStmt = nullptr;
    State state = State::Aborted; // until start() succeeds
    std::optional<BundleError> failure;

    // Ids are handed out here rather than read back from SQLite: a lib search and its event
    // refer to each other, and both ids are known before either row is written.
    qint64 nextString = 1, nextRun = 1, nextProcess = 1, nextOutput = 1, nextEvent = 1,
           nextSearch = 1, nextLoad = 1, nextArtifact = 1;
    qint64 lastRunId = -1;
    QHash<QString, qint64> strings;
    QHash<qint64, qint64> runOfProcess;
    // Appending: strings already in the file are looked up there, and the original stays
    // locked (bundleschema::lockForAppend) until the copy has replaced it.
    bool appending = false;
    int lockFd = -1;

    ~Private()
    {
        closeDatabase();
        releaseLock();
    }

    void fail(const QString &reason)
    {
        if (!failure)
            failure = BundleError{BundleError::Code::Io,
                                  (appending ? QStringLiteral("Could not add a run to the bundle %1: %2.")
                                             : QStringLiteral("Could not save the bundle %1: %2."))
                                      .arg(finalPath, reason)};
    }
    bool writable() const { return state == State::Open && !failure; }

    bool plain(const QString &sql)
    {
        QSqlQuery q(db);
        if (q.exec(sql))
            return true;
        fail(sqlErrorText(q.lastError()));
        return false;
    }

    bool run(Stmt s, std::initializer_list<QVariant> values)
    {
        QSqlQuery &q = *stmts[s];
        int i = 0;
        for (const QVariant &v : values)
            q.bindValue(placeholder(i++), v);
        if (q.exec())
            return true;
        fail(sqlErrorText(q.lastError()));
        return false;
    }

    qint64 intern(const QString &text)
    {
        const auto it = strings.constFind(text);
        if (it != strings.constEnd())
            return *it;
        if (appending) {
            // Within one file a text has one id, also across the runs of an append.
            QSqlQuery &q = *stmts[FindString];
            q.bindValue(placeholder(0), text);
            if (!q.exec()) {
                fail(sqlErrorText(q.lastError()));
                return -1;
            }
            const bool found = q.next();
            const qint64 existing = found ? q.value(0).toLongLong() : -1;
            q.finish();
            if (found) {
                strings.insert(text, existing);
                return existing;
            }
        }
        const qint64 id = nextString++;
        if (!run(InsertString, {id, text}))
            return -1;
        strings.insert(text, id);
        return id;
    }
    // The empty string is stored as NULL so that "unknown" reads as NULL in the sqlite3 shell.
    QVariant internOrNull(const QString &text)
    {
        return text.isEmpty() ? QVariant() : QVariant(intern(text));
    }

    qint64 runFor(qint64 processId, qint64 explicitRun = -1)
    {
        if (explicitRun >= 0)
            return explicitRun;
        return runOfProcess.value(processId, lastRunId);
    }

    // Opens tempPath and sets it up for one private, unjournaled writer.
    bool openTemporary(const char *role, QString *reason);
    bool start(QString *reason);
    bool startAppend(qint64 existingSize, QString *reason);
    bool prepareStatements();
    void writeLists(qint64 processId, const Process &process);
    qint64 insertEvent(const Event &event);
    void closeDatabase();
    void removeTemp();
    void releaseLock();
};

bool BundleWriter::Private::openTemporary(const char *role, QString *reason)
{
    if (!QSqlDatabase::isDriverAvailable(kDriver)) {
        *reason = QStringLiteral("Qt's SQLite driver (QSQLITE) is not installed");
        return false;
    }
    connection = uniqueConnectionName(role);
    db = QSqlDatabase::addDatabase(kDriver, connection);
    db.setDatabaseName(tempPath);
    if (!db.open()) {
        *reason = sqlErrorText(db.lastError());
        return false;
    }
    state = State::Open;
    // No journal and no syncing: the file (new, or a copy of the bundle being added to) is
    // private until commit() renames it, and a crash before that leaves only a temporary file
    // behind, never a damaged bundle.
    const QStringList setup = {
        QStringLiteral("PRAGMA journal_mode=OFF"),
        QStringLiteral("PRAGMA synchronous=OFF"),
        QStringLiteral("PRAGMA locking_mode=EXCLUSIVE"),
        QStringLiteral("PRAGMA temp_store=MEMORY"),
        QStringLiteral("PRAGMA cache_size=-65536"),
        QStringLiteral("PRAGMA threads=2"), // CREATE INDEX sorts on a helper thread too
    };
    for (const QString &sql : setup) {
        if (!plain(sql))
            break;
    }
    return true;
}

bool BundleWriter::Private::start(QString *reason)
{
    if (!openTemporary("writer", reason))
        return false;
    const QStringList setup = {
        QStringLiteral("PRAGMA page_size=4096"),
        QStringLiteral("PRAGMA application_id=1230193474"), // "ISCB"
    };
    for (const QString &sql : setup) {
        if (!plain(sql))
            break;
    }
    if (!failure && !db.transaction())
        fail(sqlErrorText(db.lastError()));
    const QStringList tables = createTables();
    for (const QString &sql : tables) {
        if (failure || !plain(sql))
            break;
    }
    prepareStatements();
    if (!failure) {
        run(SetMeta,
            {QString::fromLatin1(kFormatVersionKey), QString::number(kBundleFormatVersion)});
        run(SetMeta, {QString::fromLatin1(kWriterVersionKey), QStringLiteral(INITSCOPE_VERSION)});
        run(SetMeta, {QString::fromLatin1(kCreatedKey),
                      QDateTime::currentDateTimeUtc().toString(Qt::ISODate)});
    }
    if (failure) {
        *reason = failure->message;
        return false;
    }
    return true;
}

bool BundleWriter::Private::prepareStatements()
{
    for (int i = 0; i < WriterStatementCount && !failure; ++i) {
        stmts[i].emplace(db);
        if (!stmts[i]->prepare(withNamedPlaceholders(writerSql(WriterStatement(i)))))
            fail(sqlErrorText(stmts[i]->lastError()));
    }
    if (failure)
        return false;
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0 ||
        !(raw = *static_cast<sqlite3 *const *>(handle.constData()))) {
        fail(QStringLiteral("Qt's SQLite driver gave no SQLite handle"));
        return false;
    }
    if (sqlite3_prepare_v2(raw, writerSql(InsertEvent), -1, &insertEventStmt, nullptr) != SQLITE_OK)
        fail(QString::fromUtf8(sqlite3_errmsg(raw)));
    return !failure;
}

// The temporary file is already a copy of the bundle (checked by BundleReader::open()).
bool BundleWriter::Private::startAppend(qint64 existingSize, QString *reason)
{
    if (!openTemporary("appender", reason))
        return false;
    // The reader checks files up to kFullCheckBytes whole; a larger one is checked here, where
    // every page has just been read for the copy anyway, so that damage is never carried on
    // under a new run.
    if (!failure && existingSize > kFullCheckBytes) {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA quick_check(1)")) || !q.next())
            failure = corruptError(finalPath, sqlErrorText(q.lastError()));
        else if (q.value(0).toString() != QLatin1String("ok"))
            failure = corruptError(finalPath, q.value(0).toString());
    }
    if (!failure && !db.transaction())
        fail(sqlErrorText(db.lastError()));
    // An older file becomes the current version: what it holds reads the same under it.
    if (!failure)
        plain(QStringLiteral("UPDATE meta SET value = '%1' WHERE key = '%2'")
                  .arg(kBundleFormatVersion)
                  .arg(QLatin1String(kFormatVersionKey)));
    prepareStatements();
    // New rows continue after the highest id of each table, so every id already handed out
    // (in the file, in links between rows, in a user's notes) keeps meaning the same row.
    const std::pair<const char *, qint64 *> counters[] = {
        {"strings", &nextString}, {"runs", &nextRun}, {"processes", &nextProcess},
        {"output", &nextOutput}, {"events", &nextEvent}, {"lib_searches", &nextSearch},
        {"lib_loads", &nextLoad}, {"artifacts", &nextArtifact}};
    for (const auto &[table, counter] : counters) {
        if (failure)
            break;
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM %1").arg(QLatin1String(table)))
            || !q.next()) {
            fail(sqlErrorText(q.lastError()));
            break;
        }
        *counter = q.value(0).toLongLong() + 1;
    }
    if (!failure)
        run(SetMeta, {QString::fromLatin1(kWriterVersionKey), QStringLiteral(INITSCOPE_VERSION)});
    if (failure) {
        *reason = failure->message;
        return false;
    }
    return true;
}

void BundleWriter::Private::writeLists(qint64 processId, const Process &process)
{
    const std::pair<Stmt, const QStringList *> lists[] = {{InsertArgv, &process.argv},
                                                          {InsertEnv, &process.env}};
    for (const auto &[stmt, list] : lists) {
        for (qsizetype i = 0; i < list->size() && writable(); ++i) {
            const qint64 id = intern(list->at(i));
            run(stmt, {processId, qlonglong(i), id});
        }
    }
}

qint64 BundleWriter::Private::insertEvent(const Event &event)
{
    const qint64 runId = runFor(event.processId, event.runId);
    if (runId < 0) {
        fail(QStringLiteral("an event was added before any run"));
        return -1;
    }
    const qint64 id = nextEvent++;
    const qint64 kind = intern(event.kind);
    const qint64 name = event.name.isEmpty() ? 0 : intern(event.name);
    if (failure)
        return -1;
    sqlite3_stmt *s = insertEventStmt;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, runId);
    if (event.processId >= 0)
        sqlite3_bind_int64(s, 3, event.processId);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, event.tid);
    sqlite3_bind_int64(s, 5, event.tsNs);
    sqlite3_bind_int64(s, 6, event.durNs);
    sqlite3_bind_int64(s, 7, kind);
    if (name > 0)
        sqlite3_bind_int64(s, 8, name);
    else
        sqlite3_bind_null(s, 8);
    // JSON as TEXT, for SQLite's json_* functions; a compact call payload as the BLOB it is.
    if (event.payload.isEmpty())
        sqlite3_bind_null(s, 9);
    else if (isCompactCall(event.payload))
        sqlite3_bind_blob(s, 9, event.payload.constData(), int(event.payload.size()), SQLITE_STATIC);
    else
        sqlite3_bind_text(s, 9, event.payload.constData(), int(event.payload.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        fail(QString::fromUtf8(sqlite3_errmsg(raw)));
        return -1;
    }
    return id;
}

void BundleWriter::Private::closeDatabase()
{
    // QSqlDatabase::removeDatabase() warns and leaks while a query or handle still uses the
    // connection, so every query and our own handle go first.
    if (insertEventStmt)
        sqlite3_finalize(insertEventStmt);
    insertEventStmt = nullptr;
    raw = nullptr;
    for (auto &stmt : stmts)
        stmt.reset();
    if (connection.isEmpty())
        return;
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(connection);
    connection.clear();
}

void BundleWriter::Private::removeTemp()
{
    if (!tempPath.isEmpty())
        QFile::remove(tempPath);
}

void BundleWriter::Private::releaseLock()
{
    if (lockFd >= 0)
        ::close(lockFd); // also drops the flock
    lockFd = -1;
}

BundleWriter::BundleWriter() : d(std::make_unique<Private>()) {}

BundleWriter::~BundleWriter()
{
    if (d->state == Private::State::Open)
        abort();
}

std::unique_ptr<BundleWriter> BundleWriter::create(const QString &finalPath, BundleError *error)
{
    std::unique_ptr<BundleWriter> writer(new BundleWriter);
    writer->d->finalPath = finalPath;
    QString reason;
    writer->d->tempPath = createTemporarySibling(finalPath, &reason);
    if (writer->d->tempPath.isEmpty() || !writer->d->start(&reason)) {
        writer->d->closeDatabase();
        writer->d->removeTemp();
        writer->d->state = Private::State::Aborted;
        if (error)
            *error = {BundleError::Code::Io,
                      writer->d->failure ? writer->d->failure->message
                                         : QStringLiteral("Could not save the bundle %1: %2.")
                                               .arg(finalPath, reason)};
        return nullptr;
    }
    return writer;
}

std::unique_ptr<BundleWriter> BundleWriter::append(const QString &existingPath, BundleError *error)
{
    BundleError scratch;
    BundleError &out = error ? *error : scratch;
    std::unique_ptr<BundleWriter> writer(new BundleWriter);
    Private &d = *writer->d;
    d.finalPath = existingPath;
    d.appending = true;
    auto refuse = [&](const QString &reason) {
        d.closeDatabase();
        d.removeTemp();
        d.releaseLock();
        d.state = Private::State::Aborted;
        out = d.failure ? *d.failure
                        : BundleError{BundleError::Code::Io,
                                      QStringLiteral("Could not add a run to the bundle %1: %2.")
                                          .arg(existingPath, reason)};
        return nullptr;
    };
    // The reader's checks tell a missing, damaged or foreign file apart in one sentence. A
    // file that is not there is not created here: appending needs something to append to.
    if (const auto refused = checkFileBeforeOpen(existingPath)) {
        out = *refused;
        return nullptr;
    }
    QString reason;
    d.lockFd = lockForAppend(existingPath, &reason);
    if (d.lockFd < 0)
        return refuse(reason);
    int version = 0;
    {
        std::unique_ptr<BundleReader> reader = BundleReader::open(existingPath, &out);
        if (!reader) {
            d.releaseLock();
            return nullptr;
        }
        version = reader->formatVersion();
    }
    if (version > kBundleFormatVersion)
        return refuse(QStringLiteral("it is in format version %1, and this InitScope adds runs "
                                     "only to bundles of version %2 or older")
                          .arg(version)
                          .arg(kBundleFormatVersion));
    struct stat st = {};
    if (::fstat(d.lockFd, &st) != 0)
        return refuse(QStringLiteral("cannot read its size"));
    d.tempPath = createTemporarySibling(existingPath, &reason);
    if (d.tempPath.isEmpty() || !copyInto(d.lockFd, d.tempPath, &reason)
        || !d.startAppend(qint64(st.st_size), &reason))
        return refuse(reason);
    return writer;
}

QString BundleWriter::temporaryPath() const
{
    return d->tempPath;
}

void BundleWriter::setMetadata(const QString &key, const QString &value)
{
    if (!d->writable())
        return;
    if (key == QLatin1String(kFormatVersionKey) || key == QLatin1String(kWriterVersionKey)) {
        qWarning("BundleWriter: metadata key %s is reserved", qPrintable(key));
        return;
    }
    d->run(SetMeta, {key, value});
}

qint64 BundleWriter::addRun(const Run &run)
{
    if (!d->writable())
        return -1;
    const qint64 id = d->nextRun++;
    if (!d->run(InsertRun,
                {id, run.name, commandToJson(run.command), run.configJson, run.startRealtimeNs,
                 run.durationNs, nullable(run.exitCode), nullable(run.exitSignal),
                 int(run.timedOut), int(run.cancelled), run.hostname, run.recorderVersion}))
        return -1;
    d->lastRunId = id;
    return id;
}

void BundleWriter::updateRun(const Run &run)
{
    if (!d->writable())
        return;
    if (run.id <= 0 || run.id >= d->nextRun) {
        d->fail(QStringLiteral("updateRun() was given run id %1, which addRun() never returned")
                    .arg(run.id));
        return;
    }
    d->run(UpdateRun,
           {run.name, commandToJson(run.command), run.configJson, run.startRealtimeNs,
            run.durationNs, nullable(run.exitCode), nullable(run.exitSignal), int(run.timedOut),
            int(run.cancelled), run.hostname, run.recorderVersion, run.id});
}

namespace {

// exit_code and signal are NULL unless the end reason gives them a meaning.
QVariant exitCodeColumn(const Process &p)
{
    return p.endReason == EndReason::Exited ? QVariant(p.exitCode) : QVariant();
}
QVariant signalColumn(const Process &p)
{
    return p.endReason == EndReason::Signaled ? QVariant(p.signal) : QVariant();
}
QVariant idOrNull(qint64 id)
{
    return id >= 0 ? QVariant(id) : QVariant();
}

} // namespace

qint64 BundleWriter::addProcess(const Process &p)
{
    if (!d->writable())
        return -1;
    const qint64 runId = p.runId >= 0 ? p.runId : d->lastRunId;
    if (runId < 0) {
        d->fail(QStringLiteral("a process was added before any run"));
        return -1;
    }
    const qint64 id = d->nextProcess++;
    const QVariant exe = d->internOrNull(p.exe);
    if (!d->run(InsertProcess,
                {id, runId, p.pid, p.ppid, idOrNull(p.parentId), idOrNull(p.previousImageId),
                 p.execSeq, exe, p.startNs, nullable(p.endNs), int(p.endReason),
                 exitCodeColumn(p), signalColumn(p), int(p.coreDumped), int(p.recorded)}))
        return -1;
    d->runOfProcess.insert(id, runId);
    d->writeLists(id, p);
    return d->writable() ? id : -1;
}

void BundleWriter::updateProcess(const Process &p)
{
    if (!d->writable())
        return;
    if (!d->runOfProcess.contains(p.id)) {
        d->fail(QStringLiteral("updateProcess() was given process id %1, which addProcess() "
                               "never returned")
                    .arg(p.id));
        return;
    }
    const qint64 runId = p.runId >= 0 ? p.runId : d->runOfProcess.value(p.id);
    const QVariant exe = d->internOrNull(p.exe);
    if (!d->run(UpdateProcess,
                {runId, p.pid, p.ppid, idOrNull(p.parentId), idOrNull(p.previousImageId),
                 p.execSeq, exe, p.startNs, nullable(p.endNs), int(p.endReason),
                 exitCodeColumn(p), signalColumn(p), int(p.coreDumped), int(p.recorded), p.id}))
        return;
    d->runOfProcess.insert(p.id, runId);
    if (d->run(DeleteArgv, {p.id}) && d->run(DeleteEnv, {p.id}))
        d->writeLists(p.id, p);
}

qint64 BundleWriter::addOutput(const OutputChunk &chunk)
{
    if (!d->writable())
        return -1;
    const qint64 id = d->nextOutput++;
    if (!d->run(InsertOutput,
                {id, chunk.processId, int(chunk.stream), chunk.tsNs, chunk.data}))
        return -1;
    return id;
}

qint64 BundleWriter::addEvent(const Event &event)
{
    if (!d->writable())
        return -1;
    return d->insertEvent(event);
}

qint64 BundleWriter::addLibSearch(const LibSearch &search)
{
    if (!d->writable())
        return -1;
    const qint64 id = d->nextSearch;
    Event event;
    event.processId = search.processId;
    event.tid = search.tid;
    event.tsNs = search.tsNs;
    event.kind = QStringLiteral("lib.search");
    event.name = search.name;
    // The event carries the outcome too, so a timeline reads without a second lookup.
    QJsonObject summary{{QStringLiteral("lib_search_id"), id},
                        {QStringLiteral("outcome"), searchOutcomeName(search.outcome)},
                        {QStringLiteral("candidates"), search.steps.size()}};
    if (!search.resultPath.isEmpty())
        summary.insert(QStringLiteral("result"), search.resultPath);
    event.payload = QJsonDocument(summary).toJson(QJsonDocument::Compact);
    const qint64 eventId = d->insertEvent(event);
    if (eventId < 0)
        return -1;
    ++d->nextSearch;
    const QVariant name = d->internOrNull(search.name);
    const QVariant requester = d->internOrNull(search.requester);
    const QVariant result = d->internOrNull(search.resultPath);
    if (!d->run(InsertSearch,
                {id, d->runFor(search.processId), search.processId, eventId, search.tid,
                 search.tsNs, name, requester, int(search.outcome), result}))
        return -1;
    for (qsizetype i = 0; i < search.steps.size() && d->writable(); ++i) {
        const LibSearchStep &step = search.steps.at(i);
        const QVariant path = d->internOrNull(step.path);
        d->run(InsertStep, {id, qlonglong(i), path, qlonglong(step.origin),
                                     step.exists < 0 ? QVariant() : QVariant(step.exists ? 1 : 0)});
    }
    return d->writable() ? id : -1;
}

qint64 BundleWriter::addLibLoad(const LibLoad &load)
{
    if (!d->writable())
        return -1;
    const qint64 id = d->nextLoad;
    Event event;
    event.processId = load.processId;
    event.tid = load.tid;
    event.tsNs = load.tsNs;
    event.kind = QStringLiteral("lib.load");
    event.name = load.path;
    QJsonObject summary{{QStringLiteral("lib_load_id"), id}};
    if (!load.soname.isEmpty())
        summary.insert(QStringLiteral("soname"), load.soname);
    event.payload = QJsonDocument(summary).toJson(QJsonDocument::Compact);
    const qint64 eventId = d->insertEvent(event);
    if (eventId < 0)
        return -1;
    ++d->nextLoad;
    const QVariant path = d->internOrNull(load.path);
    const QVariant soname = d->internOrNull(load.soname);
    // SQLite integers are signed 64-bit; the address keeps its bits.
    if (!d->run(InsertLoad,
                {id, d->runFor(load.processId), load.processId, eventId, load.tid, load.tsNs,
                 path, soname, load.lmid, qlonglong(load.base), nullable(load.unloadNs)}))
        return -1;
    return id;
}

qint64 BundleWriter::addArtifact(const Artifact &artifact)
{
    if (!d->writable())
        return -1;
    const qint64 runId = artifact.runId >= 0 ? artifact.runId : d->lastRunId;
    if (runId < 0) {
        d->fail(QStringLiteral("an artifact was added before any run"));
        return -1;
    }
    const qint64 id = d->nextArtifact++;
    const QVariant kind = d->internOrNull(artifact.kind);
    const QVariant path = d->internOrNull(artifact.path);
    if (!d->run(InsertArtifact, {id, runId, kind, path, artifact.size, artifact.sha256,
                                           artifact.content}))
        return -1;
    return id;
}

bool BundleWriter::commit(BundleError *error)
{
    auto report = [&] {
        if (error)
            *error = *d->failure;
    };
    if (d->state != Private::State::Open) {
        d->fail(QStringLiteral("the writer was already committed or aborted"));
        report();
        return false;
    }
    if (!d->failure) {
        QStringList indexes = createIndexes();
        // An appended file has its indexes already; they took the new rows as they came.
        if (d->appending)
            indexes.replaceInStrings(QStringLiteral("CREATE INDEX "), QStringLiteral("CREATE INDEX IF NOT EXISTS "));
        for (const QString &sql : indexes) {
            if (!d->plain(sql))
                break;
        }
    }
    if (!d->failure && !d->db.commit())
        d->fail(sqlErrorText(d->db.lastError()));
    if (!d->failure) {
        d->closeDatabase();
        QString reason;
        if (!syncFile(d->tempPath, &reason) || !renameOver(d->tempPath, d->finalPath, &reason))
            d->fail(reason);
    }
    if (d->failure) {
        report();
        abort();
        return false;
    }
    d->state = Private::State::Committed;
    d->releaseLock();
    QString reason;
    // The bundle is already in place and complete; a folder that cannot be flushed only
    // means the rename might not survive a power cut, which is no reason to report a failed
    // save.
    if (!syncDirectoryOf(d->finalPath, &reason))
        qWarning("BundleWriter: %s", qPrintable(reason));
    return true;
}

void BundleWriter::abort()
{
    if (d->state != Private::State::Open)
        return;
    d->closeDatabase();
    d->removeTemp();
    d->releaseLock();
    d->state = Private::State::Aborted;
}

// ---------------------------------------------------------------------------------------------
// BundleReader

struct BundleReader::Private {
    QString path;
    QString connection;
    QSqlDatabase db;
    int version = 0;
    std::array<std::optional<QSqlQuery>, ReaderStatementCount> stmts;
    std::optional<BundleError> queryError;

    ~Private()
    {
        for (auto &stmt : stmts)
            stmt.reset();
        if (connection.isEmpty())
            return;
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connection);
    }

    bool open(BundleError *error);

    QString lastFailure;

    void record(const QSqlError &error)
    {
        lastFailure = sqlErrorText(error);
        if (!queryError)
            queryError = corruptError(path, lastFailure);
    }

    // Statements are prepared once and kept; one that failed is dropped and prepared afresh
    // on next use, because QSQLITE finalizes a statement whose step reported an error.
    bool prepare(ReaderStatement s)
    {
        if (stmts[s])
            return true;
        stmts[s].emplace(db);
        stmts[s]->setForwardOnly(true);
        if (stmts[s]->prepare(withNamedPlaceholders(readerSql(s))))
            return true;
        record(stmts[s]->lastError());
        stmts[s].reset();
        return false;
    }

    // Runs a statement and hands each row to `row`. A damaged file shows up as a failing
    // exec() or as next() stopping with an error, never as a short list silently.
    template<typename F>
    void each(ReaderStatement s, std::initializer_list<QVariant> values, F &&row)
    {
        if (!prepare(s))
            return;
        QSqlQuery &q = *stmts[s];
        int i = 0;
        for (const QVariant &v : values)
            q.bindValue(placeholder(i++), v);
        if (q.exec()) {
            while (q.next())
                row(std::as_const(q));
        }
        if (q.lastError().type() != QSqlError::NoError) {
            record(q.lastError());
            stmts[s].reset();
            return;
        }
        // Ends the read transaction so that a later query sees the file as it is then.
        q.finish();
    }

    qint64 scalar(ReaderStatement s, std::initializer_list<QVariant> values)
    {
        qint64 value = 0;
        each(s, values, [&](const QSqlQuery &q) { value = q.value(0).toLongLong(); });
        return value;
    }
};

bool BundleReader::Private::open(BundleError *error)
{
    using Code = BundleError::Code;
    auto refuse = [&](Code code, const QString &message) {
        *error = {code, message};
        return false;
    };
    auto corrupt = [&](const QString &detail) {
        *error = corruptError(path, detail);
        return false;
    };
    if (!QSqlDatabase::isDriverAvailable(kDriver))
        return refuse(Code::Io, QStringLiteral("The bundle %1 cannot be opened: Qt's SQLite "
                                               "driver (QSQLITE) is not installed.")
                                    .arg(path));
    connection = uniqueConnectionName("reader");
    db = QSqlDatabase::addDatabase(kDriver, connection);
    db.setDatabaseName(path);
    // Read-only: opening or querying a bundle never changes a byte of it.
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
    if (!db.open())
        return refuse(Code::Unreadable, QStringLiteral("The bundle %1 cannot be read: %2.")
                                            .arg(path, sqlErrorText(db.lastError())));
    // The integrity check reads every page: half a second per 400 MiB in the page cache, seconds
    // from disk. Files up to kFullCheckBytes are checked whole here; in a larger one, damage is
    // found by the query that reaches it (queryError()), as for a file changed after open().
    if (QFileInfo(path).size() <= kFullCheckBytes) {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA quick_check(1)")) || !q.next())
            return corrupt(sqlErrorText(q.lastError()));
        const QString verdict = q.value(0).toString();
        if (verdict != QLatin1String("ok"))
            return corrupt(verdict);
    }
    const QString notABundle =
        QStringLiteral("%1 is an SQLite database but not an InitScope bundle: %2.");
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master"
                                   " WHERE type = 'table' AND name = 'meta'"))
            || !q.next())
            return corrupt(sqlErrorText(q.lastError()));
        if (q.value(0).toLongLong() == 0)
            return refuse(Code::NotABundle,
                          notABundle.arg(path, QStringLiteral("it has no meta table")));
    }
    {
        QSqlQuery q(db);
        // A failing statement here means a "meta" table of some other program.
        if (!q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'format_version'")))
            return refuse(
                Code::NotABundle,
                notABundle.arg(path, QStringLiteral("its meta table is not InitScope's")));
        if (!q.next()) {
            if (q.lastError().type() != QSqlError::NoError)
                return corrupt(sqlErrorText(q.lastError()));
            return refuse(Code::NotABundle,
                          notABundle.arg(path, QStringLiteral("its meta table has no "
                                                              "format_version")));
        }
        bool ok = false;
        version = q.value(0).toString().trimmed().toInt(&ok);
        if (!ok)
            return refuse(Code::NotABundle,
                          notABundle.arg(path, QStringLiteral("its format_version is not a "
                                                              "number")));
    }
    if (version > kBundleFormatVersion)
        return refuse(Code::TooNew,
                      QStringLiteral("The bundle %1 uses format version %2, but this InitScope "
                                     "(%3) reads format versions up to %4; upgrade InitScope to "
                                     "open it.")
                          .arg(path)
                          .arg(version)
                          .arg(QStringLiteral(INITSCOPE_VERSION))
                          .arg(kBundleFormatVersion));
    if (version < kBundleMinReadableVersion)
        return refuse(Code::NotABundle,
                      notABundle.arg(path, QStringLiteral("format version %1 was never written "
                                                          "by InitScope")
                                               .arg(version)));
    // Preparing every statement now checks that each table and column the queries need is
    // there, so a bundle with a mangled schema is refused here rather than half-read later.
    for (int s = 0; s < ReaderStatementCount; ++s) {
        if (!prepare(ReaderStatement(s)))
            return corrupt(QStringLiteral("its tables do not match format version %1: %2")
                               .arg(version)
                               .arg(lastFailure));
    }
    return true;
}

namespace {

Process processFrom(const QSqlQuery &q)
{
    Process p;
    p.id = q.value(0).toLongLong();
    p.runId = q.value(1).toLongLong();
    p.pid = q.value(2).toLongLong();
    p.ppid = q.value(3).toLongLong();
    p.parentId = q.value(4).isNull() ? -1 : q.value(4).toLongLong();
    p.previousImageId = q.value(5).isNull() ? -1 : q.value(5).toLongLong();
    p.execSeq = q.value(6).toInt();
    p.exe = q.value(7).toString();
    p.startNs = q.value(8).toLongLong();
    p.endNs = optionalFrom<qint64>(q.value(9));
    p.endReason = endReasonFromInt(q.value(10).toLongLong());
    p.exitCode = q.value(11).toInt();
    p.signal = q.value(12).toInt();
    p.coreDumped = q.value(13).toLongLong() != 0;
    p.recorded = q.value(14).toLongLong() != 0;
    return p;
}

Event eventFrom(const QSqlQuery &q)
{
    Event e;
    e.id = q.value(0).toLongLong();
    e.runId = q.value(1).toLongLong();
    e.processId = q.value(2).isNull() ? -1 : q.value(2).toLongLong();
    e.tid = q.value(3).toLongLong();
    e.tsNs = q.value(4).toLongLong();
    e.durNs = q.value(5).toLongLong();
    e.kind = q.value(6).toString();
    e.name = q.value(7).toString();
    e.payload = expandCallPayload(e.name, q.value(8).toByteArray());
    return e;
}

} // namespace

BundleReader::BundleReader() : d(std::make_unique<Private>()) {}

BundleReader::~BundleReader() = default;

std::unique_ptr<BundleReader> BundleReader::open(const QString &path, BundleError *error)
{
    BundleError scratch;
    BundleError &out = error ? *error : scratch;
    if (const auto refused = checkFileBeforeOpen(path)) {
        out = *refused;
        return nullptr;
    }
    std::unique_ptr<BundleReader> reader(new BundleReader);
    reader->d->path = path;
    if (!reader->d->open(&out))
        return nullptr;
    return reader;
}

QString BundleReader::path() const
{
    return d->path;
}

int BundleReader::formatVersion() const
{
    return d->version;
}

std::optional<BundleError> BundleReader::queryError() const
{
    return d->queryError;
}

QMap<QString, QString> BundleReader::metadata() const
{
    QMap<QString, QString> out;
    d->each(ReadMeta, {}, [&](const QSqlQuery &q) {
        out.insert(q.value(0).toString(), q.value(1).toString());
    });
    return out;
}

QList<Run> BundleReader::runs() const
{
    QList<Run> out;
    d->each(ReadRuns, {}, [&](const QSqlQuery &q) {
        Run r;
        r.id = q.value(0).toLongLong();
        r.name = q.value(1).toString();
        r.command = commandFromJson(q.value(2).toByteArray());
        r.configJson = q.value(3).toByteArray();
        r.startRealtimeNs = q.value(4).toLongLong();
        r.durationNs = q.value(5).toLongLong();
        r.exitCode = optionalFrom<int>(q.value(6));
        r.exitSignal = optionalFrom<int>(q.value(7));
        r.timedOut = q.value(8).toLongLong() != 0;
        r.cancelled = q.value(9).toLongLong() != 0;
        r.hostname = q.value(10).toString();
        r.recorderVersion = q.value(11).toString();
        out.append(r);
    });
    return out;
}

QList<Process> BundleReader::processes(qint64 runId) const
{
    QList<Process> out;
    QHash<qint64, qsizetype> index;
    d->each(ReadProcessesOfRun, {runId}, [&](const QSqlQuery &q) {
        index.insert(q.value(0).toLongLong(), out.size());
        out.append(processFrom(q));
    });
    if (out.isEmpty())
        return out;
    // Two queries for the whole run instead of two per process.
    auto fill = [&](ReaderStatement s, QStringList Process::*list) {
        d->each(s, {runId}, [&](const QSqlQuery &q) {
            const auto it = index.constFind(q.value(0).toLongLong());
            if (it != index.constEnd())
                (out[*it].*list).append(q.value(1).toString());
        });
    };
    fill(ReadArgvOfRun, &Process::argv);
    fill(ReadEnvOfRun, &Process::env);
    return out;
}

std::optional<Process> BundleReader::process(qint64 processId) const
{
    std::optional<Process> out;
    d->each(ReadProcess, {processId}, [&](const QSqlQuery &q) { out = processFrom(q); });
    if (!out)
        return out;
    d->each(ReadArgvOfProcess, {processId},
            [&](const QSqlQuery &q) { out->argv.append(q.value(1).toString()); });
    d->each(ReadEnvOfProcess, {processId},
            [&](const QSqlQuery &q) { out->env.append(q.value(1).toString()); });
    return out;
}

QList<OutputChunk> BundleReader::output(qint64 processId) const
{
    QList<OutputChunk> out;
    d->each(ReadOutput, {processId}, [&](const QSqlQuery &q) {
        OutputChunk c;
        c.id = q.value(0).toLongLong();
        c.processId = q.value(1).toLongLong();
        c.stream = streamFromInt(q.value(2).toLongLong());
        c.tsNs = q.value(3).toLongLong();
        c.data = q.value(4).toByteArray();
        out.append(c);
    });
    return out;
}

qint64 BundleReader::outputSize(qint64 processId) const
{
    return d->scalar(ReadOutputSize, {processId});
}

QList<Event> BundleReader::events(qint64 runId, qint64 processId) const
{
    QList<Event> out;
    auto row = [&](const QSqlQuery &q) { out.append(eventFrom(q)); };
    if (processId < 0)
        d->each(ReadEventsOfRun, {runId}, row);
    else
        d->each(ReadEventsOfProcess, {processId, runId}, row);
    return out;
}

QList<Event> BundleReader::eventsOfKind(qint64 runId, qint64 processId, const QString &kind) const
{
    QList<Event> out;
    auto row = [&](const QSqlQuery &q) { out.append(eventFrom(q)); };
    if (processId < 0)
        d->each(ReadEventsOfKindOfRun, {runId, kind}, row);
    else
        d->each(ReadEventsOfKindOfProcess, {processId, runId, kind}, row);
    return out;
}

qint64 BundleReader::eventCount(qint64 runId, qint64 processId) const
{
    return processId < 0 ? d->scalar(ReadEventCountOfRun, {runId})
                         : d->scalar(ReadEventCountOfProcess, {processId, runId});
}

QList<LibSearch> BundleReader::libSearches(qint64 runId, qint64 processId) const
{
    QList<LibSearch> out;
    QHash<qint64, qsizetype> index;
    auto search = [&](const QSqlQuery &q) {
        LibSearch s;
        s.id = q.value(0).toLongLong();
        s.processId = q.value(1).toLongLong();
        s.eventId = q.value(2).toLongLong();
        s.tid = q.value(3).toLongLong();
        s.tsNs = q.value(4).toLongLong();
        s.name = q.value(5).toString();
        s.requester = q.value(6).toString();
        s.outcome = searchOutcomeFromInt(q.value(7).toLongLong());
        s.resultPath = q.value(8).toString();
        index.insert(s.id, out.size());
        out.append(s);
    };
    auto step = [&](const QSqlQuery &q) {
        const auto it = index.constFind(q.value(0).toLongLong());
        if (it == index.constEnd())
            return;
        LibSearchStep st;
        st.path = q.value(1).toString();
        st.origin = quint32(q.value(2).toLongLong());
        st.exists = q.value(3).isNull() ? -1 : (q.value(3).toLongLong() != 0 ? 1 : 0);
        out[*it].steps.append(st);
    };
    if (processId < 0) {
        d->each(ReadSearchesOfRun, {runId}, search);
        if (!out.isEmpty())
            d->each(ReadStepsOfRun, {runId}, step);
    } else {
        d->each(ReadSearchesOfProcess, {processId, runId}, search);
        if (!out.isEmpty())
            d->each(ReadStepsOfProcess, {processId, runId}, step);
    }
    return out;
}

QList<LibLoad> BundleReader::libLoads(qint64 runId, qint64 processId) const
{
    QList<LibLoad> out;
    auto row = [&](const QSqlQuery &q) {
        LibLoad l;
        l.id = q.value(0).toLongLong();
        l.processId = q.value(1).toLongLong();
        l.eventId = q.value(2).toLongLong();
        l.tid = q.value(3).toLongLong();
        l.tsNs = q.value(4).toLongLong();
        l.path = q.value(5).toString();
        l.soname = q.value(6).toString();
        l.lmid = q.value(7).toLongLong();
        l.base = quint64(q.value(8).toLongLong());
        l.unloadNs = optionalFrom<qint64>(q.value(9));
        out.append(l);
    };
    if (processId < 0)
        d->each(ReadLoadsOfRun, {runId}, row);
    else
        d->each(ReadLoadsOfProcess, {processId, runId}, row);
    return out;
}

QList<Artifact> BundleReader::artifacts(qint64 runId) const
{
    QList<Artifact> out;
    d->each(ReadArtifacts, {runId}, [&](const QSqlQuery &q) {
        Artifact a;
        a.id = q.value(0).toLongLong();
        a.runId = q.value(1).toLongLong();
        a.kind = q.value(2).toString();
        a.path = q.value(3).toString();
        a.size = q.value(4).toLongLong();
        a.sha256 = q.value(5).toByteArray();
        a.content = q.value(6).toByteArray();
        out.append(a);
    });
    return out;
}

} // namespace initscope
