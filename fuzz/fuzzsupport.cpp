#include "fuzzsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <signal.h>
#include <unistd.h>

namespace initscope::fuzz
{

void initApplication(char *argv0)
{
    // QCoreApplication keeps a reference to argc and the argv array: both live as long as it.
    static int argc = 1;
    static char *argv[] = {argv0, nullptr};
    static QCoreApplication app(argc, argv);
}

namespace
{

// Scratch folders are named initscope-fuzz-<pid>-XXXXXX. A process that crashed (what a fuzzer
// looks for) or was killed leaves its folder behind; the next one removes those of processes
// that are gone.
void removeLeftScratchDirs(const QDir &parent)
{
    const QString prefix = QStringLiteral("initscope-fuzz-");
    for (const QString &name :
         parent.entryList({prefix + QLatin1Char('*')}, QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const qint64 pid = name.mid(prefix.size()).section(QLatin1Char('-'), 0, 0).toLongLong(&ok);
        if (ok && pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
            QDir(parent.filePath(name)).removeRecursively();
    }
}

QString newScratchTemplate()
{
    const QDir parent(QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm")
                                                                : QDir::tempPath());
    removeLeftScratchDirs(parent);
    return parent.filePath(QStringLiteral("initscope-fuzz-%1-XXXXXX").arg(::getpid()));
}

} // namespace

const QString &scratchDir()
{
    static const QTemporaryDir dir(newScratchTemplate());
    static const QString path = dir.path();
    if (!dir.isValid()) {
        std::fprintf(stderr, "fuzz: cannot create a scratch folder: %s\n",
                     qPrintable(dir.errorString()));
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
        return text.size() <= kShown
                   ? text
                   : text.first(kShown) + "… (" + QByteArray::number(text.size() - kShown) +
                         " more bytes)";
    };
    std::fprintf(stderr, "fuzz: %s\n  expected: %s\n  got:      %s\n", what,
                 shown(expected).constData(), shown(got).constData());
    std::abort();
}

} // namespace initscope::fuzz
