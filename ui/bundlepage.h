// One open bundle, shown in one tab: a bar naming the run (with a selector when the bundle
// holds several) above the RunView of the selected run.
#pragma once

#include "data.h"

#include <QList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;

namespace initscope
{
class BundleReader;
}

namespace initscope::ui
{

class RunView;

class BundlePage : public QWidget
{
    Q_OBJECT
public:
    explicit BundlePage(std::unique_ptr<BundleReader> reader, QWidget *parent = nullptr);
    ~BundlePage() override;

    QString path() const;
    const BundleReader &reader() const { return *m_reader; }
    const QList<Run> &runs() const { return m_runs; }
    int currentRun() const;
    void setCurrentRun(int index);
    // "3 processes · 412 events · 5.203 s · exit 1", for the status bar.
    QString summary() const;
    // The reader's complaint once a query could not be answered from the file; empty while
    // everything read fine.
    QString readProblem() const;

    RunView *runView() const { return m_runView; }
    QComboBox *runSelector() const { return m_runCombo; }

Q_SIGNALS:
    void summaryChanged(const QString &summary);

private:
    void showRun(int index);
    void checkReader();

    std::unique_ptr<BundleReader> m_reader;
    QList<Run> m_runs;
    QComboBox *m_runCombo;
    QLabel *m_runLabel;
    QLabel *m_runInfo;
    QLabel *m_problem;
    RunView *m_runView;
    QString m_summary;
};

} // namespace initscope::ui
