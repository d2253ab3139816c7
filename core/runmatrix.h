// A run matrix (docs/run-config.md): one base config and a list of variations, each recorded
// as its own bundle, then summarised as a grid of variation × outcome.
#pragma once

#include "recording.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace initscope {

class BundleReader;

struct MatrixVariation {
    QString name;
    RecordOptions options; // the base with the variation applied
};

struct RunMatrix {
    QString name;
    QList<MatrixVariation> variations;
};

// {"name": …, "base": <run config>, "variations": [{"name": …, <keys of a run config that
// replace the base's; "environment.set" merges, "environment.unset" adds>}, …]}.
bool loadRunMatrix(const QString &path, RunMatrix *matrix, QString *error);

// One cell row of the grid, read from the variation's bundle.
struct MatrixOutcome {
    QString variation;
    QString bundlePath;
    QString end;        // "exit 0", "exit 1", "SIGSEGV", "timed out", "stopped as planned", "cancelled", "not recorded"
    QString devices;    // GPUs the libraries reported ("1 (CUDA driver API)"), "0", or "—"
    QString errorLine;  // the top finding's error line, else the first error-looking line
    QString topFinding; // title of the top finding, or "no departure"
};
MatrixOutcome summarizeMatrixRun(const QString &variation, const QString &bundlePath);
// Where `initscope record --matrix` writes the bundle of the index-th variation (from 1):
// <outputDir>/01-<variation in lower case, runs of other characters as '-'>.initscope.
QString matrixBundlePath(const QString &outputDir, int index, const QString &variation);

QString formatMatrixGrid(const QList<MatrixOutcome> &rows);
QJsonObject matrixToJson(const QString &name, const QList<MatrixOutcome> &rows); // "initscope-matrix"

} // namespace initscope
