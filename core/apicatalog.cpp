#include "apicatalog.h"

#include "catalogtext.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QRegularExpression>

// The resource lives in a static library: nothing would pull its initializer into a program
// without this reference. Q_INIT_RESOURCE must be used outside any namespace.
static void initCatalogResource()
{
    Q_INIT_RESOURCE(catalog);
}

namespace initscope {

namespace ct = catalogtext;

namespace {

struct VariantStepData {
    int from = 0;
    QString spelling; // "-": not available
};

struct VariantData {
    QList<VariantStepData> legacy;
    QList<VariantStepData> perThread;
    QStringList spellings;
};

struct EnumData {
    bool flags = false;
    QList<EnumValueInfo> values;
    QHash<qint64, QString> names;
};

struct ResultData {
    QString cType;
    QList<ResultCodeInfo> codes;
    QHash<qint64, qsizetype> index;
};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

ApiFamily familyOf(ct::Api api)
{
    return ApiFamily(quint8(api));
}

ValueType convert(const ct::ValueKind &v)
{
    ValueType t;
    t.ref = qs(v.ref);
    t.size = ct::kindSize(v);
    t.boundParam = v.boundIndex;
    switch (v.kind) {
    case ct::Kind::I32:
        t.kind = ValueKind::Int32;
        break;
    case ct::Kind::U32:
        t.kind = ValueKind::UInt32;
        break;
    case ct::Kind::I64:
        t.kind = ValueKind::Int64;
        break;
    case ct::Kind::U64:
        t.kind = ValueKind::UInt64;
        break;
    case ct::Kind::Hex32:
        t.kind = ValueKind::Hex32;
        break;
    case ct::Kind::Hex64:
        t.kind = ValueKind::Hex64;
        break;
    case ct::Kind::Ptr:
        t.kind = ValueKind::Pointer;
        break;
    case ct::Kind::Handle:
        t.kind = ValueKind::Handle;
        break;
    case ct::Kind::Device:
        t.kind = ValueKind::Device;
        break;
    case ct::Kind::Enum:
        t.kind = ValueKind::Enum;
        break;
    case ct::Kind::Flags:
        t.kind = ValueKind::Flags;
        break;
    case ct::Kind::Result:
        t.kind = ValueKind::Result;
        break;
    case ct::Kind::Uuid:
        t.kind = ValueKind::Uuid;
        break;
    case ct::Kind::CStr:
        t.kind = ValueKind::String;
        break;
    case ct::Kind::Struct:
        t.kind = ValueKind::Struct;
        t.size = v.size;
        break;
    case ct::Kind::Bytes:
        t.kind = ValueKind::Bytes;
        break;
    case ct::Kind::StrPtr:
        t.kind = ValueKind::StringPointer;
        break;
    case ct::Kind::Opaque:
        t.kind = ValueKind::Opaque;
        break;
    }
    return t;
}

// What the libraries themselves say for a code they do not know: cudaGetErrorString and
// nvmlErrorString return these (measured); cuGetErrorString fails instead of returning a text.
QString unknownMessage(ApiFamily family, qint64 code)
{
    switch (family) {
    case ApiFamily::Runtime:
        return QStringLiteral("unrecognized error code");
    case ApiFamily::Nvml:
        return QStringLiteral("Unknown Error");
    default:
        return QStringLiteral("unknown error code %1").arg(code);
    }
}

QString fallbackBase(QStringView spelling)
{
    static const QRegularExpression suffix(QStringLiteral("(_v[0-9]+)?(_ptds|_ptsz)?$"));
    QString base = spelling.toString();
    base.remove(suffix);
    return base.isEmpty() ? spelling.toString() : base;
}

} // namespace

struct ApiCatalog::Data {
    QList<FunctionSpec> functions;
    QHash<QString, qsizetype> functionIndex;
    QHash<QString, VariantData> variants;
    QHash<QString, QString> spellingBase;
    QHash<int, ResultData> results;
    QHash<QString, EnumData> enums;
    QHash<QString, StructSpec> structs;
    QList<ExportTableSpec> tables;
};

QString apiFamilyName(ApiFamily api)
{
    switch (api) {
    case ApiFamily::Driver:
        return QStringLiteral("driver");
    case ApiFamily::Runtime:
        return QStringLiteral("runtime");
    case ApiFamily::Nvml:
        return QStringLiteral("nvml");
    case ApiFamily::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

ApiFamily apiFamilyFromName(QStringView name)
{
    if (auto api = ct::apiFromName(name.toString().toStdString()))
        return familyOf(*api);
    return ApiFamily::Unknown;
}

ApiCatalog::ApiCatalog(std::shared_ptr<const Data> data) : d(std::move(data)) {}

const ApiCatalog &ApiCatalog::instance()
{
    static const ApiCatalog catalog = [] {
        initCatalogResource();
        QString error;
        auto loaded = fromDirectory(QStringLiteral(":/initscope/catalog"), &error);
        if (!loaded)
            qFatal("API catalog: %s", qPrintable(error));
        return *loaded;
    }();
    return catalog;
}

std::optional<ApiCatalog> ApiCatalog::fromDirectory(const QString &dir, QString *error)
{
    QList<std::pair<QString, QByteArray>> files;
    const QDir folder(dir);
    const QStringList names = folder.entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        QFile file(folder.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) {
            if (error)
                *error = QStringLiteral("%1: %2").arg(file.fileName(), file.errorString());
            return std::nullopt;
        }
        files.append({name, file.readAll()});
    }
    if (files.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: no catalog files").arg(dir);
        return std::nullopt;
    }
    return fromTexts(files, error);
}

std::optional<ApiCatalog> ApiCatalog::fromTexts(const QList<std::pair<QString, QByteArray>> &files,
                                                QString *error)
{
    ct::Catalog parsed;
    std::string message;
    for (const auto &[name, text] : files) {
        if (!ct::parseText(std::string_view(text.constData(), size_t(text.size())),
                           name.toStdString(), parsed, &message)) {
            if (error)
                *error = qs(message);
            return std::nullopt;
        }
    }
    if (!ct::resolve(parsed, &message)) {
        if (error)
            *error = qs(message);
        return std::nullopt;
    }

    auto data = std::make_shared<Data>();
    for (const auto &v : parsed.variants) {
        VariantData &variant = data->variants[qs(v.base)];
        for (const auto &step : v.steps) {
            const QString spelling = qs(step.spelling);
            if (step.spelling != "-") {
                data->spellingBase.insert(spelling, qs(v.base));
                if (!variant.spellings.contains(spelling))
                    variant.spellings.append(spelling);
            }
            if (step.from)
                (step.perThread ? variant.perThread : variant.legacy)
                    .append({*step.from, spelling});
        }
    }
    auto baseOfSpelling = [&](const QString &spelling) {
        return data->spellingBase.value(spelling, fallbackBase(spelling));
    };

    for (const auto &fn : parsed.functions) {
        FunctionSpec spec;
        spec.api = familyOf(fn.api);
        spec.returnType = qs(fn.returnType);
        spec.returnValue = convert(fn.returnValue);
        switch (fn.returnKind) {
        case ct::ReturnKind::ResultCode:
            spec.returnKind = ReturnKind::ResultCode;
            break;
        case ct::ReturnKind::String:
            spec.returnKind = ReturnKind::String;
            break;
        case ct::ReturnKind::Value:
            spec.returnKind = ReturnKind::Value;
            break;
        case ct::ReturnKind::Void:
            spec.returnKind = ReturnKind::Void;
            break;
        }
        for (const auto &p : fn.params) {
            ParamSpec param;
            param.name = qs(p.name);
            param.cType = qs(p.cType);
            param.pointer = p.pointer;
            param.direction = p.direction == ct::Direction::In    ? ParamDirection::In
                              : p.direction == ct::Direction::Out ? ParamDirection::Out
                                                                  : ParamDirection::InOut;
            param.value = convert(p.value);
            spec.params.append(param);
        }
        for (const auto &spelling : fn.spellings) {
            spec.name = qs(spelling);
            spec.base = baseOfSpelling(spec.name);
            data->functionIndex.insert(spec.name, data->functions.size());
            data->functions.append(spec);
        }
    }

    for (const auto &r : parsed.results) {
        ResultData &result = data->results[int(familyOf(r.api))];
        result.cType = qs(r.cType);
        for (const auto &v : r.values) {
            result.index.insert(v.code, result.codes.size());
            result.codes.append({v.code, qs(v.name), qs(v.message), true});
        }
    }
    for (const auto &e : parsed.enums) {
        EnumData &en = data->enums[qs(e.name)];
        en.flags = e.flags;
        for (const auto &v : e.values) {
            en.values.append({v.value, qs(v.name)});
            en.names.insert(v.value, qs(v.name));
        }
    }
    for (const auto &s : parsed.structs) {
        StructSpec spec{qs(s.name), s.size, {}};
        for (const auto &f : s.fields)
            spec.fields.append({qs(f.name), f.offset, convert(f.value)});
        data->structs.insert(spec.name, spec);
    }
    for (const auto &t : parsed.exportTables)
        data->tables.append({t.uuid, qs(t.name), qs(t.description)});
    return ApiCatalog(std::move(data));
}

const FunctionSpec *ApiCatalog::function(QStringView spelling) const
{
    auto it = d->functionIndex.constFind(spelling.toString());
    return it == d->functionIndex.cend() ? nullptr : &d->functions.at(*it);
}

const QList<FunctionSpec> &ApiCatalog::functions() const
{
    return d->functions;
}

QString ApiCatalog::variantFor(QStringView base, int cudaVersion, StreamMode mode) const
{
    const QString name = d->spellingBase.value(base.toString(), base.toString());
    auto it = d->variants.constFind(name);
    if (it == d->variants.cend())
        return base.toString();
    const QList<VariantStepData> &steps =
        mode == StreamMode::PerThread && !it->perThread.isEmpty() ? it->perThread : it->legacy;
    QString chosen;
    for (const auto &step : steps)
        if (step.from <= cudaVersion)
            chosen = step.spelling;
    return chosen == QLatin1String("-") ? QString() : chosen;
}

QString ApiCatalog::baseOf(QStringView spelling) const
{
    const QString name = spelling.toString();
    return d->spellingBase.value(name, fallbackBase(name));
}

QStringList ApiCatalog::spellingsOf(QStringView base) const
{
    auto it = d->variants.constFind(baseOf(base));
    return it == d->variants.cend() ? QStringList{base.toString()} : it->spellings;
}

bool ApiCatalog::hasVariants(QStringView base) const
{
    return d->variants.contains(base.toString());
}

ResultCodeInfo ApiCatalog::result(ApiFamily family, qint64 code) const
{
    auto it = d->results.constFind(int(family));
    if (it != d->results.cend()) {
        auto index = it->index.constFind(code);
        if (index != it->index.cend())
            return it->codes.at(*index);
    }
    ResultCodeInfo unknown;
    unknown.code = code;
    unknown.known = false;
    unknown.name = QStringLiteral("unknown %1 %2").arg(resultType(family)).arg(code);
    unknown.message = unknownMessage(family, code);
    return unknown;
}

QList<ResultCodeInfo> ApiCatalog::results(ApiFamily family) const
{
    return d->results.value(int(family)).codes;
}

QString ApiCatalog::resultType(ApiFamily family) const
{
    auto it = d->results.constFind(int(family));
    return it == d->results.cend() ? QStringLiteral("result") : it->cType;
}

QString ApiCatalog::enumName(QStringView type, qint64 value) const
{
    auto it = d->enums.constFind(type.toString());
    return it == d->enums.cend() ? QString() : it->names.value(value);
}

QList<EnumValueInfo> ApiCatalog::enumValues(QStringView type) const
{
    return d->enums.value(type.toString()).values;
}

bool ApiCatalog::isFlags(QStringView type) const
{
    return d->enums.value(type.toString()).flags;
}

QString ApiCatalog::flagsText(QStringView type, quint64 value) const
{
    auto it = d->enums.constFind(type.toString());
    if (value == 0) {
        const QString zero = it == d->enums.cend() ? QString() : it->names.value(0);
        return zero.isEmpty() ? QStringLiteral("0") : zero;
    }
    QStringList parts;
    quint64 rest = value;
    if (it != d->enums.cend()) {
        for (const auto &v : it->values) {
            const quint64 bits = quint64(v.value);
            if (bits != 0 && (rest & bits) == bits) {
                parts.append(v.name);
                rest &= ~bits;
            }
        }
    }
    if (rest)
        parts.append(QStringLiteral("0x%1").arg(rest, 0, 16));
    return parts.join(QLatin1Char('|'));
}

const StructSpec *ApiCatalog::structSpec(QStringView name) const
{
    auto it = d->structs.constFind(name.toString());
    return it == d->structs.cend() ? nullptr : &*it;
}

QString ApiCatalog::exportTableName(const Uuid &uuid) const
{
    const ExportTableSpec *table = exportTable(uuid);
    return table ? table->name : QString();
}

const ExportTableSpec *ApiCatalog::exportTable(const Uuid &uuid) const
{
    for (const auto &table : d->tables)
        if (table.uuid == uuid)
            return &table;
    return nullptr;
}

QList<ExportTableSpec> ApiCatalog::exportTables() const
{
    return d->tables;
}

QString ApiCatalog::formatUuid(const Uuid &uuid)
{
    return qs(ct::formatUuid(uuid));
}

QString ApiCatalog::formatUuid(QByteArrayView bytes)
{
    auto uuid = uuidFromBytes(bytes);
    return uuid ? formatUuid(*uuid) : QString();
}

std::optional<Uuid> ApiCatalog::parseUuid(QStringView text)
{
    return ct::parseUuid(text.toString().toLower().toStdString());
}

std::optional<Uuid> ApiCatalog::uuidFromBytes(QByteArrayView bytes)
{
    if (bytes.size() != 16)
        return std::nullopt;
    Uuid uuid;
    for (int i = 0; i < 16; ++i)
        uuid[size_t(i)] = quint8(bytes[i]);
    return uuid;
}

} // namespace initscope
