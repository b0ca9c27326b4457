#!/usr/bin/env bash
# Installs an ovslab release, after checking every file it uses against
# the release's SHA256SUMS; a file that does not match is refused and
# nothing is installed.
#   scripts/install.sh [--binary] [--prefix DIR] RELEASE
# RELEASE: a directory made by scripts/release.sh, or the URL its files
# are published under, e.g.
#   https://github.com/OWNER/ovslab/releases/download/v1.2.0
# By default, where apt-get exists, the Debian package (apt-get pulls Open
# vSwitch, iptables and iproute2; remove it with apt-get remove ovslab).
# --binary, or without apt-get: the static binary, shell completions and
# man pages under --prefix (default /usr/local).
set -euo pipefail
die() { echo "install: $*" >&2; exit "${2:-1}"; }

mode=deb prefix=/usr/local
while [ $# -gt 1 ]; do
  case $1 in
    --binary) mode=bin; shift ;;
    --prefix) [ $# -gt 2 ] || die "--prefix needs a directory" 2; prefix=$2; mode=bin; shift 2 ;;
    *) die "unknown option $1 (usage: install.sh [--binary] [--prefix DIR] DIR|URL)" 2 ;;
  esac
done
[ $# = 1 ] || die "usage: install.sh [--binary] [--prefix DIR] DIR|URL" 2
src=${1%/}
[ "$mode" = deb ] && ! command -v apt-get >/dev/null && mode=bin

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no release for $(uname -m): ovslab releases are built for x86_64 and aarch64; build from source (README)" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# fetch NAME: the release's file into $work, from the directory or URL.
fetch() {
  case $src in
    http://* | https://*)
      if command -v curl >/dev/null; then
        curl -fsSL --retry 3 -o "$work/$1" "$src/$1" || die "cannot download $src/$1"
      else
        wget -q -O "$work/$1" "$src/$1" || die "cannot download $src/$1"
      fi ;;
    *) cp -- "$src/$1" "$work/$1" 2>/dev/null || die "$src/$1: no such file (is $src a release directory?)" ;;
  esac
}

fetch SHA256SUMS
# The files to install, by the names release.sh gives them.
names() { awk -v re="$1" '$2 ~ re {print $2}' "$work/SHA256SUMS"; }
if [ "$mode" = deb ]; then
  files=$(names "^ovslab_[^_]+_${arch}\\.deb\$")
else
  files="$(names "^ovslab_[^_]+_linux_${arch}\$") $(names '^ovslab_[^_]+_docs\.tar\.gz$')"
fi
[ "$(wc -w <<<"$files")" = "$([ "$mode" = deb ] && echo 1 || echo 2)" ] ||
  die "$src/SHA256SUMS does not list the files of one release for $arch"
for f in $files; do
  fetch "$f"
  # sha256sum -c reads "HASH  NAME" lines relative to the current directory.
  if ! (cd "$work" && grep -E "^[0-9a-f]{64}  $f\$" SHA256SUMS | sha256sum -c --status); then
    die "$f does not match its SHA-256 in $src/SHA256SUMS: refusing to install it (a damaged download, or a file that is not the release's)"
  fi
done
version=$(sed -E 's/^ovslab_([^_]+)_.*/\1/' <<<"${files%% *}")

if [ "$mode" = deb ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$work/$files" >/dev/null
  where=/usr/bin/ovslab
  echo "install: ovslab $version installed from the Debian package (remove it with: apt-get remove ovslab)"
else
  bin=$(awk '{print $1}' <<<"$files") docs=$(awk '{print $2}' <<<"$files")
  mkdir -p "$work/docs"
  tar -C "$work/docs" -xzf "$work/$docs"
  install -D -m 0755 "$work/$bin" "$prefix/bin/ovslab"
  install -D -m 0644 "$work/docs/completions/ovslab.bash" "$prefix/share/bash-completion/completions/ovslab"
  install -D -m 0644 "$work/docs/completions/_ovslab" "$prefix/share/zsh/site-functions/_ovslab"
  install -D -m 0644 "$work/docs/completions/ovslab.fish" "$prefix/share/fish/vendor_completions.d/ovslab.fish"
  install -d "$prefix/share/man/man1"
  install -m 0644 "$work"/docs/man/man1/*.1.gz "$prefix/share/man/man1/"
  where=$prefix/bin/ovslab
  echo "install: ovslab $version installed in $prefix (binary, completions, man pages)"
  command -v ovs-vsctl >/dev/null || echo "install: a lab also needs Open vSwitch, iptables and iproute2 (and Docker for containers)"
fi
"$where" version | sed -n 1p # sed reads it all: head would leave version a broken pipe
# The command as the user will type it: plain "ovslab" when PATH finds this one.
cmd=$where
[ "$(command -v ovslab || true)" = "$where" ] && cmd=ovslab
echo "Next: sudo $cmd up --emulate l3-vxlan   # the reference lab on this machine; then: sudo $cmd check l3-vxlan"
