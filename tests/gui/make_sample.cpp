// initscope-make-sample: writes the GUI tests' sample bundle to a file, for looking at the
// GUI with realistic content. Usage: initscope-make-sample OUT.initscope [--flood-mib N]
#include "samplebundle.h"

#include <QCoreApplication>
#include <QStringList>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    initscope::testing::SampleOptions options;
    const qsizetype flood = args.indexOf(QStringLiteral("--flood-mib"));
    if (flood >= 0 && flood + 1 < args.size()) {
        options.floodMiB = args[flood + 1].toInt();
        args.remove(flood, 2);
    }
    if (args.size() != 1 || args[0].startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "usage: initscope-make-sample OUT.initscope [--flood-mib N]\n");
        return 64;
    }
    initscope::testing::SampleIds ids;
    QString error;
    if (!initscope::testing::writeSampleBundle(args[0], &ids, &error, options)) {
        std::fprintf(stderr, "initscope-make-sample: %s\n", qPrintable(error));
        return 73;
    }
    return 0;
}
