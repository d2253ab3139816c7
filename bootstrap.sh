#!/usr/bin/env bash
# InitScope quick start for Debian 12, run as root (or with sudo available):
#   ./bootstrap.sh demo   install what is missing, build, record initscope-probe, print the
#                         report, open the GUI when a display is available
#   ./bootstrap.sh test   install what is missing, build, run every test
#   ./bootstrap.sh build  install what is missing and build
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

job=${1:-demo}
case "$job" in
    demo|test|build) ;;
    *) echo "usage: $0 demo|test|build" >&2; exit 64 ;;
esac

packages=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev libqt6sql6-sqlite libqt6svg6 libqcustomplot-dev libelf-dev libsqlite3-dev libgtest-dev
    xvfb xauth sqlite3
    gcc-multilib  # the 32-bit test program the recorder cannot enter (tests/fixtures/say.c)
    clang-14 libclang-rt-14-dev  # libFuzzer: the fuzz targets, built and run briefly by the tests (fuzz/)
    curl ca-certificates  # the tests fetch the real ggml CUDA backend once (tests/ggml)
    dpkg-dev file librsvg2-bin  # the .deb: dpkg-shlibdeps, CPack's ELF detection, PNG icons (packaging/)
    desktop-file-utils shared-mime-info  # the package test: desktop entry, MIME database (tests/package)
    python3  # a second JSON reader for the Chrome trace export (tests/export)
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

case "$job" in
    demo)
        exec build/bin/initscope demo
        ;;
    test)
        exec ctest --test-dir build --output-on-failure -j"$(nproc)"
        ;;
esac
