#include "timelineplot.h"

#include "displaytext.h"
#include "format.h"

#include "theme.h"
#include "timelinesource.h"

#include <QFontMetrics>
#include <QPalette>

#include <algorithm>
#include <cmath>

namespace initscope::ui
{

QColor timelineFamilyColor(TimelineFamily family)
{
    switch (family) {
    case TimelineFamily::Driver:
        return QColor(0x1e, 0x6f, 0xc9);
    case TimelineFamily::Runtime:
        return QColor(0x7b, 0x3f, 0xb0);
    case TimelineFamily::Nvml:
        return QColor(0x00, 0x89, 0x7b);
    case TimelineFamily::Loader:
        return QColor(0xe0, 0x8a, 0x00);
    case TimelineFamily::Output:
        return QColor(0x75, 0x75, 0x75);
    case TimelineFamily::Process:
        return QColor(0x45, 0x5a, 0x64);
    case TimelineFamily::Other:
        break;
    }
    return QColor(0x9e, 0x9e, 0x9e);
}

// ---------------------------------------------------------------------------------------------
// TimelineLayout

namespace
{

// A process, the run, the group of collected files: shaded, with a bold title and a subtitle.
bool isHeaderLane(const TimelineLane &lane)
{
    return lane.kind != TimelineLane::Kind::Thread && lane.kind != TimelineLane::Kind::Collected;
}

// A lane's title or subtitle as drawn: escaped, as every string of a bundle is shown. Process
// lanes come cut to a cell's length already (timelinewidget.cpp); the higher limit here leaves
// them as they are and bounds a collected file's name.
QString laneText(const QString &text)
{
    return display::elide(text, 2 * kCellChars);
}

} // namespace

void TimelineLayout::setIndex(const TimelineIndex *index)
{
    m_lanes.clear();
    m_height = 0;
    if (!index)
        return;
    int y = 0;
    for (const TimelineLane &lane : index->lanes) {
        TimelineLaneGeometry g;
        g.top = y;
        if (lane.kind == TimelineLane::Kind::Thread) {
            g.instantsTop = 2;
            g.instantsHeight = kInstantsHeight;
            g.rowsTop = g.instantsTop + g.instantsHeight;
            g.rowCount = std::max(1, int(lane.rows.size()));
            g.height = g.rowsTop + g.rowCount * kRowHeight + 2;
        } else if (lane.kind == TimelineLane::Kind::Collected) {
            // One strip of line ticks, as high as a row of calls, the file name beside it.
            g.instantsTop = (kRowHeight - kInstantsHeight) / 2;
            g.instantsHeight = kInstantsHeight;
            g.rowsTop = g.instantsTop + g.instantsHeight;
            g.rowCount = 0;
            g.height = kRowHeight;
        } else {
            // The process lane: its lifetime bar with start, exit and output marks on it.
            g.instantsTop = kProcessHeight - kInstantsHeight - 8;
            g.instantsHeight = kInstantsHeight;
            g.rowsTop = g.instantsTop + g.instantsHeight;
            g.rowCount = 0;
            g.height = kProcessHeight;
        }
        m_lanes.push_back(g);
        y += g.height + kGap;
    }
    m_height = y;
}

int TimelineLayout::laneAt(double y) const
{
    const auto it = std::upper_bound(m_lanes.begin(), m_lanes.end(), y,
                                     [](double v, const TimelineLaneGeometry &g) { return v < g.top; });
    if (it == m_lanes.begin())
        return -1;
    const auto &g = *(it - 1);
    return y < g.top + g.height ? int(it - 1 - m_lanes.begin()) : -1;
}

int TimelineLayout::trackAt(int lane, double y) const
{
    if (lane < 0 || lane >= laneCount())
        return -2;
    const TimelineLaneGeometry &g = m_lanes[size_t(lane)];
    const double local = y - g.top;
    if (local >= g.instantsTop && local < g.instantsTop + g.instantsHeight)
        return -1;
    if (g.rowCount > 0 && local >= g.rowsTop && local < g.rowsTop + g.rowCount * kRowHeight)
        return int((local - g.rowsTop) / kRowHeight);
    return -2;
}

// ---------------------------------------------------------------------------------------------
// TimelineTicker

double TimelineTicker::getTickStep(const QCPRange &range)
{
    m_step = timelineTickStep(range.size(), std::max(2, tickCount()));
    return m_step;
}

int TimelineTicker::getSubTickCount(double tickStep)
{
    const double mantissa = tickStep / std::pow(10.0, std::floor(std::log10(tickStep)));
    return std::lround(mantissa) == 2 ? 3 : 4;
}

QString TimelineTicker::getTickLabel(double tick, const QLocale &, QChar, int)
{
    return formatTimelineTick(tick, m_step);
}

// ---------------------------------------------------------------------------------------------
// TimelineLanes

TimelineLanes::TimelineLanes(QCPAxis *timeAxis, QCPAxis *laneAxis)
    : QCPAbstractPlottable(timeAxis, laneAxis)
{
    setSelectable(QCP::stNone);
    setAntialiasedFill(false);
}

void TimelineLanes::setIndex(std::shared_ptr<const TimelineIndex> index, TimelineDetails *details)
{
    m_index = std::move(index);
    m_details = details;
    m_layout.setIndex(m_index.get());
    m_selected = {};
    m_bands.clear();
}

double TimelineLanes::selectTest(const QPointF &, bool, QVariant *) const
{
    // Clicks and hovers are answered by hitAt(); QCustomPlot's own selection stays out, so
    // that a press anywhere starts a drag of the axis rect.
    return -1;
}

QCPRange TimelineLanes::getKeyRange(bool &foundRange, QCP::SignDomain) const
{
    foundRange = m_index != nullptr;
    if (!m_index)
        return {};
    return QCPRange(double(m_index->firstNs()), double(m_index->lastNs()));
}

QCPRange TimelineLanes::getValueRange(bool &foundRange, QCP::SignDomain, const QCPRange &) const
{
    foundRange = true;
    return QCPRange(0, std::max(1, m_layout.contentHeight()));
}

QRect TimelineLanes::clipRect() const
{
    // The label column lies left of the axis rect.
    const QRect rect = keyAxis()->axisRect()->rect();
    return QRect(0, rect.top(), rect.right() + 1, rect.height());
}

void TimelineLanes::drawLegendIcon(QCPPainter *, const QRectF &) const {}

double TimelineLanes::xOf(double ns) const
{
    return keyAxis()->coordToPixel(ns);
}

void TimelineLanes::draw(QCPPainter *painter)
{
    m_bands.clear();
    m_lastMarkCount = 0;
    if (!m_index || !keyAxis() || !valueAxis())
        return;
    const QRect area = keyAxis()->axisRect()->rect();
    const QCPRange time = keyAxis()->range();
    m_fromNs = qint64(std::floor(time.lower));
    m_toNs = qint64(std::ceil(time.upper));
    m_nsPerPixel = time.size() / std::max(1, area.width());
    const double yTop = valueAxis()->range().lower;

    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->save();
    painter->setClipRect(area);
    for (int l = 0; l < m_layout.laneCount(); ++l) {
        const TimelineLaneGeometry &g = m_layout.lane(l);
        const double y = area.top() + g.top - yTop;
        if (y > area.bottom() || y + g.height < area.top())
            continue;
        drawLane(painter, l, y, area);
    }
    drawSelection(painter, area, yTop);
    painter->restore();
    drawLabels(painter, area, yTop);
}

void TimelineLanes::drawLane(QCPPainter *painter, int laneIndex, double y, const QRect &area)
{
    const TimelineLane &lane = m_index->lanes.at(laneIndex);
    const TimelineLaneGeometry &g = m_layout.lane(laneIndex);
    const QPalette palette = parentPlot()->palette();
    if (isHeaderLane(lane)) {
        painter->fillRect(QRectF(area.left(), y, area.width(), g.height), palette.alternateBase());
        // Lifetime: from start to end, or faint to the end of the run when no end was seen.
        const double start = std::max(xOf(double(lane.lifeStartNs)), area.left() - 2.0);
        const double end = std::min(
            xOf(double(lane.lifeEndNs >= 0 ? lane.lifeEndNs : m_index->durationNs)), area.right() + 2.0);
        if (lane.kind == TimelineLane::Kind::Process && end > start) {
            QColor bar = lane.failedEnd ? theme::failure() : timelineFamilyColor(TimelineFamily::Process);
            bar.setAlpha(lane.lifeEndNs >= 0 ? 60 : 30);
            const double barY = y + g.instantsTop + g.instantsHeight / 2.0 - 3;
            painter->fillRect(QRectF(start, barY, std::max(end - start, 1.0), 6), bar);
        }
    }
    // A line under each lane, a stronger one above each process.
    const double bottom = y + g.height + TimelineLayout::kGap / 2.0;
    painter->setPen(QPen(palette.color(QPalette::Midlight), 0));
    painter->drawLine(QPointF(area.left(), bottom), QPointF(area.right(), bottom));
    if (isHeaderLane(lane)) {
        painter->setPen(QPen(palette.color(QPalette::Mid), 0));
        painter->drawLine(QPointF(area.left(), y - 1), QPointF(area.right(), y - 1));
    }
    drawInstants(painter, lane, laneIndex,
                 QRectF(area.left(), y + g.instantsTop, area.width(), g.instantsHeight));
    for (int r = 0; r < lane.rows.size(); ++r)
        drawSpans(painter, lane, laneIndex, r,
                  QRectF(area.left(), y + g.rowsTop + r * TimelineLayout::kRowHeight, area.width(),
                         TimelineLayout::kRowHeight));
}

void TimelineLanes::drawSpans(QCPPainter *painter, const TimelineLane &lane, int laneIndex, int row,
                              const QRectF &band)
{
    const TimelineTrack &track = lane.rows.at(row);
    Band b{laneIndex, row, band, aggregate(track, m_fromNs, m_toNs, m_nsPerPixel)};
    m_lastMarkCount += b.buckets.size();
    const double top = band.top() + 1, height = band.height() - 2;
    const QColor failure = theme::failure();
    QFont font = parentPlot()->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    const QFontMetrics fm(font);
    painter->setFont(font);
    for (const TimelineBucket &bucket : std::as_const(b.buckets)) {
        double x0 = std::max(xOf(double(bucket.startNs)), band.left() - 2);
        double x1 = std::min(xOf(double(bucket.endNs)), band.right() + 2);
        if (x1 - x0 < 1)
            x1 = x0 + 1;
        const QRectF r(x0, top, x1 - x0, height);
        if (bucket.failed > 0 && bucket.count == 1 && r.width() < 6) {
            // A failed call too narrow for a frame: red altogether, at least 3 px wide.
            painter->fillRect(QRectF(x0 - 1, top, r.width() + 2, height), failure);
        } else {
            painter->fillRect(r, timelineFamilyColor(bucket.family));
        }
        if (bucket.failed > 0 && (bucket.count > 1 || r.width() >= 6)) {
            // A red cap on a mark that holds a failure, at least 3 px wide, and a red frame
            // on a failed call.
            const double capWidth = std::max(r.width(), 3.0);
            painter->fillRect(QRectF(x0 + (r.width() - capWidth) / 2, top, capWidth, 4), failure);
            if (bucket.count == 1) {
                painter->setPen(QPen(failure, 2));
                painter->drawRect(r.adjusted(1, 1, -1, -1));
            }
        }
        if (r.width() < 40)
            continue;
        QString text;
        if (bucket.count == 1)
            text = m_details ? m_details->string(track.at(bucket.first).nameId) : QString();
        else
            text = QStringLiteral("%1 calls").arg(bucket.count);
        const double visibleLeft = std::max(x0, band.left());
        const double width = std::min(x1, band.right()) - visibleLeft - 6;
        if (text.isEmpty() || width < 20)
            continue;
        painter->setPen(Qt::white);
        painter->drawText(QRectF(visibleLeft + 3, top, width, height), Qt::AlignVCenter | Qt::AlignLeft,
                          fm.elidedText(text, Qt::ElideRight, int(width)));
    }
    m_bands.push_back(std::move(b));
}

void TimelineLanes::drawInstants(QCPPainter *painter, const TimelineLane &lane, int laneIndex,
                                 const QRectF &band)
{
    const TimelineTrack &track = lane.instants;
    if (track.isEmpty())
        return;
    // A mark is a few pixels wide: take in what lies just outside the window too.
    const qint64 pad = qint64(std::ceil(m_nsPerPixel * 4));
    Band b{laneIndex, -1, band, aggregate(track, m_fromNs - pad, m_toNs + pad, m_nsPerPixel)};
    m_lastMarkCount += b.buckets.size();
    const QColor failure = theme::failure();
    const double mid = band.center().y();
    for (const TimelineBucket &bucket : std::as_const(b.buckets)) {
        const double x = xOf(double(bucket.startNs));
        const double x1 = std::max(xOf(double(bucket.endNs)), x + 1);
        if (bucket.count > 1) {
            const QColor c = bucket.failed > 0 ? failure : timelineFamilyColor(bucket.family);
            painter->fillRect(QRectF(x - 1, band.top() + 1, x1 - x + 2, band.height() - 2), c);
            continue;
        }
        const TimelineItem &item = track.at(bucket.first);
        const QString &kind = m_index->kinds.value(item.kind);
        painter->setRenderHint(QPainter::Antialiasing, true);
        switch (item.family) {
        case TimelineFamily::Process: {
            const double h = band.height() / 2 - 1;
            if (item.flags & TimelineCrash) {
                painter->setPen(QPen(failure, 2.5));
                painter->drawLine(QPointF(x - h, mid - h), QPointF(x + h, mid + h));
                painter->drawLine(QPointF(x - h, mid + h), QPointF(x + h, mid - h));
            } else if (kind == QLatin1String("process.start")) {
                const QPointF tri[] = {{x, mid - h}, {x + h * 1.4, mid}, {x, mid + h}};
                painter->setPen(Qt::NoPen);
                painter->setBrush(theme::success());
                painter->drawPolygon(tri, 3);
            } else if (kind == QLatin1String("process.exit")) {
                painter->fillRect(QRectF(x - h, mid - h, 2 * h, 2 * h),
                                  item.failed() ? failure : timelineFamilyColor(TimelineFamily::Process));
            } else {
                const QPointF diamond[] = {{x, mid - h}, {x + h, mid}, {x, mid + h}, {x - h, mid}};
                painter->setPen(Qt::NoPen);
                painter->setBrush(timelineFamilyColor(TimelineFamily::Process));
                painter->drawPolygon(diamond, 4);
            }
            break;
        }
        case TimelineFamily::Output: {
            const bool err = item.flags & TimelineStderr;
            const QColor c = err ? theme::stderrText() : timelineFamilyColor(TimelineFamily::Output);
            painter->fillRect(QRectF(x - 1, band.top() + (err ? 0 : 2), 2, band.height() - (err ? 0 : 4)), c);
            break;
        }
        default: {
            const QColor c = item.failed() ? failure : timelineFamilyColor(item.family);
            const QPointF tri[] = {{x - 4, band.top() + 1}, {x + 4, band.top() + 1}, {x, band.bottom() - 1}};
            painter->setPen(Qt::NoPen);
            painter->setBrush(c);
            painter->drawPolygon(tri, 3);
            break;
        }
        }
        painter->setRenderHint(QPainter::Antialiasing, false);
    }
    painter->setBrush(Qt::NoBrush);
    m_bands.push_back(std::move(b));
}

void TimelineLanes::drawSelection(QCPPainter *painter, const QRect &area, double yTop)
{
    if (!m_selected.isValid() || m_selected.lane >= m_layout.laneCount())
        return;
    const TimelineLane &lane = m_index->lanes.at(m_selected.lane);
    const TimelineTrack &track = m_selected.row < 0 ? lane.instants : lane.rows.at(m_selected.row);
    if (m_selected.index >= track.size())
        return;
    const TimelineItem &item = track.at(m_selected.index);
    const TimelineLaneGeometry &g = m_layout.lane(m_selected.lane);
    const double y = area.top() + g.top - yTop
                     + (m_selected.row < 0 ? g.instantsTop : g.rowsTop + m_selected.row * TimelineLayout::kRowHeight);
    const double h = m_selected.row < 0 ? g.instantsHeight : TimelineLayout::kRowHeight;
    double x0 = xOf(double(item.startNs)), x1 = xOf(double(item.endNs));
    if (x1 - x0 < 8) {
        const double c = (x0 + x1) / 2;
        x0 = c - 4;
        x1 = c + 4;
    }
    const QPalette palette = parentPlot()->palette();
    painter->setBrush(Qt::NoBrush);
    painter->setPen(QPen(palette.color(QPalette::Base), 4));
    painter->drawRect(QRectF(x0 - 2, y - 1, x1 - x0 + 4, h + 2));
    painter->setPen(QPen(palette.color(QPalette::Text), 2));
    painter->drawRect(QRectF(x0 - 2, y - 1, x1 - x0 + 4, h + 2));
}

void TimelineLanes::drawLabels(QCPPainter *painter, const QRect &area, double yTop)
{
    const QRect column(0, area.top(), area.left(), area.height());
    const QPalette palette = parentPlot()->palette();
    painter->save();
    painter->setClipRect(column);
    painter->fillRect(column, palette.window());
    QFont bold = parentPlot()->font();
    bold.setBold(true);
    const QFont normal = parentPlot()->font();
    QFont small = normal;
    small.setPointSizeF(normal.pointSizeF() * 0.85);
    const int width = column.width() - 12;
    for (int l = 0; l < m_layout.laneCount(); ++l) {
        const TimelineLaneGeometry &g = m_layout.lane(l);
        const double y = area.top() + g.top - yTop;
        if (y > area.bottom() || y + g.height < area.top())
            continue;
        const TimelineLane &lane = m_index->lanes.at(l);
        if (!isHeaderLane(lane)) {
            painter->setFont(normal);
            painter->setPen(palette.color(QPalette::Text));
            const QRectF r = lane.kind == TimelineLane::Kind::Collected
                                 ? QRectF(18, y, width - 12, g.height)
                                 : QRectF(18, y + g.rowsTop, width - 12,
                                          std::min(g.rowCount, 2) * TimelineLayout::kRowHeight);
            painter->drawText(r, Qt::AlignLeft | Qt::AlignVCenter,
                              elideKeepingNote(QFontMetrics(normal), laneText(lane.title), Qt::ElideRight, int(r.width())));
            continue;
        }
        painter->fillRect(QRectF(0, y, column.width(), g.height), palette.alternateBase());
        painter->setPen(QPen(palette.color(QPalette::Mid), 0));
        painter->drawLine(QPointF(0, y - 1), QPointF(column.width(), y - 1));
        painter->setFont(bold);
        painter->setPen(lane.failedEnd ? theme::failure() : palette.color(QPalette::Text));
        painter->drawText(QRectF(6, y + 3, width, 17), Qt::AlignLeft | Qt::AlignVCenter,
                          elideKeepingNote(QFontMetrics(bold), laneText(lane.title), Qt::ElideRight, width));
        painter->setFont(small);
        painter->setPen(theme::muted());
        painter->drawText(QRectF(6, y + 20, width, 16), Qt::AlignLeft | Qt::AlignVCenter,
                          elideKeepingNote(QFontMetrics(small), laneText(lane.subtitle), Qt::ElideMiddle, width));
    }
    painter->setPen(QPen(palette.color(QPalette::Mid), 0));
    painter->drawLine(QPointF(column.right() + 0.5, column.top()), QPointF(column.right() + 0.5, column.bottom()));
    painter->restore();
}

TimelineLanes::Hit TimelineLanes::hitAt(const QPointF &pos) const
{
    Hit hit;
    if (!m_index)
        return hit;
    for (const Band &band : m_bands) {
        if (pos.y() < band.rect.top() || pos.y() >= band.rect.bottom())
            continue;
        const double tolerance = band.row < 0 ? 4 : 2;
        double best = tolerance + 1;
        for (const TimelineBucket &b : band.buckets) {
            const double x0 = keyAxis()->coordToPixel(double(b.startNs));
            const double x1 = std::max(keyAxis()->coordToPixel(double(b.endNs)), x0 + 1);
            if (x0 - tolerance > pos.x())
                break;
            const double distance = pos.x() < x0 ? x0 - pos.x() : (pos.x() > x1 ? pos.x() - x1 : 0);
            if (distance < best) {
                best = distance;
                hit.lane = band.lane;
                hit.row = band.row;
                hit.bucket = b;
                hit.rect = QRectF(x0, band.rect.top(), x1 - x0, band.rect.height());
            }
        }
        if (hit.isValid())
            return hit;
    }
    return hit;
}

} // namespace initscope::ui
