#!/usr/bin/env bash
# Fuzzes trials.jsonl as resume replays it and report/ls/export read it with libFuzzer for SECONDS (default 60):
#   scripts/fuzz-trial-log.sh [SECONDS]
# Build, corpus and findings: see scripts/fuzz-target.sh. CI replays the seeds
# (fuzz/seeds/trial_log/) through the same entry point without clang: ctest -R fuzz_trial_log_seeds.
exec "$(dirname "$0")/fuzz-target.sh" trial_log "${1:-60}"
