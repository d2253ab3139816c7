#include "progress.h"

#include "displaytext.h"

#include <QByteArray>

#include <atomic>
#include <cerrno>
#include <mutex>

#include <sys/ioctl.h>
#include <unistd.h>

namespace initscope {

namespace {

constexpr qint64 kFirstDrawMs = 250; // work that ends sooner shows nothing
constexpr qint64 kRenderMs = 50;     // how often update() looks at all
constexpr qint64 kRedrawMs = 100;    // the least time between two draws: ten a second at most

// There is one standard error, so there is one line: its state is the process's, shared by
// every Progress and by the threads that pass other output on to the same terminal.
struct Terminal {
    std::mutex mutex;
    std::atomic<int> live{0}; // Progress objects that may draw
    QByteArray line;          // what the line says now (drawn or waiting to be)
    bool wanted = false;      // a line should be on the screen
    bool drawn = false;       // it is
    bool atLineStart = true;  // the last output passed on ended its line
    QElapsedTimer sinceDraw;
};

Terminal &terminal()
{
    static Terminal t;
    return t;
}

void writeAll(const char *data, qsizetype size)
{
    while (size > 0) {
        const ssize_t n = ::write(STDERR_FILENO, data, size_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        size -= n;
    }
}

// Called with the mutex held.
void drawLocked(Terminal &t)
{
    // Carriage return, the line, then erase to the end of the line: a shorter line leaves
    // nothing of a longer one behind.
    const QByteArray bytes = '\r' + t.line + "\x1b[K";
    writeAll(bytes.constData(), bytes.size());
    t.drawn = true;
    t.sinceDraw.start();
}

void eraseLocked(Terminal &t)
{
    if (!t.drawn)
        return;
    writeAll("\r\x1b[K", 4);
    t.drawn = false;
}

int terminalColumns()
{
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

QString humanCount(qint64 n, const QString &unit)
{
    if (unit == QLatin1String("bytes")) {
        if (n >= 10LL * 1024 * 1024)
            return QStringLiteral("%1 MiB").arg(n / (1024 * 1024));
        if (n >= 10 * 1024)
            return QStringLiteral("%1 KiB").arg(n / 1024);
        return QStringLiteral("%1 bytes").arg(n);
    }
    return unit.isEmpty() ? QString::number(n) : QStringLiteral("%1 %2").arg(n).arg(unit);
}

} // namespace

bool Progress::enabled()
{
    const QByteArray setting = qgetenv("INITSCOPE_PROGRESS");
    if (setting == "always")
        return true;
    if (setting == "never")
        return false;
    // A terminal that cannot erase a line would keep every redraw.
    if (qgetenv("TERM") == "dumb")
        return false;
    return ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(QString task, qint64 total, QString unit)
    : m_task(std::move(task)), m_unit(std::move(unit)), m_total(total), m_enabled(enabled())
{
    m_sinceStart.start();
    if (m_enabled)
        terminal().live.fetch_add(1);
}

Progress::~Progress()
{
    clear();
    if (m_enabled)
        terminal().live.fetch_sub(1);
}

QString Progress::render(qint64 done, const QString &detail) const
{
    QString line = QStringLiteral("initscope: ") + m_task;
    if (m_total > 0) {
        const qint64 percent = qBound(qint64(0), done * 100 / m_total, qint64(100));
        // "(42 MiB of 115 MiB)", "(32768 of 200012 events)"
        line += m_unit == QLatin1String("bytes") || m_unit.isEmpty()
                    ? QStringLiteral(" %1% (%2 of %3)").arg(percent).arg(humanCount(done, m_unit), humanCount(m_total, m_unit))
                    : QStringLiteral(" %1% (%2 of %3 %4)").arg(percent).arg(done).arg(m_total).arg(m_unit);
    } else if (done > 0) {
        line += QStringLiteral(" (%1)").arg(humanCount(done, m_unit));
    }
    line += QStringLiteral(", %1 s").arg(m_sinceStart.elapsed() / 1000);
    if (!detail.isEmpty())
        line += QStringLiteral(": ") + detail;
    // A program name or a configuration's name may hold anything: nothing of it is obeyed.
    line = display::escape(line);
    const int width = terminalColumns() - 1;
    if (line.size() > width)
        line = line.left(width - 1) + QChar(0x2026);
    return line;
}

void Progress::update(qint64 done, const QString &detail)
{
    if (!m_enabled)
        return;
    if (m_sinceStart.elapsed() < kFirstDrawMs)
        return;
    if (m_sinceRender.isValid() && m_sinceRender.elapsed() < kRenderMs)
        return;
    Terminal &t = terminal();
    std::unique_lock lock(t.mutex, std::try_to_lock);
    if (!lock.owns_lock())
        return; // output is being passed on: the next update draws
    m_sinceRender.start();
    QByteArray line = render(done, detail).toUtf8();
    if (t.drawn && line == t.line)
        return; // the screen says it already
    t.line = std::move(line);
    t.wanted = true;
    if (t.atLineStart && (!t.sinceDraw.isValid() || t.sinceDraw.elapsed() >= kRedrawMs))
        drawLocked(t);
}

void Progress::clear()
{
    if (!m_enabled)
        return;
    Terminal &t = terminal();
    std::lock_guard lock(t.mutex);
    eraseLocked(t);
    t.wanted = false;
}

Progress::Interruption::Interruption()
{
    Terminal &t = terminal();
    if (t.live.load(std::memory_order_relaxed) == 0)
        return;
    t.mutex.lock();
    m_held = true;
    eraseLocked(t);
}

void Progress::Interruption::wrote(const char *data, std::size_t size)
{
    if (m_held && size > 0)
        terminal().atLineStart = data[size - 1] == '\n';
}

Progress::Interruption::~Interruption()
{
    if (!m_held)
        return;
    Terminal &t = terminal();
    if (t.wanted && t.atLineStart && (!t.sinceDraw.isValid() || t.sinceDraw.elapsed() >= kRedrawMs))
        drawLocked(t);
    t.mutex.unlock();
}

} // namespace initscope
