// ELF reader over libelf (elfutils). The file is mapped, not read: libelf's ELF_C_READ_MMAP
// touches only the pages of the headers, the dynamic section, the symbol and version tables and
// the read-only data scanned for API names. Each section is checked against the file's size
// before its data is asked for, and every table walk is bounded by its section's size.
#include "elfimage.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QSet>

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace initscope {

namespace {

struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

struct ElfHandle {
    Elf *elf = nullptr;
    ~ElfHandle()
    {
        if (elf)
            elf_end(elf);
    }
};

QString machineName(int machine)
{
    switch (machine) {
    case EM_X86_64:
        return QStringLiteral("x86-64");
    case EM_386:
        return QStringLiteral("i386");
    case EM_AARCH64:
        return QStringLiteral("AArch64");
    case EM_ARM:
        return QStringLiteral("ARM");
    case EM_PPC64:
        return QStringLiteral("PowerPC64");
    case EM_RISCV:
        return QStringLiteral("RISC-V");
    default:
        return QStringLiteral("machine %1").arg(machine);
    }
}

QString fileTypeName(int type)
{
    switch (type) {
    case ET_DYN:
        return QStringLiteral("shared object");
    case ET_EXEC:
        return QStringLiteral("executable");
    case ET_REL:
        return QStringLiteral("relocatable");
    case ET_CORE:
        return QStringLiteral("core");
    default:
        return QStringLiteral("other");
    }
}

QString symbolType(unsigned type)
{
    switch (type) {
    case STT_FUNC:
        return QStringLiteral("func");
    case STT_OBJECT:
        return QStringLiteral("object");
    case STT_TLS:
        return QStringLiteral("tls");
    case STT_GNU_IFUNC:
        return QStringLiteral("ifunc");
    case STT_SECTION:
        return QStringLiteral("section");
    case STT_FILE:
        return QStringLiteral("file");
    case STT_COMMON:
        return QStringLiteral("common");
    default:
        return QStringLiteral("notype");
    }
}

QString symbolBinding(unsigned binding)
{
    switch (binding) {
    case STB_GLOBAL:
        return QStringLiteral("global");
    case STB_WEAK:
        return QStringLiteral("weak");
    case STB_LOCAL:
        return QStringLiteral("local");
    case STB_GNU_UNIQUE:
        return QStringLiteral("unique");
    default:
        return QStringLiteral("binding %1").arg(binding);
    }
}

QString symbolVisibility(unsigned visibility)
{
    switch (visibility) {
    case STV_PROTECTED:
        return QStringLiteral("protected");
    case STV_HIDDEN:
        return QStringLiteral("hidden");
    case STV_INTERNAL:
        return QStringLiteral("internal");
    default:
        return QStringLiteral("default");
    }
}

// A string at offset of string-table section index, or empty when out of bounds.
QString stringAt(Elf *elf, size_t section, size_t offset)
{
    const char *s = elf_strptr(elf, section, offset);
    return s ? QString::fromUtf8(s) : QString();
}

QStringList splitPath(const QString &value)
{
    return value.split(QLatin1Char(':'), Qt::SkipEmptyParts);
}

bool nameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Where a compiler puts string literals: .rodata (and its .rodata.str1.1-style pieces) and the
// x86-64 large-model .lrodata. Other read-only sections of GPU libraries are device code
// (.nv_fatbin) or resources (.cask_resource), hundreds of MiB that hold no entry point names.
bool isStringDataSection(const char *name)
{
    return name && (std::strcmp(name, ".rodata") == 0 || std::strncmp(name, ".rodata.", 8) == 0 ||
                    std::strcmp(name, ".lrodata") == 0 || std::strncmp(name, ".lrodata.", 9) == 0);
}

void scanApiStrings(const char *data, size_t size, QSet<QString> &out)
{
    const char *p = data;
    const char *end = data + size;
    while (p < end) {
        // Only a string that starts with 'c' or 'n' can be a name; anything else is skipped to
        // its terminating NUL without being looked at again.
        if (*p != 'c' && *p != 'n') {
            const char *nul = static_cast<const char *>(std::memchr(p, '\0', size_t(end - p)));
            if (!nul)
                break;
            p = nul + 1;
            continue;
        }
        const char *stop = p;
        while (stop < end && stop - p <= 128 && nameChar(*stop))
            ++stop;
        if ((stop == end || *stop == '\0') && looksLikeGpuApiName(p, size_t(stop - p)))
            out.insert(QString::fromLatin1(p, int(stop - p)));
        const char *nul = static_cast<const char *>(std::memchr(stop, '\0', size_t(end - stop)));
        if (!nul)
            break;
        p = nul + 1;
    }
}

} // namespace

QJsonObject elfImageToJson(const ElfImage &img)
{
    QJsonArray symbols;
    for (const ElfSymbol &s : img.symbols) {
        QJsonObject o{{QStringLiteral("name"), s.name},
                      {QStringLiteral("defined"), s.defined},
                      {QStringLiteral("type"), s.type},
                      {QStringLiteral("binding"), s.binding},
                      {QStringLiteral("visibility"), s.visibility}};
        if (!s.version.isEmpty()) {
            o.insert(QStringLiteral("version"), s.version);
            o.insert(QStringLiteral("default"), s.defaultVersion);
        }
        if (s.size)
            o.insert(QStringLiteral("size"), qint64(s.size));
        symbols.append(o);
    }
    QJsonArray needs;
    for (const ElfVersionNeed &n : img.versionNeeds)
        needs.append(QJsonObject{{QStringLiteral("file"), n.file},
                                 {QStringLiteral("versions"), QJsonArray::fromStringList(n.versions)}});
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("initscope-elf")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("path"), img.path},
                       {QStringLiteral("size"), img.fileSize},
                       {QStringLiteral("littleEndian"), img.littleEndian},
                       {QStringLiteral("machineNumber"), img.machine},
                       {QStringLiteral("hasSymtab"), img.hasSymtab},
                       {QStringLiteral("class"), img.elfClass},
                       {QStringLiteral("machine"), img.machineName},
                       {QStringLiteral("fileType"), img.fileType},
                       {QStringLiteral("soname"), img.soname},
                       {QStringLiteral("needed"), QJsonArray::fromStringList(img.needed)},
                       {QStringLiteral("rpath"), QJsonArray::fromStringList(img.rpath)},
                       {QStringLiteral("runpath"), QJsonArray::fromStringList(img.runpath)},
                       {QStringLiteral("bindNow"), img.bindNow},
                       {QStringLiteral("versionDefinitions"), QJsonArray::fromStringList(img.versionDefinitions)},
                       {QStringLiteral("versionNeeds"), needs},
                       {QStringLiteral("symbols"), symbols},
                       {QStringLiteral("unexportedDefinitions"), QJsonArray::fromStringList(img.unexportedDefinitions)},
                       {QStringLiteral("apiStrings"), QJsonArray::fromStringList(img.apiStrings)}};
}


std::optional<ElfImage> elfImageFromJson(const QJsonObject &json, QString *error)
{
    if (json.value(QLatin1String("format")).toString() != QLatin1String("initscope-elf") ||
        json.value(QLatin1String("version")).toInt() != 1) {
        if (error)
            *error = QStringLiteral("not InitScope ELF facts of version 1");
        return std::nullopt;
    }
    auto strings = [&](const char *key) {
        QStringList out;
        for (const QJsonValue &v : json.value(QLatin1String(key)).toArray())
            out.append(v.toString());
        return out;
    };
    ElfImage img;
    img.path = json.value(QLatin1String("path")).toString();
    img.fileSize = json.value(QLatin1String("size")).toInteger();
    img.elfClass = json.value(QLatin1String("class")).toInt();
    img.littleEndian = json.value(QLatin1String("littleEndian")).toBool(true);
    img.machine = json.value(QLatin1String("machineNumber")).toInt();
    img.machineName = json.value(QLatin1String("machine")).toString();
    img.fileType = json.value(QLatin1String("fileType")).toString();
    img.soname = json.value(QLatin1String("soname")).toString();
    img.needed = strings("needed");
    img.rpath = strings("rpath");
    img.runpath = strings("runpath");
    img.bindNow = json.value(QLatin1String("bindNow")).toBool();
    img.hasSymtab = json.value(QLatin1String("hasSymtab")).toBool();
    img.versionDefinitions = strings("versionDefinitions");
    img.unexportedDefinitions = strings("unexportedDefinitions");
    img.apiStrings = strings("apiStrings");
    for (const QJsonValue &v : json.value(QLatin1String("versionNeeds")).toArray()) {
        const QJsonObject o = v.toObject();
        ElfVersionNeed n;
        n.file = o.value(QLatin1String("file")).toString();
        for (const QJsonValue &x : o.value(QLatin1String("versions")).toArray())
            n.versions.append(x.toString());
        img.versionNeeds.append(n);
    }
    for (const QJsonValue &v : json.value(QLatin1String("symbols")).toArray()) {
        const QJsonObject o = v.toObject();
        ElfSymbol s;
        s.name = o.value(QLatin1String("name")).toString();
        s.defined = o.value(QLatin1String("defined")).toBool();
        s.type = o.value(QLatin1String("type")).toString();
        s.binding = o.value(QLatin1String("binding")).toString();
        s.visibility = o.value(QLatin1String("visibility")).toString();
        s.version = o.value(QLatin1String("version")).toString();
        s.defaultVersion = o.value(QLatin1String("default")).toBool(true);
        s.size = quint64(o.value(QLatin1String("size")).toInteger());
        img.symbols.append(s);
    }
    return img;
}

bool looksLikeGpuApiName(const char *text, size_t length)
{
    size_t prefix = 0;
    if (length > 4 && std::strncmp(text, "cuda", 4) == 0 && text[4] >= 'A' && text[4] <= 'Z')
        prefix = 4;
    else if (length > 4 && std::strncmp(text, "nvml", 4) == 0 && text[4] >= 'A' && text[4] <= 'Z')
        prefix = 4;
    else if (length > 2 && text[0] == 'c' && text[1] == 'u' && text[2] >= 'A' && text[2] <= 'Z')
        prefix = 2;
    if (prefix == 0 || length > 128)
        return false;
    for (size_t i = prefix; i < length; ++i)
        if (!nameChar(text[i]))
            return false;
    return true;
}

QList<ElfSymbol> ElfImage::definedSymbols() const
{
    QList<ElfSymbol> out;
    for (const ElfSymbol &s : symbols)
        if (s.defined)
            out.append(s);
    return out;
}

QList<ElfSymbol> ElfImage::undefinedSymbols() const
{
    QList<ElfSymbol> out;
    for (const ElfSymbol &s : symbols)
        if (!s.defined)
            out.append(s);
    return out;
}

const ElfSymbol *ElfImage::findDefined(const QString &name) const
{
    const ElfSymbol *found = nullptr;
    for (const ElfSymbol &s : symbols) {
        if (!s.defined || s.name != name)
            continue;
        if (!found || (s.defaultVersion && !found->defaultVersion))
            found = &s;
    }
    return found;
}

std::optional<ElfImage> readElfImage(const QString &path, QString *error, const ElfReadOptions &options)
{
    auto fail = [&](const QString &why) -> std::optional<ElfImage> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return std::nullopt;
    };
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail(QStringLiteral("libelf is unusable"));
    Fd fd;
    fd.fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd.fd < 0)
        return fail(QString::fromLocal8Bit(std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode))
        return fail(QStringLiteral("not a regular file"));
    ElfHandle h;
    h.elf = elf_begin(fd.fd, ELF_C_READ_MMAP, nullptr);
    if (!h.elf || elf_kind(h.elf) != ELF_K_ELF)
        return fail(QStringLiteral("not an ELF file"));
    Elf *elf = h.elf;

    ElfImage img;
    img.path = path;
    img.fileSize = qint64(st.st_size);
    GElf_Ehdr ehdr;
    if (!gelf_getehdr(elf, &ehdr))
        return fail(QStringLiteral("the ELF header is truncated or invalid (%1)").arg(QString::fromUtf8(elf_errmsg(-1))));
    const int cls = gelf_getclass(elf);
    img.elfClass = cls == ELFCLASS32 ? 32 : cls == ELFCLASS64 ? 64 : 0;
    if (img.elfClass == 0)
        return fail(QStringLiteral("unknown ELF class %1").arg(cls));
    img.littleEndian = ehdr.e_ident[EI_DATA] == ELFDATA2LSB;
    img.machine = ehdr.e_machine;
    img.machineName = machineName(ehdr.e_machine);
    img.fileType = fileTypeName(ehdr.e_type);

    size_t sectionCount = 0;
    if (elf_getshdrnum(elf, &sectionCount) != 0)
        return fail(QStringLiteral("the section header table is invalid (%1)").arg(QString::fromUtf8(elf_errmsg(-1))));
    // libelf maps what the headers promise; a table that ends past the file is refused here.
    const quint64 size = quint64(st.st_size);
    // e_shnum as written (libelf reports 0 sections for a table it could not map); 0 there
    // means the count lives in section 0, which libelf then read.
    const quint64 headerCount = ehdr.e_shnum ? ehdr.e_shnum : sectionCount;
    const quint64 shEnd = quint64(ehdr.e_shoff) + headerCount * ehdr.e_shentsize;
    if (headerCount > 0 && (ehdr.e_shoff > size || shEnd > size))
        return fail(QStringLiteral("the section header table ends at byte %1, past the end of the file (%2 bytes): "
                                   "the file is truncated or corrupt")
                        .arg(shEnd)
                        .arg(size));
    const quint64 phEnd = quint64(ehdr.e_phoff) + quint64(ehdr.e_phnum) * ehdr.e_phentsize;
    if (ehdr.e_phnum > 0 && (ehdr.e_phoff > size || phEnd > size))
        return fail(QStringLiteral("the program header table ends at byte %1, past the end of the file (%2 bytes): "
                                   "the file is truncated or corrupt")
                        .arg(phEnd)
                        .arg(size));
    size_t namesIndex = 0;
    const bool haveNames = elf_getshdrstrndx(elf, &namesIndex) == 0;

    Elf_Scn *symtab = nullptr;
    GElf_Shdr symtabHdr {};
    Elf_Scn *dynsym = nullptr, *dynamic = nullptr, *versym = nullptr, *verdef = nullptr, *verneed = nullptr;
    GElf_Shdr dynsymHdr {}, dynamicHdr {}, verdefHdr {}, verneedHdr {};
    QList<Elf_Scn *> dataSections;
    for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return fail(QStringLiteral("section %1 has an unreadable header").arg(elf_ndxscn(scn)));
        if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > quint64(st.st_size) || sh.sh_size > quint64(st.st_size) - sh.sh_offset))
            return fail(QStringLiteral("section %1 ends at byte %2, past the end of the file (%3 bytes): the file is "
                                       "truncated or corrupt")
                            .arg(elf_ndxscn(scn))
                            .arg(sh.sh_offset + sh.sh_size)
                            .arg(st.st_size));
        switch (sh.sh_type) {
        case SHT_DYNSYM:
            dynsym = scn;
            dynsymHdr = sh;
            break;
        case SHT_SYMTAB:
            symtab = scn;
            symtabHdr = sh;
            break;
        case SHT_DYNAMIC:
            dynamic = scn;
            dynamicHdr = sh;
            break;
        case SHT_GNU_versym:
            versym = scn;
            break;
        case SHT_GNU_verdef:
            verdef = scn;
            verdefHdr = sh;
            break;
        case SHT_GNU_verneed:
            verneed = scn;
            verneedHdr = sh;
            break;
        case SHT_PROGBITS:
            if ((sh.sh_flags & SHF_ALLOC) && !(sh.sh_flags & SHF_EXECINSTR) && !(sh.sh_flags & SHF_WRITE) &&
                isStringDataSection(haveNames ? elf_strptr(elf, namesIndex, sh.sh_name) : nullptr))
                dataSections.append(scn);
            break;
        default:
            break;
        }
    }

    // Dynamic section: needed libraries, soname, search paths, binding mode.
    if (dynamic) {
        Elf_Data *d = elf_getdata(dynamic, nullptr);
        const size_t entrySize = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
        const size_t count = d && entrySize ? d->d_size / entrySize : 0;
        for (size_t i = 0; i < count; ++i) {
            GElf_Dyn dyn;
            if (!gelf_getdyn(d, int(i), &dyn) || dyn.d_tag == DT_NULL)
                break;
            const size_t strtab = dynamicHdr.sh_link;
            switch (dyn.d_tag) {
            case DT_NEEDED:
                img.needed.append(stringAt(elf, strtab, dyn.d_un.d_val));
                break;
            case DT_SONAME:
                img.soname = stringAt(elf, strtab, dyn.d_un.d_val);
                break;
            case DT_RPATH:
                img.rpath = splitPath(stringAt(elf, strtab, dyn.d_un.d_val));
                break;
            case DT_RUNPATH:
                img.runpath = splitPath(stringAt(elf, strtab, dyn.d_un.d_val));
                break;
            case DT_BIND_NOW:
                img.bindNow = true;
                break;
            case DT_FLAGS:
                img.bindNow = img.bindNow || (dyn.d_un.d_val & DF_BIND_NOW);
                break;
            case DT_FLAGS_1:
                img.bindNow = img.bindNow || (dyn.d_un.d_val & DF_1_NOW);
                break;
            default:
                break;
            }
        }
    }

    // Version names by index: the file's own definitions and the versions it needs.
    QHash<int, QString> versionName;
    if (verdef) {
        Elf_Data *d = elf_getdata(verdef, nullptr);
        int offset = 0;
        for (size_t n = 0; d && n < verdefHdr.sh_info && n < 65536; ++n) {
            GElf_Verdef vd;
            if (!gelf_getverdef(d, offset, &vd))
                break;
            GElf_Verdaux aux;
            if (vd.vd_cnt > 0 && gelf_getverdaux(d, offset + int(vd.vd_aux), &aux)) {
                const QString name = stringAt(elf, verdefHdr.sh_link, aux.vda_name);
                versionName.insert(vd.vd_ndx, name);
                img.versionDefinitions.append(name);
            }
            if (vd.vd_next == 0 || quint64(offset) + vd.vd_next > d->d_size)
                break;
            offset += int(vd.vd_next);
        }
    }
    if (verneed) {
        Elf_Data *d = elf_getdata(verneed, nullptr);
        int offset = 0;
        for (size_t n = 0; d && n < verneedHdr.sh_info && n < 65536; ++n) {
            GElf_Verneed vn;
            if (!gelf_getverneed(d, offset, &vn))
                break;
            ElfVersionNeed need;
            need.file = stringAt(elf, verneedHdr.sh_link, vn.vn_file);
            int auxOffset = offset + int(vn.vn_aux);
            for (int a = 0; a < vn.vn_cnt && a < 65536; ++a) {
                GElf_Vernaux aux;
                if (!gelf_getvernaux(d, auxOffset, &aux))
                    break;
                const QString name = stringAt(elf, verneedHdr.sh_link, aux.vna_name);
                need.versions.append(name);
                versionName.insert(aux.vna_other & 0x7fff, name);
                if (aux.vna_next == 0 || quint64(auxOffset) + aux.vna_next > d->d_size)
                    break;
                auxOffset += int(aux.vna_next);
            }
            img.versionNeeds.append(need);
            if (vn.vn_next == 0 || quint64(offset) + vn.vn_next > d->d_size)
                break;
            offset += int(vn.vn_next);
        }
    }

    // The dynamic symbol table, with each symbol's version from .gnu.version.
    if (dynsym) {
        Elf_Data *d = elf_getdata(dynsym, nullptr);
        Elf_Data *vd = versym ? elf_getdata(versym, nullptr) : nullptr;
        const size_t entrySize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
        const size_t count = d && entrySize ? d->d_size / entrySize : 0;
        img.symbols.reserve(qsizetype(count));
        for (size_t i = 1; i < count; ++i) {
            GElf_Sym sym;
            if (!gelf_getsym(d, int(i), &sym))
                break;
            ElfSymbol s;
            s.name = stringAt(elf, dynsymHdr.sh_link, sym.st_name);
            if (s.name.isEmpty())
                continue;
            s.defined = sym.st_shndx != SHN_UNDEF;
            s.type = symbolType(GELF_ST_TYPE(sym.st_info));
            s.binding = symbolBinding(GELF_ST_BIND(sym.st_info));
            s.visibility = symbolVisibility(GELF_ST_VISIBILITY(sym.st_other));
            s.value = sym.st_value;
            s.size = sym.st_size;
            GElf_Versym ver = 0;
            if (vd && gelf_getversym(vd, int(i), &ver)) {
                const int index = ver & 0x7fff;
                s.defaultVersion = !(ver & 0x8000);
                if (index > 1)
                    s.version = versionName.value(index);
            }
            img.symbols.append(s);
        }
    }

    if (symtab) {
        img.hasSymtab = true;
        QSet<QString> exported;
        for (const ElfSymbol &sym : std::as_const(img.symbols))
            if (sym.defined)
                exported.insert(sym.name);
        QSet<QString> names;
        Elf_Data *d = elf_getdata(symtab, nullptr);
        const size_t entrySize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
        const size_t count = d && entrySize ? d->d_size / entrySize : 0;
        for (size_t i = 1; i < count; ++i) {
            GElf_Sym sym;
            if (!gelf_getsym(d, int(i), &sym))
                break;
            const unsigned type = GELF_ST_TYPE(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC))
                continue;
            const unsigned visibility = GELF_ST_VISIBILITY(sym.st_other);
            if (GELF_ST_BIND(sym.st_info) != STB_LOCAL && visibility != STV_HIDDEN && visibility != STV_INTERNAL)
                continue;
            const char *name = elf_strptr(elf, symtabHdr.sh_link, sym.st_name);
            if (!name || !*name || std::strchr(name, '.'))
                continue; // compiler-made locals such as "foo.cold" or "x.0"
            const QString n = QString::fromUtf8(name);
            if (!exported.contains(n))
                names.insert(n);
        }
        img.unexportedDefinitions = QStringList(names.begin(), names.end());
        std::sort(img.unexportedDefinitions.begin(), img.unexportedDefinitions.end());
    }

    if (options.apiStrings) {
        QSet<QString> names;
        for (Elf_Scn *scn : std::as_const(dataSections)) {
            Elf_Data *d = elf_rawdata(scn, nullptr);
            if (d && d->d_buf && d->d_size > 0)
                scanApiStrings(static_cast<const char *>(d->d_buf), d->d_size, names);
        }
        img.apiStrings = QStringList(names.begin(), names.end());
        std::sort(img.apiStrings.begin(), img.apiStrings.end());
    }
    return img;
}

} // namespace initscope
