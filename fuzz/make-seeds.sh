#!/usr/bin/env bash
# Makes the seed corpora of fuzz/corpus from real inputs (docs/reliability.md, "Fuzzing"):
#   fuzz/make-seeds.sh BUILD_DIR
# BUILD_DIR is a normal build with initscope, the recorder, initscope-probe, fakegpu and the
# fixtures built. Needs clang-14, ld.lld-14, sqlite3 and python3. Only the seeds named here are
# written; crash reproducers (crash-*) and other files in the corpus folders are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
corpus=$here/corpus
work=$(mktemp -d "${TMPDIR:-/tmp}/initscope-seeds-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$corpus"/{bundle,rawrecords,elf,ollamalog,runconfig}

initscope=$build/bin/initscope
# The recorded programs run from copies in $work, which is deleted at the end: the paths the
# records name exist nowhere afterwards, so ingest reads no file of this machine's build tree
# when it replays a seed (only system libraries such as libc.so.6).
mkdir -p "$work/bin" "$work/fakegpu" "$work/fixtures"
cp "$build/bin/initscope-probe" "$work/bin/"
cp "$build"/lib/fakegpu/default/*.so* "$work/fakegpu/"
cp "$build"/tests/fixtures/{spawn_tree,segv_after_write,threaded_calls} "$work/fixtures/"
probe=$work/bin/initscope-probe
fake=$work/fakegpu
fixtures=$work/fixtures
# The clean environment keeps the machine's paths (XDG_RUNTIME_DIR=/run/…) out of the records.
record() { "$initscope" record -q --clean-env "$@"; }

# --- elf: small shared objects, made by the compiler for four machines (both classes, both
# byte orders): a fake driver with version definitions and a hidden function, a consumer that
# needs it (versioned imports, RUNPATH or RPATH, BIND_NOW, API names in .rodata); a relocatable
# object; a stripped fixture executable.
cat > "$work/driver.c" <<'EOF'
int cuInit(unsigned flags) { return flags ? 1 : 0; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
__attribute__((visibility("hidden"))) int driverHelper(int x) { return x + 1; }
static int counter;
int cuGetProcAddress(const char *name, void **fn) { (void)name; *fn = 0; return driverHelper(counter); }
EOF
cat > "$work/driver.map" <<'EOF'
libcuda.so.1 { global: cuInit; cuDriverGetVersion; local: *; };
libcuda.so.2 { global: cuGetProcAddress; } libcuda.so.1;
EOF
cat > "$work/consumer.c" <<'EOF'
extern int cuInit(unsigned);
extern int cuGetProcAddress(const char *, void **);
static const char *const names[] = {"cuDeviceGetCount", "cudaGetDeviceCount", "nvmlInit_v2", "not_an_api"};
__attribute__((visibility("hidden"))) int pick(int i) { return names[i & 3][0]; }
int consumerStart(void) { void *fn; cuGetProcAddress(names[0], &fn); return cuInit(0) + pick(1); }
EOF
for arch in x86_64 i386 aarch64 powerpc64; do
    cc=(clang-14 --target=$arch-linux-gnu -fPIC -O1 -c)
    "${cc[@]}" "$work/driver.c" -o "$work/driver-$arch.o"
    "${cc[@]}" "$work/consumer.c" -o "$work/consumer-$arch.o"
    ld.lld-14 -shared -soname libcuda.so.1 --version-script "$work/driver.map" "$work/driver-$arch.o" \
        -o "$corpus/elf/libcuda-$arch.so.1"
    dtags=--enable-new-dtags
    [ "$arch" = aarch64 ] && dtags=--disable-new-dtags # DT_RPATH
    ld.lld-14 -shared -soname libconsumer.so -rpath '$ORIGIN/../lib' $dtags -z now "$work/consumer-$arch.o" \
        "$corpus/elf/libcuda-$arch.so.1" -o "$corpus/elf/libconsumer-$arch.so"
done
cp "$work/consumer-i386.o" "$corpus/elf/consumer-i386.o"
strip -o "$corpus/elf/segv_after_write" "$fixtures/segv_after_write"

# --- ollamalog: the logs of the Ollama test corpus (tests/ollama/corpus/README.md says where
# each came from).
for log in "$root"/tests/ollama/corpus/*/log.txt; do
    cp "$log" "$corpus/ollamalog/$(basename "$(dirname "$log")").log"
done

# --- runconfig: the examples of docs/run-config.md, and one config per preset and injection.
python3 - "$root/docs/run-config.md" "$corpus/runconfig" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
for i, block in enumerate(re.findall(r"```json\n(.*?)```", text, re.S), 1):
    open(f"{sys.argv[2]}/docs-example-{i}.json", "w").write(block)
EOF
printf '{"preset": "probe", "timeoutSeconds": 30}\n' > "$corpus/runconfig/preset-probe.json"
printf '{"preset": "ollama", "stopOnOutput": ["inference compute"], "collect": ["/tmp/shim-*.log"]}\n' \
    > "$corpus/runconfig/preset-ollama.json"
printf '{"preset": "custom", "command": ["./app", "--gpu"], "injection": "ld-preload", "environment": {"unset": ["LD_PRELOAD"]}}\n' \
    > "$corpus/runconfig/preset-custom.json"
printf '{"command": ["python3", "train.py"], "shims": [{"path": "shim/libcuda.so.1"}], "injection": "ld-library-path", "environment": {"set": {"A": "1"}, "clean": false}}\n' \
    > "$corpus/runconfig/ld-library-path.json"

# --- bundle: bundles of real recordings, rewritten with 512-byte pages (VACUUM keeps every row)
# so that a seed is a few dozen KiB: the probe on the fake GPU (traced calls, compact payloads,
# ELF facts), a crash inside cuInit (an unfinished call), a process tree.
shrink() { sqlite3 "$1" 'PRAGMA page_size=512; VACUUM;'; cp "$1" "$2"; }
record -o "$work/probe.initscope" --shim "$fake/libcuda.so.1" --shim "$fake/libnvidia-ml.so.1" -- "$probe" --driver-only >/dev/null || true
shrink "$work/probe.initscope" "$corpus/bundle/probe-fakegpu.initscope"
record -o "$work/crash.initscope" --shim "$fake/libcuda.so.1" --env INITSCOPE_FAKEGPU_MODE=crash-in-init \
    -- "$probe" --driver-only >/dev/null 2>&1 || true
shrink "$work/crash.initscope" "$corpus/bundle/probe-crash-in-init.initscope"
record -o "$work/tree.initscope" -- "$fixtures/spawn_tree" >/dev/null 2>&1 || true
shrink "$work/tree.initscope" "$corpus/bundle/spawn-tree.initscope"
# Stored call payloads as the payload mode reads them: "function\n" and the stored bytes.
python3 - "$work/probe.initscope" "$corpus/bundle" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT s.text, e.payload FROM events e JOIN strings s ON s.id = e.name_id "
                  "JOIN strings k ON k.id = e.kind_id WHERE k.text LIKE '%.call' GROUP BY s.text ORDER BY e.id LIMIT 12")
for name, payload in rows:
    data = payload if isinstance(payload, bytes) else payload.encode()
    open(f"{sys.argv[2]}/payload-{name}", "wb").write(name.encode() + b"\n" + data)
EOF

# --- rawrecords: raw run directories kept by `record --keep-raw`, packed as the target reads
# them (fuzz/rawrecords_fuzzer.cpp): launcher.rec, then "INITSCOPE-FILE name[ size]\n" + bytes;
# a file that ends in zeros (a ring, an in-flight file) keeps its bytes up to them and its size.
pack() { # pack RUN_DIR OUT
    python3 - "$1" "$2" <<'EOF'
import os, sys
run, out = sys.argv[1], sys.argv[2]
data = open(os.path.join(run, "launcher.rec"), "rb").read()
for name in sorted(os.listdir(run)):
    if name == "launcher.rec" or not name.endswith((".rec", ".ring", ".calls", ".inflight")):
        continue
    body = open(os.path.join(run, name), "rb").read()
    header = f"INITSCOPE-FILE {name}"
    if len(body) - len(body.rstrip(b"\0")) > 256: # rings and in-flight files: mostly zeros
        header += f" {len(body)}"
        body = body.rstrip(b"\0")
    data += header.encode() + b"\n" + body
# The system's library folder is renamed (same length, so every record stays as it was): ingest
# would read libc's and libstdc++'s symbol tables on every input, which makes a fuzzer slow
# and its runs depend on the machine.
data = data.replace(b"/lib/x86_64-linux-gnu/", b"/seed-lib/x86_64-gone/")
open(out, "wb").write(data)
EOF
}
raw_record() { # raw_record NAME ARGS...: records, packs the raw directory as NAME
    local name=$1 dir
    shift
    TMPDIR=$work record --keep-raw -o "$work/$name.initscope" "$@" >/dev/null 2>&1 || true
    dir=$(ls -dt "$work"/initscope-run-* | head -1)
    pack "$dir" "$corpus/rawrecords/$name"
    rm -rf "$dir"
}
raw_record probe-fakegpu --shim "$fake/libcuda.so.1" --shim "$fake/libnvidia-ml.so.1" -- "$probe" --driver-only
raw_record probe-crash-in-init --shim "$fake/libcuda.so.1" --env INITSCOPE_FAKEGPU_MODE=crash-in-init -- "$probe" --driver-only
raw_record spawn-tree -- "$fixtures/spawn_tree"
raw_record segv-after-write -- "$fixtures/segv_after_write"
# A worker thread with enough calls to fill its lane once: a block in the .calls file, the rest in the ring.
raw_record threaded-calls --shim "$fake/libcuda.so.1" -- "$fixtures/threaded_calls" 1 1200

du -sh "$corpus"/*
