#!/usr/bin/env bash
# Copies what InitScope reads about a machine's GPUs (PCI devices in sysfs, /proc/driver/nvidia,
# /dev/nvidia* as a listing, kernel modules, container hints) into $OUT/machine-tree, keeping
# paths and symlinks, so that a real machine becomes a test fixture. Device nodes cannot be
# copied: they are listed in dev-nodes.txt (name, type, mode, uid, gid, major, minor).
set -uo pipefail
out=${OUT:-out}/machine-tree
mkdir -p "$out"
copy() { # copies each existing path, symlinks as symlinks
    for p in "$@"; do
        [ -e "$p" ] || [ -L "$p" ] || continue
        mkdir -p "$out$(dirname "$p")"
        cp -P "$p" "$out$p" 2>/dev/null || true
    done
}
for d in /sys/bus/pci/devices/*; do
    real=$(readlink -f "$d")
    mkdir -p "$out/sys/bus/pci/devices"
    ln -sfn "../../..${real#/sys}" "$out/sys/bus/pci/devices/$(basename "$d")"
    copy "$real/vendor" "$real/device" "$real/class" "$real/subsystem_vendor" "$real/subsystem_device" \
        "$real/numa_node" "$real/resource" "$real/driver" "$real/iommu_group" "$real/revision" "$real/enable"
done
find /proc/driver/nvidia -type f 2>/dev/null | while read -r f; do mkdir -p "$out$(dirname "$f")"; cat "$f" >"$out$f" 2>/dev/null; done
copy /proc/modules /proc/version /proc/self/cgroup /.dockerenv /run/.containerenv
for m in nvidia nvidia_uvm nvidia_drm nvidia_modeset nouveau vfio_pci; do copy /sys/module/$m/version; done
grep -m1 '^flags' /proc/cpuinfo >"$out/cpuinfo-flags.txt" 2>/dev/null
mkdir -p "$out/proc"; grep -m1 '^flags' /proc/cpuinfo >"$out/proc/cpuinfo" 2>/dev/null
stat -c '%n %F %a %u %g %t %T' /dev/nvidia* /dev/dxg 2>/dev/null >"$out/dev-nodes.txt"
id >"$out/id.txt"
( cd "${OUT:-out}" && tar czf machine-tree.tgz machine-tree && du -sh machine-tree.tgz )
