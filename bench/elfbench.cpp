// Time to read the dynamic-linking facts of large shared objects with readElfImage(), cold-ish
// (after the first read the page cache holds what was touched) and warm. Prints one line per
// file: size, symbols, API strings, milliseconds of the first read and the best of five.
#include "elfimage.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QStringList>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList files = app.arguments().mid(1);
    if (files.isEmpty()) {
        std::fprintf(stderr, "usage: elfbench FILE...\n");
        return 64;
    }
    int status = 0;
    for (const QString &file : files) {
        double first = -1, best = -1;
        std::optional<initscope::ElfImage> img;
        for (int i = 0; i < 6; ++i) {
            QElapsedTimer t;
            t.start();
            QString error;
            img = initscope::readElfImage(file, &error);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (!img) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                status = 1;
                break;
            }
            if (i == 0)
                first = ms;
            else if (best < 0 || ms < best)
                best = ms;
        }
        if (!img)
            continue;
        std::printf("%s: %.1f MiB, %lld dynamic symbols, %lld API strings: first read %.1f ms, best of 5 %.1f ms\n",
                    qPrintable(file), double(img->fileSize) / 1048576.0, static_cast<long long>(img->symbols.size()),
                    static_cast<long long>(img->apiStrings.size()), first, best);
    }
    return status;
}
