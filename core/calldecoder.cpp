#include "calldecoder.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QStringList>
#include <QtEndian>

#include <limits>

namespace initscope {

namespace {

// A value as JSON and as summary text.
struct Shown {
    QJsonValue json;
    QString text;
};

QString hex(quint64 value)
{
    return QStringLiteral("0x%1").arg(value, 0, 16);
}

Shown pointerValue(quint64 value)
{
    if (value == 0)
        return {QJsonValue(QJsonValue::Null), QStringLiteral("NULL")};
    return {hex(value), hex(value)};
}

Shown unsignedValue(quint64 value)
{
    const QString text = QString::number(value);
    if (value > quint64(std::numeric_limits<qint64>::max()))
        return {text, text}; // a JSON number would lose digits
    return {qint64(value), text};
}

QString quoted(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += QLatin1Char('"');
    for (QChar c : text) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\')) {
            out += QLatin1Char('\\');
            out += c;
        } else if (c == QLatin1Char('\n')) {
            out += QStringLiteral("\\n");
        } else if (c.unicode() < 0x20) {
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        } else {
            out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

QString stringFromBuffer(const QByteArray &bytes)
{
    const qsizetype nul = bytes.indexOf('\0');
    return QString::fromUtf8(nul < 0 ? bytes : bytes.left(nul));
}

ApiFamily familyOfRef(const QString &ref)
{
    return apiFamilyFromName(ref);
}

// A value held in a register (or read as an integer from memory).
Shown registerValue(const ValueType &type, quint64 reg, const ApiCatalog &catalog)
{
    const quint32 low = quint32(reg);
    switch (type.kind) {
    case ValueKind::Int32:
    case ValueKind::Device: {
        const qint32 v = qint32(low);
        return {v, QString::number(v)};
    }
    case ValueKind::UInt32:
        return {qint64(low), QString::number(low)};
    case ValueKind::Int64: {
        const qint64 v = qint64(reg);
        return {v, QString::number(v)};
    }
    case ValueKind::UInt64:
        return unsignedValue(reg);
    case ValueKind::Hex32:
        return {hex(low), hex(low)};
    case ValueKind::Hex64:
        return {hex(reg), hex(reg)};
    case ValueKind::Pointer:
    case ValueKind::Handle:
    case ValueKind::StringPointer:
    case ValueKind::Opaque:
    case ValueKind::String:
    case ValueKind::Struct:
    case ValueKind::Bytes:
    case ValueKind::Uuid:
        return pointerValue(reg);
    case ValueKind::Enum: {
        const qint32 v = qint32(low);
        const QString name = catalog.enumName(type.ref, v);
        if (name.isEmpty())
            return {v, QString::number(v)};
        return {name, name};
    }
    case ValueKind::Flags: {
        const QString text = catalog.flagsText(type.ref, low);
        return {text, text};
    }
    case ValueKind::Result: {
        const ResultCodeInfo info = catalog.result(familyOfRef(type.ref), qint32(low));
        return {info.name, info.name};
    }
    }
    return pointerValue(reg);
}

Shown bytesValue(const ValueType &type, const QByteArray &bytes, const ApiCatalog &catalog);

Shown structValue(const StructSpec &spec, const QByteArray &bytes, const ApiCatalog &catalog)
{
    QJsonObject object;
    QStringList parts;
    for (const auto &field : spec.fields) {
        const int size = field.value.size;
        if (field.offset + size > bytes.size())
            continue; // a short capture: show what is there
        const Shown shown = bytesValue(field.value, bytes.mid(field.offset, size), catalog);
        object.insert(field.name, shown.json);
        parts.append(field.name + QLatin1Char('=') + shown.text);
    }
    return {object, QLatin1Char('{') + parts.join(QStringLiteral(", ")) + QLatin1Char('}')};
}

// A value read from memory after the call.
Shown bytesValue(const ValueType &type, const QByteArray &bytes, const ApiCatalog &catalog)
{
    const auto raw = [&]() -> Shown {
        const QString text = QString::fromLatin1(bytes.toHex());
        return {text, QStringLiteral("<%1>").arg(text)};
    };
    switch (type.kind) {
    case ValueKind::String:
    case ValueKind::StringPointer: {
        const QString text = stringFromBuffer(bytes);
        return {text, quoted(text)};
    }
    case ValueKind::Uuid: {
        if (bytes.size() < 16)
            return raw();
        const QString text = ApiCatalog::formatUuid(QByteArrayView(bytes).first(16));
        return {text, text};
    }
    case ValueKind::Struct: {
        const StructSpec *spec = catalog.structSpec(type.ref);
        return spec ? structValue(*spec, bytes, catalog) : raw();
    }
    case ValueKind::Bytes:
    case ValueKind::Opaque:
        return raw();
    default:
        break;
    }
    const int size = type.size > 0 ? type.size : 8;
    if (bytes.size() < size || (size != 4 && size != 8))
        return raw();
    const quint64 value = size == 4 ? qFromUnaligned<quint32>(bytes.constData())
                                    : qFromUnaligned<quint64>(bytes.constData());
    return registerValue(type, value, catalog);
}

Shown resultShown(const ResultCodeInfo &info)
{
    QString text = info.name;
    if (info.known && info.code != 0)
        text += QStringLiteral(": ") + info.message;
    return {resultJson(info), text};
}

QString argsText(const QStringList &parts, bool cut)
{
    QStringList all = parts;
    if (cut)
        all.append(QStringLiteral("…"));
    return QLatin1Char('(') + all.join(QStringLiteral(", ")) + QLatin1Char(')');
}

} // namespace

QJsonObject resultJson(const ResultCodeInfo &result)
{
    return QJsonObject{
        {QStringLiteral("code"), result.code},       {QStringLiteral("name"), result.name},
        {QStringLiteral("message"), result.message}, {QStringLiteral("ok"), result.code == 0},
        {QStringLiteral("known"), result.known},
    };
}

DecodedCall decodeCall(QStringView function, ApiFamily api, const std::array<quint64, 6> &args,
                       quint64 ret, const QList<CapturedValue> &outputs, const ApiCatalog &catalog)
{
    const FunctionSpec *spec = catalog.function(function);
    if (spec && api == ApiFamily::Unknown)
        api = spec->api;

    QJsonObject json{
        {QStringLiteral("function"), function.toString()},
        {QStringLiteral("api"), apiFamilyName(api)},
        {QStringLiteral("known"), spec != nullptr},
    };
    const auto captured = [&](quint32 index) -> const CapturedValue * {
        for (const auto &out : outputs)
            if (out.argIndex == index)
                return &out;
        return nullptr;
    };

    // The result first: whether output values can be trusted depends on it.
    bool ok = true;
    QString resultText;
    QJsonValue resultValue;
    if (spec) {
        switch (spec->returnKind) {
        case ReturnKind::ResultCode: {
            const ResultCodeInfo info =
                catalog.result(familyOfRef(spec->returnValue.ref), qint32(quint32(ret)));
            ok = info.code == 0;
            const Shown shown = resultShown(info);
            resultValue = shown.json;
            resultText = QStringLiteral(" → ") + shown.text;
            break;
        }
        case ReturnKind::String: {
            QJsonObject object{{QStringLiteral("pointer"), pointerValue(ret).json}};
            QString text = pointerValue(ret).text;
            if (const CapturedValue *value = captured(kReturnedValueArg)) {
                const QString string = stringFromBuffer(value->bytes);
                object.insert(QStringLiteral("string"), string);
                text = quoted(string);
            }
            resultValue = object;
            resultText = QStringLiteral(" = ") + text;
            break;
        }
        case ReturnKind::Value: {
            const Shown shown = registerValue(spec->returnValue, ret, catalog);
            resultValue = shown.json;
            resultText = QStringLiteral(" = ") + shown.text;
            break;
        }
        case ReturnKind::Void:
            break;
        }
    } else if (api != ApiFamily::Unknown) {
        // Every entry point of the three libraries that the catalog lacks returns its
        // family's result code, bar a handful of string functions that it does list.
        const ResultCodeInfo info = catalog.result(api, qint32(quint32(ret)));
        ok = info.code == 0;
        const Shown shown = resultShown(info);
        resultValue = shown.json;
        resultText = QStringLiteral(" → ") + shown.text;
    }

    QJsonObject argsJson;
    QJsonObject outJson;
    QStringList parts;
    bool cut = false;
    if (spec) {
        QJsonArray unrecorded;
        for (qsizetype i = 0; i < spec->params.size(); ++i) {
            const ParamSpec &param = spec->params.at(i);
            if (i >= qsizetype(args.size())) {
                unrecorded.append(param.name);
                cut = true;
                continue;
            }
            const quint64 reg = args[size_t(i)];
            if (!param.pointer) {
                const Shown shown = registerValue(param.value, reg, catalog);
                argsJson.insert(param.name, shown.json);
                parts.append(param.name + QLatin1Char('=') + shown.text);
                continue;
            }
            const Shown pointer = pointerValue(reg);
            const CapturedValue *value = captured(quint32(i));
            if (!value || reg == 0) {
                argsJson.insert(param.name, pointer.json);
                parts.append(param.name + QLatin1Char('=') + pointer.text);
                continue;
            }
            const Shown shown = bytesValue(param.value, value->bytes, catalog);
            if (param.direction == ParamDirection::In) {
                argsJson.insert(param.name, shown.json);
                parts.append(param.name + QLatin1Char('=') + shown.text);
                continue;
            }
            argsJson.insert(param.name, pointer.json);
            if (ok) {
                outJson.insert(param.name, shown.json);
                parts.append(param.name + QStringLiteral("=&") + shown.text);
            } else {
                // The recorder reads outputs even after a failed call; what it found there is
                // whatever the caller's buffer held, so it is kept apart and not shown.
                QJsonObject after = json.value(QStringLiteral("outAfterError")).toObject();
                after.insert(param.name, shown.json);
                json.insert(QStringLiteral("outAfterError"), after);
                parts.append(param.name + QLatin1Char('=') + pointer.text);
            }
        }
        if (!unrecorded.isEmpty())
            json.insert(QStringLiteral("unrecordedArgs"), unrecorded);
    } else {
        for (size_t i = 0; i < args.size(); ++i)
            argsJson.insert(QStringLiteral("arg%1").arg(i), hex(args[i]));
        for (const auto &out : outputs)
            outJson.insert(out.argIndex == kReturnedValueArg
                               ? QStringLiteral("return")
                               : QStringLiteral("arg%1").arg(out.argIndex),
                           QString::fromLatin1(out.bytes.toHex()));
        cut = true;
    }

    json.insert(QStringLiteral("args"), argsJson);
    if (!outJson.isEmpty())
        json.insert(QStringLiteral("out"), outJson);
    if (!resultValue.isUndefined())
        json.insert(QStringLiteral("result"), resultValue);
    json.insert(QStringLiteral("ok"), ok);
    return {json, function.toString() + argsText(parts, cut) + resultText};
}

DecodedCall decodeProcAddress(const RawProcAddress &raw, QStringView symbol, QStringView owner,
                              QStringView ownerSymbol, const ApiCatalog &catalog)
{
    const QString resolver = raw.resolver_v2 ? QStringLiteral("cuGetProcAddress_v2")
                                             : QStringLiteral("cuGetProcAddress");
    const int version = qint32(quint32(raw.requested_version));
    const QString flags = catalog.flagsText(QStringLiteral("CUgetProcAddress_flags"), raw.flags);
    const ResultCodeInfo result = catalog.result(ApiFamily::Driver, qint32(quint32(raw.result)));
    const bool hasStatus = raw.status_value != std::numeric_limits<quint64>::max();
    const StreamMode mode = (raw.flags & 2) ? StreamMode::PerThread : StreamMode::Legacy;
    const QString expected = catalog.variantFor(symbol, version, mode);

    QJsonObject json{
        {QStringLiteral("function"), resolver},
        {QStringLiteral("symbol"), symbol.toString()},
        {QStringLiteral("cudaVersion"), version},
        {QStringLiteral("flags"), flags},
        {QStringLiteral("result"), resultJson(result)},
        {QStringLiteral("pointer"), pointerValue(raw.pointer).json},
    };
    QString statusText;
    bool ok = result.code == 0 && raw.pointer != 0;
    if (hasStatus) {
        const qint32 status = qint32(quint32(raw.status_value));
        QString name = catalog.enumName(QStringLiteral("CUdriverProcAddressQueryResult"), status);
        if (name.isEmpty())
            name = QString::number(status);
        json.insert(QStringLiteral("symbolStatus"), name);
        json.insert(QStringLiteral("symbolStatusValue"), status);
        statusText = QStringLiteral(", ") + name;
        ok = ok && status == 0;
    } else {
        json.insert(QStringLiteral("symbolStatus"), QJsonValue(QJsonValue::Null));
    }
    if (!owner.isEmpty())
        json.insert(QStringLiteral("owner"), owner.toString());
    if (!ownerSymbol.isEmpty())
        json.insert(QStringLiteral("ownerSymbol"), ownerSymbol.toString());
    if (!expected.isEmpty())
        json.insert(QStringLiteral("expected"), expected);

    QString handedOut;
    if (raw.pointer) {
        handedOut = ownerSymbol.isEmpty() ? hex(raw.pointer) : ownerSymbol.toString();
        if (!owner.isEmpty())
            handedOut += QStringLiteral(" in ") + QFileInfo(owner.toString()).fileName();
    }
    // Only a spelling of the same function can be judged: a shim may hand out a pointer to a
    // function of any name.
    if (raw.pointer && !ownerSymbol.isEmpty() && !expected.isEmpty() &&
        catalog.baseOf(ownerSymbol) == catalog.baseOf(symbol)) {
        const bool matches = ownerSymbol == expected;
        json.insert(QStringLiteral("matchesExpected"), matches);
        if (!matches) {
            handedOut += QStringLiteral(" (a caller of %1 expects %2)").arg(version).arg(expected);
            ok = false;
        }
    }
    json.insert(QStringLiteral("ok"), ok);

    QString summary = QStringLiteral("%1(%2, %3, %4) → %5%6")
                          .arg(resolver, quoted(symbol.toString()), QString::number(version), flags,
                               resultShown(result).text, statusText);
    if (!handedOut.isEmpty())
        summary += QStringLiteral(": ") + handedOut;
    return {json, summary};
}

DecodedCall decodeExportTable(const RawExportTable &raw, const ApiCatalog &catalog)
{
    Uuid uuid;
    for (size_t i = 0; i < uuid.size(); ++i)
        uuid[i] = raw.uuid[i];
    const QString text = ApiCatalog::formatUuid(uuid);
    const QString name = catalog.exportTableName(uuid);
    const ResultCodeInfo result = catalog.result(ApiFamily::Driver, qint32(quint32(raw.result)));

    QJsonObject json{
        {QStringLiteral("function"), QStringLiteral("cuGetExportTable")},
        {QStringLiteral("uuid"), text},
        {QStringLiteral("name"), name.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(name)},
        {QStringLiteral("known"), !name.isEmpty()},
        {QStringLiteral("result"), resultJson(result)},
        {QStringLiteral("table"), pointerValue(raw.table).json},
        {QStringLiteral("ok"), result.code == 0 && raw.table != 0},
    };
    if (raw.table_size)
        json.insert(QStringLiteral("tableSize"), unsignedValue(raw.table_size).json);

    QString summary =
        QStringLiteral("cuGetExportTable(%1) → %2")
            .arg(name.isEmpty() ? text : name + QLatin1Char(' ') + text, resultShown(result).text);
    if (raw.table_size)
        summary += QStringLiteral(", table of %1 bytes").arg(raw.table_size);
    return {json, summary};
}

} // namespace initscope
