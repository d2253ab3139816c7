// Small ELF facts read at ingest time (the full ELF reader builds on this).
#pragma once

#include "data.h"

#include <QString>
#include <QStringList>

namespace initscope {

// What the dynamic loader looks at in a file before it maps it: the ELF header's class and
// machine, and the dynamic section's SONAME and search paths.
struct ElfFacts {
    bool isElf = false;
    int elfClass = 0;  // ELFCLASS32 (1) or ELFCLASS64 (2)
    int machine = 0;   // e_machine, e.g. EM_X86_64 (62)
    QString soname;    // DT_SONAME; empty when the file has none
    QStringList rpath;   // DT_RPATH, split at ':' and not expanded ($ORIGIN stays as written)
    QStringList runpath; // DT_RUNPATH, likewise
};

// Facts of the file at path (symbolic links followed); isElf false when it cannot be read as ELF.
ElfFacts readElfFacts(const QString &path);

// DT_SONAME of a shared object, or an empty string when the file has none or is not ELF.
QString readSoname(const QString &path);

// Size and SHA-256 of a file as an artifact of kind (content not kept). Size 0 and an empty
// hash when the file cannot be read.
Artifact fileArtifact(const QString &kind, const QString &path);

} // namespace initscope
