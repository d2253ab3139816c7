#!/usr/bin/env bash
# InitScope benchmarks, one command (docs/performance.md):
#
#   bench/run.sh [--short] [--check] [--update-baseline] [--write-docs] [--no-build] [BUILD_DIR]
#
# Builds what the benchmarks run (cmake --build BUILD_DIR --target bench_tools, or bench_full),
# then measures:
#   1. the cost of one traced driver call (bench/callbench*: dlsym, cuGetProcAddress_v2,
#      linked through the PLT, linked with -pg) plain, under `initscope record`, uftrace,
#      ltrace and LD_DEBUG=bindings, and the recorder's added peak RSS;
#   2. whole bring-ups (initscope-probe as `initscope demo` runs it, the real ggml CUDA backend
#      through tests/ggml/ggml_host) plain, recorded, under strace and ltrace;
#   3. ingest of a kept raw run directory (bench/ingestbench), with a SQLite calibration;
#   4. `initscope diff` of two recorded runs;
#   5. `initscope symbols --describe` and bench/elfbench on libcublasLt.so.13;
#   6. the timeline and main window at a million events (bench/timelinebench; full mode only).
# and prints one table (measure, value, target, met). The same rows, machine-readable, go to
# BUILD_DIR/bench/results/latest.tsv (key, measure, value, unit, target, met).
#
#   --short            fewer calls and 3 runs instead of 5 (CI; under a minute on 2 cores)
#   --check            compare the ratios of bench/baseline.tsv with this run; exit 1, one line
#                      per ratio, when one is more than twice its baseline (needs --short;
#                      implies --no-build)
#   --update-baseline  rewrite bench/baseline.tsv from this run (needs --short)
#   --write-docs       append this run's rows as a dated section to docs/performance.md
#   --no-build         do not run cmake --build first
# Environment: CUDA_LIB_DIR (default /usr/local/cuda/lib64), INITSCOPE_GGML_CUDA_DIR (the
# directory of libggml-cuda.so; default: BUILD_DIR/tests/ggml/ggml-cuda-dir.txt, else the
# verified cache of tests/ggml/fetch-ggml-cuda.sh --offline).
set -euo pipefail

usage() {
    echo "usage: bench/run.sh [--short] [--check] [--update-baseline] [--write-docs] [--no-build] [BUILD_DIR]"
    sed -n '/^#   --short/,/^#   --no-build/p' "$(readlink -f "$0")" | sed 's/^#//'
}

short=0 check=0 update_baseline=0 write_docs=0 do_build=1 build_arg=
while [ $# -gt 0 ]; do
    case "$1" in
        --short) short=1 ;;
        --check) check=1; do_build=0 ;;
        --update-baseline) update_baseline=1 ;;
        --write-docs) write_docs=1 ;;
        --no-build) do_build=0 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "bench/run.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
        *)
            if [ -n "$build_arg" ]; then
                echo "bench/run.sh: one build directory only" >&2; exit 64
            fi
            build_arg=$1 ;;
    esac
    shift
done
if { [ $check = 1 ] || [ $update_baseline = 1 ]; } && [ $short = 0 ]; then
    echo "bench/run.sh: bench/baseline.tsv holds ratios of the short mode; add --short" >&2
    exit 64
fi

src=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$src"
build_arg=${build_arg:-build}
if [ $do_build = 1 ]; then mkdir -p "$build_arg"; fi
[ -d "$build_arg" ] || { echo "bench/run.sh: no build directory $build_arg" >&2; exit 1; }
build=$(cd "$build_arg" && pwd)
baseline=$src/bench/baseline.tsv
cuda=${CUDA_LIB_DIR:-/usr/local/cuda/lib64}
started=$EPOCHREALTIME

if [ $short = 1 ]; then
    mode=short runs=3 calls=100000 ltrace_calls=5000 ingest_calls=100000 diff_calls=20000
else
    mode=full runs=5 calls=1000000 ltrace_calls=20000 ingest_calls=1000000 diff_calls=100000
fi

die() { echo "bench/run.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Build
if [ $do_build = 1 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
    fi
    target=bench_tools
    [ $mode = full ] && target=bench_full
    echo "== build: cmake --build $build --target $target"
    cmake --build "$build" --target "$target"
fi

initscope=$build/bin/initscope
probe=$build/bin/initscope-probe
fake=$build/lib/fakegpu/default
benchdir=$build/bench
ggml_host=$build/tests/ggml/ggml_host
for f in "$initscope" "$probe" "$fake/libcuda.so.1" "$fake/libnvidia-ml.so.1" "$build/lib/libinitscope_recorder.so" \
         "$benchdir/callbench" "$benchdir/callbench_gpa" "$benchdir/callbench_linked" "$benchdir/callbench_pg" \
         "$benchdir/elfbench" "$benchdir/ingestbench"; do
    [ -e "$f" ] || die "$f is missing: build the bench_tools target (cmake --build $build --target bench_tools)"
done
command -v sqlite3 >/dev/null || die "sqlite3 (the CLI) is needed"

# Tools the comparisons use: required in full mode, skipped with a line in short mode.
have() {
    if command -v "$1" >/dev/null; then return 0; fi
    [ $mode = full ] && die "$1 is not installed (apt-get install $1); the full mode needs it"
    echo "skipped: $1 is not installed, its rows are left out"
    return 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/initscope-bench.XXXXXX")
raw_dirs=()
cleanup() {
    rm -rf "$tmp"
    local d
    for d in "${raw_dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
mkdir -p "$tmp/cwd" # the -pg program leaves gmon.out in its working directory

results_dir=$build/bench/results
mkdir -p "$results_dir"
rows=$tmp/rows.tsv
notes=$tmp/notes.txt
: >"$rows"
: >"$notes"

# ---------------------------------------------------------------------------------------------
# Helpers

# row KEY MEASURE VALUE UNIT [TARGET]   TARGET: "<= 48", ">= 1000000", "< 1", or empty
row() {
    local key=$1 measure=$2 value=$3 unit=$4 target=${5:-} met=-
    if [ -n "$target" ] && [ "$value" != skipped ]; then
        met=$(awk -v v="$value" -v t="$target" 'BEGIN {
            split(t, p, " "); op = p[1]; x = p[2] + 0; v += 0
            ok = (op == "<" && v < x) || (op == "<=" && v <= x) || (op == ">" && v > x) || (op == ">=" && v >= x)
            print ok ? "yes" : "no" }')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$measure" "$value" "$unit" "${target:--}" "$met" >>"$rows"
}
skip_row() { row "$1" "$2" skipped "" "${3:-}"; }
note() { echo "note: $*"; echo "$*" >>"$notes"; }

least() { printf '%s\n' "$@" | sort -g | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# The closing line of a callbench variant.
ns_of() { sed -n 's/.* \([0-9.]*\) ns per call.*/\1/p' "$1" | tail -1; }
rss_of() { sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' "$1" | tail -1; }

# Calls named NAME in a bundle (to make sure the recorder saw every call it was timed with).
bundle_calls() {
    sqlite3 "$1" "SELECT COUNT(*) FROM events WHERE name_id IN (SELECT id FROM strings WHERE text = '$2')"
}

# Runs a callbench variant once in a given mode; sets NS and RSS.
# modes: plain, initscope, uftrace, ltrace, ld_debug
callbench_once() {
    local variant=$1 how=$2 n=$3 out=$tmp/cb.out status=0
    local bin=$benchdir/$variant
    rm -rf "$tmp/cb.initscope" "$tmp/uftrace.data" "$tmp/ltrace.out" "$tmp"/lddebug.*
    case "$how" in
        plain)
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake "$bin" "$n") >"$out" 2>"$tmp/cb.err" || status=$? ;;
        initscope)
            # Not -q: the target's output is passed through, and with it its closing line.
            (cd "$tmp/cwd" && "$initscope" record -o "$tmp/cb.initscope" --shim "$fake/libcuda.so.1" -- "$bin" "$n") \
                >"$out" 2>"$tmp/cb.err" || status=$? ;;
        uftrace)
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake uftrace record -d "$tmp/uftrace.data" "$bin" "$n") \
                >"$out" 2>"$tmp/cb.err" || status=$? ;;
        ltrace)
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake ltrace -f -o "$tmp/ltrace.out" "$bin" "$n") \
                >"$out" 2>"$tmp/cb.err" || status=$? ;;
        ld_debug)
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake LD_DEBUG=bindings LD_DEBUG_OUTPUT=$tmp/lddebug "$bin" "$n") \
                >"$out" 2>"$tmp/cb.err" || status=$? ;;
    esac
    NS=$(ns_of "$out")
    RSS=$(rss_of "$out")
    if [ $status != 0 ] || [ -z "$NS" ]; then
        cat "$out" "$tmp/cb.err" >&2
        die "$variant ($how, $n calls) failed with status $status"
    fi
}

# Medians over $runs runs of one variant in one mode: sets MED_NS, MED_RSS; checks, after the
# first run, that the tool really saw the calls.
callbench_mode() {
    local variant=$1 how=$2 n=$3 i ns=() rss=() seen
    for ((i = 0; i < runs; ++i)); do
        callbench_once "$variant" "$how" "$n"
        ns+=("$NS")
        rss+=("$RSS")
        [ $i = 0 ] || continue
        case "$how" in
            initscope)
                seen=$(bundle_calls "$tmp/cb.initscope" cuDeviceGetAttribute)
                echo "   initscope recorded $seen cuDeviceGetAttribute calls of $n"
                [ "$seen" -ge "$n" ] || note "InitScope recorded only $seen of $n calls of $variant" ;;
            uftrace)
                seen=$(uftrace report -d "$tmp/uftrace.data" 2>/dev/null | awk '$NF == "cuDeviceGetAttribute" { print $(NF - 1) }')
                echo "   uftrace recorded ${seen:-0} cuDeviceGetAttribute calls of $n (uftrace report)"
                [ "${seen:-0}" -ge "$n" ] || note "uftrace recorded only ${seen:-0} of $n calls of $variant"
                echo "   uftrace data: $(du -sh "$tmp/uftrace.data" | cut -f1)" ;;
            ltrace)
                seen=$(grep -c 'cuDeviceGetAttribute(' "$tmp/ltrace.out" || true)
                echo "   ltrace logged $seen cuDeviceGetAttribute calls of $n"
                [ "$seen" -ge "$n" ] || note "ltrace logged only $seen of $n calls of $variant" ;;
            ld_debug)
                seen=$(cat "$tmp"/lddebug.* | grep -c 'binding file' || true)
                echo "   LD_DEBUG=bindings wrote $seen binding lines, $(cat "$tmp"/lddebug.* | grep -c 'cuDeviceGetAttribute' || true) naming cuDeviceGetAttribute" ;;
        esac
    done
    MED_NS=$(median "${ns[@]}")
    MIN_NS=$(least "${ns[@]}")
    MED_RSS=$(median "${rss[@]}")
    echo "   $variant, $how, $n calls: ${ns[*]} ns per call -> median $MED_NS; peak RSS median $MED_RSS KiB"
}

# ---------------------------------------------------------------------------------------------
echo "== InitScope benchmarks, $mode mode: $runs runs, $calls calls ($ltrace_calls under ltrace), build $build"
load_start=$(cut -d' ' -f1 /proc/loadavg)
echo "host: $(uname -srm), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average (1 min) $load_start"

# 1. Per-call overhead ------------------------------------------------------------------------
echo "== 1. per-call overhead: cuDeviceGetAttribute(&v, 75, 0) after cuInit(0)"
have_uftrace=0 have_ltrace=0 have_strace=0
have uftrace && have_uftrace=1
have ltrace && have_ltrace=1
have strace && have_strace=1

declare -A label=([dlsym]="dlsym" [gpa]="cuGetProcAddress"
                  [linked]="PLT" [pg]="PLT, -pg")
declare -A binary=([dlsym]=callbench [gpa]=callbench_gpa [linked]=callbench_linked [pg]=callbench_pg)
for v in dlsym gpa linked pg; do
    b=${binary[$v]} l=${label[$v]}
    callbench_mode "$b" plain "$calls"; plain_ns=$MED_NS plain_rss=$MED_RSS plain_min=$MIN_NS
    callbench_mode "$b" initscope "$calls"; rec_ns=$MED_NS rec_rss=$MED_RSS rec_min=$MIN_NS
    rec_added=$(calc "$rec_ns - $plain_ns")
    row "call.$v.plain_ns" "per call, plain [$l]" "$plain_ns" ns
    row "call.$v.initscope_ns" "per call, InitScope [$l]" "$rec_ns" ns
    row "call.$v.initscope_added_ns" "added per call, InitScope [$l]" "$rec_added" ns "<= 100"
    row "call.$v.initscope_ratio" "InitScope / plain [$l]" "$(calc "$rec_ns / $plain_ns")" x
    row "call.$v.initscope_added_ratio" "InitScope added / plain [$l]" "$(calc "$rec_added / $plain_ns")" x
    row "call.$v.initscope_added_ratio_best" "InitScope added / plain, fastest runs [$l]" \
        "$(calc "($rec_min - $plain_min) / $plain_min")" x
    row "call.$v.rss_plain_kib" "peak RSS, plain [$l]" "$plain_rss" KiB
    row "call.$v.rss_added_kib" "added peak RSS, InitScope, $calls calls [$l]" "$((rec_rss - plain_rss))" KiB "< 4096"
    if [ $v = pg ] && [ $have_uftrace = 1 ]; then
        callbench_mode "$b" uftrace "$calls"; uf_ns=$MED_NS
        uf_added=$(calc "$uf_ns - $plain_ns")
        row "call.pg.uftrace_ns" "per call, uftrace record [$l]" "$uf_ns" ns
        row "call.pg.uftrace_added_ns" "added per call, uftrace [$l]" "$uf_added" ns
        row "call.pg.uftrace_ratio" "uftrace / plain [$l]" "$(calc "$uf_ns / $plain_ns")" x
        row "call.pg.initscope_vs_uftrace" "InitScope added / uftrace added [$l]" "$(calc "$rec_added / $uf_added" 2)" x "< 1"
    elif [ $v = pg ]; then
        skip_row call.pg.uftrace_ns "per call, uftrace record [$l]"
    fi
    if [ $v = linked ] && [ $have_ltrace = 1 ]; then
        callbench_mode "$b" ltrace "$ltrace_calls"; lt_ns=$MED_NS
        row "call.linked.ltrace_ns" "per call, ltrace -f, $ltrace_calls calls [$l]" "$lt_ns" ns
        row "call.linked.ltrace_added_ns" "added per call, ltrace [$l]" "$(calc "$lt_ns - $plain_ns")" ns
        row "call.linked.ltrace_ratio" "ltrace / plain [$l]" "$(calc "$lt_ns / $plain_ns" 0)" x
    elif [ $v = linked ]; then
        skip_row call.linked.ltrace_ns "per call, ltrace -f [$l]"
    fi
    if [ $v != pg ]; then
        callbench_mode "$b" ld_debug "$calls"; ld_ns=$MED_NS
        row "call.$v.ld_debug_ns" "per call, LD_DEBUG=bindings [$l]" "$ld_ns" ns
        row "call.$v.ld_debug_added_ns" "added per call, LD_DEBUG=bindings [$l]" "$(calc "$ld_ns - $plain_ns")" ns
    fi
done

# What any recorder pays per call here: the clocks, and the floor (an indirect call, two TSC
# reads, a 56-byte record stored in the cache) above a plain indirect call (bench/floorbench).
floor_runs=() tsc_runs=() gettime_runs=()
for i in $(seq "$runs"); do
    out=$("$build/bench/floorbench" "$((calls * 10))")
    tsc_runs+=("$(sed -n 's/.* tsc \([0-9.]*\) ns.*/\1/p' <<<"$out")")
    gettime_runs+=("$(sed -n 's/.* clock_gettime \([0-9.]*\) ns.*/\1/p' <<<"$out")")
    floor_runs+=("$(awk '{ for (i = 1; i <= NF; ++i) { if ($i == "call") p = $(i + 1); if ($i == "floor") f = $(i + 1) } } END { printf "%.1f", f - p }' <<<"$out")")
done
echo "   floorbench: tsc ${tsc_runs[*]} ns; clock_gettime ${gettime_runs[*]} ns; floor above a plain indirect call ${floor_runs[*]} ns"
floor_ns=$(median "${floor_runs[@]}")
row "call.tsc_ns" "one TSC read (floorbench)" "$(median "${tsc_runs[@]}")" ns
row "call.clock_gettime_ns" "one clock_gettime(CLOCK_MONOTONIC) (floorbench)" "$(median "${gettime_runs[@]}")" ns
row "call.floor_added_ns" "floor: indirect call + two TSC reads + 56-byte store, added (floorbench)" "$floor_ns" ns
row "call.initscope_vs_floor" "InitScope added / floor added [dlsym]" \
    "$(calc "$(awk -F'\t' '$1 == "call.dlsym.initscope_added_ns" { print $3 }' "$rows") / $floor_ns" 2)" x

# 2. Whole bring-up ---------------------------------------------------------------------------
echo "== 2. whole bring-up"
ggml_dir=${INITSCOPE_GGML_CUDA_DIR:-}
if [ -z "$ggml_dir" ] && [ -f "$build/tests/ggml/ggml-cuda-dir.txt" ]; then
    ggml_dir=$(cat "$build/tests/ggml/ggml-cuda-dir.txt")
fi
if [ -z "$ggml_dir" ] || [ ! -f "$ggml_dir/libggml-cuda.so" ]; then
    ggml_dir=$(bash "$src/tests/ggml/fetch-ggml-cuda.sh" --offline 2>/dev/null || true)
fi

# bringup NAME LABEL MODE -- COMMAND...: the command plainly (fake GPU + runtime on
# LD_LIBRARY_PATH, INITSCOPE_FAKEGPU_MODE=MODE), recorded as `initscope demo` and the ggml
# tests record it (the fake's libraries as shims), under strace and under ltrace.
bringup() {
    local name=$1 l=$2 fmode=$3
    shift 4
    local i t status plain=() rec=() own=() st=() lt=() plain_status= rec_status=
    for ((i = 0; i < runs; ++i)); do
        t=$EPOCHREALTIME; status=0
        (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake:$cuda INITSCOPE_FAKEGPU_MODE=$fmode "$@") >/dev/null 2>&1 || status=$?
        plain+=("$(ms_since "$t")"); plain_status=$status

        rm -f "$tmp/bu.initscope"
        t=$EPOCHREALTIME; status=0
        (cd "$tmp/cwd" && "$initscope" record -q -o "$tmp/bu.initscope" --shim "$fake/libcuda.so.1" \
            --shim "$fake/libnvidia-ml.so.1" --env "INITSCOPE_FAKEGPU_MODE=$fmode" --env "LD_LIBRARY_PATH=$cuda" -- "$@") \
            >/dev/null 2>"$tmp/bu.err" || status=$?
        rec+=("$(ms_since "$t")"); rec_status=$status
        [ -f "$tmp/bu.initscope" ] || { cat "$tmp/bu.err" >&2; die "recording $name saved no bundle"; }
        own+=("$(sqlite3 "$tmp/bu.initscope" 'SELECT duration_ns / 1e6 FROM runs')")
        [ "$rec_status" = "$plain_status" ] || note "$name: exit status $plain_status plain, $rec_status recorded"

        if [ $have_strace = 1 ]; then
            t=$EPOCHREALTIME
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake:$cuda INITSCOPE_FAKEGPU_MODE=$fmode strace -f -s 65535 -o "$tmp/strace.out" "$@") \
                >/dev/null 2>&1 || true
            st+=("$(ms_since "$t")")
        fi
        if [ $have_ltrace = 1 ]; then
            t=$EPOCHREALTIME
            (cd "$tmp/cwd" && LD_LIBRARY_PATH=$fake:$cuda INITSCOPE_FAKEGPU_MODE=$fmode ltrace -f -o "$tmp/ltrace.out" "$@") \
                >/dev/null 2>&1 || true
            lt+=("$(ms_since "$t")")
        fi
    done
    local p r o pb rb
    p=$(median "${plain[@]}"); r=$(median "${rec[@]}"); o=$(median "${own[@]}")
    pb=$(least "${plain[@]}"); rb=$(least "${rec[@]}")
    echo "   $name (exit status $plain_status): plain ${plain[*]} ms; initscope record ${rec[*]} ms (target within: ${own[*]} ms)"
    echo "   $name: $(sqlite3 "$tmp/bu.initscope" "SELECT COUNT(*) FROM events WHERE kind_id IN (SELECT id FROM strings WHERE text LIKE '%.call')") traced calls in the recording"
    row "bringup.$name.plain_ms" "wall, plain [$l]" "$p" ms
    row "bringup.$name.initscope_ms" "wall, initscope record (run + ingest + save) [$l]" "$r" ms
    row "bringup.$name.initscope_ratio" "initscope record / plain [$l]" "$(calc "$r / $p")" x
    row "bringup.$name.initscope_ratio_best" "initscope record / plain, fastest runs [$l]" "$(calc "$rb / $pb")" x
    row "bringup.$name.target_ms" "target's own wall within the recording (runs.duration_ns) [$l]" "$(calc "$o")" ms
    row "bringup.$name.target_ratio" "target within the recording / plain [$l]" "$(calc "$o / $p")" x
    if [ $have_strace = 1 ]; then
        local s; s=$(median "${st[@]}")
        echo "   $name: strace -f -s 65535 ${st[*]} ms ($(wc -l <"$tmp/strace.out") lines)"
        row "bringup.$name.strace_ms" "wall, strace -f -s 65535 [$l]" "$s" ms
        row "bringup.$name.strace_ratio" "strace / plain [$l]" "$(calc "$s / $p")" x
    fi
    if [ $have_ltrace = 1 ]; then
        local lm; lm=$(median "${lt[@]}")
        echo "   $name: ltrace -f ${lt[*]} ms ($(wc -l <"$tmp/ltrace.out") lines)"
        row "bringup.$name.ltrace_ms" "wall, ltrace -f [$l]" "$lm" ms
        row "bringup.$name.ltrace_ratio" "ltrace / plain [$l]" "$(calc "$lm / $p")" x
    fi
}

if [ ! -f "$cuda/libcudart.so.13" ]; then
    [ $mode = full ] && die "no CUDA runtime in $cuda (set CUDA_LIB_DIR); the full mode needs it"
    note "no CUDA runtime in $cuda: initscope-probe runs the driver and NVML paths only"
fi
bringup probe "initscope-probe" no-export-tables -- "$probe"
if [ -n "$ggml_dir" ] && [ -f "$ggml_dir/libggml-cuda.so" ] && [ -x "$ggml_host" ] && [ -f "$cuda/libcudart.so.13" ]; then
    bringup ggml "ggml_host" healthy -- "$ggml_host" "$ggml_dir/libggml-cuda.so"
else
    why="no libggml-cuda.so (run tests/ggml/fetch-ggml-cuda.sh, or set INITSCOPE_GGML_CUDA_DIR)"
    [ -x "$ggml_host" ] || why="$ggml_host is not built (configure with INITSCOPE_BUILD_TESTS=ON)"
    [ -f "$cuda/libcudart.so.13" ] || why="no CUDA runtime in $cuda"
    [ $mode = full ] && die "ggml bring-up: $why"
    echo "skipped: ggml bring-up: $why"
    skip_row bringup.ggml.initscope_ratio_best "initscope record / plain, fastest runs [ggml_host]"
fi

# 3. Ingest -----------------------------------------------------------------------------------
echo "== 3. ingest of $ingest_calls calls"
t=$EPOCHREALTIME; status=0
(cd "$tmp/cwd" && "$initscope" record -q --keep-raw -o "$tmp/keep.initscope" --shim "$fake/libcuda.so.1" -- \
    "$benchdir/callbench" "$ingest_calls") >/dev/null 2>"$tmp/keep.err" || status=$?
record_ms=$(ms_since "$t")
raw=$(sed -n 's/^initscope: raw records kept in //p' "$tmp/keep.err")
if [ $status != 0 ] || [ -z "$raw" ] || [ ! -d "$raw" ]; then
    cat "$tmp/keep.err" >&2
    die "initscope record --keep-raw failed (status $status)"
fi
raw_dirs+=("$raw")
rm -f "$tmp/keep.initscope"
"$benchdir/ingestbench" "$raw" "$tmp/ingest.initscope" >"$tmp/ingest.out" || die "ingestbench failed"
cat "$tmp/ingest.out" | sed 's/^/   /'
kv() { sed -n "s/.*[: ]$1=\([^ ]*\).*/\1/p" "$tmp/ingest.out" | head -1; }
ing_events=$(kv events) ing_calls=$(kv calls) ing_s=$(kv ingest_s) commit_s=$(kv commit_s)
calib_s=$(kv seconds) calib_rows=$(kv rows)
rm -rf "$raw" "$tmp/ingest.initscope"
row ingest.record_s "initscope record --keep-raw, $ingest_calls calls (run + ingest + save)" "$(calc "$record_ms / 1000" 2)" s
row ingest.events "events ingested" "$ing_events" events
row ingest.ingest_s "ingest" "$ing_s" s
row ingest.commit_s "commit (indexes, fsync, rename)" "$commit_s" s
row ingest.events_per_s "ingest + commit rate" "$(kv events_per_s)" events/s ">= 1000000"
row ingest.bytes_per_event "bundle bytes per event" "$(kv bytes_per_event)" B
row ingest.bytes_per_call_event "events table + indexes per call event (dbstat)" "$(kv bytes_per_call_event)" B "<= 48"
row ingest.calibration_rows_per_s "calibration: SQLite inserting $calib_rows event-shaped rows, fastest of 3" "$(kv rows_per_s)" rows/s
row ingest.cost_vs_calibration "ingest + commit per event / calibration per row" \
    "$(calc "(($ing_s + $commit_s) / $ing_events) / ($calib_s / $calib_rows)")" x

# 4. Diff -------------------------------------------------------------------------------------
echo "== 4. initscope diff of two runs of $diff_calls calls"
for r in a b; do
    (cd "$tmp/cwd" && "$initscope" record -q -o "$tmp/diff-$r.initscope" --shim "$fake/libcuda.so.1" -- \
        "$benchdir/callbench" "$diff_calls") >/dev/null 2>"$tmp/diff.err" || { cat "$tmp/diff.err" >&2; die "recording for diff failed"; }
done
for fmt in text json; do
    times=()
    args=()
    [ $fmt = json ] && args=(--json)
    for ((i = 0; i < 3; ++i)); do
        t=$EPOCHREALTIME; status=0
        "$initscope" diff "${args[@]}" "$tmp/diff-a.initscope" "$tmp/diff-b.initscope" >"$tmp/diff.out" 2>&1 || status=$?
        [ $status -le 1 ] || { cat "$tmp/diff.out" >&2; die "initscope diff failed (status $status)"; }
        times+=("$(ms_since "$t")")
    done
    echo "   diff ($fmt, exit status $status): ${times[*]} ms"
    d=$(median "${times[@]}")
    row "diff.$fmt" "initscope diff$([ $fmt = json ] && echo ' --json'), 2 × $diff_calls calls" "$(calc "$d / 1000" 3)" s "< 1"
    if [ $fmt = text ]; then
        row diff.text_vs_calibration "initscope diff, fastest run / calibration" "$(calc "($(least "${times[@]}") / 1000) / $calib_s" 2)" x
    fi
done

# 5. Symbols ----------------------------------------------------------------------------------
echo "== 5. symbols of libcublasLt.so.13"
cublaslt=$cuda/libcublasLt.so.13
if [ -f "$cublaslt" ]; then
    times=()
    for ((i = 0; i < 3; ++i)); do
        t=$EPOCHREALTIME
        "$initscope" symbols --describe "$cublaslt" >"$tmp/symbols.out" || die "initscope symbols --describe failed"
        times+=("$(ms_since "$t")")
    done
    echo "   initscope symbols --describe: ${times[*]} ms"
    s=$(median "${times[@]}")
    row symbols.describe_s "initscope symbols --describe libcublasLt.so.13 ($(( $(stat -c %s "$cublaslt") / 1048576 )) MiB)" "$(calc "$s / 1000" 3)" s "< 1"
    row symbols.vs_calibration "initscope symbols, fastest run / calibration" "$(calc "($(least "${times[@]}") / 1000) / $calib_s" 2)" x
    "$benchdir/elfbench" "$cublaslt" >"$tmp/elf.out"
    sed 's/^/   elfbench: /' "$tmp/elf.out"
    row symbols.elf_first_ms "readElfImage libcublasLt.so.13, first read (elfbench)" "$(sed -n 's/.*first read \([0-9.]*\) ms.*/\1/p' "$tmp/elf.out")" ms
    row symbols.elf_best_ms "readElfImage libcublasLt.so.13, best of 5 (elfbench)" "$(sed -n 's/.*best of 5 \([0-9.]*\) ms.*/\1/p' "$tmp/elf.out")" ms
else
    [ $mode = full ] && die "no $cublaslt (set CUDA_LIB_DIR)"
    echo "skipped: symbols: no $cublaslt"
    skip_row symbols.vs_calibration "initscope symbols / calibration"
fi

# 6. Timeline (full mode) ---------------------------------------------------------------------
if [ $mode = full ]; then
    if [ -x "$benchdir/timelinebench" ]; then
        echo "== 6. timeline and window at ${TIMELINE_EVENTS:-1000000} events"
        QT_QPA_PLATFORM=offscreen "$benchdir/timelinebench" --events "${TIMELINE_EVENTS:-1000000}" \
            2> >(grep -v -e 'XDG_RUNTIME_DIR' -e 'propagateSizeHints' >&2) >"$tmp/timeline.out"
        sed 's/^/   timeline: /' "$tmp/timeline.out"
        # Values of the lines matching a sed pattern: the Nth (1 = page cache warm, 2 = cold) or the largest.
        nth() { sed -n "s/$2/\1/p" "$tmp/timeline.out" | sed -n "$1p"; }
        most() { sed -n "s/$1/\1/p" "$tmp/timeline.out" | sort -g | tail -1; }
        paint='^open to first paint: \([0-9.]*\) ms.*'
        row timeline.window_first_paint_ms "window: open to first paint" "$(nth 1 '^window open to first paint: \([0-9.]*\) ms.*')" ms "< 2000"
        row timeline.widget_first_paint_warm_ms "timeline widget: open to first paint, page cache warm" "$(nth 1 "$paint")" ms
        row timeline.widget_first_paint_cold_ms "timeline widget: open to first paint, page cache dropped" "$(nth 2 "$paint")" ms
        row timeline.pan_worst_ms "timeline widget: pan redraw, worst" "$(most '^pan redraw: median [0-9.]* ms, worst \([0-9.]*\) ms.*')" ms "< 50"
        row timeline.zoom_worst_ms "timeline widget: zoom redraw, worst" "$(most '^zoom redraw: median [0-9.]* ms, worst \([0-9.]*\) ms.*')" ms "< 50"
        row timeline.window_peak_rss_mib "window: peak RSS, every tab shown" "$(most '^tab .* peak RSS \([0-9.]*\) MiB.*')" MiB "< 1024"
    else
        echo "skipped: timeline: $benchdir/timelinebench is not built (INITSCOPE_BUILD_GUI=OFF)"
    fi
fi

# ---------------------------------------------------------------------------------------------
# Results
elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
{
    printf '# bench/run.sh %s mode, %s UTC, %s, %s cores\n' "$mode" "$(date -u '+%Y-%m-%d %H:%M')" "$(uname -srm)" "$(nproc)"
    printf '# key\tmeasure\tvalue\tunit\ttarget\tmet\n'
    cat "$rows"
} >"$results_dir/latest.tsv"

# The table: measure, value, target, met.
table() {
    awk -F'\t' -v md="${1:-0}" '
        { m[NR] = $2; v[NR] = ($3 == "skipped" || $4 == "") ? $3 : $3 " " $4
          t[NR] = ($5 == "-") ? "-" : $5 " " $4; k[NR] = $6
          if (length(m[NR]) > wm) wm = length(m[NR]); if (length(v[NR]) > wv) wv = length(v[NR])
          if (length(t[NR]) > wt) wt = length(t[NR]) }
        END {
            if (md) { print "| measure | value | target | met |"; print "|---|---|---|---|"
                      for (i = 1; i <= NR; ++i) printf "| %s | %s | %s | %s |\n", m[i], v[i], t[i], k[i]; exit }
            if (wm < 7) wm = 7; if (wv < 5) wv = 5; if (wt < 6) wt = 6
            printf "%-" wm "s  %" wv "s  %-" wt "s  %s\n", "measure", "value", "target", "met"
            for (i = 1; i <= NR; ++i) printf "%-" wm "s  %" wv "s  %-" wt "s  %s\n", m[i], v[i], t[i], k[i]
        }' "$rows"
}
echo
echo "== results ($mode mode, ${elapsed} s; $results_dir/latest.tsv)"
table | tee "$results_dir/latest.txt"
if [ -s "$notes" ]; then
    echo
    sed 's/^/note: /' "$notes"
fi

# The ratios the CI check compares: the cost InitScope adds relative to the same thing done
# plainly, or to a SQLite calibration of this machine measured in this run.
check_keys=(call.dlsym.initscope_added_ratio_best call.gpa.initscope_added_ratio_best
            call.linked.initscope_added_ratio_best call.pg.initscope_added_ratio_best
            bringup.probe.initscope_ratio_best bringup.ggml.initscope_ratio_best
            ingest.cost_vs_calibration ingest.bytes_per_call_event diff.text_vs_calibration symbols.vs_calibration)
value_of() { awk -F'\t' -v k="$1" '$1 == k { print $3; exit }' "$rows"; }
measure_of() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$rows"; }

status=0
if [ $update_baseline = 1 ]; then
    {
        echo "# Ratios of \`bench/run.sh --short\` that \`bench/run.sh --short --check\` (CTest: bench_short)"
        echo "# compares; a value more than twice its baseline fails the check. Rewritten by"
        echo "# \`bench/run.sh --short --update-baseline\` on $(date -u '+%Y-%m-%d') ($(uname -srm), $(nproc) cores)."
        echo "# key<TAB>baseline<TAB>what"
        for k in "${check_keys[@]}"; do
            v=$(value_of "$k")
            if [ -z "$v" ] || [ "$v" = skipped ]; then
                echo "bench/run.sh: $k was not measured in this run; not in the baseline" >&2
                continue
            fi
            printf '%s\t%s\t%s\n' "$k" "$v" "$(measure_of "$k")"
        done
    } >"$baseline"
    echo "baseline written: $baseline"
fi
if [ $check = 1 ]; then
    [ -f "$baseline" ] || die "no baseline ($baseline); create it with bench/run.sh --short --update-baseline"
    echo
    echo "== check against $baseline (fails above 2 × baseline)"
    checked=0
    while IFS=$'\t' read -r k base what; do
        case "$k" in ''|'#'*) continue ;; esac
        v=$(value_of "$k")
        if [ "$v" = skipped ]; then
            echo "bench: $k not measured in this run (skipped above), not checked"
            continue
        fi
        if [ -z "$v" ]; then
            echo "bench: FAILED $k: not measured in this run"
            status=1
            continue
        fi
        checked=$((checked + 1))
        if awk -v v="$v" -v b="$base" 'BEGIN { exit !(v > 2 * b) }'; then
            echo "bench: REGRESSION $k = $v, more than 2 × its baseline $base ($what)"
            status=1
        else
            printf 'bench: ok %s = %s (baseline %s, limit %s)\n' "$k" "$v" "$base" "$(calc "2 * $base" 2)"
        fi
    done <"$baseline"
    if [ $status = 0 ]; then
        echo "bench: check passed, $checked ratios within 2 × their baseline"
    else
        echo "bench: check FAILED"
    fi
fi

if [ $write_docs = 1 ]; then
    doc=$src/docs/performance.md
    head=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ "$head" != unknown ] && [ -n "$(git -C "$src" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        head="$head+dirty"
    fi
    btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
    {
        if [ -n "$(tail -n 1 "$doc")" ]; then echo; fi
        echo "## Results $(date -u '+%Y-%m-%d %H:%M') UTC ($mode mode)"
        echo
        echo "\`bench/run.sh$([ $mode = short ] && echo ' --short')\`, $runs runs each (medians), $calls calls per run"
        echo "($ltrace_calls under ltrace), ingest of $ingest_calls calls, diff of 2 × $diff_calls calls;"
        echo "$(uname -srm), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"
        echo "commit $head, ${btype:-unknown} build; 1-minute load average $load_start at the start and"
        echo "$(cut -d' ' -f1 /proc/loadavg) at the end; the whole run took $elapsed s."
        echo
        table 1
        if [ -s "$notes" ]; then
            echo
            sed 's/^/Note: /' "$notes"
        fi
    } >>"$doc"
    echo "appended to $doc"
fi
echo "bench/run.sh: done in $elapsed s"
exit $status
