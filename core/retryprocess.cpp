#include "retryprocess.h"

#include <QFileInfo>

namespace initscope {

QStringList RetryProcess::arguments(const Request &request)
{
    QStringList args{QStringLiteral("retry"), QStringLiteral("--yes")};
    if (request.runId > 0)
        args << QStringLiteral("--run") << QString::number(request.runId);
    for (const QString &kv : request.setEnv)
        args << QStringLiteral("--env") << kv;
    for (const QString &name : request.unsetEnv)
        args << QStringLiteral("--unset") << name;
    args << QFileInfo(request.bundle).absoluteFilePath() << request.variation;
    return args;
}

bool RetryProcess::start(const Request &request)
{
    if (!isRunning())
        m_stdout.clear();
    // A run with a working directory of its own has it in its config; one without starts where
    // the CLI does, and the bundle's folder is the one choice that does not depend on how the
    // GUI was started.
    return startCli(arguments(request), QFileInfo(request.bundle).absolutePath(),
                    QStringLiteral("a retry is already running"));
}

} // namespace initscope
