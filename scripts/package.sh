#!/usr/bin/env bash
# `make package`: the .deb and the .rpm, release build, with Tauri's bundler (offline).
# Besides the app they carry the CLI (/usr/bin/skyport) with its man pages and bash, zsh and
# fish completions, the AppStream metainfo and the Debian copyright file. The .deb's
# dependencies are read from the binaries themselves (every shared library they link, and
# the package that provides it here), not guessed.
# Output: target/release/bundle/{deb,rpm}/; the list in target/package/built.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

out=target/package
rm -rf "$out"; mkdir -p "$out/man1" "$out/completions"

say "Release build of the CLI"
cargo build --release --locked -p skyport-cli
cli=target/release/skyport

say "Man pages and completions, from the CLI's own definitions"
"$cli" man | gzip -9n > "$out/man1/skyport.1.gz"
# Every command's page too (skyport-ps.1, …), as `man skyport-ps` finds them.
"$cli" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }' \
  | grep -vx help | while read -r c; do
    "$cli" man "$c" | gzip -9n > "$out/man1/skyport-$c.1.gz"
  done
"$cli" completions bash > "$out/completions/skyport.bash"
"$cli" completions zsh > "$out/completions/_skyport"
"$cli" completions fish > "$out/completions/skyport.fish"
gzip -9nc packaging/changelog > "$out/changelog.gz"
gzip -9nc packaging/skyport-desktop.1 > "$out/skyport-desktop.1.gz"

say "Release build of the app and the bundles (.deb, .rpm)"
# The app is built first (as the bundler builds it, with its custom-protocol feature); the
# bundles are made after its shared libraries have been read.
deps_of() {  # the Debian packages providing the shared libraries the binaries need
  local libs so path owner
  libs=$(ldconfig -p)   # read whole: a reader that stops early would kill it with SIGPIPE
  for so in $(objdump -p "$@" | awk '/NEEDED/ { print $2 }' | sort -u); do
    path=$(awk -v so="$so" '$1 == so && /x86-64/ && !found { print $NF; found = 1 }' <<<"$libs")
    [ -n "$path" ] || { echo "cannot find $so, which the binaries need" >&2; return 1; }
    # dpkg knows the file under the name it installed: the real path or the link.
    owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null) \
      || { echo "no Debian package provides $path ($so)" >&2; return 1; }
    echo "${owner%%:*}"
  done | sort -u
}
npx --no-install tauri build --no-bundle -- --locked
deps=$(deps_of target/release/skyport-desktop "$cli")
mapfile -t debs <<<"$deps"
# The tray loads libayatana-appindicator at run time (dlopen), so no binary names it.
debs+=(libayatana-appindicator3-1)
# Tauri's bundler adds these two itself.
mapfile -t debs < <(printf '%s\n' "${debs[@]}" | grep -vx -e libwebkit2gtk-4.1-0 -e libgtk-3-0)
say "Dependencies read from the binaries: ${debs[*]}"
python3 - "$out/tauri.package.json" "${debs[@]}" <<'PY'
import json, sys
path, debs = sys.argv[1], sys.argv[2:]
json.dump({"bundle": {"linux": {"deb": {"depends": sorted(set(debs))}}}}, open(path, "w"), indent=2)
PY
rm -rf target/release/bundle/deb target/release/bundle/rpm   # no older version left beside
npx --no-install tauri bundle --bundles deb,rpm --config "$out/tauri.package.json"

ls target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm | tee "$out/built.txt"
