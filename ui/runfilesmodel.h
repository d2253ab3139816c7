// The files that belong to a run, as the bundle's artifacts table lists them: the run config,
// the shims given with --shim and the GPU libraries the processes loaded, each with its size and
// SHA-256, so that "which libcuda.so.1 was it?" has an exact answer. A file kept under several
// kinds (a shim that was also loaded) is one row. ELF and machine facts are not files; the
// Symbols and Device tabs show them.
#pragma once

#include "data.h"

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>

namespace initscope::ui
{

class RunFilesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { PathColumn, KindColumn, SizeColumn, Sha256Column, ColumnCount };

    explicit RunFilesModel(QObject *parent = nullptr);

    void setArtifacts(const QList<Artifact> &artifacts);
    // "shim" (--shim), "loaded" (a GPU library a process loaded), "run config", or the kind itself.
    static QString kindName(const QString &kind);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    struct File {
        QString path;
        QStringList kinds;
        qint64 size = 0;
        QString sha256;
    };
    QList<File> m_files;
};

} // namespace initscope::ui
