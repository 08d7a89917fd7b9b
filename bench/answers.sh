#!/usr/bin/env bash
# Compares SecKiller's cheapest answers with a static file served by nginx (a worker per core, as a node
# gets the same two cores): the sold-out answer (served from the node's memory), unkeyed and with
# an Idempotency-Key the sale never accepted (a signature check and a set lookup more), the activity
# detail, and the 429 of a rate-limited purchase-token request (a sale an admin limited to one
# request a second: a token check and three limit checks, then a body rendered once). Embedded
# wiring; needs Debian's nginx-light and wrk.
#
#   bash bench/answers.sh [SECONDS]
#
# SECKILLER_BIN_DIR=DIR runs the seckiller binary in DIR instead of building one (to compare two
# builds). BENCH_SCRAPE_EVERY=SECONDS scrapes the node's /metrics that often during the runs, as
# Prometheus would (to measure what scraping costs the answers).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-8}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/seckiller/target}
BIN=${SECKILLER_BIN_DIR:-$CARGO_TARGET_DIR/release}
WORK=$(mktemp -d)
PORT=${BENCH_PORT:-18481}
NGINX_PORT=${BENCH_NGINX_PORT:-18482}
server=""
scraper=""

cleanup() {
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -n "${SECKILLER_BIN_DIR:-}" ] || cargo build --release -q -p seckiller -p seckiller-crowd

rate() { grep -oE 'Requests/sec: +[0-9.]+' | grep -oE '[0-9.]+'; }

echo "== nginx, a worker per core, a static 400-byte JSON file"
mkdir -p "$WORK/www" "$WORK/logs"
head -c 400 /dev/zero | tr '\0' 'x' | sed 's/^/{"a":"/; s/$/"}/' > "$WORK/www/static.json"
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"
STATIC=$(wrk -t1 -c200 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$NGINX_PORT/static.json" | rate)
echo "   $STATIC requests/s"

echo "== SecKiller (embedded): a sold-out sale"
SECKILLER_LISTEN=127.0.0.1:$PORT SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 SECKILLER_SEED_DEMO=false \
  SECKILLER_LOG=warn SECKILLER_DATA_DIR="$WORK/data" "$BIN/seckiller" >"$WORK/node.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
if [ -n "${BENCH_SCRAPE_EVERY:-}" ]; then
  echo "   scraping /metrics every ${BENCH_SCRAPE_EVERY} s"
  ( while :; do curl -fs "http://127.0.0.1:$PORT/metrics" >/dev/null; sleep "$BENCH_SCRAPE_EVERY"; done ) &
  scraper=$!
fi
api() { curl -fsS -H 'content-type: application/json' "$@"; }
token() { api "http://127.0.0.1:$PORT/api/v1/sessions" -d "{\"username\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
ADMIN=$(token admin quiet-harbor-lantern-42)
PRODUCT=$(api -H "authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/admin/products" \
  -d '{"name":"Bench phone","price":{"amount_minor":100,"currency":"USD"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
START=$(date -u -d '-1 sec' +%FT%TZ); END=$(date -u -d '+1 hour' +%FT%TZ)
SALE=$(api -H "authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/admin/activities" \
  -d "{\"product_id\":\"$PRODUCT\",\"title\":\"Bench\",\"sale_price\":{\"amount_minor\":1,\"currency\":\"USD\"},\"total_stock\":1,\"per_user_limit\":1,\"starts_at\":\"$START\",\"ends_at\":\"$END\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -H "authorization: Bearer $ADMIN" -X POST "http://127.0.0.1:$PORT/api/v1/admin/activities/$SALE/publication" >/dev/null
for who in first second; do
  api "http://127.0.0.1:$PORT/api/v1/users" -d "{\"username\":\"$who\",\"password\":\"quiet-harbor-lantern-42\"}" >/dev/null
done
FIRST=$(token first quiet-harbor-lantern-42); SECOND=$(token second quiet-harbor-lantern-42)
buy() {
  local t; t=$(api -H "authorization: Bearer $1" -X POST "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchase-tokens" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -H "authorization: Bearer $1" \
    "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchases" -d "{\"purchase_token\":\"$t\"}"
}
echo "   first buyer: $(buy "$FIRST") (the only item)"
SECOND_TOKEN=$(api -H "authorization: Bearer $SECOND" -X POST "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchase-tokens" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("token",""))' || true)
[ -z "$SECOND_TOKEN" ] && SECOND_TOKEN=none
cat > "$WORK/sold_out.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $SECOND"
wrk.body = '{"purchase_token":"$SECOND_TOKEN"}'
LUA
curl -s -o /dev/null -w '   second buyer: %{http_code} (sets the node'"'"'s sold-out flag)\n' -H 'content-type: application/json' \
  -H "authorization: Bearer $SECOND" "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchases" -d "{\"purchase_token\":\"$SECOND_TOKEN\"}"
SOLD_OUT=$(wrk -t1 -c200 -d"${SECONDS_PER_RUN}s" -s "$WORK/sold_out.lua" "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchases" | rate)
echo "   $SOLD_OUT sold-out answers/s"
{ cat "$WORK/sold_out.lua"; echo 'wrk.headers["idempotency-key"] = "bench-never-accepted"'; } > "$WORK/sold_out_keyed.lua"
curl -s -o /dev/null -w '   a key never accepted: %{http_code}\n' -H 'content-type: application/json' -H 'idempotency-key: bench-never-accepted' \
  -H "authorization: Bearer $SECOND" "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchases" -d "{\"purchase_token\":\"$SECOND_TOKEN\"}"
SOLD_OUT_KEYED=$(wrk -t1 -c200 -d"${SECONDS_PER_RUN}s" -s "$WORK/sold_out_keyed.lua" "http://127.0.0.1:$PORT/api/v1/activities/$SALE/purchases" | rate)
echo "   $SOLD_OUT_KEYED sold-out answers/s to a key never accepted"
DETAIL=$(wrk -t1 -c200 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$PORT/api/v1/activities/$SALE" | rate)
echo "   $DETAIL activity detail reads/s"

echo "== SecKiller (embedded): a sale limited to one purchase-path request a second"
LIMITED=$(api -H "authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/admin/activities" \
  -d "{\"product_id\":\"$PRODUCT\",\"title\":\"Limited\",\"sale_price\":{\"amount_minor\":1,\"currency\":\"USD\"},\"total_stock\":1000,\"per_user_limit\":1,\"starts_at\":\"$START\",\"ends_at\":\"$END\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -H "authorization: Bearer $ADMIN" -X POST "http://127.0.0.1:$PORT/api/v1/admin/activities/$LIMITED/publication" >/dev/null
api -H "authorization: Bearer $ADMIN" -X PUT "http://127.0.0.1:$PORT/api/v1/admin/activities/$LIMITED/rate-limit" \
  -d '{"per_second":1}' >/dev/null
cat > "$WORK/limited.lua" <<LUA
wrk.method = "POST"
wrk.headers["authorization"] = "Bearer $SECOND"
LUA
curl -s -o /dev/null -w '   a first token request: %{http_code}\n' -X POST -H "authorization: Bearer $SECOND" \
  "http://127.0.0.1:$PORT/api/v1/activities/$LIMITED/purchase-tokens"
curl -s -D - -o /dev/null -X POST -H "authorization: Bearer $SECOND" \
  "http://127.0.0.1:$PORT/api/v1/activities/$LIMITED/purchase-tokens" | grep -iE '^(HTTP|retry-after)' | sed 's/^/   /'
RATE_LIMITED=$(wrk -t1 -c200 -d"${SECONDS_PER_RUN}s" -s "$WORK/limited.lua" \
  "http://127.0.0.1:$PORT/api/v1/activities/$LIMITED/purchase-tokens" | rate)
echo "   $RATE_LIMITED rate-limited answers/s"

python3 - "$STATIC" "$SOLD_OUT" "$SOLD_OUT_KEYED" "$DETAIL" "$RATE_LIMITED" <<'PY'
import sys
static, sold_out, keyed, detail, limited = map(float, sys.argv[1:])
print(f"\n== summary\nnginx static {static:,.0f}/s; sold-out {sold_out:,.0f}/s ({sold_out/static:.2f} x static); "
      f"sold-out, key never accepted {keyed:,.0f}/s ({keyed/static:.2f} x static); "
      f"activity detail {detail:,.0f}/s ({detail/static:.2f} x static); "
      f"rate-limited {limited:,.0f}/s ({limited/static:.2f} x static)")
PY
