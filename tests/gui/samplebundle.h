// A bundle with known, realistic content for the GUI tests and for looking at the GUI while
// working on it: an Ollama-like run where `sh -c 'exec ollama serve'` starts a runner that
// fails to initialize CUDA and dies of SIGSEGV, a CPU-fallback runner, a helper whose end
// was never seen, and a second, short run of initscope-probe.
#pragma once

#include "data.h"

#include <QList>
#include <QString>

namespace initscope::testing
{

struct SampleOptions {
    // Extra MiB of log lines written by the CPU-fallback runner, to feel how the output view
    // copes with a flood.
    int floodMiB = 0;
};

// Row ids the writer assigned, so tests can check exactly what a view lists.
struct SampleIds {
    qint64 mainRunId = -1;
    qint64 probeRunId = -1;
    qint64 shellId = -1;     // sh -c 'exec ollama serve', replaced by exec
    qint64 serveId = -1;     // ollama serve, the image after the exec
    qint64 runnerId = -1;    // the runner killed by SIGSEGV
    qint64 cpuRunnerId = -1; // the runner that fell back to the CPU
    qint64 helperId = -1;    // end never recorded
    qint64 probeId = -1;
    QList<qint64> mainRunProcessIds() const
    {
        return {shellId, serveId, runnerId, cpuRunnerId, helperId};
    }
};

// The runner's one line of 1 MiB (without its newline) and its line of binary bytes.
QByteArray sampleHugeLine();
QByteArray sampleBinaryLine();

// Writes the sample to path. Returns false with *error set when the bundle cannot be written.
bool writeSampleBundle(const QString &path, SampleIds *ids, QString *error,
                       const SampleOptions &options = {});

} // namespace initscope::testing
