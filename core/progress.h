// Progress of long work (recording, ingest, matrices, exports) on standard error: one line,
// rewritten in place, only when standard error is a terminal. Piped or redirected, nothing is
// written, so a log or a script reading stderr sees only messages. The line is drawn at most
// ten times a second and erased when the work ends, leaving the terminal as it was.
//
// INITSCOPE_PROGRESS=never hides it on a terminal too; INITSCOPE_PROGRESS=always draws it
// whatever stderr is (tests, `script` logs). TERM=dumb hides it (no way to erase a line).
// docs/cli.md, "Progress".
#pragma once

#include <QElapsedTimer>
#include <QString>

#include <cstddef>

namespace initscope {

class Progress
{
public:
    // task: what is going on, in a few words ("ingesting raw records"). total: the amount of
    // work in the unit given to update() (0: unknown; the line then shows the count only).
    explicit Progress(QString task, qint64 total = 0, QString unit = QString());
    ~Progress(); // erases the line
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;

    // done: the work done so far, in the unit of total; detail: a short word on the current
    // step (a file name, a configuration). Cheap when nothing is drawn: call it freely. Never
    // blocks: while another thread writes to the terminal (Interruption) it draws nothing.
    void update(qint64 done, const QString &detail = QString());
    void setTotal(qint64 total) { m_total = total; }

    // Erases the line now (before other output to the terminal); update() draws it again.
    void clear();

    bool shown() const { return m_enabled; }

    // Whether progress goes to standard error at all (a terminal, or INITSCOPE_PROGRESS).
    static bool enabled();

    // Output that other threads pass on to the terminal while a line may be shown (the
    // target's output during `initscope record`) is written while one of these lives: it
    // erases the line and holds the terminal; wrote() tells it what went out. Once destroyed,
    // the line comes back only at the start of a line — never over a line the output left
    // unfinished — and at most ten times a second. Free when no line is being shown.
    class Interruption
    {
    public:
        Interruption();
        ~Interruption();
        Interruption(const Interruption &) = delete;
        Interruption &operator=(const Interruption &) = delete;
        void wrote(const char *data, std::size_t size);

    private:
        bool m_held = false;
    };

private:
    QString render(qint64 done, const QString &detail) const;

    QString m_task;
    QString m_unit;
    qint64 m_total = 0;
    bool m_enabled = false;
    QElapsedTimer m_sinceStart;
    QElapsedTimer m_sinceRender;
};

} // namespace initscope
