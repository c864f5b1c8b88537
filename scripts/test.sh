#!/usr/bin/env bash
# Every check Skyport has, in the order that fails fastest. `make test` runs this; so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
t0=$(date +%s)
stage() { say "$1 ($(( $(date +%s) - t0 )) s elapsed)"; }

scripts/deps.sh

stage "Formatting (rustfmt); the bench script compiles"
cargo fmt --all --check
python3 -m py_compile scripts/bench.py

stage "UI: type check, unit tests, build"
npm run --silent check:ui
npm run --silent test:ui
npm run --silent build:ui >/dev/null

stage "Clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "Fuzzing smoke run: every parser of outside input, briefly (AFL++)"
scripts/fuzz.sh smoke

stage "Rust tests: unit, integration, keyring, end-to-end (real app under Xvfb)"
export NO_AT_BRIDGE=1
timeout 2400 dbus-run-session -- scripts/keyring-session.sh \
  xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked

stage "Packages: release build of the .deb and .rpm, installed with apt, run, purged"
scripts/package.sh
timeout 1200 dbus-run-session -- scripts/keyring-session.sh \
  xvfb-run -a -s "-screen 0 1280x800x24" scripts/package-test.sh

stage "All checks passed"
