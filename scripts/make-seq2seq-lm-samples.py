#!/usr/bin/env python3
"""Writes the user-style sample files of task.kind seq2seq and lm (deterministic; safe to
run twice), from shipped samples:

data/samples/seq2seq/: pronunciations with stress, word -> ARPAbet as characters
  ("hello" -> "HH AH0 L OW1"), every 30th entry of data/samples/cmudict.tsv whose word
  has at most 12 letters, as a user's files with columns / fields "source" and "target",
  one split per format: train.tsv, validation.csv, test.jsonl. Entry i (from 0, of those
  kept) goes to validation when i % 10 == 8, to test when i % 10 == 9, else to train.
data/samples/lm/brown_sentences.txt: every 3rd sentence of
  data/samples/brown_genres/train.jsonl (the Brown corpus, words as tokenized there),
  one per line: a user's text file for task.kind lm (split by line, split_of).
Usage: scripts/make-seq2seq-lm-samples.py"""
import csv
import json
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
samples = os.path.join(root, "data", "samples")

pairs = []
with open(os.path.join(samples, "cmudict.tsv"), encoding="utf-8") as f:
    for n, line in enumerate(f):
        word, phones = line.rstrip("\n").split("\t")
        phones = phones.split(" #")[0].strip()
        if n % 30 == 0 and len(word) <= 12:
            pairs.append({"source": word, "target": phones})
rows = {"train": [], "validation": [], "test": []}
for i, p in enumerate(pairs):
    rows["validation" if i % 10 == 8 else "test" if i % 10 == 9 else "train"].append(p)

out = os.path.join(samples, "seq2seq")
os.makedirs(out, exist_ok=True)
for name, split, delimiter in (("train.tsv", "train", "\t"), ("validation.csv", "validation", ",")):
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["source", "target"], delimiter=delimiter, lineterminator="\n")
        w.writeheader()
        w.writerows(rows[split])
with open(os.path.join(out, "test.jsonl"), "w", encoding="utf-8") as f:
    for p in rows["test"]:
        f.write(json.dumps(p, ensure_ascii=False) + "\n")

out = os.path.join(samples, "lm")
os.makedirs(out, exist_ok=True)
with open(os.path.join(samples, "brown_genres", "train.jsonl"), encoding="utf-8") as f, \
        open(os.path.join(out, "brown_sentences.txt"), "w", encoding="utf-8") as o:
    for i, line in enumerate(f):
        if i % 3 == 0:
            o.write(json.loads(line)["text"] + "\n")
