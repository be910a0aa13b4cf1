#!/usr/bin/env bash
# On the GPU machine (shared/gpu/README.md recipe): a 32-trial MCTS G2P search with
# configs/g2p_gpu.yaml on the full CMU dictionary (data/cache/cmudict.tsv from
# scripts/fetch-data.sh), trials packed on the GPU, then the reference Transformer
# trained like the best. Prints trials/hour, best val PER and the baseline's PER.
# Usage: bench/g2p_search_gpu.sh [trials] [steps] [parallel=16]     results and logs go to $OUT
#   (SEARCH_TIMEOUT: seconds allowed to the search, default 420)
set -uo pipefail
source bench/gpu_env.sh
trials=${1:-32}; steps=${2:-3000}; parallel=${3:-16}
gpu_machine | tee "$out/machine.txt"
gpu_build mctsnas || exit 1
bin=$GPU_BUILD/app/mctsnas
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -lms 1000 > "$out/util.csv" &
smi=$!
timeout ${SEARCH_TIMEOUT:-420} $bin search configs/g2p_gpu.yaml --run-dir /tmp/run --set search.trials=$trials \
  --set train.steps=$steps --set train.eval_every=$(( steps / 3 )) --set search.parallel=$parallel > "$out/search.log" 2>&1
echo "search rc=$?"
kill $smi
grep "resources:" "$out/search.log" | head -4
tail -8 "$out/search.log"
cp /tmp/run/trials.jsonl /tmp/run/summary.json /tmp/run/report.html "$out/" 2>/dev/null
cp /tmp/run/baseline.json "$out/" 2>/dev/null
python3 - /tmp/run "$out/util.csv" <<'PY'
import json, sys, statistics as st
d, util = sys.argv[1:]
t = [json.loads(l) for l in open(d + "/trials.jsonl")]
s = json.load(open(d + "/summary.json"))
ok = [x for x in t if x["status"] in ("ok", "stopped_early")]
u = [float(l.split(",")[0]) for l in open(util) if l.split(",")[0].strip().isdigit()]
print(f"{len(t)} trials in {s['wall_seconds']:.1f} s -> {3600 * len(t) / s['wall_seconds']:.0f} trials/hour")
print("statuses:", {k: sum(1 for x in t if x['status'] == k) for k in sorted(set(x['status'] for x in t))})
best = min(ok, key=lambda x: x["score"])
print(f"best val_per {best['score']:.4f} (trial {best['id']}, params {best['metrics'].get('params', 0):.0f}, "
      f"val_word_acc {best['metrics'].get('val_word_accuracy', float('nan')):.4f})")
b = s.get("baseline")
print("baseline:", "none" if not b else f"{b['status']} val_per {b['score']} params {b['metrics'].get('params', 0):.0f}")
print(f"GPU utilization mean {st.mean(u):.0f}% (samples every 1 s)")
PY
