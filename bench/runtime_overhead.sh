#!/usr/bin/env bash
# The engine's own cost per trial on CPU (bench/results/runtime.md): a search of
# instant trials (task.kind: fault, behaviour ok) in worker processes and in-process,
# so the wall time per trial is all overhead: propose, start the worker, pipe
# request/result, reap, observe, append trials.jsonl, write tree.ckpt.
# Worker processes are measured both ways, interleaved: forked by the fork server
# (the default; its own start is paid once per search and is included here, spread
# over the N trials) and exec'd per trial (MCTSNAS_TRIAL_LAUNCH=exec, the old path).
# With a LibTorch build as 2nd argument, the same for a binary that loads LibTorch,
# and the time of a quickstart trial (configs/quickstart.yaml) to compare with.
# Each figure is the median of REPEATS runs (the machine is shared).
# Usage: bench/runtime_overhead.sh BUILD/app/mctsnas [TORCH_BUILD/app/mctsnas] [N] [REPEATS]
# (the same binary twice: only the LibTorch figures)
set -euo pipefail
bin=$(realpath "$1"); torch_bin=${2:+$(realpath "$2")}; n=${3:-40}; reps=${4:-3}
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
per_trial() {  # binary isolation launch -> seconds per trial (whole search wall time / n)
  local t0 t1 dir="$tmp/run-$2-$3-$RANDOM"
  t0=$(date +%s.%N)
  MCTSNAS_TRIAL_LAUNCH=$3 "$1" search "$tmp/ok.yaml" --run-dir "$dir" --set resources.isolation="$2" > "$tmp/last.log" 2>&1 \
    || { cat "$tmp/last.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  [[ $(wc -l < "$dir/trials.jsonl") -eq $n ]] || { echo "expected $n trials in $dir" >&2; exit 1; }
  echo "($t1 - $t0) / $n" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() {  # label binary: prints the figures of `reps` interleaved runs and their medians
  local f=() e=() i=() r
  for ((r = 0; r < reps; r++)); do
    f+=("$(per_trial "$2" process fork)"); e+=("$(per_trial "$2" process exec)"); i+=("$(per_trial "$2" inline fork)")
    printf "  run %d (%s): fork server %.4f s   exec'd %.4f s   in-process %.4f s   load %s\n" \
      $((r + 1)) "$1" "${f[-1]}" "${e[-1]}" "${i[-1]}" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  fork_med=$(median "${f[@]}"); exec_med=$(median "${e[@]}"); inline_med=$(median "${i[@]}")
  printf "per-trial overhead (%s, %s, median of %d x %d trials): fork server %.4f s   exec'd worker %.4f s   in-process %.4f s\n" \
    "$1" "$2" "$reps" "$n" "$fork_med" "$exec_med" "$inline_med"
}
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
[[ "$bin" == "$torch_bin" ]] || measure "$([[ -n "$torch_bin" ]] && echo "without LibTorch" || echo "this build")" "$bin"
if [[ -n "$torch_bin" ]]; then
  measure "LibTorch build" "$torch_bin"
  q=()
  for ((r = 0; r < reps; r++)); do
    "$torch_bin" search "$(dirname "$0")/../configs/quickstart.yaml" --run-dir "$tmp/qs$r" \
       --set search.trials=2 --set task.baseline=false > "$tmp/qs.log" 2>&1 || true
    q+=("$(python3 -c "
import json
t=[json.loads(l) for l in open('$tmp/qs$r/trials.jsonl')]
print(sum(x['seconds'] for x in t)/len(t), ' '.join(x['status'] for x in t))" | cut -d' ' -f1)")
    printf "  quickstart run %d: mean trial %.2f s (%s)\n" $((r + 1)) "${q[-1]}" \
      "$(python3 -c "import json; print(', '.join(json.loads(l)['status'] for l in open('$tmp/qs$r/trials.jsonl')))")"
  done
  qm=$(median "${q[@]}")
  printf "quickstart trial: %.2f s (median over %d runs of the mean of 2 trials)\n" "$qm" "$reps"
  printf "overhead / quickstart trial, LibTorch build: fork server %.2f%%   exec'd worker %.2f%%\n" \
    "$(echo "100 * $fork_med / $qm" | bc -l)" "$(echo "100 * $exec_med / $qm" | bc -l)"
fi
