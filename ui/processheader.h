// The facts about the selected process image above its tabs: name, pid/ppid, how it ended,
// its command line (selectable, scrolls rather than widening the window) and its times.
#pragma once

#include "data.h"

#include <QWidget>

class QLabel;
class QLineEdit;

namespace initscope::ui
{

class ProcessHeader : public QWidget
{
    Q_OBJECT
public:
    explicit ProcessHeader(QWidget *parent = nullptr);

    // run gives the wall clock of t = 0; parent names the ppid when it is in the run.
    void setProcess(const Run &run, const Process &process, const Process *parent);
    void clear();

    QString titleText() const;
    QString exitText() const;
    QString commandText() const;
    QString timesText() const;

private:
    QLabel *m_title;
    QLabel *m_ids;
    QLabel *m_exit;
    QLabel *m_exe;
    QLineEdit *m_command;
    QLabel *m_times;
};

} // namespace initscope::ui
