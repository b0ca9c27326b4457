#!/usr/bin/env bash
# What an emulated host's OVS daemons cost, with and without ovslab's daemon
# memory settings (ovs/daemonmem.go), side by side in one run:
#   N copies of l3-vxlan from a binary built at BASE (OVS's defaults) and N
#   copies from this tree, copy i of both coming up at once; then up time,
#   check, iperf3 across VXLAN (3 runs each); per emulated host RSS, PSS
#   and USS of ovs-vswitchd + ovsdb-server (from /proc/PID/smaps_rollup);
#   what one copy costs the machine (daemons + containers + kernel); and
#   the daemons again once the kernel's same-page merging (ksmd) has run
#   over them (ksmd is switched on for that step, its settings restored).
# RSS counts shared library pages once per process; PSS shares them out,
# so sum PSS, not RSS, to know what copies cost the machine. Run it alone:
# checks, throughput and the kernel's figures share the machine.
# Usage: scripts/bench-ovsmem.sh [-b BASE] [-k] [N]   (default N 30; BASE
# defaults to the commit before the settings; -k skips the ksmd step).
# Needs root; lab names memd* and memt* must be free.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
base="" ksm=1
while getopts b:k o; do
  case $o in
    b) base=$OPTARG ;;
    k) ksm=0 ;;
    *) echo "usage: $0 [-b BASE] [-k] [N]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
n=${1:-30}
if [ -z "$base" ]; then
  added=$(git log --diff-filter=A --format=%H -1 -- ovs/daemonmem.go)
  [ -n "$added" ] || { echo "no commit adds ovs/daemonmem.go here: pass -b BASE" >&2; exit 2; }
  base=$added^
fi

scripts/install-deps.sh >/dev/null
scripts/start-daemons.sh >/dev/null
work=$(mktemp -d)
go build -o bin/ovslab ./cmd/ovslab
git worktree add -q --detach "$work/base" "$base"
(cd "$work/base" && go build -o "$work/ovslab-base" ./cmd/ovslab)
git worktree remove --force "$work/base"
tuned=bin/ovslab default=$work/ovslab-base

names() { for i in $(seq 1 "$n"); do printf '%s%02d\n' "$1" "$i"; done; }
ksmdir=/sys/kernel/mm/ksm ksmsaved=""
cleanup() {
  down_all 2>/dev/null || true
  if [ -n "$ksmsaved" ]; then
    echo "$ksmsaved" | while read -r f v; do echo "$v" >"$ksmdir/$f" || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# used: KiB the machine holds that it cannot hand out (MemTotal - MemAvailable).
used() { awk '/^MemTotal/{t=$2} /^MemAvailable/{a=$2} END{print t-a}' /proc/meminfo; }
# kernel: KiB of kernel memory that is never reclaimed.
kernel() { awk '/^(SUnreclaim|Percpu|KernelStack|PageTables):/{s+=$2} END{print s}' /proc/meminfo; }
# pss PID...: summed PSS in KiB.
pss() { for p in "$@"; do awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{s+=$1} END{print s+0}'; }
secs() { local t0; t0=$(date +%s.%N); "$@"; printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc -l)"; }
# up_pairs: copy i of both sets comes up at once, so both see the same
# load; each up's wall time goes to $work/t-LAB.
up_pairs() {
  local i
  for i in $(names ""); do
    timed_up "$default" "memd$i" & timed_up "$tuned" "memt$i" & wait
  done
}
timed_up() {
  local t0; t0=$(date +%s.%N)
  "$1" up --emulate l3-vxlan --name "$2" >"$work/up-$2.log" 2>&1 || { echo "up $2 failed:"; cat "$work/up-$2.log"; } >&2
  echo "$(date +%s.%N) - $t0" | bc -l >"$work/t-$2"
}
# mean_up PREFIX: mean seconds of the set's ups.
mean_up() { cat "$work"/t-"$1"* | awk '{s+=$1} END{printf "%.2f", s/NR}'; }
down_all() { { names memd; names memt; } | xargs -P2 -I{} "$tuned" down {} >/dev/null; }
# ksm_scans K: wait until ksmd has made K more full scans.
ksm_scans() {
  local until=$(( $(cat $ksmdir/full_scans) + $1 ))
  while [ "$(cat $ksmdir/full_scans)" -lt "$until" ]; do sleep 1; done
}
# green PREFIX: how many of the set's copies pass check (failures shown).
green() {
  local g=0 l
  for l in $(names "$1"); do
    if "$tuned" check "$l" >"$work/check-$l.log" 2>&1; then g=$((g + 1)); else tail -1 "$work/check-$l.log" >&2; fi
  done
  echo "$g/$n"
}
# daemons PREFIX: per-host RSS / PSS / USS of the copies' daemons, in MiB.
daemons() {
  python3 - "$1" "$n" <<'PY'
import glob, os, sys
prefix, n = sys.argv[1], int(sys.argv[2])
tot = {}
for run in glob.glob(f"/run/ovslab/{prefix}*/*/"):
    for d in ("ovs-vswitchd", "ovsdb-server"):
        try:
            pid = open(run + d + ".pid").read().strip()
            r = {}
            for line in open(f"/proc/{pid}/smaps_rollup"):
                k, _, v = line.partition(":")
                if v.strip().endswith("kB"):
                    r[k] = int(v.split()[0])
        except OSError:
            continue
        t = tot.setdefault(d, {"n": 0, "rss": 0, "pss": 0, "uss": 0})
        t["n"] += 1; t["rss"] += r["Rss"]; t["pss"] += r["Pss"]
        t["uss"] += r["Private_Clean"] + r["Private_Dirty"]
v, o = tot.get("ovs-vswitchd"), tot.get("ovsdb-server")
if not v or not o:
    sys.exit("no daemons found for " + prefix)
m = lambda t, k: t[k] / t["n"] / 1024
print(f"{m(v,'rss')+m(o,'rss'):5.1f} / {m(v,'pss')+m(o,'pss'):5.1f} / {m(v,'uss')+m(o,'uss'):5.1f}"
      f"   (vswitchd {m(v,'rss'):.1f} / {m(v,'pss'):.1f} / {m(v,'uss'):.1f},"
      f" ovsdb-server {m(o,'rss'):.1f} / {m(o,'pss'):.1f} / {m(o,'uss'):.1f}; {v['n']} hosts)")
PY
}
cpid() { docker inspect -f '{{.State.Pid}}' "$1"; }
iperf() { # iperf3 from PREFIX01-doc1 to PREFIX01-doc3 (across VXLAN 5000)
  nsenter -t "$(cpid "${1}01-doc3")" -n iperf3 -s -1 >/dev/null 2>&1 &
  local srv=$! out=""
  for _ in $(seq 50); do
    out=$(nsenter -t "$(cpid "${1}01-doc1")" -n iperf3 -c 10.0.1.20 -t 5 -J 2>/dev/null || true)
    echo "$out" | grep -q '"error"' || break
    sleep 0.1
  done
  kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true
  echo "$out" | python3 -c 'import json,sys; print("%.0f Mbit/s" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}

"$tuned" validate labs/catalog/l3-vxlan/topology.yaml >/dev/null
docker image inspect ovslab/busybox >/dev/null 2>&1 || {
  "$tuned" up --emulate l3-vxlan --name memt00 >/dev/null && "$tuned" down memt00 >/dev/null; }
dockerd_pids() { pgrep -x 'dockerd|containerd' | tr '\n' ' '; }
used0=$(used) engine0=$(pss $(dockerd_pids)) kernel0=$(kernel)

echo "== $n copies of l3-vxlan each: OVS defaults (base $(git rev-parse --short "$base")) and this tree"
t_up=$(secs up_pairs)
echo "up, copy i of each set at once: $t_up s in all; mean up: defaults $(mean_up memd) s   settings $(mean_up memt) s"
echo "check, green:           defaults $(green memd)   settings $(green memt)"
for _ in 1 2 3; do
  echo "iperf3 doc1 -> doc3:    defaults $(iperf memd)   settings $(iperf memt)"
done
sleep 2
echo "per emulated host, MiB: RSS / PSS / USS of ovs-vswitchd + ovsdb-server"
echo "  defaults: $(daemons memd)"
echo "  settings: $(daemons memt)"

# One copy's cost to the machine, over both sets (2N copies): what its
# processes hold (PSS), what dockerd and containerd grew by, and the
# kernel's unreclaimable memory (namespaces, veths, conntrack, page tables),
# which the machine's other users move too: run it on a quiet machine.
mapfile -t cids < <(docker ps -q --filter label=ovslab.lab | while read -r c; do
  l=$(docker inspect -f '{{index .Config.Labels "ovslab.lab"}}' "$c"); case $l in memd*|memt*) echo "$c";; esac; done)
cpids=() spids=()
for c in "${cids[@]}"; do p=$(cpid "$c"); cpids+=("$p"); spids+=("$(awk '{print $4}' "/proc/$p/stat")"); done
mapfile -t dpids < <(cat /run/ovslab/mem[dt][0-9]*/*/ovs*.pid)
copies=$((2 * n))
ovs=$(pss "${dpids[@]}") ctr=$(pss "${cpids[@]}") shim=$(pss "${spids[@]}")
engine=$(( $(pss $(dockerd_pids)) - engine0 )) kern=$(( $(kernel) - kernel0 ))
sum=$(( ovs + ctr + shim + engine + kern ))
mib() { printf '%.1f' "$(echo "$1 / $copies / 1024" | bc -l)"; }
echo "one copy costs the machine, MiB (average of $copies copies, both sets; ${#cids[@]} containers):"
echo "  OVS daemons $(mib "$ovs") + containers $(mib "$ctr") + their containerd shims $(mib "$shim") (PSS)"
echo "  + dockerd and containerd growth $(mib "$engine") + kernel (unreclaimable slab, per-CPU, stacks, page tables) $(mib "$kern")"
echo "  = $(mib "$sum"); MemAvailable dropped by $(mib $(( $(used) - used0 ))) per copy"

if [ "$ksm" = 1 ]; then
  ksmsaved=$(for f in run pages_to_scan sleep_millisecs; do echo "$f $(cat $ksmdir/$f)"; done)
  echo 2000 >$ksmdir/pages_to_scan; echo 1 >$ksmdir/run
  t_ksm=$(secs ksm_scans 3)
  echo "after ksmd's 3 full scans ($t_ksm s at 2000 pages per 20 ms; only marked processes are scanned):"
  echo "  defaults: $(daemons memd)"
  echo "  settings: $(daemons memt)"
  echo "  MemAvailable drop per copy, both sets: $(mib $(( $(used) - used0 ))) MiB"
fi
t_down=$(secs down_all)
echo "down, all $copies copies: $t_down s"
