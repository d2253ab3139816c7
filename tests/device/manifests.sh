#!/usr/bin/env bash
# Saves reference manifests (docs/symbols.md) of the real driver's libcuda.so.1 and
# libnvidia-ml.so.1 on a machine with an NVIDIA driver, into $OUT (default ./out).
# Needs build/stage from tests/device/stage.sh.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
out=${OUT:-out}
mkdir -p "$out"
stage=build/stage
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
for soname in libcuda.so.1 libnvidia-ml.so.1; do
    path=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64/ {print $NF; exit}')
    [ -n "$path" ] || path=$(ls /usr/local/nvidia/lib64/$soname /usr/lib/x86_64-linux-gnu/$soname 2>/dev/null | head -1)
    [ -n "$path" ] || { echo "$soname: not found" >&2; continue; }
    real=$(readlink -f "$path")
    name=${soname%%.so.1}
    "$stage/run-initscope" symbols --save-manifest "$out/$name-$driver.json" \
        --note "driver $driver ($gpu), $real, saved by tests/device/manifests.sh" "$real"
done
ls -la "$out"
