#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "evaluator/csv_reader.h"
#include "space/nb201_space.h"

using namespace mctsnas;

namespace {

struct TableRow {
  std::string arch, canonical;
};

std::vector<TableRow> load_table() {
  auto rows = read_csv(std::filesystem::path(MCTSNAS_SOURCE_DIR) / "data" / "nb201_cifar10.csv");
  REQUIRE(rows.size() == 15626);
  REQUIRE(rows[0].fields == std::vector<std::string>{"arch", "canonical", "test_accuracy", "conv_weights"});
  std::vector<TableRow> out;
  for (size_t i = 1; i < rows.size(); ++i) out.push_back({rows[i].fields.at(0), rows[i].fields.at(1)});
  return out;
}

// data/README.md's formula for the conv_weights column, from the ops of the key.
int conv_weights_of(const std::string& arch) {
  int w = 0;
  for (size_t at = arch.find("nor_conv_"); at != std::string::npos; at = arch.find("nor_conv_", at + 1))
    w += arch.compare(at, 12, "nor_conv_3x3") == 0 ? 9 : 1;
  return w;
}

std::vector<Architecture> all_architectures() {
  std::vector<Architecture> out;
  for (int code = 0; code < 15625; ++code) {
    Architecture a;
    for (int e = 0, c = code; e < 6; ++e, c /= 5) a.choices.push_back(static_cast<Choice>(c % 5));
    out.push_back(a);
  }
  return out;
}

}  // namespace

TEST_CASE("the table's conv_weights column follows its documented formula", "[nb201]") {
  auto rows = read_csv(std::filesystem::path(MCTSNAS_SOURCE_DIR) / "data" / "nb201_cifar10.csv");
  int max_seen = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    INFO(rows[i].fields.at(0));
    REQUIRE(std::stoi(rows[i].fields.at(3)) == conv_weights_of(rows[i].fields.at(0)));
    max_seen = std::max(max_seen, std::stoi(rows[i].fields.at(3)));
  }
  CHECK(max_seen == 54);
}

TEST_CASE("NB201 canonical hash induces exactly the table's 6,466-class partition", "[nb201]") {
  Nb201Space space;
  auto table = load_table();
  std::set<std::string> seen_archs;
  // Both directions of the partition equality: each hash class maps to one table
  // class, and each table class to one hash class.
  std::unordered_map<uint64_t, std::string> hash_to_table;
  std::unordered_map<std::string, uint64_t> table_to_hash;
  for (const auto& row : table) {
    auto a = space.parse_key(row.arch);
    REQUIRE(a);
    seen_archs.insert(row.arch);
    uint64_t h = space.canonical_hash(*a);
    auto [it1, new1] = hash_to_table.emplace(h, row.canonical);
    if (!new1) REQUIRE(it1->second == row.canonical);
    auto [it2, new2] = table_to_hash.emplace(row.canonical, h);
    if (!new2) REQUIRE(it2->second == h);
  }
  REQUIRE(seen_archs.size() == 15625);  // the table covers the whole space once
  REQUIRE(hash_to_table.size() == 6466);
  REQUIRE(table_to_hash.size() == 6466);
  REQUIRE(space.size().distinct_canonical == 6466);
}

TEST_CASE("NB201 canonical_string is the benchmark's own unique string", "[nb201]") {
  Nb201Space space;
  for (const auto& row : load_table()) {
    auto a = space.parse_key(row.arch);
    REQUIRE(a);
    if (space.canonical_string(*a) != row.canonical) FAIL(row.arch << " -> " << space.canonical_string(*a));
  }
}

TEST_CASE("NB201 canonical form: isomorphic and dead-edge variants agree, different functions differ", "[nb201]") {
  Nb201Space space;
  auto h = [&](const std::string& k) {
    auto a = space.parse_key(k);
    REQUIRE(a);
    return space.canonical_hash(*a);
  };
  // The same two ops on parallel paths 0->3 and 0->1->3, swapped.
  REQUIRE(h("|avg_pool_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|") ==
          h("|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|"));
  // Swapping nodes 1 and 2 moves the none edge 2<-1 onto a live node: the benchmark
  // counts a none edge into a live node as a term, so these are different classes.
  REQUIRE(h("|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|none~0|nor_conv_1x1~1|skip_connect~2|") !=
          h("|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_1x1~2|"));
  // Node 1 is dead (its only consumers are none edges): its op does not matter.
  REQUIRE(h("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|") ==
          h("|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"));
  // skip_connect is the identity: 3 <- skip(2) <- skip(0) equals 3 <- skip(2) <- skip(1) <- skip(0).
  REQUIRE(h("|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|") ==
          h("|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"));
  // ... but a spliced skip input keeps its grouping in the benchmark's form.
  REQUIRE(h("|none~0|+|skip_connect~0|none~1|+|nor_conv_3x3~0|none~1|skip_connect~2|") !=
          h("|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|skip_connect~2|"));
  // Different ops on a live path compute different functions.
  REQUIRE(h("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|") !=
          h("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|"));
  // Order of composition matters: conv(pool(x)) != pool(conv(x)).
  REQUIRE(h("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|") !=
          h("|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|"));
}

TEST_CASE("NB201 key() and parse_key() round-trip for all 15,625 architectures", "[nb201]") {
  Nb201Space space;
  std::set<std::string> keys;
  for (const auto& a : all_architectures()) {
    REQUIRE(space.is_legal(a));
    std::string k = space.key(a);
    keys.insert(k);
    auto back = space.parse_key(k);
    REQUIRE(back);
    REQUIRE(*back == a);
  }
  REQUIRE(keys.size() == 15625);
}

TEST_CASE("NB201 parse_key rejects malformed keys", "[nb201]") {
  Nb201Space space;
  const std::string good = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
  REQUIRE(space.parse_key(good));
  for (const std::string& bad : {
           std::string(""),
           std::string("|"),
           std::string("+|+"),
           good + "+|none~0|",                                                             // four groups
           good.substr(1),                                                                 // missing leading '|'
           good.substr(0, good.size() - 1),                                                // missing trailing '|'
           std::string("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),  // 1 in group 2
           std::string("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),  // wrong input
           std::string("|conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),  // unknown op
           std::string("|nor_conv_3x3~0~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
           std::string("|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
           std::string("| nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
           std::string("|nor_conv_3x3~0|+|nor_conv_3x3~0||nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
           std::string("conv3-glu-64"),
       }) {
    INFO(bad);
    REQUIRE_FALSE(space.parse_key(bad));
  }
}

TEST_CASE("NB201 neighbours: 24 legal one-edit moves", "[nb201]") {
  Nb201Space space;
  Rng rng(11);
  for (int i = 0; i < 100; ++i) {
    Architecture a = space.random(rng);
    auto ns = space.neighbours(a);
    REQUIRE(ns.size() == 24);
    std::set<Architecture> distinct(ns.begin(), ns.end());
    REQUIRE(distinct.size() == 24);
    for (const auto& n : ns) {
      REQUIRE(space.is_legal(n));
      int diff = 0;
      for (size_t d = 0; d < 6; ++d) diff += n.choices[d] != a.choices[d];
      REQUIRE(diff == 1);
    }
  }
}
