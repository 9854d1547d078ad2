#!/usr/bin/env bash
# The guards doing their job on the real flights data, each demo in its own copy
# of the example project in a temp folder (the example itself stays clean):
#
#   bash examples/flights/guards-demo.sh [all|imbalance|drift|blocked] [--keep]
#
#   imbalance  a training set for delay_model whose report flags the class
#              imbalance of the label `delayed` (warn; the build still writes)
#   drift      January 2001 pinned as baseline `jan` for airport_hourly; a calm
#              June week passes, the stormy week of June 11-17 reports drift
#   blocked    a broken source (share_delayed written as a percentage) and then
#              a retroactively edited day of history: both materializations are
#              blocked (exit code 1), the online store is untouched
#
# Needs `npm run build` (it runs bin/featureguard.js). --keep leaves the temp
# projects in place (their paths are printed) to explore them further, e.g.
# `node bin/featureguard.js --project DIR runs list`.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
example="$repo/examples/flights"
cd "$repo" # node --import tsx finds tsx from the working folder
which=all
keep=0
for arg in "$@"; do
  case "$arg" in
    all | imbalance | drift | blocked) which="$arg" ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "guards-demo.sh: unknown argument '$arg' (all, imbalance, drift, blocked, --keep)" >&2; exit 2 ;;
  esac
done

die() {
  echo >&2
  echo "guards-demo.sh: $1" >&2
  exit "${2:-1}"
}
[ -f "$repo/dist/cli/main.js" ] || die "dist/ is missing: run 'npm run build' first."
[ -f "$repo/node_modules/vega-datasets/data/flights-3m.parquet" ] || die "node_modules/vega-datasets is missing: run 'npm ci' first."

work="$(mktemp -d "${TMPDIR:-/tmp}/featureguard-guards-demo.XXXXXX")"
if [ "$keep" = 1 ]; then
  trap 'echo; echo "(kept the demo projects in $work)"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi

proj=""
# fg ARGS...: the CLI on the current demo project; its exit code is in $rc.
fg() {
  node "$repo/bin/featureguard.js" --project "$proj" "$@"
}
# run ARGS...: print the command, run it, keep its exit code in $rc.
rc=0
run() {
  echo
  echo "\$ featureguard $*"
  fg "$@"
  rc=$?
  echo "(exit code $rc)"
}
# json EXPR: evaluate EXPR on the JSON read from stdin, bound to j.
json() {
  node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const out = new Function("j", `return (${process.argv[1]});`)(JSON.parse(s));
      console.log(typeof out === "string" ? out : JSON.stringify(out, null, 2));
    });' "$1"
}
# show_run ID: `runs show ID` up to its profiles table (the full report has profiles and lineage too).
show_run() {
  echo
  echo "\$ featureguard runs show $1    # (cut before the profiles table)"
  fg runs show "$1" | sed '/^profiles:/,$d'
}
last_run_id() {
  fg --json runs list --limit 1 "$@" | json 'j.runs[0].id'
}
title() {
  echo
  echo "################################################################################"
  echo "# $1"
  echo "################################################################################"
}

# new_project NAME [--shift]: copy the example's definitions into $work/NAME with
# its own prepared data, and apply them.
new_project() {
  proj="$work/$1"
  mkdir -p "$proj/data"
  cp "$example/featureguard.yaml" "$proj/"
  cp -r "$example/features" "$proj/"
  local cache="$repo/node_modules/.cache/featureguard-flights-noshift"
  if [ "${2:-}" = "--shift" ]; then
    node --import tsx "$example/prepare.ts" --out "$proj/data" >/dev/null || die "prepare failed"
  elif grep -q '"shift": false' "$cache/prepare.json" 2>/dev/null; then
    cp "$cache"/*.parquet "$cache/prepare.json" "$proj/data/"
  else
    node --import tsx "$example/prepare.ts" --no-shift --out "$proj/data" >/dev/null || die "prepare failed"
  fi
  fg apply >/dev/null || die "apply failed in $proj"
  echo "(project: a copy of examples/flights in $proj, definitions applied)"
}

# 2001 time + the data's offset (0 for unshifted data), as ISO 8601.
at() {
  node -e '
    const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(new Date(Date.parse(process.argv[2]) + p.shift_ms).toISOString());' "$proj/data/prepare.json" "$1"
}

demo_imbalance() {
  title "1. class imbalance: a training set for delay_model"
  echo "About 20% of flights are delayed (4:1). The delay_model service sets"
  echo "class_imbalance.max_imbalance_ratio: 3 (features/delay_model.yaml), so the build warns."
  new_project imbalance
  run dataset build --service delay_model --availability created \
    --entities "$proj/data/training_entities.parquet" --out "$proj/data/train.parquet"
  [ "$rc" = 0 ] || die "the dataset build failed (exit code $rc)"
  echo
  echo "The manifest (data/train.parquet.manifest.json) records the same result:"
  json 'j.checks.results.filter((r) => r.check === "class_imbalance")' <"$proj/data/train.parquet.manifest.json"
  local id
  id="$(last_run_id --kind dataset)"
  show_run "$id"
  echo
  echo "The figures, from the quality log (featureguard --json runs show $id):"
  fg --json runs show "$id" | json '(({status, value, thresholds, metrics, details}) => ({status, value, thresholds, metrics, shares: details.shares}))(j.results.find((r) => r.check === "class_imbalance"))'
}

demo_drift() {
  title "2. drift: June against a January baseline (airport_hourly)"
  new_project drift
  run materialize --views airport_hourly --start 2001-01-01 --end 2001-02-01
  local jan
  jan="$(last_run_id --view airport_hourly)"
  run baseline pin --name jan --view airport_hourly --from-run "$jan"
  echo
  echo "A calm June week (4-10): measured against 'jan', nothing drifts."
  run materialize --views airport_hourly --start 2001-06-04 --end 2001-06-11
  fg runs show "$(last_run_id --view airport_hourly)" --all | grep -E '^\s+\[[a-z]+\] drift'
  echo
  echo "The week of June 11-17, the worst week for delays of the half-year:"
  run materialize --views airport_hourly --start 2001-06-11 --end 2001-06-18
  local jun
  jun="$(last_run_id --view airport_hourly)"
  show_run "$jun"
  echo
  echo "Every drift metric of that run (fg --json runs show $jun):"
  fg --json runs show "$jun" | json 'j.results.filter((r) => r.check === "drift" && r.feature).map((r) =>
    `${r.feature.padEnd(14)} ${r.status.padEnd(5)} ${r.method} ${r.value.toFixed(3)}  psi ${r.metrics.psi.toFixed(3)}  ks ${r.metrics.ks_statistic.toFixed(3)} (p ${r.metrics.ks_pvalue.toExponential(1)})  js ${r.metrics.js_distance.toFixed(3)}  mean ${r.metrics.mean_ref.toFixed(2)} -> ${r.metrics.mean_cur.toFixed(2)}`).join("\n")'
}

# online_snapshot FILE: the served airport features of a few airports, as JSON.
online_snapshot() {
  fg --json online get --features airport_hourly --entity origin=ATL,ORD,DFW,SEA >"$1" || die "online get failed"
}

demo_blocked() {
  title "3. blocked runs: a broken source and an edited history (airport_hourly)"
  echo "This demo shifts the data to end at the last completed hour (prepare.ts default), so"
  echo "that the online store serves fresh values (ttl 6h). Times below are 2001 times + the offset."
  new_project blocked --shift
  local clean_start cut now
  clean_start="$(at 2001-06-24T00:00:00Z)"
  cut="$(at 2001-06-30T21:00:00Z)"
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  run materialize --views airport_hourly --start "$clean_start" --end "$cut"
  [ "$rc" = 0 ] || die "the clean materialization failed"
  echo
  echo "Served now (before the broken runs):"
  run online get --features airport_hourly --entity origin=ATL,ORD,DFW,SEA
  online_snapshot "$work/before.json"

  echo
  echo "--- 3a. an upstream job starts writing share_delayed as a percentage (0-100) for the newest hours"
  node --import tsx "$example/break-source.ts" "$proj/data" percent --from 2001-06-30T21:00:00 --to 2001-07-02T00:00:00
  run materialize --views airport_hourly --start "$cut" --end "$now"
  [ "$rc" = 1 ] || die "expected exit code 1 (blocked), got $rc"
  show_run "$(last_run_id --view airport_hourly)"
  online_snapshot "$work/after-a.json"
  if cmp -s "$work/before.json" "$work/after-a.json"; then echo "online store unchanged: online get returns the same values as before"; else die "the online store changed"; fi

  echo
  echo "--- 3b. the source is fixed, but someone quietly rewrote ATL's history of June 28 (delays zeroed)"
  node --import tsx "$example/break-source.ts" "$proj/data" restore
  node --import tsx "$example/break-source.ts" "$proj/data" tamper --day 2001-06-28 --origin ATL
  run materialize --views airport_hourly --start "$cut" --end "$now"
  [ "$rc" = 1 ] || die "expected exit code 1 (blocked), got $rc"
  show_run "$(last_run_id --view airport_hourly)"
  online_snapshot "$work/after-b.json"
  if cmp -s "$work/before.json" "$work/after-b.json"; then echo "online store unchanged: online get returns the same values as before"; else die "the online store changed"; fi

  echo
  echo "--- 3c. history restored: the same window goes through and the newest hours are served"
  node --import tsx "$example/break-source.ts" "$proj/data" restore
  run materialize --views airport_hourly --start "$cut" --end "$now"
  [ "$rc" = 0 ] || die "expected the restored source to materialize (exit code $rc)"
  run online get --features airport_hourly --entity origin=ATL,ORD,DFW,SEA
  echo
  echo "The quality log of the view:"
  run runs list --view airport_hourly
}

case "$which" in
  imbalance) demo_imbalance ;;
  drift) demo_drift ;;
  blocked) demo_blocked ;;
  all) demo_imbalance && demo_drift && demo_blocked ;;
esac
echo
echo "guards-demo.sh: done."
