#!/usr/bin/env bash
# Starts dockerd if it is not answering. Emulated labs start their own
# ovsdb-server/ovs-vswitchd per host, so no system OVS is needed here.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "start-daemons: dockerd already running"
  exit 0
fi
mkdir -p /var/log
nohup dockerd >/var/log/ovslab-dockerd.log 2>&1 &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "start-daemons: dockerd running"
    exit 0
  fi
  sleep 0.5
done
echo "start-daemons: dockerd did not come up; last log lines:" >&2
tail -20 /var/log/ovslab-dockerd.log >&2
exit 1
