# Sourced by the GPU scripts (run_check.sh, run_pipeline.sh) on a bare GPU machine without
# internet, from the repository root: unpacks .gpu-bundle/ (bench/gpu/pack.sh) — the Deno binary
# into $W/bin, the node_modules archives, the Vulkan loader and libglvnd, the report's font —
# points Vulkan at NVIDIA's ICD, records the card in $OUT/gpu.txt, and sets up Deno to run
# offline: $DENO is the `deno run` command line for the scripts and, through IDIM_DENO_FLAGS,
# for the pipeline's own instance processes (lib/pipeline/executor.ts).
# Needs: B (bundle dir), W (work dir), OUT, and a `say` function.

say "unpack"
mkdir -p "$W/bin"
xz -dc "$B/deno.xz" >"$W/bin/deno" && chmod +x "$W/bin/deno" || {
  python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" \
    "$B/deno.xz" "$W/bin/deno" && chmod +x "$W/bin/deno"
}
if [ ! -e node_modules/onnxruntime-node ]; then
  xz -dc "$B/node_modules.tar.xz" | tar -xf - || say "node_modules unpack FAILED"
fi
if [ ! -e node_modules/yaml ] && [ -f "$B/node_modules_pipeline.tar.xz" ]; then
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
export IDIM_DENO_FLAGS="--cached-only --node-modules-dir=manual --no-lock"
# shellcheck disable=SC2206
DENO=("$W/bin/deno" run -A $IDIM_DENO_FLAGS)
"$W/bin/deno" --version | head -1
