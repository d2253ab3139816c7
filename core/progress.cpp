#include "progress.h"

#include "displaytext.h"

#include <QByteArray>

#include <cstdio>

#include <sys/ioctl.h>
#include <unistd.h>

namespace initscope {

namespace {

constexpr qint64 kRedrawMs = 100;

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
    return ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(QString task, qint64 total, QString unit)
    : m_task(std::move(task)), m_unit(std::move(unit)), m_total(total), m_enabled(enabled())
{
    m_sinceStart.start();
}

Progress::~Progress()
{
    clear();
}

void Progress::update(qint64 done, const QString &detail)
{
    if (!m_enabled)
        return;
    // The first line waits a quarter of a second: work that ends sooner shows nothing.
    if (!m_drawn && m_sinceStart.elapsed() < 250)
        return;
    if (m_drawn && m_sinceDraw.isValid() && m_sinceDraw.elapsed() < kRedrawMs)
        return;
    draw(done, detail);
}

void Progress::draw(qint64 done, const QString &detail)
{
    QString line = QStringLiteral("initscope: ") + m_task;
    if (m_total > 0) {
        const qint64 percent = qBound<qint64>(0, done * 100 / m_total, 100);
        line += QStringLiteral(" %1% (%2 of %3)")
                    .arg(percent)
                    .arg(humanCount(done, m_unit), humanCount(m_total, m_unit));
    } else if (done > 0) {
        line += QStringLiteral(" (%1)").arg(humanCount(done, m_unit));
    }
    line += QStringLiteral(", %1 s").arg(m_sinceStart.elapsed() / 1000);
    if (!detail.isEmpty())
        line += QStringLiteral(": ") + display::escape(detail);
    const int width = terminalColumns() - 1;
    if (line.size() > width)
        line = line.left(width - 1) + QChar(0x2026);
    // Carriage return, the line, then erase to the end of the line: a shorter line leaves
    // nothing of a longer one behind.
    const QByteArray bytes = "\r" + line.toUtf8() + "\x1b[K";
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
    m_drawn = true;
    m_sinceDraw.start();
}

void Progress::clear()
{
    if (!m_drawn)
        return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    m_drawn = false;
    m_sinceDraw.invalidate();
}

} // namespace initscope
