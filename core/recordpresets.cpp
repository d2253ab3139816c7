// Run presets (docs/run-config.md): what a support engineer records most, one word away.
#include "recording.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace initscope {

namespace {

// A loopback port nobody listens on now (the kernel picks it).
int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

} // namespace

void setRecordVariable(RecordOptions *o, const QString &name, const QString &value)
{
    o->setEnv.erase(std::remove_if(o->setEnv.begin(), o->setEnv.end(),
                                   [&](const QString &kv) { return kv.startsWith(name + QLatin1Char('=')); }),
                    o->setEnv.end());
    o->unsetEnv.removeAll(name);
    o->setEnv.append(name + QLatin1Char('=') + value);
}

QStringList recordPresetNames()
{
    return {QStringLiteral("probe"), QStringLiteral("ollama"), QStringLiteral("custom")};
}

bool applyRecordPreset(const QString &name, RecordOptions *o, QString *error)
{
    if (name == QLatin1String("custom")) {
        o->preset = name; // the command and everything else come from the user
        return true;
    }
    if (name == QLatin1String("probe")) {
        o->preset = name;
        const QString probe = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("initscope-probe"));
        o->command = {QFileInfo::exists(probe) ? probe : QStringLiteral("initscope-probe")};
        return true;
    }
    if (name == QLatin1String("ollama")) {
        o->preset = name;
        o->command = {QStringLiteral("ollama"), QStringLiteral("serve")};
        // Its own port and model folder, so that it never meets a server already running, and
        // the most detailed log, which names every discovery step.
        const int port = freeLoopbackPort();
        setRecordVariable(o, QStringLiteral("OLLAMA_HOST"), QStringLiteral("127.0.0.1:%1").arg(port ? port : 11435));
        QTemporaryDir models(QDir::temp().filePath(QStringLiteral("initscope-ollama-models-XXXXXX")));
        models.setAutoRemove(false);
        setRecordVariable(o, QStringLiteral("OLLAMA_MODELS"), models.isValid() ? models.path() : QDir::temp().filePath(QStringLiteral("initscope-ollama-models")));
        setRecordVariable(o, QStringLiteral("OLLAMA_DEBUG"), QStringLiteral("2"));
        // Discovery is over when the server names what it will compute on, or gives up.
        o->stopOnOutput = {QStringLiteral("inference compute"), QStringLiteral("failure during GPU discovery"),
                           QStringLiteral("no compatible GPUs were discovered")};
        o->timeoutSeconds = 60;
        return true;
    }
    if (error)
        *error = QStringLiteral("unknown preset \"%1\" (known: %2)").arg(name, recordPresetNames().join(QStringLiteral(", ")));
    return false;
}

} // namespace initscope
