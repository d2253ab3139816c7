// `initscope retry` run in a process of its own, for the GUI's "Retry with…" (docs/diff.md,
// Retries). The CLI records and adds the run to the bundle, so the GUI and the command line
// retry in exactly the same way (cliprocess.h for why a process of its own).
#pragma once

#include "cliprocess.h"

namespace initscope {

class RetryProcess : public CliProcess
{
    Q_OBJECT
public:
    struct Request {
        QString bundle;
        qint64 runId = -1;
        QString variation;   // an id of retryVariations()
        QStringList setEnv;  // NAME=value, a person's edits on top of the variation
        QStringList unsetEnv;
    };

    explicit RetryProcess(QObject *parent = nullptr) : CliProcess(parent) {}

    // `retry --yes --run N [--env K=V]… [--unset K]… BUNDLE VARIATION`: the run is added to
    // BUNDLE. --yes because whoever starts it has shown the command and asked already.
    static QStringList arguments(const Request &request);
    // False (with failed()) when a retry is already going or the program cannot be started.
    // A cancel adds nothing to the bundle (the CLI exits 130).
    bool start(const Request &request);

    // What the CLI wrote on standard output: which run it added, and the diff.
    QString report() const { return QString::fromUtf8(m_stdout); }

protected:
    // Standard output is the report, kept whole; outputLine() carries standard error only.
    void standardOutput(const QByteArray &data) override { m_stdout += data; }

private:
    QByteArray m_stdout;
};

} // namespace initscope
