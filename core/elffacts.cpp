#include "elffacts.h"

#include <QCryptographicHash>
#include <QFile>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace initscope {

QString readSoname(const QString &path)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return {};
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    QString soname;
    if (Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
        Elf_Scn *scn = nullptr;
        while ((scn = elf_nextscn(elf, scn)) && soname.isEmpty()) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0)
                continue;
            Elf_Data *data = elf_getdata(scn, nullptr);
            const size_t count = shdr.sh_size / shdr.sh_entsize;
            for (size_t i = 0; data && i < count; ++i) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(data, int(i), &dyn))
                    break;
                if (dyn.d_tag == DT_SONAME) {
                    if (const char *s = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val))
                        soname = QString::fromUtf8(s);
                    break;
                }
            }
        }
        elf_end(elf);
    }
    ::close(fd);
    return soname;
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
