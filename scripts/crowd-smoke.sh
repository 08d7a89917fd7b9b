#!/usr/bin/env bash
# Crowd smoke: the real binary, embedded (SQLite, in-process gate and queue), rushed by a small
# crowd that buys, pays half its orders and lets the rest expire. Fails when the crowd's verdict
# is not correct, when it cannot run, or when its reports are missing. Takes about 15 seconds.
#
# Usage: bash scripts/crowd-smoke.sh [extra seckiller-crowd options]
#   SECKILLER_BIN         the service (default: $CARGO_TARGET_DIR/debug/seckiller)
#   SECKILLER_CROWD_BIN   the crowd (default: $CARGO_TARGET_DIR/debug/seckiller-crowd)
#   CROWD_SMOKE_OUT       a directory to keep report.json, report.html and server.log in
#                         (default: a temp directory, removed afterwards)
# Build both first: cargo build -p seckiller -p seckiller-crowd --bins
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${SECKILLER_BIN:-${CARGO_TARGET_DIR:-target}/debug/seckiller}"
CROWD="${SECKILLER_CROWD_BIN:-${CARGO_TARGET_DIR:-target}/debug/seckiller-crowd}"

log() { printf '== crowd-smoke: %s\n' "$*" >&2; }

for b in "$BIN" "$CROWD"; do
  if [ ! -x "$b" ]; then
    echo "no binary at $b: run \`cargo build -p seckiller -p seckiller-crowd --bins\` or set SECKILLER_BIN / SECKILLER_CROWD_BIN" >&2
    exit 1
  fi
done

WORK=$(mktemp -d)
OUT="${CROWD_SMOKE_OUT:-$WORK/out}"
mkdir -p "$OUT"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "${CROWD_SMOKE_OUT:-}" ] && [ -f "$WORK/server.log" ]; then
    cp "$WORK/server.log" "$OUT/server.log"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A port nobody answers on now (a connection refused by bash's /dev/tcp). Another process may
# still take it before the server binds, so a start that fails is tried again on another port.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

ready() { curl -fsS --max-time 1 "$1/readyz" >/dev/null 2>&1; }

start_server() {
  local port=$1
  rm -rf "$WORK/data"
  SECKILLER_LISTEN="127.0.0.1:$port" \
    SECKILLER_DATA_DIR="$WORK/data" \
    SECKILLER_ADMIN_USERNAME=admin \
    SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 \
    SECKILLER_SEED_DEMO=false \
    SECKILLER_SWEEP_INTERVAL_MILLIS=200 \
    SECKILLER_LOG=warn \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if ready "http://127.0.0.1:$port"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null || true
      SERVER_PID=
      return 1
    fi
    sleep 0.1
  done
  return 1
}

BASE=
for _ in 1 2 3; do
  PORT=$(free_port)
  if start_server "$PORT"; then
    BASE="http://127.0.0.1:$PORT"
    break
  fi
done
if [ -z "$BASE" ]; then
  echo "the server did not become ready:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi
log "server ready on $BASE"

status=0
timeout 50 "$CROWD" \
  --url "$BASE" \
  --admin-password quiet-harbor-lantern-42 \
  --buyers 200 --stock 50 --limit 1 --seconds 3 --opens-in 2 \
  --pay-probability 0.5 --payment-window 2 --settle-timeout 20 --seed 7 \
  --quiet --json "$OUT/report.json" --html "$OUT/report.html" \
  "$@" || status=$?

fail() {
  echo "crowd-smoke: $*" >&2
  echo "== server log (last 100 lines)" >&2
  tail -n 100 "$WORK/server.log" >&2
  exit 1
}
case "$status" in
  0) ;;
  1) fail "the crowd found the sale incorrect (see the verdict above)" ;;
  124) fail "the crowd did not finish within 50 s" ;;
  *) fail "the crowd could not run (exit $status)" ;;
esac
[ -s "$OUT/report.html" ] || fail "no HTML report at $OUT/report.html"
grep -q '</html>' "$OUT/report.html" || fail "the HTML report is cut short"
grep -q '"correct": true' "$OUT/report.json" || fail "the JSON report does not say correct"
log "passed in ${SECONDS}s"
