// The full output of one process as a line list: both streams interleaved by time, stderr in
// red, a filter by text and by stream, Copy (whole lines, never the elided text) and Save.
#pragma once

#include "data.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTimer;
class QTreeView;

namespace initscope::ui
{

class OutputFilterModel;
class OutputModel;

class OutputPanel : public QWidget
{
    Q_OBJECT
public:
    explicit OutputPanel(QWidget *parent = nullptr);

    // suggestedName is offered by Save Output…, without extension.
    void setOutput(const QList<OutputChunk> &chunks, const QString &suggestedName);

    OutputModel *model() const { return m_model; }
    OutputFilterModel *filterModel() const { return m_filter; }
    QTreeView *view() const { return m_view; }

    // The full text of the selected lines, one per line, as Copy puts it on the clipboard.
    QString selectedText() const;

public Q_SLOTS:
    // Makes the line-th line (1-based) of stream current and visible, clearing filters that
    // hide it; false when the output has fewer lines.
    bool selectLine(initscope::Stream stream, int line);

public:
    void copySelection();
    void saveOutput();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applyFilter();
    void updateSummary();
    void fitColumns();
    void fitTextColumn();

    OutputModel *m_model;
    OutputFilterModel *m_filter;
    QTreeView *m_view;
    QLineEdit *m_filterEdit;
    QComboBox *m_streamCombo;
    QLabel *m_summary;
    QTimer *m_filterTimer;
    QString m_suggestedName;
    int m_textWidth = 0;
};

} // namespace initscope::ui
