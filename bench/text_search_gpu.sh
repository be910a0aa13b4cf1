#!/usr/bin/env bash
# On the GPU machine (shared/gpu/README.md recipe, bench/gpu_env.sh): issue 16's
# benchmark. For each task named (default: sentiment g2p lm), a 32-trial MCTS search at
# its config's full training steps, trials packed 16 at once on the GPU, then the
# param-matched reference Transformer, then the best and the reference each retrained
# from 3 other seeds (task.baseline_seeds). Prints one table row per task: best and
# reference mean +- standard error over those seeds, params, batch-1 latency, verdict.
#   sentiment  configs/sentiment_cross_domain.yaml (train Amazon+IMDB, test Yelp), moved to the GPU, bf16
#   g2p        configs/g2p_gpu.yaml on the full CMU dictionary (data/cache/cmudict.tsv)
#   lm         configs/lm_gpu.yaml on the KJV Bible (data/cache/kjv.txt)
# Usage: bench/text_search_gpu.sh [task...]      runs in /tmp/run-TASK; results in $out
#   (SEARCH_TIMEOUT: seconds allowed to each search, default 900; a search cut short is
#   reported as interrupted, never as finished. STEPS_SENTIMENT, STEPS_G2P, STEPS_LM:
#   fewer training steps than the config's for that task, to fit a device budget; the
#   table's command line then shows them)
set -uo pipefail
source bench/gpu_env.sh
tasks=("$@")
[[ ${#tasks[@]} -gt 0 ]] || tasks=(sentiment g2p lm)
gpu_machine | tee "$out/machine.txt"
gpu_build mctsnas || exit 1
bin=$GPU_BUILD/app/mctsnas
common=(--set search.trials=32 --set search.parallel=16 --set task.baseline_seeds=3)

for t in "${tasks[@]}"; do
  case $t in
    sentiment) cfg=configs/sentiment_cross_domain.yaml
               extra=(--set resources.devices=auto --set resources.trials_per_gpu=auto --set train.precision=bf16) ;;
    g2p)       cfg=configs/g2p_gpu.yaml; extra=() ;;
    lm)        cfg=configs/lm_gpu.yaml; extra=() ;;
    *) echo "unknown task $t"; exit 2 ;;
  esac
  steps=STEPS_${t^^}
  [[ -n ${!steps:-} ]] && extra+=(--set train.steps=${!steps} --set train.eval_every=$(( ${!steps} / 4 )))
  run=/tmp/run-$t
  rm -rf "$run"
  echo "== $t: $bin search $cfg ${common[*]} ${extra[*]}"
  timeout "${SEARCH_TIMEOUT:-900}" "$bin" search "$cfg" --run-dir "$run" "${common[@]}" "${extra[@]}" > "$out/$t.log" 2>&1
  echo "search rc=$?"
  tail -6 "$out/$t.log"
  tar czf "$out/run-$t.tar.gz" -C /tmp "run-$t/trials.jsonl" "run-$t/summary.json" "run-$t/baseline.json" "run-$t/baseline_seeds.json" \
    "run-$t/report.html" "run-$t/config.resolved.yaml" 2>/dev/null
  python3 - "$run" "$t" <<'PY' | tee -a "$out/table.md"
import json, sys
d, name = sys.argv[1:]
s = json.load(open(d + "/summary.json"))
t = [json.loads(l) for l in open(d + "/trials.jsonl")]
b = json.load(open(d + "/baseline.json")) if s.get("baseline") else {}
best = next((x for x in t if x["id"] == (s.get("best") or {}).get("id")), None)
seeds = s.get("baseline_seeds") or {}
def ms(side):
    m = seeds.get(side) or {}
    if m.get("mean") is None: return "n/a"
    return f"{m['mean']:.4f} ± {m['se']:.4f} (n={m['n']})" if m.get("se") is not None else f"{m['mean']:.4f} (n={m['n']})"
def lat(m): return f"{m['latency_ms_b1']:.1f}" if m and "latency_ms_b1" in m else "n/a"
bm = (b.get("summary") or {}).get("metrics", {})
score = f"{best['score']:.4f}" if best else "n/a"
print(f"| {name} | {s['objective']['metric']} | {len(t)} ({s['state']}, {s['wall_seconds']:.0f} s) | "
      f"{score} | {ms('winner')} | {ms('reference')} | "
      f"{(best or {}).get('metrics', {}).get('params', 0):.0f} / {bm.get('params', 0):.0f} | "
      f"{lat((best or {}).get('metrics'))} / {lat(bm)} | {seeds.get('verdict', 'no seed comparison')} |")
PY
done
