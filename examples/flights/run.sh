#!/usr/bin/env bash
# The flights example end to end, on the embedded default (SQLite state and
# online store): prepare the data, validate, plan, apply, list, describe, build
# a point-in-time training set, materialize the last two days, read online
# features, and show the quality log. Stops at the first failing step.
#
#   npm run example            # = npm run build && bash examples/flights/run.sh
#
# Environment: FLIGHTS_NO_SHIFT=1 keeps the original 2001 dates (default: the
# data is shifted by whole hours so that it ends at the last completed hour, UTC).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
project=examples/flights
data="$project/data"

fail() {
  echo >&2
  echo "run.sh: $1" >&2
  exit "${2:-1}"
}

# step NAME COMMAND...: print the command, run it, stop with a clear message if it fails.
step() {
  local name="$1"
  shift
  echo
  echo "==> $name"
  if [ "$1" = fg ]; then echo "\$ featureguard --project $project ${*:2}"; else echo "\$ $*"; fi
  "$@"
  local code=$?
  if [ "$code" -ne 0 ]; then
    fail "step '$name' failed (exit code $code). Fix the problem above and run 'bash examples/flights/run.sh' again." "$code"
  fi
}

fg() {
  node bin/featureguard.js --project "$project" "$@"
}

[ -f dist/cli/main.js ] || fail "dist/ is missing: run 'npm run build' first (or 'npm run example', which builds)."
[ -f node_modules/vega-datasets/data/flights-3m.parquet ] || fail "node_modules/vega-datasets is missing: run 'npm ci' first."

prepare_args=()
[ "${FLIGHTS_NO_SHIFT:-}" = "1" ] && prepare_args+=(--no-shift)
# ${a[@]+"${a[@]}"}: an empty array under set -u is "unbound" to bash before 4.4 (macOS /bin/bash is 3.2).
step "prepare the data from vega-datasets' flights-3m.parquet" node --import tsx "$project/prepare.ts" ${prepare_args[@]+"${prepare_args[@]}"}

# Data prepared with another offset (an hour or more later) moves every row: to the
# tamper check, history this example's state already materialized would look
# edited. The example's state is disposable: start it afresh in that case.
offset="$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${p.shift}:${p.shift_ms}`)' "$data/prepare.json")" \
  || fail "cannot read $data/prepare.json"
marker="$project/.featureguard/example-offset"
if [ -d "$project/.featureguard" ] && [ "$(cat "$marker" 2>/dev/null)" != "$offset" ]; then
  echo
  if [ -f "$marker" ]; then
    echo "==> the data was prepared with a new time offset: starting the example's state (.featureguard/) afresh"
  else
    echo "==> no record of the time offset the example's state (.featureguard/) was built with (not by run.sh): starting it afresh"
  fi
  # Kept, not deleted: a state built by hand (API keys, baselines, the quality log) can be moved back.
  rm -rf "$project/.featureguard.previous"
  mv "$project/.featureguard" "$project/.featureguard.previous"
  echo "    the previous state is in $project/.featureguard.previous"
fi
mkdir -p "$project/.featureguard" && echo "$offset" >"$marker"

step "validate the definitions and sources" fg validate
step "plan" fg plan
step "apply" fg apply
step "list the registry" fg list
step "describe a feature view" fg describe airport_hourly

# --availability created: a statistic joins a flight only once it was computed
# (computed_at <= departure), not merely once its window ended.
step "build a point-in-time training set for the delay_model service" \
  fg dataset build --service delay_model --entities "$data/training_entities.parquet" --out "$data/train.parquet" \
  --availability created

# The last two days of data, up to now (shifted data ends at the last completed hour).
read -r start end < <(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const last = new Date(Date.UTC(2001, 6, 1) + p.shift_ms);
  const start = new Date(last.getTime() - 2 * 86400000);
  const stop = p.shift ? new Date(Math.max(Date.now(), last.getTime())) : last;
  console.log(start.toISOString(), stop.toISOString());
' "$data/prepare.json") || fail "cannot read $data/prepare.json"
step "materialize the last two days into the online store (guards run first)" \
  fg materialize --start "$start" --end "$end"

step "read online features for the delay model (routes ATL -> ORD and SEA -> SFO)" \
  fg online get --service delay_model --entity origin=ATL,SEA --entity destination=ORD,SFO

echo "(airport_hourly has ttl 6h: its newest row covers the last completed hour; once it is older than 6h, e.g. on"
echo " unshifted 2001 data, its values come back as OUTSIDE_MAX_AGE. Prepare again to move the data up to now.)"

step "the quality log" fg runs list

echo
echo "Done. Next: 'node bin/featureguard.js --project $project serve' and open http://127.0.0.1:6567/ui"
