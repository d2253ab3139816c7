#include "eventsloader.h"

#include <QCoreApplication>
#include <QLatin1StringView>
#include <QPointer>
#include <QThreadPool>

#include <algorithm>
#include <cstring>
#include <utility>

namespace initscope::ui
{

std::vector<qint64> findInRecords(const EventScanner &scanner, const EventScanQuery &query,
                                  const QString &text, const std::atomic_bool *stop)
{
    std::vector<qint64> ids;
    if (text.isEmpty())
        return ids;
    // Inside the payload a quote or backslash of a value is escaped.
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    const QByteArray needle = escaped.toUtf8();
    // Payloads are UTF-8 JSON: case folding of ASCII bytes is exact there, and a text with
    // other characters is looked for as it is.
    bool ascii = true;
    for (const char c : needle)
        ascii = ascii && uchar(c) < 0x80;
    EventScanQuery q = query;
    q.withPayload = true;
    q.inTimeOrder = false; // the ids are sorted below
    scanner.scan(q, [&](const EventRow &row, QByteArrayView payload) {
        if (stop && stop->load(std::memory_order_relaxed))
            return false;
        const bool found = ascii ? QLatin1StringView(payload.data(), payload.size())
                                       .contains(QLatin1StringView(needle), Qt::CaseInsensitive)
                                 : payload.size() >= needle.size()
                                       && ::memmem(payload.data(), size_t(payload.size()), needle.constData(),
                                                   size_t(needle.size())) != nullptr;
        if (found)
            ids.push_back(row.id);
        return true;
    });
    std::sort(ids.begin(), ids.end());
    return ids;
}

EventsLoader::EventsLoader(QObject *parent) : QObject(parent) {}

QThreadPool *EventsLoader::threadPool()
{
    static QPointer<QThreadPool> pool;
    if (!pool) {
        // A child of the application: its end waits for a job under way, which then finds no
        // application to answer to.
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setMaxThreadCount(2); // a process's rows and a search of its records
    }
    return pool;
}

EventsLoader::~EventsLoader()
{
    if (m_stop)
        m_stop->store(true);
}

void EventsLoader::loadRows(const QString &path, const EventScanQuery &query)
{
    Request r;
    r.path = path;
    r.query = query;
    submit(std::move(r));
}

void EventsLoader::findRecords(const QString &path, const EventScanQuery &query, const QString &text)
{
    Request r;
    r.findRecords = true;
    r.path = path;
    r.query = query;
    r.text = text;
    submit(std::move(r));
}

void EventsLoader::cancel()
{
    ++m_generation;
    m_waiting.reset();
    m_pending = false;
    if (m_stop)
        m_stop->store(true);
}

void EventsLoader::submit(Request request)
{
    request.generation = ++m_generation;
    m_pending = true;
    if (m_running) {
        // The running job is stale now: it stops where it can, and this one waits for it.
        m_waiting = std::move(request);
        if (m_stop)
            m_stop->store(true);
        return;
    }
    start(request);
}

void EventsLoader::start(const Request &request)
{
    m_running = true;
    m_stop = std::make_shared<std::atomic_bool>(false);
    QPointer<EventsLoader> self(this);
    threadPool()->start([self, request, stop = m_stop] {
        Result result;
        if (std::unique_ptr<EventScanner> scanner = EventScanner::open(request.path, &result.error)) {
            if (request.findRecords)
                result.ids = std::make_shared<std::vector<qint64>>(
                    findInRecords(*scanner, request.query, request.text, stop.get()));
            else
                result.rows = std::make_shared<std::vector<EventRow>>(scanner->rows(request.query, &result.error));
        }
        QCoreApplication *app = QCoreApplication::instance();
        if (!app)
            return;
        QMetaObject::invokeMethod(app, [self, request, result] {
            if (self)
                self->finished(request, result);
        });
    });
}

void EventsLoader::finished(const Request &request, const Result &result)
{
    m_running = false;
    if (m_waiting) {
        start(*std::exchange(m_waiting, std::nullopt));
        return;
    }
    if (request.generation != m_generation)
        return;
    m_pending = false;
    if (request.findRecords)
        Q_EMIT recordsFound(request.text, result.ids ? result.ids : std::make_shared<std::vector<qint64>>());
    else
        Q_EMIT rowsLoaded(request.query, result.rows ? result.rows : std::make_shared<std::vector<EventRow>>(),
                          result.error);
}

} // namespace initscope::ui
