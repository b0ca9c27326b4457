#!/usr/bin/env bash
# vmtest.sh CMD [ARG...]: runs CMD as root inside Debian's own kernel
# (linux-image-amd64) booted under qemu, and exits with CMD's exit status.
#
# Why: this machine's kernel lacks what real hosts have (the openvswitch
# module, netem, 8021q). The VM sees this machine's whole filesystem
# read-only over 9p, with fresh tmpfs on /run and /tmp, so the same binaries
# and the current directory are there; its network namespaces, modules and
# OVS datapaths are its own. No Docker inside: dockerd does not come up in
# time under software emulation.
#
# The status travels back through a second, writable 9p share: CMD's exit
# status is written there; no status file (kernel panic, timeout, a missing
# kernel) is an error, never a pass: vmtest.sh's own failures exit 125.
#
# Environment: VMTEST_KERNEL (a vmlinuz path; default the newest Debian
# /boot/vmlinuz-*-amd64), VMTEST_TIMEOUT (seconds, default 600), VMTEST_MEM
# (MiB, default 1536), VMTEST_CACHE (default /var/cache/ovslab-vm),
# VMTEST_VERBOSE=1 (show the boot on stderr),
# VMTEST_ENV (more variable names to pass in). PATH, HOME, CI, GO*, OVSLAB_*
# are passed; OVSLAB_IN_VM=1 tells CMD where it runs.
set -euo pipefail

die() { echo "vmtest: $*" >&2; exit 125; }
(($#)) || die "usage: vmtest.sh CMD [ARG...]"
[ "$(id -u)" = 0 ] || die "needs root (the VM runs CMD as root over this machine's files)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (scripts/install-deps.sh installs qemu-system-x86)"
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox not found (install busybox-static)"

kernel=${VMTEST_KERNEL:-$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n1 || true)}
[ -n "$kernel" ] && [ -r "$kernel" ] || die "no Debian kernel in /boot (scripts/install-deps.sh installs linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -d "$moddir" ] || die "no modules for $kver in $moddir"

# The initramfs: busybox, the modules that reach the 9p root, and /init.
# Cached per kernel release and per version of this script's init.
mods=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
      netfs fscache 9pnet 9pnet_virtio 9p)
initver=4
cache=${VMTEST_CACHE:-/var/cache/ovslab-vm}
initrd=$cache/initrd-$kver-v$initver.gz
if [ ! -s "$initrd" ]; then
  mkdir -p "$cache"
  build=$(mktemp -d)
  trap 'rm -rf "$build"' EXIT
  mkdir -p "$build"/{bin,dev,proc,sys,newroot,mods}
  cp "$busybox" "$build/bin/busybox"
  for m in "${mods[@]}"; do
    f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n1)
    [ -n "$f" ] || die "module $m not found under $moddir"
    case $f in
      *.xz) xz -dc "$f" >"$build/mods/$m.ko" ;;
      *.zst) zstd -qdc "$f" >"$build/mods/$m.ko" ;;
      *) cp "$f" "$build/mods/$m.ko" ;;
    esac
  done
  cat >"$build/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in ${mods[*]}; do insmod /mods/\$m.ko || echo "vmtest-init: insmod \$m failed"; done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=524288 hostroot /newroot; then
  echo "vmtest-init: cannot mount the host root"; poweroff -f
fi
mount -t tmpfs -o mode=755 run /newroot/run
mount -t tmpfs -o mode=1777 tmp /newroot/tmp
mkdir -p /newroot/run/vmtest
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none results /newroot/run/vmtest
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs shm /newroot/dev/shm
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
# switch_root, not chroot: the kernel runs /sbin/modprobe (to autoload a
# module) in pid 1's root, which must be the real one with /lib/modules.
exec switch_root /newroot /bin/sh /run/vmtest/stage2.sh
echo "vmtest-init: switch_root failed"
poweroff -f
EOF
  chmod +x "$build/init"
  # Built aside and renamed: two runs may build it at once.
  (cd "$build" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.$$"
  mv "$initrd.$$" "$initrd"
  rm -rf "$build"
  trap - EXIT
fi

# The command, with its directory and environment, as a script in the
# results share (made here, on the writable side).
results=$(mktemp -d /tmp/vmtest.XXXXXX)
trap '[ -n "${VMTEST_KEEP:-}" ] || rm -rf "$results"' EXIT
{
  echo "set -e"
  echo "stty -onlcr 2>/dev/null || true"
  vars=(PATH HOME CI ${VMTEST_ENV:-})
  for v in $(compgen -e); do
    case $v in GO*|OVSLAB_*) vars+=("$v") ;; esac
  done
  for v in "${vars[@]}"; do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'export PATH=%q\n' "$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
  # The host's Go caches are read-only in here.
  echo "export GOCACHE=/tmp/gocache GOTMPDIR=/tmp OVSLAB_IN_VM=1"
  printf 'cd %q\n' "$PWD"
  echo "set +e"
  echo "echo @@vmtest-begin@@"
  printf '%q ' "$@"
  echo
  echo 'rc=$?; echo @@vmtest-end@@; exit $rc'
} >"$results/cmd.sh"

# VMTEST_VERBOSE=1 shows the boot as it happens (on stderr).
kargs="quiet loglevel=1"
[ -n "${VMTEST_VERBOSE:-}" ] && kargs="loglevel=7 ignore_loglevel"
# Pid 1 after switch_root: runs CMD, leaves its status, powers off at once.
cat >"$results/stage2.sh" <<'EOF'
/bin/sh /run/vmtest/cmd.sh </dev/console >/dev/console 2>&1
echo $? >/run/vmtest/status.tmp && mv /run/vmtest/status.tmp /run/vmtest/status
sync
echo o >/proc/sysrq-trigger
sleep 10
EOF
start=$(date +%s)
set +e
timeout --foreground -k 10 "${VMTEST_TIMEOUT:-600}" qemu-system-x86_64 \
  -accel tcg -m "${VMTEST_MEM:-1536}" -smp 2 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initrd" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$results",mount_tag=results,security_model=none,multidevs=remap \
  -nic none -append "console=ttyS0 panic=-1 $kargs" </dev/null |
  # CMD's output between the markers goes to stdout as it comes; firmware
  # and kernel chatter go to a log shown only when the VM fails.
  awk -v logf="$results/console.log" -v verbose="${VMTEST_VERBOSE:-}" '
    /@@vmtest-begin@@\r?$/ { on = 1; next }
    on && /^@@vmtest-end@@$/ { on = 0; next }
    on { print; fflush(); next }
    { print >logf; fflush(logf); if (verbose) { print >"/dev/stderr"; fflush("/dev/stderr") } }'
qrc=${PIPESTATUS[0]}
set -e
end=$(date +%s)
if [ ! -s "$results/status" ]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    die "timed out after ${VMTEST_TIMEOUT:-600}s (kernel $kver); no exit status from the command"
  fi
  tail -n 30 "$results/console.log" >&2 || true
  die "the VM ended without the command's exit status (kernel panic or failed boot? qemu exit $qrc, kernel $kver)"
fi
rc=$(cat "$results/status")
echo "vmtest: kernel $kver, ${rc:+exit $rc, }$((end - start))s" >&2
exit "$rc"
