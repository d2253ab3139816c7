// A process's effective environment as a Name / Value table sorted by name. Variables that
// steer library loading or GPU bring-up are emphasized, since they are the usual suspects.
#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QString>
#include <QStringList>

namespace initscope::ui
{

class EnvironmentModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, ValueColumn, ColumnCount };

    explicit EnvironmentModel(QObject *parent = nullptr);

    // NAME=value entries, as Process::env holds them.
    void setEnvironment(const QStringList &env);
    static bool isNotable(const QString &name);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant rawData(const QModelIndex &index, int role) const;
    struct Entry {
        QString name;
        QString value;
    };
    QList<Entry> m_entries;
};

} // namespace initscope::ui
