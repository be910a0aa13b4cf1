#!/usr/bin/env bash
# Fuzzes the exported model files (manifest.txt check, architecture.yaml) with libFuzzer for SECONDS (default 60):
#   scripts/fuzz-export.sh [SECONDS]
# Build, corpus and findings: see scripts/fuzz-target.sh. CI replays the seeds
# (fuzz/seeds/export/) through the same entry point without clang: ctest -R fuzz_export_seeds.
exec "$(dirname "$0")/fuzz-target.sh" export "${1:-60}"
