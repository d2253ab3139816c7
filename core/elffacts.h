// Small ELF facts read at ingest time (the full ELF reader builds on this).
#pragma once

#include <QString>

namespace initscope {

// DT_SONAME of a shared object, or an empty string when the file has none or is not ELF.
QString readSoname(const QString &path);

} // namespace initscope
