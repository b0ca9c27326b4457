#!/usr/bin/env bash
# Builds a release of ovslab from the commit checked out, into dist/:
#   ovslab_V_linux_amd64, ovslab_V_linux_arm64   static binaries
#   ovslab_V_amd64.deb, ovslab_V_arm64.deb       Debian packages
#   ovslab_V_docs.tar.gz                          shell completions and man pages
#   install.sh                                    scripts/install.sh, to fetch first
#   SHA256SUMS
#   scripts/release.sh VERSION        e.g. 1.2.0 (a leading v is dropped)
# Environment: DIST, the output directory (default dist); MAINTAINER, the
# packages' Maintainer field.
# Reproducible: every input is the commit (its date stands in for the
# clock), so two runs on one commit give the same bytes. A tree with
# uncommitted changes is refused (its release would name a commit that
# does not hold its code) unless ALLOW_DIRTY=1, which stamps the commit
# as COMMIT+dirty: for tests of this script, never for a release.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
die() { echo "release: $*" >&2; exit 2; }

[ $# = 1 ] || die "usage: scripts/release.sh VERSION"
version=${1#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([~+-][0-9A-Za-z.~+-]+)?$ ]] ||
  die "version $1: want MAJOR.MINOR.PATCH, optionally with a suffix (1.2.0, 1.2.0-rc1)"
dist=${DIST:-dist}
commit=$(git rev-parse HEAD)
if ! git diff --quiet HEAD --; then
  [ "${ALLOW_DIRTY:-}" = 1 ] || die "the tree has uncommitted changes; commit them first (git status)"
  commit+=+dirty
fi
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct HEAD)
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH

rm -rf "$dist"
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Everything that changes the bytes is set here, not taken from the
# environment (GOFLAGS may carry -buildvcs or -race, GOAMD64 a level).
export CGO_ENABLED=0 GOOS=linux GOFLAGS=-buildvcs=false GOAMD64=v1 GOARM64=v8.0 GOEXPERIMENT=
pkg=github.com/ovslab/ovslab/internal/buildinfo
ldflags="-s -w -buildid= -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.date=$date"
for arch in amd64 arm64; do
  echo "release: ovslab_${version}_linux_$arch"
  GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$dist/ovslab_${version}_linux_$arch" ./cmd/ovslab
done

# Man pages and completions come from the command tree, by a build of
# this machine's architecture with the gendocs hook (cmd/ovslab/gendocs.go).
echo "release: completions and man pages"
go run -trimpath -tags gendocs ./cmd/ovslab gendocs "$work/docs" "$version"
tar -C "$work/docs" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  -cf - completions man | gzip -9n >"$dist/ovslab_${version}_docs.tar.gz"

for arch in amd64 arm64; do
  echo "release: ovslab_${version}_$arch.deb"
  ARCH=$arch VERSION=$version BIN="$dist/ovslab_${version}_linux_$arch" DOCS="$work/docs" REPO="$PWD" \
    MAINTAINER=${MAINTAINER:-ovslab developers <noreply@ovslab.invalid>} \
    go -C scripts/debpkg run -trimpath . nfpm.yaml "$dist" >/dev/null
done

cp scripts/install.sh "$dist/install.sh"
(cd "$dist" && sha256sum install.sh ovslab_* >SHA256SUMS)
echo "release: $dist"
cat "$dist/SHA256SUMS"
