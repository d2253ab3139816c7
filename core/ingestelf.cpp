// ELF facts at ingest (docs/bundle-format.md, docs/symbols.md). Runs on the recording machine
// right after the run, so the files are the ones the run loaded (unless replaced in between).
#include "ingestelf.h"

#include "bundle.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace initscope {

namespace {

bool isDriverName(const QString &name)
{
    return name.startsWith(QLatin1String("libcuda.so")) || name.startsWith(QLatin1String("libnvidia-ml.so"));
}

bool isGpuLibraryName(const QString &name)
{
    static const QRegularExpression re(
        QStringLiteral("^lib(cuda|cudart|nvidia-ml|cublas|cublasLt|ggml-cuda|cudnn|nvrtc|cufft|curand|cusparse|"
                       "cusolver|nccl)[._-]"));
    return re.match(name).hasMatch();
}

} // namespace

int addElfFacts(BundleWriter &writer, qint64 runId, const QList<Artifact> &artifacts, const QStringList &loaded,
                const QSet<QString> &executables)
{
    QSet<QString> shimPaths, shimNames;
    for (const Artifact &a : artifacts)
        if (a.kind == QLatin1String("shim")) {
            shimPaths.insert(a.path);
            shimNames.insert(QFileInfo(a.path).fileName());
        }
    auto store = [&](const QString &role, const ElfImage &img) {
        Artifact a;
        a.runId = runId;
        a.kind = QStringLiteral("elf-facts");
        a.path = img.path;
        a.size = img.fileSize;
        a.content = QJsonDocument(QJsonObject{{QStringLiteral("role"), role},
                                              {QStringLiteral("elf"), elfImageToJson(img)}})
                        .toJson(QJsonDocument::Compact);
        writer.addArtifact(a);
    };
    int stored = 0;
    QSet<QString> done;
    QList<ElfImage> shims;
    for (const QString &path : std::as_const(shimPaths)) {
        QString error;
        if (auto img = readElfImage(path, &error)) {
            store(QStringLiteral("shim"), *img);
            shims.append(*img);
            shimNames.insert(img->soname);
            ++stored;
        }
        done.insert(path);
    }
    for (const QString &path : loaded) {
        if (done.contains(path) || !path.startsWith(QLatin1Char('/')))
            continue;
        done.insert(path);
        // First the cheap facts (headers and dynamic tables); the string scan only for what
        // is, needs or may dlopen a GPU library. A PyTorch process maps hundreds of objects.
        QString error;
        auto img = readElfImage(path, &error, ElfReadOptions{false});
        if (!img)
            continue;
        const QString name = QFileInfo(path).fileName();
        bool usesGpu = false;
        for (const QString &n : img->needed)
            usesGpu = usesGpu || isGpuLibraryName(n) || shimNames.contains(n);
        const bool driver = isDriverName(name) || isDriverName(img->soname);
        const bool gpuNamed = isGpuLibraryName(name);
        if (!driver && !usesGpu && !gpuNamed && !executables.contains(path))
            continue;
        img = readElfImage(path, &error);
        if (!img)
            continue;
        QString role;
        if (driver)
            role = QStringLiteral("driver");
        else if (usesGpu || gpuNamed || img->apiStrings.size() >= 3)
            role = QStringLiteral("consumer");
        if (role.isEmpty())
            continue;
        if (role == QLatin1String("consumer")) {
            // What the check needs of a consumer: its imports, and its own definitions of API
            // names (names it need not ask for). libtorch_cuda alone exports 100,000 symbols.
            img->symbols.erase(std::remove_if(img->symbols.begin(), img->symbols.end(),
                                              [](const ElfSymbol &s) {
                                                  return s.defined && !looksLikeGpuApiName(s.name.toLatin1().constData(), size_t(s.name.size()));
                                              }),
                               img->symbols.end());
            img->unexportedDefinitions.clear();
        }
        store(role, *img);
        ++stored;
    }
    return stored;
}

QList<StoredElf> storedElfFacts(const BundleReader &reader, qint64 runId)
{
    QList<StoredElf> shims, others;
    for (const Artifact &a : reader.artifacts(runId)) {
        if (a.kind != QLatin1String("elf-facts"))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(a.content).object();
        QString error;
        auto img = elfImageFromJson(o.value(QLatin1String("elf")).toObject(), &error);
        if (!img)
            continue;
        StoredElf s{o.value(QLatin1String("role")).toString(), *img};
        (s.role == QLatin1String("shim") ? shims : others).append(s);
    }
    return shims + others;
}

} // namespace initscope
