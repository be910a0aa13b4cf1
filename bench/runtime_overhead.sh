#!/usr/bin/env bash
# The engine's own cost per trial on CPU (bench/results/runtime.md): a search of
# instant trials (task.kind: fault, behaviour ok) in worker processes and in-process,
# so the wall time per trial is all overhead: propose, spawn the worker, load its
# config, pipe request/result, reap, observe, append trials.jsonl, write tree.ckpt.
# With a LibTorch build as 2nd argument, also the worker start of a binary that
# loads LibTorch, and the time of a quickstart trial (configs/quickstart.yaml) to
# compare with.
# Usage: bench/runtime_overhead.sh BUILD/app/mctsnas [TORCH_BUILD/app/mctsnas] [N]
set -euo pipefail
bin=$(realpath "$1"); torch_bin=${2:+$(realpath "$2")}; n=${3:-40}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
xs=$(seq -s, 0 199 | sed "s/\([0-9]*\)/'\1'/g")
cat > "$tmp/ok.yaml" <<YAML
name: overhead
seed: 1
space:
  kind: categorical
  categorical:
    decisions:
      - {name: behaviour, choices: [ok]}
      - {name: x, choices: [$xs]}
task: {kind: fault}
objective: {metric: score, goal: maximize}
search: {algorithm: random, trials: $n, parallel: 1}
resources: {devices: cpu, isolation: process, per_trial: {cpu_threads: 1}}
YAML
per_trial() {  # binary isolation -> seconds per trial (whole search wall time / n)
  local t0 t1
  t0=$(date +%s.%N)
  "$1" search "$tmp/ok.yaml" --run-dir "$tmp/run-$2-$RANDOM" --set resources.isolation="$2" > /dev/null 2>&1
  t1=$(date +%s.%N)
  echo "($t1 - $t0) / $n" | bc -l
}
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
p=$(per_trial "$bin" process); i=$(per_trial "$bin" inline)
printf "per-trial overhead, worker process: %.4f s   in-process: %.4f s   (%s, %d trials)\n" "$p" "$i" "$bin" "$n"
if [[ -n "$torch_bin" ]]; then
  pt=$(per_trial "$torch_bin" process)
  printf "per-trial overhead, worker process of a LibTorch build: %.4f s (%s)\n" "$pt" "$torch_bin"
  "$torch_bin" search "$(dirname "$0")/../configs/quickstart.yaml" --run-dir "$tmp/qs" \
     --set search.trials=2 --set task.baseline=false > "$tmp/qs.log" 2>&1 || true
  q=$(python3 -c "
import json,sys
t=[json.loads(l) for l in open('$tmp/qs/trials.jsonl')]
print(sum(x['seconds'] for x in t)/len(t))")
  printf "quickstart trial: %.2f s (mean of 2)\n" "$q"
  printf "overhead / quickstart trial: %.3f%% (LibTorch worker)\n" "$(echo "100 * $pt / $q" | bc -l)"
fi
