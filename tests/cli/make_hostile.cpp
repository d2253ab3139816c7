// initscope-make-hostile: writes the hostile, deep and wide bundles of the tests into a folder,
// for looking at what the CLI and the GUI make of them (docs/reliability.md, "Bundles from
// others"). Usage: initscope-make-hostile DIR. The hostile bundle's shell snippets would create
// files in DIR/markers if anything ran them.
#include "hostilebundle.h"

#include <QCoreApplication>
#include <QDir>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    if (args.size() != 1 || args[0].startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "usage: initscope-make-hostile DIR\n");
        return 64;
    }
    const QDir dir(args[0]);
    const QString markers = QDir(dir.absolutePath()).filePath(QStringLiteral("markers"));
    if (!QDir().mkpath(markers)) {
        std::fprintf(stderr, "initscope-make-hostile: cannot create %s\n", qPrintable(markers));
        return 73;
    }
    initscope::test::HostileBundle ids;
    QString why;
    if (!initscope::test::writeHostileBundle(dir.filePath(QStringLiteral("hostile.initscope")), markers, &ids, &why) ||
        !initscope::test::writeDeepChainBundle(dir.filePath(QStringLiteral("deep.initscope")), 2000, &why) ||
        !initscope::test::writeWideBundle(dir.filePath(QStringLiteral("wide.initscope")), 10000, &why)) {
        std::fprintf(stderr, "initscope-make-hostile: %s\n", qPrintable(why));
        return 73;
    }
    return 0;
}
