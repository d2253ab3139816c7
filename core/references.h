// The reference recordings of real programs on a real driver (resources/reference, docs/diff.md):
// where they are looked for and which one matches a run. Shared by `initscope diff --reference`
// and the GUI's "Compare with the Real Driver".
#pragma once

#include <QString>
#include <QStringList>

namespace initscope {

class BundleReader;

// $INITSCOPE_REFERENCE_DIR first, then <executable>/../share/initscope/reference (installed),
// then the source tree's resources/reference (a build that was not installed).
QStringList referenceDirs();

// The file name of the program a run started (its first process, followed through its execs:
// `env A=1 initscope-probe` is the probe), e.g. "initscope-probe".
QString programOfRun(const BundleReader &reader, qint64 runId);

// The first reference bundle, in referenceDirs() order, recorded from program; empty if none.
QString findReference(const QString &program);

} // namespace initscope
