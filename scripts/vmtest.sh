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
initver=5
cache=${VMTEST_CACHE:-/var/cache/ovslab-vm}
initrd=$cache/initrd-$kver-v$initver.gz
kallsyms=$cache/kallsyms-$kver
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
# The host's /tmp stays readable under /run/host-tmp: a checkout there (a
# CI clone) is where CMD runs from.
mkdir -p /newroot/run/host-tmp
mount -o bind /newroot/tmp /newroot/run/host-tmp
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
[ -z "${VMTEST_KEEP:-}" ] || echo "vmtest: keeping $results" >&2
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
  # The VM's /tmp is its own; the host's is under /run/host-tmp.
  case $PWD in
    /tmp/*) dir=/run/host-tmp/${PWD#/tmp/} ;;
    *) dir=$PWD ;;
  esac
  printf 'cd %q || { echo "vmtest: %s is not visible in the VM"; exit 125; }\n' "$dir" "$PWD"
  echo "set +e"
  echo "echo @@vmtest-begin@@"
  printf '%q ' "$@"
  echo
  echo 'rc=$?; echo @@vmtest-end@@; exit $rc'
} >"$results/cmd.sh"

[ -s "$kallsyms" ] || : >"$results/want-kallsyms"
# The kernel logs its boot to the console, kept in console.log: a boot that
# never reaches the command shows where it stopped. Once booted, only
# emergencies (a panic) reach the console, so the kernel does not write
# into CMD's output; VMTEST_VERBOSE=1 shows everything, boot on stderr.
kargs="loglevel=7"
quiet="echo 1 >/proc/sys/kernel/printk"
if [ -n "${VMTEST_VERBOSE:-}" ]; then
  kargs="loglevel=7 ignore_loglevel"
  quiet=
fi
# Pid 1 after switch_root: runs CMD, leaves its status, powers off at once.
# /dev/net/tun is made as udev makes it on a real host (opening it loads
# tun): OVS's netdev datapath needs it for its internal ports.
{
  echo "$quiet"
  echo "mkdir -p /dev/net && mknod -m 600 /dev/net/tun c 10 200"
} >"$results/stage2.sh"
# OVS 3.1 counts the CPUs for its kernel-datapath upcall handlers only
# once 10 s of monotonic time have passed (its refresh interval, measured
# from 0): a vswitchd started earlier runs with 0 handlers, and every
# packet that misses the kernel's flow table is lost ("lost:" in
# ovs-dpctl show) until it reconfigures after that mark. A VM that boots
# in 5 s would hit it where no real host does, so CMD starts after 11 s.
cat >>"$results/stage2.sh" <<'EOF'
while [ "$(cut -d. -f1 /proc/uptime)" -lt 11 ]; do sleep 0.2; done
/bin/sh /run/vmtest/cmd.sh </dev/console >/dev/console 2>&1
echo $? >/run/vmtest/status.tmp && mv /run/vmtest/status.tmp /run/vmtest/status
[ ! -e /run/vmtest/want-kallsyms ] || cat /proc/kallsyms >/run/vmtest/kallsyms
sync
echo o >/proc/sysrq-trigger
sleep 10
EOF
# filter: CMD's output between the markers goes to stdout as it comes;
# firmware and kernel chatter go to console.log, shown only when the VM
# fails (and on stderr with VMTEST_VERBOSE). A shell loop, not awk: mawk
# (Debian's awk) reads a pipe in large blocks, so nothing streamed and a
# hung boot's last lines were not on record. The begin marker leaves the
# file "booted" for the watchdog.
filter() {
  local line on=
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    if [ -z "$on" ]; then
      case $line in
        *@@vmtest-begin@@) on=1; : >"$results/booted"; continue ;;
      esac
      printf '%s\n' "$line" >>"$results/console.log"
      [ -z "${VMTEST_VERBOSE:-}" ] || printf '%s\n' "$line" >&2
    elif [ "$line" = @@vmtest-end@@ ]; then
      on=
    else
      printf '%s\n' "$line"
    fi
  done
}

# where_hung prints each vCPU's instruction pointer from qemu's monitor,
# with the kernel function it is in: where a hung boot is stuck. Debian's
# System.map is a stub, so the symbols are /proc/kallsyms saved from an
# earlier boot of the same kernel (nokaslr keeps the addresses the same).
where_hung() {
  python3 - "$results/monitor.sock" "$kallsyms" <<'PY' || true
import bisect, re, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(0.5)
s.sendall(b"info registers -a\n")
out, end = b"", time.time() + 5
while time.time() < end and out.count(b"(qemu)") < 2:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    out += chunk
syms = []
try:
    for line in open(sys.argv[2]):
        f = line.split()
        if len(f) >= 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
except OSError:
    pass
syms.sort()
addrs = [a for a, _ in syms]
for cpu, rip in re.findall(rb"CPU#(\d+)[\s\S]*?RIP=([0-9a-f]+)", out):
    ip = int(rip, 16)
    i = bisect.bisect_right(addrs, ip) - 1
    sym = "%s+0x%x" % (syms[i][1], ip - syms[i][0]) if 0 <= i and ip - syms[i][0] < 1 << 20 else "?"
    print("vmtest-watchdog: CPU%s RIP=%016x %s" % (cpu.decode(), ip, sym))
PY
}

# boot runs the VM once, within what is left of VMTEST_TIMEOUT, and
# returns qemu's exit status. If the command has not begun within
# VMTEST_BOOT_TIMEOUT seconds, the VM is killed and boot returns 200.
boot() {
  rm -f "$results/booted" "$results/console.fifo"
  mkfifo "$results/console.fifo"
  filter <"$results/console.fifo" &
  local fpid=$! left=$((deadline - $(date +%s)))
  ((left > 0)) || left=1
  timeout --foreground -k 10 "$left" qemu-system-x86_64 \
    -accel tcg -m "${VMTEST_MEM:-1536}" -smp 2 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs local,path="$results",mount_tag=results,security_model=none,multidevs=remap \
    -monitor unix:"$results/monitor.sock",server=on,wait=off \
    -d cpu_reset,guest_errors -D "$results/qemu.log" \
    -nic none -append "console=ttyS0 panic=-1 nokaslr $kargs" </dev/null >"$results/console.fifo" &
  local qpid=$! t0=$SECONDS hung=
  while kill -0 "$qpid" 2>/dev/null && [ ! -e "$results/booted" ]; do
    if ((SECONDS - t0 >= boot_timeout)); then
      hung=1
      where_hung >>"$results/console.log" 2>&1
      kill "$qpid" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  local qrc=0
  wait "$qpid" || qrc=$?
  wait "$fpid" || true
  if [ -n "$hung" ]; then
    return 200
  fi
  return "$qrc"
}

# The boot watchdog, a defence: boots that never reached the command were
# seen here (about 2 in 30, with the kernel quiet, so nothing said where).
# A boot takes 10 to 30 s of wall clock on a busy 2-core machine; one that
# has not started the command within VMTEST_BOOT_TIMEOUT (default 120 s)
# leaves its kernel log and each vCPU's instruction pointer in the log, is
# killed and booted once more, loudly. The command itself is never run
# twice: the marker that ends the watchdog is printed just before it.
boot_timeout=${VMTEST_BOOT_TIMEOUT:-120}
start=$(date +%s)
deadline=$((start + ${VMTEST_TIMEOUT:-600}))
set +e
for attempt in 1 2; do
  boot
  qrc=$?
  [ "$qrc" = 200 ] || break
  echo "vmtest: WARNING: the VM did not start the command within ${boot_timeout}s of booting (attempt $attempt, kernel $kver); its console:" >&2
  tail -n 25 "$results/console.log" >&2
  mv "$results/console.log" "$results/console-hung-$attempt.log"
  if ((attempt == 2)); then
    die "the VM did not boot twice in a row (${boot_timeout}s each, kernel $kver)"
  fi
  echo "vmtest: WARNING: killed the hung VM; booting once more" >&2
done
set -e
end=$(date +%s)
if [ ! -s "$results/status" ]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    die "timed out after ${VMTEST_TIMEOUT:-600}s (kernel $kver); no exit status from the command"
  fi
  tail -n 30 "$results/console.log" >&2 || true
  grep -a -m5 -i "triple fault\|error" "$results/qemu.log" >&2 || true
  die "the VM ended without the command's exit status (kernel panic or failed boot? qemu exit $qrc, kernel $kver)"
fi
[ ! -s "$results/kallsyms" ] || mv "$results/kallsyms" "$kallsyms"
rc=$(cat "$results/status")
echo "vmtest: kernel $kver, ${rc:+exit $rc, }$((end - start))s" >&2
exit "$rc"
