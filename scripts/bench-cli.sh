#!/usr/bin/env bash
# `skyport ps` against the official `canfar ps`, side by side on one local skyport-sim.
#
# Builds skyport and skyport-sim in release, starts the sim with a fixed token and seeded
# sessions, pip-installs canfar into a throwaway venv (pinning typer<0.29 if its CLI cannot
# load), runs both listings RUNS times each (interleaved; hyperfine when installed), prints
# the medians and the ratio (exit 3 when below the 50x goal), and cleans up.
#
# usage: scripts/bench-cli.sh [RUNS]   (default 30; SESSIONS=N seeds N sessions, default 20;
#                                      NO_HYPERFINE=1 uses the shell loop even with hyperfine)
# needs: cargo, python3 with venv, PyPI.   CARGO_TARGET_DIR and CARGO_BUILD_JOBS are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
SESSIONS=${SESSIONS:-20}
TOKEN=bench-token-alice
TARGET=${CARGO_TARGET_DIR:-target}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

TMP=$(mktemp -d)
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say "Building skyport and skyport-sim (release)"
cargo build --release --locked --quiet -p skyport-cli --bin skyport -p skyport-sim --bin skyport-sim
SKYPORT="$TARGET/release/skyport"
SIM="$TARGET/release/skyport-sim"

say "Starting skyport-sim with $SESSIONS sessions"
"$SIM" --token "$TOKEN:alice" --seed-sessions "$SESSIONS" --seed-owner alice \
  >"$TMP/sim.json" 2>"$TMP/sim.log" &
SIM_PID=$!
for _ in $(seq 100); do [ -s "$TMP/sim.json" ] && break; sleep 0.1; done
[ -s "$TMP/sim.json" ] || { cat "$TMP/sim.log" >&2; echo "skyport-sim did not start" >&2; exit 1; }
SKAHA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["skaha_url"])' "$TMP/sim.json")

say "Installing canfar into a throwaway venv"
python3 -m venv "$TMP/venv"
PIP=("$TMP/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir)
"${PIP[@]}" canfar
if ! "$TMP/venv/bin/python" -c 'import canfar.cli.main, canfar.cli.create' 2>/dev/null; then
  say "canfar's CLI does not load with this typer; installing typer<0.29"
  "${PIP[@]}" 'typer<0.29'
fi
CANFAR_VERSION=$("$TMP/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("canfar"))')

mkdir -p "$TMP/home"
COMMON=(env -i "PATH=$PATH" "HOME=$TMP/home" "NO_COLOR=1" "COLUMNS=200" "TERM=dumb")
SKY_CMD=("${COMMON[@]}" "SKYPORT_HOME=$TMP/skyport" "SKYPORT_URL=$SKAHA" "SKYPORT_TOKEN=$TOKEN" "$SKYPORT" ps)
CAN_CMD=("${COMMON[@]}" "CANFAR_URL=$SKAHA/v1" "CANFAR_TOKEN=$TOKEN" "$TMP/venv/bin/canfar" ps)

say "Checking that both list the same sessions"
"${SKY_CMD[@]}" >"$TMP/sky.out"
"${CAN_CMD[@]}" >"$TMP/can.out" 2>&1
for id in $("${SKY_CMD[@]}" -q); do
  grep -q "$id" "$TMP/can.out" || { cat "$TMP/can.out" >&2; echo "canfar ps does not show $id" >&2; exit 1; }
done
echo "both list $(($(wc -l <"$TMP/sky.out") - 1)) pending/running sessions" >&2

# `stamp VAR`: wall clock in ns into VAR, without starting a process when bash has
# EPOCHREALTIME (bash 5), else with `date +%s%N`.
if [ -n "${EPOCHREALTIME:-}" ]; then
  stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/[.,]/}"; }
else
  stamp() { printf -v "$1" '%s' "$(date +%s%N)"; }
fi
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

if command -v hyperfine >/dev/null && [ -z "${NO_HYPERFINE:-}" ]; then
  say "Timing with hyperfine ($RUNS runs each)"
  hyperfine --warmup 3 --runs "$RUNS" -N --export-json "$TMP/h.json" \
    -n "skyport ps" "$(printf '%q ' "${SKY_CMD[@]}")" \
    -n "canfar ps" "$(printf '%q ' "${CAN_CMD[@]}")" >&2
  read -r SKY_MS CAN_MS < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["median"] * 1000, r[1]["median"] * 1000)' "$TMP/h.json")
  METHOD="hyperfine $(hyperfine --version | awk '{print $2}'), $RUNS runs each, 3 warm-up"
else
  say "Timing with a shell loop ($RUNS runs each, interleaved)"
  for _ in 1 2 3; do "${SKY_CMD[@]}" >/dev/null; "${CAN_CMD[@]}" >/dev/null 2>&1; done
  : >"$TMP/sky.ns"; : >"$TMP/can.ns"
  for _ in $(seq "$RUNS"); do
    stamp t0; "${SKY_CMD[@]}" >/dev/null; stamp t1
    "${CAN_CMD[@]}" >/dev/null 2>&1; stamp t2
    echo $((t1 - t0)) >>"$TMP/sky.ns"; echo $((t2 - t1)) >>"$TMP/can.ns"
  done
  SKY_MS=$(median <"$TMP/sky.ns" | awk '{printf "%.3f", $1 / 1e6}')
  CAN_MS=$(median <"$TMP/can.ns" | awk '{printf "%.3f", $1 / 1e6}')
  METHOD="shell loop ($([ -n "${EPOCHREALTIME:-}" ] && echo EPOCHREALTIME || echo 'date +%s%N')), $RUNS runs each, interleaved, 3 warm-up"
fi

RATIO=$(awk -v a="$CAN_MS" -v b="$SKY_MS" 'BEGIN {printf "%.0f", a / b}')
CPU=$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo 2>/dev/null || uname -m)
echo
echo "skyport ps vs canfar ps ($SESSIONS seeded sessions, $(date -u +%Y-%m-%d), $(nproc) cores, $CPU)"
echo "method: $METHOD; canfar $CANFAR_VERSION"
printf '%-12s %12s\n' "command" "median (ms)"
printf '%-12s %12.1f\n' "skyport ps" "$SKY_MS"
printf '%-12s %12.1f\n' "canfar ps" "$CAN_MS"
echo "ratio: skyport ps is ${RATIO}x faster (goal: at least 50x)"
if [ "$RATIO" -lt 50 ]; then exit 3; fi
