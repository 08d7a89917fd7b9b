#!/usr/bin/env bash
# Measures, in one run on this machine, the ceilings SecKiller is bounded by — the gate's Lua
# script under redis-benchmark, acked JetStream publishes, pgbench on a hot-row UPDATE, nginx
# serving a static page — and then SecKiller itself under a crowd: the production wiring with the
# Redis gate, the same with the database-only gate (the baseline), 2,000 buyers for latency, the
# embedded default, and the cheapest answers (bench/answers.sh); during the production rush it
# splits the CPU between the processes (bench/cpu_split.sh). Prints the figures with their ratios
# and rewrites the figures block of docs/benchmarks.md.
#
#   bash bench/limits.sh [BUYERS=500] [SECONDS=10]
#
# Needs the local Postgres, Redis and NATS that .ci/run starts; installs nginx-light and wrk.
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
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  redis-cli --scan --pattern "$RUN*" | xargs -r redis-cli del >/dev/null
  python3 bench/drop_streams.py "$RUN" || true
  for db in "$RUN" "${RUN}_db" "${RUN}_big" "${RUN}_pgbench"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "== installing nginx-light and wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
    break
  fi
done

echo "== building (release)"
cargo build --release -q -p seckiller -p seckiller-crowd
cargo build --release -q -p seckiller-nats --example publish_ceiling

echo "== ceiling: the gate's Lua script under redis-benchmark (500 clients)"
SHA=$(redis-cli SCRIPT LOAD "$(cat infrastructure/redis/src/scripts/take.lua)")
K="$RUN{act:bench}"
redis-cli SET "$K:stock" 1000000000 >/dev/null
redis-cli SET "$K:limit" 1000000000 >/dev/null
# The server's identity, as the gate writes it with each load and checks it with each take.
EPOCH=$(redis-cli INFO server | tr -d '\r' | sed -n 's/^run_id://p')
redis-cli SET "$K:epoch" "$EPOCH" >/dev/null
# As the service calls it on a single Redis: the loading server's identity as the sixth key,
# the purchase-id lookup as the seventh.
LUA=$(redis-benchmark -q -c 500 -n 300000 -r 1000000000 \
  EVALSHA "$SHA" 7 "$K:stock" "$K:limit" "$K:buyers" "$K:purchases" "$K:returned" "$K:epoch" "${RUN}purchase:__rand_int__" \
  __rand_int__ __rand_int__ 1 "1|bench|buyer|1|9900|USD|2026-01-01T00:00:00Z" 0 "$EPOCH" 99999999999999 bench 86400 \
  | tr '\r' '\n' | grep -oE '[0-9.]+ requests per second' | tail -1 | cut -d' ' -f1)
echo "   $LUA scripts/s"

echo "== ceiling: acked JetStream publishes (500 in flight)"
JS=$("$BIN/examples/publish_ceiling" 30000 500 | grep -oE '[0-9]+(\.[0-9]+)? acked publishes/s' | cut -d' ' -f1 || true)
[ -z "$JS" ] && JS=$("$BIN/examples/publish_ceiling" 30000 500 | tail -1 | grep -oE '[0-9]+(\.[0-9]+)?' | head -1)
echo "   $JS publishes/s"

echo "== ceiling: pgbench, one hot row, guarded UPDATE (64 clients)"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${RUN}_pgbench" >/dev/null
psql -h 127.0.0.1 -U postgres -d "${RUN}_pgbench" -qc \
  "CREATE TABLE hot (id int PRIMARY KEY, available bigint NOT NULL); INSERT INTO hot VALUES (1, 1000000000000)" >/dev/null
echo 'UPDATE hot SET available = available - 1 WHERE id = 1 AND available >= 1;' > "$WORK/hot.sql"
PG=$(pgbench -h 127.0.0.1 -U postgres -n -c 64 -j 2 -T "$SECONDS_PER_RUN" -f "$WORK/hot.sql" "${RUN}_pgbench" 2>/dev/null \
  | grep -oE 'tps = [0-9.]+' | head -1 | cut -d' ' -f3)
echo "   $PG updates/s"

start_node() {
  SECKILLER_LISTEN=127.0.0.1:$PORT SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 SECKILLER_SEED_DEMO=false \
    SECKILLER_LOG=warn SECKILLER_DATA_DIR="$WORK/data" "$@" "$BIN/seckiller" >"$WORK/node.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$WORK/node.log"; return 1
}

stop_node() {
  ps -o rss= -p "$server" | tr -d ' ' > "$WORK/$1.rss"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

crowd() {
  local name=$1 buyers=$2
  ulimit -n 65536 2>/dev/null || true
  SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 "$BIN/seckiller-crowd" --url "http://127.0.0.1:$PORT" --quiet \
    --buyers "$buyers" --stock 1000000 --limit 1000 --seconds "$SECONDS_PER_RUN" \
    --pay-probability 0 --no-wait-expiry --follow-after-rush --settle-timeout 300 --json "$WORK/$name.json" --html "$WORK/$name.html" >/dev/null
}

production() {
  local db=$1
  shift
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
  # A node on Postgres signs with a key it is given (nodes must share it), never one it makes.
  start_node env SECKILLER_TOKEN_SECRET=bench-secret-bench-secret-bench-secret \
    SECKILLER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" SECKILLER_REDIS_URL=redis://127.0.0.1:6379 \
    SECKILLER_REDIS_KEY_PREFIX="$db:" SECKILLER_NATS_URL=nats://127.0.0.1:4222 SECKILLER_NATS_STREAM="$db" "$@"
}

echo "== SecKiller, production wiring (Postgres + Redis + NATS), $BUYERS buyers"
production "$RUN"
# The CPU split over five seconds in the middle of the rush (it opens about three seconds in).
bash bench/cpu_split.sh 5 6 > "$WORK/production.cpu" &
split=$!
crowd production "$BUYERS"
wait "$split"
stop_node production

echo "== SecKiller, production wiring with the database-only gate (the baseline), $BUYERS buyers"
production "${RUN}_db" SECKILLER_STOCK_GATE=database
crowd database_gate "$BUYERS"
stop_node database_gate

echo "== SecKiller, production wiring, 2000 buyers"
production "${RUN}_big"
crowd crowd2000 2000
stop_node crowd2000

echo "== SecKiller, embedded default (SQLite, in-process gate), $BUYERS buyers"
start_node env
crowd embedded "$BUYERS"
stop_node embedded

echo "== the cheapest answers against nginx (bench/answers.sh)"
bash bench/answers.sh "$SECONDS_PER_RUN" | tee "$WORK/answers.txt"

python3 - "$WORK" "$LUA" "$JS" "$PG" "$BUYERS" <<'PY'
import json, pathlib, re, sys
work, lua, js, pg, buyers = pathlib.Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
ceiling = min(lua, js)
answers = (work / "answers.txt").read_text()
def figure(label):
    m = re.search(r"([0-9.]+) " + label, answers)
    return float(m.group(1)) if m else float("nan")
static, sold_out, detail = figure("requests/s"), figure("sold-out answers/s"), figure("activity detail reads/s")

def run(name):
    r = json.loads((work / f"{name}.json").read_text())
    purchase = next(l for l in r["latency"] if l["endpoint"] == "purchase")
    samples = [s for s in r["stats_samples"] if s["t_ms"] >= r["rush"]["seconds"] * 1000]
    drained = next((s["t_ms"] for s in samples if s["queue_lag"] == 0), None)
    lag_after = None if drained is None else max(0.0, drained / 1000 - r["rush"]["seconds"])
    rss = int((work / f"{name}.rss").read_text() or 0) / 1024
    return r, purchase, lag_after, rss

rows = []
for name, label in (("production", f"production wiring, Redis gate, {buyers} buyers"),
                    ("database_gate", f"production wiring, database-only gate, {buyers} buyers"),
                    ("crowd2000", "production wiring, Redis gate, 2,000 buyers"),
                    ("embedded", f"embedded default, {buyers} buyers")):
    r, p, lag, rss = run(name)
    verdict = "correct" if r["verdict"]["correct"] else "WRONG"
    lag_text = "0 at the verdict" if lag is None else f"{lag:.1f} s"
    rows.append((name, label, r["rush"]["accepted_per_second"], p["p50_ms"], p["p99_ms"], lag_text, rss, verdict, r["rush"]["accepted"]))

by = {row[0]: row for row in rows}
lines = [
    "| what | throughput | p50 | p99 | lag back to 0 after the rush | node RSS | verdict |",
    "|---|---:|---:|---:|---:|---:|---|",
    f"| Lua script alone (redis-benchmark, 500 clients) | {lua:,.0f} /s | | | | | |",
    f"| acked JetStream publishes alone (500 in flight) | {js:,.0f} /s | | | | | |",
    f"| pgbench, one hot row, guarded UPDATE (64 clients) | {pg:,.0f} /s | | | | | |",
    f"| nginx, static 400-byte file, a worker per core | {static:,.0f} /s | | | | | |",
]
for name, label, tps, p50, p99, lag, rss, verdict, accepted in rows:
    lines.append(f"| SecKiller, {label} | **{tps:,.0f} accepted /s** | {p50:.1f} ms | {p99:.1f} ms | {lag} | {rss:,.0f} MiB | {verdict} ({accepted:,} purchases) |")
lines.append(f"| SecKiller, sold-out answer (embedded) | {sold_out:,.0f} /s | | | | | |")
lines.append(f"| SecKiller, activity detail read (embedded, cached) | {detail:,.0f} /s | | | | | |")
lines += [
    "",
    "| ratio | value | target |",
    "|---|---:|---:|",
    f"| purchase path / min(Lua, JetStream) | {by['production'][2] / ceiling:.2f} | ≥ 0.5 |",
    f"| Redis gate / database-only gate | {by['production'][2] / by['database_gate'][2]:.1f} × | ≥ 20 × |",
    f"| sold-out answers / nginx static | {sold_out / static:.2f} | ≥ 1.0 |",
    f"| cached detail reads / nginx static | {detail / static:.2f} | ≥ 1.0 |",
    f"| p99 purchase latency at 2,000 buyers | {by['crowd2000'][4]:.0f} ms | < 50 ms |",
]
# Where the two cores went during the production rush, per accepted purchase.
shares = {}
for line in (work / "production.cpu").read_text().splitlines():
    name, share = line.split()[:2]
    shares[name] = float(share)
rate = by["production"][2]
others = sum(v for k, v in shares.items() if k != "seckiller")
lines += [
    "",
    f"CPU during the production rush ({buyers} buyers, {rate:,.0f} accepted/s; `bench/cpu_split.sh`):",
    "",
    "| process | share of one core | CPU per accepted purchase |",
    "|---|---:|---:|",
]
for name in ("seckiller", "seckiller-crowd", "postgres", "redis-server", "nats-server"):
    if name in shares:
        lines.append(f"| {name} | {shares[name]:.0f} % | {shares[name] / 100 / rate * 1e6:.0f} µs |")
per_purchase = others / 100 / rate * 1e6
lines.append(f"| everything but SecKiller | {others:.0f} % | {per_purchase:.0f} µs: at most {2e6 / per_purchase:,.0f} purchases/s on two cores even if SecKiller cost nothing |")
table = "\n".join(lines)
print("\n== summary\n" + table)
doc = pathlib.Path("docs/benchmarks.md")
text = doc.read_text()
start, end = "<!-- figures:start -->", "<!-- figures:end -->"
if start in text and end in text:
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    import datetime
    stamp = datetime.date.today().isoformat()
    doc.write_text(f"{head}{start}\nMeasured {stamp} by `bash bench/limits.sh {buyers}`.\n\n{table}\n{end}{tail}")
    print("\n(docs/benchmarks.md updated)")
PY
