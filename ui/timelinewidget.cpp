#include "timelinewidget.h"

#include "bundle.h"
#include "format.h"
#include "ollamaimport.h"
#include "theme.h"
#include "timelineplot.h"
#include "timelinetooltip.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QRegularExpression>
#include <QScrollBar>
#include <QThread>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace initscope::ui
{

namespace
{

// A word that says what a process is for: "serve", "runner" (argv[1] of a program with
// subcommands), not an option or a path.
QString roleFromArgv(const QStringList &argv)
{
    if (argv.size() < 2)
        return {};
    static const QRegularExpression word(QStringLiteral("^[A-Za-z][A-Za-z0-9_-]{0,31}$"));
    return word.match(argv.at(1)).hasMatch() ? argv.at(1) : QString();
}

QString colorName(const QColor &c)
{
    return c.name(QColor::HexRgb);
}

} // namespace

struct TimelineWidget::Loaded {
    std::shared_ptr<const TimelineIndex> index;
    TimelineLoadStats stats;
    QString error;
};

TimelineWidget::TimelineWidget(QWidget *parent)
    : QWidget(parent), m_legend(new QLabel(this)), m_status(new QLabel(this)),
      m_plot(new QCustomPlot(this)), m_scroll(new QScrollBar(Qt::Vertical, this)),
      m_lanes(new TimelineLanes(m_plot->xAxis2, m_plot->yAxis)), m_ticker(new TimelineTicker)
{
    m_legend->setTextFormat(Qt::RichText);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setObjectName(QStringLiteral("timelineStatus"));
    m_status->setToolTip(QStringLiteral("Wheel or +/− zoom at the cursor, drag or arrows pan, Shift+wheel or "
                                        "Up/Down scroll the lanes, Home shows the whole run; click selects, "
                                        "double-click or Enter opens the event in the process views."));

    auto *top = new QHBoxLayout;
    top->setContentsMargins(6, 3, 6, 3);
    top->addWidget(m_legend);
    top->addStretch(1);
    top->addWidget(m_status);
    auto *middle = new QHBoxLayout;
    middle->setContentsMargins(0, 0, 0, 0);
    middle->setSpacing(0);
    middle->addWidget(m_plot, 1);
    middle->addWidget(m_scroll);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(top);
    layout->addLayout(middle, 1);

    // Time on the top axis (the ruler); the left axis is the lane layout in pixels, top down.
    m_plot->setObjectName(QStringLiteral("timelinePlot"));
    m_plot->setFocusPolicy(Qt::StrongFocus);
    m_plot->setMouseTracking(true);
    m_plot->setPlottingHints(QCP::phCacheLabels);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->xAxis->setVisible(false);
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->yAxis->setVisible(false);
    m_plot->yAxis->grid()->setVisible(false);
    m_plot->yAxis->setRangeReversed(true);
    QCPAxis *time = m_plot->xAxis2;
    time->setVisible(true);
    time->setTicker(m_ticker);
    time->grid()->setVisible(true);
    QCPAxisRect *rect = m_plot->axisRect();
    rect->setAutoMargins(QCP::msTop);
    rect->setMargins(QMargins(TimelineLanes::kLabelWidth, 0, 0, 0));
    rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    rect->setRangeDragAxes(time, m_plot->yAxis);
    m_plot->setInteractions(QCP::iRangeDrag);
    m_plot->installEventFilter(this);

    connect(time, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            &TimelineWidget::onTimeRangeChanged);
    connect(m_plot->yAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            &TimelineWidget::onLaneRangeChanged);
    connect(m_plot, &QCustomPlot::afterLayout, this, &TimelineWidget::afterLayout);
    connect(m_plot, &QCustomPlot::mousePress, this,
            [this](QMouseEvent *event) { m_pressPos = event->pos(); });
    connect(m_plot, &QCustomPlot::mouseRelease, this, [this](QMouseEvent *event) {
        if (event->button() == Qt::LeftButton && (event->pos() - m_pressPos).manhattanLength() < 4)
            click(event->pos());
    });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *event) {
        if (event->button() == Qt::LeftButton)
            doubleClick(event->pos());
    });
    connect(m_scroll, &QScrollBar::valueChanged, this, [this](int value) {
        if (m_adjusting)
            return;
        const double height = m_plot->yAxis->range().size();
        m_plot->yAxis->setRange(value, value + height);
        requestReplot();
    });
    m_scroll->setVisible(false);
    time->setRange(0, 1e6);
    m_plot->yAxis->setRange(0, 100);
    applyColors();
    updateStatus();
}

void TimelineWidget::applyColors()
{
    // Legend: what each colour and mark means.
    QStringList legend;
    for (TimelineFamily f : {TimelineFamily::Driver, TimelineFamily::Runtime, TimelineFamily::Nvml,
                             TimelineFamily::Loader, TimelineFamily::Output})
        legend.append(QStringLiteral("<span style=\"color:%1\">■</span>&nbsp;%2")
                          .arg(colorName(timelineFamilyColor(f)), timelineFamilyName(f)));
    legend.append(QStringLiteral("<span style=\"color:%1\">▬</span>&nbsp;failed")
                      .arg(colorName(theme::failure())));
    legend.append(QStringLiteral("<span style=\"color:%1\">▶</span>&nbsp;start "
                                 "<span style=\"color:%2\">■</span>&nbsp;exit "
                                 "<span style=\"color:%3\">✕</span>&nbsp;crash")
                      .arg(colorName(theme::success()), colorName(timelineFamilyColor(TimelineFamily::Process)),
                           colorName(theme::failure())));
    m_legend->setText(legend.join(QStringLiteral(" &nbsp; ")));

    const QPalette p = palette();
    m_plot->setBackground(p.base());
    QCPAxis *time = m_plot->xAxis2;
    time->grid()->setPen(QPen(p.color(QPalette::Midlight), 0, Qt::DotLine));
    time->setTickLabelColor(p.color(QPalette::Text));
    time->setBasePen(QPen(p.color(QPalette::Mid)));
    time->setTickPen(QPen(p.color(QPalette::Mid)));
    time->setSubTickPen(QPen(p.color(QPalette::Mid)));
    requestReplot();
}

void TimelineWidget::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyColors();
}

TimelineWidget::~TimelineWidget()
{
    cancelLoad();
    for (QThread *worker : std::as_const(m_workers)) {
        worker->wait();
        delete worker;
    }
    m_workers.clear();
    // The plottable refers to the details; the plot goes with the widget's children.
    m_lanes->setIndex(nullptr, nullptr);
}

void TimelineWidget::cancelLoad()
{
    if (m_stop)
        m_stop->store(true);
    m_stop.reset();
    m_loading = false;
}

void TimelineWidget::setRun(const BundleReader *reader, qint64 runId)
{
    cancelLoad();
    ++m_generation;
    m_runId = reader ? runId : -1;
    m_index.reset();
    m_lanes->setIndex(nullptr, nullptr);
    m_details.reset();
    m_stats = {};
    m_error.clear();
    m_pendingSelection = -1;
    if (!reader) {
        updateStatus();
        requestReplot();
        return;
    }
    Run run;
    for (const Run &r : reader->runs())
        if (r.id == runId)
            run = r;
    const QList<Process> processes = reader->processes(runId);
    QHash<qint64, QString> roles;
    if (isImportedLogRun(run)) {
        for (const Event &e : reader->eventsOfKind(runId, -1, QStringLiteral("process.start")))
            roles.insert(e.processId, importedProcessRole(e.payload));
    }
    QList<TimelineProcessInfo> infos;
    for (const Process &p : processes) {
        TimelineProcessInfo info;
        info.id = p.id;
        info.pid = p.pid;
        info.title = QStringLiteral("%1 · %2").arg(processLabel(p), formatExit(p));
        QString role = roles.value(p.id);
        if (role.isEmpty())
            role = roleFromArgv(p.argv);
        QStringList sub;
        if (!role.isEmpty())
            sub.append(role);
        if (p.execSeq > 0)
            sub.append(QStringLiteral("exec #%1").arg(p.execSeq));
        sub.append(quoteArgv(p.argv));
        info.subtitle = cellText(sub.join(QStringLiteral(" · ")));
        info.startNs = p.startNs;
        info.endNs = p.endNs.value_or(-1);
        info.failedEnd = isFailure(p);
        info.crashed = p.endReason == EndReason::Signaled;
        infos.append(info);
    }
    m_details = std::make_unique<TimelineDetails>(reader->path());
    m_loading = true;
    updateStatus();
    requestReplot();

    auto stop = std::make_shared<std::atomic_bool>(false);
    m_stop = stop;
    const quint64 generation = m_generation;
    const QString path = reader->path();
    const qint64 duration = run.durationNs;
    QThread *worker = QThread::create([this, stop, generation, path, runId, duration, infos] {
        auto result = std::make_shared<Loaded>();
        std::optional<TimelineIndex> index =
            loadTimelineIndex(path, runId, duration, infos, stop.get(), &result->error, &result->stats);
        if (stop->load())
            return;
        if (index)
            result->index = std::make_shared<const TimelineIndex>(std::move(*index));
        // The widget waits for this thread before it goes, so it is alive to receive this.
        QMetaObject::invokeMethod(this, [this, generation, result] { adopt(generation, result); },
                                  Qt::QueuedConnection);
    });
    worker->setObjectName(QStringLiteral("timeline index"));
    m_workers.append(worker);
    connect(worker, &QThread::finished, this, [this, worker] {
        m_workers.removeOne(worker);
        worker->deleteLater();
    });
    worker->start();
}

void TimelineWidget::adopt(quint64 generation, const std::shared_ptr<Loaded> &result)
{
    if (generation != m_generation)
        return;
    m_loading = false;
    m_stop.reset();
    m_index = result->index;
    m_stats = result->stats;
    m_error = result->error;
    m_lanes->setIndex(m_index, m_details.get());
    m_plot->yAxis->setRange(0, std::max(1.0, m_plot->yAxis->range().size()));
    fitAll();
    if (m_pendingSelection >= 0) {
        const qint64 id = m_pendingSelection;
        m_pendingSelection = -1;
        selectEvent(id);
    }
    updateStatus();
    requestReplot();
    Q_EMIT loaded();
}

void TimelineWidget::updateStatus()
{
    if (m_loading) {
        m_status->setText(QStringLiteral("Reading the timeline…"));
        return;
    }
    if (!m_error.isEmpty()) {
        m_status->setText(m_error);
        return;
    }
    if (!m_index) {
        m_status->clear();
        return;
    }
    const TimeWindow w = window();
    m_status->setText(QStringLiteral("%1 items · %2 lanes · %3 to %4")
                          .arg(QLocale(QLocale::English).toString(qlonglong(m_index->itemCount)))
                          .arg(m_index->lanes.size())
                          .arg(formatTimelineTick(std::max(0.0, w.fromNs), w.width() / 10),
                               formatTimelineTick(w.toNs, w.width() / 10)));
}

// ---------------------------------------------------------------------------------------------
// The window

TimeWindow TimelineWidget::window() const
{
    const QCPRange r = m_plot->xAxis2->range();
    return {r.lower, r.upper};
}

qint64 TimelineWidget::firstNs() const
{
    return std::min(m_index ? m_index->firstNs() : 0, m_extentFirstNs);
}

qint64 TimelineWidget::lastNs() const
{
    return std::max(m_index ? m_index->lastNs() : 0, m_extentLastNs);
}

void TimelineWidget::setTimeExtent(qint64 firstNs, qint64 lastNs)
{
    m_extentFirstNs = firstNs;
    m_extentLastNs = lastNs;
    if (m_index)
        setWindow(window());
}

void TimelineWidget::setWindow(TimeWindow window)
{
    if (m_index)
        window = clampWindow(window, firstNs(), lastNs());
    m_plot->xAxis2->setRange(window.fromNs, window.toNs);
    requestReplot();
}

void TimelineWidget::zoomBy(double factor, std::optional<double> anchorNs)
{
    const TimeWindow w = window();
    setWindow(zoomWindow(w, factor, anchorNs.value_or((w.fromNs + w.toNs) / 2)));
}

void TimelineWidget::panBy(double fraction)
{
    setWindow(panWindow(window(), fraction));
}

void TimelineWidget::fitAll()
{
    if (!m_index)
        return;
    setWindow(fitWindow(firstNs(), lastNs()));
}

void TimelineWidget::clearSelection()
{
    m_pendingSelection = -1;
    select({}, false);
}

void TimelineWidget::scrollLanesBy(int pixels)
{
    const QCPRange r = m_plot->yAxis->range();
    m_plot->yAxis->setRange(r.lower + pixels, r.upper + pixels);
    requestReplot();
}

int TimelineWidget::lanesScroll() const
{
    return int(std::lround(m_plot->yAxis->range().lower));
}

void TimelineWidget::onTimeRangeChanged(const QCPRange &range)
{
    if (m_index) {
        const TimeWindow w = clampWindow({range.lower, range.upper}, firstNs(), lastNs());
        const double tolerance = w.width() * 1e-9;
        if (std::abs(w.fromNs - range.lower) > tolerance || std::abs(w.toNs - range.upper) > tolerance) {
            m_plot->xAxis2->setRange(w.fromNs, w.toNs);
            return;
        }
    }
    updateStatus();
    Q_EMIT windowChanged({range.lower, range.upper});
}

void TimelineWidget::onLaneRangeChanged(const QCPRange &range)
{
    const double height = range.size();
    const double content = m_lanes->layout().contentHeight();
    const double top = std::clamp(range.lower, 0.0, std::max(0.0, content - height));
    if (std::abs(top - range.lower) > 0.5) {
        m_plot->yAxis->setRange(top, top + height);
        return;
    }
    m_adjusting = true;
    m_scroll->setRange(0, int(std::max(0.0, content - height)));
    m_scroll->setPageStep(int(height));
    m_scroll->setSingleStep(TimelineLayout::kRowHeight);
    m_scroll->setValue(int(std::lround(top)));
    m_scroll->setVisible(content > height);
    m_adjusting = false;
    Q_EMIT lanesScrolled(int(std::lround(top)));
}

void TimelineWidget::afterLayout()
{
    // One lane-axis unit is one pixel, whatever the height.
    const QRect rect = m_plot->axisRect()->rect();
    const QCPRange r = m_plot->yAxis->range();
    if (std::abs(r.size() - rect.height()) > 0.5)
        m_plot->yAxis->setRange(r.lower, r.lower + std::max(1, rect.height()));
    m_ticker->setTickCount(std::max(2, rect.width() / 140));
}

void TimelineWidget::requestReplot()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void TimelineWidget::redrawNow()
{
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

// ---------------------------------------------------------------------------------------------
// Selection

const TimelineItem *TimelineWidget::itemOf(TimelineItemRef ref) const
{
    if (!m_index || !ref.isValid() || ref.lane >= m_index->lanes.size())
        return nullptr;
    const TimelineLane &lane = m_index->lanes.at(ref.lane);
    if (ref.row >= lane.rows.size())
        return nullptr;
    const TimelineTrack &track = ref.row < 0 ? lane.instants : lane.rows.at(ref.row);
    return ref.index >= 0 && ref.index < track.size() ? &track.at(ref.index) : nullptr;
}

qint64 TimelineWidget::processOf(TimelineItemRef ref) const
{
    return m_index && ref.isValid() ? m_index->lanes.at(ref.lane).processId : -1;
}

TimelineItemRef TimelineWidget::selectedItem() const
{
    return m_lanes->selectedItem();
}

qint64 TimelineWidget::selectedEventId() const
{
    const TimelineItem *item = itemOf(selectedItem());
    return item && !(item->flags & (TimelineFromOutput | TimelineFromCollected)) ? item->id : -1;
}

qint64 TimelineWidget::selectedOutputId() const
{
    const TimelineItem *item = itemOf(selectedItem());
    return item && (item->flags & TimelineFromOutput) ? item->id : -1;
}

void TimelineWidget::select(TimelineItemRef ref, bool notify)
{
    // The second click of a double-click selects what the first one did: say so once.
    const TimelineItemRef before = m_lanes->selectedItem();
    if (before.lane == ref.lane && before.row == ref.row && before.index == ref.index && ref.isValid())
        notify = false;
    m_lanes->setSelectedItem(ref);
    requestReplot();
    const TimelineItem *item = itemOf(ref);
    // A line of a collected file is in no other view.
    if (!notify || !item || (item->flags & TimelineFromCollected))
        return;
    if (item->flags & TimelineFromOutput)
        Q_EMIT outputSelected(processOf(ref), item->id);
    else
        Q_EMIT eventSelected(processOf(ref), item->id);
}

void TimelineWidget::selectEvent(qint64 eventId)
{
    if (eventId >= 0 && eventId == selectedEventId())
        return; // already shown; a view following this one's selection must not move it
    if (m_loading) {
        m_pendingSelection = eventId;
        return;
    }
    if (!m_index)
        return;
    const TimelineItemRef ref = findItem(*m_index, eventId);
    if (!ref.isValid())
        return;
    select(ref, false);
    const TimelineItem *item = itemOf(ref);
    setWindow(windowShowing(window(), item->startNs, item->endNs, m_plot->axisRect()->width()));
    scrollToLane(ref.lane);
}

void TimelineWidget::scrollToLane(int lane)
{
    const TimelineLayout &layout = m_lanes->layout();
    if (lane < 0 || lane >= layout.laneCount())
        return;
    const TimelineLaneGeometry &g = layout.lane(lane);
    const QCPRange r = m_plot->yAxis->range();
    if (g.top >= r.lower && g.top + g.height <= r.upper)
        return;
    const double top = std::max(0.0, g.top - r.size() / 3);
    m_plot->yAxis->setRange(top, top + r.size());
    requestReplot();
}

void TimelineWidget::click(const QPoint &pos)
{
    const TimelineLanes::Hit hit = m_lanes->hitAt(pos);
    if (!hit.isValid()) {
        select({}, false);
        return;
    }
    // Within a mark of many, the first failure is what a user looks for.
    const TimelineLane &lane = m_index->lanes.at(hit.lane);
    const TimelineTrack &track = hit.row < 0 ? lane.instants : lane.rows.at(hit.row);
    qsizetype index = hit.bucket.first;
    if (hit.bucket.failed > 0) {
        for (qsizetype i = hit.bucket.first; i < hit.bucket.first + hit.bucket.count; ++i) {
            if (track.at(i).failed()) {
                index = i;
                break;
            }
        }
    }
    select({hit.lane, hit.row, index}, true);
}

void TimelineWidget::doubleClick(const QPoint &pos)
{
    const TimelineLanes::Hit hit = m_lanes->hitAt(pos);
    if (!hit.isValid())
        return;
    if (hit.bucket.count > 1) {
        // Open up a mark of many: zoom to what it covers.
        const double length = std::max<double>(hit.bucket.endNs - hit.bucket.startNs, kTimelineMinWindowNs);
        setWindow({hit.bucket.startNs - length * 0.1, hit.bucket.endNs + length * 0.1});
        return;
    }
    const TimelineItemRef ref{hit.lane, hit.row, hit.bucket.first};
    select(ref, true);
    activate(ref);
}

void TimelineWidget::activate(TimelineItemRef ref)
{
    const TimelineItem *item = itemOf(ref);
    if (!item || (item->flags & TimelineFromCollected))
        return;
    if (!(item->flags & TimelineFromOutput)) {
        Q_EMIT eventActivated(processOf(ref), item->id);
        return;
    }
    const int line = m_details ? m_details->outputLine(item->id) : 0;
    if (line > 0)
        Q_EMIT outputActivated(processOf(ref), item->flags & TimelineStderr ? Stream::Stderr : Stream::Stdout,
                               line);
}

std::optional<QPoint> TimelineWidget::pointOfEvent(qint64 eventId) const
{
    if (!m_index)
        return std::nullopt;
    const TimelineItemRef ref = findItem(*m_index, eventId);
    const TimelineItem *item = itemOf(ref);
    if (!item)
        return std::nullopt;
    const TimelineLayout &layout = m_lanes->layout();
    const TimelineLaneGeometry &g = layout.lane(ref.lane);
    const QRect rect = m_plot->axisRect()->rect();
    const double y = rect.top() + g.top - m_plot->yAxis->range().lower
                     + (ref.row < 0 ? g.instantsTop + g.instantsHeight / 2.0
                                    : g.rowsTop + (ref.row + 0.5) * TimelineLayout::kRowHeight);
    const double x0 = m_plot->xAxis2->coordToPixel(double(item->startNs));
    const double x1 = m_plot->xAxis2->coordToPixel(double(item->endNs));
    const QPoint p(int(std::lround((x0 + x1) / 2)), int(std::lround(y)));
    if (!rect.contains(p))
        return std::nullopt;
    return p;
}

// ---------------------------------------------------------------------------------------------
// Tooltips

QString TimelineWidget::toolTipAt(const QPoint &plotPos)
{
    const TimelineLanes::Hit hit = m_lanes->hitAt(plotPos);
    if (!hit.isValid())
        return {};
    const TimelineLane &lane = m_index->lanes.at(hit.lane);
    if (hit.bucket.count > 1)
        return describeTimelineBucket(lane, hit.row >= 0, hit.bucket);
    const TimelineItem *item = itemOf({hit.lane, hit.row, hit.bucket.first});
    return item && m_details ? describeTimelineItem(lane, *item, *m_details) : QString();
}

// ---------------------------------------------------------------------------------------------
// Input

bool TimelineWidget::eventFilter(QObject *watched, QEvent *event)
{
    if (watched != m_plot)
        return QWidget::eventFilter(watched, event);
    switch (event->type()) {
    case QEvent::Wheel:
        handleWheel(static_cast<QWheelEvent *>(event));
        return true;
    case QEvent::KeyPress:
        return handleKey(static_cast<QKeyEvent *>(event));
    case QEvent::ToolTip: {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, m_plot);
        return true;
    }
    default:
        break;
    }
    return QWidget::eventFilter(watched, event);
}

void TimelineWidget::handleWheel(QWheelEvent *event)
{
    const QPoint delta = event->angleDelta();
    if (event->modifiers() & Qt::ShiftModifier) {
        // Shift+wheel scrolls the lanes (Qt may report it as horizontal).
        const int steps = delta.y() != 0 ? delta.y() : delta.x();
        scrollLanesBy(-steps / 120.0 * 3 * TimelineLayout::kRowHeight);
        return;
    }
    if (std::abs(delta.x()) > std::abs(delta.y())) {
        panBy(-delta.x() / 120.0 * 0.1);
        return;
    }
    if (delta.y() == 0)
        return;
    const double anchor = m_plot->xAxis2->pixelToCoord(event->position().x());
    zoomBy(std::pow(0.85, delta.y() / 120.0), anchor);
}

bool TimelineWidget::handleKey(QKeyEvent *event)
{
    const bool big = event->modifiers() & Qt::ShiftModifier;
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(0.5);
        return true;
    case Qt::Key_Minus:
    case Qt::Key_Underscore:
        zoomBy(2);
        return true;
    case Qt::Key_Left:
        panBy(big ? -0.5 : -0.1);
        return true;
    case Qt::Key_Right:
        panBy(big ? 0.5 : 0.1);
        return true;
    case Qt::Key_Up:
        scrollLanesBy(-TimelineLayout::kRowHeight * 2);
        return true;
    case Qt::Key_Down:
        scrollLanesBy(TimelineLayout::kRowHeight * 2);
        return true;
    case Qt::Key_PageUp:
        scrollLanesBy(-int(m_plot->yAxis->range().size() * 0.9));
        return true;
    case Qt::Key_PageDown:
        scrollLanesBy(int(m_plot->yAxis->range().size() * 0.9));
        return true;
    case Qt::Key_Home:
        fitAll();
        return true;
    case Qt::Key_Escape:
        select({}, false);
        return true;
    case Qt::Key_Return:
    case Qt::Key_Enter:
        activate(selectedItem());
        return true;
    default:
        return false;
    }
}

} // namespace initscope::ui
