#!/usr/bin/env bash
# Regenerates the binary and run-directory seeds under fuzz/seeds/ (checkpoint,
# trial_log, table, export) from short NB201 runs of the built binary:
#   fuzz/make-seeds.sh [BUILD_DIR]      (default build/)
# Run it after a checkpoint or trials.jsonl format change. The first byte of each
# seed is the target's mode byte (see the target's header comment).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/app/mctsnas
seeds=$root/fuzz/seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {   # NAME SETTINGS...: a 12-trial NB201 run, stopped by its trial target
  local name=$1; shift
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  "$bin" search "$root/configs/nb201_mcts.yaml" --run-dir "$tmp/$name" --set search.trials=12 "${sets[@]}" >/dev/null
}
run mcts-edit
run mcts-prefix search.mcts.tree=prefix
run random search.algorithm=random
run evolution search.algorithm=evolution search.evolution.population=4 search.evolution.tournament=2
run local search.algorithm=local

mkdir -p "$seeds/checkpoint" "$seeds/trial_log" "$seeds/table" "$seeds/export"
rm -f "$seeds"/{checkpoint,trial_log,table,export}/*
for name in mcts-edit mcts-prefix random evolution local; do
  whole='\x00' payload='\x01'
  [[ $name == mcts-prefix ]] && whole='\x02' payload='\x03'
  { printf "$whole"; cat "$tmp/$name/tree.ckpt"; } > "$seeds/checkpoint/$name.ckpt"
  { printf "$payload"; tail -c +25 "$tmp/$name/tree.ckpt"; } > "$seeds/checkpoint/$name-payload.ckpt"
done
{ printf '\x00'; head -n 4 "$tmp/random/trials.jsonl"; } > "$seeds/trial_log/plain.jsonl"
{ printf '\x02'; head -n 3 "$tmp/mcts-edit/trials.jsonl"; printf '{"id": 3, "arch": "|nor_co'; } > "$seeds/trial_log/torn.jsonl"
{ printf '\x00'; head -n 12 "$root/data/nb201_cifar10.csv"; } > "$seeds/table/nb201-head.csv"
{ printf '\x03'; head -n 3 "$root/data/nb201_cifar10.csv"; printf '"quoted, field",x,"1.5"\r\n'; } > "$seeds/table/quoted.csv"
"$bin" export "$tmp/random" >/dev/null
cp "$tmp/random/best/architecture.yaml" "$seeds/export/architecture.yaml"
python3 - "$seeds/export/manifest-weights.bin" <<'PY'
import sys, zlib
weights = bytes(range(256)) * 4
line = "%08x  %d  weights.pt\n" % (zlib.crc32(weights), len(weights))
open(sys.argv[1], "wb").write(line.encode() + b"\0" + weights)
PY
echo "seeds written under $seeds"
