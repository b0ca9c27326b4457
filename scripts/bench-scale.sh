#!/usr/bin/env bash
# Side-by-side scale measurements on this machine, in one run (the machine
# is shared and noisy: compare ratios within a run, not absolute times):
#   (a) N containers on one real-host-mode host (a netns with its own OVS,
#       netdev): the hand-made way (docker run --net none + ovs-docker
#       add-port + ovs-vsctl + iptables, one process per step) against
#       `ovslab up --host` of the same lab on the same OVS; both teardowns;
#       a no-op up;
#   (b) dockerd's own floor: `docker run --net none` x N and `docker rm -f`
#       x N, 4 at a time;
#   (c) an emulated lab of H hosts x C containers on 2 networks spanning
#       every host: up, first packet, no-op up, check (and check --full
#       with --full), down, peak RSS, and dockerd's floor for H x C.
# Usage: scripts/bench-scale.sh [--emu HxC[,HxC...]] [--full] [--no-floor] [N...]
#   N...       sizes of (a) and (b) (default: 20 100; with --emu: none)
#   --emu HxC  the emulated lab's size (default 4x50); several, comma-
#              separated, run one after another in this run, so their
#              check and no-op up compare (e.g. 4x50,4x250). 4x250 is the
#              1000-container lab: tens of minutes of a shared 2-core
#              machine and a few GB; run it alone, never in CI.
#   --full     also time check --full (the whole probe matrix).
#   --no-floor skip dockerd's floor of (c) (the ratios to it are then "-").
# Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
emu=4x50 full=no emu_only=no floor=yes
while [ $# -gt 0 ]; do
  case $1 in
    --emu) emu=${2:-}; emu_only=yes; shift 2 ;;
    --full) full=yes; shift ;;
    --no-floor) floor=no; shift ;;
    *) break ;;
  esac
done
IFS=, read -r -a emus <<<"$emu"
for e in "${emus[@]}"; do
  [[ $e =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "--emu wants HxC, e.g. 4x250" >&2; exit 2; }
  (( BASH_REMATCH[1] >= 3 && BASH_REMATCH[1] <= 60 && BASH_REMATCH[2] >= 2 && BASH_REMATCH[2] <= 800 )) ||
    { echo "--emu: 3..60 hosts of 2..800 containers" >&2; exit 2; }
done
sizes=("$@")
[ $# -gt 0 ] || [ $emu_only = yes ] || sizes=(20 100)

scripts/install-deps.sh >/dev/null
scripts/start-daemons.sh >/dev/null
go build -o bin/ovslab ./cmd/ovslab

img=ovslab/busybox
work=$(mktemp -d)
ns=bsc-h1 peer=bsc-peer run=/run/ovslab-bench
cleanup() {
  bin/ovslab down bsc-emu >/dev/null 2>&1 || true
  ip netns exec $ns env OVS_RUNDIR=$run bin/ovslab down bsc-one >/dev/null 2>&1 || true
  docker ps -aq --filter label=ovslab-bench=1 | xargs -r docker rm -f >/dev/null 2>&1 || true
  for d in ovs-vswitchd ovsdb-server; do
    [ -f $run/$d.pid ] && kill "$(cat $run/$d.pid)" 2>/dev/null || true
  done
  ip netns del $ns 2>/dev/null || true
  ip netns del $peer 2>/dev/null || true
  rm -rf "$work" $run
}
trap cleanup EXIT
cleanup; mkdir -p "$work" $run

# secs CMD...: wall seconds of one run, output discarded.
secs() {
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  printf '%.2f' "$(echo "$t1 - $t0" | bc -l)"
}
# rss_secs CMD...: "seconds s, peak RSS MiB"; a failure ends the run.
rss_secs() {
  local t0 t1
  t0=$(date +%s.%N)
  # A failed up or down stops the run and says why (a number from a
  # broken run means nothing).
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>&1 || {
    echo "failed: $*" >&2; grep -v '^warning:' "$work/out" | tail -5 >&2; exit 1; }
  t1=$(date +%s.%N)
  printf '%.2f s, %d MiB' "$(echo "$t1 - $t0" | bc -l)" "$(( $(tail -1 "$work/rss") / 1024 ))"
}
ratio() { if [ "$2" = - ]; then echo -; else printf '%.2f' "$(echo "$1 / $2" | bc -l)"; fi; }

# The image, made by ovslab itself on first use (no registry).
bin/ovslab validate labs/catalog/l3-vxlan/topology.yaml >/dev/null
docker image inspect $img >/dev/null 2>&1 || {
  bin/ovslab up --emulate l3-vxlan >/dev/null && bin/ovslab down l3-vxlan >/dev/null; }

# A "real host": a netns with an underlay NIC (one end of a veth) and its
# own ovsdb-server + ovs-vswitchd.
ip netns add $ns; ip netns add $peer
ip -n $ns link set lo up
ip link add bsc0 netns $ns type veth peer name bsc1 netns $peer
ip -n $ns addr add 172.31.10.100/24 dev bsc0; ip -n $ns link set bsc0 up
ip -n $peer addr add 172.31.10.1/24 dev bsc1; ip -n $peer link set bsc1 up
ip -n $ns route add default via 172.31.10.1
ovsdb-tool create $run/conf.db /usr/share/openvswitch/vswitch.ovsschema
ip netns exec $ns env OVS_RUNDIR=$run ovsdb-server $run/conf.db --remote=punix:$run/db.sock \
  --pidfile=$run/ovsdb-server.pid --log-file=$run/ovsdb.log --detach --no-chdir 2>/dev/null
ovs-vsctl --db=unix:$run/db.sock --no-wait init
ip netns exec $ns env OVS_RUNDIR=$run ovs-vswitchd unix:$run/db.sock \
  --pidfile=$run/ovs-vswitchd.pid --log-file=$run/vswitchd.log --detach --no-chdir 2>/dev/null
inh() { ip netns exec $ns env OVS_RUNDIR=$run "$@"; }

# one_host_lab N: a lab of N containers on host h1 (net1, gateway + NAT);
# h2 exists only as the far end of the tunnel.
one_host_lab() {
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
print("""name: bsc-one
hosts:
  h1: {underlay: 172.31.10.100/24, gateway: 172.31.10.1, datapath: netdev}
  h2: {underlay: 172.31.20.100/24, gateway: 172.31.20.1, datapath: netdev}
networks:
  net1: {subnet: 10.90.0.0/16, vni: 5000, bridge: br1, gateway: {host: h1, nat: true}}
containers:""")
for i in range(1, n + 1):
    print(f"  b{i}: {{host: h1, image: ovslab/busybox, network: net1, address: 10.90.{i // 250}.{i % 250 + 2}, command: [sleep, infinity]}}")
PY
}

# hand_up N / hand_down N: the hand-made way, one process per step.
hand_up() {
  inh ovs-vsctl add-br br1 -- set bridge br1 datapath_type=netdev
  inh ovs-vsctl add-port br1 gw1 -- set interface gw1 type=internal
  ip -n $ns addr add 10.90.0.1/16 dev gw1; ip -n $ns link set gw1 up
  ip netns exec $ns sysctl -qw net.ipv4.ip_forward=1
  ip netns exec $ns iptables -t nat -A POSTROUTING -s 10.90.0.0/16 ! -d 10.90.0.0/16 -j MASQUERADE
  for i in $(seq 1 "$1"); do
    docker run -d --net none --label ovslab-bench=1 --name hand$i $img sleep infinity >/dev/null
    inh ovs-docker add-port br1 eth0 hand$i --ipaddress=10.90.$((i / 250)).$((i % 250 + 2))/16 --gateway=10.90.0.1
  done
}
hand_down() {
  for i in $(seq 1 "$1"); do
    inh ovs-docker del-port br1 eth0 hand$i
    docker rm -f hand$i >/dev/null
  done
  ip netns exec $ns iptables -t nat -D POSTROUTING -s 10.90.0.0/16 ! -d 10.90.0.0/16 -j MASQUERADE
  inh ovs-vsctl del-br br1
}
floor_up() { seq 1 "$1" | xargs -P4 -I{} docker run -d --net none --label ovslab-bench=1 --name floor{} $img sleep infinity; }
floor_down() { seq 1 "$1" | xargs -P4 -I{} docker rm -f floor{}; }

printf '\n%-44s %10s %10s %10s %10s\n' "one host, real-host mode (seconds)" hand-made floor ovslab "ovslab/floor"
for n in "${sizes[@]}"; do
  one_host_lab "$n" >"$work/one.yaml"
  hu=$(secs hand_up "$n"); hd=$(secs hand_down "$n")
  fu=$(secs floor_up "$n"); fd=$(secs floor_down "$n")
  ou=$(secs inh bin/ovslab up --host h1 "$work/one.yaml")
  on=$(secs inh bin/ovslab up --host h1 "$work/one.yaml")
  od=$(secs inh bin/ovslab down bsc-one)
  printf '%-44s %10s %10s %10s %10s\n' "N=$n up" "$hu" "$fu" "$ou" "$(ratio "$ou" "$fu")"
  printf '%-44s %10s %10s %10s %10s\n' "N=$n down" "$hd" "$fd" "$od" "$(ratio "$od" "$fd")"
  printf '%-44s %10s %10s %10s\n' "N=$n no-op up" - - "$on"
done

# (c) emulated H x C on two /16 networks spanning every host: container
# kHcC on net1 (odd C) or net2 (even), at 10.40/10.41.(4h + c/200).(c%200 + 10).
emu_lab() {
  python3 - "$1" "$2" <<'PY'
import sys
hosts, per = int(sys.argv[1]), int(sys.argv[2])
print("name: bsc-emu\nhosts:")
for h in range(1, hosts + 1):
    print(f"  k{h}: {{underlay: 172.31.{h}.100/24, gateway: 172.31.{h}.1}}")
print("""networks:
  net1: {subnet: 10.40.0.0/16, vni: 5040, bridge: br1, gateway: {host: k1, nat: true}}
  net2: {subnet: 10.41.0.0/16, vni: 5041, bridge: br2, gateway: {host: k1, nat: true}}
containers:""")
for h in range(1, hosts + 1):
    for c in range(1, per + 1):
        net = 1 if c % 2 else 2
        print(f"  k{h}c{c}: {{host: k{h}, image: ovslab/busybox, network: net{net}, address: 10.{39 + net}.{4 * h + c // 200}.{c % 200 + 10}, command: [sleep, infinity]}}")
PY
}
# addr_of H C: container kHcC's address.
addr_of() { echo "10.$((39 + ($2 % 2 ? 1 : 2))).$((4 * $1 + $2 / 200)).$(($2 % 200 + 10))"; }
# emu_run H C: section (c) for one size.
emu_run() {
  local H=$1 C=$2 n eu en ec ec2 ed ef ok ok2 okf first pair from c to pid t0 t1 probes fu fd
  emu_lab "$H" "$C" >"$work/emu.yaml"
  n=$((H * C))
  fu=- fd=-
  [ $floor = no ] || { fu=$(secs floor_up $n); fd=$(secs floor_down $n); }
  eu=$(rss_secs bin/ovslab up --emulate "$work/emu.yaml")
  # The first packet right after up, as `ovslab up && run-my-test` sends it:
  # one echo, one second, across the tunnel on each network.
  first=ok
  for pair in "2 2 3" "2 1 $H" "$H 2 1" "3 1 1"; do
    read -r from c to <<<"$pair"
    pid=$(docker inspect -f '{{.State.Pid}}' "k${from}c$c")
    nsenter -t "$pid" -n ping -c 1 -W 1 "$(addr_of "$to" "$c")" >/dev/null 2>&1 || first="lost k${from}c$c -> $(addr_of "$to" "$c")"
  done
  en=$(secs bin/ovslab up --emulate "$work/emu.yaml")
  # Where a no-op up's time goes: when each step of each host began.
  OVSLAB_TIMINGS=1 bin/ovslab up --emulate "$work/emu.yaml" 2>"$work/noop-phases.txt" >/dev/null
  t0=$(date +%s.%N); ok=green; bin/ovslab check bsc-emu >"$work/check.txt" 2>&1 || ok=RED; t1=$(date +%s.%N)
  ec=$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)")
  probes=$(grep -c '' "$work/check.txt" || true)
  # Again at once: the bridges have learned every MAC the first one sent,
  # so what the first paid for flooding unknown destinations shows.
  t0=$(date +%s.%N); ok2=green; bin/ovslab check bsc-emu >/dev/null 2>&1 || ok2=RED; t1=$(date +%s.%N)
  ec2=$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)")
  if [ $full = yes ]; then
    t0=$(date +%s.%N); okf=green
    /usr/bin/time -f '%M' -o "$work/rss-full" bin/ovslab check --full bsc-emu >"$work/check-full.txt" 2>&1 || okf=RED
    t1=$(date +%s.%N)
    ef="$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)") ($okf, $(grep -c '' "$work/check-full.txt" || true) lines, peak RSS $(( $(tail -1 "$work/rss-full") / 1024 )) MiB)"
  fi
  ed=$(rss_secs bin/ovslab down bsc-emu)
  printf '\n%-44s %s\n' "emulated $H x $C (seconds)" ""
  printf '%-44s %s\n' "dockerd floor: run $n, 4 at a time" "$fu"
  printf '%-44s %s\n' "dockerd floor: rm -f $n, 4 at a time" "$fd"
  printf '%-44s %s (%sx floor)\n' "ovslab up" "$eu" "$(ratio "${eu%% s*}" "$fu")"
  printf '%-44s %s\n' "first ping after up (4 x 1 s, 2 networks)" "$first"
  printf '%-44s %s\n' "ovslab no-op up" "$en"
  printf '%-44s %s (%s, %s lines)\n' "ovslab check" "$ec" "$ok" "$probes"
  printf '%-44s %s (%s)\n' "ovslab check again (MACs learned)" "$ec2" "$ok2"
  [ $full = no ] || printf '%-44s %s\n' "ovslab check --full" "$ef"
  printf '%-44s %s (%sx floor)\n' "ovslab down" "$ed" "$(ratio "${ed%% s*}" "$fd")"
  [ "$ok" = green ] || { echo "check was red:"; grep FAIL "$work/check.txt" | head -20; }
  echo; echo "no-op up of $H x $C, seconds since start at each step:"; cat "$work/noop-phases.txt"
}
for e in "${emus[@]}"; do emu_run "${e%x*}" "${e#*x}"; done
