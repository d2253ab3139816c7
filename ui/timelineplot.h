// What TimelineWidget draws inside its QCustomPlot: the lanes (a plottable whose key axis is
// time in ns since run start and whose value axis is the lane layout in pixels, top down),
// the lane labels beside them, and the time ruler's ticker. docs/timeline.md.
#pragma once

#include "timelineindex.h"

#include <qcustomplot.h>

#include <QColor>
#include <QList>

#include <memory>
#include <vector>

namespace initscope
{
class TimelineDetails;
}

namespace initscope::ui
{

QColor timelineFamilyColor(TimelineFamily family);

// Where each lane sits, in pixels from the top of the content. Pure arithmetic: drawing,
// hit tests and scrolling share it.
struct TimelineLaneGeometry {
    int top = 0;
    int height = 0;
    int instantsTop = 0; // relative to top
    int instantsHeight = 0;
    int rowsTop = 0;     // relative to top
    int rowCount = 0;
};

class TimelineLayout
{
public:
    static constexpr int kProcessHeight = 40;
    static constexpr int kInstantsHeight = 12;
    static constexpr int kRowHeight = 18;
    static constexpr int kGap = 3;

    void setIndex(const TimelineIndex *index);
    int laneCount() const { return int(m_lanes.size()); }
    const TimelineLaneGeometry &lane(int lane) const { return m_lanes[size_t(lane)]; }
    int contentHeight() const { return m_height; }
    // The lane at content y, -1 for none (a gap or past the end).
    int laneAt(double y) const;
    // The track of a lane at content y: -1 instants, 0… rows; -2 for none.
    int trackAt(int lane, double y) const;

private:
    std::vector<TimelineLaneGeometry> m_lanes;
    int m_height = 0;
};

// The ticks of the ruler: 1, 2 or 5 × 10^k ns, labelled in µs, ms or s as suits the values.
class TimelineTicker : public QCPAxisTicker
{
protected:
    double getTickStep(const QCPRange &range) override;
    int getSubTickCount(double tickStep) override;
    QString getTickLabel(double tick, const QLocale &locale, QChar formatChar, int precision) override;

private:
    double m_step = 1;
};

class TimelineLanes : public QCPAbstractPlottable
{
    Q_OBJECT
public:
    TimelineLanes(QCPAxis *timeAxis, QCPAxis *laneAxis);

    // details resolves names for labels; both may be null (nothing is drawn).
    void setIndex(std::shared_ptr<const TimelineIndex> index, TimelineDetails *details);
    const TimelineLayout &layout() const { return m_layout; }
    void setSelectedItem(TimelineItemRef ref) { m_selected = ref; }
    TimelineItemRef selectedItem() const { return m_selected; }
    // Width of the label column left of the time axis.
    static constexpr int kLabelWidth = 250;

    // What is under a point of the plot, from the marks of the last paint.
    struct Hit {
        int lane = -1;
        int row = -1; // -1 instants
        TimelineBucket bucket;
        QRectF rect;
        bool isValid() const { return lane >= 0; }
    };
    Hit hitAt(const QPointF &pos) const;
    // Marks drawn in the last paint, for the benchmark and tests.
    qsizetype lastMarkCount() const { return m_lastMarkCount; }

    double selectTest(const QPointF &pos, bool onlySelectable, QVariant *details = nullptr) const override;
    QCPRange getKeyRange(bool &foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool &foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange &inKeyRange = QCPRange()) const override;

protected:
    QRect clipRect() const override;
    void draw(QCPPainter *painter) override;
    void drawLegendIcon(QCPPainter *painter, const QRectF &rect) const override;

private:
    struct Band {
        int lane;
        int row;
        QRectF rect;
        QList<TimelineBucket> buckets;
    };
    void drawLane(QCPPainter *painter, int lane, double y, const QRect &area);
    void drawSpans(QCPPainter *painter, const TimelineLane &lane, int laneIndex, int row,
                   const QRectF &band);
    void drawInstants(QCPPainter *painter, const TimelineLane &lane, int laneIndex,
                      const QRectF &band);
    void drawLabels(QCPPainter *painter, const QRect &area, double yTop);
    void drawSelection(QCPPainter *painter, const QRect &area, double yTop);
    double xOf(double ns) const;

    std::shared_ptr<const TimelineIndex> m_index;
    TimelineDetails *m_details = nullptr;
    TimelineLayout m_layout;
    TimelineItemRef m_selected;
    // Visible window of the current paint.
    qint64 m_fromNs = 0, m_toNs = 0;
    double m_nsPerPixel = 1;
    std::vector<Band> m_bands;
    qsizetype m_lastMarkCount = 0;
};

} // namespace initscope::ui
