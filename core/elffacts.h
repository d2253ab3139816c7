// Small ELF facts read at ingest time (the full ELF reader builds on this).
#pragma once

#include "data.h"

#include <QString>

namespace initscope {

// DT_SONAME of a shared object, or an empty string when the file has none or is not ELF.
QString readSoname(const QString &path);

// Size and SHA-256 of a file as an artifact of kind (content not kept). Size 0 and an empty
// hash when the file cannot be read.
Artifact fileArtifact(const QString &kind, const QString &path);

} // namespace initscope
