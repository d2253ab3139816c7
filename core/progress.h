// Progress of long work (recording, ingest, matrices, exports) on standard error: one line,
// rewritten in place, only when standard error is a terminal. Piped or redirected, nothing is
// written, so a log or a script reading stderr sees only messages. The line is drawn at most
// ten times a second and erased when the work ends, leaving the terminal as it was.
//
// INITSCOPE_PROGRESS=never hides it on a terminal too; INITSCOPE_PROGRESS=always draws it
// whatever stderr is (tests, `script` logs). docs/cli.md, "Progress".
#pragma once

#include <QElapsedTimer>
#include <QString>

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
    // step (a file name, a configuration). Cheap when nothing is drawn: call it freely.
    void update(qint64 done, const QString &detail = QString());
    void setTotal(qint64 total) { m_total = total; }

    // Erases the line now (before other output to the terminal); update() draws it again.
    void clear();

    bool shown() const { return m_enabled; }

    // Whether progress goes to standard error at all (a terminal, or INITSCOPE_PROGRESS).
    static bool enabled();

private:
    void draw(qint64 done, const QString &detail);

    QString m_task;
    QString m_unit;
    qint64 m_total = 0;
    bool m_enabled = false;
    bool m_drawn = false;
    QElapsedTimer m_sinceDraw;
    QElapsedTimer m_sinceStart;
};

} // namespace initscope
