#include "elffacts.h"

#include <QCryptographicHash>
#include <QFile>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace initscope {

ElfFacts readElfFacts(const QString &path)
{
    ElfFacts facts;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return facts;
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return facts;
    if (Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
        GElf_Ehdr ehdr;
        if (elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &ehdr)) {
            facts.isElf = true;
            facts.elfClass = gelf_getclass(elf);
            facts.machine = ehdr.e_machine;
        }
        Elf_Scn *scn = nullptr;
        bool dynamicSeen = false;
        while (facts.isElf && !dynamicSeen && (scn = elf_nextscn(elf, scn))) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0)
                continue;
            dynamicSeen = true;
            Elf_Data *data = elf_getdata(scn, nullptr);
            const size_t count = shdr.sh_size / shdr.sh_entsize;
            for (size_t i = 0; data && i < count; ++i) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(data, int(i), &dyn) || dyn.d_tag == DT_NULL)
                    break;
                if (dyn.d_tag != DT_SONAME && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH)
                    continue;
                const char *s = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
                if (!s)
                    continue;
                const QString text = QString::fromUtf8(s);
                if (dyn.d_tag == DT_SONAME)
                    facts.soname = text;
                else if (dyn.d_tag == DT_RPATH)
                    facts.rpath = text.split(QLatin1Char(':'), Qt::SkipEmptyParts);
                else
                    facts.runpath = text.split(QLatin1Char(':'), Qt::SkipEmptyParts);
            }
        }
        elf_end(elf);
    }
    ::close(fd);
    return facts;
}

QString readSoname(const QString &path)
{
    return readElfFacts(path).soname;
}

Artifact fileArtifact(const QString &kind, const QString &path)
{
    Artifact a;
    a.kind = kind;
    a.path = path;
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        a.size = file.size();
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hash.addData(&file);
        a.sha256 = hash.result().toHex();
    }
    return a;
}

} // namespace initscope
