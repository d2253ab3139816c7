#include "compareview.h"

#include "bundle.h"
#include "comparemodel.h"
#include "format.h"
#include "theme.h"
#include "timelineplot.h"
#include "timelinewidget.h"
#include "viewsetup.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace initscope::ui
{

namespace
{

QString listHtml(const QString &title, const QStringList &lines)
{
    if (lines.isEmpty())
        return QString();
    QString html =
        QStringLiteral("<p style=\"margin:6px 0 2px 0\"><b>%1</b> (%2)</p><ul style=\"margin:0\">")
            .arg(title.toHtmlEscaped())
            .arg(lines.size());
    for (int i = 0; i < lines.size() && i < 25; ++i)
        html += QStringLiteral("<li>%1</li>").arg(htmlText(lines[i]));
    if (lines.size() > 25)
        html += QStringLiteral("<li>… %1 more</li>").arg(lines.size() - 25);
    return html + QStringLiteral("</ul>");
}

QString summaryHtml(const RunDiff &d)
{
    QString html = QStringLiteral("<p><b>A</b> %1<br><b>B</b> %2</p>")
                       .arg(htmlText(d.labelA), htmlText(d.labelB));
    if (d.equivalent())
        return html + QStringLiteral("<p style=\"color:%1\"><b>Equivalent</b>: the same processes, "
                                     "calls, results, libraries, "
                                     "environment, output and diagnosis.</p>")
                          .arg(theme::success().name());
    if (d.first)
        html +=
            QStringLiteral("<p><b style=\"color:%1\">First divergence</b> %2: %3 in A, %4 in B</p>")
                .arg(theme::failure().name(), htmlText(d.first->call),
                     htmlText(d.first->eventA >= 0 ? d.first->resultA : QStringLiteral("not made")),
                     htmlText(d.first->eventB >= 0 ? d.first->resultB : QStringLiteral("not made")));
    html += QStringLiteral("<p>%1 calls aligned and equal, %2 different.</p>")
                .arg(d.alignedCalls)
                .arg(d.calls.size());
    if (d.diagnosisA != d.diagnosisB)
        html += QStringLiteral("<p><b>Diagnosis</b><br>A: %1<br>B: %2</p>")
                    .arg(htmlText(d.diagnosisA), htmlText(d.diagnosisB));
    html += listHtml(QStringLiteral("Environment"), d.environment);
    html += listHtml(QStringLiteral("Config"), d.config);
    html += listHtml(QStringLiteral("Libraries"), d.libraries);
    html += listHtml(QStringLiteral("Resolved in A only"), d.resolverOnlyA);
    html += listHtml(QStringLiteral("Resolved in B only"), d.resolverOnlyB);
    html += listHtml(QStringLiteral("Output only in A"), d.outputOnlyA);
    html += listHtml(QStringLiteral("Output only in B"), d.outputOnlyB);
    return html;
}

struct Span {
    qint64 startNs = 0, endNs = 0;
};

// Where an event of the timeline's run lies, once the timeline is read.
std::optional<Span> spanOf(const TimelineWidget *timeline, qint64 eventId)
{
    const std::shared_ptr<const TimelineIndex> index = timeline->index();
    if (!index || eventId < 0)
        return std::nullopt;
    const TimelineItemRef ref = findItem(*index, eventId);
    if (!ref.isValid())
        return std::nullopt;
    const TimelineLane &lane = index->lanes.at(ref.lane);
    const TimelineItem &item = (ref.row < 0 ? lane.instants : lane.rows.at(ref.row)).at(ref.index);
    return Span{item.startNs, std::max(item.endNs, item.startNs)};
}

// The window that shows the calls of one step (either may be missing), centred between them:
// zoomed as far as selecting either alone would zoom, and wide enough for both.
TimeWindow windowShowingBoth(TimeWindow current, const std::optional<Span> &a,
                             const std::optional<Span> &b, double pixels)
{
    double width = std::numeric_limits<double>::infinity();
    double start = std::numeric_limits<double>::infinity();
    double end = -std::numeric_limits<double>::infinity();
    for (const std::optional<Span> &span : {a, b}) {
        if (!span)
            continue;
        width = std::min(width, windowShowing(current, span->startNs, span->endNs, pixels).width());
        start = std::min(start, double(span->startNs));
        end = std::max(end, double(span->endNs));
    }
    if (!std::isfinite(width))
        return current;
    width = std::max(width, (end - start) * 1.25);
    const double centre = (start + end) / 2;
    return {centre - width / 2, centre + width / 2};
}

// The lanes of two runs correspond one to one when both have the same processes and threads
// in the same order; only then does scrolling one to a lane mean the same lane of the other.
bool sameLanes(const TimelineIndex &a, const TimelineIndex &b)
{
    if (a.lanes.size() != b.lanes.size())
        return false;
    for (qsizetype i = 0; i < a.lanes.size(); ++i)
        if (a.lanes[i].kind != b.lanes[i].kind)
            return false;
    return true;
}

QLabel *sideLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextFormat(Qt::RichText);
    label->setContentsMargins(6, 4, 6, 0);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_summary(new QTextBrowser(this)),
      m_model(new CompareModel(this)), m_view(new QTableView(this)),
      m_splitter(new QSplitter(Qt::Vertical, this)), m_timelines(new QWidget(this)),
      m_sides(new QSplitter(Qt::Vertical, m_timelines)), m_labelA(sideLabel(m_timelines)),
      m_labelB(sideLabel(m_timelines)), m_timelineA(new TimelineWidget(m_timelines)),
      m_timelineB(new TimelineWidget(m_timelines))
{
    m_summary->setOpenLinks(false);
    m_summary->setFrameShape(QFrame::NoFrame);
    m_summary->installEventFilter(this);
    setupTableView(m_view);
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_timelineA->setObjectName(QStringLiteral("compareTimelineA"));
    m_timelineB->setObjectName(QStringLiteral("compareTimelineB"));

    auto *first = new QPushButton(QStringLiteral("First divergence"), this);
    auto *previous = new QPushButton(QStringLiteral("Previous difference"), this);
    auto *next = new QPushButton(QStringLiteral("Next difference"), this);
    // Shortcuts of their own rather than the buttons': a button's shortcut clicks it later and
    // takes the keyboard away from the list or timeline it was pressed in.
    const struct {
        QPushButton *button;
        QKeySequence keys;
        void (CompareView::*slot)();
    } actions[] = {{first, QKeySequence(Qt::ControlModifier | Qt::Key_Home),
                    &CompareView::goToFirstDivergence},
                   {previous, QKeySequence(Qt::ShiftModifier | Qt::Key_F8),
                    &CompareView::goToPreviousDifference},
                   {next, QKeySequence(Qt::Key_F8), &CompareView::goToNextDifference}};
    for (const auto &action : actions) {
        action.button->setToolTip(action.keys.toString(QKeySequence::NativeText));
        action.button->setFocusPolicy(Qt::TabFocus);
        connect(action.button, &QPushButton::clicked, this, action.slot);
        auto *shortcut = new QShortcut(action.keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, action.slot);
    }

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 4);
    bar->addWidget(m_title, 1);
    bar->addWidget(first);
    bar->addWidget(previous);
    bar->addWidget(next);

    auto *calls = new QWidget(this);
    auto *callsLayout = new QVBoxLayout(calls);
    callsLayout->setContentsMargins(0, 0, 0, 0);
    callsLayout->addLayout(bar);
    callsLayout->addWidget(m_view);

    // What differs (summary) beside where (the aligned calls), and when (the timelines) below.
    auto *top = new QSplitter(Qt::Horizontal, this);
    top->setChildrenCollapsible(false);
    top->addWidget(m_summary);
    top->addWidget(calls);
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 5);
    top->setSizes({380, 1020});

    m_sides->setChildrenCollapsible(false);
    for (const auto &[label, timeline] :
         {std::pair{m_labelA, m_timelineA}, std::pair{m_labelB, m_timelineB}}) {
        auto *side = new QWidget(m_sides);
        auto *sideLayout = new QVBoxLayout(side);
        sideLayout->setContentsMargins(0, 0, 0, 0);
        sideLayout->setSpacing(0);
        sideLayout->addWidget(label);
        sideLayout->addWidget(timeline, 1);
        m_sides->addWidget(side);
    }
    auto *timelinesLayout = new QVBoxLayout(m_timelines);
    timelinesLayout->setContentsMargins(0, 0, 0, 0);
    timelinesLayout->addWidget(m_sides);

    m_splitter->setChildrenCollapsible(false);
    m_splitter->addWidget(top);
    m_splitter->addWidget(m_timelines);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    m_timelines->hide();
    // The aligned calls have the keyboard first: arrows walk the steps, F8 the differences.
    m_view->setFocus();
    setTabOrder(m_view, m_summary);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_splitter);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                updateSideLabels();
                if (!m_syncing && current.isValid())
                    showRowInTimelines(current.row());
            });
    theme::onPaletteChange(m_labelA, [this] { updateSideLabels(); });
    for (TimelineWidget *timeline : {m_timelineA, m_timelineB}) {
        connect(timeline, &TimelineWidget::loaded, this, &CompareView::onTimelineLoaded);
        connect(timeline, &TimelineWidget::windowChanged, this,
                [this, timeline] { followWindow(timeline); });
        connect(timeline, &TimelineWidget::lanesScrolled, this,
                [this, timeline] { followLanes(timeline); });
        connect(timeline, &TimelineWidget::eventSelected, this,
                [this, timeline](qint64, qint64 eventId) { followSelection(timeline, eventId); });
    }
}

bool CompareView::eventFilter(QObject *watched, QEvent *event)
{
    // The summary's own Ctrl+Home (to the top of its text) gives way to "first divergence".
    if (watched == m_summary && event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Home)) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

CompareView::~CompareView()
{
    // Stop reading before the readers go.
    m_timelineA->setRun(nullptr, -1);
    m_timelineB->setRun(nullptr, -1);
}

void CompareView::setRuns(std::shared_ptr<const BundleReader> readerA, qint64 runA,
                          std::shared_ptr<const BundleReader> readerB, qint64 runB,
                          const RunDiff &diff)
{
    m_lanesFollow = false;
    m_timelineA->setTimeExtent(0, 0);
    m_timelineB->setTimeExtent(0, 0);
    m_timelineA->setRun(readerA.get(), runA);
    m_timelineB->setRun(readerB.get(), runB);
    m_readerA = std::move(readerA);
    m_readerB = std::move(readerB);
    m_timelines->setVisible(m_readerA && m_readerB);
    showDiff(diff);
}

void CompareView::setDiff(const RunDiff &diff)
{
    setRuns(nullptr, -1, nullptr, -1, diff);
}

void CompareView::showDiff(const RunDiff &diff)
{
    m_model->setDiff(diff);
    updateSideLabels();
    m_summary->setHtml(summaryHtml(diff));
    theme::onPaletteChange(m_summary, [this, diff] { m_summary->setHtml(summaryHtml(diff)); });
    m_title->setText(QStringLiteral("Aligned calls (%1 steps, %2 different)")
                         .arg(diff.alignment.size())
                         .arg(diff.calls.size()));
    fitColumnsToContents(m_view, m_view->horizontalHeader());
    goToFirstDivergence();
}

bool CompareView::timelinesReady() const
{
    return m_readerA && m_readerB && !m_timelineA->isLoading() && !m_timelineB->isLoading() &&
           m_timelineA->index() && m_timelineB->index();
}

void CompareView::onTimelineLoaded()
{
    if (!timelinesReady())
        return;
    const TimelineIndex &a = *m_timelineA->index();
    const TimelineIndex &b = *m_timelineB->index();
    m_lanesFollow = sameLanes(a, b);
    {
        // One extent for both, so that one window fits both runs, whichever is longer.
        QScopedValueRollback guard(m_syncing, true);
        const qint64 first = std::min(a.firstNs(), b.firstNs());
        const qint64 last = std::max(a.lastNs(), b.lastNs());
        m_timelineA->setTimeExtent(first, last);
        m_timelineB->setTimeExtent(first, last);
        m_timelineA->fitAll();
        m_timelineB->fitAll();
    }
    fitTimelinesToLanes();
    const QModelIndex current = m_view->currentIndex();
    if (current.isValid())
        showRowInTimelines(current.row());
    Q_EMIT timelinesLoaded();
}

void CompareView::updateSideLabels()
{
    const QModelIndex current = m_view->currentIndex();
    const RunDiff &diff = m_model->diff();
    const AlignedCall *step = current.isValid() ? &diff.alignment.at(current.row()) : nullptr;
    const QString muted = theme::muted().name();
    auto text = [&](const QString &side, const QString &label, qint64 eventId, qint64 ts,
                    const QString &result) {
        QString html = QStringLiteral("<b>%1</b>&nbsp; %2").arg(side, htmlText(label));
        if (!step)
            return html;
        const QString what =
            eventId >= 0
                ? QStringLiteral("%1 at %2 ms%3")
                      .arg(htmlText(step->call), formatMs(ts),
                           result.isEmpty() ? QString()
                                            : QStringLiteral(" → %1").arg(htmlText(result)))
                : QStringLiteral("%1 not made in %2").arg(htmlText(step->call), side);
        return html + QStringLiteral(" &nbsp;<span style=\"color:%1\">step %2: %3</span>")
                          .arg(muted)
                          .arg(current.row() + 1)
                          .arg(what);
    };
    m_labelA->setText(text(QStringLiteral("A"), diff.labelA, step ? step->eventA : -1,
                           step ? step->tsA : 0, step ? step->resultA : QString()));
    m_labelB->setText(text(QStringLiteral("B"), diff.labelB, step ? step->eventB : -1,
                           step ? step->tsB : 0, step ? step->resultB : QString()));
}

void CompareView::fitTimelinesToLanes()
{
    // A run of one process and a thread or two needs a few rows: the aligned calls get the
    // rest. Many lanes: the timelines take at most 60 % and scroll.
    if (!isVisible())
        return;
    QList<int> sides;
    for (TimelineWidget *timeline : {m_timelineA, m_timelineB}) {
        const int chrome =
            timeline->parentWidget()->height() - timeline->plot()->axisRect()->height();
        sides.append(chrome + timeline->lanes()->layout().contentHeight() + 2);
    }
    m_sides->setSizes(sides);
    const int total = m_splitter->height() - m_splitter->handleWidth();
    const int wanted = sides[0] + sides[1] + m_sides->handleWidth();
    const int timelines = std::clamp(wanted, int(total * 0.3), int(total * 0.6));
    m_splitter->setSizes({total - timelines, timelines});
}

void CompareView::selectRow(int row)
{
    if (row < 0)
        return;
    const QModelIndex index = m_model->index(row, CompareModel::CallColumn);
    {
        QScopedValueRollback guard(m_syncing, true);
        m_view->setCurrentIndex(index);
        m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    }
    // Also when the row was already current: the timelines may have been moved since.
    if (!m_syncing)
        showRowInTimelines(row);
}

void CompareView::showRowInTimelines(int row)
{
    if (!m_readerA || !m_readerB || row < 0 || row >= m_model->rowCount())
        return;
    const AlignedCall &step = m_model->diff().alignment.at(row);
    QScopedValueRollback guard(m_syncing, true);
    const TimeWindow before = m_timelineA->window();
    // Each timeline selects its call and scrolls its lanes to it; the window is then one for both.
    for (const auto &[timeline, eventId] :
         {std::pair{m_timelineA, step.eventA}, std::pair{m_timelineB, step.eventB}}) {
        if (eventId >= 0)
            timeline->selectEvent(eventId);
        else
            timeline->clearSelection();
    }
    if (!timelinesReady())
        return; // selected once read; onTimelineLoaded() comes back here
    const std::optional<Span> a = spanOf(m_timelineA, step.eventA);
    const std::optional<Span> b = spanOf(m_timelineB, step.eventB);
    if (!a && !b)
        return;
    m_timelineA->setWindow(
        windowShowingBoth(before, a, b, m_timelineA->plot()->axisRect()->width()));
    m_timelineB->setWindow(m_timelineA->window());
}

void CompareView::followSelection(TimelineWidget *from, qint64 eventId)
{
    if (m_syncing)
        return;
    const bool fromA = from == m_timelineA;
    TimelineWidget *other = fromA ? m_timelineB : m_timelineA;
    const int row = fromA ? m_model->rowOfEventA(eventId) : m_model->rowOfEventB(eventId);
    QScopedValueRollback guard(m_syncing, true);
    if (row < 0) {
        // Not a step of the alignment (a library load, a resolver lookup): nothing to pair.
        m_view->selectionModel()->clear();
        other->clearSelection();
        return;
    }
    selectRow(row);
    const AlignedCall &step = m_model->diff().alignment.at(row);
    const qint64 otherId = fromA ? step.eventB : step.eventA;
    // The click keeps its window unless the partner is out of it.
    const TimeWindow window = from->window();
    if (otherId < 0) {
        other->clearSelection();
        return;
    }
    other->selectEvent(otherId);
    const std::optional<Span> clicked = spanOf(from, eventId);
    const std::optional<Span> partner = spanOf(other, otherId);
    if (!clicked || !partner ||
        (partner->startNs >= window.fromNs && partner->endNs <= window.toNs)) {
        other->setWindow(window);
        return;
    }
    from->setWindow(windowShowingBoth(window, clicked, partner, from->plot()->axisRect()->width()));
    other->setWindow(from->window());
}

void CompareView::followWindow(TimelineWidget *from)
{
    if (m_syncing || !timelinesReady())
        return;
    QScopedValueRollback guard(m_syncing, true);
    (from == m_timelineA ? m_timelineB : m_timelineA)->setWindow(from->window());
}

void CompareView::followLanes(TimelineWidget *from)
{
    if (m_syncing || !m_lanesFollow || !timelinesReady())
        return;
    QScopedValueRollback guard(m_syncing, true);
    TimelineWidget *to = from == m_timelineA ? m_timelineB : m_timelineA;
    // The same lane at the top of both, at the same depth into it as far as it is as deep.
    const TimelineLayout &source = from->lanes()->layout();
    const TimelineLayout &target = to->lanes()->layout();
    const int top = from->lanesScroll();
    int lane = 0;
    while (lane + 1 < source.laneCount() && source.lane(lane + 1).top <= top)
        ++lane;
    if (lane >= target.laneCount())
        return;
    const TimelineLaneGeometry &s = source.lane(lane);
    const TimelineLaneGeometry &t = target.lane(lane);
    const int wanted = t.top + std::min(top - s.top, t.height);
    to->scrollLanesBy(wanted - to->lanesScroll());
}

void CompareView::goToFirstDivergence()
{
    selectRow(m_model->firstDivergenceRow());
}

void CompareView::goToNextDifference()
{
    selectRow(m_model->nextDifference(
        m_view->currentIndex().isValid() ? m_view->currentIndex().row() : -1, true));
}

void CompareView::goToPreviousDifference()
{
    selectRow(m_model->nextDifference(
        m_view->currentIndex().isValid() ? m_view->currentIndex().row() : 0, false));
}

} // namespace initscope::ui
