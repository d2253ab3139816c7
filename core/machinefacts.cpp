// Machine facts (docs/device.md). Small text files only; nothing here loads a GPU library.
#include "machinefacts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace initscope {

namespace {

QString joinRoot(const QString &root, const QString &path)
{
    if (root.isEmpty() || root == QLatin1String("/"))
        return path;
    return QDir::cleanPath(root + QLatin1Char('/') + path);
}

std::optional<QByteArray> readSmall(const QString &file, qint64 limit = 1 << 20)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    return f.read(limit);
}

QString readLine(const QString &file)
{
    const auto bytes = readSmall(file, 4096);
    return bytes ? QString::fromUtf8(*bytes).section(QLatin1Char('\n'), 0, 0).trimmed() : QString();
}

quint32 readHex(const QString &file)
{
    bool ok = false;
    const quint32 v = readLine(file).toUInt(&ok, 16);
    return ok ? v : 0;
}

QString vendorName(quint32 vendor)
{
    switch (vendor) {
    case 0x10de:
        return QStringLiteral("NVIDIA");
    case 0x1002:
        return QStringLiteral("AMD");
    case 0x8086:
        return QStringLiteral("Intel");
    case 0x1af4:
        return QStringLiteral("Red Hat (virtio)");
    case 0x1234:
        return QStringLiteral("QEMU");
    case 0x15ad:
        return QStringLiteral("VMware");
    case 0x1414:
        return QStringLiteral("Microsoft");
    case 0x1a03:
        return QStringLiteral("ASPEED");
    case 0x102b:
        return QStringLiteral("Matrox");
    default:
        return QString();
    }
}

QString className(quint32 code)
{
    const quint32 base = code >> 16, sub = (code >> 8) & 0xff;
    if (base == 0x03)
        return sub == 0x00 ? QStringLiteral("VGA compatible controller")
               : sub == 0x02 ? QStringLiteral("3D controller")
                             : QStringLiteral("Display controller");
    if (base == 0x12)
        return QStringLiteral("Processing accelerator");
    if (base == 0x06)
        return QStringLiteral("Bridge");
    if (base == 0x02)
        return QStringLiteral("Network controller");
    if (base == 0x01)
        return QStringLiteral("Storage controller");
    return QStringLiteral("class 0x%1").arg(code, 6, 16, QLatin1Char('0'));
}

QList<PciDevice> readPci(const QString &root, QStringList &unreadable)
{
    QList<PciDevice> out;
    const QString dir = joinRoot(root, QStringLiteral("/sys/bus/pci/devices"));
    QDir d(dir);
    if (!d.exists()) {
        unreadable.append(QStringLiteral("/sys/bus/pci/devices: not present"));
        return out;
    }
    for (const QString &address : d.entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::System, QDir::Name)) {
        const QString base = d.filePath(address);
        PciDevice p;
        p.address = address;
        p.vendor = readHex(base + QStringLiteral("/vendor"));
        p.device = readHex(base + QStringLiteral("/device"));
        p.subsystemVendor = readHex(base + QStringLiteral("/subsystem_vendor"));
        p.subsystemDevice = readHex(base + QStringLiteral("/subsystem_device"));
        p.classCode = readHex(base + QStringLiteral("/class"));
        p.vendorName = vendorName(p.vendor);
        p.className = className(p.classCode);
        // driver and iommu_group are links whose last component is the name.
        const QString driver = QFileInfo(base + QStringLiteral("/driver")).symLinkTarget();
        if (!driver.isEmpty())
            p.driver = QFileInfo(driver).fileName();
        const QString group = QFileInfo(base + QStringLiteral("/iommu_group")).symLinkTarget();
        if (!group.isEmpty())
            p.iommuGroup = QFileInfo(group).fileName().toInt();
        bool ok = false;
        const int numa = readLine(base + QStringLiteral("/numa_node")).toInt(&ok);
        p.numaNode = ok ? numa : -1;
        if (const auto resource = readSmall(base + QStringLiteral("/resource"), 8192)) {
            // Lines "start end flags" in hex; the first six are the BARs.
            const QList<QByteArray> lines = resource->split('\n');
            for (int i = 0; i < lines.size() && i < 6; ++i) {
                const QList<QByteArray> f = lines[i].simplified().split(' ');
                if (f.size() < 2)
                    continue;
                const quint64 start = f[0].toULongLong(nullptr, 16), end = f[1].toULongLong(nullptr, 16);
                p.barSizes.append(end > start ? end - start + 1 : 0);
            }
        }
        out.append(p);
    }
    return out;
}

void readNvidiaProc(const QString &root, MachineFacts &m)
{
    const QString base = joinRoot(root, QStringLiteral("/proc/driver/nvidia"));
    if (const auto version = readSmall(base + QStringLiteral("/version"), 8192)) {
        m.nvidiaKernelVersionLine = QString::fromUtf8(*version).section(QLatin1Char('\n'), 0, 0).trimmed();
        static const QRegularExpression re(QStringLiteral("\\s(\\d+\\.\\d+(?:\\.\\d+)?)\\s"));
        const QRegularExpressionMatch match = re.match(m.nvidiaKernelVersionLine + QLatin1Char(' '));
        if (match.hasMatch())
            m.nvidiaKernelVersion = match.captured(1);
    }
    QDir gpus(base + QStringLiteral("/gpus"));
    for (const QString &bus : gpus.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const auto info = readSmall(gpus.filePath(bus) + QStringLiteral("/information"), 65536);
        if (!info)
            continue;
        NvidiaProcGpu g;
        g.busId = bus;
        for (const QString &line : QString::fromUtf8(*info).split(QLatin1Char('\n'))) {
            const qsizetype colon = line.indexOf(QLatin1Char(':'));
            if (colon <= 0)
                continue;
            g.fields.insert(line.left(colon).trimmed(), line.mid(colon + 1).trimmed());
        }
        g.model = g.fields.value(QStringLiteral("Model"));
        g.uuid = g.fields.value(QStringLiteral("GPU UUID"));
        g.firmware = g.fields.value(QStringLiteral("GPU Firmware"));
        g.deviceMinor = g.fields.value(QStringLiteral("Device Minor"));
        g.excluded = g.fields.value(QStringLiteral("GPU Excluded")).startsWith(QLatin1String("Yes"));
        m.nvidiaGpus.append(g);
    }
}

DeviceNode readNode(const QString &root, const QString &path)
{
    DeviceNode n;
    n.path = path;
    const QByteArray file = QFile::encodeName(joinRoot(root, path));
    struct stat st {};
    if (::lstat(file.constData(), &st) != 0) {
        n.type = QStringLiteral("missing");
        return n;
    }
    n.type = S_ISCHR(st.st_mode) ? QStringLiteral("character device")
             : S_ISDIR(st.st_mode) ? QStringLiteral("directory")
                                   : QStringLiteral("other");
    n.mode = st.st_mode & 07777;
    n.uid = st.st_uid;
    n.gid = st.st_gid;
    if (S_ISCHR(st.st_mode)) {
        n.major = int(major(st.st_rdev));
        n.minor = int(minor(st.st_rdev));
    }
    n.readable = ::access(file.constData(), R_OK) == 0;
    n.writable = ::access(file.constData(), W_OK) == 0;
    return n;
}

QList<DeviceNode> readNodes(const QString &root)
{
    QList<DeviceNode> out;
    QStringList paths{QStringLiteral("/dev/nvidiactl"), QStringLiteral("/dev/nvidia-uvm"),
                      QStringLiteral("/dev/nvidia-uvm-tools"), QStringLiteral("/dev/nvidia-modeset")};
    QDir dev(joinRoot(root, QStringLiteral("/dev")));
    for (const QString &name : dev.entryList({QStringLiteral("nvidia[0-9]*")}, QDir::System | QDir::Files | QDir::Dirs, QDir::Name))
        paths.append(QStringLiteral("/dev/") + name);
    if (QFileInfo::exists(joinRoot(root, QStringLiteral("/dev/dxg"))))
        paths.append(QStringLiteral("/dev/dxg"));
    for (const QString &p : paths) {
        DeviceNode n = readNode(root, p);
        // The optional nodes are listed only when present.
        if (n.type == QLatin1String("missing") &&
            (p.endsWith(QLatin1String("uvm-tools")) || p.endsWith(QLatin1String("modeset"))))
            continue;
        out.append(n);
    }
    return out;
}

QList<KernelModule> readModules(const QString &root, bool *known)
{
    QList<KernelModule> out;
    const auto text = readSmall(joinRoot(root, QStringLiteral("/proc/modules")));
    *known = text.has_value();
    if (!text)
        return out;
    static const QRegularExpression interesting(QStringLiteral("^(nvidia\\w*|nouveau|vfio\\w*|amdgpu)$"));
    for (const QByteArray &line : text->split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() < 5)
            continue;
        const QString name = QString::fromLatin1(f[0]);
        if (!interesting.match(name).hasMatch())
            continue;
        KernelModule k;
        k.name = name;
        k.size = f[1].toLongLong();
        k.state = QString::fromLatin1(f[4]);
        k.version = readLine(joinRoot(root, QStringLiteral("/sys/module/%1/version").arg(name)));
        out.append(k);
    }
    return out;
}

MachineHints readHints(const QString &root)
{
    MachineHints h;
    h.dockerenv = QFileInfo::exists(joinRoot(root, QStringLiteral("/.dockerenv")));
    h.containerenv = QFileInfo::exists(joinRoot(root, QStringLiteral("/run/.containerenv")));
    h.cgroup = readLine(joinRoot(root, QStringLiteral("/proc/self/cgroup")));
    h.kernel = readLine(joinRoot(root, QStringLiteral("/proc/version")));
    h.wsl = h.kernel.contains(QLatin1String("microsoft"), Qt::CaseInsensitive) ||
            QFileInfo::exists(joinRoot(root, QStringLiteral("/dev/dxg")));
    if (const auto cpu = readSmall(joinRoot(root, QStringLiteral("/proc/cpuinfo")), 1 << 20)) {
        for (const QByteArray &line : cpu->split('\n'))
            if (line.startsWith("flags")) {
                h.hypervisor = line.split(' ').contains("hypervisor");
                break;
            }
    }
    return h;
}

QString userWords()
{
    QString out = QStringLiteral("uid %1 gid %2").arg(::getuid()).arg(::getgid());
    gid_t groups[64];
    const int n = ::getgroups(64, groups);
    QStringList g;
    for (int i = 0; i < n; ++i)
        g.append(QString::number(groups[i]));
    if (!g.isEmpty())
        out += QStringLiteral(" groups %1").arg(g.join(QLatin1Char(',')));
    return out;
}

} // namespace

bool PciDevice::isGpu() const
{
    return (classCode >> 16) == 0x03 || ((classCode >> 16) == 0x12 && vendor == 0x10de);
}

QStringList MachineHints::words() const
{
    QStringList out;
    if (dockerenv)
        out.append(QStringLiteral("container (/.dockerenv)"));
    if (containerenv)
        out.append(QStringLiteral("container (/run/.containerenv)"));
    if (wsl)
        out.append(QStringLiteral("WSL"));
    if (hypervisor)
        out.append(QStringLiteral("virtual machine (hypervisor CPU flag)"));
    return out;
}

QList<PciDevice> MachineFacts::gpus() const
{
    QList<PciDevice> out;
    for (const PciDevice &p : pci)
        if (p.isGpu())
            out.append(p);
    return out;
}

MachineFacts readMachineFacts(const QString &root)
{
    MachineFacts m;
    m.root = root;
    m.uid = userWords();
    m.pci = readPci(root, m.unreadable);
    readNvidiaProc(root, m);
    for (PciDevice &p : m.pci)
        for (const NvidiaProcGpu &g : std::as_const(m.nvidiaGpus))
            if (g.busId.compare(p.address, Qt::CaseInsensitive) == 0)
                p.name = g.model;
    m.nodes = readNodes(root);
    m.modules = readModules(root, &m.modulesKnown);
    if (!m.modulesKnown)
        m.unreadable.append(QStringLiteral("/proc/modules: not readable"));
    m.hints = readHints(root);
    return m;
}

QJsonObject machineFactsToJson(const MachineFacts &m)
{
    QJsonArray pci;
    for (const PciDevice &p : m.pci) {
        QJsonArray bars;
        for (quint64 b : p.barSizes)
            bars.append(qint64(b));
        pci.append(QJsonObject{{QStringLiteral("address"), p.address},
                               {QStringLiteral("vendor"), qint64(p.vendor)},
                               {QStringLiteral("device"), qint64(p.device)},
                               {QStringLiteral("subsystemVendor"), qint64(p.subsystemVendor)},
                               {QStringLiteral("subsystemDevice"), qint64(p.subsystemDevice)},
                               {QStringLiteral("class"), qint64(p.classCode)},
                               {QStringLiteral("vendorName"), p.vendorName},
                               {QStringLiteral("className"), p.className},
                               {QStringLiteral("name"), p.name},
                               {QStringLiteral("driver"), p.driver},
                               {QStringLiteral("iommuGroup"), p.iommuGroup},
                               {QStringLiteral("numaNode"), p.numaNode},
                               {QStringLiteral("barSizes"), bars}});
    }
    QJsonArray gpus;
    for (const NvidiaProcGpu &g : m.nvidiaGpus) {
        QJsonObject fields;
        for (auto it = g.fields.constBegin(); it != g.fields.constEnd(); ++it)
            fields.insert(it.key(), it.value());
        gpus.append(QJsonObject{{QStringLiteral("busId"), g.busId}, {QStringLiteral("fields"), fields}});
    }
    QJsonArray nodes;
    for (const DeviceNode &n : m.nodes)
        nodes.append(QJsonObject{{QStringLiteral("path"), n.path},
                                 {QStringLiteral("type"), n.type},
                                 {QStringLiteral("mode"), qint64(n.mode)},
                                 {QStringLiteral("uid"), qint64(n.uid)},
                                 {QStringLiteral("gid"), qint64(n.gid)},
                                 {QStringLiteral("major"), n.major},
                                 {QStringLiteral("minor"), n.minor},
                                 {QStringLiteral("readable"), n.readable},
                                 {QStringLiteral("writable"), n.writable}});
    QJsonArray modules;
    for (const KernelModule &k : m.modules)
        modules.append(QJsonObject{{QStringLiteral("name"), k.name},
                                   {QStringLiteral("version"), k.version},
                                   {QStringLiteral("size"), k.size},
                                   {QStringLiteral("state"), k.state}});
    return QJsonObject{
        {QStringLiteral("format"), QStringLiteral("initscope-machine")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("root"), m.root},
        {QStringLiteral("user"), m.uid},
        {QStringLiteral("pci"), pci},
        {QStringLiteral("nvidiaKernelVersion"), m.nvidiaKernelVersion},
        {QStringLiteral("nvidiaKernelVersionLine"), m.nvidiaKernelVersionLine},
        {QStringLiteral("nvidiaGpus"), gpus},
        {QStringLiteral("deviceNodes"), nodes},
        {QStringLiteral("modulesKnown"), m.modulesKnown},
        {QStringLiteral("modules"), modules},
        {QStringLiteral("hints"), QJsonObject{{QStringLiteral("dockerenv"), m.hints.dockerenv},
                                              {QStringLiteral("containerenv"), m.hints.containerenv},
                                              {QStringLiteral("cgroup"), m.hints.cgroup},
                                              {QStringLiteral("wsl"), m.hints.wsl},
                                              {QStringLiteral("hypervisor"), m.hints.hypervisor},
                                              {QStringLiteral("kernel"), m.hints.kernel}}},
        {QStringLiteral("unreadable"), QJsonArray::fromStringList(m.unreadable)}};
}

std::optional<MachineFacts> machineFactsFromJson(const QJsonObject &json, QString *error)
{
    if (json.value(QLatin1String("format")).toString() != QLatin1String("initscope-machine") ||
        json.value(QLatin1String("version")).toInt() != 1) {
        if (error)
            *error = QStringLiteral("not InitScope machine facts of version 1");
        return std::nullopt;
    }
    MachineFacts m;
    m.root = json.value(QLatin1String("root")).toString();
    m.uid = json.value(QLatin1String("user")).toString();
    for (const QJsonValue &v : json.value(QLatin1String("pci")).toArray()) {
        const QJsonObject o = v.toObject();
        PciDevice p;
        p.address = o.value(QLatin1String("address")).toString();
        p.vendor = quint32(o.value(QLatin1String("vendor")).toInteger());
        p.device = quint32(o.value(QLatin1String("device")).toInteger());
        p.subsystemVendor = quint32(o.value(QLatin1String("subsystemVendor")).toInteger());
        p.subsystemDevice = quint32(o.value(QLatin1String("subsystemDevice")).toInteger());
        p.classCode = quint32(o.value(QLatin1String("class")).toInteger());
        p.vendorName = o.value(QLatin1String("vendorName")).toString();
        p.className = o.value(QLatin1String("className")).toString();
        p.name = o.value(QLatin1String("name")).toString();
        p.driver = o.value(QLatin1String("driver")).toString();
        p.iommuGroup = o.value(QLatin1String("iommuGroup")).toInt(-1);
        p.numaNode = o.value(QLatin1String("numaNode")).toInt(-1);
        for (const QJsonValue &b : o.value(QLatin1String("barSizes")).toArray())
            p.barSizes.append(quint64(b.toInteger()));
        m.pci.append(p);
    }
    m.nvidiaKernelVersion = json.value(QLatin1String("nvidiaKernelVersion")).toString();
    m.nvidiaKernelVersionLine = json.value(QLatin1String("nvidiaKernelVersionLine")).toString();
    for (const QJsonValue &v : json.value(QLatin1String("nvidiaGpus")).toArray()) {
        const QJsonObject o = v.toObject();
        NvidiaProcGpu g;
        g.busId = o.value(QLatin1String("busId")).toString();
        const QJsonObject fields = o.value(QLatin1String("fields")).toObject();
        for (auto it = fields.constBegin(); it != fields.constEnd(); ++it)
            g.fields.insert(it.key(), it.value().toString());
        g.model = g.fields.value(QStringLiteral("Model"));
        g.uuid = g.fields.value(QStringLiteral("GPU UUID"));
        g.firmware = g.fields.value(QStringLiteral("GPU Firmware"));
        g.deviceMinor = g.fields.value(QStringLiteral("Device Minor"));
        g.excluded = g.fields.value(QStringLiteral("GPU Excluded")).startsWith(QLatin1String("Yes"));
        m.nvidiaGpus.append(g);
    }
    for (const QJsonValue &v : json.value(QLatin1String("deviceNodes")).toArray()) {
        const QJsonObject o = v.toObject();
        DeviceNode n;
        n.path = o.value(QLatin1String("path")).toString();
        n.type = o.value(QLatin1String("type")).toString();
        n.mode = quint32(o.value(QLatin1String("mode")).toInteger());
        n.uid = quint32(o.value(QLatin1String("uid")).toInteger());
        n.gid = quint32(o.value(QLatin1String("gid")).toInteger());
        n.major = o.value(QLatin1String("major")).toInt(-1);
        n.minor = o.value(QLatin1String("minor")).toInt(-1);
        n.readable = o.value(QLatin1String("readable")).toBool();
        n.writable = o.value(QLatin1String("writable")).toBool();
        m.nodes.append(n);
    }
    m.modulesKnown = json.value(QLatin1String("modulesKnown")).toBool();
    for (const QJsonValue &v : json.value(QLatin1String("modules")).toArray()) {
        const QJsonObject o = v.toObject();
        m.modules.append({o.value(QLatin1String("name")).toString(), o.value(QLatin1String("version")).toString(),
                          o.value(QLatin1String("size")).toInteger(), o.value(QLatin1String("state")).toString()});
    }
    const QJsonObject h = json.value(QLatin1String("hints")).toObject();
    m.hints.dockerenv = h.value(QLatin1String("dockerenv")).toBool();
    m.hints.containerenv = h.value(QLatin1String("containerenv")).toBool();
    m.hints.cgroup = h.value(QLatin1String("cgroup")).toString();
    m.hints.wsl = h.value(QLatin1String("wsl")).toBool();
    m.hints.hypervisor = h.value(QLatin1String("hypervisor")).toBool();
    m.hints.kernel = h.value(QLatin1String("kernel")).toString();
    for (const QJsonValue &v : json.value(QLatin1String("unreadable")).toArray())
        m.unreadable.append(v.toString());
    return m;
}

} // namespace initscope
