#!/usr/bin/env bash
# `make bench`: builds the release app, CLI and sim, and the floor (bench/floor: the smallest
# Tauri app of the same crate versions), then measures them side by side (scripts/bench.py)
# under Xvfb, in a D-Bus session with gnome-keyring (bench.py starts a StatusNotifier tray
# host for the cases hidden in the tray).
# Report: target/bench/report.md and report.json. Takes about 25 minutes (10 of them idle).
#
# usage: scripts/bench.sh [bench.py options]   e.g. --runs 3 --idle 120 --before old.json
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

scripts/deps.sh
[ -d node_modules/.bin ] || npm ci --no-audit --no-fund

say "Release build of the app (as make package builds it), the CLI and the sim"
npx --no-install tauri build --no-bundle -- --locked
cargo build --release --locked -p skyport-cli --bin skyport -p skyport-sim --bin skyport-sim

say "Release build of the floor (bench/floor, with Skyport's Cargo.lock)"
cp Cargo.lock bench/floor/Cargo.lock
CARGO_TARGET_DIR="$PWD/target" cargo build --release --offline \
  --manifest-path bench/floor/Cargo.toml

say "Measuring (report in target/bench/)"
export NO_AT_BRIDGE=1
dbus-run-session -- scripts/keyring-session.sh \
  xvfb-run -a -s "-screen 0 1280x800x24" python3 scripts/bench.py \
    --app target/release/skyport-desktop --floor target/release/skyport-bench-floor \
    --sim target/release/skyport-sim "$@"
