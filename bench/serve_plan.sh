#!/usr/bin/env bash
# serve-plan on an exported run, on this machine or (GPU=1) on the GPU machine
# (shared/gpu/README.md recipe: builds mctsnas first). Prints the machine, the sweep's
# progress and recommendations; copies serving.yaml and serve_plan.json to $OUT.
# Usage: bench/serve_plan.sh RUN_DIR [serve-plan flags...]
#   here:        bench/serve_plan.sh results/quickstart-g2p-... --variant fp32
#   GPU machine: GPU=1 bench/serve_plan.sh .offline/qs --variant fp32 --seconds 0.5
set -uo pipefail
run=$1; shift
if [[ ${GPU:-0} == 1 ]]; then
  source bench/gpu_env.sh
  gpu_machine | tee "$out/machine.txt"
  gpu_build mctsnas || exit 1
  bin=$GPU_BUILD/app/mctsnas
else
  out=${OUT:-/tmp/out}; mkdir -p "$out"
  bin=${MCTSNAS:-build/app/mctsnas}
  lscpu | grep -E "^(Model name|CPU\(s\))"; date -u; git rev-parse --short HEAD
fi
$bin doctor > "$out/doctor.txt" 2>&1; grep -E "^(CPU|NUMA|GPUs|  cuda|LibTorch|BLAS)" "$out/doctor.txt"
echo "+ mctsnas serve-plan $run $*"
$bin serve-plan "$run" "$@" 2>&1 | tee "$out/serve-plan.log"
rc=${PIPESTATUS[0]}
cp "$run/best/serving.yaml" "$run/best/serving/serve_plan.json" "$out/" 2>/dev/null
exit "$rc"
