#!/usr/bin/env bash
# Reference run of the real driver's answers to setups that hide or refuse the GPU: the probe is
# recorded with several CUDA_VISIBLE_DEVICES values, and the diagnosis of each bundle is saved
# next to it in $OUT (default ./out). Needs build/stage from tests/device/stage.sh.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
out=${OUT:-out}
mkdir -p "$out"
stage=build/stage
case_run() { # name, value of CUDA_VISIBLE_DEVICES ("unset" for none), probe arguments...
    local name=$1 value=$2
    shift 2
    local env=()
    [ "$value" = unset ] || env=(--env "CUDA_VISIBLE_DEVICES=$value")
    "$stage/run-initscope" record -q -o "$out/$name.initscope" "${env[@]}" -- "$stage/bin/initscope-probe" "$@" \
        >"$out/$name.out" 2>"$out/$name.err"
    echo "$name (CUDA_VISIBLE_DEVICES=$value): exit $?" >>"$out/summary.txt"
    "$stage/run-initscope" diagnose "$out/$name.initscope" >"$out/$name.diagnosis.txt" 2>&1
}
case_run cvd-unset unset
case_run cvd-minus-one -1
case_run cvd-empty ""
case_run cvd-ordinal-1 1
case_run cvd-bad-uuid GPU-deadbeef
case_run cvd-zero-then-bad 0,7
