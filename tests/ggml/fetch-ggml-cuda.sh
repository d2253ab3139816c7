#!/usr/bin/env bash
# Puts the real, prebuilt ggml CUDA backend (npm package @node-llama-cpp/linux-x64-cuda) into a
# cache outside the source and build trees, verified against the checksums committed next to
# this script, and prints the directory that holds libggml-cuda.so and libggml-base.so.
#
#   fetch-ggml-cuda.sh [--offline] [--record FILE]
#
#   --offline      never download: fail unless the cache already holds verified copies
#   --record FILE  also write the library directory into FILE (for the tests to read)
#
# Cache: $INITSCOPE_GGML_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/initscope/ggml-cuda-VERSION.
# Source: `npm pack` when npm is installed, else the registry's tarball URL with curl or wget,
# or a tarball already on disk named by $INITSCOPE_GGML_TARBALL (machines without network).
# A cached copy is checked against the committed checksums on every call; a tarball or library
# that does not match is refused, never used. See docs/ggml.md.
set -euo pipefail

package=@node-llama-cpp/linux-x64-cuda
version=3.22.1
tarball=node-llama-cpp-linux-x64-cuda-$version.tgz
url=https://registry.npmjs.org/$package/-/linux-x64-cuda-$version.tgz
# The registry's dist.integrity of this version (`npm view $package@$version dist.integrity`).
integrity=sha512-8rQCjyNNLZJUFit+YpjwlC4hwkKgOMIkB2wuycKBf8NU2O3ySKbiWZQ8aw9ku2nUTXjSnUIrE6KB88itduTBuA==
# Inside the package, what a host needs: libggml-cuda.so NEEDS libggml-base.so (found through
# its RUNPATH $ORIGIN), libcudart.so.13 and libcublas.so.13 (the CUDA toolkit's), libcuda.so.1.
members=(bins/linux-x64-cuda/libggml-cuda.so bins/linux-x64-cuda/libggml-base.so
         bins/linux-x64-cuda/_nlcBuildMetadata.json LICENSE)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sums=$here/ggml-cuda-$version.sha256
cache=${INITSCOPE_GGML_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/initscope/ggml-cuda-$version}

offline=0
record=
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) offline=1 ;;
        --record) record=${2:?--record needs a file}; shift ;;
        *) echo "usage: $0 [--offline] [--record FILE]" >&2; exit 64 ;;
    esac
    shift
done

fail() {
    echo "fetch-ggml-cuda: $*" >&2
    exit 1
}

[ -r "$sums" ] || fail "checksum file $sums is missing"

# True when dir holds both libraries and they match the committed checksums.
libraries_verified() {
    [ -f "$1/lib/libggml-cuda.so" ] && [ -f "$1/lib/libggml-base.so" ] &&
        (cd "$1" && grep ' lib/' "$sums" | sha256sum --quiet --status -c -)
}

finish() {
    echo "$cache/lib"
    if [ -n "$record" ]; then
        mkdir -p "$(dirname "$record")"
        echo "$cache/lib" >"$record"
    fi
    exit 0
}

# A failed fetch must not leave the previous answer behind for the tests to trust.
[ -z "$record" ] || rm -f "$record"
mkdir -p "$(dirname "$cache")"
# Several builds may run their fixture at once: one fetches, the others wait and reuse it.
exec 9>"$cache.lock"
flock 9

if libraries_verified "$cache"; then
    finish
fi
if [ -e "$cache" ]; then
    echo "fetch-ggml-cuda: $cache does not hold the expected libraries; fetching again" >&2
fi
if [ "$offline" = 1 ] && [ -z "${INITSCOPE_GGML_TARBALL:-}" ]; then
    fail "$package@$version is not in the cache ($cache) and --offline forbids downloading it"
fi

work=$(mktemp -d "$(dirname "$cache")/.ggml-cuda-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT

# npm first (the package's own channel), then the registry's URL directly: a
# machine whose npm is missing or misconfigured may still reach the registry.
download() {
    if command -v npm >/dev/null; then
        echo "fetch-ggml-cuda: npm pack $package@$version (about 143 MB) into $cache" >&2
        # A private npm cache: the tarball is kept once, in our cache, not twice.
        (cd "$work" && npm pack "$package@$version" --pack-destination "$work" \
            --cache "$work/npm-cache" --silent --no-audit --no-fund >/dev/null) && return 0
        echo "fetch-ggml-cuda: npm pack failed" >&2
    fi
    if command -v curl >/dev/null; then
        echo "fetch-ggml-cuda: downloading $url (about 143 MB) into $cache" >&2
        curl -fsSL --retry 2 -o "$work/$tarball" "$url" && return 0
    elif command -v wget >/dev/null; then
        echo "fetch-ggml-cuda: downloading $url (about 143 MB) into $cache" >&2
        wget -q -O "$work/$tarball" "$url" && return 0
    fi
    return 1
}

if [ -n "${INITSCOPE_GGML_TARBALL:-}" ]; then
    cp "$INITSCOPE_GGML_TARBALL" "$work/$tarball" ||
        fail "cannot read INITSCOPE_GGML_TARBALL=$INITSCOPE_GGML_TARBALL"
else
    download || fail "cannot download $package@$version (no network, no registry access, or" \
                     "none of npm, curl, wget); INITSCOPE_GGML_TARBALL=FILE uses a tarball already on disk"
fi
[ -f "$work/$tarball" ] || fail "the download did not produce $tarball"

(cd "$work" && grep " $tarball\$" "$sums" | sha256sum --quiet --status -c -) ||
    fail "$tarball does not match the SHA-256 in $sums: refused"
# The registry's integrity is base64; sha512sum prints hex: compare in hex (coreutils only).
expected=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
actual=$(sha512sum "$work/$tarball" | cut -d' ' -f1)
[ "$actual" = "$expected" ] || fail "$tarball does not match the registry integrity $integrity: refused"

mkdir -p "$work/x" "$work/new/lib"
tar -xzf "$work/$tarball" -C "$work/x" "${members[@]/#/package/}" ||
    fail "$tarball does not contain ${members[*]}"
mv "$work"/x/package/bins/linux-x64-cuda/* "$work/new/lib/"
mv "$work/x/package/LICENSE" "$work/new/LICENSE"
cp "$sums" "$work/new/"
libraries_verified "$work/new" || fail "the extracted libraries do not match $sums: refused"

rm -rf "$cache"
mv "$work/new" "$cache"
finish
