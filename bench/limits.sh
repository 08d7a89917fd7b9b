#!/usr/bin/env bash
# Measures, in one run on this machine, the ceilings the purchase path is bounded by (the gate's
# Lua script run by redis-benchmark, acked JetStream publishes) and then SecKiller itself under a
# crowd, on the production wiring (Postgres, Redis, NATS) and on the embedded default. Prints the
# figures and their ratios. Needs the local Postgres, Redis and NATS that .ci/run starts.
#
#   bash bench/limits.sh [BUYERS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

BUYERS=${1:-500}
SECONDS_PER_RUN=${2:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/seckiller/target}
BIN=$CARGO_TARGET_DIR/release
RUN=bench$(date +%s)
WORK=$(mktemp -d)
PORT=18480
server=""

cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  redis-cli --scan --pattern "$RUN*" | xargs -r redis-cli del >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $RUN WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building (release)"
cargo build --release -q -p seckiller -p seckiller-crowd
cargo build --release -q -p seckiller-nats --example publish_ceiling

echo "== ceiling 1: the gate's Lua script under redis-benchmark (500 clients)"
SHA=$(redis-cli SCRIPT LOAD "$(cat infrastructure/redis/src/scripts/take.lua)")
K="$RUN{act:bench}"
redis-cli SET "$K:stock" 1000000000 >/dev/null
redis-cli SET "$K:limit" 1000000000 >/dev/null
LUA=$(redis-benchmark -q -c 500 -n 300000 -r 1000000000 \
  EVALSHA "$SHA" 5 "$K:stock" "$K:limit" "$K:buyers" "$K:purchases" "$K:returned" \
  __rand_int__ __rand_int__ 1 "1|bench|buyer|1|9900|USD|2026-01-01T00:00:00Z" \
  | tr '\r' '\n' | grep -oE '[0-9.]+ requests per second' | tail -1 | cut -d' ' -f1)
echo "   $LUA scripts/s"

echo "== ceiling 2: acked JetStream publishes (500 in flight)"
JS=$("$CARGO_TARGET_DIR/release/examples/publish_ceiling" 30000 500 | grep -oE '[0-9.]+ acked publishes/s' | cut -d' ' -f1 || true)
[ -z "$JS" ] && JS=$("$CARGO_TARGET_DIR/release/examples/publish_ceiling" 30000 500 | tail -1 | grep -oE '[0-9]+(\.[0-9]+)?' | head -1)
echo "   $JS publishes/s"

start_node() {
  SECKILLER_LISTEN=127.0.0.1:$PORT SECKILLER_ADMIN_PASSWORD=bench-password SECKILLER_SEED_DEMO=false \
    SECKILLER_LOG=warn SECKILLER_DATA_DIR="$WORK/data" "$@" "$BIN/seckiller" >"$WORK/node.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$WORK/node.log"; return 1
}

crowd() {
  SECKILLER_ADMIN_PASSWORD=bench-password "$BIN/seckiller-crowd" --url "http://127.0.0.1:$PORT" \
    --buyers "$BUYERS" --stock 1000000 --limit 1000 --seconds "$SECONDS_PER_RUN" --json "$1"
}

echo "== SecKiller, production wiring (Postgres + Redis + NATS), $BUYERS buyers"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $RUN" >/dev/null
start_node env SECKILLER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$RUN" SECKILLER_REDIS_URL=redis://127.0.0.1:6379 \
  SECKILLER_REDIS_KEY_PREFIX="$RUN:" SECKILLER_NATS_URL=nats://127.0.0.1:4222 SECKILLER_NATS_STREAM="$RUN"
crowd "$WORK/production.json"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

echo "== SecKiller, embedded default (SQLite, in-process gate), $BUYERS buyers"
start_node env
crowd "$WORK/embedded.json"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

python3 - "$LUA" "$JS" "$WORK/production.json" "$WORK/embedded.json" <<'PY'
import json, sys
lua, js = float(sys.argv[1]), float(sys.argv[2])
ceiling = min(lua, js)
print("\n== summary")
print(f"Lua ceiling {lua:,.0f}/s, JetStream ceiling {js:,.0f}/s -> min {ceiling:,.0f}/s")
for name, path in (("production", sys.argv[3]), ("embedded", sys.argv[4])):
    r = json.load(open(path))
    a = r["purchase_accepted"]
    print(f"{name:>10}: {r['accepted_per_second']:,.0f} accepted/s "
          f"(ratio {r['accepted_per_second']/ceiling:.2f} of min ceiling), "
          f"p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms, verdict {'CORRECT' if r['verdict']['correct'] else 'WRONG'}")
PY
