#!/usr/bin/env bash
# Collects one `database` source of ROWS rows (default 1,000,000) with the real collector and reports
# its resident memory: at start, its peak (VmHWM) while the source streams in, and when done. Run by
# hand after `npm run build` (not part of npm test):
#
#   DATABASE_NAME=dataproc_bench bash bench/collector-rss.sh
#
# It starts a gateway and a collector from dist/ (no evaluator: the task stops after collect and is
# cancelled), on a queue prefix of its own, with the source table in the same Postgres database.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS="${ROWS:-1000000}"
export DATABASE_NAME="${DATABASE_NAME:-dataproc_bench}"
export DATABASE_HOST="${DATABASE_HOST:-127.0.0.1}" DATABASE_PORT="${DATABASE_PORT:-5432}"
export DATABASE_USER="${DATABASE_USER:-postgres}" DATABASE_PASSWORD="${DATABASE_PASSWORD:-postgres}"
export QUEUE_PREFIX="bench-rss-$$" PORT="${BENCH_PORT:-3900}" HEALTH_PORT=0 LOG_LEVEL=log
# One attempt, and time enough for a million rows (a source attempt and a collect job are both bounded).
export DATA_SOURCE_MODE=live COLLECT_SOURCE_TIMEOUT_MS=600000 COLLECT_MAX_ATTEMPTS=1 QUEUE_JOB_TIMEOUT_MS=1800000
export EVALUATE_CHUNK_SIZE=1000 DATA_SOURCE_MAX_RECORDS="$ROWS" DATA_SOURCE_STATEMENT_TIMEOUT_MS=1800000
url="postgres://$DATABASE_USER:$DATABASE_PASSWORD@$DATABASE_HOST:$DATABASE_PORT/$DATABASE_NAME"
export DATA_SOURCE_CONNECTIONS="{\"bench\": \"$url\"}"
table="bench_rows_$$"
psql_() { PGPASSWORD="$DATABASE_PASSWORD" psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$DATABASE_HOST" -p "$DATABASE_PORT" -U "$DATABASE_USER" "$@"; }

bash scripts/ensure-services.sh >/dev/null
psql_ -d "$DATABASE_NAME" -c "CREATE TABLE $table (id int PRIMARY KEY, body text)"
psql_ -d "$DATABASE_NAME" -c "INSERT INTO $table SELECT g, 'review ' || g || ' ' || repeat(md5(g::text), 3) FROM generate_series(1, $ROWS) g"

node dist/apps/gateway/src/main.js >/tmp/bench-gateway.log 2>&1 &
gateway=$!
node dist/apps/collector/src/main.js >/tmp/bench-collector.log 2>&1 &
collector=$!
cleanup() {
  kill "$gateway" "$collector" 2>/dev/null || true
  wait "$gateway" "$collector" 2>/dev/null || true
  psql_ -d "$DATABASE_NAME" -c "DROP TABLE IF EXISTS $table" >/dev/null || true
}
trap cleanup EXIT

kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
alive() { kill -0 "$1" 2>/dev/null || { echo "$2 exited:" >&2; tail -5 "/tmp/bench-$2.log" >&2; exit 1; }; }
until curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null; do alive "$gateway" gateway; sleep 0.5; done
until grep -q "Collector started" /tmp/bench-collector.log; do alive "$collector" collector; sleep 0.5; done
start_kb="$(kb "$collector" VmRSS)"

body="{\"data_sources\":[{\"id\":\"big\",\"type\":\"database\",\"connection\":\"bench\",\"query\":\"SELECT id, body FROM $table ORDER BY id\",\"id_field\":\"id\",\"text_field\":\"body\"}],\"llm_config\":{\"model\":\"m\"},\"dimensions\":[{\"id\":\"d\",\"name\":\"Quality\",\"threshold\":0.5}]}"
id="$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/tasks" -H 'content-type: application/json' -d "$body" | sed -E 's/.*"id":"([^"]+)".*/\1/')"
started=$SECONDS
samples=()
while :; do
  samples+=("$(kb "$collector" VmRSS)")
  state="$(curl -sf "http://127.0.0.1:$PORT/api/v1/tasks/$id")"
  case "$state" in *'"status":"pending"'* | *'"status":"running","stage":"collect"'*) ;; *) break ;; esac
  sleep 1
done
peak_kb="$(kb "$collector" VmHWM)"
end_kb="$(kb "$collector" VmRSS)"
records="$(echo "$state" | sed -E 's/.*"records_total":([0-9]+).*/\1/')"
curl -sf -X DELETE "http://127.0.0.1:$PORT/api/v1/tasks/$id" >/dev/null || true
psql_ -d "$DATABASE_NAME" -c "DELETE FROM tasks WHERE id = '$id'" >/dev/null
sorted="$(printf '%s\n' "${samples[@]}" | sort -n)"
echo "collected $records of $ROWS rows in $((SECONDS - started)) s"
[ "$records" = "$ROWS" ] || echo "the task: $state" >&2
echo "collector RSS: $((start_kb / 1024)) MiB at start, peak (VmHWM) $((peak_kb / 1024)) MiB, $((end_kb / 1024)) MiB at the end"
echo "RSS sampled once a second while collecting: min $(( $(echo "$sorted" | head -1) / 1024 )) MiB, max $(( $(echo "$sorted" | tail -1) / 1024 )) MiB over ${#samples[@]} samples"
