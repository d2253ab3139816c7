// The run-config parser (core/recordconfig.cpp, docs/run-config.md) over any file: read as
// `initscope record --config` reads it (presets applied), as the GUI's editor reads it (the
// config's own options, the preset by name), and as `initscope record --matrix` reads a
// matrix of configs (core/runmatrix.cpp). A config the editor accepts must be given back by
// recordConfigToJson(): saving what was loaded and loading it again changes nothing.
#include "fuzzsupport.h"

#include "recording.h"
#include "runmatrix.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

using namespace initscope;

namespace
{

// The ollama preset makes a model folder in the temporary folder each time it is applied.
const QString &presetTemporaryDir()
{
    static const QString path = fuzz::scratchDir() + QStringLiteral("/tmp");
    return path;
}

void removePresetFolders()
{
    const QDir dir(presetTemporaryDir());
    for (const QString &name :
         dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
        QDir(dir.filePath(name)).removeRecursively();
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz::initApplication(*argc > 0 ? (*argv)[0] : nullptr);
    QDir().mkpath(presetTemporaryDir());
    qputenv("TMPDIR", QFile::encodeName(presetTemporaryDir()));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString path = fuzz::scratchDir() + QStringLiteral("/run.json");
    if (!fuzz::writeFile(path, reinterpret_cast<const char *>(data), qsizetype(size)))
        return 0;
    QString error;
    RecordOptions options;
    if (loadRecordConfig(path, &options, &error))
        (void)recordConfigToJson(options);

    QJsonObject config;
    RecordOptions own;
    if (readRecordConfig(path, &config, &error) && recordConfigOwnOptions(config, &own, &error)) {
        const QJsonObject saved = recordConfigToJson(own);
        RecordOptions reloaded;
        if (!recordConfigOwnOptions(saved, &reloaded, &error))
            fuzz::invariantBroken("a saved run config is refused when loaded again", compact(saved),
                                  error.toUtf8());
        if (compact(recordConfigToJson(reloaded)) != compact(saved))
            fuzz::invariantBroken("a saved run config changes when loaded and saved again",
                                  compact(saved), compact(recordConfigToJson(reloaded)));
    }

    RunMatrix matrix;
    (void)loadRunMatrix(path, &matrix, &error);
    QFile::remove(path);
    removePresetFolders();
    return 0;
}
