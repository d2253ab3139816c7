// The effective environment of the selected process, sorted and filterable; below it the run's
// config and files (shims, GPU libraries, with their SHA-256), the same for every process.
#pragma once

#include "data.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;

namespace initscope::ui
{

class EnvironmentModel;
class RunFilesModel;

class EnvironmentPanel : public QWidget
{
    Q_OBJECT
public:
    explicit EnvironmentPanel(QWidget *parent = nullptr);

    void setEnvironment(const QStringList &env);
    // The run's artifacts (docs/bundle-format.md) and Run::configJson.
    void setRunFiles(const QList<Artifact> &artifacts, const QByteArray &configJson);

    EnvironmentModel *model() const { return m_model; }
    RunFilesModel *filesModel() const { return m_filesModel; }
    QTableView *filesView() const { return m_filesView; }
    QPlainTextEdit *configView() const { return m_config; }
    QSplitter *splitter() const { return m_splitter; }

private:
    void updateSummary();
    void copyFiles();

    EnvironmentModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLineEdit *m_filterEdit;
    QLabel *m_summary;
    RunFilesModel *m_filesModel;
    QTableView *m_filesView;
    QLabel *m_filesTitle;
    QPlainTextEdit *m_config;
    QSplitter *m_splitter;
};

} // namespace initscope::ui
