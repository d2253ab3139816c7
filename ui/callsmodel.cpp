#include "callsmodel.h"

#include "format.h"
#include "theme.h"

#include <QByteArrayMatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>

namespace initscope::ui
{

namespace
{

// Rows decoded together when a row is asked for outside a prefetch: it and the next rows.
constexpr int kDecodeBatch = 16;

// The extent of the JSON value that starts at json[start]: a string to its closing quote, an
// object or array to its matching bracket, anything else to the next ',', '}' or ']'.
QByteArrayView valueAt(QByteArrayView json, qsizetype start)
{
    int depth = 0;
    bool inString = false;
    for (qsizetype i = start; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
                if (depth == 0)
                    return json.sliced(start, i + 1 - start);
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return json.sliced(start, i - start);
            if (--depth == 0)
                return json.sliced(start, i + 1 - start);
        } else if (c == ',' && depth == 0) {
            return json.sliced(start, i - start);
        }
    }
    return json.sliced(start);
}

QJsonValue parseValue(QByteArrayView slice)
{
    if (slice.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    QByteArray document;
    document.reserve(slice.size() + 2);
    document.append('[').append(slice).append(']');
    return QJsonDocument::fromJson(document).array().at(0);
}

// A JSON string's text; most have no escapes and need no parser.
QString stringValue(QByteArrayView slice)
{
    if (slice.size() >= 2 && slice.front() == '"' && slice.back() == '"' && !slice.contains('\\'))
        return QString::fromUtf8(slice.sliced(1, slice.size() - 2));
    return parseValue(slice).toString();
}

// The result part of a decoded call: resultSlice is the payload's "result" value.
void decodeResult(QByteArrayView resultSlice, CallsModel::Decoded &d)
{
    QByteArrayView name, message, string, code, pointer;
    CallsModel::forEachTopLevelKey(resultSlice, [&](QByteArrayView key, QByteArrayView value) {
        if (key == "name")
            name = value;
        else if (key == "message")
            message = value;
        else if (key == "string")
            string = value;
        else if (key == "code")
            code = value;
        else if (key == "pointer")
            pointer = value;
    });
    if (d.unfinished) {
        d.result = QStringLiteral("did not return");
        d.message = QStringLiteral("the process ended inside this call");
    } else if (resultSlice.startsWith('"')) {
        d.result = stringValue(resultSlice);
    } else if (!name.isEmpty()) {
        d.result = stringValue(name);
        d.message = stringValue(message);
    } else if (!string.isEmpty()) {
        d.result = QLatin1Char('"') + stringValue(string) + QLatin1Char('"');
    } else if (!code.isEmpty()) {
        d.result = QStringLiteral("code %1").arg(QString::fromLatin1(code));
    } else if (!pointer.isEmpty()) {
        d.result = pointer == "null" ? QStringLiteral("NULL") : stringValue(pointer);
    }
}

// The result text alone, for sort keys: a payload's summary is not formatted to sort by result.
QString resultText(QByteArrayView json)
{
    CallsModel::Decoded d;
    QByteArrayView resultSlice;
    CallsModel::forEachTopLevelKey(json, [&](QByteArrayView key, QByteArrayView value) {
        if (key == "result")
            resultSlice = value;
        else if (key == "unfinished")
            d.unfinished = value == "true";
    });
    decodeResult(resultSlice, d);
    return d.result;
}

// Whether the cuGetProcAddress call with this payload handed out a pointer to function.
bool handedOut(const QByteArray &payload, const QString &function)
{
    const QJsonObject resolved =
        QJsonDocument::fromJson(payload).object().value(QLatin1String("resolved")).toObject();
    if (!resolved.value(QLatin1String("ok")).toBool(false) || resolved.value(QLatin1String("pointer")).isNull())
        return false;
    // A function reached through the pointer is traced under the name the resolver's object
    // exports at that address, or under the spelling a caller of the requested version
    // expects. The requested symbol itself counts only when neither is known:
    // "cuGetProcAddress" asked at 12000 hands out cuGetProcAddress_v2, which a later
    // 4-argument call is not.
    const QString owner = resolved.value(QLatin1String("ownerSymbol")).toString();
    const QString expected = resolved.value(QLatin1String("expected")).toString();
    if (owner.isEmpty() && expected.isEmpty())
        return resolved.value(QLatin1String("symbol")).toString() == function;
    return owner == function || expected == function;
}

} // namespace

// What the table shows of a call, from the few parts of its payload it needs: a payload of
// kilobytes is not parsed whole to show one line of it.
CallsModel::Decoded CallsModel::decode(const QByteArray &payload)
{
    Decoded d;
    const QByteArrayView json(payload);
    // One pass over the payload for the keys the table needs.
    QByteArrayView reach, resolved, table, summary, resultSlice, unfinished;
    forEachTopLevelKey(json, [&](QByteArrayView key, QByteArrayView value) {
        if (key == "reach")
            reach = value;
        else if (key == "resolved")
            resolved = value;
        else if (key == "exportTable")
            table = value;
        else if (key == "summary")
            summary = value;
        else if (key == "result")
            resultSlice = value;
        else if (key == "unfinished")
            unfinished = value;
    });
    d.unfinished = unfinished == "true";
    d.reach = stringValue(reach);
    d.failed = callStatusOfPayload(json) != CallStatus::Ok;
    for (const QByteArrayView detail : {resolved, table}) {
        d.summary = stringValue(topLevelSlice(detail, "summary"));
        if (!d.summary.isEmpty())
            break;
    }
    if (d.summary.isEmpty())
        d.summary = stringValue(summary);
    if (d.summary.isEmpty())
        d.summary = json.startsWith('{') ? formatPayload(payload) : safeText(payload, 2000);
    decodeResult(resultSlice, d);
    return d;
}

CallsModel::CallsModel(QObject *parent)
    : QAbstractTableModel(parent), m_calls(std::make_shared<const Calls>()), m_decoded(kDefaultDecodedLimit)
{
}

CallsModel::~CallsModel() = default;

std::vector<qint32> CallsModel::computeSortRanks(const EventScanner &scanner, const Calls &calls, Column column,
                                                 const std::atomic_bool *stop)
{
    if (column == ResultColumn)
        return rankCallsByText(scanner, calls, resultText, stop);
    return rankCallsByText(
        scanner, calls, [](QByteArrayView payload) { return decode(payload.toByteArray()).summary; }, stop);
}

std::optional<CallsModel::Api> CallsModel::apiOfKind(QStringView kind)
{
    if (kind == QLatin1String("cuda.call"))
        return Api::Driver;
    if (kind == QLatin1String("cudart.call"))
        return Api::Runtime;
    if (kind == QLatin1String("nvml.call"))
        return Api::Nvml;
    return std::nullopt;
}

QString CallsModel::apiName(Api api)
{
    switch (api) {
    case Api::Driver:
        return QStringLiteral("Driver");
    case Api::Runtime:
        return QStringLiteral("Runtime");
    case Api::Nvml:
        break;
    }
    return QStringLiteral("NVML");
}

void CallsModel::forEachTopLevelKey(QByteArrayView json,
                                    const std::function<void(QByteArrayView, QByteArrayView)> &visit,
                                    QByteArrayView stopAfter)
{
    int depth = 0;
    qsizetype stringStart = -1; // first byte of the string being read, -1 outside strings
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (stringStart >= 0) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                // A string followed by ':' is a key; at depth 1 it is one of the object's own.
                if (depth == 1 && i + 1 < json.size() && json[i + 1] == ':') {
                    const QByteArrayView key = json.sliced(stringStart, i - stringStart);
                    const QByteArrayView value = valueAt(json, i + 2);
                    visit(key, value);
                    if (key == stopAfter)
                        return;
                    i += 1 + value.size(); // on to the ',' or '}' after the value
                }
                stringStart = -1;
            }
            continue;
        }
        if (c == '"')
            stringStart = i + 1;
        else if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']')
            --depth;
    }
}

QByteArrayView CallsModel::topLevelSlice(QByteArrayView json, QByteArrayView key)
{
    QByteArrayView found;
    forEachTopLevelKey(
        json,
        [&found, key](QByteArrayView k, QByteArrayView value) {
            if (k == key)
                found = value;
        },
        key);
    return found;
}

std::optional<bool> CallsModel::topLevelBool(QByteArrayView json, QByteArrayView key)
{
    const QByteArrayView value = topLevelSlice(json, key);
    if (value == "true")
        return true;
    if (value == "false")
        return false;
    return std::nullopt;
}

bool CallsModel::payloadFailed(const QByteArray &payload)
{
    return callStatusOfPayload(payload) != CallStatus::Ok;
}

void CallsModel::setCalls(std::unique_ptr<EventScanner> scanner, SharedCalls calls,
                          const QHash<qint64, QString> &processLabels)
{
    beginResetModel();
    m_scanner = std::move(scanner);
    m_calls = calls ? std::move(calls) : std::make_shared<const Calls>();
    m_labels = processLabels;
    m_decoded.clear();
    m_resultRanks.clear();
    m_callRanks.clear();
    m_resolvers.clear();
    m_resolversIndexed = false;
    endResetModel();
}

void CallsModel::clear()
{
    setCalls(nullptr, nullptr, {});
}

QString CallsModel::path() const
{
    return m_scanner ? m_scanner->path() : QString();
}

QString CallsModel::text(qint32 stringId) const
{
    return m_scanner ? m_scanner->text(stringId) : QString();
}

QString CallsModel::functionName(int row) const
{
    return text(callRow(row).nameId);
}

QByteArray CallsModel::payload(int row) const
{
    if (!m_scanner)
        return {};
    const qint64 id = callRow(row).id;
    ++m_payloadsRead;
    return m_scanner->payloads({id}).value(id);
}

Event CallsModel::event(int row) const
{
    const EventRow &r = callRow(row);
    if (!m_scanner) {
        Event e;
        e.id = r.id;
        e.processId = r.processId;
        e.tid = r.tid;
        e.tsNs = r.tsNs;
        e.durNs = r.durNs;
        e.runId = m_calls->runId;
        return e;
    }
    return m_scanner->toEvent(r, payload(row), m_calls->runId);
}

int CallsModel::rowOfEvent(qint64 eventId) const
{
    return findCallRow(*m_calls, eventId);
}

CallsModel::Api CallsModel::api(int row) const
{
    const qint32 kind = callRow(row).kindId;
    if (kind == m_calls->runtimeKind)
        return Api::Runtime;
    if (kind == m_calls->nvmlKind)
        return Api::Nvml;
    return Api::Driver;
}

QString CallsModel::processLabel(qint64 processId) const
{
    const auto it = m_labels.constFind(processId);
    return it != m_labels.constEnd() ? *it : QStringLiteral("process %1").arg(processId);
}

bool CallsModel::isFailed(int row) const
{
    const CallStatus s = status(row);
    return s == CallStatus::Failed || s == CallStatus::Unfinished;
}

void CallsModel::prefetch(const std::vector<int> &rows) const
{
    if (!m_scanner)
        return;
    QList<qint64> ids;
    std::vector<int> wanted;
    // More than the cache holds would push out the first rows of this very batch.
    const size_t limit = size_t(std::max<qsizetype>(m_decoded.maxCost(), 0));
    for (int row : rows) {
        if (wanted.size() >= limit)
            break;
        if (row < 0 || row >= rowCount() || m_decoded.contains(row))
            continue;
        if (std::find(wanted.cbegin(), wanted.cend(), row) != wanted.cend())
            continue;
        wanted.push_back(row);
        ids.append(callRow(row).id);
    }
    if (wanted.empty())
        return;
    const QHash<qint64, QByteArray> payloads = m_scanner->payloads(ids);
    m_payloadsRead += payloads.size();
    for (int row : wanted)
        m_decoded.insert(row, new Decoded(decode(payloads.value(callRow(row).id))));
}

std::vector<bool> CallsModel::rowsContaining(const QByteArray &needle, bool caseInsensitive) const
{
    if (!m_scanner)
        return std::vector<bool>(m_calls->rows.size(), false);
    return callsContaining(*m_scanner, *m_calls, needle, caseInsensitive, nullptr);
}

CallsModel::Decoded CallsModel::decoded(int row) const
{
    if (const Decoded *d = m_decoded.object(row))
        return *d;
    std::vector<int> batch{row};
    for (int next = row + 1; next < rowCount() && int(batch.size()) < kDecodeBatch; ++next) {
        if (!m_decoded.contains(next))
            batch.push_back(next);
    }
    prefetch(batch);
    if (const Decoded *d = m_decoded.object(row))
        return *d;
    // A cache of no rows: decoded for this caller alone.
    return decode(payload(row));
}

std::vector<qint32> *CallsModel::rankSlot(Column column) const
{
    if (column == ResultColumn)
        return &m_resultRanks;
    if (column == CallColumn)
        return &m_callRanks;
    return nullptr;
}

bool CallsModel::hasSortRanks(Column column) const
{
    const std::vector<qint32> *slot = rankSlot(column);
    return slot && (!slot->empty() || m_calls->rows.empty());
}

const std::vector<qint32> *CallsModel::sortRanks(Column column) const
{
    std::vector<qint32> *slot = rankSlot(column);
    if (!slot)
        return nullptr;
    if (hasSortRanks(column))
        return slot;
    if (isLarge() || !m_scanner)
        return nullptr;
    *slot = computeSortRanks(*m_scanner, *m_calls, column, nullptr);
    return slot;
}

void CallsModel::setSortRanks(Column column, std::vector<qint32> ranks)
{
    std::vector<qint32> *slot = rankSlot(column);
    if (slot && ranks.size() == m_calls->rows.size())
        *slot = std::move(ranks);
}

void CallsModel::indexResolvers() const
{
    if (m_resolversIndexed)
        return;
    m_resolversIndexed = true;
    QSet<qint32> resolverNames;
    for (qint32 id : m_calls->nameIds) {
        if (text(id).startsWith(QLatin1String("cuGetProcAddress")))
            resolverNames.insert(id);
    }
    if (resolverNames.isEmpty())
        return;
    for (int row = 0; row < rowCount(); ++row) {
        const EventRow &e = callRow(row);
        if (resolverNames.contains(e.nameId))
            m_resolvers[e.processId].push_back(row);
    }
}

int CallsModel::resolverRow(int row) const
{
    if (row < 0 || row >= rowCount() || decoded(row).reach != QLatin1String("cuGetProcAddress"))
        return -1;
    indexResolvers();
    const EventRow &e = callRow(row);
    const auto it = m_resolvers.constFind(e.processId);
    if (it == m_resolvers.constEnd())
        return -1;
    // Back from the call; the name's bytes pick out the few requests worth parsing.
    const QString function = functionName(row);
    const QByteArrayMatcher named('"' + function.toUtf8() + '"');
    for (auto r = std::lower_bound(it->cbegin(), it->cend(), row); r != it->cbegin();) {
        --r;
        const QByteArray request = payload(*r);
        if (named.indexIn(request) >= 0 && handedOut(request, function))
            return *r;
    }
    return -1;
}

int CallsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_calls->rows.size());
}

int CallsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CallsModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant CallsModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const EventRow &e = callRow(row);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return formatMs(e.tsNs);
        case DurationColumn:
            return e.durNs > 0 ? formatDuration(e.durNs) : QString();
        case ProcessColumn:
            return processLabel(e.processId);
        case ThreadColumn:
            return e.tid;
        case ApiColumn:
            return apiName(api(row));
        case FunctionColumn:
            return functionName(row);
        case ResultColumn:
            return decoded(row).result;
        case CallColumn:
            return decoded(row).summary;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == ResultColumn || index.column() == CallColumn) {
            const Decoded d = decoded(row);
            return d.message.isEmpty() ? d.summary : d.summary + QStringLiteral("\n\n") + d.message;
        }
        return rawData(index, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn || index.column() == DurationColumn ||
            index.column() == ThreadColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        if (isFailed(row))
            return theme::failure();
        break;
    case EventIdRole:
        return e.id;
    case ProcessIdRole:
        return e.processId;
    case TimeNsRole:
        return e.tsNs;
    case FailedRole:
        return isFailed(row);
    case ApiRole:
        return int(api(row));
    }
    return {};
}

QVariant CallsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time (ms)");
    case DurationColumn:
        return QStringLiteral("Duration");
    case ProcessColumn:
        return QStringLiteral("Process");
    case ThreadColumn:
        return QStringLiteral("Thread");
    case ApiColumn:
        return QStringLiteral("API");
    case FunctionColumn:
        return QStringLiteral("Function");
    case ResultColumn:
        return QStringLiteral("Result");
    case CallColumn:
        return QStringLiteral("Call");
    }
    return {};
}

} // namespace initscope::ui
