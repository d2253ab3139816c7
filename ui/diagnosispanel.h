// The diagnosis of a run, at the top of its view: the top finding's title in its severity's
// colour, the failing step, the error line it explains and the fix; below, every finding with
// its evidence, the top one expanded. Clicking an evidence item, or "show in output" beside the error
// line, asks for it to be shown.
#pragma once

#include "diagnosis.h"

#include <QWidget>

class QLabel;
class QTreeView;

namespace initscope::ui
{

class DiagnosisModel;

class DiagnosisPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DiagnosisPanel(QWidget *parent = nullptr);

    void setDiagnosis(const Diagnosis &diagnosis);
    void clear();
    // While a long run is diagnosed in the background: what is being done, in the title's place.
    void setPending(const QString &text);
    bool isPending() const { return m_pending; }

    DiagnosisModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }
    QLabel *titleLabel() const { return m_title; }
    QLabel *errorLineLabel() const { return m_errorLine; }
    // The "show" link beside the error line; hidden when the line's place is not known.
    QLabel *errorLineLink() const { return m_errorLink; }

Q_SIGNALS:
    void evidenceActivated(const initscope::Evidence &evidence);

private:
    void activate(const QModelIndex &index);

    QLabel *m_title;
    QLabel *m_meta;
    QWidget *m_fields;
    QLabel *m_step;
    QLabel *m_errorLine;
    QLabel *m_errorLink;
    Evidence m_errorEvidence;
    QLabel *m_fix;
    DiagnosisModel *m_model;
    QTreeView *m_view;
    bool m_pending = false;
};

} // namespace initscope::ui
