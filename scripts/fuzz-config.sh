#!/usr/bin/env bash
# Fuzzes the config loader (libFuzzer + AddressSanitizer + UBSan, built with clang).
#
#   scripts/fuzz-config.sh [SECONDS]           build, then fuzz for SECONDS (default 60)
#   scripts/fuzz-config.sh --if-built SECONDS  fuzz only if already built (ctest uses this;
#                                              exit 77 = skipped), with a throwaway corpus
#
# Seed corpus: configs/*.yaml and fuzz/seeds/*.yaml. New inputs accumulate in
# $BUILD/fuzz-corpus; a crash is written to $BUILD/fuzz-artifacts/ and fails the script.
# BUILD is build-fuzz/ under the repository (MCTSNAS_FUZZ_BUILD overrides it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MCTSNAS_FUZZ_BUILD:-$root/build-fuzz}
bin=$build/fuzz/mctsnas_config_fuzz

if_built=0
if [[ ${1:-} == --if-built ]]; then
  if_built=1
  shift
fi
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [--if-built] [SECONDS]" >&2; exit 2; }

if [[ $if_built == 1 ]]; then
  if [[ ! -x $bin ]]; then
    echo "config fuzzer not built ($bin); run scripts/fuzz-config.sh to build it. Skipped."
    exit 77
  fi
else
  command -v clang++ >/dev/null || { echo "clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DMCTSNAS_FUZZ=ON -DMCTSNAS_WITH_TORCH=OFF \
    -DMCTSNAS_BUILD_TESTS=OFF -DMCTSNAS_BUILD_BENCH=OFF >/dev/null
  nice ninja -C "$build" -j"${JOBS:-2}" mctsnas_config_fuzz
fi

if [[ $if_built == 1 ]]; then
  # Leave the long-running corpus alone: work in a throwaway directory.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  corpus=$tmp/corpus
  seeds=$tmp/seeds
else
  corpus=$build/fuzz-corpus
  seeds=$build/fuzz-seeds
  rm -rf "$seeds"
fi
mkdir -p "$corpus" "$seeds" "$build/fuzz-artifacts"
cp "$root"/fuzz/seeds/*.yaml "$seeds"/
for f in "$root"/configs/*.yaml; do
  if [[ -e $f ]]; then cp "$f" "$seeds/config-$(basename "$f")"; fi
done

# -timeout: one input may take 5 s at most (a hang is a bug); -max_len: configs are small.
"$bin" "$corpus" "$seeds" -max_total_time="$seconds" -max_len=8192 -timeout=5 \
  -rss_limit_mb=2048 -dict="$root/fuzz/config.dict" \
  -artifact_prefix="$build/fuzz-artifacts/" -print_final_stats=1
