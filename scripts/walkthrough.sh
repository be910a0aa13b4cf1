#!/usr/bin/env bash
# A new user's first hour, as the README tells it, with the tiniest settings:
# quickstart search -> report -> export -> predict (and model.py) -> resume -> ls.
# Each step's output is checked; the first failure stops with its log.
#
#   scripts/walkthrough.sh                      # with build/app/mctsnas
#   scripts/walkthrough.sh --binary PATH        # with another build (CTest passes its own)
#   scripts/walkthrough.sh --fresh-clone        # clone HEAD, configure and build it first (minutes)
#
# Everything is written under a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/build/app/mctsnas"
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BIN=$(realpath "$2"); shift 2 ;;
    --fresh-clone) fresh=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "walkthrough.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
W=$(mktemp -d "${TMPDIR:-/tmp}/mctsnas-walkthrough.XXXXXX")
trap 'rm -rf "$W"' EXIT

step() { echo "== $*"; }
fail() { echo "walkthrough.sh: FAILED: $*" >&2; exit 1; }
# run LOG CMD...: runs CMD with its output in $W/LOG; on failure shows it and stops.
run() {
  local log="$W/$1"; shift
  "$@" > "$log" 2>&1 || { cat "$log"; fail "$* (exit $?)"; }
}
expect() { grep -q -- "$2" "$W/$1" || { cat "$W/$1"; fail "$1 lacks '$2'"; }; }
nonempty() { [ -s "$1" ] || fail "$1 is missing or empty"; }

if [ "$fresh" = 1 ]; then
  step "fresh clone and build"
  git clone -q "$ROOT" "$W/clone"
  git -C "$W/clone" checkout -q "$(git rev-parse HEAD)"
  run build.log bash -c "cd '$W/clone' && cmake -B build -S . -G Ninja && cmake --build build -j2 --target mctsnas"
  ROOT="$W/clone"
  BIN="$W/clone/build/app/mctsnas"
fi
[ -x "$BIN" ] || fail "$BIN: not built"
cd "$ROOT"
RUN="$W/results/quickstart"
# The quickstart config, as small as it goes: 2 trials of 20 steps (the README's run is 16 of 300).
TINY=(--set search.trials=2 --set train.steps=20 --set train.eval_every=10 --set train.eval_batches=1
      --set train.batch_size=16 --set "space.macro.d_model=[32]" --set "space.macro.encoder_layers=[1]"
      --set "space.macro.decoder_layers=[1]" --set resources.per_trial.wall_time=60s)

step "validate"
run validate.log "$BIN" validate configs/quickstart.yaml "${TINY[@]}"
expect validate.log "architectures"

step "search (the quickstart, tiny)"
run search.log "$BIN" search configs/quickstart.yaml --run-dir "$RUN" "${TINY[@]}"
expect search.log "run directory: $RUN"
expect search.log "finished: 2 trials"
expect search.log "best: trial #"
expect search.log "baseline: "
for f in config.resolved.yaml trials.jsonl trials.csv tree.ckpt summary.json search_stats.json report.html \
         baseline.json logs/fork-server.log logs/trial-0.log logs/trial-baseline.log; do
  nonempty "$RUN/$f"
done
grep -q '"id": "baseline"' "$RUN/summary.json" || fail "summary.json: the baseline is not named 'baseline'"
grep -q 'mctsnas trial: step 10: validation' "$RUN/logs/trial-0.log" || fail "logs/trial-0.log: no training reports"
[ "$(wc -l < "$RUN/trials.jsonl")" = 2 ] || fail "trials.jsonl: expected 2 lines"

step "report"
rm "$RUN/report.html"
run report.log "$BIN" report "$RUN"
nonempty "$RUN/report.html"

step "export"
run export.log "$BIN" export "$RUN"
for f in model.py weights.pt architecture.yaml; do nonempty "$RUN/best/$f"; done

step "predict"
run predict.log "$BIN" predict "$RUN" hello world
expect predict.log "hello"
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
  step "model.py with Debian's python3-torch"
  run model_py.log /usr/bin/python3 "$RUN/best/model.py" hello
  expect model_py.log "hello"
else
  echo "(skipped model.py: /usr/bin/python3 has no torch; apt-get install python3-torch)"
fi

step "resume to more trials"
run resume.log "$BIN" resume "$RUN" --trials 3
expect resume.log "resuming $RUN"
expect resume.log "finished: 3 trials"
[ "$(wc -l < "$RUN/trials.jsonl")" = 3 ] || fail "trials.jsonl: expected 3 lines after the resume"

step "ls"
run ls.log "$BIN" ls "$W/results"
expect ls.log "quickstart"
echo "walkthrough: all steps passed"
