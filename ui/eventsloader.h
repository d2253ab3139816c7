// Reads event rows off the GUI thread, for the Events tab of a process with hundreds of
// thousands of events: the rows of a process, or the events whose record holds a text. Each
// job opens its own EventScanner on the bundle (a connection belongs to its thread). One job
// runs at a time; a newer request replaces the one waiting, and a superseded job's result is
// dropped, so only the latest request is ever answered (docs/gui.md, "Large runs").
#pragma once

#include "eventscan.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

class QThreadPool;

namespace initscope::ui
{

// The ids, in ascending order, of the events query selects whose payload holds text: without
// regard to case for ASCII text, byte for byte otherwise. Stops early, with what it has, once
// *stop is set.
std::vector<qint64> findInRecords(const EventScanner &scanner, const EventScanQuery &query,
                                  const QString &text, const std::atomic_bool *stop = nullptr);

class EventsLoader : public QObject
{
    Q_OBJECT
public:
    using Rows = std::shared_ptr<std::vector<EventRow>>;
    using Ids = std::shared_ptr<std::vector<qint64>>;

    explicit EventsLoader(QObject *parent = nullptr);
    ~EventsLoader() override;

    // EventScanner::rows(query) of the bundle at path; rowsLoaded() follows.
    void loadRows(const QString &path, const EventScanQuery &query);
    // findInRecords(query, text) of the bundle at path; recordsFound() follows.
    void findRecords(const QString &path, const EventScanQuery &query, const QString &text);
    // Forgets what was asked: no signal comes for it.
    void cancel();
    // A request was made and its answer has not come yet.
    bool isPending() const { return m_pending; }

    // The threads jobs run on: their own, so that a long diagnosis on the global pool never
    // holds the Events tab back. Owned by the application.
    static QThreadPool *threadPool();

Q_SIGNALS:
    // rows is empty with error set when the bundle could not be read.
    void rowsLoaded(const initscope::EventScanQuery &query, const Rows &rows, const QString &error);
    void recordsFound(const QString &text, const Ids &ids);

private:
    struct Request {
        bool findRecords = false;
        QString path;
        EventScanQuery query;
        QString text;
        quint64 generation = 0;
    };
    struct Result {
        Rows rows;
        Ids ids;
        QString error;
    };
    void submit(Request request);
    void start(const Request &request);
    void finished(const Request &request, const Result &result);

    quint64 m_generation = 0;
    bool m_running = false;
    bool m_pending = false;
    std::optional<Request> m_waiting;
    // Set to stop the running job early; every job gets a fresh one.
    std::shared_ptr<std::atomic_bool> m_stop;
};

} // namespace initscope::ui
