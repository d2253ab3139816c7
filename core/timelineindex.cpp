#include "timelineindex.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace initscope {

QString timelineFamilyName(TimelineFamily family)
{
    switch (family) {
    case TimelineFamily::Driver:
        return QStringLiteral("driver");
    case TimelineFamily::Runtime:
        return QStringLiteral("runtime");
    case TimelineFamily::Nvml:
        return QStringLiteral("NVML");
    case TimelineFamily::Loader:
        return QStringLiteral("loader");
    case TimelineFamily::Output:
        return QStringLiteral("output");
    case TimelineFamily::Process:
        return QStringLiteral("process");
    case TimelineFamily::Other:
        break;
    }
    return QStringLiteral("other");
}

TimelineFamily timelineFamilyOfKind(const QString &kind)
{
    if (kind == QLatin1String("cuda.call"))
        return TimelineFamily::Driver;
    if (kind == QLatin1String("cudart.call"))
        return TimelineFamily::Runtime;
    if (kind == QLatin1String("nvml.call"))
        return TimelineFamily::Nvml;
    if (kind.startsWith(QLatin1String("lib.")) || kind.startsWith(QLatin1String("loader.")))
        return TimelineFamily::Loader;
    if (kind == QLatin1String("output"))
        return TimelineFamily::Output;
    if (kind.startsWith(QLatin1String("process.")))
        return TimelineFamily::Process;
    return TimelineFamily::Other;
}

// ---------------------------------------------------------------------------------------------
// TimelineTrack

namespace {

bool startsBefore(const TimelineItem &a, const TimelineItem &b)
{
    if (a.startNs != b.startNs)
        return a.startNs < b.startNs;
    // The enclosing call first, so that nesting reads top-down.
    if (a.endNs != b.endNs)
        return a.endNs > b.endNs;
    return a.id < b.id;
}

} // namespace

TimelineTrack::TimelineTrack(std::vector<TimelineItem> items) : m_items(std::move(items))
{
    if (!std::is_sorted(m_items.begin(), m_items.end(), startsBefore))
        std::sort(m_items.begin(), m_items.end(), startsBefore);
    const size_t n = m_items.size();
    m_maxEnd.resize(n);
    m_failedBefore.resize(n + 1);
    bool present[kTimelineFamilyCount] = {};
    qint64 maxEnd = std::numeric_limits<qint64>::min();
    m_failedBefore[0] = 0;
    for (size_t i = 0; i < n; ++i) {
        const TimelineItem &item = m_items[i];
        maxEnd = std::max(maxEnd, item.endNs);
        m_maxEnd[i] = maxEnd;
        m_failedBefore[i + 1] = m_failedBefore[i] + (item.failed() ? 1 : 0);
        present[int(item.family)] = true;
    }
    for (int f = 0; f < kTimelineFamilyCount; ++f)
        if (present[f])
            m_families.push_back(TimelineFamily(f));
    const size_t k = m_families.size();
    if (k <= 1)
        return;
    int slot[kTimelineFamilyCount] = {};
    for (size_t f = 0; f < k; ++f)
        slot[int(m_families[f])] = int(f);
    m_familyBefore.assign((n + 1) * k, 0);
    for (size_t i = 0; i < n; ++i) {
        std::copy_n(m_familyBefore.begin() + qsizetype(i * k), k,
                    m_familyBefore.begin() + qsizetype((i + 1) * k));
        ++m_familyBefore[(i + 1) * k + size_t(slot[int(m_items[i].family)])];
    }
}

qsizetype TimelineTrack::failedIn(qsizetype from, qsizetype to) const
{
    return qsizetype(m_failedBefore[size_t(to)] - m_failedBefore[size_t(from)]);
}

TimelineFamily TimelineTrack::dominantFamily(qsizetype from, qsizetype to) const
{
    const size_t k = m_families.size();
    if (k == 0)
        return TimelineFamily::Other;
    if (k == 1)
        return m_families.front();
    size_t best = 0;
    quint32 bestCount = 0;
    for (size_t f = 0; f < k; ++f) {
        const quint32 count =
            m_familyBefore[size_t(to) * k + f] - m_familyBefore[size_t(from) * k + f];
        if (count > bestCount) {
            best = f;
            bestCount = count;
        }
    }
    return m_families[best];
}

qsizetype TimelineTrack::memoryBytes() const
{
    return qsizetype(m_items.capacity() * sizeof(TimelineItem)
                     + m_maxEnd.capacity() * sizeof(qint64)
                     + m_failedBefore.capacity() * sizeof(quint32)
                     + m_familyBefore.capacity() * sizeof(quint32));
}

std::pair<qsizetype, qsizetype> TimelineTrack::visibleRange(qint64 fromNs, qint64 toNs) const
{
    // The running maximum of ends only grows, so everything before the first index where it
    // reaches fromNs has ended before the window.
    const auto first = std::lower_bound(m_maxEnd.begin(), m_maxEnd.end(), fromNs);
    const qsizetype firstIndex = first - m_maxEnd.begin();
    const auto last = std::upper_bound(m_items.begin() + firstIndex, m_items.end(), toNs,
                                       [](qint64 t, const TimelineItem &i) { return t < i.startNs; });
    return {firstIndex, last - m_items.begin()};
}

QList<TimelineBucket> aggregate(const TimelineTrack &track, qint64 fromNs, qint64 toNs,
                                double nsPerPixel)
{
    QList<TimelineBucket> out;
    if (track.isEmpty() || toNs < fromNs || !(nsPerPixel > 0))
        return out;
    auto [i, last] = track.visibleRange(fromNs, toNs);
    const std::vector<TimelineItem> &items = track.items();
    const double origin = double(fromNs);
    // The first time of the pixel column after the one that holds t.
    auto nextColumnStart = [&](qint64 t) {
        return origin + (std::floor((double(t) - origin) / nsPerPixel) + 1) * nsPerPixel;
    };
    while (i < last) {
        // Before i everything ended earlier than items[i] starts, so the running maximum from
        // here on is the maximum of this mark alone.
        qsizetype j = i + 1;
        qint64 end = track.maxEndThrough(i);
        for (;;) {
            const double limit = nextColumnStart(end);
            const auto next = std::lower_bound(
                items.begin() + j, items.begin() + last, limit,
                [](const TimelineItem &item, double t) { return double(item.startNs) < t; });
            const qsizetype k = next - items.begin();
            if (k == j)
                break;
            j = k;
            end = track.maxEndThrough(j - 1);
        }
        TimelineBucket b;
        b.startNs = items[size_t(i)].startNs;
        b.endNs = end;
        b.first = i;
        b.count = j - i;
        b.failed = track.failedIn(i, j);
        b.family = track.dominantFamily(i, j);
        out.append(b);
        i = j;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// TimelineIndex

qsizetype TimelineIndex::memoryBytes() const
{
    qsizetype bytes = qsizetype(sizeof(TimelineIndex)) + lanes.capacity() * qsizetype(sizeof(TimelineLane));
    for (const TimelineLane &lane : lanes) {
        bytes += lane.instants.memoryBytes() + (lane.title.size() + lane.subtitle.size()) * 2;
        for (const TimelineTrack &row : lane.rows)
            bytes += row.memoryBytes() + qsizetype(sizeof(TimelineTrack));
    }
    return bytes;
}

qint64 TimelineIndex::firstNs() const
{
    qint64 first = 0;
    for (const TimelineLane &lane : lanes) {
        if (!lane.instants.isEmpty())
            first = std::min(first, lane.instants.firstNs());
        for (const TimelineTrack &row : lane.rows)
            if (!row.isEmpty())
                first = std::min(first, row.firstNs());
        first = std::min(first, lane.lifeStartNs);
    }
    return first;
}

qint64 TimelineIndex::lastNs() const
{
    qint64 last = durationNs;
    for (const TimelineLane &lane : lanes) {
        if (!lane.instants.isEmpty())
            last = std::max(last, lane.instants.lastNs());
        for (const TimelineTrack &row : lane.rows)
            if (!row.isEmpty())
                last = std::max(last, row.lastNs());
        last = std::max(last, lane.lifeEndNs);
    }
    return last;
}

TimelineItemRef findItem(const TimelineIndex &index, qint64 id, bool fromOutput)
{
    auto search = [&](const TimelineTrack &track) -> qsizetype {
        const auto &items = track.items();
        const auto it = std::find_if(items.begin(), items.end(), [&](const TimelineItem &item) {
            return item.id == id && bool(item.flags & TimelineFromOutput) == fromOutput
                   && !(item.flags & TimelineFromCollected);
        });
        return it == items.end() ? -1 : it - items.begin();
    };
    for (int l = 0; l < index.lanes.size(); ++l) {
        const TimelineLane &lane = index.lanes.at(l);
        if (const qsizetype i = search(lane.instants); i >= 0)
            return {l, -1, i};
        for (int r = 0; r < lane.rows.size(); ++r)
            if (const qsizetype i = search(lane.rows.at(r)); i >= 0)
                return {l, r, i};
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// TimelineIndexBuilder

TimelineIndexBuilder::TimelineIndexBuilder(qint64 runId, const QList<TimelineProcessInfo> &processes)
{
    m_index.runId = runId;
    for (const TimelineProcessInfo &p : processes) {
        TimelineLane lane;
        lane.kind = TimelineLane::Kind::Process;
        lane.processId = p.id;
        lane.pid = p.pid;
        lane.title = p.title;
        lane.subtitle = p.subtitle;
        lane.lifeStartNs = p.startNs;
        lane.lifeEndNs = p.endNs;
        lane.failedEnd = p.failedEnd;
        lane.crashed = p.crashed;
        m_processLane.insert(p.id, int(m_index.lanes.size()));
        m_index.lanes.append(lane);
        m_pending.emplace_back();
    }
}

int TimelineIndexBuilder::laneFor(qint64 processId, qint64 tid, bool threadLane)
{
    if (processId < 0) {
        if (m_runLane < 0) {
            TimelineLane lane;
            lane.kind = TimelineLane::Kind::Run;
            lane.title = QStringLiteral("run");
            lane.lifeEndNs = -1;
            m_runLane = int(m_index.lanes.size());
            m_index.lanes.append(lane);
            m_pending.emplace_back();
        }
        return m_runLane;
    }
    int processLane = m_processLane.value(processId, -1);
    if (processLane < 0) {
        // An event of a process the run does not list: it still gets a lane.
        TimelineLane lane;
        lane.kind = TimelineLane::Kind::Process;
        lane.processId = processId;
        lane.title = QStringLiteral("process #%1").arg(processId);
        processLane = int(m_index.lanes.size());
        m_processLane.insert(processId, processLane);
        m_index.lanes.append(lane);
        m_pending.emplace_back();
    }
    if (!threadLane)
        return processLane;
    const QPair<qint64, qint64> key(processId, tid);
    int lane = m_threadLane.value(key, -1);
    if (lane >= 0)
        return lane;
    TimelineLane t;
    t.kind = TimelineLane::Kind::Thread;
    t.processId = processId;
    t.pid = m_index.lanes.at(processLane).pid;
    t.tid = tid;
    if (tid == 0)
        t.title = QStringLiteral("thread unknown");
    else if (tid == t.pid)
        t.title = QStringLiteral("main thread %1").arg(tid);
    else
        t.title = QStringLiteral("thread %1").arg(tid);
    lane = int(m_index.lanes.size());
    m_threadLane.insert(key, lane);
    m_index.lanes.append(t);
    m_pending.emplace_back();
    return lane;
}

void TimelineIndexBuilder::add(const TimelineRow &row)
{
    const bool call = isCallFamily(row.family);
    const bool threadLane = call
                            || (row.tid != 0 && row.family != TimelineFamily::Output
                                && row.family != TimelineFamily::Process);
    int lane;
    // Rows come in long runs from one thread; skip the hash lookups for those.
    if (m_lastLane >= 0 && m_lastKey[0] == row.processId && m_lastKey[1] == (threadLane ? row.tid : -1)) {
        lane = m_lastLane;
    } else {
        lane = laneFor(row.processId, row.tid, threadLane);
        m_lastLane = lane;
        m_lastKey[0] = row.processId;
        m_lastKey[1] = threadLane ? row.tid : -1;
    }
    push(lane, row);
}

int TimelineIndexBuilder::addCollectedLane(const QString &title, const QString &subtitle)
{
    if (m_collectedGroupLane < 0) {
        TimelineLane group;
        group.kind = TimelineLane::Kind::CollectedGroup;
        group.title = QStringLiteral("Collected files");
        group.subtitle = QStringLiteral("lines with a time stamp, of the files kept after the run");
        m_collectedGroupLane = int(m_index.lanes.size());
        m_index.lanes.append(group);
        m_pending.emplace_back();
    }
    TimelineLane lane;
    lane.kind = TimelineLane::Kind::Collected;
    lane.title = title;
    lane.subtitle = subtitle;
    m_index.lanes.append(lane);
    m_pending.emplace_back();
    return int(m_index.lanes.size()) - 1;
}

void TimelineIndexBuilder::addToLane(int lane, const TimelineRow &row)
{
    if (lane >= 0 && lane < m_index.lanes.size())
        push(lane, row);
}

void TimelineIndexBuilder::push(int lane, const TimelineRow &row)
{
    const bool call = isCallFamily(row.family);
    TimelineItem item;
    item.startNs = row.tsNs;
    item.endNs = call ? row.tsNs + std::max<qint64>(row.durNs, 0) : row.tsNs;
    item.id = row.id;
    item.nameId = row.nameId;
    item.kind = row.kind;
    item.family = row.family;
    item.flags = row.flags;
    Pending &pending = m_pending[size_t(lane)];
    (call ? pending.spans : pending.instants).push_back(item);
    ++m_index.itemCount;
}

TimelineIndex TimelineIndexBuilder::finish()
{
    for (qsizetype l = 0; l < m_index.lanes.size(); ++l) {
        TimelineLane &lane = m_index.lanes[l];
        Pending &pending = m_pending[size_t(l)];
        lane.instants = TimelineTrack(std::move(pending.instants));
        std::vector<TimelineItem> &spans = pending.spans;
        if (spans.empty())
            continue;
        if (!std::is_sorted(spans.begin(), spans.end(), startsBefore))
            std::sort(spans.begin(), spans.end(), startsBefore);
        // Nesting from the times alone: a call that starts before the enclosing one returns
        // is inside it. The payload's depth would say the same but costs a JSON read each.
        std::vector<std::vector<TimelineItem>> rows;
        std::vector<qint64> open;
        for (const TimelineItem &item : spans) {
            while (!open.empty() && open.back() <= item.startNs)
                open.pop_back();
            const size_t depth = std::min<size_t>(open.size(), kMaxRows - 1);
            if (rows.size() <= depth)
                rows.resize(depth + 1);
            rows[depth].push_back(item);
            open.push_back(item.endNs);
        }
        spans = {};
        for (auto &row : rows)
            lane.rows.append(TimelineTrack(std::move(row)));
    }
    m_pending.clear();

    // Grouped: the run lane, then each process followed by its threads (main thread first).
    QList<int> order;
    if (m_runLane >= 0)
        order.append(m_runLane);
    QHash<qint64, QList<int>> threadsOf;
    for (int l = 0; l < m_index.lanes.size(); ++l)
        if (m_index.lanes.at(l).kind == TimelineLane::Kind::Thread)
            threadsOf[m_index.lanes.at(l).processId].append(l);
    for (int l = 0; l < m_index.lanes.size(); ++l) {
        const TimelineLane &lane = m_index.lanes.at(l);
        if (lane.kind != TimelineLane::Kind::Process)
            continue;
        order.append(l);
        QList<int> threads = threadsOf.value(lane.processId);
        std::sort(threads.begin(), threads.end(), [&](int a, int b) {
            const TimelineLane &x = m_index.lanes.at(a), &y = m_index.lanes.at(b);
            const bool xMain = x.tid == x.pid, yMain = y.tid == y.pid;
            if (xMain != yMain)
                return xMain;
            return x.tid < y.tid;
        });
        order.append(threads);
    }
    if (m_collectedGroupLane >= 0) {
        order.append(m_collectedGroupLane);
        for (int l = 0; l < m_index.lanes.size(); ++l)
            if (m_index.lanes.at(l).kind == TimelineLane::Kind::Collected)
                order.append(l);
    }
    QList<TimelineLane> lanes;
    lanes.reserve(order.size());
    for (int l : order)
        lanes.append(std::move(m_index.lanes[l]));
    m_index.lanes = std::move(lanes);
    m_index.durationNs = std::max(m_index.durationNs, m_index.lastNs());
    m_processLane.clear();
    m_threadLane.clear();
    m_runLane = -1;
    m_collectedGroupLane = -1;
    m_lastLane = -1;
    return std::move(m_index);
}

// ---------------------------------------------------------------------------------------------
// Time windows

TimeWindow fitWindow(qint64 firstNs, qint64 lastNs)
{
    const double first = double(std::min<qint64>(firstNs, 0));
    double last = double(lastNs);
    if (last - first < kTimelineMinWindowNs * 10)
        last = first + kTimelineMinWindowNs * 10;
    const double margin = (last - first) * 0.02;
    return {first - margin, last + margin};
}

TimeWindow clampWindow(TimeWindow window, qint64 firstNs, qint64 lastNs)
{
    const TimeWindow all = fitWindow(firstNs, lastNs);
    double width = window.width();
    if (!(width >= kTimelineMinWindowNs)) // also catches NaN
        width = kTimelineMinWindowNs;
    if (width >= all.width())
        return all;
    double from = std::isfinite(window.fromNs) ? window.fromNs : all.fromNs;
    if (width != window.width()) {
        // Grown to the minimum around its centre.
        const double centre = std::isfinite(window.fromNs + window.toNs)
                                  ? (window.fromNs + window.toNs) / 2
                                  : (all.fromNs + all.toNs) / 2;
        from = centre - width / 2;
    }
    from = std::clamp(from, all.fromNs, all.toNs - width);
    return {from, from + width};
}

TimeWindow zoomWindow(TimeWindow window, double factor, double anchorNs)
{
    return {anchorNs - (anchorNs - window.fromNs) * factor,
            anchorNs + (window.toNs - anchorNs) * factor};
}

TimeWindow panWindow(TimeWindow window, double fraction)
{
    const double shift = window.width() * fraction;
    return {window.fromNs + shift, window.toNs + shift};
}

TimeWindow windowShowing(TimeWindow current, qint64 startNs, qint64 endNs, double pixels)
{
    const double start = double(startNs), end = double(std::max(endNs, startNs));
    const double length = std::max(end - start, 1.0);
    const double widthPx = current.width() > 0 ? length / current.width() * pixels : 0;
    const bool inView = start >= current.fromNs && end <= current.toNs;
    double width;
    if (widthPx >= 3 && length <= current.width() * 0.8) {
        if (inView)
            return current;
        width = current.width();
    } else {
        width = std::max(length * 5, kTimelineMinWindowNs * 10);
    }
    const double centre = (start + end) / 2;
    return {centre - width / 2, centre + width / 2};
}

// ---------------------------------------------------------------------------------------------
// The ruler

double timelineTickStep(double widthNs, int targetTicks)
{
    if (!(widthNs > 0) || targetTicks < 1)
        return 1;
    const double raw = widthNs / targetTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double mantissa = raw / magnitude;
    double step;
    if (mantissa < 1.5)
        step = 1;
    else if (mantissa < 3.5)
        step = 2;
    else if (mantissa < 7.5)
        step = 5;
    else
        step = 10;
    return std::max(1.0, step * magnitude);
}

QString formatTimelineTick(double ns, double stepNs)
{
    if (std::abs(ns) < stepNs * 1e-6)
        return QStringLiteral("0");
    // The unit of the value's own magnitude; as many decimals as the step needs.
    static const struct {
        double scale;
        const char *name;
    } units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}};
    const double magnitude = std::max(std::abs(ns), stepNs);
    size_t u = 0;
    while (u + 1 < std::size(units) && magnitude < units[u].scale)
        ++u;
    const double scale = units[u].scale;
    const int decimals =
        std::clamp(int(std::ceil(std::log10(scale / std::max(stepNs, 1.0)) - 1e-9)), 0, 9);
    QString text = QString::number(ns / scale, 'f', decimals);
    if (decimals > 0) {
        while (text.endsWith(QLatin1Char('0')))
            text.chop(1);
        if (text.endsWith(QLatin1Char('.')))
            text.chop(1);
    }
    return text + QLatin1Char(' ') + QString::fromUtf8(units[u].name);
}

} // namespace initscope
