// The run timeline at scale (docs/timeline.md, docs/performance.md): writes a bundle of N
// events through BundleWriter (default 1,000,000; --short: 50,000), then, in a fresh process
// so that the writer's memory does not count, opens it in a TimelineWidget on the offscreen
// platform and measures open to first paint (grab() of the widget with its lanes drawn), the
// redraw after pans and zooms, and the peak resident memory; then, in another fresh process,
// the whole main window as initscope-gui shows the bundle: first paint, the diagnosis, and the
// first showing of each tab. Prints one "name: value" row per measure; asserts nothing about
// time.
#include "bundle.h"
#include "timelinesource.h"
#include "timelinewidget.h"
#include "bundlepage.h"
#include "callspanel.h"
#include "diagnosispanel.h"
#include "mainwindow.h"
#include "runview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QPixmap>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace initscope;

namespace
{

// Names as a real bring-up and inference loop call them.
const char *const kRuntimeCalls[] = {"cudaMemcpyAsync", "cudaLaunchKernel", "cudaStreamSynchronize",
                                     "cudaGetDevice", "cudaSetDevice", "cudaEventRecord",
                                     "cudaMallocAsync", "cudaFreeAsync", "cudaGetLastError"};
const char *const kDriverCalls[] = {"cuCtxGetCurrent", "cuMemcpyHtoDAsync_v2", "cuLaunchKernel",
                                    "cuStreamSynchronize", "cuEventRecord", "cuMemAllocAsync",
                                    "cuCtxSetCurrent", "cuDeviceGetAttribute", "cuMemFreeAsync"};
const char *const kNvmlCalls[] = {"nvmlDeviceGetMemoryInfo", "nvmlDeviceGetUtilizationRates",
                                  "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage"};

struct ThreadPlan {
    qint64 processId = -1;
    qint64 tid = 0;
    qint64 clockNs = 0;
    int weight = 1;
};

class Generator
{
public:
    Generator(BundleWriter &writer, qint64 events) : m_writer(writer), m_target(events) {}

    void run()
    {
        Run r;
        r.name = QStringLiteral("timeline benchmark");
        r.command = {QStringLiteral("ollama"), QStringLiteral("serve")};
        r.startRealtimeNs = 1'700'000'000'000'000'000;
        r.hostname = QStringLiteral("bench");
        r.recorderVersion = QStringLiteral(INITSCOPE_VERSION);
        r.id = m_writer.addRun(r);

        struct Spec {
            qint64 pid;
            QStringList argv;
            int threads;
            int weight;
            EndReason end;
            int code;
        };
        const QString model = QStringLiteral("/root/.ollama/models/blobs/sha256-6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa");
        const Spec specs[] = {
            {4100, {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("serve")}, 4, 1, EndReason::Exited, 0},
            {4120, {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner"), QStringLiteral("--model"), model,
                    QStringLiteral("--port"), QStringLiteral("39213")}, 8, 6, EndReason::Exited, 0},
            {4180, {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner"), QStringLiteral("--model"), model,
                    QStringLiteral("--port"), QStringLiteral("41877")}, 8, 6, EndReason::Signaled, 11},
            {4240, {QStringLiteral("/usr/local/bin/ollama"), QStringLiteral("runner"), QStringLiteral("--gpu-discover")},
             2, 1, EndReason::Exited, 1},
        };
        qint64 parent = -1;
        qint64 start = 1'000'000;
        for (const Spec &s : specs) {
            Process p;
            p.pid = s.pid;
            p.ppid = parent < 0 ? 4000 : 4100;
            p.parentId = parent;
            p.exe = s.argv.first();
            p.argv = s.argv;
            p.env = {QStringLiteral("PATH=/usr/local/bin:/usr/bin"), QStringLiteral("OLLAMA_HOST=127.0.0.1")};
            p.startNs = start;
            p.recorded = true;
            p.id = m_writer.addProcess(p);
            m_processes.append(p);
            m_specsEnd.append({s.end, s.code});
            if (parent < 0)
                parent = p.id;
            addEvent(p.id, s.pid, start, 0, QStringLiteral("process.start"), p.exe,
                     QByteArrayLiteral("{\"pid\":") + QByteArray::number(s.pid) + "}");
            for (int t = 0; t < s.threads; ++t)
                m_threads.append({p.id, t == 0 ? s.pid : s.pid + 1 + t, start + 200'000, s.weight});
            loaderEvents(p.id, s.pid, start + 50'000);
            start += 40'000'000;
        }
        int totalWeight = 0;
        for (const ThreadPlan &t : std::as_const(m_threads))
            totalWeight += t.weight;
        // Round robin in bursts, weighted, until the target count is reached.
        while (m_events < m_target) {
            const int pick = int(m_random.bounded(totalWeight));
            int acc = 0;
            for (ThreadPlan &t : m_threads) {
                acc += t.weight;
                if (pick < acc) {
                    burst(t);
                    break;
                }
            }
        }
        qint64 end = 0;
        for (const ThreadPlan &t : std::as_const(m_threads))
            end = std::max(end, t.clockNs);
        for (qsizetype i = 0; i < m_processes.size(); ++i) {
            Process &p = m_processes[i];
            p.endNs = end + 1'000'000 * (i + 1);
            p.endReason = m_specsEnd[i].first;
            if (p.endReason == EndReason::Exited)
                p.exitCode = m_specsEnd[i].second;
            else
                p.signal = m_specsEnd[i].second;
            m_writer.updateProcess(p);
            m_writer.addEvent(Event{-1, p.id, p.pid, *p.endNs, 0, QStringLiteral("process.exit"),
                                    p.endReason == EndReason::Signaled ? QStringLiteral("SIGSEGV")
                                                                       : QStringLiteral("exit %1").arg(p.exitCode),
                                    QByteArrayLiteral("{\"pid\":") + QByteArray::number(p.pid) + "}", -1});
            end = std::max(end, *p.endNs);
        }
        r.durationNs = end + 1'000'000;
        r.exitCode = 0;
        m_writer.updateRun(r);
    }

    qint64 events() const { return m_events; }
    qint64 outputs() const { return m_outputs; }

private:
    void addEvent(qint64 processId, qint64 tid, qint64 ts, qint64 dur, const QString &kind,
                  const QString &name, const QByteArray &payload)
    {
        Event e;
        e.processId = processId;
        e.tid = tid;
        e.tsNs = ts;
        e.durNs = dur;
        e.kind = kind;
        e.name = name;
        e.payload = payload;
        m_writer.addEvent(e);
        ++m_events;
    }

    void loaderEvents(qint64 processId, qint64 pid, qint64 ts)
    {
        const char *const libs[] = {"libcuda.so.1", "libcudart.so.12", "libcublas.so.12",
                                    "libnvidia-ml.so.1", "libggml-cuda.so"};
        for (const char *lib : libs) {
            LibSearch s;
            s.processId = processId;
            s.tid = pid;
            s.tsNs = ts;
            s.name = QString::fromLatin1(lib);
            const bool found = std::strcmp(lib, "libcublas.so.12") != 0 || pid != 4240;
            s.outcome = found ? SearchOutcome::Found : SearchOutcome::NotFound;
            s.steps = {{QStringLiteral("/usr/local/lib/ollama/") + s.name, 0x02, found ? 1 : 0}};
            if (found)
                s.resultPath = s.steps.first().path;
            m_writer.addLibSearch(s);
            ++m_events;
            if (found) {
                LibLoad l;
                l.processId = processId;
                l.tid = pid;
                l.tsNs = ts + 20'000;
                l.path = s.resultPath;
                l.soname = s.name;
                l.base = 0x7f0000000000ull + quint64(ts);
                m_writer.addLibLoad(l);
                ++m_events;
            }
            ts += 150'000;
        }
    }

    QByteArray callPayload(const char *api, const char *function, int depth, bool ok)
    {
        QByteArray p;
        p.reserve(420);
        const QByteArray code = ok ? QByteArrayLiteral("0") : QByteArrayLiteral("700");
        const QByteArray result = ok ? QByteArrayLiteral("CUDA_SUCCESS") : QByteArrayLiteral("CUDA_ERROR_ILLEGAL_ADDRESS");
        const QByteArray message = ok ? QByteArrayLiteral("no error") : QByteArrayLiteral("an illegal memory access was encountered");
        const QByteArray okText = ok ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
        const QByteArray ptr = QByteArray::number(0x7f3a00000000ull + m_random.bounded(1u << 30), 16);
        p += "{\"api\":\"";
        p += api;
        p += "\",\"args\":{\"dst\":\"0x" + ptr + "\",\"hStream\":\"0x55d0c2a4f7e0\",\"size\":"
             + QByteArray::number(m_random.bounded(1u << 20)) + "},\"depth\":" + QByteArray::number(depth)
             + ",\"function\":\"" + function + "\",\"known\":true,\"ok\":" + okText
             + ",\"reach\":\"binding\",\"result\":{\"code\":" + code + ",\"known\":true,\"message\":\"" + message
             + "\",\"name\":\"" + result + "\",\"ok\":" + okText + "},\"summary\":\"" + function + "(dst=0x" + ptr
             + ", hStream=0x55d0c2a4f7e0) → " + result + "\"}";
        return p;
    }

    void call(const ThreadPlan &t, qint64 ts, qint64 dur, const char *kind, const char *api,
              const char *function, int depth)
    {
        const bool ok = m_random.bounded(1000) >= 3;
        addEvent(t.processId, t.tid, ts, dur, QString::fromLatin1(kind), QString::fromLatin1(function),
                 callPayload(api, function, depth, ok));
    }

    void burst(ThreadPlan &t)
    {
        t.clockNs += 1'000'000 + qint64(m_random.bounded(40'000'000)); // idle between bursts
        const int calls = 50 + int(m_random.bounded(1500));
        for (int c = 0; c < calls && m_events < m_target; ++c) {
            if (c % 150 == 149)
                output(t);
            qint64 ts = t.clockNs;
            const quint32 what = m_random.bounded(100);
            if (what < 6 && t.tid % 4 == 1) {
                const char *name = kNvmlCalls[m_random.bounded(int(std::size(kNvmlCalls)))];
                const qint64 dur = 2'000 + m_random.bounded(30'000);
                call(t, ts, dur, "nvml.call", "nvml", name, 0);
                t.clockNs = ts + dur + 500 + m_random.bounded(3'000);
            } else if (what < 70) {
                // A runtime call with the driver calls it makes.
                const char *name = kRuntimeCalls[m_random.bounded(int(std::size(kRuntimeCalls)))];
                const int inner = int(m_random.bounded(3));
                qint64 at = ts + 300;
                struct Inner {
                    qint64 ts, dur;
                    const char *name;
                };
                Inner nested[3];
                for (int i = 0; i < inner; ++i) {
                    const qint64 dur = 200 + m_random.bounded(4'000);
                    nested[i] = {at, dur, kDriverCalls[m_random.bounded(int(std::size(kDriverCalls)))]};
                    at += dur + 100 + m_random.bounded(500);
                }
                const qint64 dur = at - ts + 200 + m_random.bounded(2'000);
                call(t, ts, dur, "cudart.call", "runtime", name, 0);
                for (int i = 0; i < inner && m_events < m_target; ++i)
                    call(t, nested[i].ts, nested[i].dur, "cuda.call", "driver", nested[i].name, 1);
                t.clockNs = ts + dur + 300 + m_random.bounded(5'000);
            } else {
                const char *name = kDriverCalls[m_random.bounded(int(std::size(kDriverCalls)))];
                const qint64 dur = 150 + m_random.bounded(6'000);
                call(t, ts, dur, "cuda.call", "driver", name, 0);
                t.clockNs = ts + dur + 200 + m_random.bounded(4'000);
            }
        }
        output(t);
    }

    // A log line, as a runner prints its progress; one in ten on stderr.
    void output(const ThreadPlan &t)
    {
        OutputChunk chunk;
        chunk.processId = t.processId;
        const bool err = m_random.bounded(10) == 0;
        chunk.stream = err ? Stream::Stderr : Stream::Stdout;
        chunk.tsNs = t.clockNs;
        chunk.data = err ? QByteArrayLiteral("ggml_cuda_compute_forward: an illegal memory access was encountered\n")
                         : QByteArrayLiteral("llama_decode: batch of 512 tokens, 1843.2 tokens/s\n");
        m_writer.addOutput(chunk);
        ++m_outputs;
    }

    BundleWriter &m_writer;
    qint64 m_target;
    qint64 m_events = 0;
    qint64 m_outputs = 0;
    QList<Process> m_processes;
    QList<QPair<EndReason, int>> m_specsEnd;
    QList<ThreadPlan> m_threads;
    QRandomGenerator m_random{20240611};
};

int generate(const QString &path, qint64 events)
{
    BundleError error;
    std::unique_ptr<BundleWriter> writer = BundleWriter::create(path, &error);
    if (!writer) {
        std::fprintf(stderr, "%s\n", qPrintable(error.message));
        return 1;
    }
    QElapsedTimer timer;
    timer.start();
    Generator g(*writer, events);
    g.run();
    if (!writer->commit(&error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error.message));
        return 1;
    }
    std::printf("generate: %lld events, %lld output chunks, %.1f MiB, %.1f s\n",
                static_cast<long long>(g.events()), static_cast<long long>(g.outputs()),
                double(QFileInfo(path).size()) / 1048576.0, double(timer.elapsed()) / 1000.0);
    return 0;
}

// CPU time of the whole process (every thread), ms: what the work costs whatever else runs.
double cpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3
           + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

double peakRssMiB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

// Drops the file's pages from the page cache, so that the next read comes from the disk.
bool dropFromPageCache(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

struct Stats {
    double median = 0, worst = 0;
};
Stats summarize(std::vector<double> values)
{
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    return {values[values.size() / 2], values.back()};
}

int measure(const QString &path, bool cold)
{
    double loadBefore = 0;
    getloadavg(&loadBefore, 1);
    if (cold && !dropFromPageCache(path))
        std::printf("note: could not drop the bundle from the page cache\n");
    const double rssBefore = peakRssMiB();
    const double cpuBefore = cpuMs();
    QElapsedTimer timer;
    timer.start();
    BundleError error;
    std::unique_ptr<BundleReader> reader = BundleReader::open(path, &error);
    if (!reader) {
        std::fprintf(stderr, "%s\n", qPrintable(error.message));
        return 1;
    }
    const double openMs = double(timer.nsecsElapsed()) / 1e6;
    const Run run = reader->runs().value(0);

    ui::TimelineWidget widget;
    widget.resize(1600, 900);
    widget.show();
    QEventLoop loop;
    QObject::connect(&widget, &ui::TimelineWidget::loaded, &loop, &QEventLoop::quit);
    QTimer::singleShot(300'000, &loop, &QEventLoop::quit);
    widget.setRun(reader.get(), run.id);
    loop.exec();
    if (widget.isLoading() || !widget.index()) {
        std::fprintf(stderr, "the timeline did not finish loading\n");
        return 1;
    }
    QCoreApplication::processEvents(); // what the event loop does next: layout, queued replot
    widget.redrawNow();
    QPixmap first = widget.grab();
    const double firstPaintMs = double(timer.nsecsElapsed()) / 1e6;
    const double firstPaintCpuMs = cpuMs() - cpuBefore;
    const TimelineLoadStats load = widget.loadStats();
    const std::shared_ptr<const TimelineIndex> index = widget.index();

    // Redraws: every step changes the window, then grab() paints the whole widget.
    auto redraw = [&] {
        QElapsedTimer t;
        t.start();
        widget.redrawNow();
        widget.grab();
        return double(t.nsecsElapsed()) / 1e6;
    };
    std::vector<double> pans, zooms;
    const TimeWindow all = widget.window();
    for (double width : {all.width(), all.width() / 20, all.width() / 1000}) {
        widget.setWindow({all.fromNs, all.fromNs + width});
        redraw();
        for (int i = 0; i < 10; ++i) {
            widget.panBy(0.1);
            pans.push_back(redraw());
        }
    }
    widget.fitAll();
    redraw();
    for (int i = 0; i < 20; ++i) {
        widget.zoomBy(0.7);
        zooms.push_back(redraw());
    }
    for (int i = 0; i < 20; ++i) {
        widget.zoomBy(1 / 0.7);
        zooms.push_back(redraw());
    }
    const Stats pan = summarize(pans), zoom = summarize(zooms);
    first.save(QDir::temp().filePath(QStringLiteral("timelinebench.png")));

    std::printf("load average (1 min) before: %.1f\n", loadBefore);
    std::printf("events: %lld (+ %lld output chunks), %lld lanes\n", static_cast<long long>(load.eventRows),
                static_cast<long long>(load.outputRows), static_cast<long long>(index ? index->lanes.size() : 0));
    std::printf("bundle open (%s page cache): %.0f ms\n", cold ? "cold" : "warm", openMs);
    std::printf("index scan: %lld ms, arrange: %lld ms, index memory: %.1f MiB\n",
                static_cast<long long>(load.queryMs), static_cast<long long>(load.arrangeMs),
                index ? double(index->memoryBytes()) / 1048576.0 : 0.0);
    std::printf("open to first paint: %.0f ms (CPU %.0f ms in all threads)\n", firstPaintMs, firstPaintCpuMs);
    std::printf("pan redraw: median %.1f ms, worst %.1f ms (%zu)\n", pan.median, pan.worst, pans.size());
    std::printf("zoom redraw: median %.1f ms, worst %.1f ms (%zu)\n", zoom.median, zoom.worst, zooms.size());
    std::printf("peak RSS: %.0f MiB (%.0f MiB before opening)\n", peakRssMiB(), rssBefore);
    return 0;
}

// The whole window, as initscope-gui FILE shows it: open to first paint of the main window,
// then the first showing of each tab of the run, and the peak resident memory.
int measureWindow(const QString &path)
{
    double loadBefore = 0;
    getloadavg(&loadBefore, 1);
    const double rssBefore = peakRssMiB();
    QElapsedTimer timer;
    timer.start();
    ui::MainWindow window;
    window.setErrorReporter([](const QString &, const QString &message) {
        std::fprintf(stderr, "%s\n", qPrintable(message));
    });
    window.resize(1600, 1000);
    window.show();
    if (!window.openBundle(path))
        return 1;
    QCoreApplication::processEvents();
    window.grab();
    const double firstPaintMs = double(timer.nsecsElapsed()) / 1e6;
    std::printf("load average (1 min) before: %.1f\n", loadBefore);
    std::printf("window open to first paint: %.0f ms, peak RSS %.0f MiB (%.0f before)\n", firstPaintMs,
                peakRssMiB(), rssBefore);
    std::fflush(stdout);
    ui::RunView *view = window.currentPage()->findChild<ui::RunView *>();
    QTabWidget *tabs = view ? view->runTabs() : nullptr;
    if (!tabs)
        return 1;
    if (view->diagnosisPanel()->isPending()) {
        QEventLoop loop;
        QObject::connect(view, &ui::RunView::diagnosisReady, &loop, &QEventLoop::quit);
        loop.exec();
    }
    std::printf("diagnosis shown: %.0f ms after opening, peak RSS %.0f MiB\n", double(timer.nsecsElapsed()) / 1e6,
                peakRssMiB());
    std::fflush(stdout);
    for (int i = 1; i < tabs->count(); ++i) {
        QElapsedTimer t;
        t.start();
        tabs->setCurrentIndex(i);
        QCoreApplication::processEvents();
        // The Calls tab of a large run reads its rows on a worker: shown means its rows are.
        if (auto *calls = qobject_cast<ui::CallsPanel *>(tabs->currentWidget())) {
            QEventLoop loop;
            QObject::connect(calls, &ui::CallsPanel::loaded, &loop, &QEventLoop::quit);
            if (calls->isLoading())
                loop.exec();
            QCoreApplication::processEvents();
        }
        if (auto *timeline = qobject_cast<ui::TimelineWidget *>(tabs->currentWidget())) {
            QEventLoop loop;
            QObject::connect(timeline, &ui::TimelineWidget::loaded, &loop, &QEventLoop::quit);
            if (timeline->isLoading())
                loop.exec();
            QCoreApplication::processEvents();
        }
        window.grab();
        std::printf("tab %s first shown: %.0f ms, peak RSS %.0f MiB\n", qPrintable(tabs->tabText(i)),
                    double(t.nsecsElapsed()) / 1e6, peakRssMiB());
        std::fflush(stdout);
    }
    window.grab().save(QDir::temp().filePath(QStringLiteral("windowbench.png")));
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Timeline benchmark: open, pan, zoom, memory."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("short"), QStringLiteral("50,000 events (CI).")});
    parser.addOption({QStringLiteral("events"), QStringLiteral("Events to generate."), QStringLiteral("N"),
                      QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("bundle"), QStringLiteral("Measure this bundle; with --generate, write it."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("generate"), QStringLiteral("Only write the bundle.")});
    parser.addOption({QStringLiteral("measure"), QStringLiteral("Only measure the bundle.")});
    parser.addOption({QStringLiteral("window"), QStringLiteral("Measure the whole main window on the bundle.")});
    parser.addOption({QStringLiteral("cold"), QStringLiteral("Drop the bundle from the page cache first.")});
    parser.process(app);
    const qint64 events = parser.isSet(QStringLiteral("short")) ? 50'000 : parser.value(QStringLiteral("events")).toLongLong();
    QString path = parser.value(QStringLiteral("bundle"));
    const bool cold = parser.isSet(QStringLiteral("cold"));
    if (parser.isSet(QStringLiteral("generate")))
        return path.isEmpty() ? 64 : generate(path, events);
    if (parser.isSet(QStringLiteral("window")))
        return path.isEmpty() ? 64 : measureWindow(path);
    if (parser.isSet(QStringLiteral("measure")))
        return path.isEmpty() ? 64 : measure(path, cold);

    // Both, each in its own process so that the figures of one do not include the other.
    QTemporaryDir dir;
    if (path.isEmpty())
        path = dir.filePath(QStringLiteral("timeline.initscope"));
    std::printf("host: %d cores\n", int(sysconf(_SC_NPROCESSORS_ONLN)));
    std::fflush(stdout);
    auto self = [&](const QStringList &args) {
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedChannels);
        p.start(QCoreApplication::applicationFilePath(), args);
        p.waitForFinished(-1);
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 1;
    };
    const QStringList common{QStringLiteral("--bundle"), path};
    if (int rc = self(QStringList{QStringLiteral("--generate"), QStringLiteral("--events"), QString::number(events)} + common))
        return rc;
    if (int rc = self(QStringList{QStringLiteral("--measure")} + common))
        return rc;
    if (int rc = self(QStringList{QStringLiteral("--measure"), QStringLiteral("--cold")} + common))
        return rc;
    return self(QStringList{QStringLiteral("--window")} + common);
}
