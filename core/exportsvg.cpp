// The timeline picture of the HTML export (docs/export.md, "HTML"): the same lanes and marks as
// the GUI's timeline (timelinesource.h, timelineindex.h's aggregate()), drawn once for the
// whole run as inline SVG, with the diagnosis's findings as numbered lines.
#include "exportinternal.h"

#include "bundle.h"
#include "diagnosis.h"
#include "report.h"
#include "timelineindex.h"
#include "timelinesource.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace initscope::exportdetail {

namespace {

constexpr int kWidth = 1000;
constexpr int kPlotX = 240; // lane titles to the left of it
constexpr int kPlotWidth = kWidth - kPlotX - 16;
constexpr int kRulerHeight = 26;
constexpr int kMaxLanes = 48;
constexpr int kMaxRows = 4;   // nesting levels drawn per lane
constexpr int kRowHeight = 6;
constexpr int kInstantHeight = 5;

// The colours of the GUI's timeline (ui/timelineplot.cpp), so that the picture in a ticket reads
// like the window the reader may open next.
const char *familyColour(TimelineFamily family)
{
    switch (family) {
    case TimelineFamily::Driver:
        return "#1e6fc9";
    case TimelineFamily::Runtime:
        return "#7b3fb0";
    case TimelineFamily::Nvml:
        return "#00897b";
    case TimelineFamily::Loader:
        return "#e08a00";
    case TimelineFamily::Output:
        return "#757575";
    case TimelineFamily::Process:
        return "#455a64";
    case TimelineFamily::Other:
        break;
    }
    return "#9e9e9e";
}

constexpr char kFailedColour[] = "#d62728";

QString num(double v)
{
    return QString::number(std::round(v * 10) / 10, 'f', 1);
}

} // namespace

QString timelineSvg(const BundleReader &reader, const Run &run, const QList<Process> &processes,
                    const Diagnosis &diagnosis, QString *note)
{
    QList<TimelineProcessInfo> infos;
    for (const Process &p : processes) {
        TimelineProcessInfo info;
        info.id = p.id;
        info.pid = p.pid;
        info.title = QStringLiteral("%1 (%2)").arg(programName(p)).arg(p.pid);
        info.subtitle = QStringLiteral("%1 — %2").arg(commandLine(p.argv), describeEnd(p));
        info.startNs = p.startNs;
        info.endNs = p.endNs.value_or(-1);
        info.crashed = p.endReason == EndReason::Signaled;
        info.failedEnd = info.crashed || p.endReason == EndReason::Unknown ||
                         (p.endReason == EndReason::Exited && p.exitCode != 0);
        infos.append(info);
    }
    QString error;
    const std::optional<TimelineIndex> index =
        loadTimelineIndex(reader.path(), run.id, run.durationNs, infos, nullptr, &error);
    if (!index) {
        *note = error;
        return {};
    }
    const qint64 extent = std::max<qint64>({index->durationNs, index->lastNs(), 1});
    const double nsPerPixel = double(extent) / kPlotWidth;
    auto x = [&](qint64 ns) { return kPlotX + std::clamp(double(ns) / nsPerPixel, 0.0, double(kPlotWidth)); };

    auto laneHeight = [](const TimelineLane &lane) {
        const int rows = std::clamp(int(lane.rows.size()), 1, kMaxRows);
        return 8 + kInstantHeight + rows * kRowHeight + (lane.kind == TimelineLane::Kind::Process ? 4 : 0);
    };
    const int laneCount = std::min<int>(int(index->lanes.size()), kMaxLanes);
    int height = kRulerHeight + 8;
    for (int i = 0; i < laneCount; ++i)
        height += laneHeight(index->lanes[i]);

    QString svg;
    svg += QStringLiteral("<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %1 %2\" "
                          "width=\"%1\" height=\"%2\" role=\"img\" aria-label=\"timeline of run %3\">\n")
               .arg(kWidth)
               .arg(height)
               .arg(run.id);
    // The ruler.
    const double step = timelineTickStep(double(extent), 8);
    for (double t = 0; t <= double(extent) + 1e-9; t += step) {
        const double tx = x(qint64(t));
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" class=\"tick\"/>"
                              "<text x=\"%1\" y=\"14\" class=\"ticklabel\">%4</text>\n")
                   .arg(num(tx))
                   .arg(kRulerHeight - 6)
                   .arg(height)
                   .arg(html(formatTimelineTick(t, step)));
    }

    int y = kRulerHeight;
    for (int li = 0; li < laneCount; ++li) {
        const TimelineLane &lane = index->lanes[li];
        const int h = laneHeight(lane);
        const bool processLane = lane.kind == TimelineLane::Kind::Process;
        svg += QStringLiteral("<g class=\"lane%1\"><rect x=\"0\" y=\"%2\" width=\"%3\" height=\"%4\" class=\"%5\"/>")
                   .arg(processLane ? QStringLiteral(" process") : QString())
                   .arg(y)
                   .arg(kWidth)
                   .arg(h)
                   .arg(li % 2 ? QStringLiteral("band odd") : QStringLiteral("band"));
        const QString title = lane.kind == TimelineLane::Kind::Thread ? QStringLiteral("  thread %1").arg(lane.tid)
                                                                      : lane.title;
        svg += QStringLiteral("<text x=\"4\" y=\"%1\" class=\"lanelabel\">%2<title>%3</title></text>\n")
                   .arg(y + 12)
                   .arg(htmlElided(title, 34), htmlElided(lane.subtitle.isEmpty() ? lane.title : lane.subtitle, 400));
        if (processLane) {
            const qint64 end = lane.lifeEndNs >= 0 ? lane.lifeEndNs : extent;
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"3\" class=\"life%4\"/>")
                       .arg(num(x(lane.lifeStartNs)))
                       .arg(y + h - 5)
                       .arg(num(std::max(1.0, x(end) - x(lane.lifeStartNs))))
                       .arg(lane.lifeEndNs < 0 ? QStringLiteral(" unknown") : lane.failedEnd ? QStringLiteral(" failed") : QString());
            if (lane.crashed && lane.lifeEndNs >= 0) {
                const double cx = x(lane.lifeEndNs);
                svg += QStringLiteral("<path d=\"M%1 %2 l8 8 m0 -8 l-8 8\" class=\"crash\"><title>killed by a signal</title></path>")
                           .arg(num(cx - 4))
                           .arg(y + 3);
            }
        }
        // Instants (loader, output, process events) along the top of the lane.
        for (const TimelineBucket &b : aggregate(lane.instants, 0, extent, nsPerPixel)) {
            const bool failed = b.failed > 0;
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"/>")
                       .arg(num(x(b.startNs)))
                       .arg(y + 3)
                       .arg(num(std::max(1.5, x(b.endNs) - x(b.startNs))))
                       .arg(kInstantHeight)
                       .arg(QLatin1String(failed ? kFailedColour : familyColour(b.family)));
        }
        // Calls, one row per nesting level.
        for (int r = 0; r < std::min<int>(int(lane.rows.size()), kMaxRows); ++r) {
            const int ry = y + 4 + kInstantHeight + r * kRowHeight;
            for (const TimelineBucket &b : aggregate(lane.rows[r], 0, extent, nsPerPixel)) {
                const bool failed = b.failed > 0;
                svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\">")
                           .arg(num(x(b.startNs)))
                           .arg(ry)
                           .arg(num(std::max(1.0, x(b.endNs) - x(b.startNs))))
                           .arg(kRowHeight - 1)
                           .arg(QLatin1String(failed ? kFailedColour : familyColour(b.family)));
                if (failed)
                    svg += QStringLiteral("<title>%1 failed of %2 %3 calls at %4 ms</title>")
                               .arg(b.failed)
                               .arg(b.count)
                               .arg(html(timelineFamilyName(b.family)), formatMs(b.startNs));
                svg += QStringLiteral("</rect>");
            }
        }
        svg += QStringLiteral("</g>\n");
        y += h;
    }
    // The findings, numbered as in the diagnosis section.
    int rank = 0;
    for (const Finding &f : diagnosis.findings) {
        ++rank;
        const double fx = x(f.tsNs);
        const QString cls = f.severity == Severity::RootCause ? QStringLiteral("finding root") : QStringLiteral("finding");
        svg += QStringLiteral("<g class=\"%1\"><line x1=\"%2\" y1=\"%3\" x2=\"%2\" y2=\"%4\"/>"
                              "<circle cx=\"%2\" cy=\"%3\" r=\"7\"/><text x=\"%2\" y=\"%5\">%6</text>"
                              "<title>%6. %7 at %8 ms</title></g>\n")
                   .arg(cls, num(fx))
                   .arg(kRulerHeight + 1)
                   .arg(y)
                   .arg(kRulerHeight + 5)
                   .arg(rank)
                   .arg(htmlElided(f.title, 300), formatMs(f.tsNs));
    }
    svg += QStringLiteral("</svg>\n");
    if (index->lanes.size() > kMaxLanes)
        *note = QStringLiteral("%1 more lanes are not drawn; the GUI's timeline shows them all.")
                    .arg(index->lanes.size() - kMaxLanes);
    return svg;
}

} // namespace initscope::exportdetail
