#include "recording.h"

#include "ingest.h"

#include "bundle.h"
#include "elffacts.h"
#include "machinefacts.h"
#include "progress.h"
#include "rawformat.h"
#include "rawio.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QSysInfo>
#include <QTemporaryDir>

#include <cstring>
#include <sys/statvfs.h>
#include <unistd.h>

extern char **environ;

namespace initscope {

namespace {

QString nameOf(const QString &kv)
{
    const qsizetype eq = kv.indexOf(QLatin1Char('='));
    return eq < 0 ? kv : kv.left(eq);
}

void removeVariable(QStringList &env, const QString &name)
{
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const QString &kv) { return nameOf(kv) == name; }),
              env.end());
}

QString defaultOutputPath(const RecordOptions &options)
{
    const QString program = QFileInfo(options.command.value(0)).fileName();
    return QStringLiteral("%1-%2.initscope")
        .arg(program.isEmpty() ? QStringLiteral("run") : program,
             QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
}

} // namespace

QString findRecorderModule()
{
    const QByteArray fromEnv = qgetenv("INITSCOPE_RECORDER");
    if (!fromEnv.isEmpty())
        return QFileInfo::exists(QString::fromLocal8Bit(fromEnv)) ? QString::fromLocal8Bit(fromEnv)
                                                                  : QString();
    const QString binDir = QCoreApplication::applicationDirPath();
    const QString name = QStringLiteral("libinitscope_recorder.so");
    for (const QString &rel : {QStringLiteral("../lib/"), QStringLiteral("../lib/initscope/"),
                               QStringLiteral("../lib/x86_64-linux-gnu/initscope/"),
                               QStringLiteral("../lib64/initscope/")}) {
        const QString candidate = QDir::cleanPath(binDir + QLatin1Char('/') + rel + name);
        if (QFileInfo::exists(candidate))
            return candidate;
    }
    return {};
}

void injectShims(const QList<ShimSpec> &shims, InjectMode mode, const QString &runDir,
                 QStringList *env)
{
    if (shims.isEmpty())
        return;
    auto prepend = [env](const QString &name, const QString &value, QChar sep) {
        QString current;
        for (const QString &kv : *env) {
            if (nameOf(kv) == name)
                current = kv.mid(name.size() + 1);
        }
        removeVariable(*env, name);
        *env << name + QLatin1Char('=') + value + (current.isEmpty() ? QString() : sep + current);
    };
    QStringList lines;
    switch (mode) {
    case InjectMode::Audit:
        for (const ShimSpec &shim : shims)
            lines << shim.soname + QLatin1Char('=') + shim.path;
        *env << QStringLiteral(INITSCOPE_ENV_SHIMS "=") + lines.join(QLatin1Char('\n'));
        break;
    case InjectMode::LdLibraryPath: {
        // A directory holding only the shims, under their SONAMEs, first in the search.
        const QString dir = runDir + QStringLiteral("/shims");
        QDir().mkpath(dir);
        for (const ShimSpec &shim : shims)
            QFile::link(shim.path, dir + QLatin1Char('/') + shim.soname);
        prepend(QStringLiteral("LD_LIBRARY_PATH"), dir, QLatin1Char(':'));
        break;
    }
    case InjectMode::LdPreload: {
        QStringList paths;
        for (const ShimSpec &shim : shims)
            paths << shim.path;
        prepend(QStringLiteral("LD_PRELOAD"), paths.join(QLatin1Char(':')), QLatin1Char(':'));
        break;
    }
    }
}

QStringList effectiveEnvironment(const RecordOptions &options)
{
    QStringList base;
    if (!options.baseEnvironmentOverride.isNull()) {
        for (const QByteArray &kv : options.baseEnvironmentOverride.split('\0')) {
            if (!kv.isEmpty())
                base << QString::fromLocal8Bit(kv);
        }
    } else {
        for (char **e = environ; e && *e; ++e)
            base << QString::fromLocal8Bit(*e);
    }
    QStringList env;
    if (options.cleanEnv) {
        for (const QString &kv : base) {
            if (kCleanEnvironment.contains(nameOf(kv)))
                env << kv;
        }
    } else {
        env = base;
    }
    // The recorder's own variables never leak in from a recording of a recording.
    for (const char *own : {INITSCOPE_ENV_RUN_DIR, INITSCOPE_ENV_SOCKET, INITSCOPE_ENV_SHIMS})
        removeVariable(env, QString::fromLatin1(own));
    for (const QString &name : options.unsetEnv)
        removeVariable(env, name);
    for (const QString &kv : options.setEnv) {
        removeVariable(env, nameOf(kv));
        env << kv;
    }
    return env;
}

// The files the run's "collect" patterns match now that it has ended, as artifacts with their
// content (at most 16 MiB of each; the size and hash are of the whole file).
QList<Artifact> collectFiles(const QStringList &patterns, const QString &workingDirectory)
{
    QList<Artifact> out;
    QSet<QString> seen;
    for (const QString &pattern : patterns) {
        const QFileInfo where(QDir(workingDirectory.isEmpty() ? QDir::currentPath() : workingDirectory), pattern);
        QDir dir = where.dir();
        const QStringList names = dir.entryList({where.fileName()}, QDir::Files | QDir::Readable, QDir::Name);
        for (const QString &name : names) {
            const QString path = dir.absoluteFilePath(name);
            if (seen.contains(path))
                continue;
            seen.insert(path);
            Artifact a = fileArtifact(QStringLiteral("collected"), path);
            QFile f(path);
            if (f.open(QIODevice::ReadOnly))
                a.content = f.read(16 << 20);
            out.append(a);
        }
    }
    return out;
}

QByteArray recordOptionsToJson(const RecordOptions &options)
{
    QJsonObject set;
    // Secrets given with --env are redacted here as in the processes' environments; a retry
    // takes them from its own environment again (optionsOfRun).
    for (const QString &kv : options.setEnv)
        set.insert(nameOf(kv), options.redaction.redactValue(nameOf(kv), kv.mid(nameOf(kv).size() + 1)));
    QJsonObject env{{QStringLiteral("clean"), options.cleanEnv},
                    {QStringLiteral("set"), set},
                    {QStringLiteral("unset"), QJsonArray::fromStringList(options.unsetEnv)}};
    QJsonObject o{{QStringLiteral("command"), QJsonArray::fromStringList(options.command)},
                  {QStringLiteral("environment"), env}};
    if (!options.runName.isEmpty())
        o.insert(QStringLiteral("name"), options.runName);
    if (options.timeoutSeconds)
        o.insert(QStringLiteral("timeoutSeconds"), *options.timeoutSeconds);
    QJsonArray shims;
    for (const ShimSpec &shim : options.shims)
        shims.append(QJsonObject{{QStringLiteral("path"), shim.path},
                                 {QStringLiteral("soname"), shim.soname}});
    o.insert(QStringLiteral("shims"), shims);
    o.insert(QStringLiteral("injection"), injectModeName(options.inject));
    if (!options.workingDirectory.isEmpty())
        o.insert(QStringLiteral("workingDirectory"), options.workingDirectory);
    if (!options.stopOnOutput.isEmpty())
        o.insert(QStringLiteral("stopOnOutput"), QJsonArray::fromStringList(options.stopOnOutput));
    if (!options.preset.isEmpty())
        o.insert(QStringLiteral("preset"), options.preset);
    if (!options.collect.isEmpty())
        o.insert(QStringLiteral("collect"), QJsonArray::fromStringList(options.collect));
    if (options.redaction.toJson() != RedactionPolicy().toJson())
        o.insert(QStringLiteral("redaction"), options.redaction.toJson());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

RecordResult Recording::record(const RecordOptions &options)
{
    RecordResult result;
    if (options.command.isEmpty()) {
        result.status = RecordResult::Status::StartFailed;
        result.error = QStringLiteral("no command given");
        return result;
    }
    const QString recorder = findRecorderModule();
    if (recorder.isEmpty()) {
        result.error = QStringLiteral("the recorder module libinitscope_recorder.so was not found "
                                      "next to %1 (set INITSCOPE_RECORDER to its path)")
                           .arg(QCoreApplication::applicationFilePath());
        return result;
    }
    // Shims: absolute paths, SONAMEs known, before anything runs.
    QList<ShimSpec> shims;
    for (const ShimSpec &given : options.shims) {
        const QFileInfo info(given.path);
        if (!info.isFile()) {
            result.status = RecordResult::Status::InvalidInput;
            result.error = QStringLiteral("shim %1 does not exist").arg(given.path);
            return result;
        }
        ShimSpec shim{info.absoluteFilePath(), given.soname};
        if (shim.soname.isEmpty())
            shim.soname = readSoname(shim.path);
        if (shim.soname.isEmpty())
            shim.soname = info.fileName();
        shims.append(shim);
    }
    result.bundlePath = options.outputPath.isEmpty() ? defaultOutputPath(options) : options.outputPath;

    // Fail before running anything if the bundle cannot be written (or added to).
    BundleError bundleError;
    auto writer = options.appendToOutput ? BundleWriter::append(result.bundlePath, &bundleError)
                                         : BundleWriter::create(result.bundlePath, &bundleError);
    if (!writer) {
        result.error = bundleError.message;
        return result;
    }

    QTemporaryDir rawDir(QDir::tempPath() + QStringLiteral("/initscope-run-XXXXXX"));
    if (!rawDir.isValid()) {
        result.error = QStringLiteral("cannot create a directory for raw records in %1")
                           .arg(QDir::tempPath());
        return result;
    }
    rawDir.setAutoRemove(false);
    result.rawDirectory = rawDir.path();

    LaunchSpec spec;
    spec.argv = options.command;
    spec.environment = effectiveEnvironment(options);
    QString audit = recorder;
    for (const QString &kv : spec.environment) {
        if (nameOf(kv) == QLatin1String("LD_AUDIT") && kv.size() > 9)
            audit += QLatin1Char(':') + kv.mid(9);
    }
    removeVariable(spec.environment, QStringLiteral("LD_AUDIT"));
    spec.environment << QStringLiteral("LD_AUDIT=") + audit;
    spec.runDirectory = rawDir.path();
    spec.socketName = QStringLiteral("@initscope-%1-%2")
                          .arg(::getpid())
                          .arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
    spec.environment << QStringLiteral(INITSCOPE_ENV_RUN_DIR "=") + rawDir.path()
                     << QStringLiteral(INITSCOPE_ENV_SOCKET "=") + spec.socketName;
    injectShims(shims, options.inject, rawDir.path(), &spec.environment);
    spec.workingDirectory = options.workingDirectory;
    if (options.timeoutSeconds)
        spec.timeoutMs = qint64(*options.timeoutSeconds * 1000.0);
    else if (options.fallbackTimeoutSeconds)
        spec.timeoutMs = qint64(*options.fallbackTimeoutSeconds * 1000.0);
    spec.forwardOutput = options.forwardOutput;
    spec.stopOnOutput = options.stopOnOutput;
    spec.outputCapBytes = options.outputCapBytes;
    spec.maxProcesses = options.maxProcesses;

    // The machine as the target is about to see it: PCI, kernel driver, device nodes, modules.
    Artifact machine;
    machine.kind = QStringLiteral("machine-facts");
    machine.path = QStringLiteral("/");
    machine.content = QJsonDocument(machineFactsToJson(readMachineFacts())).toJson(QJsonDocument::Compact);
    machine.size = machine.content.size();

    std::optional<Progress> progress;
    if (!m_progressTask.isEmpty() && Progress::enabled()) {
        progress.emplace(m_progressTask);
        spec.progress = [&progress](const LaunchProgress &p) {
            QString detail = p.processes < 0 ? QString()
                             : p.processes == 1 ? QStringLiteral("1 process, ")
                                                : QStringLiteral("%1 processes, ").arg(p.processes);
            detail += p.outputBytes < 10 * 1024         ? QStringLiteral("%1 bytes of output").arg(p.outputBytes)
                      : p.outputBytes < 10 * 1024 * 1024 ? QStringLiteral("%1 KiB of output").arg(p.outputBytes / 1024)
                                                         : QStringLiteral("%1 MiB of output").arg(p.outputBytes >> 20);
            progress->update(0, detail);
        };
    }
    rawWriteLoss().reset();
    Launcher launcher(spec);
    m_launcher.store(&launcher);
    if (m_cancel.load())
        launcher.requestCancel();
    result.launch = launcher.run();
    m_launcher.store(nullptr);
    progress.reset();

    if (!result.launch.started) {
        result.status = RecordResult::Status::StartFailed;
        result.error = result.launch.error;
        writer->abort();
        QDir(rawDir.path()).removeRecursively();
        result.rawDirectory.clear();
        return result;
    }

    if (result.launch.cancelled && !options.keepCancelledRun) {
        result.error = QStringLiteral("cancelled; nothing was saved");
        writer->abort();
        QDir(rawDir.path()).removeRecursively();
        result.rawDirectory.clear();
        return result;
    }

    Run run;
    run.name = options.runName.isEmpty() ? QFileInfo(options.command.first()).fileName()
                                         : options.runName;
    run.command = options.command;
    run.configJson = recordOptionsToJson(options);
    run.hostname = QSysInfo::machineHostName();
    run.recorderVersion = QStringLiteral(INITSCOPE_VERSION);
    // The launcher's own knowledge of the root's end; the records say it too, unless the raw
    // directory's disk was full by then.
    run.exitCode = result.launch.exitCode;
    run.exitSignal = result.launch.exitSignal;
    run.timedOut = result.launch.timedOut;
    run.cancelled = result.launch.cancelled;
    // The bundle's own facts are those of its first run; a run added later has its machine's
    // facts in its artifacts.
    if (!options.appendToOutput) {
        writer->setMetadata(QStringLiteral("created_by"), QStringLiteral("initscope " INITSCOPE_VERSION));
        writer->setMetadata(QStringLiteral("kernel"), QSysInfo::kernelVersion());
        writer->setMetadata(QStringLiteral("process_events"),
                            result.launch.processEventsAvailable ? QStringLiteral("available")
                                                                 : QStringLiteral("unavailable"));
    }
    IngestOptions ingestOptions;
    ingestOptions.redaction = options.redaction;
    for (const ShimSpec &shim : shims)
        ingestOptions.artifacts.append(fileArtifact(QStringLiteral("shim"), shim.path));
    ingestOptions.artifacts.append(machine);
    ingestOptions.artifacts.append(collectFiles(options.collect, options.workingDirectory));
    // A full disk under the raw directory: what is missing is said, in the bundle and to the user.
    if (const RawWriteLoss &loss = rawWriteLoss(); loss.lostRecords > 0) {
        result.rawLoss = QStringLiteral("the raw directory %1 could not take more records (%2): %3 records "
                                        "(%4 bytes) of output, exits and process events that came after are missing")
                             .arg(rawDir.path(), QString::fromLocal8Bit(strerror(loss.error)))
                             .arg(qint64(loss.lostRecords))
                             .arg(qint64(loss.lostBytes));
    } else if (struct statvfs fs {}; ::statvfs(QFile::encodeName(rawDir.path()).constData(), &fs) == 0
                                     && fs.f_bavail == 0) {
        result.rawLoss = QStringLiteral("the disk of the raw directory %1 was full when the run ended: records "
                                        "the target's processes wrote after it filled up are missing")
                             .arg(rawDir.path());
    }
    if (!result.rawLoss.isEmpty())
        ingestOptions.notes.append(result.rawLoss);
    if (result.launch.stoppedByRule)
        ingestOptions.notes.append(QStringLiteral("stopped by the run's stop rule: a line matched: %1").arg(result.launch.stopLine));
    // Ingest into writer and commit it; false with *why.
    auto save = [&](BundleWriter &into, bool appending, QString *why) {
        IngestOptions withProgress = ingestOptions;
        std::optional<Progress> saving;
        if (!m_progressTask.isEmpty() && Progress::enabled()) {
            saving.emplace(QStringLiteral("saving %1").arg(QFileInfo(result.bundlePath).fileName()), 0,
                           QStringLiteral("bytes"));
            withProgress.progress = [&saving](qint64 done, qint64 total) {
                saving->setTotal(total);
                saving->update(done, QStringLiteral("raw records into the bundle"));
            };
        }
        QString ingestError;
        result.stats = IngestStats();
        if (!ingestRunDirectory(rawDir.path(), run, into, withProgress, &result.stats, &ingestError)) {
            *why = ingestError;
            into.abort();
            return false;
        }
        // What was redacted, added to what earlier runs of the bundle had redacted.
        RedactionSummary redacted = result.stats.redaction;
        if (appending) {
            BundleError ignored;
            if (auto before = BundleReader::open(result.bundlePath, &ignored))
                redacted.merge(RedactionSummary::fromJson(
                    QJsonDocument::fromJson(before->metadata().value(QStringLiteral("redaction")).toUtf8()).object()));
        }
        into.setMetadata(QStringLiteral("redaction"),
                         QString::fromUtf8(QJsonDocument(redacted.toJson(options.redaction)).toJson(QJsonDocument::Compact)));
        BundleError commitError;
        if (!into.commit(&commitError)) {
            *why = commitError.message;
            return false;
        }
        return true;
    };
    QString why;
    if (!save(*writer, options.appendToOutput, &why)) {
        // The records are safe in the raw directory; the bundle's own folder may be what failed
        // (a full disk). Try once more beside the raw records, as a bundle of this run alone.
        result.saveError = why;
        result.requestedPath = result.bundlePath;
        // Inside the raw directory, which only the user can enter (0700): the recording may hold
        // what the user would not leave in a shared /tmp.
        const QString rescue = rawDir.path() + QLatin1Char('/') + QFileInfo(result.bundlePath).fileName();
        BundleError rescueError;
        auto second = BundleWriter::create(rescue, &rescueError);
        QString secondWhy;
        if (second) {
            second->setMetadata(QStringLiteral("created_by"), QStringLiteral("initscope " INITSCOPE_VERSION));
            second->setMetadata(QStringLiteral("kernel"), QSysInfo::kernelVersion());
            second->setMetadata(QStringLiteral("process_events"),
                                result.launch.processEventsAvailable ? QStringLiteral("available")
                                                                     : QStringLiteral("unavailable"));
        }
        if (!second || !save(*second, false, &secondWhy)) {
            result.error = why + QStringLiteral(" (raw records kept in %1)").arg(rawDir.path());
            return result;
        }
        result.bundlePath = rescue;
        // The raw records stay: they are what the bundle that failed would have held.
        result.status = RecordResult::Status::Saved;
        result.runId = result.stats.runId;
        return result;
    }
    result.status = RecordResult::Status::Saved;
    result.runId = result.stats.runId;
    if (!options.keepRawRecords) {
        QDir(rawDir.path()).removeRecursively();
        result.rawDirectory.clear();
    }
    return result;
}

void Recording::requestCancel()
{
    m_cancel.store(true);
    if (Launcher *l = m_launcher.load())
        l->requestCancel();
}

} // namespace initscope
