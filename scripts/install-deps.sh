#!/usr/bin/env bash
# Installs, from Debian's packages, what ovslab needs to run and be tested
# (chromium: the browser tests of the web terminal and the classroom server,
# headless).
# Idempotent: packages already present are not reinstalled.
set -euo pipefail

pkgs=(openvswitch-switch docker.io iptables iproute2 iperf3 iputils-ping
      iputils-arping ethtool busybox-static util-linux procps ca-certificates
      time bc python3 tcpdump openssh-server openssh-client chromium)

# Options, for scripts/test.sh (a lab alone needs none of them):
# --vm: also what scripts/vmtest.sh boots (Debian's own kernel, under qemu)
# for the tests that need a distribution kernel's modules.
# --release: also what the tests of scripts/release.sh and of the Debian
# package use (a Debian root made by debootstrap, dpkg-deb, file), and
# shellcheck, which actionlint runs on the workflows' scripts.
# --no-go: do not require Go (ovslab was installed from a release).
need_go=1
for a in "$@"; do
  case $a in
    --vm) pkgs+=(qemu-system-x86 linux-image-amd64) ;;
    --release) pkgs+=(debootstrap dpkg-dev file curl shellcheck) ;;
    --no-go) need_go=0 ;;
    *) echo "install-deps: unknown option $a (--vm, --release, --no-go)" >&2; exit 2 ;;
  esac
done

# Docker from another packaging (docker-ce on CI runners) stays: docker.io
# would conflict with it.
if command -v dockerd >/dev/null 2>&1; then
  keep=()
  for p in "${pkgs[@]}"; do [ "$p" = docker.io ] || keep+=("$p"); done
  pkgs=("${keep[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts try to start services; without an init system they may
  # fail, which is harmless: ovslab starts the daemons it needs itself.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH=$PATH:/usr/local/go/bin
fi
[ "$need_go" = 0 ] || command -v go >/dev/null || { echo "install-deps: Go toolchain not found (expected /usr/local/go)"; exit 1; }
echo "install-deps: ok"
