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
mkdir -p "$W/bin"
say() { echo "[$(($(date +%s) - T0)) s] $*"; }

say "unpack"
xz -dc "$B/deno.xz" >"$W/bin/deno" && chmod +x "$W/bin/deno" || {
  python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" \
    "$B/deno.xz" "$W/bin/deno" && chmod +x "$W/bin/deno"
}
if [ ! -e node_modules/onnxruntime-node ]; then
  xz -dc "$B/node_modules.tar.xz" | tar -xf - || say "node_modules unpack FAILED"
fi
if [ ! -e node_modules/yaml ]; then
  xz -dc "$B/node_modules_pipeline.tar.xz" | tar -xf - || say "node_modules_pipeline unpack FAILED"
fi
# the Vulkan loader, and libglvnd (NVIDIA's ICD, libGLX_nvidia.so.0, needs libGLdispatch)
for f in "$B"/debs/*.deb; do dpkg -x "$f" / 2>/dev/null; done
ldconfig 2>/dev/null
# the report's PNG charts need DejaVu Sans (pack.sh copies it into the bundle)
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ ! -f "$FONT" ] && [ -f "$B/DejaVuSans.ttf" ]; then
  mkdir -p "$(dirname "$FONT")" && cp "$B/DejaVuSans.ttf" "$FONT"
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$ICD}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$OUT/gpu.txt" 2>&1 || true
cat "$OUT/gpu.txt"

export DENO_DIR="$W/deno_dir" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184
# also for the instances' own processes (lib/pipeline/executor.ts)
export IDIM_DENO_FLAGS="--cached-only --node-modules-dir=manual --no-lock"
DENO=("$W/bin/deno" run -A $IDIM_DENO_FLAGS)
"$W/bin/deno" --version | head -1

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
