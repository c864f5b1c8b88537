#!/usr/bin/env bash
# Fuzzing of Skyport's parsers of outside input with AFL++ (cargo-afl, stable Rust).
# The harnesses are the `fuzz/` crate; fuzz/README.md says what each target checks.
#
#   scripts/fuzz.sh build                       build the instrumented harnesses
#   scripts/fuzz.sh smoke [SECONDS]             every target briefly (default 15 s each);
#                                               fails if any crash is found (`make test`)
#   scripts/fuzz.sh long [SECONDS] [TARGET...]  the real runs (default 600 s each), one
#                                               target at a time; prints a summary table
#   scripts/fuzz.sh replay FILE TARGET          run one input through a harness, with the
#                                               panic message and stack of a crash
#
# Work folders go to fuzz/out/<mode>/<target>/ (ignored by git). Crashes stay in
# fuzz/out/<mode>/<target>/default/crashes/; copy the ones worth keeping to
# fuzz/crashes-found/. Needs cargo-afl and its AFL++ build: scripts/deps.sh installs both.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TARGETS=(challenge cert_bundle skaha_json events_table netrc service_url discovery canfar_config relay_gate relay_rewrite credentials vospace_node)
FUZZ_DIR=$PWD/fuzz
BIN_DIR=$FUZZ_DIR/target/release
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# AFL++ refuses to start on machines tuned for something else (CPU frequency governor,
# core dumps piped to a handler). Say it is fine through its environment variables instead
# of changing /proc or /sys settings; nothing here needs root.
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1
export AFL_NO_AFFINITY=1
# A harness runs in microseconds; anything near this is a hang, not a slow machine.
EXEC_TIMEOUT_MS=${FUZZ_EXEC_TIMEOUT_MS:-2000}

build() {
  say "Building the fuzz harnesses (cargo afl build --release, fuzz/target)"
  CARGO_TARGET_DIR="$FUZZ_DIR/target" nice -n 19 \
    cargo afl build --release --locked --quiet --manifest-path "$FUZZ_DIR/Cargo.toml"
}

# stat FILE KEY: one value of an AFL++ fuzzer_stats file.
stat() { awk -F' *: *' -v k="$2" '$1 == k { print $2 }' "$1"; }

# run_target MODE TARGET SECONDS: fuzz one target from its seeds; prints one table row.
run_target() {
  local mode=$1 t=$2 secs=$3
  local work=$FUZZ_DIR/out/$mode/$t
  rm -rf "$work"
  mkdir -p "$work/in"
  cp "$FUZZ_DIR/corpus/$t/"* "$work/in/"
  if [ -d "$FUZZ_DIR/fixtures/$t" ]; then cp "$FUZZ_DIR/fixtures/$t/"* "$work/in/"; fi
  local args=(-i "$work/in" -o "$work" -V "$secs" -t "$EXEC_TIMEOUT_MS")
  if [ -f "$FUZZ_DIR/dict/$t.dict" ]; then args+=(-x "$FUZZ_DIR/dict/$t.dict"); fi
  if ! nice -n 19 cargo afl fuzz "${args[@]}" -- "$BIN_DIR/$t" >"$work/afl.log" 2>&1; then
    echo "afl-fuzz failed for $t; the end of $work/afl.log:" >&2
    tail -n 30 "$work/afl.log" >&2
    return 1
  fi
  local s=$work/default/fuzzer_stats
  printf '| %s | %s s | %s | %s | %s | %s/%s | %s | %s | %s |\n' "$t" \
    "$(stat "$s" run_time)" "$(stat "$s" execs_done)" "$(stat "$s" execs_per_sec)" \
    "$(stat "$s" bitmap_cvg)" "$(stat "$s" edges_found)" "$(stat "$s" total_edges)" \
    "$(stat "$s" corpus_count)" "$(stat "$s" saved_crashes)" "$(stat "$s" saved_hangs)"
}

# fuzz_all MODE SECONDS TARGET...: one target after another; fails if any crashed.
fuzz_all() {
  local mode=$1 secs=$2; shift 2
  local rows=() crashed=()
  for t in "$@"; do
    say "Fuzzing $t for $secs s"
    rows+=("$(run_target "$mode" "$t" "$secs")")
    local n
    n=$(find "$FUZZ_DIR/out/$mode/$t/default/crashes" -type f ! -name README.txt | wc -l)
    if [ "$n" -gt 0 ]; then crashed+=("$t ($n)"); fi
  done
  echo
  echo "| target | time | executions | execs/s | bitmap coverage | edges found/total | corpus | crashes | hangs |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  if ((${#crashed[@]})); then
    echo >&2
    echo "Crashes found in: ${crashed[*]}. See fuzz/out/$mode/<target>/default/crashes/;" >&2
    echo "scripts/fuzz.sh replay <file> <target> shows the panic and its stack." >&2
    return 1
  fi
}

mode=${1:-smoke}
case $mode in
  build) build ;;
  smoke)
    build
    fuzz_all smoke "${2:-15}" "${TARGETS[@]}"
    ;;
  long)
    secs=${2:-600}
    shift $(($# < 2 ? $# : 2))
    if (($# == 0)); then set -- "${TARGETS[@]}"; fi
    build
    fuzz_all long "$secs" "$@"
    ;;
  replay)
    file=${2:?usage: scripts/fuzz.sh replay FILE TARGET}
    t=${3:?usage: scripts/fuzz.sh replay FILE TARGET}
    build
    RUST_BACKTRACE=1 "$BIN_DIR/$t" <"$file"
    ;;
  *)
    echo "usage: scripts/fuzz.sh build | smoke [SECONDS] | long [SECONDS] [TARGET...] | replay FILE TARGET" >&2
    exit 2
    ;;
esac
