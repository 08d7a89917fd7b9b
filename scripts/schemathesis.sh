#!/usr/bin/env bash
# Property-based API testing: runs Schemathesis against the running binary's own /openapi.json,
# signed in as the admin, and fails on any 5xx or any answer that does not match the document
# (undocumented status, wrong content type, body off its schema, bad input accepted, …). Each
# operation documents only the statuses it can answer, so that check can fail.
#
# Ids that Schemathesis cannot invent (an open sale, a purchase token, orders) come two ways: its
# stateful phase follows the document's links (a new product → a sale of it → its publication →
# a purchase token → a purchase → its order → payment or cancellation), and, since a random walk
# may not get that far, scripts/schemathesis_fixtures.py sets up such a sale, token and orders
# first and offers their ids half of the time. The run then fails too when any operation never
# answered 2xx (scripts/schemathesis_coverage.py reads the run's HAR report), so no operation is
# left tested only by its refusals.
#
# Usage: bash scripts/schemathesis.sh [extra `schemathesis run` options]
#   SECKILLER_BIN                 the binary to test (default: $CARGO_TARGET_DIR/debug/seckiller,
#                                 built beforehand with `cargo build -p seckiller --bin seckiller`)
#   SCHEMATHESIS_MAX_EXAMPLES     examples per operation and phase (default 20)
#   SCHEMATHESIS_SEED             random seed (default fixed, so a run is reproducible)
#
# Schemathesis lives in a venv under the user's cache, installed on first use at the pinned
# version below.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/seckiller/venv"
BIN="${SECKILLER_BIN:-${CARGO_TARGET_DIR:-target}/debug/seckiller}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-20}"
SEED="${SCHEMATHESIS_SEED:-20240601}"

log() { printf '== %s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
  echo "no seckiller binary at $BIN: run \`cargo build -p seckiller --bin seckiller\` or set SECKILLER_BIN" >&2
  exit 1
fi

installed_version() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}
if [ "$(installed_version)" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port that is free now; the server binds it a moment later.
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"

log "starting $BIN on $BASE"
# Only the settings below: an inherited SECKILLER_… (a database URL, a config file) would test
# something else.
for name in $(compgen -e | grep '^SECKILLER_' | grep -v '^SECKILLER_BIN$' || true); do
  unset "$name"
done
SECKILLER_LISTEN="127.0.0.1:$PORT" \
  SECKILLER_DATA_DIR="$WORK/data" \
  SECKILLER_ADMIN_USERNAME=admin \
  SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 \
  SECKILLER_TOKEN_SECRET=schemathesis-token-secret-0123456789abcdef \
  SECKILLER_SEED_DEMO=true \
  SECKILLER_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited during start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null

# Every check runs (`--checks all`); this only widens what "schema-valid request accepted"
# (positive_data_acceptance) takes as acceptance, where the answer depends on state or on rules
# that JSON Schema cannot state, never on the request's shape:
# - 410 and 425: a valid purchase-token or purchase request meets a sale that is over or called
#   off, or not open yet (the stateful phase cancels the demo sale); the same kind of answer as the
#   409 (sold out, limit reached) that Schemathesis already takes.
# - 422 for createActivity and editActivity only: a sale's window must lie in the future and end
#   after it starts, its product must exist and its price be in the product's currency, above
#   zero and below the product's price. Those
#   relate fields to each other, to the clock and to the catalogue; every rule of a single field
#   is in the document (currencies included, as the list of accepted codes), so any other 422
#   still fails. A product edit changing the currency of a product on sale, or lowering its price
#   to the sale's, answers 409 `product_on_sale`, which is already taken as acceptance.
# - 422 for register and changePassword too: a new password must be hard to guess (422
#   `weak_password`), which depends on dictionaries and patterns, not on the string's shape.
# - 422 for the operations that take an `Idempotency-Key`: Schemathesis draws the same few keys
#   for different requests, and a key that already names another request answers 422
#   `idempotency_key_reused` — the state of earlier requests, not this one's shape.
#
# The stateful phase runs more and longer scenarios than the others run examples: the journey
# the links describe (product → sale → publication → purchase token → purchase → its order →
# payment or cancellation) is seven steps long.
cat >"$WORK/schemathesis.toml" <<'TOML'
[phases.stateful]
max-steps = 12
generation.max-examples = 100

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 410, 425, 429, "5xx"]

[[operations]]
include-operation-id = ["createActivity", "editActivity", "register", "changePassword", "createProduct", "createBuyers", "publishActivity", "cancelActivity", "payOrder", "cancelOrder", "purchase"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 410, 422, 425, 429, "5xx"]
TOML

TOKEN=$(curl -fsS -X POST "$BASE/api/v1/sessions" \
  -H 'content-type: application/json' \
  -d '{"username":"admin","password":"quiet-harbor-lantern-42"}' |
  "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')

log "an open sale, a purchase token, two orders and two drafts for the operations that need real ids"
"$VENV/bin/python" scripts/schemathesis_fixtures.py "$BASE" "$TOKEN" >>"$WORK/schemathesis.toml"

log "schemathesis $SCHEMATHESIS_VERSION: $MAX_EXAMPLES examples per operation, seed $SEED"
# One worker: the server needs the other core, and with two, Python 3.11's ast.parse (which
# Hypothesis calls to describe its strategies) failed now and then with "AST constructor recursion
# depth mismatch". The run happens in $WORK so nothing is left in the work tree.
status=0
(
  cd "$WORK"
  "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --request-timeout 15 \
    --workers 1 \
    --no-color \
    --report har \
    --report-har-path "$WORK/run.har" \
    "$@"
) || status=$?

if [ "$status" = 0 ]; then
  log "statuses seen per operation"
  curl -fsS "$BASE/openapi.json" >"$WORK/openapi.json"
  "$VENV/bin/python" scripts/schemathesis_coverage.py "$WORK/openapi.json" "$WORK/run.har" || status=$?
fi

if [ "$status" != 0 ]; then
  echo "== server log" >&2
  tail -n 200 "$WORK/server.log" >&2
fi
exit "$status"
