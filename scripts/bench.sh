#!/usr/bin/env bash
# Measures ovslab on this machine: parse/plan benchmarks, then the reference
# lab emulated (under another name, so a user's lab is left alone): wall
# time and peak memory of up, a no-op up and down, and iperf3 throughput
# across the tunnel and through NAT. Needs root. Prints a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
lab=bench-l3

scripts/install-deps.sh >/dev/null
scripts/start-daemons.sh >/dev/null
go build -o bin/ovslab ./cmd/ovslab

echo "== go benchmarks (topology: parse + validate + plan)"
go test -run '^$' -bench . -benchmem ./topology | grep -E '^Benchmark'

file=$(mktemp --suffix=.yaml)
# A name of our own for time's output: a fixed /tmp name could be a
# symlink another user planted, and time (as root) would write through it.
rssfile=$(mktemp)
trap 'bin/ovslab down "$lab" >/dev/null 2>&1 || true; rm -f "$file" "$rssfile"' EXIT
sed -e "s/^name: l3-vxlan/name: $lab/" -e 's/\bdoc\([0-9]\)/bdoc\1/g' labs/catalog/l3-vxlan/topology.yaml >"$file"
bin/ovslab down "$lab" >/dev/null 2>&1 || true

# timed CMD...: wall seconds and peak RSS (KiB) of one run.
timed() {
  local t0 t1 rss
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$rssfile" "$@" >/dev/null
    rss=$(tail -1 "$rssfile")
  else
    "$@" >/dev/null; rss=n/a
  fi
  t1=$(date +%s.%N)
  printf '%.2f s, peak RSS %s KiB' "$(echo "$t1 - $t0" | bc -l)" "$rss"
}

echo "== reference lab, emulated"
echo "up:        $(timed bin/ovslab up --emulate "$file")"
for i in 1 2 3; do echo "no-op up:  $(timed bin/ovslab up --emulate "$file")"; done
bin/ovslab check "$lab" >/dev/null && echo "check:     all passed"

pid() { docker inspect -f '{{.State.Pid}}' "$1"; }
iperf() { # server-netns-command... -- client-pid address
  local args=() ; while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
  "${args[@]}" iperf3 -s -1 >/dev/null 2>&1 &
  local srv=$! out=""
  # iperf3 -J exits 0 even when refused: retry until the JSON has no error.
  for _ in $(seq 50); do
    out=$(nsenter -t "$1" -n iperf3 -c "$2" -t 5 -J 2>/dev/null || true)
    echo "$out" | grep -q '"error"' || break
    sleep 0.1
  done
  kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true
  echo "$out" | python3 -c 'import json,sys; print("%.0f Mbit/s" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}
echo "iperf3 bdoc1 -> bdoc3 across VXLAN:       $(iperf nsenter -t "$(pid bdoc3)" -n -- "$(pid bdoc1)" 10.0.1.20)"
echo "iperf3 bdoc3 -> WAN via tunnel + NAT:     $(iperf ip netns exec "$lab-wan" -- "$(pid bdoc3)" 198.51.100.1)"
echo "down:      $(timed bin/ovslab down "$lab")"
