#!/usr/bin/env bash
# Longer fault runs: two SecKiller nodes on a Redis, a NATS JetStream and a Postgres of their own
# (private servers on free ports in a scratch directory — the shared ones are never touched),
# a crowd (seckiller-crowd, spread over both nodes) buying for DURATION seconds, and one kind of
# fault injected again and again while it runs: right after the opening and then every EVERY
# seconds, the server goes down for DOWN seconds. Ends with the crowd's verdict and `seckiller check`; exits with the crowd's status
# (0 correct, 1 incorrect, 2 could not run). The tests in tests/tests/outages.rs are the short,
# single-fault versions of these runs.
#
#   bash bench/outages.sh FAULT [DURATION=60] [EVERY=15] [DOWN=3] [BUYERS=5000] [STOCK=2000]
#
# FAULT: redis-empty (kill -9, restart empty), redis-aof (kill -9, restart from the append-only
# file), redis-freeze (SIGSTOP, then SIGCONT), nats (kill -9, restart on the same store),
# postgres (pg_ctl stop -m immediate, then start), node (kill -9 the second node, start it again).
# PROFILE=debug uses debug builds (default release); OUT=dir keeps the logs and the reports.
set -euo pipefail
cd "$(dirname "$0")/.."

FAULT=${1:?"usage: bash bench/outages.sh FAULT [DURATION] [EVERY] [DOWN] [BUYERS] [STOCK]"}
DURATION=${2:-60}
EVERY=${3:-15}
DOWN=${4:-3}
BUYERS=${5:-5000}
STOCK=${6:-2000}
PROFILE=${PROFILE:-release}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/seckiller/target}
case "$PROFILE" in
  release) BIN=$CARGO_TARGET_DIR/release; BUILD=(--release) ;;
  *) BIN=$CARGO_TARGET_DIR/debug; BUILD=() ;;
esac
case "$FAULT" in
  redis-empty|redis-aof|redis-freeze|nats|postgres|node) ;;
  *) echo "unknown fault $FAULT" >&2; exit 2 ;;
esac

WORK=$(mktemp -d)
OUT_GIVEN=${OUT:-}
OUT=${OUT:-$WORK/out}
mkdir -p "$OUT" "$WORK/redis" "$WORK/nats" "$WORK/pg"
chmod 755 "$WORK" # the postgres user must reach its data directory
REDIS_PID= NATS_PID= CROWD_PID=
NODE_PIDS=()

log() { printf '== outages: %s\n' "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Postgres refuses to run as root: as root, its commands run as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

cleanup() {
  for pid in "${NODE_PIDS[@]}" $CROWD_PID $NATS_PID; do
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$REDIS_PID" ]; then kill -CONT "$REDIS_PID" 2>/dev/null || true; kill -9 "$REDIS_PID" 2>/dev/null || true; fi
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" stop -m immediate >/dev/null 2>&1 || true
  if [ -n "$OUT_GIVEN" ]; then cp "$WORK/pg/postgres.log" "$OUT/" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "$what did not come up" >&2
  exit 2
}

REDIS_PORT=$(free_port) NATS_PORT=$(free_port) NATS_MONITOR=$(free_port) PG_PORT=$(free_port)
REDIS_APPENDONLY=no
[ "$FAULT" = redis-aof ] && REDIS_APPENDONLY=yes

start_redis() {
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly "$REDIS_APPENDONLY" \
    --dir "$WORK/redis" >>"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  wait_for redis-server redis-cli -p "$REDIS_PORT" ping
}
start_nats() {
  nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR" -sd "$WORK/nats" >>"$OUT/nats.log" 2>&1 &
  NATS_PID=$!
  wait_for nats-server curl -fsS "http://127.0.0.1:$NATS_MONITOR/healthz"
}
start_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/postgres.log" \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
}

NODE_PORTS=("$(free_port)" "$(free_port)")
start_node() { # index
  local i=$1
  SECKILLER_LISTEN="127.0.0.1:${NODE_PORTS[$i]}" \
    SECKILLER_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    SECKILLER_DATA_DIR="$WORK" \
    SECKILLER_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    SECKILLER_NATS_URL="nats://127.0.0.1:$NATS_PORT" \
    SECKILLER_ADMIN_USERNAME=admin SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 \
    SECKILLER_TOKEN_SECRET=outages-secret-outages-secret-outages \
    SECKILLER_SEED_DEMO=false SECKILLER_LOG=warn \
    "$BIN/seckiller" serve >>"$OUT/node$i.log" 2>&1 &
  NODE_PIDS[$i]=$!
  wait_for "node $i" curl -fsS "http://127.0.0.1:${NODE_PORTS[$i]}/readyz"
}

log "building ($PROFILE)"
cargo build "${BUILD[@]}" -q -p seckiller -p seckiller-crowd --bins

log "starting Redis :$REDIS_PORT, NATS :$NATS_PORT, Postgres :$PG_PORT"
chown postgres:postgres "$WORK/pg" 2>/dev/null || true
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
start_postgres
start_redis
start_nats
start_node 0
start_node 1
URLS="http://127.0.0.1:${NODE_PORTS[0]},http://127.0.0.1:${NODE_PORTS[1]}"
log "nodes at $URLS"

down() {
  case "$FAULT" in
    redis-empty|redis-aof) kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true ;;
    redis-freeze) kill -STOP "$REDIS_PID" ;;
    nats) kill -9 "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true ;;
    postgres) as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" stop -m immediate >/dev/null ;;
    node) kill -9 "${NODE_PIDS[1]}"; wait "${NODE_PIDS[1]}" 2>/dev/null || true ;;
  esac
}
up() {
  case "$FAULT" in
    redis-empty) rm -rf "$WORK/redis" && mkdir -p "$WORK/redis" && start_redis ;;
    redis-aof) start_redis ;;
    redis-freeze) kill -CONT "$REDIS_PID" ;;
    nats) start_nats ;;
    postgres) start_postgres ;;
    node) start_node 1 ;;
  esac
}

log "crowd: $BUYERS buyers, stock $STOCK, $DURATION s; $FAULT down for $DOWN s every $EVERY s"
"$BIN/seckiller-crowd" --url "$URLS" --admin-password quiet-harbor-lantern-42 \
  --buyers "$BUYERS" --stock "$STOCK" --limit 2 --seconds "$DURATION" --opens-in 3 \
  --pay-probability 0.7 --payment-window 10 --settle-timeout 60 --quiet \
  --json "$OUT/report.json" --html "$OUT/report.html" >"$OUT/crowd.out" 2>&1 &
CROWD_PID=$!

sleep 4 # setup and the opening: the first fault comes while the rush is on
faults=0
while kill -0 "$CROWD_PID" 2>/dev/null; do
  faults=$((faults + 1))
  log "fault $faults: $FAULT down"
  down
  sleep "$DOWN"
  up
  log "fault $faults: $FAULT back"
  sleep "$EVERY"
done
status=0
wait "$CROWD_PID" || status=$?
CROWD_PID=
tail -n 30 "$OUT/crowd.out"

log "seckiller check"
SECKILLER_TOKEN_SECRET=outages-secret-outages-secret-outages \
  SECKILLER_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
  SECKILLER_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" SECKILLER_NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  SECKILLER_DATA_DIR="$WORK" SECKILLER_LOG=warn "$BIN/seckiller" check || status=$((status == 0 ? 1 : status))
log "$faults faults of $FAULT; crowd exit $status${OUT_GIVEN:+; logs and reports in $OUT}"
exit "$status"
