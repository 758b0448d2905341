#!/usr/bin/env bash
# `npm test`: run every test tier against real Redis and Postgres.
#   1. install the npm dependencies if needed, make sure the services are up and the test database
#      exists; the whole run uses DATABASE_NAME=$TEST_DATABASE_NAME (default dataproc_test), never
#      the dev database,
#   2. lint (type-aware rules and import boundaries, eslint.config.mjs), then build (the e2e tests start
#      the built apps),
#   3. unit, then integration, then e2e, then deploy (manifests rendered, validated and their commands
#      run), stopping at the first tier that fails.
# Extra arguments go to every jest call, e.g. `npm test -- --verbose`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export TEST_DATABASE_NAME="${TEST_DATABASE_NAME:-dataproc_test}"
export DATABASE_NAME="$TEST_DATABASE_NAME"
# The tests of `database` sources read from a real MariaDB/MySQL too.
export ENSURE_MYSQL=1

TIERS=(unit integration e2e deploy)
# A tier that hangs (a leaked handle keeps jest alive) fails instead of stalling the run. The e2e tier takes
# about 10 minutes on a quiet 2-core machine (22 suites, each starting the apps as processes); 20 leaves room.
TIER_TIMEOUT_SECONDS="${TIER_TIMEOUT_SECONDS:-1200}"
declare -A TIER_ARGS=(
  [unit]="--selectProjects unit"
  [integration]="--selectProjects integration --runInBand"
  [e2e]="--selectProjects e2e --runInBand"
  [deploy]="--selectProjects deploy --runInBand"
)
declare -A RESULT=()
REPORTS="$(mktemp -d)"
trap 'rm -rf "$REPORTS"' EXIT

summary() {
  local tier
  echo
  echo "test summary (database $DATABASE_NAME):"
  for tier in "${TIERS[@]}"; do
    printf '  %-12s %s\n' "$tier" "${RESULT[$tier]:-not run}"
  done
  # One closing line over all tiers that ran, in the plain "N passed, N failed" form CI reads.
  node -e '
    const fs = require("fs");
    let passed = 0, failed = 0, skipped = 0;
    for (const file of fs.readdirSync(process.argv[1])) {
      const report = JSON.parse(fs.readFileSync(`${process.argv[1]}/${file}`, "utf8"));
      passed += report.numPassedTests; failed += report.numFailedTests; skipped += report.numPendingTests + report.numTodoTests;
    }
    console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  ' "$REPORTS"
}

if ! bash scripts/ensure-dependencies.sh; then
  echo "test: could not install the npm dependencies; no tier ran" >&2
  exit 1
fi
if ! bash scripts/ensure-services.sh; then
  echo "test: Redis/Postgres are not ready (see above); no tier ran" >&2
  exit 1
fi
if ! bash scripts/ensure-test-tools.sh; then
  echo "test: promtool or chromium is missing (see above); no tier ran" >&2
  exit 1
fi
if ! npm run lint; then
  echo "test: npm run lint found problems; no tier ran" >&2
  exit 1
fi
if ! npm run build; then
  echo "test: npm run build failed; no tier ran" >&2
  exit 1
fi

for tier in "${TIERS[@]}"; do
  echo
  echo "=== $tier tests ==="
  started=$SECONDS
  read -r -a args <<<"${TIER_ARGS[$tier]}"
  status=0
  timeout --kill-after=30 "$TIER_TIMEOUT_SECONDS" npx --no -- jest "${args[@]}" --json --outputFile="$REPORTS/$tier.json" "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    RESULT[$tier]="FAILED (exit $status, $((SECONDS - started))s)"
    summary
    exit "$status"
  fi
  RESULT[$tier]="passed ($((SECONDS - started))s)"
done
summary
