#!/usr/bin/env bash
# The portable build: builds InitScope (./bootstrap.sh build when build/ is missing), then packs
# the CLI, the probe, the recorder, the fake GPU and the Qt libraries the CLI needs into
# build/stage, so that a machine without Qt and without anything installable (the GPU reference
# machine, Ubuntu 24.04) can run them:
#   build/stage/run-initscope ARGS...
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
if [ -d build ]; then cmake --build build >/dev/null; else ./bootstrap.sh build; fi
stage=build/stage
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/plugins/sqldrivers"
cp build/bin/initscope build/bin/initscope-probe "$stage/bin/"
cp build/lib/libinitscope_recorder.so "$stage/lib/"
cp -r build/tests/fixtures "$stage/fixtures"
# Everything initscope links that is not part of glibc or the C++ runtime.
ldd build/bin/initscope /usr/lib/x86_64-linux-gnu/qt6/plugins/sqldrivers/libqsqlite.so |
    awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so' |
    while read -r lib; do cp -L "$lib" "$stage/lib/"; done
cp /usr/lib/x86_64-linux-gnu/qt6/plugins/sqldrivers/libqsqlite.so "$stage/plugins/sqldrivers/"
cat > "$stage/run-initscope" <<'SH'
#!/bin/sh
# Runs the staged initscope with its own libraries, without putting them on the target's
# library path (ld.so --library-path applies to initscope alone).
here=$(dirname "$(readlink -f "$0")")
export INITSCOPE_RECORDER="$here/lib/libinitscope_recorder.so"
export QT_PLUGIN_PATH="$here/plugins"
export INITSCOPE_REFERENCE_DIR="${INITSCOPE_REFERENCE_DIR:-$here/reference}"
exec /lib64/ld-linux-x86-64.so.2 --library-path "$here/lib" "$here/bin/initscope" "$@"
SH
chmod +x "$stage/run-initscope"
cp -r build/lib/fakegpu "$stage/fakegpu"
# The references of the real driver, for `diff --reference` there (ld.so runs initscope, so its
# own directory is not where they are looked for by default).
mkdir -p "$stage/reference"
cp resources/reference/*.initscope "$stage/reference/"
# Debug information is of no use there and the copy must stay small.
find "$stage" -type f \( -name '*.so*' -o -perm -u+x \) ! -name run-initscope -exec strip --strip-unneeded {} + 2>/dev/null
du -sh "$stage"
