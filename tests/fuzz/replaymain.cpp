// Replays inputs through a fuzz target without libFuzzer: every file of each folder given (or
// each file given), in name order, goes once through LLVMFuzzerTestOneInput. Built with the
// normal compiler against the normal initscope_core, so that the seed corpora and the crash
// reproducers in them run in every build (docs/reliability.md, "Fuzzing").
#include "fuzzsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>
#include <vector>

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    QStringList inputs;
    for (int i = 1; i < argc; ++i) {
        const QString arg = QFile::decodeName(argv[i]);
        const QFileInfo info(arg);
        if (info.isDir()) {
            const QDir dir(arg);
            for (const QString &name : dir.entryList(QDir::Files | QDir::Hidden, QDir::Name))
                inputs << dir.filePath(name);
        } else if (info.isFile()) {
            inputs << arg;
        } else {
            std::fprintf(stderr, "replay: %s is neither a file nor a folder\n", argv[i]);
            return 2;
        }
    }
    if (inputs.isEmpty()) {
        std::fprintf(stderr,
                     "usage: %s CORPUS-FOLDER-OR-FILE... (and at least one input in them)\n",
                     argv[0]);
        return 2;
    }
    for (const QString &path : std::as_const(inputs)) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "replay: cannot read %s: %s\n", qPrintable(path),
                         qPrintable(file.errorString()));
            return 2;
        }
        const QByteArray bytes = file.readAll();
        // A buffer of exactly the input's size, as libFuzzer passes it.
        const std::vector<uint8_t> input(bytes.begin(), bytes.end());
        std::printf("%s\n", qPrintable(path));
        std::fflush(stdout);
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }
    std::printf("replayed %lld inputs\n", static_cast<long long>(inputs.size()));
    return 0;
}
