// The ELF reader (core/elfimage.cpp, docs/symbols.md) and the small ELF facts read at ingest
// (core/elffacts.cpp) over an untrusted file: every header, table, index and string offset
// comes from the input. The facts of a file that reads must also survive their stored form
// (elfImageToJson / elfImageFromJson, how a bundle keeps them) unchanged.
#include "fuzzsupport.h"

#include "elffacts.h"
#include "elfimage.h"

#include <QFile>
#include <QJsonDocument>

using namespace initscope;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz::initApplication(*argc > 0 ? (*argv)[0] : nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString path = fuzz::scratchDir() + QStringLiteral("/input.so");
    if (!fuzz::writeFile(path, reinterpret_cast<const char *>(data), qsizetype(size)))
        return 0;
    (void)readElfFacts(path);
    QString error;
    // What ingest reads first (no string scan), then everything.
    (void)readElfImage(path, &error, ElfReadOptions{false});
    if (const auto image = readElfImage(path, &error)) {
        (void)image->definedSymbols();
        (void)image->undefinedSymbols();
        (void)image->findDefined(QStringLiteral("cuInit"));
        const QJsonObject json = elfImageToJson(*image);
        const auto back = elfImageFromJson(json, &error);
        const QByteArray stored = QJsonDocument(json).toJson(QJsonDocument::Compact);
        if (!back)
            fuzz::invariantBroken("stored ELF facts are refused when read back", stored,
                                  error.toUtf8());
        const QByteArray again =
            QJsonDocument(elfImageToJson(*back)).toJson(QJsonDocument::Compact);
        if (again != stored)
            fuzz::invariantBroken("stored ELF facts change when read back", stored, again);
    }
    QFile::remove(path);
    (void)looksLikeGpuApiName(reinterpret_cast<const char *>(data), size);
    return 0;
}
