// Two runs side by side (docs/diff.md): a summary of every difference, the aligned call
// sequence with the differing steps tinted, and the two runs' timelines, A above B, on one
// time axis (ns since each run's start) that pans and zooms as one. Selecting a step selects
// its two calls in the timelines and a click in a timeline selects its step; "first
// divergence" / next / previous difference move the selection between differing steps.
#pragma once

#include "rundiff.h"

#include <QWidget>

#include <memory>

class QLabel;
class QSplitter;
class QTableView;
class QTextBrowser;

namespace initscope::ui
{

class CompareModel;
class TimelineWidget;

class CompareView : public QWidget
{
    Q_OBJECT
public:
    explicit CompareView(QWidget *parent = nullptr);
    ~CompareView() override;

    // The diff of run runA of readerA and run runB of readerB, with their timelines; the view
    // keeps the readers (one reader may serve both sides). They must belong to this thread.
    void setRuns(std::shared_ptr<const BundleReader> readerA, qint64 runA,
                 std::shared_ptr<const BundleReader> readerB, qint64 runB, const RunDiff &diff);
    // The summary and the aligned calls only, without timelines.
    void setDiff(const RunDiff &diff);

    CompareModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QTextBrowser *summaryView() const { return m_summary; }
    TimelineWidget *timelineA() const { return m_timelineA; }
    TimelineWidget *timelineB() const { return m_timelineB; }
    // Both timelines read and following each other (false while reading, or without runs).
    bool timelinesReady() const;
    // The lanes of A and B scroll together: both runs have the same processes and threads.
    bool lanesFollow() const { return m_lanesFollow; }

public Q_SLOTS:
    void goToFirstDivergence();
    void goToNextDifference();
    void goToPreviousDifference();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    // Both timelines have been read and share one window.
    void timelinesLoaded();

private:
    void showDiff(const RunDiff &diff);
    void selectRow(int row);
    void showRowInTimelines(int row);
    void followSelection(TimelineWidget *from, qint64 eventId);
    void followWindow(TimelineWidget *from);
    void followLanes(TimelineWidget *from);
    void onTimelineLoaded();
    void fitTimelinesToLanes();
    // "A  label  step 11: call at 7.619 ms → result", or that the side did not make it.
    void updateSideLabels();

    QLabel *m_title;
    QTextBrowser *m_summary;
    CompareModel *m_model;
    QTableView *m_view;
    QSplitter *m_splitter;
    QWidget *m_timelines;
    QSplitter *m_sides;
    QLabel *m_labelA, *m_labelB;
    TimelineWidget *m_timelineA, *m_timelineB;
    std::shared_ptr<const BundleReader> m_readerA, m_readerB;
    bool m_lanesFollow = false;
    // Set while this view moves a timeline or the table itself, so that what it moves does
    // not move the others back (or again).
    bool m_syncing = false;
};

} // namespace initscope::ui
