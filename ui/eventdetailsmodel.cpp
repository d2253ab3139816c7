#include "eventdetailsmodel.h"

#include "apicatalog.h"
#include "eventscan.h"
#include "format.h"
#include "theme.h"

#include <QFileInfo>
#include <QFont>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPalette>

namespace initscope::ui
{

namespace
{

QString jsonText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("NULL");
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        return d == double(v.toInteger()) ? QString::number(v.toInteger()) : QString::number(d);
    }
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Array:
        return QStringLiteral("[%1]").arg(v.toArray().size());
    case QJsonValue::Object:
        return QStringLiteral("{…}");
    case QJsonValue::Undefined:
        break;
    }
    return QString();
}

QString reachWords(const QString &reach)
{
    if (reach == QLatin1String("binding"))
        return QStringLiteral("the PLT (bound by the dynamic loader)");
    if (reach == QLatin1String("dlsym"))
        return QStringLiteral("a pointer from dlsym()");
    if (reach == QLatin1String("cuGetProcAddress"))
        return QStringLiteral("a pointer from cuGetProcAddress");
    return reach;
}

// File-name prefixes of the libraries that answer each family's calls.
QString libraryStem(const QString &api)
{
    if (api == QLatin1String("Runtime"))
        return QStringLiteral("libcudart.so");
    if (api == QLatin1String("NVML"))
        return QStringLiteral("libnvidia-ml.so");
    return QStringLiteral("libcuda.so");
}

bool isLibraryOf(const LibLoad &load, const QString &stem)
{
    return load.soname.startsWith(stem) || QFileInfo(load.path).fileName().startsWith(stem);
}

// Labels for the keys of a resolver's and an export table's record; keys not listed are
// shown under their own names, keys mapped to an empty label are left out.
const QList<QPair<QString, QString>> &resolutionLabels()
{
    static const QList<QPair<QString, QString>> labels = {
        {QStringLiteral("symbol"), QStringLiteral("Requested symbol")},
        {QStringLiteral("cudaVersion"), QStringLiteral("For CUDA version")},
        {QStringLiteral("flags"), QStringLiteral("Flags")},
        {QStringLiteral("symbolStatus"), QStringLiteral("Symbol status")},
        {QStringLiteral("pointer"), QStringLiteral("Handed out")},
        {QStringLiteral("owner"), QStringLiteral("In object")},
        {QStringLiteral("ownerSymbol"), QStringLiteral("Exported there as")},
        {QStringLiteral("expected"), QStringLiteral("A real driver hands out")},
        {QStringLiteral("matchesExpected"), QStringLiteral("Matches")},
        {QStringLiteral("name"), QStringLiteral("Table")},
        {QStringLiteral("uuid"), QStringLiteral("UUID")},
        {QStringLiteral("table"), QStringLiteral("Table pointer")},
        {QStringLiteral("size"), QStringLiteral("Size (bytes)")},
        {QStringLiteral("function"), QString()},
        {QStringLiteral("summary"), QString()},
        {QStringLiteral("result"), QString()},
        {QStringLiteral("ok"), QString()},
        {QStringLiteral("known"), QString()},
        {QStringLiteral("symbolStatusValue"), QString()},
    };
    return labels;
}

} // namespace

EventDetailsModel::EventDetailsModel(QObject *parent) : QAbstractItemModel(parent) {}

QString EventDetailsModel::summary() const
{
    return cellText(m_summary);
}

int EventDetailsModel::add(int parent, const QString &field, const QString &value)
{
    Node n;
    n.field = field;
    n.value = value;
    n.parent = parent;
    const int id = int(m_nodes.size());
    QList<int> &siblings = parent < 0 ? m_sections : m_nodes[size_t(parent)].children;
    n.row = int(siblings.size());
    siblings.append(id);
    m_nodes.push_back(n);
    return id;
}

void EventDetailsModel::addJson(int parent, const QString &field, const QJsonValue &value)
{
    const int node = add(parent, field, jsonText(value));
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            addJson(node, it.key(), it.value());
    } else if (value.isArray()) {
        const QJsonArray a = value.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            addJson(node, QStringLiteral("[%1]").arg(i), a.at(i));
    }
}

void EventDetailsModel::setCall(const Event &event, const Context &context)
{
    beginResetModel();
    m_nodes.clear();
    m_sections.clear();
    m_eventId = event.id;
    build(event, context);
    endResetModel();
}

void EventDetailsModel::clear()
{
    beginResetModel();
    m_nodes.clear();
    m_sections.clear();
    m_summary.clear();
    m_eventId = -1;
    endResetModel();
}

void EventDetailsModel::build(const Event &e, const Context &context)
{
    const QJsonObject p = QJsonDocument::fromJson(e.payload).object();
    const QJsonObject resolved = p.value(QLatin1String("resolved")).toObject();
    const QJsonObject table = p.value(QLatin1String("exportTable")).toObject();
    const bool unfinished = p.value(QLatin1String("unfinished")).toBool(false);
    const bool failed = callStatusOfPayload(e.payload) != CallStatus::Ok;
    const QString reach = p.value(QLatin1String("reach")).toString();
    // The resolver's and the export table's own line say more than the raw call's.
    const QString rawSummary = p.value(QLatin1String("summary")).toString();
    m_summary = resolved.value(QLatin1String("summary")).toString();
    if (m_summary.isEmpty())
        m_summary = table.value(QLatin1String("summary")).toString();
    if (m_summary.isEmpty())
        m_summary = rawSummary.isEmpty() ? e.name : rawSummary;
    const FunctionSpec *spec = ApiCatalog::instance().function(e.name);

    const int call = add(-1, QStringLiteral("Call"));
    add(call, QStringLiteral("Function"),
        p.value(QLatin1String("known")).toBool(spec != nullptr)
            ? e.name
            : e.name + QStringLiteral(" (not in the catalog: arguments shown raw)"));
    add(call, QStringLiteral("API"), context.api);
    add(call, QStringLiteral("Process"), context.processLabel);
    add(call, QStringLiteral("Thread"), QString::number(e.tid));
    add(call, QStringLiteral("Started"), formatMs(e.tsNs) + QStringLiteral(" ms"));
    add(call, QStringLiteral("Duration"),
        unfinished ? QStringLiteral("%1 until the process ended").arg(formatDuration(e.durNs))
                   : formatDuration(e.durNs));
    if (!reach.isEmpty())
        add(call, QStringLiteral("Reached through"), reachWords(reach));
    if (const int depth = p.value(QLatin1String("depth")).toInt(); depth > 0)
        add(call, QStringLiteral("Nested"),
            QStringLiteral("inside another traced call (depth %1)").arg(depth));
    if (!rawSummary.isEmpty() && rawSummary != m_summary)
        add(call, QStringLiteral("Recorded as"), rawSummary);
    add(call, QStringLiteral("Event"), QStringLiteral("#%1").arg(e.id));

    const int result = add(-1, QStringLiteral("Result"));
    const QJsonValue resultValue = p.value(QLatin1String("result"));
    const QJsonObject r = resultValue.toObject();
    if (unfinished) {
        const int n = add(result, QStringLiteral("Returned"), QStringLiteral("no: the process ended inside this call"));
        m_nodes[size_t(n)].failure = true;
    } else if (resultValue.isString()) {
        const int n = add(result, QStringLiteral("Name"), resultValue.toString());
        m_nodes[size_t(n)].failure = failed;
        if (p.contains(QLatin1String("code")))
            add(result, QStringLiteral("Code"), jsonText(p.value(QLatin1String("code"))));
    } else if (r.contains(QLatin1String("string")) || r.contains(QLatin1String("pointer"))) {
        add(result, QStringLiteral("Returned"),
            r.contains(QLatin1String("string"))
                ? QLatin1Char('"') + r.value(QLatin1String("string")).toString() + QLatin1Char('"')
                : jsonText(r.value(QLatin1String("pointer"))));
        if (r.contains(QLatin1String("string")))
            add(result, QStringLiteral("Pointer"), jsonText(r.value(QLatin1String("pointer"))));
    } else {
        if (r.contains(QLatin1String("name"))) {
            const int n = add(result, QStringLiteral("Name"), r.value(QLatin1String("name")).toString());
            m_nodes[size_t(n)].failure = failed;
        }
        if (r.contains(QLatin1String("code")))
            add(result, QStringLiteral("Code"), jsonText(r.value(QLatin1String("code"))));
        if (r.contains(QLatin1String("message")))
            add(result, QStringLiteral("Message"), r.value(QLatin1String("message")).toString());
        if (!r.value(QLatin1String("known")).toBool(true))
            add(result, QStringLiteral("Known"), QStringLiteral("no: no table lists this code"));
    }
    if (m_nodes[size_t(result)].children.isEmpty())
        add(result, QStringLiteral("Returned"), QStringLiteral("nothing recorded"));

    // Arguments in declaration order where the catalog knows the function.
    const QJsonValue argsValue = p.value(QLatin1String("args"));
    const QJsonObject args = argsValue.toObject();
    const QJsonArray unrecorded = p.value(QLatin1String("unrecordedArgs")).toArray();
    if (!args.isEmpty() || argsValue.isArray() || !unrecorded.isEmpty()) {
        const int section = add(-1, QStringLiteral("Arguments"));
        QStringList done;
        if (spec) {
            for (const ParamSpec &param : spec->params) {
                if (!args.contains(param.name))
                    continue;
                addJson(section, param.name, args.value(param.name));
                m_nodes[size_t(m_nodes[size_t(section)].children.last())].toolTip = param.cType;
                done << param.name;
            }
        }
        for (auto it = args.constBegin(); it != args.constEnd(); ++it) {
            if (!done.contains(it.key()))
                addJson(section, it.key(), it.value());
        }
        const QJsonArray raw = argsValue.toArray();
        for (qsizetype i = 0; i < raw.size(); ++i)
            addJson(section, QStringLiteral("arg%1").arg(i), raw.at(i));
        for (const QJsonValue &name : unrecorded)
            add(section, jsonText(name), QStringLiteral("not recorded (passed on the stack)"));
    }

    auto addOutputs = [&](const char *key, const QString &title) {
        const QJsonObject out = p.value(QLatin1String(key)).toObject();
        if (out.isEmpty())
            return;
        const int section = add(-1, title);
        QStringList done;
        if (spec) {
            for (const ParamSpec &param : spec->params) {
                if (out.contains(param.name)) {
                    addJson(section, param.name, out.value(param.name));
                    done << param.name;
                }
            }
        }
        for (auto it = out.constBegin(); it != out.constEnd(); ++it) {
            if (!done.contains(it.key()))
                addJson(section, it.key(), it.value());
        }
    };
    addOutputs("out", QStringLiteral("Output values"));
    addOutputs("outAfterError", QStringLiteral("Buffers after the error (not written by the call)"));

    auto addRecord = [&](const QJsonObject &record, const QString &title) {
        if (record.isEmpty())
            return;
        const int section = add(-1, title);
        QStringList done;
        for (const auto &[key, label] : resolutionLabels()) {
            done << key;
            if (!label.isEmpty() && record.contains(key))
                addJson(section, label, record.value(key));
        }
        for (auto it = record.constBegin(); it != record.constEnd(); ++it) {
            if (!done.contains(it.key()))
                addJson(section, it.key(), it.value());
        }
        const QJsonObject recordResult = record.value(QLatin1String("result")).toObject();
        if (recordResult.contains(QLatin1String("name")) && !recordResult.value(QLatin1String("ok")).toBool(true)) {
            const int n = add(section, QStringLiteral("Result"),
                              QStringLiteral("%1: %2").arg(recordResult.value(QLatin1String("name")).toString(),
                                                           recordResult.value(QLatin1String("message")).toString()));
            m_nodes[size_t(n)].failure = true;
        }
    };
    addRecord(resolved, QStringLiteral("Resolution"));
    addRecord(table, QStringLiteral("Export table"));

    // Who answered: the object a resolver's pointer led into, else the library of the call's
    // family that the process had loaded by then.
    const int answered = add(-1, QStringLiteral("Answered by"));
    const QJsonObject via =
        context.resolver ? QJsonDocument::fromJson(context.resolver->payload).object().value(QLatin1String("resolved")).toObject()
                         : QJsonObject();
    if (!via.value(QLatin1String("owner")).toString().isEmpty()) {
        add(answered, QStringLiteral("Object"), via.value(QLatin1String("owner")).toString());
        if (!via.value(QLatin1String("ownerSymbol")).toString().isEmpty())
            add(answered, QStringLiteral("Function"),
                QStringLiteral("%1 at %2").arg(via.value(QLatin1String("ownerSymbol")).toString(),
                                               jsonText(via.value(QLatin1String("pointer")))));
        else
            add(answered, QStringLiteral("Function"),
                QStringLiteral("no exported name at %1").arg(jsonText(via.value(QLatin1String("pointer")))));
        add(answered, QStringLiteral("How"), QStringLiteral("the pointer the resolver request below handed out"));
    } else {
        const QString stem = libraryStem(context.api);
        const LibLoad *chosen = nullptr;
        QStringList others;
        for (const LibLoad &load : context.loads) {
            if (!isLibraryOf(load, stem) || (load.unloadNs && *load.unloadNs < e.tsNs))
                continue;
            if (load.tsNs <= e.tsNs) {
                if (chosen)
                    others << chosen->path;
                chosen = &load;
            }
        }
        if (chosen) {
            add(answered, QStringLiteral("Object"), chosen->path);
            if (!chosen->soname.isEmpty())
                add(answered, QStringLiteral("SONAME"), chosen->soname);
            add(answered, QStringLiteral("Loaded"), formatMs(chosen->tsNs) + QStringLiteral(" ms"));
            add(answered, QStringLiteral("How"),
                QStringLiteral("the %1* the process had loaded when it called").arg(stem));
            for (const QString &other : others)
                add(answered, QStringLiteral("Also loaded"), other);
        } else {
            add(answered, QStringLiteral("Object"),
                QStringLiteral("not recorded: no %1* was loaded in this process before the call").arg(stem));
        }
    }

    if (reach == QLatin1String("cuGetProcAddress")) {
        const int section = add(-1, QStringLiteral("Resolver request"));
        if (context.resolver) {
            const Event &req = *context.resolver;
            QString text = via.value(QLatin1String("summary")).toString();
            if (text.isEmpty())
                text = QJsonDocument::fromJson(req.payload).object().value(QLatin1String("summary")).toString(req.name);
            const int callRow = add(section, QStringLiteral("Call"), text);
            const int eventRow = add(section, QStringLiteral("Event"),
                                     QStringLiteral("#%1 at %2 ms, thread %3").arg(req.id).arg(formatMs(req.tsNs)).arg(req.tid));
            for (int n : {callRow, eventRow}) {
                m_nodes[size_t(n)].linkEventId = req.id;
                m_nodes[size_t(n)].linkProcessId = req.processId;
                m_nodes[size_t(n)].toolTip = QStringLiteral("Click to select this request");
            }
        } else {
            add(section, QStringLiteral("Call"),
                QStringLiteral("no successful cuGetProcAddress request for %1 was recorded before this call").arg(e.name));
        }
    }
}

const QList<int> &EventDetailsModel::childrenOf(const QModelIndex &parent) const
{
    return parent.isValid() ? m_nodes[size_t(parent.internalId())].children : m_sections;
}

QModelIndex EventDetailsModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || (parent.isValid() && parent.column() != 0))
        return {};
    const QList<int> &children = childrenOf(parent);
    if (row < 0 || row >= children.size())
        return {};
    return createIndex(row, column, quintptr(children[row]));
}

QModelIndex EventDetailsModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const Node &n = m_nodes[size_t(child.internalId())];
    if (n.parent < 0)
        return {};
    return createIndex(m_nodes[size_t(n.parent)].row, 0, quintptr(n.parent));
}

int EventDetailsModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(childrenOf(parent).size());
}

int EventDetailsModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant EventDetailsModel::data(const QModelIndex &index, int role) const
{
    return shownData(rawData(index, role), role);
}

QVariant EventDetailsModel::rawData(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node &n = m_nodes[size_t(index.internalId())];
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == FieldColumn ? n.field : n.value;
    case Qt::ToolTipRole:
        if (!n.toolTip.isEmpty())
            return n.toolTip;
        return index.column() == ValueColumn && !n.value.isEmpty() ? n.value : QVariant();
    case Qt::ForegroundRole:
        if (index.column() != ValueColumn)
            break;
        if (n.failure)
            return theme::failure();
        if (n.linkEventId >= 0)
            return QGuiApplication::palette().color(QPalette::Link);
        break;
    case Qt::FontRole:
        if (n.parent < 0 && index.column() == FieldColumn) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        if (n.linkEventId >= 0 && index.column() == ValueColumn) {
            QFont link;
            link.setUnderline(true);
            return link;
        }
        break;
    case LinkEventIdRole:
        return n.linkEventId >= 0 ? QVariant(n.linkEventId) : QVariant();
    case LinkProcessIdRole:
        return n.linkEventId >= 0 ? QVariant(n.linkProcessId) : QVariant();
    case SectionRole:
        return n.parent < 0;
    }
    return {};
}

QVariant EventDetailsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == FieldColumn ? QStringLiteral("Field") : QStringLiteral("Value");
}

} // namespace initscope::ui
