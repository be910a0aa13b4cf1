#!/usr/bin/env bash
# Builds one libFuzzer target (clang, AddressSanitizer + UBSan, LibTorch off) and
# fuzzes it; the scripts/fuzz-<target>.sh wrappers call this.
#
#   scripts/fuzz-target.sh TARGET [SECONDS]   TARGET: config | checkpoint | trial_log | table | export
#
# Seeds: fuzz/seeds/TARGET/ (and configs/*.yaml for config). New inputs accumulate in
# $BUILD/fuzz-corpus-TARGET; a crash is written to $BUILD/fuzz-artifacts/ and fails
# the script. BUILD is build-fuzz/ under the repository (MCTSNAS_FUZZ_BUILD overrides).
# The last lines printed are libFuzzer's final stats (executions, coverage).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MCTSNAS_FUZZ_BUILD:-$root/build-fuzz}
target=${1:?usage: $0 TARGET [SECONDS]}
seconds=${2:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 TARGET [SECONDS]" >&2; exit 2; }
[[ -d $root/fuzz/seeds/$target ]] || { echo "$0: no fuzz target '$target' (fuzz/seeds/$target missing)" >&2; exit 2; }
bin=$build/fuzz/mctsnas_${target}_fuzz

command -v clang++ >/dev/null || { echo "clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMCTSNAS_FUZZ=ON -DMCTSNAS_WITH_TORCH=OFF \
  -DMCTSNAS_BUILD_TESTS=OFF -DMCTSNAS_BUILD_BENCH=OFF >/dev/null
nice ninja -C "$build" -j"${JOBS:-2}" "mctsnas_${target}_fuzz"

corpus=$build/fuzz-corpus-$target
seeds=$build/fuzz-seeds-$target
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$build/fuzz-artifacts"
cp "$root/fuzz/seeds/$target"/* "$seeds"/
if [[ $target == config ]]; then
  for f in "$root"/configs/*.yaml; do cp "$f" "$seeds/config-$(basename "$f")"; done
fi
dict=()
[[ -f $root/fuzz/$target.dict ]] && dict=(-dict="$root/fuzz/$target.dict")

# -timeout: one input may take 5 s at most (a hang is a bug); -rss_limit_mb: an
# input that makes a reader allocate gigabytes is a finding too.
"$bin" "$corpus" "$seeds" -max_total_time="$seconds" -max_len=65536 -timeout=5 \
  -rss_limit_mb=2048 "${dict[@]}" \
  -artifact_prefix="$build/fuzz-artifacts/$target-" -print_final_stats=1
