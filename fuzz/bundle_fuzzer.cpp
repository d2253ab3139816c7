// The bundle reader (docs/bundle-format.md) over untrusted files: a bundle is opened with
// BundleReader and every table is read through its public API and through EventScanner, call
// payloads decoded as every reader decodes them. An input that is not an SQLite file is also
// read as one stored call payload, "function\npayload bytes", so that the compact payload
// decoder (callpayload.h) and the byte-level JSON readers of eventscan.h get inputs of their
// own instead of only what survives SQLite's checks.
#include "fuzzsupport.h"

#include "bundle.h"
#include "callpayload.h"
#include "eventscan.h"
#include "ingestelf.h"

#include <QFile>

#include <algorithm>

using namespace initscope;

namespace
{

// Bounds on what one input may make us read, so that an input stays fast.
constexpr int kMaxRuns = 4;
constexpr int kMaxProcesses = 16;
constexpr qsizetype kMaxEvents = 2048;
constexpr qsizetype kMaxFunctionName = 64;

const QString kCallKinds[] = {QStringLiteral("cuda.call"), QStringLiteral("cudart.call"),
                              QStringLiteral("nvml.call")};

// A top-level value as the readers use it: its bytes are read, and they lie inside the JSON.
void readTopLevelValue(QByteArrayView json, const char *key)
{
    const QByteArrayView value = topLevelJsonValue(json, key);
    if (value.isEmpty())
        return;
    if (value.data() < json.data() || value.data() + value.size() > json.data() + json.size())
        fuzz::invariantBroken(
            "topLevelJsonValue() answers with bytes outside the JSON it was given",
            json.toByteArray().toHex(),
            QByteArray::number(value.data() - json.data()) + " +" +
                QByteArray::number(value.size()));
    (void)qHash(value);
}

// What a reader does with a stored payload: its status from the bytes, then the JSON.
void readStoredPayload(QStringView function, const QByteArray &stored)
{
    (void)callStatusOfPayload(stored);
    (void)compactCallOk(stored);
    CompactCall call;
    if (decodeCompactCall(stored, &call)) {
        // The stored form must give back what it was made from.
        const QByteArray again = encodeCompactCall(call);
        CompactCall back;
        if (!decodeCompactCall(again, &back) || encodeCompactCall(back) != again)
            fuzz::invariantBroken("a decoded compact call does not encode and decode to itself",
                                  again.toHex(), encodeCompactCall(back).toHex());
        (void)callResultOk(function, call.api, call.ret);
        // What expandCallPayload() does, without its cache of recent payloads (whose hits
        // would make the coverage of an input depend on the inputs before it).
        (void)decodeCall(function, ApiFamily(call.api), call.args, call.ret, call.outputs);
    }
    const QByteArray json = expandCallPayload(function, stored);
    (void)callStatusOfPayload(json);
    for (const char *key : {"ok", "unfinished", "result", "summary"})
        readTopLevelValue(json, key);
}

void readPayloadInput(QByteArrayView input)
{
    QByteArrayView function;
    QByteArrayView payload = input;
    if (const qsizetype nl = input.indexOf('\n'); nl >= 0 && nl <= kMaxFunctionName) {
        function = input.first(nl);
        payload = input.sliced(nl + 1);
    }
    // The byte readers see the bytes exactly as given (no terminating NUL to lean on).
    for (const char *key : {"ok", "unfinished", "result"})
        readTopLevelValue(payload, key);
    (void)callStatusOfPayload(payload);
    (void)isCallKind(QString::fromLatin1(function));
    readStoredPayload(QString::fromLatin1(function), payload.toByteArray());
}

void readWithReader(const BundleReader &reader, QList<Run> *runsOut)
{
    (void)reader.formatVersion();
    (void)reader.metadata();
    QList<Run> runs = reader.runs();
    runs.resize(std::min<qsizetype>(runs.size(), kMaxRuns));
    for (const Run &run : std::as_const(runs)) {
        QList<Process> processes = reader.processes(run.id);
        processes.resize(std::min<qsizetype>(processes.size(), kMaxProcesses));
        for (const Process &p : std::as_const(processes)) {
            (void)reader.process(p.id);
            (void)reader.output(p.id);
            (void)reader.outputSize(p.id);
            (void)reader.eventCount(run.id, p.id);
            (void)reader.events(run.id, p.id);
            (void)reader.libSearches(run.id, p.id);
            (void)reader.libLoads(run.id, p.id);
        }
        (void)reader.eventCount(run.id);
        (void)reader.events(run.id);
        (void)reader.eventsOfKind(run.id, -1, kCallKinds[0]);
        (void)reader.libSearches(run.id);
        (void)reader.libLoads(run.id);
        (void)reader.artifacts(run.id);
        (void)storedElfFacts(reader, run.id);
    }
    (void)reader.queryError();
    *runsOut = runs;
}

void readWithScanner(const QString &path, const QList<Run> &runs)
{
    QString error;
    const auto scanner = EventScanner::open(path, &error);
    if (!scanner)
        return;
    for (const QString &kind : kCallKinds)
        (void)scanner->stringId(kind);
    for (const Run &run : runs) {
        EventScanQuery query;
        query.runId = run.id;
        query.withPayload = true;
        QList<qint64> ids;
        std::vector<EventRow> kept;
        (void)scanner->scan(
            query,
            [&](const EventRow &row, QByteArrayView payload) {
                (void)scanner->text(row.kindId);
                (void)scanner->text(row.nameId);
                (void)callStatusOfPayload(payload);
                ids.append(row.id);
                kept.push_back(row);
                return ids.size() < kMaxEvents;
            },
            &error);
        // As stored: compact call payloads by their bytes, decoded once each.
        query.storedPayload = true;
        query.inTimeOrder = false;
        (void)scanner->scan(
            query,
            [&](const EventRow &row, QByteArrayView payload) {
                readStoredPayload(scanner->text(row.nameId), payload.toByteArray());
                return true;
            },
            &error);
        EventScanQuery calls;
        calls.runId = run.id;
        calls.kinds = {kCallKinds[0], kCallKinds[1], kCallKinds[2]};
        calls.namePrefixes = {QStringLiteral("cu"), QStringLiteral("nvml")};
        (void)scanner->rows(calls, &error);
        (void)scanner->count(calls, &error);
        (void)scanner->count(query, &error);
        (void)scanner->payloads(ids.first(std::min<qsizetype>(ids.size(), 64)), &error);
        for (size_t i = 0; i < std::min<size_t>(kept.size(), 8); ++i) {
            (void)scanner->event(kept[i].id, &error);
            (void)scanner->toEvent(kept[i], {}, run.id);
        }
        for (const EventRow &row : kept) {
            if (row.processId >= 0) {
                (void)scanner->countOfProcess(row.processId, &error);
                break;
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz::initApplication(*argc > 0 ? (*argv)[0] : nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    static const QString path = fuzz::scratchDir() + QStringLiteral("/input.initscope");
    if (!fuzz::writeFile(path, input.data(), input.size()))
        return 0;
    QList<Run> runs;
    {
        BundleError error;
        if (const auto reader = BundleReader::open(path, &error))
            readWithReader(*reader, &runs);
    }
    if (!runs.isEmpty())
        readWithScanner(path, runs);
    QFile::remove(path);
    if (!input.startsWith("SQLite format 3"))
        readPayloadInput(input);
    return 0;
}
