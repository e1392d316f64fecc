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
# the Vulkan loader, and libglvnd (NVIDIA's ICD, libGLX_nvidia.so.0, needs libGLdispatch)
for f in "$B"/debs/*.deb; do dpkg -x "$f" /; done
ldconfig 2>/dev/null
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$ICD}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$OUT/gpu.txt" 2>&1 || true
cat "$OUT/gpu.txt"

export DENO_DIR="$W/deno_dir" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export IDIM_DENO_FLAGS="--cached-only --node-modules-dir=manual --no-lock"
DENO=("$W/bin/deno" run -A $IDIM_DENO_FLAGS)
"$W/bin/deno" --version | head -1

say "probe"
timeout 60 "${DENO[@]}" bench/gpu/gpu_bench.ts probe --out "$OUT/probe.json"

CONFIGS=${CHECK_CONFIGS:-base:lora,base-v6:lora,base:did,large:lora,large:did}
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
