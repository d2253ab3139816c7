#include "fuzzsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>

namespace initscope::fuzz {

void initApplication(char *argv0)
{
    // QCoreApplication keeps a reference to argc and the argv array: both live as long as it.
    static int argc = 1;
    static char *argv[] = {argv0, nullptr};
    static QCoreApplication app(argc, argv);
}

const QString &scratchDir()
{
    static const QTemporaryDir dir(QDir(QStringLiteral("/dev/shm")).exists()
                                       ? QStringLiteral("/dev/shm/initscope-fuzz-XXXXXX")
                                       : QDir::temp().filePath(QStringLiteral("initscope-fuzz-XXXXXX")));
    static const QString path = dir.path();
    if (!dir.isValid()) {
        std::fprintf(stderr, "fuzz: cannot create a scratch folder: %s\n", qPrintable(dir.errorString()));
        std::abort();
    }
    return path;
}

bool writeFile(const QString &path, const char *data, qsizetype size)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(data, size) == size;
}

void invariantBroken(const char *what, const QByteArray &expected, const QByteArray &got)
{
    const auto shown = [](const QByteArray &text) {
        constexpr qsizetype kShown = 400;
        return text.size() <= kShown ? text : text.first(kShown) + "… (" + QByteArray::number(text.size() - kShown) + " more bytes)";
    };
    std::fprintf(stderr, "fuzz: %s\n  expected: %s\n  got:      %s\n", what, shown(expected).constData(),
                 shown(got).constData());
    std::abort();
}

} // namespace initscope::fuzz
