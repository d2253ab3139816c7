// Narrows a CallsModel by text, API family, process, thread and failure, and sorts it by any
// column. The text is looked for, case-insensitively, in the function name, the process and
// the call's whole record (arguments, outputs, result, resolver details), so a pointer value
// or a device name finds the calls that passed it. Comparisons read the rows directly: sorting
// a million calls by time or duration costs no payload decoding.
#pragma once

#include "callsmodel.h"

#include <QByteArray>
#include <QSortFilterProxyModel>

#include <optional>

namespace initscope::ui
{

class CallsFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit CallsFilterModel(QObject *parent = nullptr);

    void setText(const QString &text);
    void setApi(std::optional<CallsModel::Api> api); // std::nullopt: every family
    void setProcessId(qint64 processId);             // -1: every process
    void setThread(qint64 tid);                      // -1: every thread
    void setFailedOnly(bool failedOnly);

    QString text() const { return m_text; }
    std::optional<CallsModel::Api> api() const { return m_api; }
    qint64 processId() const { return m_processId; }
    qint64 thread() const { return m_tid; }
    bool failedOnly() const { return m_failedOnly; }
    bool isFiltering() const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    const CallsModel *calls() const;

    QString m_text;
    QByteArray m_needle; // m_text as it appears inside a JSON string, UTF-8
    bool m_asciiNeedle = true;
    std::optional<CallsModel::Api> m_api;
    qint64 m_processId = -1;
    qint64 m_tid = -1;
    bool m_failedOnly = false;
};

} // namespace initscope::ui
