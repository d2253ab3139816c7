// The run timeline (docs/timeline.md): one lane per process and per thread, calls as spans
// coloured by API family and stacked by nesting, library loads, output and process
// start/exit/crash as instants, failures marked in red. Wheel zooms at the cursor, dragging
// pans, + and - zoom, the arrow keys pan and scroll, Home shows the whole run; hovering shows
// the call, its arguments, result and duration, and a click selects. The index is read in the
// background; the payload of an event is read only when it is hovered or selected.
#pragma once

#include "data.h"
#include "timelineindex.h"
#include "timelinesource.h"

#include <QSharedPointer>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QCustomPlot;
class QCPRange;
class QLabel;
class QScrollBar;
class QThread;

namespace initscope
{
class BundleReader;
}

namespace initscope::ui
{

class TimelineLanes;
class TimelineTicker;

class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineWidget(QWidget *parent = nullptr);
    ~TimelineWidget() override;

    // Shows one run of reader, which must outlive this widget or the next setRun(); nullptr
    // clears the view. Reads the index in a background thread and emits loaded() when it is
    // shown (or could not be read: errorText() says why).
    void setRun(const BundleReader *reader, qint64 runId);
    qint64 runId() const { return m_runId; }
    bool isLoading() const { return m_loading; }
    QString errorText() const { return m_error; }
    std::shared_ptr<const TimelineIndex> index() const { return m_index; }
    TimelineLoadStats loadStats() const { return m_stats; }

    // The visible time window, ns since run start.
    TimeWindow window() const;
    void setWindow(TimeWindow window);
    // Lets the window reach [firstNs, lastNs] even where the run is shorter, so that two runs
    // of different lengths can share one window (the compare view). {0, 0}: the run's own.
    void setTimeExtent(qint64 firstNs, qint64 lastNs);
    // factor < 1 zooms in; around anchorNs, or the middle of the window when not given.
    void zoomBy(double factor, std::optional<double> anchorNs = std::nullopt);
    // Moves the window by a fraction of its width; positive is later.
    void panBy(double fraction);
    // Scrolls the lanes by pixels; positive shows lanes further down.
    void scrollLanesBy(int pixels);
    int lanesScroll() const;

    // The selected event's id, -1 when nothing (or an output chunk) is selected.
    qint64 selectedEventId() const;
    qint64 selectedOutputId() const;
    TimelineItemRef selectedItem() const;

    // Where an event's mark is in plot coordinates after the last paint; nothing when it is
    // not in view. With the text a hover over that point shows.
    std::optional<QPoint> pointOfEvent(qint64 eventId) const;
    QString toolTipAt(const QPoint &plotPos);

    // Paints now rather than on the next turn of the event loop.
    void redrawNow();
    QCustomPlot *plot() const { return m_plot; }
    TimelineLanes *lanes() const { return m_lanes; }

public Q_SLOTS:
    // Selects the event and brings it into view, zooming in if it would be too small to see.
    // Does not emit eventSelected(), so two views can follow each other without a loop.
    // An event of a run still loading is selected once it is shown.
    void selectEvent(qint64 eventId);
    void fitAll();
    void clearSelection();

Q_SIGNALS:
    void loaded();
    // The visible time window changed, by any means; already clamped to the run.
    void windowChanged(initscope::TimeWindow window);
    // The lanes scrolled (or the view's height changed); top is lanesScroll().
    void lanesScrolled(int top);
    // A click selected an event or an output chunk.
    void eventSelected(qint64 processId, qint64 eventId);
    void outputSelected(qint64 processId, qint64 outputId);
    // Double-click or Enter on a single event or output chunk: show it in the process views.
    void eventActivated(qint64 processId, qint64 eventId);
    void outputActivated(qint64 processId, initscope::Stream stream, int line);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct Loaded;
    void adopt(quint64 generation, const std::shared_ptr<Loaded> &result);
    void cancelLoad();
    void updateStatus();
    void onTimeRangeChanged(const QCPRange &range);
    void onLaneRangeChanged(const QCPRange &range);
    void afterLayout();
    void click(const QPoint &pos);
    void doubleClick(const QPoint &pos);
    void select(TimelineItemRef ref, bool notify);
    void activate(TimelineItemRef ref);
    void scrollToLane(int lane);
    const TimelineItem *itemOf(TimelineItemRef ref) const;
    qint64 processOf(TimelineItemRef ref) const;
    bool handleKey(QKeyEvent *event);
    void handleWheel(QWheelEvent *event);
    void requestReplot();
    void applyColors();
    qint64 firstNs() const;
    qint64 lastNs() const;

    QLabel *m_legend;
    QLabel *m_status;
    QCustomPlot *m_plot;
    QScrollBar *m_scroll;
    TimelineLanes *m_lanes;
    QSharedPointer<TimelineTicker> m_ticker;

    qint64 m_runId = -1;
    std::shared_ptr<const TimelineIndex> m_index;
    std::unique_ptr<TimelineDetails> m_details;
    TimelineLoadStats m_stats;
    QString m_error;
    bool m_loading = false;
    quint64 m_generation = 0;
    std::shared_ptr<std::atomic_bool> m_stop;
    QList<QThread *> m_workers;
    qint64 m_pendingSelection = -1;
    qint64 m_extentFirstNs = 0;
    qint64 m_extentLastNs = 0;
    QPoint m_pressPos;
    bool m_adjusting = false;
};

} // namespace initscope::ui
