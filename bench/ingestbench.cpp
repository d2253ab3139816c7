// Ingest at scale: turns a kept raw run directory (`initscope record --keep-raw`) into a fresh
// bundle with the same ingest that `initscope record` runs, and prints how long ingest and
// commit took, the bundle's size, and the bytes the events table and its indexes take per call
// event (SQLite's dbstat). A calibration follows: the time SQLite itself takes to insert
// 100,000 rows of a similar shape with two indexes (fastest of three), on the same machine and
// in the same run,
// so that bench/run.sh --check can compare ingest with it rather than with absolute seconds.
//
//   ingestbench RAW_DIR OUT.initscope [--calibration-rows N]
//
// Output, one line each, key=value pairs (parsed by bench/run.sh):
//   ingestbench: events=… calls=… ingest_s=… commit_s=… events_per_s=… bundle_bytes=…
//                bytes_per_event=… events_table_bytes=… bytes_per_call_event=…
//   calibration: rows=… seconds=… rows_per_s=…
#include "bundle.h"
#include "ingest.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <sqlite3.h>

#include <cstdio>

using namespace initscope;

namespace {

// Pages (bytes) of the events table and of every index whose name starts with "events".
qint64 eventsTableBytes(const QString &path, QString *error)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = nullptr;
    qint64 bytes = -1;
    if (sqlite3_prepare_v2(db, "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'events%'", -1, &st, nullptr) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            bytes = sqlite3_column_int64(st, 0);
    } else {
        *error = QStringLiteral("dbstat: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return bytes;
}

// Seconds SQLite takes to insert `rows` rows shaped like events (integers, two interned ids, a
// ~120-byte JSON text) into a fresh file with two indexes, in one transaction, and commit.
double calibrate(const QString &path, int rows, QString *error)
{
    QFile::remove(path);
    sqlite3 *db = nullptr;
    if (sqlite3_open(QFile::encodeName(path).constData(), &db) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    QElapsedTimer timer;
    timer.start();
    const char *schema =
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, run_id INTEGER, process_id INTEGER, tid INTEGER,"
        " ts_ns INTEGER, dur_ns INTEGER, kind_id INTEGER, name_id INTEGER, payload TEXT);"
        "CREATE INDEX t_run_ts ON t(run_id, ts_ns); CREATE INDEX t_process_ts ON t(process_id, ts_ns);"
        "BEGIN;";
    char *message = nullptr;
    if (sqlite3_exec(db, schema, nullptr, nullptr, &message) != SQLITE_OK) {
        *error = QString::fromUtf8(message);
        sqlite3_free(message);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO t (run_id, process_id, tid, ts_ns, dur_ns, kind_id, name_id, payload)"
                           " VALUES (1, 1, ?1, ?2, ?3, 7, 9, ?4)", -1, &st, nullptr);
    char payload[160];
    for (int i = 0; i < rows; ++i) {
        const int n = std::snprintf(payload, sizeof payload,
                                    "{\"args\":{\"pi\":\"0x7ffd%08x\",\"attrib\":75,\"dev\":0},"
                                    "\"out\":{\"pi\":%d},\"result\":\"CUDA_SUCCESS\",\"seq\":%d}",
                                    i, i % 97, i);
        sqlite3_bind_int64(st, 1, 1000 + i % 4);
        sqlite3_bind_int64(st, 2, 1000000 + qint64(i) * 310);
        sqlite3_bind_int64(st, 3, 120 + i % 50);
        sqlite3_bind_text(st, 4, payload, n, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            *error = QString::fromUtf8(sqlite3_errmsg(db));
            break;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    QFile::remove(path);
    return error->isEmpty() ? seconds : -1;
}

int usage()
{
    std::fprintf(stderr, "usage: ingestbench RAW_DIR OUT.initscope [--calibration-rows N]\n");
    return 64;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    QStringList positional;
    int calibrationRows = 100000;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--calibration-rows") && i + 1 < args.size())
            calibrationRows = args[++i].toInt();
        else if (args[i].startsWith(QLatin1String("-")))
            return usage();
        else
            positional << args[i];
    }
    if (positional.size() != 2)
        return usage();
    const QString rawDir = positional[0];
    const QString out = positional[1];
    if (!QFileInfo(rawDir).isDir()) {
        std::fprintf(stderr, "ingestbench: %s is not a directory\n", qPrintable(rawDir));
        return 1;
    }
    QFile::remove(out);

    BundleError bundleError;
    QElapsedTimer timer;
    timer.start();
    std::unique_ptr<BundleWriter> writer = BundleWriter::create(out, &bundleError);
    if (!writer) {
        std::fprintf(stderr, "ingestbench: %s\n", qPrintable(bundleError.message));
        return 1;
    }
    writer->setMetadata(QStringLiteral("created_by"), QStringLiteral("ingestbench"));
    Run run;
    run.name = QStringLiteral("ingestbench");
    run.command = {QFileInfo(rawDir).fileName()};
    run.hostname = QSysInfo::machineHostName();
    run.recorderVersion = QStringLiteral(INITSCOPE_VERSION);
    IngestOptions options; // as core/recording.cpp sets them, less the artifacts
    IngestStats stats;
    QString error;
    if (!ingestRunDirectory(rawDir, run, *writer, options, &stats, &error)) {
        std::fprintf(stderr, "ingestbench: ingest failed: %s\n", qPrintable(error));
        writer->abort();
        return 1;
    }
    const double ingestSeconds = double(timer.nsecsElapsed()) / 1e9;
    timer.restart();
    if (!writer->commit(&bundleError)) {
        std::fprintf(stderr, "ingestbench: commit failed: %s\n", qPrintable(bundleError.message));
        return 1;
    }
    const double commitSeconds = double(timer.nsecsElapsed()) / 1e9;
    writer.reset();

    const qint64 bundleBytes = QFileInfo(out).size();
    const qint64 tableBytes = eventsTableBytes(out, &error);
    if (tableBytes < 0) {
        std::fprintf(stderr, "ingestbench: cannot measure the events table: %s\n", qPrintable(error));
        return 1;
    }
    const double total = ingestSeconds + commitSeconds;
    std::printf("ingestbench: events=%d calls=%d ingest_s=%.3f commit_s=%.3f events_per_s=%.0f "
                "bundle_bytes=%lld bytes_per_event=%.1f events_table_bytes=%lld bytes_per_call_event=%.1f\n",
                stats.events, stats.calls, ingestSeconds, commitSeconds,
                total > 0 ? double(stats.events) / total : 0.0, static_cast<long long>(bundleBytes),
                stats.events ? double(bundleBytes) / stats.events : 0.0, static_cast<long long>(tableBytes),
                stats.calls ? double(tableBytes) / stats.calls : 0.0);
    std::fflush(stdout);

    if (calibrationRows > 0) {
        double seconds = -1;
        for (int i = 0; i < 3; ++i) { // the fastest of three: the machine's speed, not its load
            error.clear();
            const double s = calibrate(out + QStringLiteral(".calibration"), calibrationRows, &error);
            if (s < 0) {
                std::fprintf(stderr, "ingestbench: calibration failed: %s\n", qPrintable(error));
                return 1;
            }
            if (seconds < 0 || s < seconds)
                seconds = s;
        }
        std::printf("calibration: rows=%d seconds=%.4f rows_per_s=%.0f\n", calibrationRows, seconds,
                    double(calibrationRows) / seconds);
    }
    return 0;
}
