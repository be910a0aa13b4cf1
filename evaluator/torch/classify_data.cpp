#include "evaluator/torch/classify_data.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "evaluator/text_records.h"
#include "evaluator/user_text_data.h"

namespace mctsnas::torchnas {
namespace {

ClassifyData builtin_spam(const TaskOptions& o) {
  ClassifyData d;
  d.labels = {"ham", "spam"};   // read_spam's labels 0 and 1, in sorted order
  const auto msgs = read_spam(dataset_path(o.data, "spam.jsonl"));
  for (size_t i = 0; i < msgs.size(); ++i) d.splits[static_cast<int>(split_of(i))].push_back(msgs[i]);
  return d;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ClassifyData read_classify_data(const TaskOptions& o) {
  if (o.train.empty()) return builtin_spam(o);
  const std::pair<const std::string*, const char*> files[3] = {
      {&o.train, "task.train"}, {&o.validation, "task.validation"}, {&o.test, "task.test"}};
  std::vector<TextRecord> raw[3];
  for (int k = 0; k < 3; ++k)
    raw[k] = read_text_records(*files[k].first, files[k].second, classify_fields(o), o.max_file_size, "classify");
  ClassifyData d;
  d.labels = classify_labels(raw[0], o.train);
  d.tokenizer = classify_tokenizer(o, raw[0]);
  for (int k = 0; k < 3; ++k)
    for (auto& r : raw[k]) {
      const std::string& label = r.fields[1];
      const auto at = std::lower_bound(d.labels.begin(), d.labels.end(), label);
      if (at == d.labels.end() || *at != label)
        bad_record(*files[k].first, r.line, "label '" + label + "' is not in the training file " + o.train +
                                                " (its labels: " + joined(d.labels) + ")");
      d.splits[k].push_back({std::move(r.fields[0]), static_cast<int>(at - d.labels.begin())});
    }
  return d;
}

std::vector<std::string> label_metric_keys(const std::vector<std::string>& labels) {
  std::vector<std::string> keys;
  std::set<std::string> used;
  for (size_t i = 0; i < labels.size(); ++i) {
    std::string k;
    for (unsigned char c : labels[i]) k += std::isalnum(c) && c < 0x80 ? static_cast<char>(std::tolower(c)) : '_';
    while (!used.insert(k).second) k += "_" + std::to_string(i);
    keys.push_back(k);
  }
  return keys;
}

std::vector<double> balanced_class_weights(const ClassifyData& d) {
  std::vector<double> n(d.labels.size(), 0.0);
  for (const auto& t : d.splits[0]) n[static_cast<size_t>(t.label)] += 1;
  const double total = static_cast<double>(d.splits[0].size()), classes = static_cast<double>(n.size());
  std::vector<double> w;
  // A class absent from train (labels come from train, so only by construction) gets 1.
  for (double c : n) w.push_back(c > 0 ? total / (classes * c) : 1.0);
  return w;
}

std::string describe_classify_data(const ClassifyData& d) {
  std::ostringstream out;
  out << "  data: train " << d.splits[0].size() << ", validation " << d.splits[1].size() << ", test "
      << d.splits[2].size() << " examples; " << d.labels.size() << " labels (train / validation / test):\n";
  std::vector<std::array<int64_t, 3>> counts(d.labels.size(), {0, 0, 0});
  for (int k = 0; k < 3; ++k)
    for (const auto& t : d.splits[k]) ++counts[static_cast<size_t>(t.label)][static_cast<size_t>(k)];
  for (size_t c = 0; c < d.labels.size(); ++c)
    out << "    " << d.labels[c] << ": " << counts[c][0] << " / " << counts[c][1] << " / " << counts[c][2] << "\n";
  const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end(),
                                            [](const auto& a, const auto& b) { return a[0] < b[0]; });
  const double ratio = static_cast<double>((*hi)[0]) / static_cast<double>(std::max<int64_t>(1, (*lo)[0]));
  char line[96];
  std::snprintf(line, sizeof line, "%.1fx", ratio);
  out << "  imbalance: the largest class in train (" << d.labels[static_cast<size_t>(hi - counts.begin())] << ") is "
      << line << " the smallest (" << d.labels[static_cast<size_t>(lo - counts.begin())] << ")";
  // Past 3x, accuracy mostly measures the large classes.
  if (ratio >= 3)
    out << "; macro-F1 (objective.metric: val_f1) weighs every class alike, and task.class_weights: balanced"
           " weighs the training loss by inverse class frequency";
  out << "\n";
  return out.str();
}

}  // namespace mctsnas::torchnas
