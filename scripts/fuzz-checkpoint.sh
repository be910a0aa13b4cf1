#!/usr/bin/env bash
# Fuzzes the checkpoint reader (tree.ckpt: header, tree and searcher state) with libFuzzer for SECONDS (default 60):
#   scripts/fuzz-checkpoint.sh [SECONDS]
# Build, corpus and findings: see scripts/fuzz-target.sh. CI replays the seeds
# (fuzz/seeds/checkpoint/) through the same entry point without clang: ctest -R fuzz_checkpoint_seeds.
exec "$(dirname "$0")/fuzz-target.sh" checkpoint "${1:-60}"
