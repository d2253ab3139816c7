// Two runs aligned (docs/diff.md): processes matched by role and command line, each matched
// thread's calls aligned as a sequence diff over normalised calls (function and key arguments;
// result and answering library compared on aligned pairs), so that the first divergence stands
// out — plus what differs in library searches and loads, environment, config, output and the
// diagnosis. One value for the CLI and the GUI.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace initscope {

class BundleReader;

struct DiffSide {
    const BundleReader *reader = nullptr;
    qint64 runId = -1;
    QString label; // "A: run.initscope run 1"
};

struct ProcessPair {
    qint64 a = -1, b = -1; // processes.id on each side, -1 when only one side has it
    qint64 pidA = 0, pidB = 0;
    QString role;          // "initscope-probe", "ollama serve", "ollama runner", …
};

// One step of an aligned call sequence that is not the same on both sides.
struct CallDifference {
    enum class Kind { OnlyInA, OnlyInB, ResultDiffers, AnswerDiffers };
    Kind kind = Kind::OnlyInA;
    qint64 processA = -1, processB = -1;
    qint64 eventA = -1, eventB = -1;
    qint64 tsA = 0, tsB = 0; // ns since each run's start
    QString call;            // the normalised call: "cuGetExportTable(CUDART_INTERFACE)"
    QString resultA, resultB;
    QString answerA, answerB; // the library that answered, where known
};
QString callDifferenceKindName(CallDifference::Kind kind); // "only-in-a", "only-in-b", "result", "answer"

// One step of an aligned call sequence, equal or not (the compare view lists them all).
struct AlignedCall {
    qint64 processA = -1, processB = -1;
    qint64 eventA = -1, eventB = -1; // -1 on the side that did not make the call
    qint64 tsA = -1, tsB = -1;
    QString call;
    QString resultA, resultB;
    int difference = -1; // index into RunDiff::calls, -1 when the step is the same on both sides
};

struct RunDiff {
    QString labelA, labelB;
    QList<ProcessPair> processes;
    std::optional<CallDifference> first; // the first divergence, by time in A (then B)
    QList<CallDifference> calls;         // every call difference, in order
    int alignedCalls = 0;                // pairs aligned and equal
    QList<AlignedCall> alignment;        // every step of every matched thread, in order
    QStringList resolverOnlyA, resolverOnlyB; // names resolved on one side only (kept apart)
    QStringList libraries;  // "only in A: loaded /x/libcuda.so.1", "search for X: found in A, not found in B"
    QStringList environment; // "pid 12 ↔ 13: CUDA_VISIBLE_DEVICES: unset → -1"
    QStringList config;      // run config keys that differ
    QStringList outputOnlyA, outputOnlyB; // normalised output lines present in one run only
    QString diagnosisA, diagnosisB;       // top finding titles
    bool equivalent() const;
};

struct DiffOptions {
    // Compare which library answered aligned calls. Off against a reference of the real
    // driver, where a shim answering instead of the driver is the point, not a difference.
    bool compareAnswers = true;
};

RunDiff diffRuns(const DiffSide &a, const DiffSide &b, const DiffOptions &options = {});

QString formatRunDiffText(const RunDiff &diff);
QJsonObject runDiffToJson(const RunDiff &diff); // {"format": "initscope-diff", "version": 1, …}

// Building blocks, public for tests.
// A call's alignment key: function and the arguments that say what was asked (not pointers).
QString normalisedCall(const QJsonObject &payload, const QString &function);
// Output text with what differs between identical runs masked: pids, addresses, times, ports.
QString normalisedLine(const QString &line);

} // namespace initscope
