#!/usr/bin/env bash
# Times signing in with a wrong password for an existing account and for a username nobody has:
# the two must cost the same (the unknown name is checked against a stand-in hash), or the
# answer's timing tells which usernames exist. A malformed username (refused before any lookup
# or hashing) is timed beside them: what an unknown name cost when it skipped the hash. Embedded
# wiring, sign-in rate limits off; prints p10, median and p90 of each, in milliseconds.
#
#   bash bench/sign_in_timing.sh [ATTEMPTS] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."

ATTEMPTS=${1:-50}
PROFILE=${2:-release}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/seckiller/target}
BIN=$CARGO_TARGET_DIR/$PROFILE
WORK=$(mktemp -d)
PORT=${BENCH_PORT:-18491}
server=""

cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$PROFILE" = release ]; then
  cargo build --release -q -p seckiller
else
  cargo build -q -p seckiller
fi

SECKILLER_LISTEN=127.0.0.1:$PORT SECKILLER_ADMIN_PASSWORD=quiet-harbor-lantern-42 SECKILLER_SEED_DEMO=false \
  SECKILLER_RATE_LIMIT_SIGN_IN_PER_MINUTE=0 SECKILLER_RATE_LIMIT_SIGN_IN_IP_PER_MINUTE=0 \
  SECKILLER_LOG=warn SECKILLER_DATA_DIR="$WORK/data" "$BIN/seckiller" >"$WORK/node.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
URL="http://127.0.0.1:$PORT/api/v1"
curl -fsS -o /dev/null -H 'content-type: application/json' "$URL/users" \
  -d '{"username":"olivia","password":"maple-otter-canoe-47"}'

# One sign-in; prints its status and total time in milliseconds.
attempt() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'content-type: application/json' \
    "$URL/sessions" -d "{\"username\":\"$1\",\"password\":\"wrong-otter-canoe-47\"}" |
    awk '{ printf "%s %.3f\n", $1, $2 * 1000 }'
}

# Alternating, so both see the same machine.
: >"$WORK/existing"; : >"$WORK/missing"; : >"$WORK/malformed"
for _ in $(seq 1 "$ATTEMPTS"); do
  attempt olivia >>"$WORK/existing"
  attempt "nobody$RANDOM" >>"$WORK/missing"
  attempt "x" >>"$WORK/malformed"
done

summary() {
  awk '{ print $2 }' "$1" | sort -n | awk -v label="$2" '
    { v[NR] = $1 }
    END {
      printf "%-38s n=%d  p10 %.1f ms  median %.1f ms  p90 %.1f ms  min %.1f  max %.1f\n",
        label, NR, v[int(NR * 0.1) + 1], v[int(NR * 0.5) + 1], v[int(NR * 0.9)], v[1], v[NR]
    }'
  awk '{ print $1 }' "$1" | sort | uniq -c | awk -v label="$2" '{ printf "%-38s %d answers %s\n", label, $1, $2 }'
}
summary "$WORK/existing" "wrong password, existing user"
summary "$WORK/missing" "unknown username"
summary "$WORK/malformed" "malformed username (no hashing)"
