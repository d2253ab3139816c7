#include "callsworker.h"

#include "callsfiltermodel.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

namespace initscope::ui
{

CallsWorker::CallsWorker(QObject *parent) : QObject(parent) {}

CallsWorker::~CallsWorker()
{
    cancel();
}

QThreadPool *CallsWorker::threadPool()
{
    static QPointer<QThreadPool> pool;
    if (!pool) {
        // A child of the application: its end waits for a job under way, which then finds no
        // application to answer to.
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setMaxThreadCount(2); // the rows and their count; then a search or a ranking
    }
    return pool;
}

void CallsWorker::stop(StopFlag &flag)
{
    if (flag)
        flag->store(true);
    flag.reset();
}

CallsWorker::StopFlag CallsWorker::restart(StopFlag &flag)
{
    stop(flag);
    flag = std::make_shared<std::atomic_bool>(false);
    return flag;
}

// work(stop) runs on the pool; its answer goes to done on the GUI thread unless stop was set by
// then. The flag, set on the GUI thread when the answer is no longer wanted (and by the
// destructor), is what makes done safe to touch this object.
template <typename Work, typename Done>
void CallsWorker::run(const StopFlag &stop, Work work, Done done)
{
    threadPool()->start([stop, work, done] {
        if (stop->load())
            return;
        using Answer = decltype(work(*stop));
        const auto answer = std::make_shared<Answer>(work(*stop));
        QCoreApplication *app = QCoreApplication::instance();
        if (stop->load() || !app)
            return;
        QMetaObject::invokeMethod(
            app,
            [stop, answer, done] {
                if (!stop->load())
                    done(std::move(*answer));
            },
            Qt::QueuedConnection);
    });
}

void CallsWorker::load(const QString &path, qint64 runId)
{
    const StopFlag stopFlag = restart(m_load);
    // The count comes well before the rows: meanwhile the summary says how many are coming.
    run(
        stopFlag,
        [path, runId](const std::atomic_bool &) {
            QString error;
            const std::unique_ptr<EventScanner> scanner = EventScanner::open(path, &error);
            return scanner ? scanner->count(callsQuery(runId)) : qint64(-1);
        },
        [this](qint64 count) { Q_EMIT counted(count); });
    struct Read {
        std::shared_ptr<const CallsData> calls;
        QString error;
    };
    run(
        stopFlag,
        [path, runId](const std::atomic_bool &) {
            Read read;
            if (const std::unique_ptr<EventScanner> scanner = EventScanner::open(path, &read.error))
                read.calls = readCalls(*scanner, runId, &read.error);
            return read;
        },
        [this](const Read &read) {
            m_load.reset();
            Q_EMIT loaded(read.calls, read.error);
        });
}

void CallsWorker::search(const QString &path, CallsModel::SharedCalls calls, const QString &text)
{
    m_searchText = text;
    const QByteArray needle = CallsFilterModel::payloadNeedle(text);
    const bool anyCase = CallsFilterModel::matchesAnyCase(needle);
    run(
        restart(m_search),
        [path, calls, needle, anyCase](const std::atomic_bool &stopped) {
            QString error;
            const std::unique_ptr<EventScanner> scanner = EventScanner::open(path, &error);
            return std::make_shared<std::vector<bool>>(
                scanner ? callsContaining(*scanner, *calls, needle, anyCase, &stopped)
                        : std::vector<bool>(calls->rows.size(), false));
        },
        [this, text](const std::shared_ptr<std::vector<bool>> &rows) {
            m_search.reset();
            m_searchText.clear();
            Q_EMIT found(text, rows);
        });
}

void CallsWorker::rank(const QString &path, CallsModel::SharedCalls calls, CallsModel::Column column)
{
    m_rankingColumn = column;
    run(
        restart(m_rank),
        [path, calls, column](const std::atomic_bool &stopped) {
            QString error;
            const std::unique_ptr<EventScanner> scanner = EventScanner::open(path, &error);
            return std::make_shared<std::vector<qint32>>(
                scanner ? CallsModel::computeSortRanks(*scanner, *calls, column, &stopped) : std::vector<qint32>());
        },
        [this, column](const std::shared_ptr<std::vector<qint32>> &ranks) {
            m_rank.reset();
            m_rankingColumn = -1;
            Q_EMIT ranked(column, ranks);
        });
}

void CallsWorker::cancelSearch()
{
    stop(m_search);
    m_searchText.clear();
}

void CallsWorker::cancel()
{
    stop(m_load);
    cancelSearch();
    stop(m_rank);
    m_rankingColumn = -1;
}

} // namespace initscope::ui
