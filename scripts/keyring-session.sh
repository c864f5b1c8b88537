#!/usr/bin/env bash
# Run a command with a fresh, unlocked gnome-keyring Secret Service on the current session bus.
# usage: dbus-run-session -- scripts/keyring-session.sh CMD [ARGS...]
set -euo pipefail
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export XDG_DATA_HOME=$TMP/data XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$TMP/run}
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
# The daemon's own messages go to a file, shown if it dies during the run (it has aborted on
# clients' overlapping calls: gnome-keyring upstream issues 190 and 196).
printf '%s' 'skyport-test-keyring' \
  | gnome-keyring-daemon --unlock --foreground --components=secrets >/dev/null 2>"$TMP/daemon.log" &
daemon=$!
for _ in $(seq 50); do   # wait for org.freedesktop.secrets on the bus
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames 2>/dev/null \
    | grep -q '"org.freedesktop.secrets"' && break
  sleep 0.1
done
# A fresh daemon has no default collection yet and can answer the first requests with
# "no result"; wait until a store, lookup and clear round trip works, so that the first
# program under test (the app at start, say) finds a keyring that answers.
for _ in $(seq 100); do
  if printf 'warm' | secret-tool store --label=skyport-warmup skyport-warmup 1 2>/dev/null \
    && [ "$(secret-tool lookup skyport-warmup 1 2>/dev/null)" = warm ]; then
    secret-tool clear skyport-warmup 1 2>/dev/null || true
    break
  fi
  sleep 0.1
done
export SKYPORT_TEST_KEYRING_SESSION=1   # tests that count the bus's connections run here only
rc=0; "$@" || rc=$?
if ! kill -0 "$daemon" 2>/dev/null; then
  {
    echo "keyring-session: gnome-keyring-daemon (pid $daemon) ended during the run; a keyring"
    echo "failure above is that, not the test. Its messages:"
    sed 's/^/  | /' "$TMP/daemon.log"
  } >&2
fi
exit "$rc"
