#!/usr/bin/env bash
# Build Skyport and run it against a local demo platform: skyport-sim (a Skaha-compatible
# service) and a real OpenID Connect provider, both on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

scripts/deps.sh
say "Building the UI and the app (the first build takes a few minutes)"
npm run --silent build:ui >/dev/null
cargo build --locked -p skyport-desktop -p skyport-sim -p skyport-cli

DEMO_HOME=${SKYPORT_HOME:-$PWD/target/demo-home}
mkdir -p "$DEMO_HOME/config" target
export SKYPORT_HOME=$DEMO_HOME
# Where the local platforms announce themselves to the welcome page.
export SKYPORT_LOCAL_PLATFORMS=$PWD/target/demo-local
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Every run starts as a newcomer: the last run's platforms (whose local addresses are gone)
# are removed with their keyring entries, so the welcome page asks which platform.
for name in $(target/debug/skyport --json profiles list 2>/dev/null |
  python3 -c 'import json,sys; [print(p["name"]) for p in json.load(sys.stdin)]' 2>/dev/null); do
  target/debug/skyport --timeout 3 profiles remove "$name" >/dev/null 2>&1 || true
done
rm -f "$DEMO_HOME/config/config.toml"

say "Starting the sign-in provider"
node tools/oidc/server.mjs --port 0 > target/demo-oidc.json 2> target/demo-oidc.log &
pids+=($!)
for _ in $(seq 100); do [ -s target/demo-oidc.json ] && break; sleep 0.1; done
ISSUER=$(python3 -c 'import json; print(json.loads(open("target/demo-oidc.json").readline())["issuer"])')

say "Starting the local platforms and their registry"
# --world: a CANFAR-like platform (shaped by the flags), an SRCNet-like node that takes
# sign-in through the provider above only, a node that is down, and a registry of all three.
target/debug/skyport-sim --world --announce "$SKYPORT_LOCAL_PLATFORMS" --seed-sessions 3 --oidc-issuer "$ISSUER" --oidc-audience skyport-sim \
  --token demo-token:alice > target/demo-sim.json 2> target/demo-sim.log &
pids+=($!)
for _ in $(seq 100); do [ -s target/demo-sim.json ] && break; sleep 0.1; done
field() { python3 -c 'import json,sys; print(json.loads(open("target/demo-sim.json").readline())[sys.argv[1]])' "$1"; }
SKAHA_URL=$(field skaha_url)
REGISTRY=$(field registry_url)
BASE=${SKAHA_URL%/skaha*}

# Two interactive sessions of alice's to open in their own windows (Running a few seconds
# after start), beside the seeded headless ones.
for spec in notebook:m31-survey:astroml:latest carta:ngc1300-cube:carta:5.0; do
  IFS=: read -r kind name image tag <<<"$spec"
  curl -fsS -H "Authorization: Bearer demo-token" -X POST "$SKAHA_URL/v1/session" \
    --data-urlencode "name=$name" --data-urlencode "type=$kind" \
    --data-urlencode "image=images.canfar.net/skaha/$image:$tag" >/dev/null ||
    echo "demo: could not start the $kind session (see target/demo-sim.log)" >&2
done

cat >&2 <<MSG

  Skyport opens on its welcome page. Under "On this computer" choose canfar and sign in
  as alice, password skyport-demo; or sweSRC (SRCNet-like), whose browser sign-in page
  accepts any user name and password. ukCAM is a platform whose service is down.

  Local platforms $REGISTRY   (\`target/debug/skyport platforms\` lists them too)
  CANFAR-like     $SKAHA_URL
  Sign-in         $ISSUER
  Files           $DEMO_HOME   (SKYPORT_HOME; nothing touches your real ~/.ssl)
  CLI             SKYPORT_HOME=$DEMO_HOME SKYPORT_LOCAL_PLATFORMS=$SKYPORT_LOCAL_PLATFORMS target/debug/skyport ps

MSG

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  if [ "${SKYPORT_DEMO_XVFB:-}" = 1 ]; then
    say "No display: running under Xvfb for 20 s and saving target/demo.png (the welcome page)"
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
