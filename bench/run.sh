#!/usr/bin/env bash
# `npm run bench [-- <scenario> ...] [--quick] [--<size> N]`: the performance benchmark (README
# "Performance"). Installs what is missing and makes sure Postgres is up (as npm start does), builds
# the apps (the bench starts them from dist/ as separate processes) and the bench, then runs it.
# Redis is the bench's own redis-server, started on a free port; Postgres is the usual server, on the
# database BENCH_DATABASE_NAME (default dataproc_bench), emptied before every scenario.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-dependencies.sh
DATABASE_NAME="${BENCH_DATABASE_NAME:-dataproc_bench}" bash scripts/ensure-services.sh
npm run build
npx --no -- tsc -p bench/tsconfig.json
npx --no -- tsc-alias -p bench/tsconfig.json
exec node dist/bench/bench/src/main.js "$@"
