#include "fakegputest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char **environ;

namespace fakegpu_test {

std::string fakeDir(const std::string &variant)
{
    return std::string(FAKEGPU_DIR) + "/" + variant;
}

std::string probePath()
{
    return std::string(INITSCOPE_BIN_DIR) + "/initscope-probe";
}

std::string fixturePath(const std::string &name)
{
    return std::string(FAKEGPU_FIXTURE_DIR) + "/" + name;
}

std::string realCudart()
{
    return CUDART_PATH;
}

namespace {

long long nowMs()
{
    timespec ts = {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

} // namespace

Outcome run(const std::vector<std::string> &argv, const std::map<std::string, std::string> &env,
            int timeoutMs)
{
    std::vector<std::string> envStrings;
    for (char **e = environ; *e; ++e) {
        const std::string kv = *e;
        if (kv.rfind("INITSCOPE_FAKEGPU_", 0) == 0 || kv.rfind("LD_LIBRARY_PATH=", 0) == 0)
            continue;
        const std::string name = kv.substr(0, kv.find('='));
        if (!env.count(name))
            envStrings.push_back(kv);
    }
    for (const auto &[name, value] : env)
        envStrings.push_back(name + "=" + value);
    std::vector<char *> envp, args;
    for (std::string &s : envStrings)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argvCopy = argv;
    for (std::string &s : argvCopy)
        args.push_back(s.data());
    args.push_back(nullptr);

    int outPipe[2], errPipe[2];
    if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0)
        return {};
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(outPipe[1], STDOUT_FILENO);
        dup2(errPipe[1], STDERR_FILENO);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    close(outPipe[1]);
    close(errPipe[1]);

    Outcome o;
    const long long deadline = nowMs() + timeoutMs;
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    int open = 2;
    while (open > 0) {
        const long long left = deadline - nowMs();
        if (left <= 0) {
            o.timedOut = true;
            break;
        }
        if (poll(fds, 2, int(left)) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[4096];
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                (i == 0 ? o.out : o.err).append(buffer, size_t(n));
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    int status = 0;
    if (o.timedOut) {
        // The child is alive as far as we know; confirm before killing it, so that "hung" is
        // a fact and not a guess.
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        } else {
            o.timedOut = false;
        }
    } else {
        waitpid(pid, &status, 0);
    }
    for (const pollfd &f : fds) {
        if (f.fd >= 0)
            close(f.fd);
    }
    if (!o.timedOut) {
        o.exited = WIFEXITED(status);
        o.exitCode = o.exited ? WEXITSTATUS(status) : -1;
        o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return o;
}

Outcome probe(const std::string &variant, const std::string &mode,
              const std::vector<std::string> &args, std::map<std::string, std::string> env,
              int timeoutMs)
{
    env["LD_LIBRARY_PATH"] = fakeDir(variant);
    if (!mode.empty())
        env["INITSCOPE_FAKEGPU_MODE"] = mode;
    std::vector<std::string> argv = {probePath()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env, timeoutMs);
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> result;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        result.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return result;
}

bool hasLine(const std::string &text, const std::string &line)
{
    for (const std::string &l : lines(text)) {
        if (l == line)
            return true;
    }
    return false;
}

int lineIndex(const std::string &text, const std::string &needle)
{
    const std::vector<std::string> all = lines(text);
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].find(needle) != std::string::npos)
            return int(i);
    }
    return -1;
}

std::string describe(const Outcome &o)
{
    std::string s = o.timedOut ? "timed out"
                    : o.exited ? "exit " + std::to_string(o.exitCode)
                               : "signal " + std::to_string(o.signal);
    return s + "\n--- stdout\n" + o.out + "--- stderr\n" + o.err;
}

} // namespace fakegpu_test
