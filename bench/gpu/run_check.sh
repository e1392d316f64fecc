#!/usr/bin/env bash
# The prepared GPU check, run on a bare GPU machine without internet from the repository root
# with .gpu-bundle/ (bench/gpu/pack.sh) beside it. Writes under $OUT: log.txt, gpu.txt,
# probe.json, torch.json, idim.json. Everything is bounded by CHECK_SECONDS (default 330).
#   bash bench/gpu/run_check.sh
# Knobs (env): CHECK_DEVICE (webgpu), CHECK_CONFIGS, CHECK_TORCH_CONFIGS, CHECK_BATCH (8),
# CHECK_SEQ (128), CHECK_WARMUP (2), CHECK_STEPS (5), CHECK_SECONDS.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/idim-gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
T0=$(date +%s)
END=$((T0 + ${CHECK_SECONDS:-330}))
B=.gpu-bundle
W=${CHECK_WORK:-/tmp/idim-gpu}
say() { echo "[$(($(date +%s) - T0)) s] $*"; }

# shellcheck source=bench/gpu/bundle_setup.sh
. bench/gpu/bundle_setup.sh

say "probe"
timeout 60 "${DENO[@]}" bench/gpu/gpu_bench.ts probe --out "$OUT/probe.json"

CONFIGS=${CHECK_CONFIGS:-base:lora,base-v6:lora,base:did,large:lora,large:did,large:did-batched}
SIZE=(--batch "${CHECK_BATCH:-8}" --seq "${CHECK_SEQ:-128}")
say "prep (background): $CONFIGS"
timeout $((END - $(date +%s) - 60)) "${DENO[@]}" bench/gpu/gpu_bench.ts prep --work "$W/work" \
  --configs "$CONFIGS" "${SIZE[@]}" >"$OUT/prep.txt" 2>&1 &
PREP=$!

if python3 -c "import torch, transformers, peft" 2>/dev/null; then
  say "torch"
  PYTHONUNBUFFERED=1 timeout $((END - $(date +%s) - 120)) python3 bench/gpu/torch_steps.py \
    --out "$OUT/torch.json" --configs "${CHECK_TORCH_CONFIGS:-base:lora,base:did,large:lora,large:did}" \
    "${SIZE[@]}" --steps "${CHECK_STEPS:-5}"
else
  say "torch: python3 has no torch/transformers/peft; skipped"
fi

say "idim timings on ${CHECK_DEVICE:-webgpu} (each configuration as soon as prep has it)"
"${DENO[@]}" bench/gpu/gpu_bench.ts time --work "$W/work" --configs "$CONFIGS" \
  --device "${CHECK_DEVICE:-webgpu}" --out "$OUT/idim.json" --deadline "$END" \
  --warmup "${CHECK_WARMUP:-2}" --steps "${CHECK_STEPS:-5}"
wait $PREP
cat "$OUT/prep.txt"
say "done"
