// Engine cost of the MCTS searcher: proposals per second (single thread, NB201,
// fake rewards so only the search is timed), bytes per node, and the time to
// checkpoint and load a tree of 1,000,000 nodes (save() into a buffer, CRC-32,
// write_file_atomically; read back, CRC-32, load()).
//
//   bench_engine_cost [--proposals 10000] [--nodes 1000000] [--edit-nodes 50000] [--dir /tmp]
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/atomic_file.h"
#include "common/binary_io.h"
#include "common/error.h"
#include "search/mcts.h"
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

void throughput(const char* label, const SearchSpace& space, MctsOptions o, int proposals, int k) {
  Mcts m(space, o, TranspositionKey::exact, 1);
  double t_propose = 0, t_observe = 0;
  int n = 0;
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
  std::fflush(stdout);
  std::printf("%-34s k=%d: %6d proposals, propose %9.0f /s, propose+observe %9.0f /s (CPU time: %9.0f /s), "
              "%zu nodes, %.1f bytes/node\n",
              label, k, n, n / t_propose, n / (t_propose + t_observe), n / cpu, m.nodes().size(),
              static_cast<double>(m.memory_bytes()) / static_cast<double>(m.nodes().size()));
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

}  // namespace

int main(int argc, char** argv) try {
  int proposals = 10000;
  size_t nodes = 1000000, edit_nodes = 50000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) throw Error(a + ": missing value");
    if (a == "--proposals") proposals = std::stoi(argv[++i]);
    else if (a == "--nodes") nodes = std::stoul(argv[++i]);
    else if (a == "--edit-nodes") edit_nodes = std::stoul(argv[++i]);
    else if (a == "--dir") dir = argv[++i];
    else throw Error("unknown argument '" + a + "'");
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("sizeof(Node) = %zu bytes\n", sizeof(Node));
  Nb201Space nb201;
  MctsOptions defaults;
  MctsOptions no_surrogate;
  no_surrogate.surrogate = "none";
  throughput("nb201 mcts defaults (edit, ridge)", nb201, defaults, proposals, 1);
  throughput("nb201 mcts defaults (edit, ridge)", nb201, defaults, proposals, 8);
  throughput("nb201 mcts edit, surrogate none", nb201, no_surrogate, proposals, 1);
  MctsOptions prefix = defaults;
  prefix.tree = "prefix";
  throughput("nb201 mcts prefix, ridge", nb201, prefix, proposals, 1);

  WideSpace wide(16, 8);
  MctsOptions wide_prefix = no_surrogate;
  wide_prefix.tree = "prefix";
  checkpoint("prefix tree, 16 x 8 space", wide, wide_prefix, nodes, dir);
  // The edit tree adds one node per proposal (~1-10k proposals/s here), so a
  // million-node edit tree takes minutes to grow: measured at --edit-nodes.
  checkpoint("edit tree, 16 x 8 space", wide, no_surrogate, edit_nodes, dir);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_engine_cost: %s\n", e.what());
  return 1;
}
