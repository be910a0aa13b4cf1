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

TEST_CASE("virtual loss: propose(k) gives k distinct new architectures", "[mcts]") {
  Nb201Space space;
  for (auto [tree, batch] : {std::pair{TreeShape::edit, BatchMode::virtual_loss}, std::pair{TreeShape::prefix, BatchMode::virtual_loss},
                             std::pair{TreeShape::edit, BatchMode::fantasy}}) {
    INFO(name_of(tree) << " " << name_of(batch));
    MctsOptions o;
    o.tree = tree;
    o.batch = batch;
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
  for (TreeShape tree : {TreeShape::edit, TreeShape::prefix}) {
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

TEST_CASE("determinism: the tree after 60 iterations matches the golden dump", "[mcts]") {
  Nb201Space space;
  for (TreeShape tree : {TreeShape::edit, TreeShape::prefix}) {
    MctsOptions o;
    o.tree = tree;
    Mcts m(space, o, TranspositionKey::exact, 2024);
    drive(m, 20, 1);
    drive(m, 10, 4);  // batches exercise virtual loss
    m.propose(3);     // and leave trials in flight
    const std::string dump = m.dump();
    const auto path = std::filesystem::path(MCTSNAS_SOURCE_DIR) / "tests/golden" / ("mcts_" + std::string(name_of(tree)) + "_nb201.txt");
    if (std::getenv("MCTSNAS_UPDATE_GOLDEN")) write_file_atomically(path, dump);
    REQUIRE(std::filesystem::exists(path));
    const std::string golden = read_file(path);
    CHECK(dump == golden);
  }
}

TEST_CASE("checkpoint layout: the golden run's state, byte for byte, and it loads", "[mcts]") {
  // tests/golden/mcts_*_nb201.state were written by the code before the tree
  // core and tree shapes were split (19fe1e7): state version 4 as documented.
  // A layout change must fail here (and bump the version), never slip through.
  Nb201Space space;
  for (TreeShape tree : {TreeShape::edit, TreeShape::prefix}) {
    INFO(name_of(tree));
    MctsOptions o;
    o.tree = tree;
    auto run = [&] {
      auto m = std::make_unique<Mcts>(space, o, TranspositionKey::exact, 2024);
      drive(*m, 20, 1);
      drive(*m, 10, 4);
      m->propose(3);
      return m;
    };
    auto m = run();
    ByteWriter w;
    m->save(w);
    const auto path = std::filesystem::path(MCTSNAS_SOURCE_DIR) / "tests/golden" / ("mcts_" + std::string(name_of(tree)) + "_nb201.state");
    if (std::getenv("MCTSNAS_UPDATE_GOLDEN")) write_file_atomically(path, w.bytes());
    REQUIRE(std::filesystem::exists(path));
    const std::string golden = read_file(path);
    CHECK(w.bytes() == golden);
    Mcts loaded(space, o, TranspositionKey::exact, 1);
    ByteReader r(golden, path.string());
    loaded.load(r);
    CHECK(loaded.dump() == m->dump());
    CHECK(proposals_text(drive(loaded, 10, 2)) == proposals_text(drive(*m, 10, 2)));
  }
}

TEST_CASE("save/load mid-run continues exactly like an uninterrupted run", "[mcts]") {
  Nb201Space space;
  for (TreeShape tree : {TreeShape::edit, TreeShape::prefix}) {
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

TEST_CASE("batch fantasies: k = 1 unchanged, batches spread otherwise, resume mid-batch exact", "[mcts]") {
  Nb201Space space;
  MctsOptions vl, fant;
  fant.batch = BatchMode::fantasy;
  Mcts a(space, vl, TranspositionKey::exact, 2024), b(space, fant, TranspositionKey::exact, 2024);
  // Nothing in flight, nothing fantasized: the same trials, the same tree.
  CHECK(proposals_text(drive(a, 25, 1)) == proposals_text(drive(b, 25, 1)));
  CHECK(a.dump() == b.dump());
  auto ba = a.propose(8), bb = b.propose(8);
  REQUIRE(ba.size() == 8);
  REQUIRE(bb.size() == 8);
  CHECK(ba[0].arch == bb[0].arch);  // the first of a batch sees no fantasy
  CHECK(proposals_text(ba) != proposals_text(bb));  // the later ones do

  for (int k : {3, 8}) {
    INFO("k = " << k);
    check_resume_identical([&] { return std::make_unique<Mcts>(space, fant, TranspositionKey::exact, 31); }, 12, 5, k);
  }
  SECTION("saved with trials in flight, proposing more before any result") {
    auto x = std::make_unique<Mcts>(space, fant, TranspositionKey::exact, 8);
    drive(*x, 15, 2);
    auto pending = x->propose(3);
    ByteWriter w;
    x->save(w);
    auto y = std::make_unique<Mcts>(space, fant, TranspositionKey::exact, 8);
    ByteReader r(w.bytes(), "state");
    y->load(r);
    auto more_x = x->propose(4), more_y = y->propose(4);
    CHECK(proposals_text(more_x) == proposals_text(more_y));
    for (auto* list : {&pending, &more_x})
      for (auto& p : *list) {
        x->observe(p, fake_reward(p.arch));
        y->observe(p, fake_reward(p.arch));
      }
    CHECK(proposals_text(drive(*x, 6, 4)) == proposals_text(drive(*y, 6, 4)));
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

TEST_CASE("stats() summarises the tree for the report", "[mcts]") {
  Nb201Space space;
  for (TreeShape tree : {TreeShape::edit, TreeShape::prefix}) {
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
    if (tree == TreeShape::edit) CHECK(st.most_visited_path.front() == m.arch_of(*m.best_node()));
    else CHECK(st.most_visited_path.front().choices.empty());
  }
}
