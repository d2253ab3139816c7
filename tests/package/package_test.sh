#!/usr/bin/env bash
# The .deb end to end: built by CPack from this build tree, its contents checked, installed
# with apt-get, used from /usr with the build and source trees out of reach, and removed
# again. One phase per CTest test (tests/package/CMakeLists.txt):
#
#   package_test.sh PHASE BUILD_DIR SOURCE_DIR WORK_DIR GUI(ON|OFF)
#
# Phases that touch the system (install, installed-*, remove) need root and fail without it:
# a skipped package test would let a broken package through.
set -euo pipefail

phase=$1
build_dir=$(readlink -f "$2")
source_dir=$(readlink -f "$3")
work_dir=$4
gui=$5

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$phase needs root (it installs and removes the package)"; }
need_tool() { command -v "$1" >/dev/null || die "$1 is missing (bootstrap.sh installs ${2:-$1})"; }
finish() {
    [ "$failures" -eq 0 ] || die "$failures check(s) failed in $phase"
    echo "ok: $phase"
}

# What the package must hold: the programs, the private directory with the recorder and every
# fake GPU variant, and the data files that desktop integration and the docs need.
required_paths() {
    cat <<'EOF'
./usr/bin/initscope
./usr/bin/initscope-probe
./usr/lib/initscope/libinitscope_recorder.so
./usr/lib/initscope/fakegpu/libcuda.so.1
./usr/lib/initscope/fakegpu/libnvidia-ml.so.1
./usr/lib/initscope/fakegpu/default/libcuda.so.1
./usr/lib/initscope/fakegpu/default/libnvidia-ml.so.1
./usr/lib/initscope/fakegpu/no-getprocaddress-v2/libcuda.so.1
./usr/lib/initscope/fakegpu/no-getprocaddress-v2/libnvidia-ml.so.1
./usr/lib/initscope/fakegpu/no-vmm/libcuda.so.1
./usr/lib/initscope/fakegpu/no-vmm/libnvidia-ml.so.1
./usr/share/initscope/reference/README.md
./usr/share/mime/packages/initscope.xml
./usr/share/icons/hicolor/scalable/apps/initscope.svg
./usr/share/icons/hicolor/scalable/mimetypes/application-x-initscope-bundle.svg
./usr/share/man/man1/initscope.1.gz
./usr/share/man/man1/initscope-probe.1.gz
./usr/share/bash-completion/completions/initscope
./usr/share/doc/initscope/copyright
EOF
    for size in 16 22 24 32 48 64 128 256; do
        echo "./usr/share/icons/hicolor/${size}x${size}/apps/initscope.png"
        echo "./usr/share/icons/hicolor/${size}x${size}/mimetypes/application-x-initscope-bundle.png"
    done
    if [ "$gui" = ON ]; then
        cat <<'EOF'
./usr/bin/initscope-gui
./usr/share/applications/initscope-gui.desktop
./usr/share/metainfo/initscope-gui.metainfo.xml
./usr/share/man/man1/initscope-gui.1.gz
./usr/share/bash-completion/completions/initscope-gui
EOF
    fi
}

the_deb() {
    local debs=("$work_dir"/initscope_*.deb)
    { [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ]; } || die "expected one initscope_*.deb in $work_dir (run package_deb_builds first)"
    echo "${debs[0]}"
}

case $phase in
build)
    need_tool cpack cmake
    need_tool dpkg-shlibdeps dpkg-dev
    need_tool file
    rm -rf "$work_dir"
    mkdir -p "$work_dir"
    cpack -G DEB -B "$work_dir" --config "$build_dir/CPackConfig.cmake"
    deb=$(the_deb)
    dpkg-deb --info "$deb"
    depends=$(dpkg-deb --field "$deb" Depends)
    # dpkg-shlibdeps ran: the NEEDED libraries became versioned Depends.
    for lib in libc6 libqt6core6 libqt6sql6 libelf1 libsqlite3-0 libqt6sql6-sqlite; do
        grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
    done
    [ "$gui" != ON ] || grep -q libqt6widgets6 <<<"$depends" || fail "Depends lacks libqt6widgets6: $depends"
    [ "$(dpkg-deb --field "$deb" Package)" = initscope ] || fail "package name is not initscope"
    finish
    ;;

contents)
    need_tool readelf binutils
    deb=$(the_deb)
    listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
    while read -r path; do
        grep -qxF "$path" <<<"$listing" || fail "missing from the package: ${path#.}"
    done < <(required_paths)
    # Nothing of the build leaks in: no absolute build or source path among the file names, no
    # multiarch library directory (the private directory is /usr/lib/initscope on purpose).
    grep -E '^\./usr/lib/x86_64-linux-gnu|^\./usr/local' <<<"$listing" && fail "files outside /usr/lib/initscope or below /usr/local"
    extracted=$(mktemp -d)
    trap 'rm -rf "$extracted"' EXIT
    dpkg-deb -x "$deb" "$extracted"
    elves=0
    while IFS= read -r -d '' f; do
        [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
        elves=$((elves + 1))
        paths=$(readelf -d "$f" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\2/p')
        if [ -n "$paths" ]; then
            case ":$paths:" in
                *"$build_dir"* | *"$source_dir"*) fail "${f#"$extracted"} has a RUNPATH into the build tree: $paths" ;;
                *) echo "note: ${f#"$extracted"} RUNPATH $paths" ;;
            esac
        fi
        # Stripped (CPACK_STRIP_FILES), so no debug info names build paths either.
        if grep -aqF "$build_dir/" "$f"; then fail "${f#"$extracted"} contains the build directory's path"; fi
    done < <(find "$extracted" -type f -print0)
    [ "$elves" -ge 12 ] || fail "only $elves ELF files in the package"
    # Man pages: gzip -9n, so no file name and no time stamp in the header.
    for gz in "$extracted"/usr/share/man/man1/*.gz; do
        header=$(head -c 8 "$gz" | od -An -tx1 | tr -d ' \n')
        [ "${header:6:2}" = 00 ] || fail "${gz#"$extracted"} has a name or other optional fields in its gzip header"
        [ "${header:8:8}" = 00000000 ] || fail "${gz#"$extracted"} has a time stamp in its gzip header"
        gzip -t "$gz" || fail "${gz#"$extracted"} is not valid gzip"
    done
    # The desktop entry opens bundles: its MimeType is the type the MIME package declares.
    mime_type=$(sed -n 's/.*<mime-type type="\([^"]*\)".*/\1/p' "$extracted/usr/share/mime/packages/initscope.xml")
    [ "$mime_type" = application/x-initscope-bundle ] || fail "unexpected MIME type '$mime_type'"
    grep -q '<glob pattern="\*\.initscope"/>' "$extracted/usr/share/mime/packages/initscope.xml" || fail "the MIME type has no *.initscope glob"
    if [ "$gui" = ON ]; then
        desktop=$extracted/usr/share/applications/initscope-gui.desktop
        grep -qx 'Exec=initscope-gui %F' "$desktop" || fail "desktop entry: Exec is not 'initscope-gui %F'"
        grep -qx 'Icon=initscope' "$desktop" || fail "desktop entry: Icon is not 'initscope'"
        grep -qx "MimeType=$mime_type;" "$desktop" || fail "desktop entry: MimeType is not '$mime_type;'"
    fi
    finish
    ;;

install)
    need_root
    need_tool apt-get apt
    deb=$(the_deb)
    # apt's download user must be able to read the file, so it goes through a private copy.
    staging=$(mktemp -d)
    trap 'rm -rf "$staging"' EXIT
    chmod 755 "$staging"
    install -m 644 "$deb" "$staging/"
    # Offline: every dependency is already installed (bootstrap.sh), so nothing is fetched;
    # apt-get would fail trying to download a missing one. (--no-download cannot be used:
    # apt 2.6 then rejects the local file's path.)
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$staging/$(basename "$deb")"
    apt-get install --simulate -y "$staging/$(basename "$deb")" | grep -q '^Inst ' &&
        die "apt-get would still install something"
    [ "$(dpkg-query -W -f='${Status}' initscope)" = "install ok installed" ] || die "initscope is not installed after apt-get install"
    /usr/bin/initscope --version
    finish
    ;;

installed-demo)
    need_root
    [ -x /usr/bin/initscope ] || die "/usr/bin/initscope is not installed"
    need_tool sqlite3
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"
    mkdir "$tmp/home"
    # Run from /usr with the build and source trees hidden under empty file systems in a
    # private mount namespace, an empty working directory and a minimal environment: the only
    # files the programs can find are the installed ones.
    cat >"$tmp/run.sh" <<EOF
set -eu
mount -t tmpfs -o ro tmpfs "$build_dir"
[ "$source_dir" = "$build_dir" ] || mount -t tmpfs -o ro tmpfs "$source_dir"
[ ! -e "$build_dir/CMakeCache.txt" ] || { echo "the build tree is still visible" >&2; exit 90; }
cd "$tmp"
exec env -i PATH=/usr/bin:/bin HOME="$tmp/home" LANG=C.UTF-8 "\$@"
EOF
    hidden() { unshare --mount --propagation private sh "$tmp/run.sh" "$@"; }
    unshare --mount --propagation private true || die "unshare --mount is not permitted here; the test cannot hide the build tree"

    status=0
    hidden /usr/bin/initscope demo --no-gui -o "$tmp/demo.initscope" >"$tmp/demo.out" 2>"$tmp/demo.err" || status=$?
    cat "$tmp/demo.out" "$tmp/demo.err"
    [ "$status" -eq 0 ] || fail "initscope demo exited $status"
    [ -s "$tmp/demo.initscope" ] || fail "initscope demo wrote no bundle"
    grep -q 'initscope-probe' "$tmp/demo.out" || fail "the demo's report does not show the probe's run"
    if grep -q 'is missing\|was not found' "$tmp/demo.err"; then fail "initscope demo did not find an installed file"; fi

    status=0
    hidden /usr/bin/initscope report "$tmp/demo.initscope" >"$tmp/report.out" 2>&1 || status=$?
    [ "$status" -eq 0 ] || { cat "$tmp/report.out"; fail "initscope report of the demo bundle exited $status"; }
    grep -q '/usr/bin/initscope-probe' "$tmp/report.out" || fail "the report does not name /usr/bin/initscope-probe"

    # What was recorded came from /usr: the probe, the recorder ran in it, and the fake GPU
    # was loaded from the private directory.
    q() { sqlite3 -batch -noheader "$tmp/demo.initscope" "$1"; }
    [ "$(q "select count(*) from processes p join strings s on s.id = p.exe_id
            where s.text = '/usr/bin/initscope-probe' and p.recorded = 1")" -ge 1 ] ||
        fail "the bundle has no recorded /usr/bin/initscope-probe process"
    [ "$(q "select count(*) from lib_loads l join strings s on s.id = l.path_id
            where s.text = '/usr/lib/initscope/fakegpu/default/libcuda.so.1'")" -ge 1 ] ||
        fail "the fake GPU was not loaded from /usr/lib/initscope/fakegpu/default"
    leaked=$(q "select text from strings where instr(text, '$build_dir/') > 0 or instr(text, '$source_dir/') > 0 limit 5")
    [ -z "$leaked" ] || fail "the bundle names files of the build or source tree: $leaked"

    hidden /usr/bin/initscope-probe --help >/dev/null || fail "initscope-probe --help failed"
    if [ "$gui" = ON ]; then
        version=$(hidden env QT_QPA_PLATFORM=offscreen /usr/bin/initscope-gui --version 2>&1) ||
            fail "initscope-gui --version failed: $version"
        grep -q 'initscope-gui' <<<"$version" || fail "initscope-gui --version printed: $version"
    fi
    finish
    ;;

installed-desktop)
    [ -x /usr/bin/initscope ] || die "/usr/bin/initscope is not installed"
    pages=(initscope initscope-probe)
    [ "$gui" != ON ] || pages+=(initscope-gui)
    for page in "${pages[@]}"; do
        [ -f "/usr/share/man/man1/$page.1.gz" ] || fail "no man page /usr/share/man/man1/$page.1.gz"
        if command -v man >/dev/null; then
            [ "$(man -w "$page")" = "/usr/share/man/man1/$page.1.gz" ] || fail "man -w $page does not find the installed page"
        fi
    done
    # The trigger of shared-mime-info rebuilt the database: *.initscope maps to the type.
    need_tool update-mime-database shared-mime-info
    grep -q '^[0-9]*:application/x-initscope-bundle:\*\.initscope' /usr/share/mime/globs2 ||
        fail "/usr/share/mime/globs2 does not map *.initscope to application/x-initscope-bundle"
    if [ "$gui" = ON ]; then
        need_tool desktop-file-validate desktop-file-utils
        desktop-file-validate /usr/share/applications/initscope-gui.desktop || fail "desktop-file-validate rejects the desktop entry"
        # The trigger of desktop-file-utils: double-clicking a bundle opens initscope-gui.
        grep -q '^application/x-initscope-bundle=.*initscope-gui\.desktop' /usr/share/applications/mimeinfo.cache ||
            fail "mimeinfo.cache does not associate application/x-initscope-bundle with initscope-gui.desktop"
    fi
    for size in 16 22 24 32 48 64 128 256; do
        for icon in apps/initscope mimetypes/application-x-initscope-bundle; do
            png=/usr/share/icons/hicolor/${size}x${size}/$icon.png
            dims=$(od -An -tu1 -j16 -N8 "$png" 2>/dev/null | awk '{print $3*256+$4 "x" $7*256+$8}')
            [ "$dims" = "${size}x${size}" ] || fail "$png is not a ${size}x${size} PNG ($dims)"
        done
    done
    finish
    ;;

installed-completion)
    completion=/usr/share/bash-completion/completions/initscope
    [ -f "$completion" ] || die "$completion is not installed"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    touch "$tmp/run.initscope" "$tmp/notes.txt"
    # complete WORDS... prints what the completion function offers for the last word.
    cat >"$tmp/complete.sh" <<'EOF'
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
if [ "$1" = initscope-gui ]; then _initscope_gui; else _initscope; fi
printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' '
EOF
    expect() {
        local want=$1; shift
        local got
        got=$(cd "$tmp" && bash "$tmp/complete.sh" "$completion" "$@" 2>&1)
        [ "$got" = "$want" ] || fail "completing '$*' gave '$got', expected '$want'"
    }
    expect 'report ' initscope rep
    expect 'demo device diagnose diff ' initscope d
    expect 'export ' initscope ex
    expect 'chrome html markdown ' initscope export --format ''
    expect '--no-gui ' initscope demo --no
    expect 'run.initscope ' initscope report ''
    expect 'run.initscope ' initscope diff run.initscope ''
    expect 'ld-library-path ld-preload ' initscope record --inject ld
    if [ "$gui" = ON ]; then
        [ -f /usr/share/bash-completion/completions/initscope-gui ] || fail "no completion for initscope-gui"
        expect 'run.initscope ' initscope-gui ''
    fi
    finish
    ;;

remove)
    if [ "$(id -u)" -ne 0 ]; then
        dpkg-query -W -f='${Status}' initscope 2>/dev/null | grep -q ' installed' &&
            die "initscope is installed and only root can remove it"
        die "remove needs root"
    fi
    # Known to dpkg only once an install got far enough; apt-get refuses unknown names.
    if dpkg-query -W initscope >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get remove -y initscope
    fi
    # CPack's postrm (an ldconfig call) keeps the package in dpkg's database as "config-files"
    # after a remove; purging drops that record, so the machine is left as it was found.
    if dpkg-query -W initscope >/dev/null 2>&1; then
        dpkg --purge initscope
    fi
    if dpkg-query -W initscope >/dev/null 2>&1; then
        fail "dpkg still lists initscope: $(dpkg-query -W -f='${Status}' initscope)"
    fi
    for path in /usr/bin/initscope /usr/bin/initscope-gui /usr/bin/initscope-probe /usr/lib/initscope \
                /usr/share/initscope /usr/share/mime/packages/initscope.xml; do
        [ ! -e "$path" ] || fail "$path is left behind"
    done
    if grep -q 'application/x-initscope-bundle' /usr/share/mime/globs2 2>/dev/null; then
        fail "the MIME database still knows application/x-initscope-bundle"
    fi
    finish
    ;;

*)
    die "unknown phase $phase"
    ;;
esac
