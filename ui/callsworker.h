// The Calls tab's work off the GUI thread, for a large run: reading the calls (and counting
// them first, for the summary), searching their records for a text, ranking them by their
// result. Each job opens an EventScanner of its own (a connection belongs to its thread) and
// runs on threadPool(). A newer request of a kind, or cancel(), makes the older one's answer
// stale: it is dropped when it comes, and a search or ranking under way stops early
// (docs/gui.md, "Large runs").
#pragma once

#include "callsmodel.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

class QThreadPool;

namespace initscope::ui
{

class CallsWorker : public QObject
{
    Q_OBJECT
public:
    explicit CallsWorker(QObject *parent = nullptr);
    ~CallsWorker() override;

    // readCalls() of a run: counted(), then loaded().
    void load(const QString &path, qint64 runId);
    // callsContaining() the text as CallsFilterModel looks for it: found().
    void search(const QString &path, CallsModel::SharedCalls calls, const QString &text);
    // CallsModel::computeSortRanks(): ranked().
    void rank(const QString &path, CallsModel::SharedCalls calls, CallsModel::Column column);
    void cancelSearch();
    // Forgets every request.
    void cancel();

    bool isLoading() const { return bool(m_load); }
    // The text being searched for; empty when none.
    QString searchText() const { return m_searchText; }
    // The column whose ranks are being made; -1 when none.
    int rankingColumn() const { return m_rankingColumn; }

    // The threads jobs run on: their own, so that a long job on the global pool (the diagnosis
    // of a large run) never holds the calls back. Owned by the application.
    static QThreadPool *threadPool();

Q_SIGNALS:
    void counted(qint64 calls);
    // calls is nullptr with error set when the bundle could not be read.
    void loaded(const std::shared_ptr<const CallsData> &calls, const QString &error);
    void found(const QString &text, const std::shared_ptr<std::vector<bool>> &rows);
    void ranked(CallsModel::Column column, const std::shared_ptr<std::vector<qint32>> &ranks);

private:
    // Set when an answer is no longer wanted.
    using StopFlag = std::shared_ptr<std::atomic_bool>;
    static void stop(StopFlag &flag);
    static StopFlag restart(StopFlag &flag);
    template <typename Work, typename Done>
    void run(const StopFlag &stop, Work work, Done done);

    StopFlag m_load;
    StopFlag m_search;
    StopFlag m_rank;
    QString m_searchText;
    int m_rankingColumn = -1;
};

} // namespace initscope::ui
