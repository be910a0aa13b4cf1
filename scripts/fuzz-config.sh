#!/usr/bin/env bash
# Fuzzes the config loader with libFuzzer for SECONDS (default 60):
#   scripts/fuzz-config.sh [SECONDS]
# Build, corpus and findings: see scripts/fuzz-target.sh. CI replays the seeds
# (fuzz/seeds/config/) through the same entry point without clang: ctest -R fuzz_config_seeds.
exec "$(dirname "$0")/fuzz-target.sh" config "${1:-60}"
