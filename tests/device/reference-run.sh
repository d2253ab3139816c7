#!/usr/bin/env bash
# Reference run on a machine with a real NVIDIA driver: each target runs once plainly and once
# under `initscope record`, and the two outcomes (exit status, stdout, stderr) are compared —
# recording must never change them. Bundles, reports and a summary go to $OUT (default ./out).
# Needs build/stage from tests/device/stage.sh.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
out=${OUT:-out}
mkdir -p "$out"
stage=build/stage
summary="$out/summary.txt"
: >"$summary"

compare() { # name, then the command
    local name=$1
    shift
    local p0=$(date +%s%N)
    "$@" >"$out/$name.plain.out" 2>"$out/$name.plain.err"
    local plain=$?
    local p1=$(date +%s%N)
    local t0=$(date +%s%N)
    "$stage/run-initscope" record -o "$out/$name.initscope" -- "$@" \
        >"$out/$name.recorded.out" 2>"$out/$name.recorded.err"
    local recorded=$?
    local t1=$(date +%s%N)
    # initscope appends its own one-line summary to stderr; compare without it.
    grep -v '^initscope: ' "$out/$name.recorded.err" >"$out/$name.recorded.err.target"
    local same=yes
    [ "$plain" = "$recorded" ] || same=no
    # pids and timings differ between runs; everything else must match.
    for s in out err; do
        local a="$out/$name.plain.$s" b="$out/$name.recorded.$s"
        [ "$s" = err ] && b="$out/$name.recorded.err.target"
        if ! diff -q <(sed -E 's/pid=[0-9]+//g; s/child [0-9]+/child/g; s/[0-9]+\.[0-9]+ ?(ms|s)\b//g' "$a") \
                     <(sed -E 's/pid=[0-9]+//g; s/child [0-9]+/child/g; s/[0-9]+\.[0-9]+ ?(ms|s)\b//g' "$b") >/dev/null; then
            same=no
            echo "--- $name std$s differs" >>"$summary"
            diff "$a" "$b" | head -20 >>"$summary"
        fi
    done
    echo "$name: plain exit $plain, recorded exit $recorded, same outcome: $same, plain wall $(( (p1 - p0) / 1000000 )) ms, recorded wall $(( (t1 - t0) / 1000000 )) ms" >>"$summary"
    "$stage/run-initscope" report "$out/$name.initscope" >"$out/$name.report.txt" 2>&1
    "$stage/run-initscope" report --json "$out/$name.initscope" >"$out/$name.report.json" 2>&1
}

{
    echo "host: $(uname -srm)"
    nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv,noheader 2>&1 | head -2
    ldconfig -p | grep -E 'libcuda\.so\.1|libnvidia-ml\.so\.1' | head -4
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
} >>"$summary"

compare probe "$stage/bin/initscope-probe"
compare probe_fake_incident env LD_LIBRARY_PATH="$stage/fakegpu/default:${LD_LIBRARY_PATH:-}" \
    INITSCOPE_FAKEGPU_MODE=no-export-tables "$stage/bin/initscope-probe"
compare threaded_calls "$stage/fixtures/threaded_calls"
compare spawn_tree "$stage/fixtures/spawn_tree"
compare swallow_stderr "$stage/fixtures/swallow_stderr"
# fork() from a process whose threads are inside driver calls, and vfork() + exec: the recorder's
# fork handling must leave both as they are without it.
compare fork_calls "$stage/fixtures/fork_calls" mid 4 200 100
compare vfork_calls "$stage/fixtures/vfork_calls" 100 "$stage/fixtures/threaded_calls" 4 100
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
    compare torch python3 -c 'import torch; print("cuda available", torch.cuda.is_available(), "devices", torch.cuda.device_count()); print(torch.cuda.get_device_name(0)); x = torch.ones(1024, device="cuda"); print("sum", (x * 2).sum().item())'
else
    echo "torch: not installed here" >>"$summary"
fi
if command -v python3 >/dev/null && python3 -c 'import cupy' 2>/dev/null; then
    compare cupy python3 -c 'import cupy; print("devices", cupy.cuda.runtime.getDeviceCount()); a = cupy.arange(1024); print("sum", int((a * 2).sum()))'
else
    echo "cupy: not installed here" >>"$summary"
fi
# Overhead of recording on the bring-up: the probe's wall time, plain and recorded, median of 7.
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for mode in plain recorded; do
    for i in 1 2 3 4 5 6 7; do
        t0=$(date +%s%N)
        if [ "$mode" = plain ]; then
            "$stage/bin/initscope-probe" >/dev/null 2>&1
        else
            "$stage/run-initscope" record -q -o "$out/overhead.initscope" -- "$stage/bin/initscope-probe" >/dev/null 2>&1
            rm -f "$out/overhead.initscope"
        fi
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
    done | median | sed "s/^/probe $mode wall, median of 7: /; s/$/ ms/" >>"$summary"
done
# How many calls each recording traced, per library family.
for b in "$out"/*.initscope; do
    python3 - "$b" >>"$summary" <<'PY'
import sqlite3, sys, os
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select s.text, count(*) from events e join strings s on s.id = e.kind_id "
                  "where s.text like '%.call' group by s.text").fetchall()
print(os.path.basename(sys.argv[1]) + ": " + (" ".join(f"{k}={n}" for k, n in rows) or "no calls"))
PY
done
cat "$summary"
