// Narrows an EventsModel by text: kept are the events whose kind, name or thread id holds it
// (without regard to case), the library searches and loads whose details do, and the events
// whose whole record (the payload) does. Kinds, names and threads come with the rows; which
// records hold the text is found by one pass over the payloads (findInRecords(), off the GUI
// thread for a large process) and handed in with setRecordMatches().
#pragma once

#include <QHash>
#include <QSortFilterProxyModel>

#include <vector>

namespace initscope::ui
{

class EventsModel;

class EventsFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit EventsFilterModel(QObject *parent = nullptr);

    // Filters at once on what the rows hold; records join when setRecordMatches() comes.
    void setText(const QString &text);
    QString text() const { return m_text; }
    // The events whose record holds text(), ids in ascending order.
    void setRecordMatches(std::vector<qint64> ids);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    const EventsModel *events() const;
    bool stringMatches(qint32 stringId) const;

    QString m_text;
    bool m_numeric = false; // m_text could be (part of) a thread id
    std::vector<qint64> m_recordMatches;
    // String id → whether its text holds m_text: kinds and names repeat over many rows.
    mutable QHash<qint32, bool> m_stringMatches;
};

} // namespace initscope::ui
