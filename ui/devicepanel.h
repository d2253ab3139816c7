// Every source's view of the run's GPUs (docs/device.md): the findings on top, the table of
// properties by source below; double-clicking a value that came from a call shows that call.
#pragma once

#include "data.h"
#include "deviceview.h"

#include <QWidget>

class QTableView;
class QTextBrowser;

namespace initscope::ui
{

class DeviceModel;

class DevicePanel : public QWidget
{
    Q_OBJECT
public:
    explicit DevicePanel(QWidget *parent = nullptr);

    void setReport(const DeviceReport &report);

    DeviceModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QTextBrowser *findingsView() const { return m_findings; }

Q_SIGNALS:
    // A cell that came from a call event was activated.
    void eventActivated(qint64 processId, qint64 eventId);

private:
    QTextBrowser *m_findings;
    DeviceModel *m_model;
    QTableView *m_view;
};

} // namespace initscope::ui
