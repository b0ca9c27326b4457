#!/usr/bin/env bash
# Runs one lab in CI: install, start the daemons, bring the lab up emulated,
# grade it as JUnit XML, keep the evidence, and take the lab down whatever
# happened. docs/ci.md explains each step. Needs root.
#   scripts/ci-lab.sh [FILE|LAB]      default: the reference lab, l3-vxlan
# Environment: OUT, the artefact directory (default ./ovslab-artefacts);
# OVSLAB, the ovslab binary (default: built from this checkout).
# Exit status: that of `ovslab check` (0 all passed, 1 a failure), or of
# the step that stopped the run.
set -euo pipefail
scripts=$(dirname "$0")
file=${1:-l3-vxlan}
out=${OUT:-ovslab-artefacts}
mkdir -p "$out"

# With OVSLAB given (e.g. installed from a release) no Go is needed.
"$scripts/install-deps.sh" ${OVSLAB:+--no-go}
"$scripts/start-daemons.sh"
export PATH=$PATH:/usr/local/go/bin
if [ -z "${OVSLAB:-}" ]; then
  go build -o "$scripts/../bin/ovslab" "$scripts/../cmd/ovslab"
  OVSLAB=$scripts/../bin/ovslab
fi

# A bad file stops here with exit 2, before anything is built.
"$OVSLAB" validate "$file"
# The lab's name and hosts, from the file.
plan=$("$OVSLAB" plan "$file" -o json)
read -r lab hosts < <(python3 -c 'import json, sys; p = json.load(sys.stdin); print(p[0]["lab"], " ".join(h["host"] for h in p))' <<<"$plan")

# From here on the lab is always taken down, even on failure or cancel.
trap '"$OVSLAB" down "$lab" || echo "ci-lab: down $lab failed" >&2' EXIT
trap 'exit 130' INT TERM

"$OVSLAB" up --emulate "$file"

# Each host's underlay while the checks run: the VXLAN frames, with their keys.
captures=()
if "$OVSLAB" --help | grep -q '^  capture '; then
  for h in $hosts; do
    "$OVSLAB" capture "$lab" "$h" -w "$out/$h-underlay.pcap" -c 100000 &
    captures+=($!)
  done
fi

status=0
"$OVSLAB" check "$lab" -o junit >"$out/report.xml" || status=$?

for pid in "${captures[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${captures[@]}"; do wait "$pid" || true; done
"$OVSLAB" status "$lab" -o json >"$out/status.json" || echo "ci-lab: no status" >&2
"$OVSLAB" graph "$file" --format svg >"$out/graph.svg" || echo "ci-lab: no graph" >&2
if [ "$status" -ne 0 ]; then
  # The OVS daemons' logs go with the lab: keep them while they exist.
  for h in $hosts; do
    mkdir -p "$out/logs/$h"
    cp /run/ovslab/"$lab"/"$h"/*.log "$out/logs/$h/" 2>/dev/null || true
  done
  "$OVSLAB" check "$lab" >&2 || true # the report as text, in the job's log
fi
exit "$status"
