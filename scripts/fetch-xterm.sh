#!/usr/bin/env bash
# Fetches the pinned xterm.js and its fit addon from the npm registry into
# internal/webterm/assets/vendor, which is committed and embedded in the
# binary: building ovslab needs neither npm nor the network. Each tarball
# must match the sha512 pinned below and the one the registry publishes.
# To move to another version: change its pin (npm view PKG@VER
# dist.integrity), run this, check the page in a browser test, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=internal/webterm/assets/vendor

# package version integrity files (path in the package:name in $dest)
pins=(
  "@xterm/xterm 6.0.0 sha512-TQwDdQGtwwDt+2cgKDLn0IRaSxYu1tSUjgKarSDkUM0ZNiSRXFpjxEsvc/Zgc5kq5omJ+V0a8/kIM2WD3sMOYg== lib/xterm.js:xterm.js css/xterm.css:xterm.css LICENSE:xterm.LICENSE"
  "@xterm/addon-fit 0.11.0 sha512-jYcgT6xtVYhnhgxh3QgYDnnNMYTcf8ElbxxFzX0IZo+vabQqSPAjC3c1wJrKB5E19VwQei89QCiZZP86DCPF7g== lib/addon-fit.js:addon-fit.js LICENSE:addon-fit.LICENSE"
)

command -v npm >/dev/null || { echo "fetch-xterm: npm not found (Debian: apt-get install npm)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"
: >"$tmp/VERSIONS"
for pin in "${pins[@]}"; do
  read -r name version want files <<<"$pin"
  published=$(npm view "$name@$version" dist.integrity)
  if [ "$published" != "$want" ]; then
    echo "fetch-xterm: $name@$version: the registry publishes $published, pinned $want"; exit 1
  fi
  tgz=$(npm pack --silent --pack-destination "$tmp" "$name@$version")
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
  if [ "$got" != "$want" ]; then
    echo "fetch-xterm: $name@$version: downloaded $got, pinned $want"; exit 1
  fi
  rm -rf "$tmp/x" && mkdir "$tmp/x"
  tar -xzf "$tmp/$tgz" -C "$tmp/x"
  for f in $files; do
    cp "$tmp/x/package/${f%%:*}" "$dest/${f##*:}"
  done
  echo "$name $version $want" >>"$tmp/VERSIONS"
done
cp "$tmp/VERSIONS" "$dest/VERSIONS"
# What the Go test checks the committed files against.
(cd "$dest" && sha256sum -- *.js *.css *.LICENSE >SHA256SUMS)
echo "fetch-xterm: $(cat "$dest/VERSIONS" | cut -d' ' -f1,2 | paste -sd, -) in $dest"
