#!/usr/bin/env bash
# On the GPU machine (shared/gpu/README.md): trials per hour for the G2P GPU config
# with packing (resources.trials_per_gpu: auto) vs one trial at a time: the same
# architectures (random search, same seed), same steps, so the same scores. GPU
# utilization sampled every 0.5 s. Logs and results go to $OUT.
# Usage: bench/runtime_gpu.sh [trials=16] [steps=600] [parallel=16] [runs="packed serial"] [extra --set args...]
#   (SEARCH_TIMEOUT: seconds allowed to each search run, default 500)
#   runs: packed (the config's per-trial gpu_memory cap), packed-measured (no cap set:
#   shares until a trial's peak is measured, then packing by it), packed-nomps (packed
#   with resources.mps=off: the GPU time-slices between trials), serial (mps off: one
#   trial per GPU never starts it). `packed` leaves resources.mps at its default (auto).
set -uo pipefail
source bench/gpu_env.sh
trials=${1:-16}; steps=${2:-600}; parallel=${3:-16}; runs=${4:-packed serial}
shift $(( $# < 4 ? $# : 4 ))
gpu_machine | tee "$out/machine.txt"
gpu_build mctsnas || exit 1
bin=$GPU_BUILD/app/mctsnas
$bin doctor configs/g2p_gpu.yaml > "$out/doctor.txt" 2>&1; cat "$out/doctor.txt"
common=(--set task.data="$PWD/data/samples" --set search.algorithm=random --set search.trials=$trials
        --set train.steps=$steps --set train.eval_every=$steps --set train.early_stopping.kind=none
        --set task.baseline=false --set resources.per_trial.wall_time=5m --set resources.per_trial.cpu_threads=1
        "$@")
run() {  # name, extra --set args...
  local name=$1; shift
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 500 > "$out/util-$name.csv" &
  local smi=$!
  # Which processes hold the GPU mid-run (under MPS: the trials as M+C clients and
  # one nvidia-cuda-mps-server).
  ( sleep 10; nvidia-smi > "$out/smi-$name.txt" 2>&1 ) &
  timeout ${SEARCH_TIMEOUT:-500} $bin search configs/g2p_gpu.yaml --run-dir /tmp/run-$name "${common[@]}" "$@" > "$out/search-$name.log" 2>&1
  echo "$name: rc=$?"
  kill $smi
  pgrep -a nvidia-cuda-mps | sed "s/^/  left running after the search: /"
  grep "resources:" "$out/search-$name.log" | head -8
  ls /tmp/run-$name/logs/mps 2>/dev/null | sed "s/^/  mps log: /"
  cp /tmp/run-$name/trials.jsonl "$out/trials-$name.jsonl" 2>/dev/null
  python3 - "$name" /tmp/run-$name "$out/util-$name.csv" <<'PY'
import json, sys, statistics as st
name, d, util = sys.argv[1:]
t = [json.loads(l) for l in open(d + "/trials.jsonl")]
try:
    w = json.load(open(d + "/summary.json"))["wall_seconds"]
except (OSError, KeyError, ValueError):   # cut by the timeout: the trials' own span
    w = max(x["finished_at"] for x in t) - min(x["started_at"] for x in t)
    print(f"{name}: no summary.json (stopped early?): wall from the trials' timestamps")
ok = [x for x in t if x["status"] == "ok"]
rows = [l.split(",") for l in open(util) if l.split(",")[0].strip().isdigit()]
u = [float(r[0]) for r in rows]
m = [float(r[1]) for r in rows]
print(f"{name}: {len(t)} trials ({len(ok)} ok) in {w:.1f} s -> {3600 * len(t) / w:.0f} trials/hour; "
      f"mean trial {st.mean(x['seconds'] for x in t):.1f} s; val_per mean {st.mean(x['score'] for x in ok):.4f} "
      f"best {min(x['score'] for x in ok):.4f}; GPU util mean {st.mean(u):.0f}% max {max(u):.0f}%; "
      f"GPU mem max {max(m):.0f} MiB")
print("  statuses:", {k: sum(1 for x in t if x['status'] == k) for k in sorted(set(x['status'] for x in t))})
print("  scores by id:", " ".join(f"{x['id']}:{x['score']:.4f}" for x in sorted(ok, key=lambda x: x['id'])))
peaks = [x["metrics"].get("gpu_peak_allocated_bytes", 0) / 2**20 for x in ok]
if peaks:
    print(f"  GPU peak allocated per trial: {min(peaks):.0f}-{max(peaks):.0f} MiB")
PY
}
for r in $runs; do
  case $r in
    packed) run packed --set search.parallel=$parallel --set resources.trials_per_gpu=auto ;;
    packed-nomps) run packed-nomps --set search.parallel=$parallel --set resources.trials_per_gpu=auto \
                    --set resources.mps=off ;;
    packed-measured) run packed-measured --set search.parallel=$parallel --set resources.trials_per_gpu=auto \
                       --set resources.per_trial.gpu_memory=0 ;;
    serial) run serial --set search.parallel=1 --set resources.trials_per_gpu=1 ;;
  esac
done
