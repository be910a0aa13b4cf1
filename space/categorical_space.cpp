#include "space/categorical_space.h"

#include <limits>
#include <set>

#include "common/error.h"

namespace mctsnas {
namespace {

std::string decision_path(size_t i) { return "space.categorical.decisions[" + std::to_string(i) + "]"; }

// A label next to the separator must not complete a separator across the
// boundary ("a-" + "--" + "b" = "a---b" splits as "a", "-b"), else keys are ambiguous.
bool overlaps_separator(const std::string& label, const std::string& sep) {
  for (size_t k = 1; k < sep.size(); ++k) {
    if (label.size() >= k && label.compare(label.size() - k, k, sep, 0, k) == 0) return true;  // ends with sep's start
    if (label.size() >= k && label.compare(0, k, sep, sep.size() - k, k) == 0) return true;    // starts with sep's end
  }
  return false;
}

}  // namespace

CategoricalSpace::CategoricalSpace(const CategoricalSpaceOptions& options) : separator_(options.separator) {
  if (options.decisions.empty())
    throw Error("space.categorical.decisions: a categorical space needs at least one decision (name + choices)");
  if (separator_.empty())
    throw Error("space.categorical.separator: must not be empty (it separates the labels in an architecture key)");
  std::set<std::string> names;
  for (size_t i = 0; i < options.decisions.size(); ++i) {
    const auto& d = options.decisions[i];
    const std::string path = decision_path(i);
    if (d.name.empty()) throw Error(path + ".name: must not be empty");
    if (!names.insert(d.name).second)
      throw Error(path + ".name: decision name '" + d.name + "' is used twice");
    if (d.choices.empty())
      throw Error(path + ".choices: decision '" + d.name + "' needs at least one choice");
    if (d.choices.size() > std::numeric_limits<Choice>::max())
      throw Error(path + ".choices: decision '" + d.name + "' has " + std::to_string(d.choices.size()) +
                  " choices, at most " + std::to_string(std::numeric_limits<Choice>::max()) + " are supported");
    std::set<std::string> labels;
    for (size_t c = 0; c < d.choices.size(); ++c) {
      const std::string& label = d.choices[c];
      const std::string cpath = path + ".choices[" + std::to_string(c) + "]";
      if (label.empty()) throw Error(cpath + ": choice labels of decision '" + d.name + "' must not be empty");
      if (!labels.insert(label).second)
        throw Error(cpath + ": label '" + label + "' appears twice in decision '" + d.name + "'");
      if (label.find(separator_) != std::string::npos)
        throw Error(cpath + ": label '" + label + "' contains the separator '" + separator_ +
                    "', so architecture keys would be ambiguous (set space.categorical.separator to another string)");
      if (overlaps_separator(label, separator_))
        throw Error(cpath + ": label '" + label + "' begins or ends with part of the separator '" + separator_ +
                    "', so architecture keys would be ambiguous (set space.categorical.separator to another string)");
    }
    decisions_.push_back(Decision{d.name, d.choices});
  }
}

std::string CategoricalSpace::key(const Architecture& a) const {
  MCTSNAS_CHECK(a.choices.size() == decisions_.size(), "categorical architecture has the wrong number of choices");
  std::string s;
  for (size_t i = 0; i < decisions_.size(); ++i) {
    if (i) s += separator_;
    s += decisions_[i].choices.at(a.choices[i]);
  }
  return s;
}

std::optional<Architecture> CategoricalSpace::parse_key(std::string_view key) const {
  Architecture a;
  a.choices.reserve(decisions_.size());
  size_t start = 0;
  for (size_t i = 0; i < decisions_.size(); ++i) {
    size_t end = key.size();
    if (i + 1 < decisions_.size()) {
      end = key.find(separator_, start);
      if (end == std::string_view::npos) return std::nullopt;  // too few labels
    }
    std::string_view label = key.substr(start, end - start);
    const auto& choices = decisions_[i].choices;
    size_t c = 0;
    while (c < choices.size() && choices[c] != label) ++c;
    if (c == choices.size()) return std::nullopt;  // unknown label, or too many labels in the last one
    a.choices.push_back(static_cast<Choice>(c));
    start = end + separator_.size();
  }
  return a;
}

}  // namespace mctsnas
