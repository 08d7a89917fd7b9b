#!/usr/bin/env bash
# Contract tests: the TypeScript SDK (sdk/typescript) against the real seckiller binary, with
# Node's built-in test runner (tests/contract). Builds nothing: build the binary first.
#
# Usage: bash scripts/contract-tests.sh [extra `node --test` options]
#   SECKILLER_BIN   the binary to test (default: $CARGO_TARGET_DIR/debug/seckiller,
#                   built beforehand with `cargo build -p seckiller --bin seckiller`)
#
# The server runs embedded (SQLite, in-process gate and queue) in a temporary data directory on
# a free loopback port; it is stopped and the directory removed however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${SECKILLER_BIN:-${CARGO_TARGET_DIR:-target}/debug/seckiller}"

log() { printf '== %s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
  echo "no seckiller binary at $BIN: run \`cargo build -p seckiller --bin seckiller\` or set SECKILLER_BIN" >&2
  exit 1
fi
for tool in node npm curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool not found: the contract tests need Node.js 20+ with npm, and curl" >&2
    exit 1
  fi
done

# Dependencies first, so the server does not wait on the network. The SDK is a linked file
# dependency of the tests, so its own dependencies live in its own node_modules.
log "npm ci (sdk/typescript, tests/contract)"
(cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/contract && npm ci --no-audit --no-fund --loglevel=error)
log "type-checking the contract tests against the SDK"
(cd tests/contract && npx --no-install tsc --noEmit)

WORK=$(mktemp -d)
SERVER_PID=
TESTS_PID=
cleanup() {
  for pid in $TESTS_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
# Waiting on a background job (below) lets a signal stop the run at once; exiting runs cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM

# A port that is free now; the server binds it a moment later.
PORT=$(node -e '
  const server = require("node:net").createServer();
  server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });')
BASE="http://127.0.0.1:$PORT"

log "starting $BIN on $BASE"
SECKILLER_LISTEN="127.0.0.1:$PORT" \
  SECKILLER_DATA_DIR="$WORK/data" \
  SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 \
  SECKILLER_SEED_DEMO=false \
  SECKILLER_SWEEP_INTERVAL_MILLIS=100 \
  SECKILLER_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=
for _ in $(seq 1 150); do
  if curl -fsS "$BASE/readyz" 2>/dev/null | grep -q '"ready"'; then
    ready=1
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited during start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "the server was not ready at $BASE/readyz after 30 s:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi

log "contract tests against $BASE"
status=0
(
  cd tests/contract
  SECKILLER_URL="$BASE" exec node --import tsx --test --test-concurrency=3 "$@" test/*.test.ts
) &
TESTS_PID=$!
wait "$TESTS_PID" || status=$?
TESTS_PID=

if [ "$status" != 0 ]; then
  echo "== server log" >&2
  tail -n 200 "$WORK/server.log" >&2
fi
exit "$status"
