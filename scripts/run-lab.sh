#!/usr/bin/env bash
# The main job on a fresh machine: install, build, bring a built-in lab up
# emulated, show it and prove traffic crosses the tunnels. Needs root.
#   scripts/run-lab.sh [LAB]      (default l3-vxlan)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
lab=${1:-l3-vxlan}

scripts/install-deps.sh
scripts/start-daemons.sh
go build -o bin/ovslab ./cmd/ovslab

bin/ovslab up --emulate "$lab"
bin/ovslab status "$lab"
echo
echo "== ovslab check $lab: every container pair, gateways, 1500-byte DF across the tunnels, NAT"
bin/ovslab check "$lab"
echo
echo "lab $lab is up. Try: bin/ovslab exec $lab doc1 -- ping -c 3 10.0.1.20"
echo "Remove it with:      bin/ovslab down $lab"
