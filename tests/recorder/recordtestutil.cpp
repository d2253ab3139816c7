#include "recordtestutil.h"

#include <QProcess>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

using namespace initscope;

QString fixture(const QString &name)
{
    return QStringLiteral(FIXTURE_DIR "/") + name;
}

QString binary(const QString &name)
{
    return QStringLiteral(INITSCOPE_BIN_DIR "/") + name;
}

CliRun runInitscope(const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.start(binary(QStringLiteral("initscope")), args);
    EXPECT_TRUE(p.waitForStarted(10000));
    const bool finished = p.waitForFinished(timeoutMs);
    EXPECT_TRUE(finished) << "initscope " << args.join(QLatin1Char(' ')).toStdString()
                          << " did not finish";
    if (!finished) {
        p.kill();
        p.waitForFinished();
    }
    CliRun run;
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = p.readAllStandardOutput();
    run.err = p.readAllStandardError();
    return run;
}

std::unique_ptr<BundleReader> openBundle(const QString &path)
{
    BundleError error;
    auto reader = BundleReader::open(path, &error);
    EXPECT_TRUE(reader) << error.message.toStdString();
    return reader;
}

QByteArray streamOf(const BundleReader &reader, qint64 processId, Stream stream)
{
    QByteArray all;
    for (const OutputChunk &c : reader.output(processId)) {
        if (c.stream == stream)
            all += c.data;
    }
    return all;
}

bool processAlive(qint64 pid)
{
    return ::kill(pid_t(pid), 0) == 0 || errno != ESRCH;
}
