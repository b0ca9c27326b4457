#!/usr/bin/env bash
# Does Docker's libnetwork deadlock under container churn (moby/libnetwork
# #2649, every Engine before 20.10.27) depend on how containers go away?
# CYCLES times: start M containers as ovslab makes them (`docker run -d
# --net none`), W at a time, then remove them W at a time, either by
# `docker rm -f` (mode rm-f) or by `docker stop -t 0` and then `docker rm`
# (mode stop-rm). After each phase `timeout 30 docker info` tells whether
# dockerd still answers. Prints the cycle dockerd hung in, or that it did
# not; compare modes and widths over many cycles, one run at a time.
# Usage: scripts/bench-churn.sh [-n CYCLES] [-m M] [-w W] [--mode rm-f|stop-rm]
#                               [--image IMAGE] [--dump]
#   defaults: 20 cycles of 200 containers, 4 at a time (ovslab's pool on
#   2 cores), rm-f. --dump: on a hang, send dockerd SIGUSR1 (a goroutine
#   dump, dockerd keeps running) and say whether it shows the two
#   functions of the bug.
# Exit 0: no hang; 1: dockerd hung (restart it: this script never does);
# 2: bad usage, or dockerd not answering before the first cycle.
# Needs root and the image (default ovslab/busybox: `ovslab up --emulate
# l3-vxlan` makes it). Minutes to hours of a shared machine: never in CI.
set -euo pipefail
cycles=20 m=200 width=4 mode=rm-f img=ovslab/busybox dump=no
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    -n) cycles=${2:-}; shift 2 ;;
    -m) m=${2:-}; shift 2 ;;
    -w) width=${2:-}; shift 2 ;;
    --mode) mode=${2:-}; shift 2 ;;
    --image) img=${2:-}; shift 2 ;;
    --dump) dump=yes; shift ;;
    *) usage ;;
  esac
done
for v in "$cycles" "$m" "$width"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[[ $mode == rm-f || $mode == stop-rm ]] || usage
[ "$(id -u)" = 0 ] || { echo "bench-churn: needs root" >&2; exit 2; }

label=ovslab-churn=1
call=40 # seconds one docker command may take before it counts as hung

answers() { timeout 30 docker info >/dev/null 2>&1; }
answers || { echo "bench-churn: docker info does not answer within 30 s before any churn: dockerd is stuck already" >&2; exit 2; }
docker image inspect "$img" >/dev/null 2>&1 || {
  echo "bench-churn: no image $img here (ovslab up --emulate l3-vxlan makes ovslab/busybox)" >&2; exit 2; }
if [ -n "$(docker ps -aq --filter "label=$label")" ]; then
  echo "bench-churn: containers labelled $label are left from an earlier run: docker rm -f them first" >&2; exit 2
fi

hung=no
cleanup() {
  [ $hung = no ] || return 0 # a hung dockerd removes nothing
  docker ps -aq --filter "label=$label" | xargs -r timeout $call docker rm -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

# each CMD...: CMD NAME for every container, W at a time, each bounded.
each() {
  seq 1 "$m" | xargs -P "$width" -I{} timeout $call "$@" churn{} >/dev/null 2>&1 || true
}
start() {
  seq 1 "$m" | xargs -P "$width" -I{} timeout $call \
    docker run -d --net none --label "$label" --name churn{} "$img" sleep infinity >/dev/null 2>&1 || true
}
remove() {
  if [ "$mode" = rm-f ]; then
    each docker rm -f
  else
    each docker stop -t 0
    each docker rm
  fi
}
secs() { local t0=$SECONDS; "$@"; echo $((SECONDS - t0)); }

version=$(timeout 30 docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)
echo "dockerd $version; $cycles cycles of $m containers, $width at a time, mode $mode"
for ((i = 1; i <= cycles; i++)); do
  up=$(secs start)
  running=$(timeout 30 docker ps -q --filter "label=$label" | wc -l)
  if answers; then
    down=$(secs remove)
    answers && { echo "cycle $i: run ${up}s ($running of $m running), remove ${down}s, docker info answers"; continue; }
    phase=remove
  else
    phase=run
  fi
  hung=yes
  echo "cycle $i: dockerd hung during $phase: docker info did not answer within 30 s (docker ps: $(timeout 10 docker ps -q >/dev/null 2>&1 && echo answers || echo hangs too))"
  if [ $dump = yes ]; then
    pid=$(pidof dockerd)
    since=$(date +%s)
    kill -USR1 "$pid"
    f=
    for _ in $(seq 50); do # dockerd writes the dump in the background
      f=$(find /var/run/docker -maxdepth 1 -name 'goroutine-stacks-*.log' -newermt "@$since" | tail -1)
      [ -z "$f" ] || break
      sleep 0.2
    done
    if [ -n "$f" ] && grep -q getSvcRecords "$f" && grep -q processEndpointDelete "$f"; then
      echo "goroutine dump $f: getSvcRecords and processEndpointDelete both waiting (moby/libnetwork#2649)"
    else
      echo "goroutine dump ${f:-not found}: not the two functions of moby/libnetwork#2649"
    fi
  fi
  echo "dockerd is stuck: restart it (systemctl restart docker), then docker rm -f the containers labelled $label"
  exit 1
done
echo "no hang in $cycles cycles"
