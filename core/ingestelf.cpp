// ELF facts at ingest (docs/bundle-format.md, docs/symbols.md). Runs on the recording machine
// right after the run, so the files are the ones the run loaded (unless replaced in between).
#include "ingestelf.h"

#include "bundle.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

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

int addElfFacts(BundleWriter &writer, qint64 runId, const QList<Artifact> &artifacts, const QStringList &loaded)
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
        QString error;
        const auto img = readElfImage(path, &error);
        if (!img)
            continue;
        const QString name = QFileInfo(path).fileName();
        bool usesGpu = false;
        for (const QString &n : img->needed)
            usesGpu = usesGpu || isGpuLibraryName(n) || shimNames.contains(n);
        QString role;
        if (isDriverName(name) || isDriverName(img->soname))
            role = QStringLiteral("driver");
        else if (usesGpu || isGpuLibraryName(name) || img->apiStrings.size() >= 3)
            role = QStringLiteral("consumer");
        if (role.isEmpty())
            continue;
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
