#!/usr/bin/env bash
# A class of N copies of l3-vxlan (2N emulated hosts, 4N containers), side
# by side in one run (the machine is shared and noisy: compare ratios
# within a run, not absolute times):
#   (a) dockerd's own parallel floor: `docker run --net none` x 4N, as many
#       at once as ovslab's default --jobs, and `docker rm -f` x 4N;
#   (b) a loop of `up --emulate l3-vxlan --name`, two at a time, `check` of
#       each one after another, `down` two at a time;
#   (c) `class up` of N copies, `class check`, `class down`; the OVS
#       daemons' RSS, and what MemAvailable lost per copy against the
#       estimate class up refuses by.
# Usage: scripts/bench-class.sh [--no-loop] [N]   (default 30). Needs root.
#   --no-loop skips (b), which at 100 copies takes a quarter of an hour.
# CLASS_FLAGS (e.g. "--parallel 16 -j 8") goes to class up.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
loop=yes
[ "${1:-}" = --no-loop ] && { loop=no; shift; }
n=${1:-30}
jobs=$(( $(nproc) * 2 )); [ $jobs -ge 4 ] || jobs=4   # labs.DefaultJobs

scripts/install-deps.sh >/dev/null
scripts/start-daemons.sh >/dev/null
go build -o bin/ovslab ./cmd/ovslab

img=ovslab/busybox
work=$(mktemp -d)
cls=bcl
class_file() { echo "class: $cls"; echo "lab: l3-vxlan"; echo "students:"; for i in $(seq 1 "$n"); do echo "  - s$i"; done; }
class_file >"$work/class.yaml"
leftovers() {
  bin/ovslab class down "$work/class.yaml" --forget >/dev/null 2>&1 || true
  seq 1 "$n" | xargs -r -P4 -I{} bin/ovslab down bcl-loop{} >/dev/null 2>&1 || true
  docker ps -aq --filter label=ovslab-bench=class | xargs -r docker rm -f >/dev/null 2>&1 || true
}
trap 'leftovers; rm -rf "$work"' EXIT
leftovers

# secs CMD...: wall seconds of one run, output discarded; a failure stops
# the benchmark (a number from a broken run means nothing).
secs() {
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$@" >"$work/out" 2>&1; then
    echo "failed: $*" >&2; tail -20 "$work/out" >&2; exit 1
  fi
  t1=$(date +%s.%N)
  printf '%.1f' "$(echo "$t1 - $t0" | bc -l)"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
memavail() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }   # KiB
# daemons_rss PREFIX: MiB of RSS of the OVS daemons of labs named PREFIX*.
daemons_rss() {
  local kb=0 p
  for p in $(pgrep -f "ovs(db-server|-vswitchd) .*/run/ovslab/$1" || true); do
    kb=$(( kb + $(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0) ))
  done
  echo $(( kb / 1024 ))
}

docker image inspect $img >/dev/null 2>&1 || {
  bin/ovslab up --emulate l3-vxlan --name bcl-img >/dev/null && bin/ovslab down bcl-img >/dev/null; }

c=$(( 4 * n ))
floor_up() { seq 1 "$c" | xargs -P"$jobs" -I{} docker run -d --net none --label ovslab-bench=class --name bcl-floor{} $img sleep infinity; }
floor_down() { seq 1 "$c" | xargs -P"$jobs" -I{} docker rm -f bcl-floor{}; }
fu=$(secs floor_up); fd=$(secs floor_down)

loop_up() { seq 1 "$n" | xargs -P2 -I{} bin/ovslab up --emulate l3-vxlan --name bcl-loop{}; }
loop_check() { for i in $(seq 1 "$n"); do bin/ovslab check "bcl-loop$i"; done; }
loop_down() { seq 1 "$n" | xargs -P2 -I{} bin/ovslab down bcl-loop{}; }
lu=- lc=- ld=-
[ $loop = no ] || { lu=$(secs loop_up); lc=$(secs loop_check); ld=$(secs loop_down); }

before=$(memavail)
# shellcheck disable=SC2086
cu=$(secs bin/ovslab class up "$work/class.yaml" ${CLASS_FLAGS:-})
after=$(memavail)
rss=$(daemons_rss "$cls-")
cc=$(secs bin/ovslab class check "$work/class.yaml")
cd_=$(secs bin/ovslab class down "$work/class.yaml" --forget)
est=$(bin/ovslab class up "$work/class.yaml" --mem-available 1 2>&1 | sed -n 's/.*(\([0-9.]* [MG]iB\) each.*/\1/p' || true)

echo
echo "class of $n copies of l3-vxlan ($((2 * n)) emulated hosts, $c containers), $(nproc) cores, jobs $jobs"
printf '%-46s %8s %8s %8s %10s\n' "" up check down "up/floor"
printf '%-46s %8s %8s %8s %10s\n' "dockerd floor: $c x docker run, $jobs at a time" "$fu" - "$fd" 1.00
[ $loop = no ] || printf '%-46s %8s %8s %8s %10s\n' "loop of up --name, two at a time" "$lu" "$lc" "$ld" "$(ratio "$lu" "$fu")"
printf '%-46s %8s %8s %8s %10s\n' "class up / check / down" "$cu" "$cc" "$cd_" "$(ratio "$cu" "$fu")"
echo
echo "class: OVS daemons $rss MiB RSS ($(( rss / (2 * n) )) MiB per emulated host);" \
  "MemAvailable fell $(( (before - after) / 1024 / n )) MiB per copy while it came up; class up's estimate: ${est:-?} per copy"
