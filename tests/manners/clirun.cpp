#include "clirun.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace initscope::test {

namespace {

QProcessEnvironment environmentFor(const QStringList &changes)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"INITSCOPE_PROGRESS", "NO_COLOR", "DISPLAY", "WAYLAND_DISPLAY"})
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("TERM"), QStringLiteral("xterm"));
    env.insert(QStringLiteral("PATH"), QStringLiteral(INITSCOPE_BIN_DIR ":") + env.value(QStringLiteral("PATH")));
    for (const QString &c : changes) {
        const qsizetype eq = c.indexOf(QLatin1Char('='));
        if (eq < 0)
            env.remove(c);
        else
            env.insert(c.left(eq), c.mid(eq + 1));
    }
    return env;
}

} // namespace

QString cliPath()
{
    return QStringLiteral(INITSCOPE_BIN_DIR "/initscope");
}

CliResult runPiped(const QStringList &args, const QStringList &env, const QString &workDir, int timeoutMs)
{
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(environmentFor(env));
    if (!workDir.isEmpty())
        p.setWorkingDirectory(workDir);
    p.setStandardInputFile(QProcess::nullDevice());
    QElapsedTimer clock;
    clock.start();
    p.start(cliPath(), args);
    if (!p.waitForStarted(10000))
        return r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    r.elapsedMs = clock.elapsed();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

CliResult runInTerminal(const QStringList &args, const QStringList &env, const QString &workDir, int timeoutMs)
{
    CliResult r;
    // Everything the child needs is made before fork(): it only calls async-signal-safe functions.
    const QStringList pairs = environmentFor(env).toStringList();
    std::vector<QByteArray> envBytes, argBytes;
    for (const QString &kv : pairs)
        envBytes.push_back(kv.toLocal8Bit());
    argBytes.push_back(cliPath().toLocal8Bit());
    for (const QString &a : args)
        argBytes.push_back(a.toLocal8Bit());
    std::vector<char *> envp, argv;
    for (QByteArray &b : envBytes)
        envp.push_back(b.data());
    envp.push_back(nullptr);
    for (QByteArray &b : argBytes)
        argv.push_back(b.data());
    argv.push_back(nullptr);
    const QByteArray dir = workDir.toLocal8Bit();

    termios raw{};
    cfmakeraw(&raw); // no "\n" → "\r\n": the transcript is what was written
    winsize size{};
    size.ws_row = 40;
    size.ws_col = 160;
    int master = -1;
    QElapsedTimer clock;
    clock.start();
    const pid_t child = ::forkpty(&master, nullptr, &raw, &size);
    if (child < 0)
        return r;
    if (child == 0) {
        const int devNull = ::open("/dev/null", O_RDONLY);
        if (devNull >= 0)
            ::dup2(devNull, STDIN_FILENO);
        if (!dir.isEmpty() && ::chdir(dir.constData()) != 0)
            ::_exit(126);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    bool timedOut = false;
    for (;;) {
        const qint64 left = timeoutMs - clock.elapsed();
        if (left <= 0) {
            timedOut = true;
            ::kill(child, SIGKILL);
            break;
        }
        pollfd p{master, POLLIN, 0};
        const int ready = ::poll(&p, 1, int(std::min<qint64>(left, 1000)));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;
        char buffer[65536];
        const ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // EIO: every holder of the terminal has closed it
        r.out.append(buffer, qsizetype(n));
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(master);
    r.elapsedMs = clock.elapsed();
    if (!timedOut && WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    return r;
}

QString makeDemoBundle(const QString &dir)
{
    const QString path = dir + QStringLiteral("/demo.initscope");
    const CliResult r = runPiped({QStringLiteral("demo"), QStringLiteral("--no-gui"), QStringLiteral("-o"), path});
    if (r.exitCode != 0 || !QFileInfo::exists(path)) {
        std::fprintf(stderr, "initscope demo failed (%d): %s\n", r.exitCode, r.err.constData());
        return {};
    }
    return path;
}

QByteArray withoutProgress(const QByteArray &transcript)
{
    static const QRegularExpression sequence(QStringLiteral("\\r[^\\r\\n\\x1b]*\\x1b\\[K"));
    // Latin-1 keeps every byte as one character, so the bytes come back unchanged.
    QString text = QString::fromLatin1(transcript);
    text.remove(sequence);
    return text.toLatin1();
}

} // namespace initscope::test
