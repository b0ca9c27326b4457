#!/usr/bin/env bash
# Runs every test of ovslab against real components: it installs the
# packages, starts dockerd, checks formatting and vet, then runs the Go tests
# (unit tests, the parser's fuzz seed corpus, and root tests with real OVS,
# Docker and iptables in throwaway namespaces). Needs root. Tests named
# TestRootVM* boot Debian's own kernel under qemu (scripts/vmtest.sh) for
# what this machine's kernel may lack: OVS's kernel datapath, netem, 8021q.
# They run on every call (CI included) and add a few minutes; --no-vm
# (first argument) skips them, saying so, for a quicker local run.
# The release tier (package scripts) builds a release twice, installs its
# .deb into a Debian root made by debootstrap (cached for the day under
# /var/cache/ovslab-test) and runs the GitHub Action's steps; actionlint
# checks the workflows and the action.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin:$HOME/go/bin

if [ "${1:-}" = --no-vm ]; then
  shift
  scripts/install-deps.sh --release
else
  export OVSLAB_VM=1
  scripts/install-deps.sh --vm --release
fi
scripts/start-daemons.sh
# Browser tests save their screenshots here (internal/testenv.Screenshot).
export OVSLAB_SCREENSHOTS=${OVSLAB_SCREENSHOTS:-$PWD/test-artifacts/screenshots}

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
# The man page generator (a build tag) and the .deb builder (a module of
# its own) are not in ./... as built by default.
go vet -tags gendocs ./cmd/ovslab
go -C scripts/debpkg vet ./...
if [ "${STATICCHECK:-1}" = 1 ]; then
  echo "== staticcheck"
  go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
  go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags gendocs ./cmd/ovslab
  (cd scripts/debpkg && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...)
fi
echo "== actionlint"
go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 -no-color
echo "== go test"
# -p 1: root tests share the machine's dockerd; running packages one at a
# time keeps their namespaces and containers from crowding 2 cores.
go test -p 1 -count=1 -timeout 60m "$@" ./...
