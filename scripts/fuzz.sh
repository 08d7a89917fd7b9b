#!/usr/bin/env bash
# Fuzzing: runs every cargo-fuzz target in fuzz/ for a set time (libFuzzer), after checking that
# the fuzz crate builds. Not part of CI (too slow); run it after changing a parser or a
# constructor, and write the figures into docs/security.md.
#
# Usage: bash scripts/fuzz.sh [seconds-per-target] [target…]
#   seconds-per-target   how long each target runs (default 60)
#   target…              only these targets (default: every target `cargo fuzz list` names)
#
# cargo-fuzz passes nightly-only flags (-Z…) to rustc. The machine has the stable toolchain
# only, so the script sets RUSTC_BOOTSTRAP=1 to let stable accept them, and builds with
# `--sanitizer none`: the project's crates forbid unsafe code, so AddressSanitizer would look
# for errors safe Rust cannot make, and its runtime is not reliably usable on stable.
# A target with a dictionary (fuzz/dictionaries/<target>.dict: field names, JSON pieces) gets it.
# Corpora live in fuzz/corpus/<target> and crashes in fuzz/artifacts/<target> (both ignored by
# git); a crash stops the script with its input's path, and
# `RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <input>` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0
# Next to the service's build when CARGO_TARGET_DIR is set, else in fuzz/target (ignored by git).
if [ -n "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"; fi

log() { printf '== %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

log "checking that the fuzz targets build"
cargo fmt --check --manifest-path fuzz/Cargo.toml
cargo fuzz build --sanitizer none

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

for target in "${targets[@]}"; do
  log "$target: ${SECONDS_PER_TARGET}s"
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  options=(-max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1)
  if [ -f "fuzz/dictionaries/$target.dict" ]; then
    options+=(-dict="fuzz/dictionaries/$target.dict")
  fi
  status=0
  cargo fuzz run --sanitizer none "$target" "$corpus" -- "${options[@]}" >"$corpus.log" 2>&1 || status=$?
  # The last status line (executions, coverage, corpus) and the final statistics.
  grep -E '^#[0-9]+' "$corpus.log" | tail -n 1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$corpus.log" || true
  if [ "$status" != 0 ]; then
    grep -E 'panicked|Test unit written|SUMMARY' "$corpus.log" >&2 || true
    log "$target found a failure: see fuzz/artifacts/$target and $corpus.log"
    exit 1
  fi
done
log "every target ran ${SECONDS_PER_TARGET}s without a failure"
