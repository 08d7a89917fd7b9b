#!/usr/bin/env bash
# Splits the machine's CPU between the processes of a rush: samples each one's CPU time (user +
# system, from /proc) over a window and prints each one's share of a core. Run it while a rush is
# going on, e.g. from bench/limits.sh; divide by the accepted purchases per second to get the CPU
# each process spends per purchase.
#
#   bash bench/cpu_split.sh [WINDOW_SECONDS=5] [DELAY_SECONDS=0]
set -euo pipefail

WINDOW=${1:-5}
DELAY=${2:-0}
TICKS=$(getconf CLK_TCK)
sleep "$DELAY"

# CPU ticks per process name, summed over every process of that name.
ticks() {
  for name in seckiller seckiller-crowd redis-server nats-server postgres; do
    local total=0
    for pid in $(pgrep -x "$name" || true); do
      # Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
      local t
      t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
      total=$((total + ${t:-0}))
    done
    echo "$name $total"
  done
}

before=$(ticks)
sleep "$WINDOW"
after=$(ticks)
join <(echo "$before" | sort) <(echo "$after" | sort) | while read -r name b a; do
  awk -v n="$name" -v d=$((a - b)) -v w="$WINDOW" -v hz="$TICKS" 'BEGIN { printf "%-16s %5.1f %% of a core\n", n, 100 * d / hz / w }'
done
