// The raw-record decoder (core/recorder/rawformat.h) through ingest's real entry point,
// ingestRunDirectory(): the input is split into the files of a run directory, which is ingested
// into a bundle that is then thrown away. What ingest reads is what the recorder and the
// launcher wrote: launcher.rec, <pid>.rec, <stem>.ring with <stem>.calls, <pid>.inflight.
//
// Input: the bytes of launcher.rec, then any number of files, each as
//     "INITSCOPE-FILE <name>[ <size>]\n" followed by its bytes up to the next such line.
// <name> is a plain file name ([A-Za-z0-9._-], at most 40 characters); <size>, when given,
// zero-extends the file to that many bytes (a ring is 2 MiB of mostly zeros: the seeds keep
// only what comes before its trailing zeros).
//
// Ingest reads the ELF files that the records name (executables, loaded libraries) as it does
// after a real run. Inputs naming a path under /dev, /proc, /sys or /run are set aside: a
// device, a FIFO or a live kernel file there would make an input hang or depend on the
// machine, and a recorder never reports such paths as a program's executable or libraries.
#include "fuzzsupport.h"

#include "bundle.h"
#include "ingest.h"
#include "launcher.h"

#include <QDir>
#include <QFile>

#include <map>

using namespace initscope;

namespace
{

constexpr QByteArrayView kFileMarker("INITSCOPE-FILE ");
constexpr int kMaxFiles = 16;
constexpr qsizetype kMaxNameLength = 40;
constexpr qint64 kMaxExtendedSize = 8 << 20;

bool isPlainFileName(QByteArrayView name)
{
    if (name.isEmpty() || name.size() > kMaxNameLength || name.front() == '.')
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

struct RawFileSpec {
    QByteArrayView bytes;
    qint64 size = 0; // zero-extended to this; 0: as it is
};

// Files by name, in the format described at the top.
std::map<QByteArray, RawFileSpec> splitRunDirectory(QByteArrayView input)
{
    std::map<QByteArray, RawFileSpec> files;
    qsizetype at = input.indexOf(kFileMarker);
    files[QByteArray(kLauncherRecordFile)].bytes = at < 0 ? input : input.first(at);
    while (at >= 0 && int(files.size()) <= kMaxFiles) {
        const qsizetype nameStart = at + kFileMarker.size();
        const qsizetype lineEnd = input.indexOf('\n', nameStart);
        if (lineEnd < 0)
            break;
        const qsizetype next = input.indexOf(kFileMarker, lineEnd + 1);
        const QByteArrayView line = input.sliced(nameStart, lineEnd - nameStart);
        const QByteArrayView bytes =
            input.sliced(lineEnd + 1, (next < 0 ? input.size() : next) - lineEnd - 1);
        at = next;
        const qsizetype space = line.indexOf(' ');
        const QByteArrayView name = space < 0 ? line : line.first(space);
        qint64 size = 0;
        if (space >= 0) {
            bool ok = false;
            size = line.sliced(space + 1).toLongLong(&ok);
            if (!ok || size < 0 || size > kMaxExtendedSize)
                continue;
        }
        if (isPlainFileName(name))
            files[name.toByteArray()] = {bytes, size};
    }
    return files;
}

bool namesSystemFolder(QByteArrayView input)
{
    for (const char *folder : {"/dev", "/proc", "/sys", "/run"}) {
        if (input.indexOf(folder) >= 0)
            return true;
    }
    return false;
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
    if (namesSystemFolder(input))
        return fuzz::kRejectInput;
    static const QString runDirectory = fuzz::scratchDir() + QStringLiteral("/run");
    static const QString bundlePath = fuzz::scratchDir() + QStringLiteral("/ingested.initscope");
    QDir().mkpath(runDirectory);
    const QDir dir(runDirectory);
    const auto files = splitRunDirectory(input);
    for (const auto &[name, spec] : files) {
        const QString path = dir.filePath(QString::fromLatin1(name));
        if (!fuzz::writeFile(path, spec.bytes.data(), spec.bytes.size()))
            continue;
        if (spec.size > spec.bytes.size())
            QFile::resize(path, spec.size);
    }

    BundleError error;
    if (auto writer = BundleWriter::create(bundlePath, &error)) {
        Run run;
        run.name = QStringLiteral("fuzz");
        run.command = {QStringLiteral("fuzz-target"), QStringLiteral("--flag")};
        IngestOptions options;
        options.notes = {QStringLiteral("ingested by the fuzz target")};
        IngestStats stats;
        QString why;
        (void)ingestRunDirectory(runDirectory, run, *writer, options, &stats, &why);
        writer->abort();
    }
    for (const auto &[name, spec] : files)
        QFile::remove(dir.filePath(QString::fromLatin1(name)));
    return 0;
}
