#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

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
  // tests/golden/mcts_*_nb201.state: state version 5 as documented (version 4,
  // pinned since the tree core and shapes were split in 19fe1e7, plus the edit
  // tree's last two roots). A layout change must fail here (and bump the
  // version), never slip through.
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
  SECTION("with trials in flight at save time, proposing more before any result") {
    for (BatchMode batch : {BatchMode::virtual_loss, BatchMode::fantasy}) {
      INFO(name_of(batch));
      MctsOptions o;
      o.batch = batch;
      auto a = std::make_unique<Mcts>(space, o, TranspositionKey::exact, 8);
      drive(*a, 15, 2);
      auto pending = a->propose(3);
      ByteWriter w;
      a->save(w);
      auto b = std::make_unique<Mcts>(space, o, TranspositionKey::exact, 8);
      ByteReader r(w.bytes(), "state");
      b->load(r);
      CHECK(b->in_flight() == 3);
      auto more_a = a->propose(4), more_b = b->propose(4);
      CHECK(proposals_text(more_a) == proposals_text(more_b));
      for (auto* list : {&pending, &more_a})
        for (auto& p : *list) {
          a->observe(p, fake_reward(p.arch));
          b->observe(p, fake_reward(p.arch));
        }
      CHECK(proposals_text(drive(*a, 10, 2)) == proposals_text(drive(*b, 10, 2)));
    }
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
}

TEST_CASE("edit combination: a batch after a root change jumps by the old root's other improving edits", "[mcts]") {
  // An additive reward over 5 decisions of 3 choices: every edit's effect is the
  // same in every context, so the improving edits of the first root are known
  // once its 10 neighbours are evaluated.
  TinySpace space({3, 3, 3, 3, 3});
  auto reward = [](const Architecture& a) {
    double r = 0;
    for (size_t i = 0; i < a.choices.size(); ++i) r += static_cast<double>((a.choices[i] * 7 + i * 3) % 5);
    return r;
  };
  auto run = [&](bool combine) {
    MctsOptions o;
    o.initial_random = 1;
    o.combine_edits = combine;
    Mcts m(space, o, TranspositionKey::exact, 12);
    auto first = m.propose(1);
    m.observe(first[0], reward(first[0].arch));
    auto wave = m.propose(10);  // the first root's neighbours (a combination needs a previous root)
    REQUIRE(wave.size() == 10);
    for (const auto& p : wave) {
      int differ = 0;
      for (size_t i = 0; i < p.arch.choices.size(); ++i) differ += p.arch.choices[i] != first[0].arch.choices[i];
      CHECK(differ == 1);
      m.observe(p, reward(p.arch));
    }
    return std::tuple{first[0].arch, wave, m.propose(3), m.arch_of(*m.best_node())};
  };
  auto [a0, wave, next, root] = run(true);
  // The expected jump: the root plus the other decisions' improving edits of a0,
  // best first, two of them (the first alone would be a neighbour of the root).
  std::vector<std::pair<double, size_t>> gains;
  for (size_t i = 0; i < a0.choices.size(); ++i) {
    if (root.choices[i] != a0.choices[i]) continue;
    std::optional<std::pair<double, Choice>> best;
    for (const auto& p : wave)
      if (p.arch.choices[i] != a0.choices[i] && reward(p.arch) > reward(a0) && (!best || reward(p.arch) > best->first))
        best = std::pair{reward(p.arch), p.arch.choices[i]};
    if (best) gains.push_back({best->first, i});
  }
  REQUIRE(gains.size() >= 2);
  std::stable_sort(gains.begin(), gains.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  Architecture jump = root;
  for (size_t j = 0; j < 2; ++j) {
    const size_t i = gains[j].second;
    for (const auto& p : wave)
      if (p.arch.choices[i] != a0.choices[i] && reward(p.arch) == gains[j].first) jump.choices[i] = p.arch.choices[i];
  }
  REQUIRE(next.size() == 3);
  CHECK(next[0].arch != jump);   // the descent's proposal first
  CHECK(next[1].arch == jump);   // then the jump
  auto [b0, wave_off, next_off, root_off] = run(false);
  CHECK(b0 == a0);
  CHECK(proposals_text(wave_off) == proposals_text(wave));  // no previous root yet: the same wave
  CHECK(next_off[0].arch == next[0].arch);
  for (const auto& p : next_off) CHECK(p.arch != jump);  // only neighbours of the root without it
  // k = 1 never has a trial in flight: combination changes nothing there.
  MctsOptions on, off;
  off.combine_edits = false;
  Nb201Space nb;
  Mcts x(nb, on, TranspositionKey::exact, 5), y(nb, off, TranspositionKey::exact, 5);
  CHECK(proposals_text(drive(x, 40, 1)) == proposals_text(drive(y, 40, 1)));
}

TEST_CASE("an MCTS state of another version is a clear error", "[mcts]") {
  Nb201Space space;
  Mcts a(space, MctsOptions{}, TranspositionKey::exact, 8);
  drive(a, 5, 1);
  ByteWriter w;
  a.save(w);
  std::string bytes = w.bytes();
  const uint32_t old_version = 4;  // 5 saves the edit tree's last two roots
  bytes.replace(0, 4, reinterpret_cast<const char*>(&old_version), 4);
  Mcts b(space, MctsOptions{}, TranspositionKey::exact, 8);
  ByteReader r(bytes, "run/tree.ckpt");
  CHECK_THROWS_WITH(b.load(r), Catch::Matchers::Contains("MCTS state version 4, but this mctsnas reads version 5"));
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
