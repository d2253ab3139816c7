// Whether a run was recorded by this user on this machine — the question a retry asks before
// it runs a bundle's command. A host name in the bundle proves nothing (anyone can write one),
// so each run recorded here carries a mark: an HMAC-SHA256, under a key only this user can
// read, of what a retry would execute (the command, the run's config) and the host name
// (docs/reliability.md, "Bundles from others").
#pragma once

#include "data.h"

#include <QByteArray>
#include <QString>

namespace initscope {

class BundleReader;

// The user's key: $XDG_DATA_HOME/initscope/origin.key (~/.local/share/…), 32 random bytes,
// made on first use with mode 0600 in a 0700 folder. Empty when it cannot be read or made;
// then no run is marked, and every retry asks.
QByteArray originKey();

// The bundle metadata key that holds run `runId`'s mark ("origin.<id>").
QString originMetadataKey(qint64 runId);

// The mark of run as this user would make it here; empty without a key.
QString originMark(const Run &run);

// True only when the bundle holds this user's mark for run, over exactly what the run holds now.
bool recordedHere(const BundleReader &reader, const Run &run);

} // namespace initscope
