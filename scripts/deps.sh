#!/usr/bin/env bash
# Install everything Skyport needs to build, run and test on Debian/Ubuntu.
# Idempotent and quick when all is present (a few dpkg/command checks, no network).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config file curl xdg-utils libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb xauth xclip xdotool trayer x11-utils dbus dbus-x11 at-spi2-core webkit2gtk-driver
  gnome-keyring libsecret-tools imagemagick python3-venv
  desktop-file-utils appstream lintian rpm man-db   # checks of the packages (scripts/package-test.sh)
  haskell-gtk-sni-tray-utils   # a real StatusNotifier tray host (tests/e2e/login_start.rs)
)
TAURI_DRIVER_VERSION=2.1.0
CARGO_AFL_VERSION=0.18.2   # the fuzzer (scripts/fuzz.sh): AFL++ through afl.rs, on stable Rust
NODE_MIN_MAJOR=20

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$NODE_MIN_MAJOR" ]; then
  echo "Node.js $NODE_MIN_MAJOR.19 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it from your distribution or nodejs.org, then run this again." >&2
  exit 1
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! tauri-driver --help >/dev/null 2>&1; then
  say "Installing tauri-driver $TAURI_DRIVER_VERSION (about a minute)"
  cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION" --quiet
fi

# cargo-afl builds AFL++ (its C sources ship in the crate; only make and a C compiler are
# needed) for the rustc in use, under ~/.local/share/afl.rs/rustc-<version>-<hash>/.
if [ "$(cargo afl --version 2>/dev/null | cut -d' ' -f2)" != "$CARGO_AFL_VERSION" ]; then
  say "Installing cargo-afl $CARGO_AFL_VERSION and building AFL++ (about a minute)"
  cargo install cargo-afl --locked --version "$CARGO_AFL_VERSION" --force --quiet
fi
rustc_id=$(rustc -vV | awk '/^release:/ { r = $2 } /^commit-hash:/ { h = substr($2, 1, 7) } END { print r "-" h }')
afl_rt=${XDG_DATA_HOME:-$HOME/.local/share}/afl.rs/rustc-$rustc_id/afl.rs-$CARGO_AFL_VERSION
if [ ! -f "$afl_rt/afl-llvm/afl-compiler-rt.o" ] || [ ! -x "$afl_rt/afl/bin/afl-fuzz" ]; then
  say "Building AFL++ for rustc $rustc_id"
  cargo afl config --build --force
fi

# npm packages (the UI, and the test OIDC provider in tools/oidc): reinstall only when a
# package-lock.json changed since the last install.
for dir in . tools/oidc; do
  stamp=$dir/node_modules/.skyport-lock-stamp
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
done
