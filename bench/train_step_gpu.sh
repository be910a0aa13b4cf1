#!/usr/bin/env bash
# On the GPU machine (see shared/gpu/README.md): build the LibTorch evaluator against
# the wheel's LibTorch (CUDA), run the torch tests ([gpu] included) and the
# train-step benchmark, C++ vs PyTorch eager, bf16. Logs go to $OUT (or /tmp/out).
# Usage: bench/train_step_gpu.sh [steps]
set -uo pipefail
out=${OUT:-/tmp/out}
mkdir -p "$out"
steps=${1:-100}
mkdir -p /tmp/p && for d in .offline/debs/*.deb; do dpkg-deb -x "$d" /tmp/p; done
T=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=/tmp/p/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; lscpu | head -15;
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; date -u; } > "$out/machine.txt" 2>&1
t0=$(date +%s)
cmake -B /tmp/b -S . -DCMAKE_BUILD_TYPE=Release -DMCTSNAS_BUILD_BENCH=ON \
  -DCMAKE_PREFIX_PATH="$T;/tmp/p/usr/lib/x86_64-linux-gnu/cmake;/tmp/p/usr" > "$out/build.log" 2>&1 &&
cmake --build /tmp/b -j16 --target bench_train_step >> "$out/build.log" 2>&1
echo "bench build rc=$? in $(( $(date +%s) - t0 )) s"
cmake --build /tmp/b -j16 --target mctsnas_torch_tests >> "$out/build.log" 2>&1
echo "tests build rc=$? in $(( $(date +%s) - t0 )) s"
grep -m10 -A8 "error:" "$out/build.log"
if [[ -x /tmp/b/tests/mctsnas_torch_tests ]]; then
  /tmp/b/tests/mctsnas_torch_tests --durations yes > "$out/tests.log" 2>&1; echo "tests rc=$?"
  grep -E "GPU G2P trial|val_per|test cases|assertions|FAILED|skipped|with expansion" "$out/tests.log" | head -30
fi
[[ -x /tmp/b/bench/bench_train_step ]] || exit 1
for model in cell transformer; do
  for d in 128 256; do
    /tmp/b/bench/bench_train_step --device cuda --model $model --d $d --steps "$steps" --warmup 20
    python3 bench/train_step.py --device cuda --model $model --d $d --steps "$steps" --warmup 20
  done
done 2>&1 | tee "$out/bench.txt"
