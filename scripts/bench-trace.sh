#!/usr/bin/env bash
# Measures ovslab trace on an emulated lab of 4 hosts x 50 containers on
# two networks: the wall time of a trace across a tunnel, through the
# gateway's NAT to the emulated internet, and routed between the networks
# (each run 5 times; min, median, max), and which hosts each one read: a
# trace reads only the hosts on its path. Needs root; takes a few minutes
# (most of it up and down of the 200 containers).
# Usage: scripts/bench-trace.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

scripts/install-deps.sh >/dev/null
scripts/start-daemons.sh >/dev/null
go build -o bin/ovslab ./cmd/ovslab

lab=btr-4x50
work=$(mktemp -d)
trap 'bin/ovslab down "$lab" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
python3 - >"$work/lab.yaml" <<'PY'
hosts, per = 4, 50
print("name: btr-4x50\nhosts:")
for h in range(1, hosts + 1):
    print(f"  h{h}: {{underlay: 172.31.{h}.100/24, gateway: 172.31.{h}.1}}")
print("""networks:
  net1: {subnet: 10.91.0.0/16, vni: 5001, bridge: br1, gateway: {host: h1, nat: true}}
  net2: {subnet: 10.92.0.0/16, vni: 5002, bridge: br2, gateway: {host: h1, nat: true}}
containers:""")
for h in range(1, hosts + 1):
    for i in range(1, per + 1):
        net = 1 + i % 2
        print(f"  tr{h}x{i}: {{host: h{h}, image: ovslab/busybox, network: net{net}, address: 10.9{net}.{h}.{i + 1}, command: [sleep, infinity]}}")
PY
bin/ovslab down "$lab" >/dev/null 2>&1 || true
t0=$(date +%s.%N)
bin/ovslab up --emulate "$work/lab.yaml" >/dev/null
printf 'up of 4 x 50: %.1f s\n\n' "$(echo "$(date +%s.%N) - $t0" | bc -l)"

printf '%-34s %-10s %6s %6s %6s  %s\n' "trace (5 runs)" verdict min median max "hosts read"
for path in "tr1x1 tr4x1:across a tunnel (net2, h1 -> h4)" "tr3x2 wan:through h1's NAT to the WAN" "tr2x2 tr3x1:routed net1 -> net2 at h1"; do
  args=${path%%:*} what=${path#*:}
  times=()
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    bin/ovslab trace "$lab" $args -o json --progress >"$work/out.json" 2>"$work/progress.txt" || true
    times+=("$(echo "$(date +%s.%N) - $t0" | bc -l)")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$work/out.json")
  read_hosts=$(sed -n 's/^· \(h[0-9]*\): reading its state$/\1/p' "$work/progress.txt" | sort | tr '\n' ' ')
  printf '%-34s %-10s %6.3f %6.3f %6.3f  %s\n' "$what" "$verdict" "$(sed -n 1p <<<"$sorted")" "$(sed -n 3p <<<"$sorted")" "$(sed -n 5p <<<"$sorted")" "$read_hosts"
done
