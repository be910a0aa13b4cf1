// Engine cost of the MCTS searcher: proposals per second (single thread, NB201,
// fake rewards so only the search is timed), bytes per node, and the time to
// checkpoint and load a tree of 1,000,000 nodes (save() into a buffer, CRC-32,
// write_file_atomically; read back, CRC-32, load()).
//
// Also the engine's cost per trial on large categorical spaces (2 x 50, 20 x 50,
// 100 x 100: an MCTS search with the defaults, checkpointed after every trial as
// the search loop does), and the search quality of the surrogate's feature
// variants beyond the feature bound (--sections variants).
//
//   bench_engine_cost [--proposals 10000] [--repeats 5] [--nodes 1000000] [--edit-nodes 1000000] [--dir /tmp]
//                     [--large-trials 100] [--variant-seeds 20] [--variant-trials 300]
//                     [--sections nb201,ckpt,large,variants]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>
#include <string>
#include <sys/resource.h>

#include "common/atomic_file.h"
#include "common/binary_io.h"
#include "common/error.h"
#include "search/mcts.h"
#include "search/ridge_surrogate.h"
#include "space/nb201_space.h"

using namespace mctsnas;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// This thread's CPU time: on a shared, loaded machine wall time also counts the
// time other processes held the core; CPU time does not (cache contention
// still shows). Read once per loop, not per call (it is a system call).
double thread_cpu_secs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double fake_reward(const Architecture& a) {
  double r = 0;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    uint64_t x = i * 131 + a.choices[i];
    r += static_cast<double>(splitmix64(x) % 1000) / 100.0;
  }
  return r;
}

// A plain categorical space large enough for a million-node tree.
class WideSpace final : public SearchSpace {
 public:
  WideSpace(int decisions, int choices) {
    for (int i = 0; i < decisions; ++i) {
      Decision d{"d" + std::to_string(i), {}};
      for (int c = 0; c < choices; ++c) d.choices.push_back(std::to_string(c));
      decisions_.push_back(d);
    }
  }
  std::string kind() const override { return "wide"; }
  std::string key(const Architecture& a) const override {
    std::string s;
    for (Choice c : a.choices) s += std::to_string(c) + ".";
    return s;
  }
  std::optional<Architecture> parse_key(std::string_view) const override { return std::nullopt; }
};

// Each row repeats the same search (same seed, fresh tree) `repeats` times and
// prints medians, with the range of propose+observe: a single short run is at
// the mercy of a frequency ramp or a neighbour's burst on a shared machine.
void throughput(const char* label, const SearchSpace& space, MctsOptions o, int proposals, int k, int repeats) {
  std::vector<double> propose_rate, loop_rate, cpu_rate;
  size_t nodes = 0;
  double bytes_per_node = 0;
  int n = 0;
  for (int r = 0; r < repeats; ++r) {
    Mcts m(space, o, TranspositionKey::exact, 1);
    double t_propose = 0, t_observe = 0;
    n = 0;
    const double cpu0 = thread_cpu_secs();
    while (n < proposals) {
      auto t0 = Clock::now();
      auto ps = m.propose(k);
      auto t1 = Clock::now();
      for (auto& p : ps) m.observe(p, fake_reward(p.arch));
      auto t2 = Clock::now();
      t_propose += secs(t0, t1);
      t_observe += secs(t1, t2);
      if (ps.empty()) break;
      n += static_cast<int>(ps.size());
    }
    const double cpu = thread_cpu_secs() - cpu0;
    propose_rate.push_back(n / t_propose);
    loop_rate.push_back(n / (t_propose + t_observe));
    cpu_rate.push_back(n / cpu);
    nodes = m.nodes().size();
    bytes_per_node = static_cast<double>(m.memory_bytes()) / static_cast<double>(nodes);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  const auto [lo, hi] = std::minmax_element(loop_rate.begin(), loop_rate.end());
  std::printf("%-34s k=%d: %6d proposals x %d, median propose %9.0f /s, propose+observe %9.0f /s [%.0f..%.0f] "
              "(CPU time: %9.0f /s), %zu nodes, %.1f bytes/node\n",
              label, k, n, repeats, median(propose_rate), median(loop_rate), *lo, *hi, median(cpu_rate), nodes,
              bytes_per_node);
}

void checkpoint(const char* label, const SearchSpace& space, MctsOptions o, size_t target_nodes,
                const std::filesystem::path& dir) {
  Mcts m(space, o, TranspositionKey::exact, 2);
  auto t0 = Clock::now();
  int64_t proposals = 0;
  while (m.nodes().size() < target_nodes) {
    auto ps = m.propose(16);
    if (ps.empty()) break;
    for (auto& p : ps) m.observe(p, fake_reward(p.arch));
    proposals += static_cast<int64_t>(ps.size());
  }
  auto t1 = Clock::now();
  const auto path = dir / "mctsnas_engine_cost.ckpt";

  auto w0 = Clock::now();
  ByteWriter buf;
  m.save(buf);
  const uint32_t crc = crc32(buf.bytes());
  write_file_atomically(path, buf.bytes());
  auto w1 = Clock::now();

  auto l0 = Clock::now();
  std::string bytes = read_file(path);
  if (crc32(bytes) != crc) throw Error("checksum mismatch reading " + path.string());
  Mcts loaded(space, o, TranspositionKey::exact, 2);
  ByteReader in(bytes, path.string());
  loaded.load(in);
  auto l1 = Clock::now();
  if (loaded.nodes().size() != m.nodes().size()) throw Error("loaded tree differs in size");
  std::filesystem::remove(path);
  std::printf("%-34s %zu nodes (%lld proposals, built in %.1f s), %.1f bytes/node in memory, file %.1f MB: "
              "write %.3f s, load %.3f s\n",
              label, m.nodes().size(), static_cast<long long>(proposals), secs(t0, t1),
              static_cast<double>(m.memory_bytes()) / static_cast<double>(m.nodes().size()), bytes.size() / 1e6,
              secs(w0, w1), secs(l0, l1));
}

// Reward with interactions: per-decision terms, a term per consecutive pair
// and one per pair (i, i + D/2) (which consecutive-pair features cannot see).
double pair_reward(const Architecture& a, uint64_t salt) {
  const size_t d = a.choices.size();
  auto h = [&](uint64_t g, uint64_t k) {
    uint64_t x = salt * 0x9e3779b97f4a7c15ULL + (g << 32) + k;
    return static_cast<double>(splitmix64(x) % 1000) / 1000.0;
  };
  double r = 0;
  for (size_t i = 0; i < d; ++i) r += h(i, a.choices[i]);
  for (size_t i = 0; i + 1 < d; ++i) r += 2.0 * h(1000 + i, a.choices[i] * 4096u + a.choices[i + 1]);
  for (size_t i = 0; i < d / 2; ++i) r += 2.0 * h(2000 + i, a.choices[i] * 4096u + a.choices[i + d / 2]);
  return r;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// An MCTS search with the defaults, k = 1, instant reward; after every trial the
// searcher state is saved, checksummed and written atomically (as
// SearchLoop::write_checkpoint_now does, less the small run fields).
void per_trial(const char* label, const SearchSpace& space, int trials, const std::filesystem::path& dir) {
  const auto path = dir / "mctsnas_engine_cost_large.ckpt";
  const auto c0 = Clock::now();
  Mcts m(space, MctsOptions{}, TranspositionKey::exact, 3);
  const double t_make = secs(c0, Clock::now());
  double t_search = 0, t_ckpt = 0;
  size_t ckpt_bytes = 0;
  int n = 0;
  for (; n < trials; ++n) {
    auto t0 = Clock::now();
    auto ps = m.propose(1);
    if (ps.empty()) break;
    m.observe(ps[0], pair_reward(ps[0].arch, 1));
    auto t1 = Clock::now();
    ByteWriter buf;
    m.save(buf);
    const uint32_t crc = crc32(buf.bytes());
    (void)crc;
    write_file_atomically(path, buf.bytes());
    auto t2 = Clock::now();
    t_search += secs(t0, t1);
    t_ckpt += secs(t1, t2);
    ckpt_bytes = buf.bytes().size();
  }
  auto l0 = Clock::now();
  std::string bytes = read_file(path);
  Mcts loaded(space, MctsOptions{}, TranspositionKey::exact, 3);
  ByteReader in(bytes, path.string());
  loaded.load(in);
  auto l1 = Clock::now();
  std::filesystem::remove(path);
  std::printf("%-22s %d trials: engine %.4f s/trial (search %.4f + checkpoint %.4f), construct %.3f s, "
              "tree.ckpt %.3f MB, load %.3f s, peak RSS %.0f MB\n",
              label, n, (t_search + t_ckpt) / n, t_search / n, t_ckpt / n, t_make, ckpt_bytes / 1e6, secs(l0, l1),
              peak_rss_mb());
}

// BEGIN variants (needs the Mcts constructor that takes a surrogate)
// Best reward after 50/100/200/trials evaluations, mean over seeds, on a 20 x 50
// space with pair interactions: the bounded feature map's variants.
void variants(int seeds, int trials) {
  WideSpace space(20, 50);
  struct Variant {
    const char* name;
    std::function<std::unique_ptr<Surrogate>()> make;
  };
  std::vector<Variant> vs = {
      {"ridge, pairs dropped (default)",
       [&] { return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(space)); }},
      {"ridge, pairs hashed",
       [&] {
         return std::make_unique<RidgeSurrogate>(std::make_unique<DecisionPairFeatures>(
             space, 2048, DecisionPairFeatures::kMaxFeatures, DecisionPairFeatures::Overflow::hash_pairs));
       }},
      {"no surrogate", [] { return std::unique_ptr<Surrogate>(); }},
  };
  const int marks[] = {50, 100, 200, trials};
  for (const auto& v : vs) {
    double best_at[4] = {}, t = 0;
    for (int seed = 0; seed < seeds; ++seed) {
      auto t0 = Clock::now();
      Mcts m(space, MctsOptions{}, TranspositionKey::exact, 100 + seed, v.make());
      double best = -1e300;
      for (int n = 1; n <= trials; ++n) {
        auto ps = m.propose(1);
        if (ps.empty()) break;
        const double r = pair_reward(ps[0].arch, 7 + seed);
        m.observe(ps[0], r);
        best = std::max(best, r);
        for (int k = 0; k < 4; ++k)
          if (n == marks[k]) best_at[k] += best;
      }
      t += secs(t0, Clock::now());
    }
    std::printf("20 x 50, %-30s best after 50/100/200/%d: %.3f %.3f %.3f %.3f (mean of %d seeds), %.3f s/search\n",
                v.name, trials, best_at[0] / seeds, best_at[1] / seeds, best_at[2] / seeds, best_at[3] / seeds, seeds,
                t / seeds);
    // Random search as the floor.
  }
  double best_at[4] = {};
  for (int seed = 0; seed < seeds; ++seed) {
    Rng rng(100 + seed);
    double best = -1e300;
    for (int n = 1; n <= trials; ++n) {
      best = std::max(best, pair_reward(space.random(rng), 7 + seed));
      for (int k = 0; k < 4; ++k)
        if (n == marks[k]) best_at[k] += best;
    }
  }
  std::printf("20 x 50, %-30s best after 50/100/200/%d: %.3f %.3f %.3f %.3f (mean of %d seeds)\n", "random search",
              trials, best_at[0] / seeds, best_at[1] / seeds, best_at[2] / seeds, best_at[3] / seeds, seeds);
}
// END variants

}  // namespace

int main(int argc, char** argv) try {
  int proposals = 10000, repeats = 5, large_trials = 100, variant_seeds = 20, variant_trials = 300;
  std::string sections = "nb201,ckpt,large";
  size_t nodes = 1000000, edit_nodes = 1000000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) throw Error(a + ": missing value");
    if (a == "--proposals") proposals = std::stoi(argv[++i]);
    else if (a == "--repeats") repeats = std::max(1, std::stoi(argv[++i]));
    else if (a == "--nodes") nodes = std::stoul(argv[++i]);
    else if (a == "--edit-nodes") edit_nodes = std::stoul(argv[++i]);
    else if (a == "--dir") dir = argv[++i];
    else if (a == "--large-trials") large_trials = std::stoi(argv[++i]);
    else if (a == "--variant-seeds") variant_seeds = std::stoi(argv[++i]);
    else if (a == "--variant-trials") variant_trials = std::stoi(argv[++i]);
    else if (a == "--sections") sections = argv[++i];
    else throw Error("unknown argument '" + a + "'");
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("sizeof(Node) = %zu bytes\n", sizeof(Node));
  Nb201Space nb201;
  MctsOptions defaults;
  MctsOptions no_surrogate;
  no_surrogate.surrogate = SurrogateKind::none;
  auto has = [&](const char* s) { return ("," + sections + ",").find("," + std::string(s) + ",") != std::string::npos; };
  if (has("nb201")) {
    throughput("nb201 mcts defaults (edit, ridge)", nb201, defaults, proposals, 1, repeats);
    throughput("nb201 mcts defaults (edit, ridge)", nb201, defaults, proposals, 8, repeats);
    throughput("nb201 mcts edit, surrogate none", nb201, no_surrogate, proposals, 1, repeats);
    MctsOptions prefix = defaults;
    prefix.tree = TreeShape::prefix;
    throughput("nb201 mcts prefix, ridge", nb201, prefix, proposals, 1, repeats);
  }
  if (has("ckpt")) {
    WideSpace wide(16, 8);
    MctsOptions wide_prefix = no_surrogate;
    wide_prefix.tree = TreeShape::prefix;
    checkpoint("prefix tree, 16 x 8 space", wide, wide_prefix, nodes, dir);
    // The edit tree adds one node per proposal: growing a million-node one
    // takes ~20 s here (surrogate none); --edit-nodes makes it smaller.
    checkpoint("edit tree, 16 x 8 space", wide, no_surrogate, edit_nodes, dir);
  }
  if (has("large")) {
    per_trial("mcts defaults, 2 x 50", WideSpace(2, 50), large_trials, dir);
    per_trial("mcts defaults, 20 x 50", WideSpace(20, 50), large_trials, dir);
    if (has("huge")) per_trial("mcts defaults, 100 x 100", WideSpace(100, 100), large_trials, dir);
  }
  // BEGIN variants
  if (has("variants")) variants(variant_seeds, variant_trials);
  // END variants
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_engine_cost: %s\n", e.what());
  return 1;
}
