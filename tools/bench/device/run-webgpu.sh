#!/usr/bin/env bash
# Runs the WebGPU benchmark (tools/bench/src/webgpu.ts --gpu) from the kit that
# tools/bench/src/deviceKit.ts packs into .devicekit/, on a machine with a GPU and a Vulkan
# driver but no npm: it needs only python3 (to unpack) and the GPU's Vulkan ICD. From the
# repository root:   bash tools/bench/device/run-webgpu.sh [more webgpu.ts arguments]
# Writes webgpu-gpu.md/.jsonl into $OUT (the device tool's folder) or tools/bench/results.
# MODE_ARGS replaces --gpu: here, MODE_ARGS= VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
# with --smoke checks the kit on SwiftShader in about 4 minutes.
set -euo pipefail
KIT="${KIT:-.devicekit}"
[ -f "$KIT/bench.mjs" ] || { echo "run-webgpu: no $KIT/bench.mjs; pack it first: node --conditions=@trainkit/source --import tsx tools/bench/src/deviceKit.ts" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
cp "$KIT/bench.mjs" "$WORK/"
mkdir -p "$WORK/node_modules"
cp -r "$KIT/node_modules/webgpu" "$WORK/node_modules/"
unxz "$WORK/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$WORK/node_modules/webgpu/dist/linux-x64/dawn.node"
unxz "$KIT/node.xz" "$WORK/node"
chmod +x "$WORK/node"
# the machine's own Vulkan loader when it has one, else the kit's
if ! grep -q 'libvulkan.so.1' <(ldconfig -p 2>/dev/null) && [ -d "$KIT/lib" ]; then
  export LD_LIBRARY_PATH="$(cd "$KIT/lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's ICD where the driver mounts it (this workplace's GPU machines)
NV_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$NV_ICD" ]; then export VK_DRIVER_FILES="$NV_ICD" VK_ICD_FILENAMES="$NV_ICD"; fi # older loaders read the second
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
OUT_DIR="${OUT:-tools/bench/results}"
"$WORK/node" --version
"$WORK/node" "$WORK/bench.mjs" ${MODE_ARGS---gpu} --mnist-dir "$KIT/mnist" --out-dir "$OUT_DIR" --name webgpu-gpu "$@"
