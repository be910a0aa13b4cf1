#!/usr/bin/env bash
# Fuzzes table CSVs (csv_reader and TabularEvaluator's checks) with libFuzzer for SECONDS (default 60):
#   scripts/fuzz-table.sh [SECONDS]
# Build, corpus and findings: see scripts/fuzz-target.sh. CI replays the seeds
# (fuzz/seeds/table/) through the same entry point without clang: ctest -R fuzz_table_seeds.
exec "$(dirname "$0")/fuzz-target.sh" table "${1:-60}"
