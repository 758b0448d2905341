#!/usr/bin/env bash
# `bash bench/against.sh <commit> [<scenario> ...] [--quick] [--<size> N ...]`: this checkout's benchmark
# run against the apps as they were at <commit>, on this machine, so a figure can be read beside the
# same figure of older code measured the same way (the machine's speed drifts between runs; see the
# speed probe in each report). Results land in bench/results as <time>-at-<commit>.md|json.
#
# The commit's apps are built in a temporary worktree (with this checkout's node_modules when the
# lockfiles match, else their own `npm ci`) and measured on a database of their own
# (<BENCH_DATABASE_NAME>_at_<commit>), so their migrations never meet this checkout's schema. Works for
# commits since the benchmark exists (13858df): older apps may not take the settings it passes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: bash bench/against.sh <commit> [bench arguments]" >&2; exit 2; }
commit="$(git rev-parse --short "$1^{commit}")"
shift

bash scripts/ensure-dependencies.sh
database="${BENCH_DATABASE_NAME:-dataproc_bench}_at_${commit}"
DATABASE_NAME="$database" bash scripts/ensure-services.sh

worktree="$(mktemp -d)/apps-at-${commit}"
git worktree add --detach --quiet "$worktree" "$commit"
trap 'git worktree remove --force "$worktree"' EXIT
if cmp -s package-lock.json "$worktree/package-lock.json"; then
  ln -s "$PWD/node_modules" "$worktree/node_modules"
else
  (cd "$worktree" && npm ci --no-audit --no-fund)
fi
(cd "$worktree" && npm run build)

# This checkout's bench, placed in the worktree's dist/: it starts the apps of the checkout it lies in.
npx --no -- tsc -p bench/tsconfig.json --outDir "$worktree/dist/bench"
npx --no -- tsc-alias -p bench/tsconfig.json --outDir "$worktree/dist/bench"
BENCH_DATABASE_NAME="$database" node "$worktree/dist/bench/bench/src/main.js" --label "$commit" --out "$PWD/bench/results" "$@"
