#!/usr/bin/env python3
"""Markdown table of a serve_plan.json: per setting and batch size, p50 / p99 ms and
sequences per second. Usage: bench/serve_plan_table.py RUN_DIR/best/serving/serve_plan.json"""
import json
import sys

p = json.load(open(sys.argv[1]))
batches = p["sweep"]["batches"]
print("| model | device | threads x instances | " + " | ".join(f"b{b}" for b in batches) + " | load ms (first / again) |")
print("|---|---|---|" + "---|" * len(batches) + "---|")
for s in p["settings"]:
    if s.get("skipped") or s.get("error"):
        print(f"| {s['model']} | {s['device']} | {s['threads_per_instance']} x {s['instances']} | "
              + (s.get("error") or s["skipped"]) + " |")
        continue
    cells = [f"{q['p50_ms']:.1f} / {q['p99_ms']:.1f} / {q['throughput_per_s']:.0f}" for q in s["points"]]
    print(f"| {s['model']} | {s['device']} | {s['threads_per_instance']} x {s['instances']} | " + " | ".join(cells)
          + f" | {s['first_load_ms']:.0f} / {s['second_load_ms']:.0f} |")
