#!/usr/bin/env bash
# The GPU path on real hardware: `doctor`, then `measure` over an idle period, a sub-second burst
# and a several-second load, with the NVML counter and the nvidia-smi stream reading the same
# windows side by side, and a table of joules by method.
# Needs: Linux, an NVIDIA GPU and driver, Node.js 20+, python3 with PyTorch (CUDA) for the load.
#
#   npm ci && npm run build && bash benchmarks/gpu-check.sh [GPU_INDEX] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
gpu="${1:-0}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
cli=(node bin/energy-score.js)

echo "== doctor"
"${cli[@]}" doctor

# One matrix-multiply load of a given length on the chosen GPU, after CUDA is initialised, so
# the window holds the load and little else.
load() {
  python3 - "$1" "$gpu" <<'PY'
import sys, time, torch
seconds, gpu = float(sys.argv[1]), int(sys.argv[2])
torch.cuda.set_device(gpu)
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
torch.cuda.synchronize()
start = time.time()
n = 0
while time.time() - start < seconds:
    a @ a
    n += 1
    if n % 8 == 0:
        torch.cuda.synchronize()
torch.cuda.synchronize()
print(f"{n} products of 8192^3 bf16 in {time.time() - start:.2f} s", file=sys.stderr)
PY
}
export -f load
export gpu

run() {
  local name="$1"
  shift
  echo "== measure: $name"
  "${cli[@]}" measure --meter nvml,nvidia-smi --gpus "$gpu" --idle 3 --json "$out/$name.json" -- "$@"
}

run idle sleep 3
run burst-0.5s bash -c 'load 0.5'
run load-5s bash -c 'load 5'

echo
echo "== joules by method (gross; net subtracts the idle power measured before each run)"
node - "$out" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
const rows = [];
for (const name of ['idle', 'burst-0.5s', 'load-5s']) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const by = (meter) => doc.domains.find((d) => d.meter === meter);
  const nvml = by('nvml');
  const smi = by('nvidia-smi');
  const diff = nvml && smi && nvml.energyJ > 0 ? `${(((smi.energyJ - nvml.energyJ) / nvml.energyJ) * 100).toFixed(1)} %` : 'n/a';
  rows.push([name, doc.durationS.toFixed(2), nvml?.energyJ.toFixed(1) ?? 'n/a', smi?.energyJ.toFixed(1) ?? 'n/a', diff, nvml?.netEnergyJ.toFixed(1) ?? 'n/a']);
}
const head = ['window', 'seconds', 'nvml J', 'nvidia-smi J', 'smi vs nvml', 'nvml net J'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
JS
echo "JSON in $out"
