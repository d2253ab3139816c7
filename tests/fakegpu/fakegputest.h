// Helpers for the fake GPU tests: paths of the build products and a child-process runner
// that keeps stdout and stderr apart, enforces a timeout, and tells an exit from a signal.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fakegpu_test {

std::string fakeDir(const std::string &variant); // build/lib/fakegpu/<variant>
std::string probePath();                         // build/bin/initscope-probe
std::string fixturePath(const std::string &name);
std::string realCudart(); // the CUDA 13 runtime the runtime-path tests run against

struct Outcome {
    bool exited = false;
    int exitCode = -1;
    int signal = 0;        // the signal that ended the child, 0 when it exited
    bool timedOut = false; // still running at the deadline (then killed)
    std::string out;
    std::string err;
};

// Runs argv with the current environment minus every INITSCOPE_FAKEGPU_* and LD_LIBRARY_PATH,
// plus `env`. A child still running after `timeoutMs` is killed with SIGKILL and reported as
// timed out.
Outcome run(const std::vector<std::string> &argv, const std::map<std::string, std::string> &env,
            int timeoutMs = 20000);

// The probe against one variant of the fake (LD_LIBRARY_PATH) in one mode.
Outcome probe(const std::string &variant, const std::string &mode,
              const std::vector<std::string> &args, std::map<std::string, std::string> env = {},
              int timeoutMs = 20000);

std::vector<std::string> lines(const std::string &text);
bool hasLine(const std::string &text, const std::string &line);
// Index of the first line containing `needle`, or -1.
int lineIndex(const std::string &text, const std::string &needle);
std::string describe(const Outcome &o); // for failure messages

} // namespace fakegpu_test
