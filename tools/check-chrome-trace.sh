#!/bin/sh
# Opens Chrome traces written by `initscope export --format chrome` with the trace engine of
# Chrome DevTools' Performance panel, the npm package @paulirish/trace_engine, installed once
# into ~/.cache/initscope/trace-engine (needs node and npm). docs/export.md, "Checked with".
#
#   tools/check-chrome-trace.sh TRACE.json...
set -eu
version=0.0.65
cache="${INITSCOPE_CACHE:-$HOME/.cache/initscope}/trace-engine-$version"
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 TRACE.json..." >&2; exit 64; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "check-chrome-trace: needs node and npm" >&2; exit 1; }
if [ ! -d "$cache/node_modules/@paulirish/trace_engine" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm install --silent --no-audit --no-fund "@paulirish/trace_engine@$version" >/dev/null)
fi
cp "$here/check-chrome-trace.mjs" "$cache/check.mjs"
status=0
for trace in "$@"; do
    node "$cache/check.mjs" "$(realpath "$trace")" || status=1
done
exit $status
