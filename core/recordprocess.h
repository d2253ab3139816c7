// `initscope record` run in a process of its own, for the GUI (docs/run-config.md, "In the GUI";
// cliprocess.h for why a process of its own).
#pragma once

#include "cliprocess.h"

namespace initscope {

class RecordProcess : public CliProcess
{
    Q_OBJECT
public:
    explicit RecordProcess(QObject *parent = nullptr) : CliProcess(parent) {}

    // `initscope record --config CONFIG -o BUNDLE`, started in CONFIG's folder so that the
    // config's relative paths mean the same as beside it. False (with failed()) when a run is
    // already going or the program cannot be started. A cancel saves what was recorded.
    bool startConfig(const QString &configPath, const QString &bundlePath);
    // `initscope record --matrix MATRIX -o DIR`, in MATRIX's folder: variationStarted() for
    // each variation as the CLI begins it, the grid as text at the end.
    bool startMatrix(const QString &matrixPath, const QString &outputDir);

Q_SIGNALS:
    // A matrix run began its index-th variation (from 0) of count.
    void variationStarted(int index, int count, const QString &name);

protected:
    // Every line of both streams: the CLI's progress and summary and, for a single run, the
    // target's output as it forwards it.
    void line(const QString &text) override;

private:
    bool m_matrix = false;
};

} // namespace initscope
