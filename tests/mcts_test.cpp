#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "search/mcts.h"
#include "search/search_options.h"
#include "search_test_util.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using namespace mctsnas::testing;

namespace {

MctsOptions prefix_uniform() {
  MctsOptions o;
  o.tree = "prefix";
  o.surrogate = "none";
  o.initial_random = 0;
  o.exploration = 1.0;
  o.virtual_loss = 1.0;
  o.backup = "max";
  o.normalization = "minmax";
  return o;
}

}  // namespace

TEST_CASE("PUCT and UCT formulas", "[mcts]") {
  CHECK(Mcts::puct_score(0.5, 0.2, 9, 2, 1.0) == Approx(0.5 + 0.2 * 3.0 / 3.0));
  CHECK(Mcts::puct_score(0.0, 0.5, 0, 0, 2.0) == Approx(2.0 * 0.5 * 1.0));  // parent visits floor 1
  CHECK(Mcts::uct_score(0.25, std::exp(1.0) - 1, 0, 2.0) == Approx(0.25 + 2.0));
  CHECK(Mcts::uct_score(0.0, 3, 3, 1.0) == Approx(std::sqrt(std::log(4.0) / 4.0)));
}

TEST_CASE("selection arithmetic on a hand-built prefix tree", "[mcts]") {
  // 3 x 3 space: the root has 3 children, each with 3 terminals. With uniform
  // priors and first-play 1, virtual loss sends the 3 first proposals to 3
  // different root children; rewards 1, 2, 4 are then backed up.
  TinySpace space({3, 3});
  auto opts = prefix_uniform();
  Mcts m(space, opts, TranspositionKey::exact, 1);
  auto props = m.propose(3);
  REQUIRE(props.size() == 3);
  std::set<Choice> first;
  for (auto& p : props) first.insert(p.arch.choices[0]);
  CHECK(first.size() == 3);
  const double rewards[3] = {1, 2, 4};
  for (auto& p : props) m.observe(p, rewards[p.arch.choices[0]]);

  auto kids = m.child_scores(0);
  REQUIRE(kids.size() == 3);
  const double u = 1.0 * (1.0 / 3.0) * std::sqrt(3.0) / (1.0 + 1.0);
  // min-max over siblings: lo = 1, top = max(parent 4, best sibling 4).
  CHECK(kids[0].q == Approx(0.0));
  CHECK(kids[1].q == Approx(1.0 / 3.0));
  CHECK(kids[2].q == Approx(1.0));
  for (int i = 0; i < 3; ++i) {
    CHECK(kids[i].prior == Approx(1.0 / 3.0));
    CHECK(kids[i].visits == Approx(1.0));
    CHECK(kids[i].score == Approx(kids[i].q + u));
  }

  // The next descent takes child 2; its in-flight trial is a visit of value 0.
  auto p4 = m.propose(1);
  REQUIRE(p4.size() == 1);
  CHECK(p4[0].arch.choices[0] == 2);
  kids = m.child_scores(0);
  CHECK(kids[2].visits == Approx(2.0));
  CHECK(kids[2].q == Approx(0.5));
  CHECK(kids[2].score == Approx(0.5 + (1.0 / 3.0) * std::sqrt(4.0) / 3.0));
}

TEST_CASE("UCT, mean backup and rank normalization arithmetic", "[mcts]") {
  TinySpace space({3, 2});
  auto opts = prefix_uniform();
  opts.selection = "uct";
  opts.backup = "mean";
  opts.normalization = "rank";
  Mcts m(space, opts, TranspositionKey::exact, 1);
  auto props = m.propose(3);
  REQUIRE(props.size() == 3);
  const double rewards[3] = {5, 3, 4};
  for (auto& p : props) m.observe(p, rewards[p.arch.choices[0]]);
  auto kids = m.child_scores(0);
  REQUIRE(kids.size() == 3);
  CHECK(kids[0].q == Approx(1.0));  // 5 is the highest of 5, 3, 4
  CHECK(kids[1].q == Approx(0.0));
  CHECK(kids[2].q == Approx(0.5));
  for (auto& k : kids) CHECK(k.score == Approx(k.q + std::sqrt(std::log(4.0) / 2.0)));
}

TEST_CASE("virtual loss: propose(k) gives k distinct new architectures", "[mcts]") {
  Nb201Space space;
  for (std::string tree : {"edit", "prefix"}) {
    MctsOptions o;
    o.tree = tree;
    Mcts m(space, o, TranspositionKey::exact, 3);
    auto seen = drive(m, 30, 1);
    std::set<std::vector<Choice>> known;
    for (auto& p : seen) known.insert(p.arch.choices);
    REQUIRE(known.size() == seen.size());
    for (int round = 0; round < 5; ++round) {
      auto batch = m.propose(8);
      REQUIRE(batch.size() == 8);
      for (auto& p : batch) {
        CHECK(known.insert(p.arch.choices).second);  // new: not evaluated, not in flight
        CHECK(space.is_legal(p.arch));
      }
      CHECK(m.in_flight() == 8);
      for (auto& p : batch) m.observe(p, fake_reward(p.arch));
      CHECK(m.in_flight() == 0);
    }
  }
}

TEST_CASE("transposition: an isomorphic architecture is never proposed twice", "[mcts]") {
  // Canonical key = sorted choices: 4 decisions of 3 choices hold 81
  // architectures but only 15 multisets.
  TinySpace space({3, 3, 3, 3}, /*canonical_sorted=*/true);
  for (std::string tree : {"edit", "prefix"}) {
    for (int k : {1, 4}) {
      MctsOptions o;
      o.tree = tree;
      o.initial_random = 3;
      Mcts m(space, o, TranspositionKey::canonical, 5);
      auto all = drive_to_exhaustion(m, k, nullptr);
      std::set<uint64_t> keys;
      for (auto& p : all) CHECK(keys.insert(space.canonical_hash(p.arch)).second);
      CHECK(all.size() == 15);
      CHECK(m.propose(k).empty());
    }
  }
  SECTION("a known result updates the prefix tree without a proposal") {
    MctsOptions o;
    o.tree = "prefix";
    o.initial_random = 0;
    Mcts m(space, o, TranspositionKey::canonical, 5);
    auto all = drive_to_exhaustion(m, 1, nullptr);
    // The root saw every proposal once plus every transposition reached later.
    CHECK(m.nodes()[0].visits > all.size());
  }
}

TEST_CASE("failed trials are never re-proposed and never become the root", "[mcts]") {
  TinySpace space({4, 4, 4});
  MctsOptions o;
  o.initial_random = 2;
  Mcts m(space, o, TranspositionKey::exact, 9);
  auto fail = [](const Architecture& a) { return a.choices[0] == 3; };
  auto all = drive_to_exhaustion(m, 3, fail);
  CHECK(all.size() == 64);
  REQUIRE(m.best_node());
  CHECK(m.arch_of(*m.best_node()).choices[0] != 3);
}

TEST_CASE("observing a trial that is not in flight is an error", "[mcts]") {
  TinySpace space({3, 3});
  Mcts m(space, MctsOptions{}, TranspositionKey::exact, 1);
  Proposal bogus{42, Architecture{{0, 0}}};
  CHECK_THROWS_AS(m.observe(bogus, 1.0), Error);
}

TEST_CASE("bad MCTS options are errors naming the key", "[mcts]") {
  TinySpace space({3, 3});
  MctsOptions o;
  o.tree = "forest";
  CHECK_THROWS_WITH(Mcts(space, o, TranspositionKey::exact, 1), Catch::Contains("search.mcts.tree"));
  o = MctsOptions{};
  o.prior_decay = 0;
  CHECK_THROWS_WITH(Mcts(space, o, TranspositionKey::exact, 1), Catch::Contains("search.mcts.prior_decay"));
}

TEST_CASE("determinism: the tree after 60 iterations matches the golden dump", "[mcts]") {
  Nb201Space space;
  for (std::string tree : {"edit", "prefix"}) {
    MctsOptions o;
    o.tree = tree;
    Mcts m(space, o, TranspositionKey::exact, 2024);
    drive(m, 20, 1);
    drive(m, 10, 4);  // batches exercise virtual loss
    m.propose(3);     // and leave trials in flight
    const std::string dump = m.dump();
    const auto path = std::filesystem::path(MCTSNAS_SOURCE_DIR) / "tests/golden" / ("mcts_" + tree + "_nb201.txt");
    if (std::getenv("MCTSNAS_UPDATE_GOLDEN")) write_file_atomically(path, dump);
    REQUIRE(std::filesystem::exists(path));
    const std::string golden = read_file(path);
    CHECK(dump == golden);
  }
}

TEST_CASE("save/load mid-run continues exactly like an uninterrupted run", "[mcts]") {
  Nb201Space space;
  for (std::string tree : {"edit", "prefix"}) {
    for (int k : {1, 3}) {
      MctsOptions o;
      o.tree = tree;
      check_resume_identical([&] { return std::make_unique<Mcts>(space, o, TranspositionKey::exact, 77); }, 40,
                             17, k);
    }
  }
  SECTION("with trials in flight at save time") {
    MctsOptions o;
    auto a = std::make_unique<Mcts>(space, o, TranspositionKey::exact, 8);
    drive(*a, 15, 2);
    auto pending = a->propose(3);
    ByteWriter w;
    a->save(w);
    auto b = std::make_unique<Mcts>(space, o, TranspositionKey::exact, 8);
    ByteReader r(w.bytes(), "state");
    b->load(r);
    CHECK(b->in_flight() == 3);
    for (auto& p : pending) {
      a->observe(p, fake_reward(p.arch));
      b->observe(p, fake_reward(p.arch));
    }
    CHECK(proposals_text(drive(*a, 10, 2)) == proposals_text(drive(*b, 10, 2)));
  }
  SECTION("a truncated state is an error, not a crash") {
    MctsOptions o;
    Mcts a(space, o, TranspositionKey::exact, 8);
    drive(a, 15, 1);
    ByteWriter w;
    a.save(w);
    std::string cut = w.bytes().substr(0, w.bytes().size() / 2);
    Mcts b(space, o, TranspositionKey::exact, 8);
    ByteReader r(cut, "tree.ckpt");
    CHECK_THROWS_AS(b.load(r), Error);
  }
}

TEST_CASE("an MCTS state of another version is a clear error", "[mcts]") {
  Nb201Space space;
  Mcts a(space, MctsOptions{}, TranspositionKey::exact, 8);
  drive(a, 5, 1);
  ByteWriter w;
  a.save(w);
  std::string bytes = w.bytes();
  const uint32_t old_version = 3;  // one-hot surrogate features; 4 treatment-codes them
  bytes.replace(0, 4, reinterpret_cast<const char*>(&old_version), 4);
  Mcts b(space, MctsOptions{}, TranspositionKey::exact, 8);
  ByteReader r(bytes, "run/tree.ckpt");
  CHECK_THROWS_WITH(b.load(r), Catch::Matchers::Contains("MCTS state version 3, but this mctsnas reads version 4"));
}

TEST_CASE("MCTS on large categorical spaces: bounded surrogate and checkpoint", "[mcts]") {
  // Unbounded pair features made these 48,500 and ~1,000,000 features (a dense
  // P of 18.8 GB and 8 TB): bad_alloc or an OOM kill on a valid config.
  SECTION("20 x 50") {
    TinySpace space(std::vector<int>(20, 50));
    MctsOptions o;
    Mcts m(space, o, TranspositionKey::exact, 5);
    auto all = drive(m, 20, 2);
    CHECK(all.size() == 40);
    ByteWriter w;
    m.save(w);
    // Tree plus the surrogate's observation log: kilobytes, not the dense matrix.
    CHECK(w.bytes().size() < 100000);
    check_resume_identical([&] { return std::make_unique<Mcts>(space, o, TranspositionKey::exact, 6); }, 24, 11, 2);
  }
  SECTION("100 x 100") {
    TinySpace space(std::vector<int>(100, 100));
    MctsOptions o;
    o.initial_random = 4;
    Mcts m(space, o, TranspositionKey::exact, 5);
    auto all = drive(m, 8, 1);
    CHECK(all.size() == 8);
    std::set<std::string> distinct;
    for (const auto& p : all) distinct.insert(space.key(p.arch));
    CHECK(distinct.size() == all.size());
    ByteWriter w;
    m.save(w);
    CHECK(w.bytes().size() < 100000);
  }
}

TEST_CASE("MCTS node stays within one cache line", "[mcts]") {
  STATIC_REQUIRE(sizeof(Node) <= 64);
}

TEST_CASE("stats() summarises the tree for the report", "[mcts]") {
  Nb201Space space;
  for (std::string tree : {"edit", "prefix"}) {
    MctsOptions o;
    o.tree = tree;
    Mcts m(space, o, TranspositionKey::exact, 4);
    drive(m, 40, 1);
    auto st = m.stats();
    CHECK(st.nodes == static_cast<int64_t>(m.nodes().size()));
    int64_t visits = 0;
    for (auto v : st.visits_by_depth) visits += v;
    CHECK(visits >= 40);
    REQUIRE(!st.most_visited_path.empty());
    if (tree == "edit") CHECK(st.most_visited_path.front() == m.arch_of(*m.best_node()));
    else CHECK(st.most_visited_path.front().choices.empty());
  }
}

TEST_CASE("rank normalization: the share of siblings strictly below, few or many", "[mcts]") {
  // Few siblings are counted pairwise, many are sorted: both must give the
  // brute-force ranks, ties included.
  Rng rng(5);
  for (size_t n : {1u, 2u, 7u, 24u, 64u, 65u, 300u}) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng.below(n / 2 + 1));  // many ties
    std::vector<double> out;
    Mcts::rank_normalize(v, out);
    REQUIRE(out.size() == n);
    for (size_t i = 0; i < n; ++i) {
      size_t below = 0;
      for (double y : v) below += y < v[i];
      INFO("n " << n << " i " << i);
      CHECK(out[i] == (n == 1 ? 1.0 : static_cast<double>(below) / static_cast<double>(n - 1)));
    }
  }
}

TEST_CASE("edit tree: architectures bit-packed, as many bits as the widest decision needs", "[mcts]") {
  for (int width : {2, 5, 8, 9, 300, 1000}) {
    TinySpace space({width, 3, width});
    Mcts m(space, MctsOptions{}, TranspositionKey::exact, 4);
    std::vector<Proposal> seen;
    for (int i = 0; i < 40; ++i) {
      auto ps = m.propose(2);
      for (auto& p : ps) {
        m.observe(p, fake_reward(p.arch));
        seen.push_back(p);
      }
    }
    INFO("width " << width);
    bool high = false;
    for (uint32_t i = 0; i < m.nodes().size(); ++i) {
      const Architecture a = m.arch_of(i);
      CHECK(space.is_legal(a));
      CHECK(m.nodes()[i].key == exact_hash(a.choices));
      high |= a.choices[0] > 255 || a.choices[2] > 255;
    }
    if (width > 256) CHECK(high);  // choices above one byte were stored and read back
    ByteWriter w;
    m.save(w);
    Mcts b(space, MctsOptions{}, TranspositionKey::exact, 4);
    ByteReader r(w.bytes(), "tree.ckpt");
    b.load(r);
    CHECK(b.dump() == m.dump());
  }
}

TEST_CASE("descending ranks: a stable sort's positions, few or many", "[mcts]") {
  Rng rng(8);
  for (size_t n : {1u, 3u, 24u, 64u, 65u, 200u}) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng.below(n / 3 + 1));  // ties
    std::vector<uint32_t> ranks;
    Mcts::descending_ranks(v, ranks);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] > v[b]; });
    INFO("n " << n);
    for (size_t r = 0; r < n; ++r) CHECK(ranks[order[r]] == r);
  }
}

TEST_CASE("ChoiceTable: bit-packed rows read back exactly", "[mcts]") {
  Rng rng(12);
  struct Case {
    size_t decisions, most, bits;
  };
  for (const Case& c : {Case{6, 5, 3}, Case{1, 1, 1}, Case{7, 2, 1}, Case{16, 8, 3}, Case{5, 9, 4},
                        Case{3, 300, 9}, Case{4, 65536, 16}}) {
    INFO("decisions " << c.decisions << " most " << c.most);
    ChoiceTable t;
    t.init(c.decisions, c.most);
    CHECK(t.bytes_per_node() == (c.decisions * c.bits + 7) / 8);
    std::vector<std::vector<Choice>> rows;
    for (int r = 0; r < 50; ++r) {
      std::vector<Choice> row(c.decisions);
      for (auto& x : row) x = static_cast<Choice>(r == 0 ? c.most - 1 : rng.below(c.most));  // row 0: all maximal
      t.append(row);
      rows.push_back(row);
    }
    CHECK(t.bytes() == 50 * t.bytes_per_node());
    std::vector<Choice> got(c.decisions);
    for (uint32_t r = 0; r < rows.size(); ++r) {
      t.get(r, got.data());
      CHECK(got == rows[r]);
    }
    ChoiceTable u;
    u.init(c.decisions, c.most);
    CHECK_FALSE(u.set_raw(std::vector<uint8_t>(t.bytes() + 1), 50));
    REQUIRE(u.set_raw(t.raw(), 50));
    u.get(49, got.data());
    CHECK(got == rows[49]);
  }
}
