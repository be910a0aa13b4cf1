#!/usr/bin/env bash
# Measures every figure README.md states and prints them as the README's "Timings"
# table rows, with the machine, date and commit. Run it at the commit that changes
# the README, and copy what it prints:
#
#   scripts/readme-figures.sh                    # all: fresh clone + CI, NB201, quickstart
#   scripts/readme-figures.sh --skip-clone       # only the searches (uses build/app/mctsnas)
#   scripts/readme-figures.sh --skip-quickstart  # only the fresh clone and NB201
#
# The fresh-clone step clones this repository's HEAD into a temporary directory and
# runs .ci/run there (the README's test command: install-deps, configure, build,
# ctest), so it takes as long as a first build (minutes). Nothing outside the
# temporary directory is written.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
clone=1 quickstart=1
for a in "$@"; do
  case "$a" in
    --skip-clone) clone=0 ;;
    --skip-quickstart) quickstart=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "readme-figures.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
  esac
done
BIN="$ROOT/build/app/mctsnas"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mctsnas-figures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

secs() { date +%s.%N; }
# "7m46s" from seconds, as the README writes durations.
dur() { awk -v s="$1" 'BEGIN { s = int(s + 0.5); if (s < 60) printf "%ds", s; else printf "%dm%02ds", s / 60, s % 60 }'; }
json() { python3 -c 'import functools, json, sys; print(functools.reduce(lambda v, k: v[k], sys.argv[2].split("."), json.load(open(sys.argv[1]))))' "$1" "$2"; }

commit=$(git rev-parse --short HEAD)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
echo "machine: $(getconf _NPROCESSORS_ONLN) CPUs ($cpu), $mem; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%d) (UTC); commit: $commit$(git diff --quiet HEAD || echo ' + uncommitted changes')"
echo
echo "| step | wall time | how |"
echo "|---|---|---|"

if [ "$clone" = 1 ]; then
  git clone -q "$ROOT" "$TMP/clone"
  git -C "$TMP/clone" checkout -q "$(git rev-parse HEAD)"
  t0=$(secs)
  ( cd "$TMP/clone" && bash .ci/run ) > "$TMP/ci.log" 2>&1 || { tail -30 "$TMP/ci.log"; echo "readme-figures.sh: .ci/run failed in the fresh clone" >&2; exit 1; }
  t1=$(secs)
  # ctest's own summary: "100% tests passed, 0 tests failed out of 226" and "Total Test time (real) = 129.05 sec"
  tests=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$TMP/ci.log" | tail -1)
  ctest_s=$(sed -n 's/^Total Test time (real) = *\([0-9.]*\) sec.*/\1/p' "$TMP/ci.log" | tail -1)
  total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  build=$(awk -v a="$total" -v b="$ctest_s" 'BEGIN { print a - b }')
  echo "| fresh clone: \`bash .ci/run\` (install-deps with the packages present, configure, build, ctest) | $(dur "$total") | \`git clone\` of $commit, then \`time bash .ci/run\` |"
  echo "| of which install-deps + configure + build | $(dur "$build") | the same run, less ctest's own total |"
  echo "| of which the test suite (\`ctest --test-dir build -j2\`, $tests tests) | $(dur "$ctest_s") | ctest's \"Total Test time\" |"
  [ -x "$BIN" ] || BIN="$TMP/clone/build/app/mctsnas"
fi

[ -x "$BIN" ] || { echo "readme-figures.sh: $BIN not built (cmake --build build first, or drop --skip-clone)" >&2; exit 2; }

t0=$(secs)
"$BIN" search configs/nb201_mcts.yaml --run-dir "$TMP/nb201" > "$TMP/nb201.log" 2>&1
t1=$(secs)
nb_trials=$(json "$TMP/nb201/summary.json" trials_finished)
echo "| NAS-Bench-201 table search (\`configs/nb201_mcts.yaml\`, $nb_trials trials) | $(dur "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')") | \`mctsnas search configs/nb201_mcts.yaml\` |"

if [ "$quickstart" = 1 ]; then
  t0=$(secs)
  "$BIN" search configs/quickstart.yaml --run-dir "$TMP/quickstart" > "$TMP/quickstart.log" 2>&1
  t1=$(secs)
  s="$TMP/quickstart/summary.json"
  q_trials=$(json "$s" trials_finished)
  q_seeds=$(json "$s" baseline_seeds.seeds)
  echo "| the quickstart search ($q_trials G2P trials on CPU, then the reference Transformer, and both from $q_seeds other seeds) | $(dur "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')") | \`mctsnas search configs/quickstart.yaml\` after the build |"
  echo
  printf 'quickstart: best val PER %.3f (trial #%s); the reference Transformer of about the same parameter count, trained the same way: %.3f\n' \
    "$(json "$s" best.score)" "$(json "$s" best.id)" "$(json "$s" baseline.score)"
  printf 'over %s other seeds: best %.3f +- %.3f, reference %.3f +- %.3f (mean +- standard error): %s\n' "$q_seeds" \
    "$(json "$s" baseline_seeds.winner.mean)" "$(json "$s" baseline_seeds.winner.se)" \
    "$(json "$s" baseline_seeds.reference.mean)" "$(json "$s" baseline_seeds.reference.se)" "$(json "$s" baseline_seeds.verdict)"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
