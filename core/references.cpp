#include "references.h"

#include "bundle.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace initscope {

QStringList referenceDirs()
{
    QStringList dirs;
    const QString env = qEnvironmentVariable("INITSCOPE_REFERENCE_DIR");
    if (!env.isEmpty())
        dirs.append(env);
    dirs.append(QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/initscope/reference")));
    dirs.append(QStringLiteral(INITSCOPE_SOURCE_REFERENCE_DIR));
    return dirs;
}

QString programOfRun(const BundleReader &reader, qint64 runId)
{
    const QList<Process> processes = reader.processes(runId);
    if (processes.isEmpty())
        return QString();
    // The program the first process became: `env VAR=… program` and wrapper scripts exec it.
    const Process *p = &processes.first();
    for (bool followed = true; followed;) {
        followed = false;
        for (const Process &next : processes) {
            if (next.previousImageId >= 0 && next.previousImageId == p->id) {
                p = &next;
                followed = true;
                break;
            }
        }
    }
    return QFileInfo(p->exe.isEmpty() ? p->argv.value(0) : p->exe).fileName();
}

QString findReference(const QString &program)
{
    if (program.isEmpty())
        return QString();
    for (const QString &dir : referenceDirs()) {
        const QDir d(dir);
        for (const QString &name : d.entryList({QStringLiteral("*.initscope")}, QDir::Files, QDir::Name)) {
            BundleError error;
            const auto reader = BundleReader::open(d.filePath(name), &error);
            if (reader && !reader->runs().isEmpty() && programOfRun(*reader, reader->runs().first().id) == program)
                return d.filePath(name);
        }
    }
    return QString();
}

} // namespace initscope
