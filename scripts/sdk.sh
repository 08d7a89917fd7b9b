#!/usr/bin/env bash
# The TypeScript SDK (sdk/typescript): regenerates its types, src/schema.d.ts, from the committed
# OpenAPI document docs/openapi.json with openapi-typescript, then type-checks the SDK.
#
# Usage: bash scripts/sdk.sh [--check]
#   --check   regenerate into a temporary file instead and fail, showing the difference, when the
#             committed src/schema.d.ts is not what docs/openapi.json generates (CI runs this)
#
# docs/openapi.json itself comes from `seckiller openapi`; a Rust test fails when it drifts
# from the code. Regenerate that first, then this.
set -euo pipefail
cd "$(dirname "$0")/../sdk/typescript"

check=
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *)
    echo "usage: bash scripts/sdk.sh [--check]" >&2
    exit 2
    ;;
esac

log() { printf '== %s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: the SDK needs Node.js 20+ with npm" >&2
  exit 1
fi

log "npm ci (sdk/typescript)"
npm ci --no-audit --no-fund --loglevel=error

SPEC=../../docs/openapi.json
if [ -n "$check" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT INT TERM
  log "generating from docs/openapi.json into a temporary file"
  npx --no-install openapi-typescript "$SPEC" -o "$WORK/schema.d.ts"
  if ! diff -u src/schema.d.ts "$WORK/schema.d.ts" >"$WORK/schema.diff"; then
    head -n 200 "$WORK/schema.diff" >&2
    echo "sdk/typescript/src/schema.d.ts is stale: run \`bash scripts/sdk.sh\` and commit it" >&2
    exit 1
  fi
  log "src/schema.d.ts matches docs/openapi.json"
else
  log "generating src/schema.d.ts from docs/openapi.json"
  npx --no-install openapi-typescript "$SPEC" -o src/schema.d.ts
fi

log "type-checking the SDK"
npx --no-install tsc --noEmit
log "SDK ok"
