#!/usr/bin/env bash
# The reference-run scripts' name for the portable build (tools/portable.sh).
exec "$(dirname "$(readlink -f "$0")")/../../tools/portable.sh" "$@"
