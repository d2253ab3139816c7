// The details of one traced call as a Field / Value tree: the call itself, its result, the
// decoded arguments in declaration order, the values it wrote, what a resolver handed out or
// an export table request got, the object that answered, and for a call reached through a
// pointer from cuGetProcAddress the request that produced that pointer. Rows that lead to
// another event carry its id (LinkEventIdRole) so that a view can select it.
#pragma once

#include "data.h"

#include <QAbstractItemModel>
#include <QJsonValue>
#include <QList>

#include <optional>
#include <vector>

namespace initscope::ui
{

class EventDetailsModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { FieldColumn, ValueColumn, ColumnCount };
    enum Role {
        LinkEventIdRole = Qt::UserRole + 1, // qint64 events.id this row leads to; absent if none
        LinkProcessIdRole,                  // qint64 processes.id of that event
        SectionRole,                        // bool: a top-level heading
    };

    // What the call's own record cannot say.
    struct Context {
        QString processLabel;
        QString api; // "Driver", "Runtime", "NVML"
        // Objects the call's process loaded, in the order it loaded them.
        QList<LibLoad> loads;
        // The cuGetProcAddress call whose pointer this call went through.
        std::optional<Event> resolver;
    };

    explicit EventDetailsModel(QObject *parent = nullptr);

    void setCall(const Event &event, const Context &context);
    void clear();
    // The one-line summary of the call shown above the tree; empty when cleared.
    // Escaped and cut for its one-line label (core/displaytext.h).
    QString summary() const;
    qint64 eventId() const { return m_eventId; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    // data() before shownData() (format.h) makes its strings safe to show.
    QVariant rawData(const QModelIndex &index, int role) const;
    struct Node {
        QString field;
        QString value;
        QString toolTip;
        int parent = -1; // index into m_nodes; -1 for a section
        int row = 0;
        QList<int> children;
        qint64 linkEventId = -1;
        qint64 linkProcessId = -1;
        bool failure = false;
    };
    int add(int parent, const QString &field, const QString &value = QString());
    void addJson(int parent, const QString &field, const QJsonValue &value);
    const QList<int> &childrenOf(const QModelIndex &parent) const;
    void build(const Event &event, const Context &context);

    std::vector<Node> m_nodes;
    QList<int> m_sections;
    QString m_summary;
    qint64 m_eventId = -1;
};

} // namespace initscope::ui
