#!/usr/bin/env bash
# `npm test`: builds, then runs every test with vitest on Node >= 22.12 (installed into .tools/node when
# the machine's Node is older, as on a fresh Debian machine with Node 20). Arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(bash scripts/ensure-node.sh)
export PATH="$bin:$PATH"
npm run build
exec npx vitest run "$@"
