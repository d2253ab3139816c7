// Run > New Run Configuration… and Edit: the editor of a run config (docs/run-config.md), the
// JSON that `initscope record --config FILE` reads. The fields hold what the file itself says;
// a preset's own values are described beside them, not copied in, so the file stays "this
// preset, with these changes" as a person would write it.
#pragma once

#include "recording.h"

#include <QDialog>
#include <QJsonObject>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;

namespace initscope::ui
{

class RunConfigDialog : public QDialog
{
    Q_OBJECT
public:
    enum EnvironmentColumn { EnvActionColumn, EnvNameColumn, EnvValueColumn };
    enum ShimColumn { ShimPathColumn, ShimSonameColumn };

    explicit RunConfigDialog(QWidget *parent = nullptr);

    // Fills the fields from a config file; false with the same one-line error as
    // `initscope record --config` when the file cannot be used.
    bool load(const QString &path, QString *error);
    // The config's own options (recordConfigOwnOptions()): options.preset picks the preset.
    void setOptions(const RecordOptions &options);
    // What the fields say, the preset not expanded.
    RecordOptions options() const;
    // The JSON that Save writes.
    QJsonObject config() const;
    // Why the fields do not make a config `initscope record` accepts; empty when they do.
    QString problem() const;
    // Writes config() to path after checking problem(); false with *error otherwise.
    bool saveTo(const QString &path, QString *error);
    QString path() const { return m_path; }
    // Where Save puts a new config (Run > Run Configurations…'s folder).
    void setDefaultDirectory(const QString &directory) { m_defaultDirectory = directory; }

    // Adds a row to the environment table (what Add does, then typing): unset leaves value out.
    void addVariable(const QString &name, const QString &value, bool unset = false);
    void addShim(const QString &path, const QString &soname = QString());

    // Command-line words as the Arguments field shows them, and back: words holding spaces or
    // quotes are put in double quotes, a quote inside quotes is written """ (QProcess::splitCommand).
    static QString joinArguments(const QStringList &arguments);
    static QStringList splitArguments(const QString &text);

    QComboBox *presetBox() const { return m_preset; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *programEdit() const { return m_program; }
    QLineEdit *argumentsEdit() const { return m_arguments; }
    QLineEdit *workingDirectoryEdit() const { return m_workingDirectory; }
    QLineEdit *outputEdit() const { return m_output; }
    QDoubleSpinBox *timeoutBox() const { return m_timeout; }
    QCheckBox *cleanEnvironmentBox() const { return m_clean; }
    QTableWidget *environmentTable() const { return m_environment; }
    QTableWidget *shimTable() const { return m_shims; }
    QComboBox *injectionBox() const { return m_injection; }
    QPlainTextEdit *stopOnEdit() const { return m_stopOn; }
    QPlainTextEdit *collectEdit() const { return m_collect; }
    QLabel *problemLabel() const { return m_problem; }

Q_SIGNALS:
    void saved(const QString &path);

public Q_SLOTS:
    // Save: to the file it came from, else to a new file in the default folder (asked).
    void accept() override;

private:
    QWidget *createTargetGroup();
    QWidget *createEnvironmentGroup();
    QWidget *createShimGroup();
    QWidget *createEndGroup();
    void presetChanged();
    void saveAs();
    void updateProblem();
    void setPath(const QString &path);

    QString m_path;
    QString m_defaultDirectory;
    QLineEdit *m_name;
    QComboBox *m_preset;
    QLabel *m_presetNote;
    QLineEdit *m_program;
    QLineEdit *m_arguments;
    QLineEdit *m_workingDirectory;
    QLineEdit *m_output;
    QDoubleSpinBox *m_timeout;
    QCheckBox *m_clean;
    QTableWidget *m_environment;
    QTableWidget *m_shims;
    QComboBox *m_injection;
    QPlainTextEdit *m_stopOn;
    QLabel *m_stopNote;
    QPlainTextEdit *m_collect;
    QLabel *m_problem;
    QLabel *m_pathLabel;
};

} // namespace initscope::ui
