#!/usr/bin/env python3
"""Writes data/samples/classify/: the shipped spam sample (data/samples/spam.jsonl)
relabelled "spam" / "ham" as user files of task.kind classify, one split per format:
train.csv, validation.tsv, test.jsonl (columns / fields "text" and "label").
The text is what the built-in reader keeps (read_spam in evaluator/torch/text_data.cpp):
the Subject header line, a newline, then the body. Message i (from 0) goes to
validation when i % 10 == 8, to test when i % 10 == 9, else to train.
Usage: scripts/make-classify-samples.py   (deterministic; safe to run twice)"""
import csv
import json
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = os.path.join(root, "data", "samples", "spam.jsonl")
out_dir = os.path.join(root, "data", "samples", "classify")


def subject_and_body(text):
    body = text.find("\n\n")
    s = text.find("\nSubject:")
    subject = ""
    if s != -1 and (body == -1 or s < body):
        e = text.find("\n", s + 1)
        subject = text[s + 1:] if e == -1 else text[s + 1:e]
    return subject + "\n" + ("" if body == -1 else text[body + 2:])


rows = {"train": [], "validation": [], "test": []}
with open(src, encoding="utf-8") as f:
    for i, line in enumerate(l for l in f if l.strip()):
        m = json.loads(line)
        split = "validation" if i % 10 == 8 else "test" if i % 10 == 9 else "train"
        label = "spam" if m["group"].startswith("spam") else "ham"
        rows[split].append({"text": subject_and_body(m["text"]), "label": label})

os.makedirs(out_dir, exist_ok=True)
for name, delimiter in (("train.csv", ","), ("validation.tsv", "\t")):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"], delimiter=delimiter, lineterminator="\n")
        w.writeheader()
        w.writerows(rows[name.split(".")[0]])
with open(os.path.join(out_dir, "test.jsonl"), "w", encoding="utf-8") as f:
    for r in rows["test"]:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
