#!/usr/bin/env bash
# On the GPU machine (shared/gpu/README.md): trials per hour for the G2P GPU config
# with packing (resources.trials_per_gpu: auto, sized by measured memory) vs one
# trial at a time: same architectures (random search, same seed), same steps. GPU
# utilization sampled every 0.5 s. Logs and results go to $OUT.
# Usage: bench/runtime_gpu.sh [trials] [steps]
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
trials=${1:-12}; steps=${2:-200}
mkdir -p /tmp/p && for d in .offline/debs/*.deb; do dpkg-deb -x "$d" /tmp/p; done
T=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=/tmp/p/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
t0=$(date +%s)
cmake -B /tmp/b -S . -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-include cstdint" -DMCTSNAS_BUILD_TESTS=OFF -DMCTSNAS_BUILD_BENCH=OFF \
  -DCMAKE_PREFIX_PATH="$T;/tmp/p/usr/lib/x86_64-linux-gnu/cmake;/tmp/p/usr" > "$out/build.log" 2>&1 &&
cmake --build /tmp/b -j16 --target mctsnas >> "$out/build.log" 2>&1
echo "build rc=$? in $(( $(date +%s) - t0 )) s"; grep -m5 -A5 "error:" "$out/build.log"
bin=/tmp/b/app/mctsnas
[[ -x $bin ]] || exit 1
$bin doctor configs/g2p_gpu.yaml > "$out/doctor.txt" 2>&1; cat "$out/doctor.txt"
common=(--set task.data="$PWD/data/samples" --set search.algorithm=random --set search.trials=$trials
        --set train.steps=$steps --set train.eval_every=$steps --set train.early_stopping.kind=none
        --set task.baseline=false --set resources.per_trial.wall_time=5m)
run() {  # name, extra --set args...
  local name=$1; shift
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 500 > "$out/util-$name.csv" &
  local smi=$!
  timeout 280 $bin search configs/g2p_gpu.yaml --run-dir /tmp/run-$name "${common[@]}" "$@" > "$out/search-$name.log" 2>&1
  echo "$name: rc=$?"
  kill $smi
  cp /tmp/run-$name/trials.jsonl "$out/trials-$name.jsonl" 2>/dev/null
  python3 - "$name" /tmp/run-$name "$out/util-$name.csv" <<'PY'
import json, sys, statistics as st
name, d, util = sys.argv[1:]
t = [json.loads(l) for l in open(d + "/trials.jsonl")]
s = json.load(open(d + "/summary.json"))
ok = [x for x in t if x["status"] == "ok"]
u = [float(l.split(",")[0]) for l in open(util) if l.strip() and l.split(",")[0].strip().isdigit()]
m = [float(l.split(",")[1]) for l in open(util) if l.strip() and l.split(",")[0].strip().isdigit()]
span = max(x["finished_at"] for x in t) - min(x["started_at"] for x in t)
print(f"{name}: {len(t)} trials ({len(ok)} ok) in {span:.1f} s of trials, run wall {s['wall_seconds']:.1f} s "
      f"-> {3600*len(t)/s['wall_seconds']:.0f} trials/hour; mean trial {st.mean(x['seconds'] for x in t):.1f} s; "
      f"val_per mean {st.mean(x['score'] for x in ok):.4f} best {min(x['score'] for x in ok):.4f}; "
      f"GPU util mean {st.mean(u):.0f}% max {max(u):.0f}%; GPU mem max {max(m):.0f} MiB")
print("  statuses:", {k: sum(1 for x in t if x['status'] == k) for k in set(x['status'] for x in t)})
PY
}
run packed --set search.parallel=8 --set resources.trials_per_gpu=auto --set resources.per_trial.gpu_memory=0
grep -m3 "resources:" "$out/search-packed.log"
run serial --set search.parallel=1 --set resources.trials_per_gpu=1
