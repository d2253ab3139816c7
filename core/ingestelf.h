// ELF facts kept with a run: the shims and every loaded object that uses a GPU library, so that
// `initscope symbols --bundle` and the GUI's symbol view can check them where the files are not.
#pragma once

#include "data.h"
#include "elfimage.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace initscope {

class BundleWriter;
class BundleReader;

// One stored image and its role in the run: "shim" (passed with --shim), "driver" (a real GPU
// library that answered), "consumer" (a program or library that uses them).
struct StoredElf {
    QString role;
    ElfImage image;
};

// Reads shims (artifacts of kind "shim") and each path of loaded (objects the run's processes
// mapped, executables included) and stores those that matter as artifacts of kind "elf-facts":
// content is {"role": …, "elf": <elfImageToJson>}; a consumer keeps its imports and its API
// names, not every definition. Returns how many were stored.
int addElfFacts(BundleWriter &writer, qint64 runId, const QList<Artifact> &artifacts, const QStringList &loaded,
                const QSet<QString> &executables);

// The stored facts of a run, shims first.
QList<StoredElf> storedElfFacts(const BundleReader &reader, qint64 runId);

} // namespace initscope
