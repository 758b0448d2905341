#!/usr/bin/env bash
# `npm start`: run the whole system locally.
#   1. install the npm dependencies if needed (scripts/ensure-dependencies.sh), make sure Redis and
#      Postgres are up and the database exists (scripts/ensure-services.sh),
#   2. build (npm run build),
#   3. run gateway, collector, evaluator and result-generator as separate processes with prefixed,
#      coloured logs; Ctrl-C, or any app exiting, stops all four.
# The environment (REDIS_*, DATABASE_*, PORT, ...) is passed through to every app unchanged.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APPS=(gateway collector evaluator result-generator)
COLORS=(blue green magenta cyan)
# Where `npm run build` puts each app's entry point; %s is the app name.
APP_MAIN='dist/apps/%s/src/main.js'
CONCURRENTLY=node_modules/.bin/concurrently

die() {
  printf 'start: %s\n' "$*" >&2
  exit 1
}

bash scripts/ensure-dependencies.sh
[ -x "$CONCURRENTLY" ] || die "$CONCURRENTLY not found after installing the dependencies"

bash scripts/ensure-services.sh
npm run build

# A heap ceiling for every app (ADR 19), unless NODE_OPTIONS sets one: without it, Node sizes its heap from
# the machine's memory and collects lazily. Set after the build, which needs more.
case "${NODE_OPTIONS:-}" in
  *max-old-space-size*) ;;
  *) export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=256" ;;
esac

commands=()
for app in "${APPS[@]}"; do
  # shellcheck disable=SC2059 # APP_MAIN is the format
  main="$(printf "$APP_MAIN" "$app")"
  [ -f "$main" ] || die "the build did not produce $main"
  commands+=("node $main")
done

# The queue dashboard needs a login; a development one unless the environment gives its own.
if [ -z "${ADMIN_USER:-}" ] || [ -z "${ADMIN_PASSWORD:-}" ]; then
  export ADMIN_USER=admin
  ADMIN_PASSWORD="dev-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  export ADMIN_PASSWORD
  echo "queue dashboard: http://localhost:${PORT:-3000}/admin/queues (development login: $ADMIN_USER / $ADMIN_PASSWORD)"
fi

names="$(IFS=,; echo "${APPS[*]}")"
colors="$(IFS=,; echo "${COLORS[*]}")"

echo "gateway: http://localhost:${PORT:-3000}/docs; probes and metrics: /health/ready and /metrics on the gateway, and on :3001 (collector), :3002 (evaluator), :3003 (result-generator)"
exec "$CONCURRENTLY" --kill-others --names "$names" --prefix-colors "$colors" -- "${commands[@]}"
