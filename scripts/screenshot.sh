#!/usr/bin/env bash
# Run the built app under a private Xvfb, take screenshots, stop it.
# usage: scripts/screenshot.sh OUT.png [seconds-to-wait] -- env assignments are taken from the caller.
set -euo pipefail
out=${1:?output png}; wait=${2:-6}
bin=${SKYPORT_BIN:-target/debug/skyport-desktop}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SKYPORT_HOME=${SKYPORT_HOME:-$tmp/home} XDG_DATA_HOME=${XDG_DATA_HOME:-$tmp/xdg-data} XDG_CACHE_HOME=${XDG_CACHE_HOME:-$tmp/xdg-cache}
export NO_AT_BRIDGE=1
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bash -c "
  '$bin' & app=\$!
  sleep $wait
  import -window root '$out'
  kill \$app; wait \$app 2>/dev/null || true
"
