#!/usr/bin/env bash
# Runs the real pipeline (a test-sized variant of pipeline.yaml, bench/gpu/pipeline_config.ts)
# twice on a bare GPU machine without internet, from the repository root with .gpu-bundle/
# (bench/gpu/pack.sh) beside it: once with --device cpu, once with --device webgpu (override
# with PIPE_DEVICES), each into its own directory and store, then compares them
# (bench/gpu/pipeline_compare.ts). Writes under $OUT: log.txt, gpu.txt, <device>.log,
# <device>-runs.csv, <device>-summary.csv, pipeline.json.
#   bash bench/gpu/run_pipeline.sh
# Knobs (env): PIPE_DEVICES ("cpu webgpu"), PIPE_SCALE (2), PIPE_JOBS (4), PIPE_SECONDS (180:
# the whole script), PIPE_SELECT (selectors, e.g. collect-results; default: the whole DAG).
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/idim-pipe-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
T0=$(date +%s)
END=$((T0 + ${PIPE_SECONDS:-180}))
B=.gpu-bundle
W=${PIPE_WORK:-/tmp/idim-pipe}
say() { echo "[$(($(date +%s) - T0)) s] $*"; }

# shellcheck source=bench/gpu/bundle_setup.sh
. bench/gpu/bundle_setup.sh

SCALE=${PIPE_SCALE:-2}
DEVICES=${PIPE_DEVICES:-cpu webgpu}
META="{\"scale\": $SCALE, \"jobs\": ${PIPE_JOBS:-4}, \"noSpam\": true, \"select\": \"${PIPE_SELECT:-}\""
for dev in $DEVICES; do
  D="$W/$dev"
  rm -rf "$D"
  "${DENO[@]}" bench/gpu/pipeline_config.ts "$D/pipeline.yaml" --store "$D/store" \
    --scale "$SCALE" --jobs "${PIPE_JOBS:-4}" --no-spam
  left=$((END - $(date +%s) - 10))
  say "pipeline --device $dev (limit ${left} s)"
  t=$(date +%s.%N)
  timeout "$left" "${DENO[@]}" pipeline.ts run ${PIPE_SELECT:-} --config "$D/pipeline.yaml" \
    --device "$dev" >"$OUT/$dev.log" 2>&1
  rc=$?
  wall=$(python3 -c "import time,sys; print(round(time.time()-float(sys.argv[1]),2))" "$t")
  say "pipeline --device $dev: exit $rc, ${wall} s"
  grep -E '^ran [0-9]+, cached' "$OUT/$dev.log" || tail -20 "$OUT/$dev.log"
  grep -iE 'error|fail' "$OUT/$dev.log" | grep -v 'failed 0' | head -10
  cp "$D/reports/runs.csv" "$OUT/$dev-runs.csv" 2>/dev/null
  cp "$D/reports/summary.csv" "$OUT/$dev-summary.csv" 2>/dev/null
  META="$META, \"$dev\": {\"exit\": $rc, \"wallSeconds\": $wall, \"ranLine\": \"$(grep -E '^ran [0-9]+, cached' "$OUT/$dev.log" | tail -1)\"}"
done
echo "$META}" >"$OUT/meta.json"
set -- $DEVICES
if [ $# -ge 2 ]; then
  "${DENO[@]}" bench/gpu/pipeline_compare.ts --a "$W/$1" --b "$W/$2" --meta "$OUT/meta.json" \
    --out "$OUT/pipeline.json"
fi
say "done"
