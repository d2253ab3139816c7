// Sample content for the bundle tests: one place that knows what a realistic run looks like,
// so each test file only says what it checks.
#pragma once

#include "bundle.h"

#include <QByteArray>
#include <QString>

#include <iosfwd>

// Readable gtest output for Qt values; ADL finds these in the global namespace where Qt lives.
void PrintTo(const QString &value, std::ostream *os);
void PrintTo(const QByteArray &value, std::ostream *os);

namespace initscope::testdata {

// What writeSample() wrote, with the ids the writer assigned.
struct Sample {
    QMap<QString, QString> metadata;
    QList<Run> runs;
    QList<Process> processes;
    QList<OutputChunk> output;
    QList<Event> events;
    QList<LibSearch> searches;
    QList<LibLoad> loads;
    QList<Artifact> artifacts;
};

// Every table and field with awkward values: an exec chain, a signalled and an unknown end,
// binary output with all 256 byte values, a 1 MiB line, events out of time order, searches
// with steps, loads above 2^63, a second run. Returns false (and fails the test) on error.
bool writeSample(const QString &path, Sample *sample);

// A plain bundle of roughly `events` events with output, for damage tests.
bool writeBulk(const QString &path, int events);

QByteArray allByteValues();
QByteArray readAll(const QString &path);
void writeAll(const QString &path, const QByteArray &bytes);
// Every file in the folder, hidden ones included.
QStringList filesIn(const QString &dir);

} // namespace initscope::testdata
