#!/usr/bin/env bash
# On the GPU machine (shared/gpu/README.md): build the LibTorch evaluator against the
# wheel's LibTorch (CUDA), run the torch tests ([gpu] included), then the train-step
# benchmark, C++ vs PyTorch eager of the same wheel, interleaved and repeated (the order
# of the two alternates between repetitions):
#   GPU: bf16 autocast, batch 64, cell and Transformer models at d 128 and 256;
#   CPU: fp32, one thread (OMP_NUM_THREADS=1, --threads 1, both pinned to one core),
#        batch 32, d 64 and 128.
# Prints every run and a summary (median over repetitions); logs go to $OUT.
# Usage: bench/train_step_gpu.sh [gpu_steps=200] [reps=3] [cpu_steps=15]
set -uo pipefail
source bench/gpu_env.sh
steps=${1:-200}; reps=${2:-3}; cpu_steps=${3:-15}
gpu_machine | tee "$out/machine.txt"
gpu_build bench_train_step mctsnas_torch_tests || exit 1
b=$GPU_BUILD
timeout 300 "$b/tests/mctsnas_torch_tests" --durations yes > "$out/tests.log" 2>&1
echo "torch tests rc=$?"
grep -E "GPU memory cap|GPU G2P trial|skipped|test cases|assertions|FAILED" "$out/tests.log" | head -30

wrap=()
pair() {  # rep, then the flags common to both sides
  local rep=$1; shift
  local cpp=("${wrap[@]}" "$b/bench/bench_train_step" "$@") py=("${wrap[@]}" python3 bench/train_step.py "$@")
  if (( rep % 2 )); then timeout 120 "${cpp[@]}"; timeout 120 "${py[@]}"
  else timeout 120 "${py[@]}"; timeout 120 "${cpp[@]}"; fi
}
for rep in $(seq "$reps"); do
  for model in cell transformer; do
    for d in 128 256; do pair "$rep" --device cuda --model $model --d $d --steps "$steps" --warmup 20; done
  done
done 2>&1 | tee "$out/bench-gpu.txt"
# CPU: both sides on the same otherwise idle core, one thread.
wrap=(env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 CUDA_VISIBLE_DEVICES= taskset -c $(( $(nproc) - 1 )))
for rep in $(seq "$reps"); do
  for model in cell transformer; do
    for d in 64 128; do
      pair "$rep" --device cpu --model $model --d $d --batch 32 --steps "$cpu_steps" --warmup 3 --threads 1
    done
  done
done 2>&1 | tee "$out/bench-cpu.txt"
python3 - "$out/bench-gpu.txt" "$out/bench-cpu.txt" <<'PY'
import re, statistics as st, sys
runs = {}
for f in sys.argv[1:]:
    for line in open(f):
        m = dict(re.findall(r"(\w+)=(\S+)", line))
        if "step_ms" not in m:
            continue
        impl = "cpp" if m["impl"].startswith("libtorch") else "py"
        runs.setdefault((m["device"], m["model"], int(m["d"])), {}).setdefault(impl, []).append(float(m["step_ms"]))
print("device model d | C++ ms/step (runs) | PyTorch ms/step (runs) | ratio of medians | per-rep ratios")
for k, v in sorted(runs.items()):
    c, p = v.get("cpp", []), v.get("py", [])
    if not c or not p:
        continue
    reps = [f"{a / b:.2f}" for a, b in zip(c, p)]
    print(f"{k[0]} {k[1]} {k[2]} | {st.median(c):.2f} ({', '.join(f'{x:.2f}' for x in c)}) | "
          f"{st.median(p):.2f} ({', '.join(f'{x:.2f}' for x in p)}) | {st.median(c) / st.median(p):.3f} | {', '.join(reps)}")
PY
