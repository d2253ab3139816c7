#include "ingest.h"
#include "ingestelf.h"

#include "bundle.h"
#include "elffacts.h"
#include "ingestcalls.h"
#include "launcher.h"
#include "libalternatives.h"
#include "rawformat.h"
#include "origin.h"
#include "untraced.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>
#include <memory>
#include <vector>

namespace initscope {

namespace {

// A memory-mapped raw file, walked record by record.
class RawFile
{
public:
    explicit RawFile(const QString &path) : m_file(path)
    {
        if (m_file.open(QIODevice::ReadOnly) && m_file.size() > 0)
            m_data = m_file.map(0, m_file.size());
        m_size = m_data ? size_t(m_file.size()) : 0;
    }
    bool isOpen() const { return m_file.isOpen(); }

    // The header is a copy: records follow each other at any byte offset (an output record is
    // as long as its text), so the mapped bytes are not aligned for a RawHeader.
    struct Header {
        RawHeader fields;
        const RawHeader *operator->() const { return &fields; }
        const RawHeader &operator*() const { return fields; }
    };
    struct Record {
        Header header;
        const uchar *payload;
        size_t payloadSize;
    };

    // Visits whole records; a short trailing record (cut by a crash) ends the walk.
    template<typename F> int forEach(F &&visit) const
    {
        size_t pos = 0;
        int skipped = 0;
        while (pos + sizeof(RawHeader) <= m_size) {
            RawHeader h;
            std::memcpy(&h, m_data + pos, sizeof h);
            if (h.size < sizeof h || pos + h.size > m_size) {
                ++skipped;
                break;
            }
            visit(Record{{h}, m_data + pos + sizeof h, h.size - sizeof h});
            pos += h.size;
        }
        return skipped;
    }

private:
    QFile m_file;
    uchar *m_data = nullptr;
    size_t m_size = 0;
};

template<typename T> bool readFixed(const RawFile::Record &r, T *out)
{
    if (r.payloadSize < sizeof(T))
        return false;
    std::memcpy(out, r.payload, sizeof(T));
    return true;
}

QStringList splitNul(const uchar *data, size_t len)
{
    QStringList list;
    size_t start = 0;
    for (size_t i = 0; i < len; ++i) {
        if (data[i] == '\0') {
            list << QString::fromLocal8Bit(reinterpret_cast<const char *>(data + start),
                                           qsizetype(i - start));
            start = i + 1;
        }
    }
    if (start < len)
        list << QString::fromLocal8Bit(reinterpret_cast<const char *>(data + start),
                                       qsizetype(len - start));
    return list;
}

QString localString(const uchar *data, size_t len)
{
    return QString::fromLocal8Bit(reinterpret_cast<const char *>(data), qsizetype(len));
}

QByteArray toJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// What one program image recorded about itself.
struct Image {
    qint64 pid = 0;
    qint64 ppid = 0;
    quint64 startTicks = 0;
    quint64 keyTs = 0;  // monotonic ts of RAW_PROC_START: the image key
    quint64 startTs = 0;
    QString exe;
    QStringList argv;
    QStringList env;
    QStringList keptEnv; // env as the bundle keeps it: secrets redacted
    bool recorded = true;
    std::optional<ExecFacts> untraced; // an exec the recorder did not enter, and what was seen of it
    std::vector<RawFile::Record> ownRecords;
    qint64 bundleId = -1;
    qint64 parentBundleId = -1;
    qint64 previousBundleId = -1;
    int execSeq = 0;
    EndReason endReason = EndReason::Unknown;
    std::optional<quint64> endTs;
    int exitCode = 0;
    int signal = 0;
    bool coreDumped = false;
};

struct ExitInfo {
    quint64 ts = 0;
    RawProcExit exit{};
};

struct ForkInfo {
    quint64 ts = 0;
    qint64 parent = 0;
    qint64 child = 0;
};

struct OutputRecord {
    quint64 ts;
    qint64 pid;
    quint64 imageKey;
    uint32_t stream;
    const uchar *data;
    size_t len;
};

// Groups la_objsearch candidates into requests and decides each request's outcome.
class SearchAssembler
{
public:
    // written: called with each search once it is in the bundle, and its row id.
    using Written = std::function<void(const LibSearch &, qint64)>;
    SearchAssembler(qint64 processId, quint64 t0, BundleWriter &writer, IngestStats &stats,
                    const QHash<quint64, QString> &cookies, Written written)
        : m_processId(processId), m_t0(t0), m_writer(writer), m_stats(stats), m_cookies(cookies),
          m_written(std::move(written))
    {
    }

    void candidate(const RawHeader &h, const RawLibSearch &s, QString name)
    {
        const qint64 tid = h.tid;
        if (s.origin & LA_SER_ORIG_FLAG || !m_open.count(tid)) {
            finish(tid);
            LibSearch &search = m_open[tid];
            search.processId = m_processId;
            search.tid = tid;
            search.tsNs = qint64(h.ts_ns - m_t0);
            search.name = name;
            search.requester = m_cookies.value(s.requester);
        }
        m_open[tid].steps.append(LibSearchStep{name, s.origin, s.exists});
    }

    // An object was mapped on this thread: if it is a candidate of the open request, that
    // request found it.
    void opened(qint64 tid, const QString &path)
    {
        m_loaded.insert(path);
        auto it = m_open.find(tid);
        if (it == m_open.end())
            return;
        for (const LibSearchStep &step : it->second.steps) {
            if (step.path == path) {
                it->second.outcome = SearchOutcome::Found;
                it->second.resultPath = path;
                finish(tid);
                return;
            }
        }
    }

    void finish(qint64 tid)
    {
        auto it = m_open.find(tid);
        if (it == m_open.end())
            return;
        LibSearch search = it->second;
        m_open.erase(it);
        if (search.outcome != SearchOutcome::Found) {
            search.outcome = SearchOutcome::NotFound;
            for (const LibSearchStep &step : search.steps) {
                if (step.exists == 1 && m_loaded.contains(step.path)) {
                    search.outcome = SearchOutcome::AlreadyLoaded;
                    search.resultPath = step.path;
                }
            }
        }
        const qint64 id = m_writer.addLibSearch(search);
        ++m_stats.librarySearches;
        ++m_stats.events;
        if (m_written)
            m_written(search, id);
    }

    void finishAll()
    {
        while (!m_open.empty())
            finish(m_open.begin()->first);
    }

    static constexpr unsigned LA_SER_ORIG_FLAG = 0x01;

private:
    qint64 m_processId;
    quint64 m_t0;
    BundleWriter &m_writer;
    IngestStats &m_stats;
    const QHash<quint64, QString> &m_cookies;
    Written m_written;
    std::map<qint64, LibSearch> m_open;
    QSet<QString> m_loaded;
};

} // namespace

bool isSecretVariable(const QString &name)
{
    return RedactionPolicy().isSecretName(name);
}

QString redactedValue(const QString &name, const QString &value)
{
    return RedactionPolicy().redactValue(name, value);
}

bool ingestRunDirectory(const QString &runDirectory, Run run, BundleWriter &writer,
                        const IngestOptions &options, IngestStats *statsOut, QString *error)
{
    IngestStats stats;
    const QDir dir(runDirectory);
    // Progress in bytes of the record files: each part counts when it has gone into the bundle.
    qint64 progressTotal = 0, progressDone = 0;
    if (options.progress) {
        for (const QFileInfo &f : dir.entryInfoList({QStringLiteral("*.rec"), QStringLiteral("*.ring"),
                                                     QStringLiteral("*.calls"), QStringLiteral("*.inflight")},
                                                    QDir::Files))
            progressTotal += f.size();
    }
    auto advance = [&](qint64 bytes) {
        if (!options.progress)
            return;
        progressDone = std::min(progressTotal, progressDone + bytes);
        options.progress(progressDone, progressTotal);
    };
    RawFile launcherFile(dir.filePath(QLatin1String(kLauncherRecordFile)));
    if (!launcherFile.isOpen()) {
        if (error)
            *error = QStringLiteral("%1 holds no launcher records").arg(runDirectory);
        return false;
    }

    // 1. What the launcher saw: run start/end, output, exits, forks.
    quint64 t0 = 0, tEnd = 0;
    qint64 rootPid = 0;
    std::vector<OutputRecord> outputs;
    std::map<qint64, ExitInfo> exits;
    std::vector<ForkInfo> forks;
    std::vector<std::pair<quint64, QString>> runNotes;
    std::vector<std::pair<quint64, quint64>> clockReadings; // (call clock ticks, monotonic ns)
    struct CappedOutput {
        quint64 ts;
        qint64 pid;
        RawOutputCapped facts;
    };
    std::vector<CappedOutput> capped;
    struct SeenExec {
        quint64 ts;
        qint64 pid;
        const uchar *payload;
        size_t size;
    };
    std::vector<SeenExec> execsSeen;
    std::optional<RawProcessLimit> processLimit;
    quint64 processLimitTs = 0;
    stats.unreadableRecords += launcherFile.forEach([&](const RawFile::Record &r) {
        switch (r.header->type) {
        case RAW_CLOCK: {
            RawClock c;
            if (readFixed(r, &c))
                clockReadings.emplace_back(c.ticks, r.header->ts_ns);
            break;
        }
        case RAW_RUN_INFO: {
            RawRunInfo info;
            if (!readFixed(r, &info))
                break;
            if (info.event == 1) {
                t0 = r.header->ts_ns;
                run.startRealtimeNs = info.realtime_ns;
                rootPid = info.root_pid;
            } else if (info.event == 2) {
                tEnd = r.header->ts_ns;
            } else if (info.event == 3) {
                run.timedOut = true;
            } else if (info.event == 4) {
                run.cancelled = true;
            }
            break;
        }
        case RAW_OUTPUT: {
            RawOutput o;
            if (!readFixed(r, &o) || r.payloadSize < sizeof o + o.data_len)
                break;
            outputs.push_back({r.header->ts_ns, qint64(r.header->pid), o.image_key, o.stream,
                               r.payload + sizeof o, o.data_len});
            break;
        }
        case RAW_PROC_EXIT: {
            RawProcExit e;
            if (!readFixed(r, &e))
                break;
            auto &slot = exits[r.header->pid];
            // The launcher's own waitpid is authoritative; the connector comes next.
            if (slot.ts == 0 || e.source < slot.exit.source)
                slot = ExitInfo{r.header->ts_ns, e};
            break;
        }
        case RAW_PROC_FORK: {
            RawProcFork f;
            if (readFixed(r, &f))
                forks.push_back({r.header->ts_ns, f.parent_pid, f.child_pid});
            break;
        }
        case RAW_NOTE:
            runNotes.emplace_back(r.header->ts_ns, localString(r.payload, r.payloadSize));
            break;
        case RAW_PROC_EXEC:
            execsSeen.push_back({r.header->ts_ns, qint64(r.header->pid), r.payload, r.payloadSize});
            break;
        case RAW_PROCESS_LIMIT: {
            RawProcessLimit l;
            if (readFixed(r, &l)) {
                processLimit = l;
                processLimitTs = r.header->ts_ns;
            }
            break;
        }
        case RAW_OUTPUT_CAPPED: {
            RawOutputCapped c;
            if (readFixed(r, &c))
                capped.push_back({r.header->ts_ns, qint64(r.header->pid), c});
            break;
        }
        default:
            break;
        }
    });
    if (t0 == 0) {
        if (error)
            *error = QStringLiteral("%1: the run never started").arg(runDirectory);
        return false;
    }
    if (tEnd == 0)
        tEnd = t0;

    // 2. What each process image recorded about itself.
    std::vector<std::unique_ptr<RawFile>> files;
    std::vector<std::unique_ptr<Image>> images;
    const QStringList recFiles = dir.entryList({QStringLiteral("*.rec")}, QDir::Files, QDir::Name);
    for (const QString &name : recFiles) {
        if (name == QLatin1String(kLauncherRecordFile))
            continue;
        files.push_back(std::make_unique<RawFile>(dir.filePath(name)));
        Image *current = nullptr;
        stats.unreadableRecords += files.back()->forEach([&](const RawFile::Record &r) {
            if (r.header->type == RAW_PROC_START) {
                RawProcStart s;
                if (!readFixed(r, &s) ||
                    r.payloadSize < sizeof s + s.exe_len + s.cmdline_len + s.environ_len) {
                    current = nullptr;
                    return;
                }
                auto image = std::make_unique<Image>();
                image->pid = r.header->pid;
                image->ppid = s.ppid;
                image->startTicks = s.proc_start_ticks;
                image->keyTs = image->startTs = r.header->ts_ns;
                const uchar *p = r.payload + sizeof s;
                image->exe = localString(p, s.exe_len);
                image->argv = splitNul(p + s.exe_len, s.cmdline_len);
                image->env = splitNul(p + s.exe_len + s.cmdline_len, s.environ_len);
                current = image.get();
                images.push_back(std::move(image));
                return;
            }
            if (current)
                current->ownRecords.push_back(r);
        });
    }

    // Execs the kernel reported that no recorder image answers (none of the pid started after
    // that exec and before the next one): programs the recorder could not enter. Each is an
    // image of its own, with what the launcher read of it (core/untraced.h).
    {
        std::map<qint64, std::vector<quint64>> execTimes;
        for (const SeenExec &e : execsSeen)
            execTimes[e.pid].push_back(e.ts);
        for (auto &[pid, times] : execTimes)
            std::sort(times.begin(), times.end());
        std::map<qint64, std::vector<const Image *>> recorderImages;
        for (const auto &img : images)
            recorderImages[img->pid].push_back(img.get());
        std::vector<std::unique_ptr<Image>> untracedImages;
        for (const SeenExec &e : execsSeen) {
            const std::vector<quint64> &times = execTimes[e.pid];
            const auto next = std::upper_bound(times.begin(), times.end(), e.ts);
            const quint64 until = next == times.end() ? std::numeric_limits<quint64>::max() : *next;
            const std::vector<const Image *> &ofPid = recorderImages[e.pid];
            const bool answered = std::any_of(ofPid.begin(), ofPid.end(), [&](const Image *img) {
                return img->startTs > e.ts && img->startTs < until;
            });
            ExecFacts facts;
            if (answered || !parseExecFacts(e.payload, e.size, &facts))
                continue;
            auto image = std::make_unique<Image>();
            image->pid = e.pid;
            image->ppid = facts.ppid;
            image->startTs = e.ts;
            image->exe = facts.exe; // empty when it was gone before it could be read
            image->argv = facts.argv;
            image->env = facts.env;
            image->recorded = false;
            image->untraced = facts;
            untracedImages.push_back(std::move(image));
        }
        for (auto &image : untracedImages) {
            if (image->ppid == 0) {
                for (const ForkInfo &f : forks)
                    if (f.child == image->pid)
                        image->ppid = f.parent;
            }
            images.push_back(std::move(image));
        }
    }

    // Processes the kernel saw fork but that never ran the recorder (no exec): copies of
    // their parent.
    std::map<qint64, quint64> forkTs;
    for (const ForkInfo &f : forks)
        forkTs.emplace(f.child, f.ts);
    auto imageOf = [&](qint64 pid, quint64 ts) -> Image * {
        Image *best = nullptr;
        for (auto &img : images) {
            if (img->pid == pid && img->startTs <= ts && (!best || img->startTs > best->startTs))
                best = img.get();
        }
        if (!best) {
            for (auto &img : images) {
                if (img->pid == pid && (!best || img->startTs < best->startTs))
                    best = img.get();
            }
        }
        return best;
    };
    for (const ForkInfo &f : forks) {
        bool hasImage = std::any_of(images.begin(), images.end(),
                                    [&](const auto &img) { return img->pid == f.child; });
        if (hasImage)
            continue;
        auto image = std::make_unique<Image>();
        image->pid = f.child;
        image->ppid = f.parent;
        image->startTs = f.ts;
        image->recorded = false;
        if (Image *parent = imageOf(f.parent, f.ts)) {
            image->exe = parent->exe;
            image->argv = parent->argv;
            image->env = parent->env;
            // fork() copies the whole address space, the recorder with it: a child of a
            // recorded image is recorded too (its calls go to a ring of its own).
            image->recorded = parent->recorded;
        }
        images.push_back(std::move(image));
    }
    if (!std::any_of(images.begin(), images.end(),
                     [&](const auto &img) { return img->pid == rootPid; })) {
        // The root never loaded the recorder (a static program, or exec failed).
        auto image = std::make_unique<Image>();
        image->pid = rootPid;
        image->startTs = t0;
        image->argv = run.command;
        image->exe = run.command.value(0);
        image->recorded = false;
        images.push_back(std::move(image));
    }
    std::stable_sort(images.begin(), images.end(),
                     [](const auto &a, const auto &b) { return a->startTs < b->startTs; });

    // Exec chains, ends and exits.
    std::map<qint64, std::vector<Image *>> byPid;
    for (auto &img : images)
        byPid[img->pid].push_back(img.get());
    for (auto &[pid, list] : byPid) {
        for (size_t i = 0; i < list.size(); ++i) {
            Image *img = list[i];
            Image *next = i + 1 < list.size() ? list[i + 1] : nullptr;
            const bool sameProcess = next && (next->startTicks == img->startTicks ||
                                              img->startTicks == 0 || next->startTicks == 0);
            if (next && sameProcess) {
                img->endReason = EndReason::Exec;
                img->endTs = next->startTs;
                next->execSeq = img->execSeq + 1;
                continue;
            }
            auto e = exits.find(pid);
            if (e != exits.end() && e->second.ts >= img->startTs &&
                (!next || e->second.ts < next->startTs)) {
                img->endTs = e->second.ts;
                if (e->second.exit.kind == RAW_EXIT_CODE) {
                    img->endReason = EndReason::Exited;
                    img->exitCode = e->second.exit.value;
                } else if (e->second.exit.kind == RAW_EXIT_SIGNAL) {
                    img->endReason = EndReason::Signaled;
                    img->signal = e->second.exit.value;
                    img->coreDumped = e->second.exit.core_dumped != 0;
                }
            }
        }
    }

    // Secrets: the values of secret-looking variables are redacted in every environment, and
    // searched for, with URL passwords, in everything else the run keeps (docs/reliability.md).
    RedactionSummary &redacted = stats.redaction;
    SecretScrubber scrubber(options.redaction);
    for (auto &img : images) {
        img->keptEnv.reserve(img->env.size());
        for (const QString &kv : img->env)
            img->keptEnv << scrubber.redactEnvEntry(kv, &redacted);
    }
    {
        QJsonObject config = QJsonDocument::fromJson(run.configJson).object();
        const QJsonObject set = config.value(QStringLiteral("environment")).toObject().value(QStringLiteral("set")).toObject();
        for (auto it = set.begin(); it != set.end(); ++it)
            (void)scrubber.redactEnvEntry(it.key() + QLatin1Char('=') + it->toString(), &redacted);
    }
    auto scrubList = [&](QStringList &list) {
        for (QString &s : list)
            s = scrubber.scrub(s, &redacted);
    };
    for (auto &img : images) {
        scrubList(img->argv);
        for (QString &kv : img->keptEnv)
            kv = scrubber.scrub(kv, &redacted);
    }
    scrubList(run.command);
    run.name = scrubber.scrub(run.name, &redacted);
    run.configJson = scrubber.scrub(run.configJson, &redacted);
    QList<Artifact> artifacts = options.artifacts;
    for (Artifact &artifact : artifacts)
        artifact.content = scrubber.scrub(artifact.content, &redacted);
    // Output: chunk by chunk, and across the chunks of one stream; changed chunks are copies.
    std::unordered_map<size_t, QByteArray> scrubbedOutput;
    if (options.redaction.enabled) {
        std::map<std::tuple<qint64, quint64, unsigned>, size_t> lastOfStream;
        for (size_t i = 0; i < outputs.size(); ++i) {
            const OutputRecord &o = outputs[i];
            const QByteArray raw = QByteArray::fromRawData(reinterpret_cast<const char *>(o.data), qsizetype(o.len));
            QByteArray data = scrubber.scrub(raw, &redacted);
            const auto key = std::make_tuple(o.pid, o.imageKey, unsigned(o.stream));
            if (auto last = lastOfStream.find(key); last != lastOfStream.end() && scrubber.hasValues()) {
                auto prev = scrubbedOutput.find(last->second);
                QByteArray previous = prev != scrubbedOutput.end()
                                          ? prev->second
                                          : QByteArray(reinterpret_cast<const char *>(outputs[last->second].data),
                                                       qsizetype(outputs[last->second].len));
                const QByteArray before = previous;
                scrubber.scrubAcross(previous, data, &redacted);
                if (previous != before)
                    scrubbedOutput[last->second] = previous;
            }
            if (data.constData() != raw.constData())
                scrubbedOutput[i] = data;
            lastOfStream[key] = i;
        }
    }

    // 3. Into the bundle.
    run.durationNs = qint64(tEnd - t0);
    if (const auto rootExit = exits.find(rootPid); rootExit != exits.end()) {
        if (rootExit->second.exit.kind == RAW_EXIT_CODE)
            run.exitCode = rootExit->second.exit.value;
        else if (rootExit->second.exit.kind == RAW_EXIT_SIGNAL)
            run.exitSignal = rootExit->second.exit.value;
    }
    const qint64 runId = writer.addRun(run);
    stats.runId = runId;
    // This user's mark that the run was recorded here (core/origin.h): a retry of it runs
    // without asking; a bundle from anyone else cannot carry it.
    if (const QString mark = originMark(run); !mark.isEmpty())
        writer.setMetadata(originMetadataKey(runId), mark);
    for (Artifact artifact : artifacts) {
        artifact.runId = runId;
        writer.addArtifact(artifact);
    }
    // Nanoseconds since the run's start, negative before it. Subtracted unsigned: a damaged
    // timestamp far from t0 wraps instead of overflowing.
    auto rel = [t0](quint64 ts) { return qint64(ts - t0); };
    auto addEvent = [&](qint64 processId, qint64 tid, quint64 ts, const char *kind,
                        const QString &name, const QJsonObject &payload) {
        Event e;
        e.processId = processId;
        e.tid = tid;
        e.tsNs = rel(ts);
        e.kind = QString::fromLatin1(kind);
        e.name = name;
        e.payload = toJson(payload);
        e.runId = runId;
        writer.addEvent(e);
        ++stats.events;
    };
    for (const auto &[ts, text] : runNotes)
        addEvent(-1, 0, ts, "recorder.note", text, QJsonObject{{QStringLiteral("text"), text}});
    if (processLimit) {
        // A fork storm: how the run ended, said on the run (docs/recording.md, "Fork storms").
        const QString text = QStringLiteral("stopped: the target started more than %1 processes (fork storm?); "
                                            "InitScope killed the tree when it had %2")
                                 .arg(processLimit->limit)
                                 .arg(processLimit->count);
        addEvent(-1, 0, processLimitTs, "recorder.note", text,
                 QJsonObject{{QStringLiteral("text"), text},
                             {QStringLiteral("stopped"), QStringLiteral("process-limit")},
                             {QStringLiteral("processLimit"), qint64(processLimit->limit)},
                             {QStringLiteral("processes"), qint64(processLimit->count)}});
    }
    for (const QString &text : options.notes)
        addEvent(-1, 0, tEnd, "recorder.note", text, QJsonObject{{QStringLiteral("text"), text}});

    QHash<QString, QString> sonames;
    QSet<QString> hashedLibraries;
    // Other files each GPU library search could have reached, looked up now: the file system is
    // still the one the run saw.
    LibraryAlternatives alternatives(options.artifacts);
    QStringList loadedPaths; // executables and mapped objects, for their ELF facts
    QSet<QString> executables;
    for (auto &img : images) {
        if (!img->exe.isEmpty() && !loadedPaths.contains(img->exe))
            loadedPaths.append(img->exe);
        if (!img->exe.isEmpty())
            executables.insert(img->exe);
        for (auto &other : images) {
            if (other.get() == img.get())
                break;
            if (other->pid == img->pid && other->endReason == EndReason::Exec &&
                other->endTs == img->startTs)
                img->previousBundleId = other->bundleId;
        }
        const quint64 birth = forkTs.count(img->pid) ? forkTs[img->pid] : img->startTs;
        if (img->pid != rootPid || img->execSeq > 0) {
            Image *parent = img->previousBundleId >= 0 ? nullptr : imageOf(img->ppid, birth);
            if (img->previousBundleId >= 0) {
                for (auto &other : images) {
                    if (other->bundleId == img->previousBundleId)
                        img->parentBundleId = other->parentBundleId;
                }
            } else if (parent && parent != img.get() && parent->bundleId >= 0) {
                img->parentBundleId = parent->bundleId;
            }
        }
        Process p;
        p.runId = runId;
        p.pid = img->pid;
        p.ppid = img->ppid;
        p.parentId = img->parentBundleId;
        p.previousImageId = img->previousBundleId;
        p.execSeq = img->execSeq;
        p.exe = img->exe;
        p.argv = img->argv;
        p.env = img->keptEnv;
        p.startNs = rel(img->startTs);
        if (img->endTs)
            p.endNs = rel(*img->endTs);
        p.endReason = img->endReason;
        p.exitCode = img->exitCode;
        p.signal = img->signal;
        p.coreDumped = img->coreDumped;
        p.recorded = img->recorded;
        img->bundleId = writer.addProcess(p);
        ++stats.processes;

        addEvent(img->bundleId, img->pid, img->startTs, "process.start",
                 img->exe.isEmpty() ? img->argv.value(0) : img->exe,
                 QJsonObject{{QStringLiteral("pid"), img->pid},
                             {QStringLiteral("ppid"), img->ppid},
                             {QStringLiteral("execSeq"), img->execSeq},
                             {QStringLiteral("recorded"), img->recorded},
                             {QStringLiteral("argv"), QJsonArray::fromStringList(img->argv)}});
        if (img->untraced) {
            // Never silently missing: why this image has no library loads or calls of its own.
            const UntracedReason reason = untracedReason(*img->untraced);
            addEvent(img->bundleId, img->pid, img->startTs, "process.untraced", reason.text,
                     untracedPayload(*img->untraced, reason));
        }

        // Loader activity, in the order the recorder wrote it.
        QHash<quint64, QString> cookies;
        std::map<quint64, qint64> loadIds;
        std::map<quint64, LibLoad> loads;
        LibraryAlternatives::ProcessView view{img->env, img->exe, {}};
        for (const RawFile::Record &r : img->ownRecords) {
            RawLibSearch s;
            if (r.header->type != RAW_LIB_SEARCH || !readFixed(r, &s) ||
                !(s.origin & quint32(SearchOrigin::Default)) || r.payloadSize < sizeof s + s.name_len)
                continue;
            const QString dir = QDir::cleanPath(QFileInfo(localString(r.payload + sizeof s, s.name_len)).path());
            if (!view.defaultDirs.contains(dir) && QFileInfo(dir).isDir())
                view.defaultDirs << dir;
        }
        const qint64 processId = img->bundleId;
        SearchAssembler searches(img->bundleId, t0, writer, stats, cookies,
                                 [&, processId](const LibSearch &search, qint64 searchId) {
                                     if (!alternatives.covers(search.name))
                                         return;
                                     Event e;
                                     e.processId = processId;
                                     e.tid = search.tid;
                                     e.tsNs = search.tsNs;
                                     e.kind = QString::fromLatin1(kLibAlternativesEventKind);
                                     e.name = search.name;
                                     e.payload = toJson(alternatives.describe(search, searchId, view));
                                     e.runId = runId;
                                     writer.addEvent(e);
                                     ++stats.events;
                                 });
        for (const RawFile::Record &r : img->ownRecords) {
            switch (r.header->type) {
            case RAW_LIB_SEARCH: {
                RawLibSearch s;
                if (readFixed(r, &s) && r.payloadSize >= sizeof s + s.name_len + s.redirected_len) {
                    searches.candidate(*r.header, s, localString(r.payload + sizeof s, s.name_len));
                    // A shim redirection shows in the trail as the path the loader was sent to.
                    if (s.redirected_len > 0) {
                        RawLibSearch redirect = s;
                        redirect.origin = quint32(SearchOrigin::ShimRedirect);
                        const QString target =
                            localString(r.payload + sizeof s + s.name_len, s.redirected_len);
                        redirect.exists = QFileInfo::exists(target) ? 1 : 0;
                        searches.candidate(*r.header, redirect, target);
                    }
                }
                break;
            }
            case RAW_LIB_OPEN: {
                RawLibOpen o;
                if (!readFixed(r, &o) || r.payloadSize < sizeof o + o.name_len)
                    break;
                QString path = localString(r.payload + sizeof o, o.name_len);
                const bool mainProgram = path.isEmpty() && cookies.isEmpty();
                if (mainProgram)
                    path = img->exe;
                cookies.insert(o.cookie, path);
                searches.opened(r.header->tid, path);
                LibLoad load;
                load.processId = img->bundleId;
                load.tid = r.header->tid;
                load.tsNs = rel(r.header->ts_ns);
                load.path = path;
                if (!sonames.contains(path))
                    sonames.insert(path, path.startsWith(QLatin1Char('/')) ? readSoname(path) : QString());
                load.soname = sonames.value(path);
                load.lmid = o.lmid;
                load.base = o.base;
                loads[o.cookie] = load;
                break;
            }
            case RAW_LIB_CLOSE: {
                RawLibClose c;
                if (readFixed(r, &c) && loads.count(c.cookie))
                    loads[c.cookie].unloadNs = rel(r.header->ts_ns);
                break;
            }
            case RAW_ACTIVITY: {
                RawActivity a;
                if (readFixed(r, &a) && a.flag == 0 /* LA_ACT_CONSISTENT */)
                    searches.finish(r.header->tid);
                break;
            }
            case RAW_PREINIT:
                addEvent(img->bundleId, r.header->tid, r.header->ts_ns, "loader.preinit",
                         QStringLiteral("main() about to run"), {});
                break;
            case RAW_CAPTURE: {
                RawCapture c;
                // Only a failure to capture is worth an event; success is the normal case.
                if (!readFixed(r, &c) || c.status == 0)
                    break;
                const QString stream = c.stream == RAW_STREAM_STDOUT ? QStringLiteral("stdout")
                                                                     : QStringLiteral("stderr");
                addEvent(img->bundleId, r.header->tid, r.header->ts_ns, "recorder.capture", stream,
                         QJsonObject{{QStringLiteral("stream"), stream},
                                     {QStringLiteral("captured"), c.status == 0},
                                     {QStringLiteral("error"),
                                      c.status ? QString::fromLocal8Bit(strerror(c.status))
                                               : QString()}});
                break;
            }
            case RAW_NOTE: {
                const QString text = localString(r.payload, r.payloadSize);
                addEvent(img->bundleId, r.header->tid, r.header->ts_ns, "recorder.note", text,
                         QJsonObject{{QStringLiteral("text"), text}});
                break;
            }
            default:
                break;
            }
        }
        searches.finishAll();
        if (options.progress) {
            qint64 bytes = 0;
            for (const RawFile::Record &r : img->ownRecords)
                bytes += r.header->size;
            advance(bytes);
        }
        for (auto &[cookie, load] : loads) {
            // Which file answered as a GPU library: keep its size and hash with the run.
            const QString base = load.path.section(QLatin1Char('/'), -1);
            if (load.path.startsWith(QLatin1Char('/')) && !hashedLibraries.contains(load.path) &&
                (base.startsWith(QLatin1String("libcuda.so")) ||
                 base.startsWith(QLatin1String("libcudart.so")) ||
                 base.startsWith(QLatin1String("libnvidia-ml.so")) ||
                 load.soname.startsWith(QLatin1String("libcuda.so")) ||
                 load.soname.startsWith(QLatin1String("libnvidia-ml.so")) ||
                 load.soname.startsWith(QLatin1String("libcudart.so")))) {
                hashedLibraries.insert(load.path);
                const QString kind = QStringLiteral("gpu-library");
                Artifact artifact = alternatives.hashedArtifact(kind, load.path).value_or(Artifact());
                if (artifact.sha256.isEmpty())
                    artifact = fileArtifact(kind, load.path);
                artifact.runId = runId;
                writer.addArtifact(artifact);
            }
            writer.addLibLoad(load);
            if (!loadedPaths.contains(load.path))
                loadedPaths.append(load.path);
            ++stats.libraryLoads;
            ++stats.events;
        }
        if (img->endReason == EndReason::Exited || img->endReason == EndReason::Signaled) {
            QJsonObject payload{{QStringLiteral("pid"), img->pid}};
            if (img->endReason == EndReason::Exited)
                payload.insert(QStringLiteral("exitCode"), img->exitCode);
            else {
                payload.insert(QStringLiteral("signal"), img->signal);
                payload.insert(QStringLiteral("coreDumped"), img->coreDumped);
            }
            addEvent(img->bundleId, img->pid, *img->endTs, "process.exit",
                     img->endReason == EndReason::Exited
                         ? QStringLiteral("exit %1").arg(img->exitCode)
                         : QStringLiteral("signal %1").arg(img->signal),
                     payload);
        } else if (img->endReason == EndReason::Exec) {
            addEvent(img->bundleId, img->pid, *img->endTs, "process.exec",
                     QStringLiteral("replaced by exec"), QJsonObject{{QStringLiteral("pid"), img->pid}});
        }
    }

    // The ELF facts of the shims and of what used GPU libraries, while the files are here.
    addElfFacts(writer, runId, options.artifacts, loadedPaths, executables);

    // Calls at the GPU boundary, from each process image's ring and call file.
    const CallClock clock = readCallClock(runDirectory, clockReadings);
    const auto processFor = [&](qint64 pid, quint64 ts) {
        Image *img = imageOf(pid, ts);
        return img ? img->bundleId : qint64(-1);
    };
    for (const QString &name : dir.entryList({QStringLiteral("*.ring")}, QDir::Files, QDir::Name)) {
        if (QFileInfo(dir.filePath(name)).size() == 0) {
            // The recorder made the file but could not reserve its blocks (calllog.cpp).
            const qint64 pid = name.section(QLatin1Char('.'), 0, 0).toLongLong();
            const QString text = QStringLiteral("the GPU calls of pid %1 were not recorded: the recorder could not "
                                                "reserve its call ring %2 (the run directory's disk was full)")
                                     .arg(pid)
                                     .arg(name);
            addEvent(-1, pid, tEnd, "recorder.note", text, QJsonObject{{QStringLiteral("text"), text}});
            continue;
        }
        const CallLogStats calls =
            ingestCallRing(dir.filePath(name), clock, t0, processFor, runId, writer);
        if (options.progress) {
            const QString calls = dir.filePath(QString(name).replace(QLatin1String(".ring"), QLatin1String(".calls")));
            advance(QFileInfo(dir.filePath(name)).size() + QFileInfo(calls).size());
        }
        stats.events += calls.calls;
        stats.calls += calls.calls;
        stats.unreadableRecords += calls.unreadable;
        if (calls.droppedBytes > 0) {
            const QString text = QStringLiteral("%1 bytes of call records of %2 could not be kept "
                                                "(the run directory's disk was full or unwritable)")
                                     .arg(calls.droppedBytes)
                                     .arg(name);
            addEvent(-1, 0, tEnd, "recorder.note", text, QJsonObject{{QStringLiteral("text"), text}});
        }
    }

    // Calls that never returned: where a crashed, killed or hung process was.
    // Each image has its own file (<pid>.inflight, <pid>.N.inflight after an exec) and its
    // open calls last until that image ended.
    const auto endOf = [&](qint64 pid, quint64 ts) -> quint64 {
        if (Image *img = imageOf(pid, ts); img && img->endTs)
            return *img->endTs;
        if (const auto e = exits.find(pid); e != exits.end())
            return e->second.ts;
        return tEnd;
    };
    for (const QString &name : dir.entryList({QStringLiteral("*.inflight")}, QDir::Files, QDir::Name)) {
        const int unfinished = ingestInflight(dir.filePath(name), clock, t0, endOf, processFor, runId, writer);
        advance(QFileInfo(dir.filePath(name)).size());
        stats.events += unfinished;
        stats.calls += unfinished;
    }

    // Output: each chunk belongs to the image that wrote it.
    QHash<QPair<qint64, quint64>, qint64> byKey;
    for (auto &img : images) {
        if (img->keyTs)
            byKey.insert({img->pid, img->keyTs}, img->bundleId);
    }
    for (const OutputRecord &o : outputs) {
        qint64 processId = byKey.value({o.pid, o.imageKey}, -1);
        if (processId < 0) {
            if (Image *img = imageOf(o.pid, o.ts))
                processId = img->bundleId;
        }
        OutputChunk chunk;
        chunk.processId = processId;
        chunk.stream = o.stream == RAW_STREAM_STDERR ? Stream::Stderr : Stream::Stdout;
        chunk.tsNs = rel(o.ts);
        if (auto scrubbed = scrubbedOutput.find(size_t(&o - outputs.data())); scrubbed != scrubbedOutput.end())
            chunk.data = scrubbed->second;
        else
            chunk.data = QByteArray::fromRawData(reinterpret_cast<const char *>(o.data), qsizetype(o.len));
        writer.addOutput(chunk);
        stats.outputBytes += qint64(o.len);
        advance(qint64(sizeof(RawHeader) + sizeof(RawOutput) + o.len));
    }
    // Output beyond the cap: passed on, not kept, and said so on the process that wrote it.
    for (const CappedOutput &c : capped) {
        qint64 processId = byKey.value({c.pid, c.facts.image_key}, -1);
        if (processId < 0) {
            if (Image *img = imageOf(c.pid, c.ts))
                processId = img->bundleId;
        }
        const QString text = QStringLiteral("output truncated: pid %1 wrote more than the output cap of %2 bytes; "
                                            "%3 more bytes were passed on but not kept")
                                 .arg(c.pid)
                                 .arg(c.facts.cap)
                                 .arg(c.facts.dropped);
        ++stats.outputCapped;
        stats.outputDropped += qint64(c.facts.dropped);
        addEvent(processId, c.pid, c.ts, "recorder.note", text,
                 QJsonObject{{QStringLiteral("text"), text},
                             {QStringLiteral("outputCapped"), true},
                             {QStringLiteral("capBytes"), qint64(c.facts.cap)},
                             {QStringLiteral("droppedBytes"), qint64(c.facts.dropped)}});
    }
    advance(progressTotal); // what is left: the launcher's other records, process starts
    if (statsOut)
        *statsOut = stats;
    return true;
}

} // namespace initscope
