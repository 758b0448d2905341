#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked (npm ci) when node_modules is missing or older than
# package-lock.json, so `npm start` and `npm test` work on a fresh clone without a separate step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

installed=node_modules/.package-lock.json
if [ -f "$installed" ] && [ ! package-lock.json -nt "$installed" ]; then
  echo "dependencies: installed"
  exit 0
fi
echo "dependencies: installing (npm ci)"
npm ci --no-audit --no-fund </dev/null
