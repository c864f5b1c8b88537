#!/usr/bin/env bash
# Build Skyport and run it against the local demo platform (skyport-sim) on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

scripts/deps.sh
say "Building the UI and the app (the first build takes a few minutes)"
npm run --silent build:ui >/dev/null
cargo build --locked -p skyport-desktop -p skyport-sim

DEMO_HOME=${SKYPORT_HOME:-$PWD/target/demo-home}
mkdir -p "$DEMO_HOME"
TOKEN=demo-token-alice

say "Starting the local platform"
target/debug/skyport-sim --token "$TOKEN:alice" --seed-sessions 3 > target/demo-sim.json 2> target/demo-sim.log &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s target/demo-sim.json ] && break; sleep 0.1; done
SKAHA_URL=$(python3 -c 'import json,sys; print(json.loads(open("target/demo-sim.json").readline())["skaha_url"])')
say "Local platform at $SKAHA_URL — demo user alice / skyport-demo (see target/demo-sim.json)"

export SKYPORT_HOME=$DEMO_HOME SKYPORT_URL=$SKAHA_URL SKYPORT_TOKEN=$TOKEN
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  if [ "${SKYPORT_DEMO_XVFB:-}" = 1 ]; then
    say "No display: running under Xvfb for 20 s and saving target/demo.png"
    NO_AT_BRIDGE=1 dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bash -c \
      'target/debug/skyport-desktop & app=$!; sleep 20; import -window root target/demo.png; kill $app'
    exit 0
  fi
  echo "No display found (DISPLAY/WAYLAND_DISPLAY are empty). Run this from a desktop session," >&2
  echo "or set SKYPORT_DEMO_XVFB=1 to run under Xvfb and save a screenshot to target/demo.png." >&2
  exit 1
fi
say "Starting Skyport (close the window to stop the demo)"
target/debug/skyport-desktop
