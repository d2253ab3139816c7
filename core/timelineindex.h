// The run timeline as compact, sorted arrays (docs/timeline.md): one lane per process and one
// per thread, each lane's calls stacked by nesting depth, everything else as instants. Built
// once from the bundle's columns (timelinesource.h), never from payloads, so that a run of a
// million events fits in tens of MiB; what a view draws comes from aggregate(), which merges
// whatever falls into one pixel column into one mark. QtCore only, no I/O: unit-testable.
#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <utility>
#include <vector>

namespace initscope {

// What an item is, for colour and placement. Calls are spans; the rest are instants.
enum class TimelineFamily : quint8 {
    Driver,  // cuda.call
    Runtime, // cudart.call
    Nvml,    // nvml.call
    Loader,  // lib.search, lib.load, lib.alternatives, loader.*
    Output,  // a chunk of stdout or stderr
    Process, // process.start, process.exec, process.exit
    Other,
};
inline constexpr int kTimelineFamilyCount = 7;
QString timelineFamilyName(TimelineFamily family); // "driver", "runtime", "NVML", …
TimelineFamily timelineFamilyOfKind(const QString &kind);
inline bool isCallFamily(TimelineFamily family)
{
    return family == TimelineFamily::Driver || family == TimelineFamily::Runtime
           || family == TimelineFamily::Nvml;
}

enum TimelineFlag : quint8 {
    TimelineFailed = 0x01,     // a call that did not succeed, a search that found nothing,
                               // an exit that was not 0
    TimelineUnfinished = 0x02, // a call that had not returned when its process ended
    TimelineCrash = 0x04,      // process.exit of an image killed by a signal
    TimelineStderr = 0x08,     // output chunk from stderr
    TimelineFromOutput = 0x10, // id is an output.id, not an events.id
    TimelineFromCollected = 0x20, // a line of a collected file: id is its artifacts.id and
                                  // nameId its 1-based line number (collectedlines.h)
};

// One event or output chunk: 32 bytes. Times are ns since run start; an instant has
// endNs == startNs.
struct TimelineItem {
    qint64 startNs = 0;
    qint64 endNs = 0;
    qint64 id = -1;      // events.id, or output.id with TimelineFromOutput
    quint32 nameId = 0;  // strings.id of the event's name, 0 for none
    quint16 kind = 0;    // index into TimelineIndex::kinds
    TimelineFamily family = TimelineFamily::Other;
    quint8 flags = 0;
    bool failed() const { return flags & (TimelineFailed | TimelineUnfinished | TimelineCrash); }
};

// Items sorted by start, with what aggregate() needs to skip whole pixel columns at once:
// the running maximum of end times and running counts of failed items and of each family.
class TimelineTrack
{
public:
    TimelineTrack() = default;
    // Sorts by (start, longer first, id) and computes the running arrays.
    explicit TimelineTrack(std::vector<TimelineItem> items);

    qsizetype size() const { return qsizetype(m_items.size()); }
    bool isEmpty() const { return m_items.empty(); }
    const TimelineItem &at(qsizetype i) const { return m_items[size_t(i)]; }
    const std::vector<TimelineItem> &items() const { return m_items; }
    // Largest end time of items [0, i].
    qint64 maxEndThrough(qsizetype i) const { return m_maxEnd[size_t(i)]; }
    // Failed items among [from, to).
    qsizetype failedIn(qsizetype from, qsizetype to) const;
    // The family with the most items among [from, to); ties go to the lower enum value.
    TimelineFamily dominantFamily(qsizetype from, qsizetype to) const;
    qint64 firstNs() const { return m_items.empty() ? 0 : m_items.front().startNs; }
    qint64 lastNs() const { return m_items.empty() ? 0 : m_maxEnd.back(); }
    // Bytes held, for the memory figures of the benchmark.
    qsizetype memoryBytes() const;

    // Indexes [first, last) of the items that intersect [fromNs, toNs]: everything before
    // first ends before fromNs, everything from last on starts after toNs. Items inside the
    // range that end before fromNs (short ones after a long one) may be included.
    std::pair<qsizetype, qsizetype> visibleRange(qint64 fromNs, qint64 toNs) const;

private:
    std::vector<TimelineItem> m_items;
    std::vector<qint64> m_maxEnd;
    std::vector<quint32> m_failedBefore;       // size()+1 entries
    std::vector<TimelineFamily> m_families;    // distinct families, ascending
    std::vector<quint32> m_familyBefore;       // (size()+1) × families, only when > 1 family
};

// One mark to draw: a single item (count 1) or everything that met in one pixel column.
struct TimelineBucket {
    qint64 startNs = 0;
    qint64 endNs = 0;
    qsizetype first = 0; // index of the first item in the track
    qsizetype count = 0;
    qsizetype failed = 0;
    TimelineFamily family = TimelineFamily::Other; // the most frequent family
    friend bool operator==(const TimelineBucket &, const TimelineBucket &) = default;
};

// The marks of a track for the time window [fromNs, toNs] at nsPerPixel: items that intersect
// the window, merged left to right so that a mark grows over every item starting in the
// pixel column where the mark so far ends. No two marks share a column, so a window of W
// pixels yields at most W + 1 marks whatever the item count, and each is found with binary
// searches: O(W log n).
QList<TimelineBucket> aggregate(const TimelineTrack &track, qint64 fromNs, qint64 toNs,
                                double nsPerPixel);

struct TimelineLane {
    // CollectedGroup heads the lanes of collected files (Collected), which follow the processes.
    enum class Kind { Run, Process, Thread, CollectedGroup, Collected };
    Kind kind = Kind::Process;
    qint64 processId = -1; // -1 for the run lane and the collected files
    qint64 pid = 0;
    qint64 tid = 0;        // Thread lanes
    QString title;         // "ollama (4117)", "thread 4120", a collected file's name
    QString subtitle;      // role and command line (process lanes), a collected file's path
    qint64 lifeStartNs = 0; // process lanes: when the image ran
    qint64 lifeEndNs = -1;  // -1 when its end was not seen
    bool failedEnd = false; // a non-zero exit or a signal
    bool crashed = false;   // killed by a signal
    TimelineTrack instants;
    QList<TimelineTrack> rows; // calls by nesting depth, outermost first
};

// The whole run. Lanes are grouped: each process lane is followed by its thread lanes; the
// collected files come last, under their group's lane.
struct TimelineIndex {
    qint64 runId = -1;
    qint64 durationNs = 0; // the run's length, at least the last item's end
    QList<TimelineLane> lanes;
    QStringList kinds;     // event kind texts; TimelineItem::kind indexes this
    qsizetype itemCount = 0;
    qsizetype memoryBytes() const;
    qint64 firstNs() const;
    qint64 lastNs() const;
};

// Where an item lives, for selection by id.
struct TimelineItemRef {
    int lane = -1;
    int row = -1; // -1 for the instants track
    qsizetype index = -1;
    bool isValid() const { return lane >= 0; }
};
TimelineItemRef findItem(const TimelineIndex &index, qint64 id, bool fromOutput = false);

// One row of input for buildTimelineIndex(), as the bundle's columns give it.
struct TimelineRow {
    qint64 id = -1;
    qint64 processId = -1; // -1: an event of the run as a whole
    qint64 tid = 0;
    qint64 tsNs = 0;
    qint64 durNs = 0;
    quint32 nameId = 0;
    quint16 kind = 0;
    TimelineFamily family = TimelineFamily::Other;
    quint8 flags = 0;
};

// What the builder needs of a process: the facts of its lane header.
struct TimelineProcessInfo {
    qint64 id = -1;
    qint64 pid = 0;
    QString title;
    QString subtitle;
    qint64 startNs = 0;
    qint64 endNs = -1;
    bool failedEnd = false;
    bool crashed = false;
};

// Collects rows in any order and arranges them into lanes: calls go to their thread's lane,
// stacked by nesting (a call that starts before the one above it returns goes one row
// further down, at most kTimelineMaxRows rows); loader events to their thread as instants;
// output and process events to the process lane; an event without a process to the run lane.
// The lines of collected files go to lanes of their own (addCollectedLane(), addToLane()).
class TimelineIndexBuilder
{
public:
    static constexpr int kMaxRows = 8;

    TimelineIndexBuilder(qint64 runId, const QList<TimelineProcessInfo> &processes);
    void setKinds(const QStringList &kinds) { m_index.kinds = kinds; }
    void setDurationNs(qint64 ns) { m_index.durationNs = ns; }
    void add(const TimelineRow &row);
    // A lane for the stamped lines of one collected file, after the processes under the group
    // "Collected files"; returns the lane to give addToLane().
    int addCollectedLane(const QString &title, const QString &subtitle);
    // An instant on a lane of addCollectedLane(), whatever the row's process.
    void addToLane(int lane, const TimelineRow &row);
    TimelineIndex finish();

private:
    void push(int lane, const TimelineRow &row);
    struct Pending {
        std::vector<TimelineItem> spans, instants;
    };
    int laneFor(qint64 processId, qint64 tid, bool threadLane);

    TimelineIndex m_index;
    std::vector<Pending> m_pending;
    QHash<qint64, int> m_processLane;
    QHash<QPair<qint64, qint64>, int> m_threadLane;
    int m_runLane = -1;
    int m_collectedGroupLane = -1;
    qint64 m_lastKey[2] = {-1, -1};
    int m_lastLane = -1;
};

// Time windows, in ns since run start. All keep the window inside [0 - margin, extent +
// margin] and at least minWidthNs wide.
struct TimeWindow {
    double fromNs = 0;
    double toNs = 0;
    double width() const { return toNs - fromNs; }
    friend bool operator==(const TimeWindow &, const TimeWindow &) = default;
};
inline constexpr double kTimelineMinWindowNs = 100; // 100 ns across the whole view
// The whole run with a small margin on both sides.
TimeWindow fitWindow(qint64 firstNs, qint64 lastNs);
TimeWindow clampWindow(TimeWindow window, qint64 firstNs, qint64 lastNs);
// Zooms by factor (< 1 zooms in) keeping the time under anchorNs where it is.
TimeWindow zoomWindow(TimeWindow window, double factor, double anchorNs);
TimeWindow panWindow(TimeWindow window, double fraction); // fraction of the width, + is later
// The window to show one item: unchanged when the item is in view and at least a few pixels
// wide; else centred on it, wide enough that it takes about a fifth of the view.
TimeWindow windowShowing(TimeWindow current, qint64 startNs, qint64 endNs, double pixels);

// The time ruler: a tick step of 1, 2 or 5 × 10^k ns giving about targetTicks ticks over
// widthNs, and tick labels in the unit that suits the step ("0", "250 µs", "1.5 ms", "12 s").
double timelineTickStep(double widthNs, int targetTicks);
QString formatTimelineTick(double ns, double stepNs);

} // namespace initscope
