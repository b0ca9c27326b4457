#!/usr/bin/env bash
# What `ovslab serve` costs with a class open, and how soon a check shows.
# Needs root.
#   scripts/bench-serve.sh [N]     N students (default 100)
# A class of N students of l3-vxlan is recorded (class urls); COPIES of them
# (default 1; COPIES=all for every one) are brought up. Then:
#  1. the teacher's board and N student pages are opened: each page's
#     requests (the page, its scripts, its lab) and its event stream,
#     held open as a browser holds it; the server's RSS is read with all
#     N+1 streams open;
#  2. the first copy is checked RUNS times (default 5) with `ovslab
#     check`; a client on the teacher's stream reads the lab's view as
#     the board does when check.done arrives, and the script prints how
#     long after the check ended (the command's exit, and the event's own
#     time) the board had it.
# Everything the script made is taken down at the end, whatever happened.
# Environment: OVSLAB (a binary; default: built here), PORT (default 7781).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
n=${1:-100}
runs=${RUNS:-5}
port=${PORT:-7781}
class=benchsrv
base=http://127.0.0.1:$port
work=$(mktemp -d /tmp/bench-serve.XXXXXX)
if [ -z "${OVSLAB:-}" ]; then
  go build -o "$work/ovslab" ./cmd/ovslab
  OVSLAB=$work/ovslab
fi

mapfile -t students < <(seq -f 's%03g' 1 "$n")
list=$(printf '%s, ' "${students[@]}")
printf 'class: %s\nlab: l3-vxlan\nstudents: [%s]\n' "$class" "${list%, }" >"$work/class.yaml"
first=$class-${students[0]}

pids=()
server=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  "$OVSLAB" class down --forget "$work/class.yaml" >/dev/null 2>&1 || echo "bench-serve: class down failed" >&2
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$OVSLAB" class urls "$work/class.yaml" --base "$base" -o json >"$work/urls.json"
token() { python3 -c 'import json,sys,urllib.parse as u; d=json.load(open(sys.argv[1])); x=d["teacher"] if sys.argv[2]=="teacher" else d["students"][sys.argv[2]]; print(u.parse_qs(u.urlparse(x).query)["token"][0])' "$work/urls.json" "$1"; }
teacher=$(token teacher)

if [ "${COPIES:-1}" = all ]; then
  echo "== class up: $n copies"
  "$OVSLAB" class up "$work/class.yaml" >/dev/null
else
  echo "== up: ${COPIES:-1} of $n copies"
  for s in "${students[@]:0:${COPIES:-1}}"; do
    "$OVSLAB" up --emulate l3-vxlan --name "$class-$s" >/dev/null
  done
fi

"$OVSLAB" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -s -o /dev/null "$base/static/style.css" && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$server/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$server/status"; }
echo "== server idle: RSS $(rss)"

# A page as a browser opens it: the page, its files, its lab(s), then
# its event stream, held open.
page() {
  local tok=$1 what=$2
  curl -s -o /dev/null -H "Authorization: Bearer $tok" "$base/"
  for f in style.css common.js board.js student.js term/vendor/xterm.js term/vendor/xterm.css term/vendor/addon-fit.js term/terminal.js; do
    curl -s -o /dev/null "$base/static/$f"
  done
  curl -s -o /dev/null -H "Authorization: Bearer $tok" "$base/api/$what"
  curl -sN -H "Authorization: Bearer $tok" "$base/api/events" >/dev/null &
  pids+=($!)
}
page "$teacher" labs
for s in "${students[@]}"; do page "$(token "$s")" "labs/$class-$s"; done
open=0
for _ in $(seq 200); do
  open=$(ss -Htn state established "( sport = :$port )" | wc -l)
  [ "$open" -ge $((n + 1)) ] && break
  sleep 0.1
done
echo "== board + $n student pages open ($open streams): server RSS $(rss), peak $(hwm)"

# The board's side: on check.done, read the lab as the board does.
: >"$work/board.log"
(curl -sN -H "Authorization: Bearer $teacher" "$base/api/events" | while IFS= read -r line; do
  case $line in
  data:*'"type":"check.done"'*)
    curl -s -o /dev/null -H "Authorization: Bearer $teacher" "$base/api/labs/$first"
    echo "$(date +%s.%N) ${line#data: }" >>"$work/board.log"
    ;;
  esac
done) &
pids+=($!)
sleep 1
: >"$work/ends.log"
for i in $(seq "$runs"); do
  "$OVSLAB" check "$first" >/dev/null || true
  date +%s.%N >>"$work/ends.log"
  for _ in $(seq 100); do [ "$(wc -l <"$work/board.log")" -ge "$i" ] && break; sleep 0.05; done
done
echo "== check of $first -> on the board, $runs runs (server RSS $(rss), peak $(hwm))"
python3 - "$work/ends.log" "$work/board.log" <<'EOF'
import json, statistics, sys
from datetime import datetime
ends = [float(x) for x in open(sys.argv[1]).read().split()]
seen = []
for line in open(sys.argv[2]):
    t, ev = line.split(" ", 1)
    e = json.loads(ev)
    logged = datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
    seen.append((float(t), logged))
if len(seen) < len(ends):
    print(f"   only {len(seen)} of {len(ends)} checks reached the board")
after_exit = [s - e for (s, _), e in zip(seen, ends)]
after_event = [s - l for s, l in seen]
f = lambda xs: f"median {statistics.median(xs)*1000:.0f} ms, max {max(xs)*1000:.0f} ms"
print(f"   after the check's check.done was logged: {f(after_event)}")
print(f"   after `ovslab check` exited:             {f(after_exit)} (negative: before it exited)")
EOF
