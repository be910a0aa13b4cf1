#include "evaluator/table_cost.h"

#include <algorithm>
#include <limits>

#include "common/error.h"
#include "evaluator/csv_reader.h"

namespace mctsnas {

TableCostModel::TableCostModel(const SearchSpace& space, const std::filesystem::path& path,
                               const std::string& key_column, const CostColumns& columns) {
  const std::string file = path.string();
  const std::vector<CsvRecord> records = read_csv(path);
  if (records.empty()) throw Error(file + ":1: empty table (expected a header row naming the columns)");
  const std::vector<std::string>& header = records[0].fields;
  const int key_col = csv_column(header, key_column, "key", file);
  int cost_col[2] = {-1, -1};
  for (CostKind k : kCostKinds) {
    const std::string& name = k == CostKind::params ? columns.params : columns.flops;
    if (name.empty()) continue;
    cost_col[static_cast<size_t>(k)] = csv_column(header, name, "task.cost_columns." + std::string(cost_name(k)),
                                                  file, key_column);
    known_[static_cast<size_t>(k)] = true;
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    const std::string where = file + ":" + std::to_string(rec.line) + ": ";
    check_row_width(rec, header.size(), file);
    const std::string& key = rec.fields[static_cast<size_t>(key_col)];
    const auto arch = space.parse_key(key);
    if (!arch) throw Error(where + "key '" + key + "' is not a valid " + space.kind() + " architecture");
    for (CostKind k : kCostKinds) {
      const int col = cost_col[static_cast<size_t>(k)];
      if (col < 0) continue;
      const std::string& text = rec.fields[static_cast<size_t>(col)];
      const auto v = parse_csv_number(text);
      if (!v || *v < 0)
        throw Error(where + std::string(cost_name(k)) + " '" + text + "' in column '" + header[static_cast<size_t>(col)] +
                    "' is not a number >= 0");
      auto& least = least_[static_cast<size_t>(k)];
      for (size_t p = 0; p <= arch->choices.size(); ++p) {
        auto [it, inserted] = least.emplace(exact_hash(std::span(arch->choices.data(), p)), *v);
        if (!inserted) it->second = std::min(it->second, *v);
      }
    }
  }
}

double TableCostModel::lower_bound(CostKind k, std::span<const Choice> prefix) const {
  const auto& least = least_[static_cast<size_t>(k)];
  const auto it = least.find(exact_hash(prefix));
  return it == least.end() ? std::numeric_limits<double>::infinity() : it->second;
}

}  // namespace mctsnas
