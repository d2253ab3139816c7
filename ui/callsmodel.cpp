#include "callsmodel.h"

#include "format.h"
#include "theme.h"

#include <QByteArrayMatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace initscope::ui
{

namespace
{

bool resultFailed(const QJsonObject &payload, bool unfinished)
{
    if (unfinished)
        return true;
    const QJsonValue result = payload.value(QLatin1String("result"));
    const QJsonObject resultObject = result.toObject();
    // Older payloads keep the code beside a result name.
    const qint64 code = resultObject.contains(QLatin1String("code"))
                            ? resultObject.value(QLatin1String("code")).toInteger()
                            : payload.value(QLatin1String("code")).toInteger(0);
    const bool resultOk = resultObject.value(QLatin1String("ok")).toBool(code == 0);
    return !payload.value(QLatin1String("ok")).toBool(resultOk);
}

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

// What the table shows of a call, from the few parts of its payload it needs: a payload of
// kilobytes is not parsed whole to show one line of it.
CallsModel::Decoded decode(const Event &e)
{
    CallsModel::Decoded d;
    const QByteArrayView json(e.payload);
    // One pass over the payload for the keys the table needs.
    QByteArrayView reach, resolved, table, summary, resultSlice, unfinished, ok;
    CallsModel::forEachTopLevelKey(json, [&](QByteArrayView key, QByteArrayView value) {
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
        else if (key == "ok")
            ok = value;
    });
    d.unfinished = unfinished == "true";
    d.reach = stringValue(reach);
    d.failed = d.unfinished || ok == "false" || (ok != "true" && CallsModel::payloadFailed(e.payload));
    for (const QByteArrayView detail : {resolved, table}) {
        d.summary = stringValue(CallsModel::topLevelSlice(detail, "summary"));
        if (!d.summary.isEmpty())
            break;
    }
    if (d.summary.isEmpty())
        d.summary = stringValue(summary);
    if (d.summary.isEmpty())
        d.summary = json.startsWith('{') ? formatPayload(e.payload) : safeText(e.payload, 2000);

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
    return d;
}

} // namespace

CallsModel::CallsModel(QObject *parent) : QAbstractTableModel(parent) {}

CallsModel::~CallsModel() = default;

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
    // Payloads are compact JSON: a call can only have failed when one of these is in the
    // bytes (no "ok" at all means the result code alone decides).
    static const QByteArrayMatcher okFalse(QByteArrayLiteral("\"ok\":false"));
    static const QByteArrayMatcher unfinished(QByteArrayLiteral("\"unfinished\""));
    static const QByteArrayMatcher anyOk(QByteArrayLiteral("\"ok\":"));
    if (okFalse.indexIn(payload) < 0 && unfinished.indexIn(payload) < 0 && anyOk.indexIn(payload) >= 0)
        return false;
    // Nested objects ("result", "resolved") have an "ok" of their own: the object's own keys
    // decide, read without parsing the whole payload.
    if (topLevelBool(payload, "unfinished").value_or(false))
        return true;
    if (const std::optional<bool> ok = topLevelBool(payload, "ok"))
        return !*ok;
    const QJsonObject p = QJsonDocument::fromJson(payload).object();
    return resultFailed(p, false);
}

void CallsModel::setCalls(QList<Event> events, const QHash<qint64, QString> &processLabels)
{
    beginResetModel();
    m_events = std::move(events);
    m_labels = processLabels;
    m_apis.clear();
    m_apis.reserve(size_t(m_events.size()));
    m_rowById.clear();
    m_rowById.reserve(m_events.size());
    // Names and kinds repeat: share one string per distinct text.
    QHash<QString, QString> texts;
    auto share = [&texts](QString &text) {
        const auto it = texts.constFind(text);
        if (it == texts.constEnd())
            texts.insert(text, text);
        else
            text = *it;
    };
    for (int row = 0; row < m_events.size(); ++row) {
        Event &e = m_events[row];
        m_apis.push_back(apiOfKind(e.kind).value_or(Api::Driver));
        m_rowById.insert(e.id, row);
        share(e.name);
        share(e.kind);
    }
    m_decoded.clear();
    m_decoded.resize(size_t(m_events.size()));
    m_failed.assign(size_t(m_events.size()), -1);
    m_resolvers.clear();
    m_resolversIndexed = false;
    endResetModel();
}

void CallsModel::clear()
{
    setCalls({}, {});
}

const Event &CallsModel::event(int row) const
{
    return m_events[row];
}

int CallsModel::rowOfEvent(qint64 eventId) const
{
    return m_rowById.value(eventId, -1);
}

CallsModel::Api CallsModel::api(int row) const
{
    return m_apis[size_t(row)];
}

QString CallsModel::processLabel(qint64 processId) const
{
    const auto it = m_labels.constFind(processId);
    return it != m_labels.constEnd() ? *it : QStringLiteral("process %1").arg(processId);
}

bool CallsModel::isFailed(int row) const
{
    qint8 &known = m_failed[size_t(row)];
    if (known < 0) {
        if (const Decoded *d = m_decoded[size_t(row)].get())
            known = d->failed ? 1 : 0;
        else
            known = payloadFailed(m_events[row].payload) ? 1 : 0;
    }
    return known == 1;
}

const CallsModel::Decoded &CallsModel::decoded(int row) const
{
    std::unique_ptr<Decoded> &d = m_decoded[size_t(row)];
    if (!d) {
        d = std::make_unique<Decoded>(decode(m_events[row]));
        m_failed[size_t(row)] = d->failed ? 1 : 0;
    }
    return *d;
}

void CallsModel::indexResolvers() const
{
    if (m_resolversIndexed)
        return;
    m_resolversIndexed = true;
    for (int row = 0; row < m_events.size(); ++row) {
        const Event &e = m_events[row];
        if (e.name.startsWith(QLatin1String("cuGetProcAddress")))
            m_resolvers[e.processId].push_back(row);
    }
}

bool CallsModel::handedOut(int resolverRow, const QString &function) const
{
    const QJsonObject resolved = QJsonDocument::fromJson(m_events[resolverRow].payload)
                                     .object()
                                     .value(QLatin1String("resolved"))
                                     .toObject();
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

int CallsModel::resolverRow(int row) const
{
    if (row < 0 || row >= m_events.size() ||
        decoded(row).reach != QLatin1String("cuGetProcAddress"))
        return -1;
    indexResolvers();
    const Event &e = m_events[row];
    const auto it = m_resolvers.constFind(e.processId);
    if (it == m_resolvers.constEnd())
        return -1;
    // Back from the call; the name's bytes pick out the few requests worth parsing.
    const QByteArray name = e.name.toUtf8();
    const QByteArrayMatcher named('"' + name + '"');
    for (auto r = std::lower_bound(it->cbegin(), it->cend(), row); r != it->cbegin();) {
        --r;
        if (named.indexIn(m_events[*r].payload) >= 0 && handedOut(*r, e.name))
            return *r;
    }
    return -1;
}

int CallsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int CallsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CallsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const Event &e = m_events[row];
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
            return e.name;
        case ResultColumn:
            return decoded(row).result;
        case CallColumn:
            return decoded(row).summary;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == ResultColumn || index.column() == CallColumn) {
            const Decoded &d = decoded(row);
            return d.message.isEmpty() ? d.summary : d.summary + QStringLiteral("\n\n") + d.message;
        }
        return data(index, Qt::DisplayRole);
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
