#!/usr/bin/env bash
# InitScope benchmarks, one command: bench/run.sh [BUILD_DIR]
# Prints the cost of one traced GPU-library call (plain vs recorded), the size of the call log
# per call, and the time to ingest and save the bundle. Results are kept in docs/performance.md.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
fake=$build/lib/fakegpu/default
bench=$build/bench/callbench
calls=${CALLS:-2000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "host: $(uname -srm), $(nproc) cores"
for i in 1 2 3; do
    LD_LIBRARY_PATH=$fake "$bench" "$calls" | sed 's/^/plain:    /'
done
for i in 1 2 3; do
    t0=$(date +%s%N)
    "$build/bin/initscope" record --keep-raw -o "$tmp/bench.initscope" --shim "$fake/libcuda.so.1" -- \
        "$bench" "$calls" 2>"$tmp/err" | sed 's/^/recorded: /'
    t1=$(date +%s%N)
    raw=$(sed -n 's/^initscope: raw records kept in //p' "$tmp/err")
    logbytes=$(find "$raw" -name '*.calls' -printf '%s\n' | awk '{s += $1} END {print s}')
    echo "          whole record command $(( (t1 - t0) / 1000000 )) ms (run + ingest + save), call log $((logbytes / 1048576)) MiB, bundle $(( $(stat -c %s "$tmp/bench.initscope") / 1048576 )) MiB"
    rm -rf "$raw"
done

# ELF reader on the largest libraries of the CUDA toolkit (a cuBLAS-size file must take well
# under a second).
elfs=$(ls -S "${CUDA_LIB_DIR:-/usr/local/cuda/lib64}"/lib*.so.* 2>/dev/null | head -3)
[ -n "$elfs" ] && "$build/bench/elfbench" $elfs | sed 's/^/elf:      /'

# The run timeline on a generated bundle of TIMELINE_EVENTS events (default 1,000,000): open to
# first paint, pan and zoom redraws, peak memory; with the bundle in the page cache and without.
if [ -x "$build/bench/timelinebench" ]; then
    QT_QPA_PLATFORM=offscreen "$build/bench/timelinebench" --events "${TIMELINE_EVENTS:-1000000}" \
        2> >(grep -v -e 'XDG_RUNTIME_DIR' -e 'propagateSizeHints' >&2) | sed 's/^/timeline: /'
fi
