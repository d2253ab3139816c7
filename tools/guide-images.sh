#!/bin/sh
# Copies the screenshots of docs/user-guide.md from the GUI tests' artifacts into docs/images,
# reduced to a 256-colour palette. Run `ctest --test-dir BUILD -L gui` first (under a display
# or xvfb-run) so that BUILD/tests/artifacts holds them.
#
#   tools/guide-images.sh [BUILD]     (default: build)
set -eu
build=${1:-build}
src="$build/tests/artifacts"
dst="$(dirname "$0")/../docs/images"
command -v pngquant >/dev/null || { echo "guide-images: needs pngquant (apt-get install pngquant)" >&2; exit 1; }
mkdir -p "$dst"
for name in runconfig_dialog gui_diagnosis timeline_demo symbols_tab device_tab \
            compare_first_divergence retry_compare matrix_window; do
    [ -f "$src/$name.png" ] || { echo "guide-images: $src/$name.png is missing; run the GUI tests first" >&2; exit 1; }
    pngquant --force --quality 55-85 --strip --output "$dst/$name.png" "$src/$name.png"
done
echo "guide-images: $(ls "$dst" | wc -l) images in $dst"
