// A discrete-event simulation of one search spread over many workers (no MPI, no
// training): where search quality, not hardware, becomes the limit.
//
// The real searcher (make_searcher, the CLI's config loader and defaults) searches the
// NB201 CIFAR-10 table; each trial "runs" on one of W workers for a duration drawn
// from measured trial times (bench/data/quickstart_trial_seconds.txt by default: the
// wall seconds of real G2P trials), fixed per (seed, architecture). Two policies:
//   async  a worker that finishes gets a new proposal at once; results are observed
//          in finishing order (what the trial pool does: W - 1 trials in flight);
//   sync   rounds: W proposals, wait for all W, observe them, repeat.
// A run ends when a trial at the table's optimum finishes. Per row and seed: trials
// started by then (the compute spent, in-flight trials included), the simulated wall
// time, and the searcher's own CPU time per trial (propose + observe, measured), i.e.
// what a coordinator (MPI rank 0) would spend per trial.
//
//   bench_simulate_cluster [--seeds 50] [--first-seed 1000] [--workers 1,8,32,128,1000]
//                          [--algorithms mcts,evolution,random] [--policies async,sync]
//                          [--max-trials 5000] [--durations FILE] [--table CSV]
//                          [--set key.path=value]...
#include <chrono>
#include <cstdio>
#include <fstream>
#include <queue>
#include <string>
#include <vector>

#include "app/config_loader.h"
#include "bench/bench_stats.h"
#include "common/error.h"
#include "common/rng.h"
#include "common/strings.h"
#include "evaluator/tabular_evaluator.h"
#include "search/searcher.h"
#include "search/searcher_registry.h"
#include "space/nb201_space.h"

using namespace mctsnas;

namespace {

struct Args {
  int seeds = 50, max_trials = 5000;
  uint64_t first_seed = 1000;
  std::vector<int> workers = {1, 8, 32, 128, 1000};
  std::vector<std::string> algorithms = {"mcts", "evolution", "random"}, policies = {"async", "sync"};
  std::string table = std::string(MCTSNAS_SOURCE_DIR) + "/data/nb201_cifar10.csv";
  std::string durations = std::string(MCTSNAS_SOURCE_DIR) + "/bench/data/quickstart_trial_seconds.txt";
  std::vector<ConfigOverride> sets;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(flag + ": missing value");
      return argv[++i];
    };
    if (flag == "--seeds") a.seeds = std::stoi(next());
    else if (flag == "--first-seed") a.first_seed = std::stoull(next());
    else if (flag == "--max-trials") a.max_trials = std::stoi(next());
    else if (flag == "--table") a.table = next();
    else if (flag == "--durations") a.durations = next();
    else if (flag == "--set") a.sets.push_back(parse_override(next()));
    else if (flag == "--algorithms") a.algorithms = split(next(), ',');
    else if (flag == "--policies") a.policies = split(next(), ',');
    else if (flag == "--workers") {
      a.workers.clear();
      for (const auto& w : split(next(), ',')) a.workers.push_back(std::stoi(w));
    } else throw Error("unknown argument '" + flag + "' (see the top of bench/simulate_cluster.cpp)");
  }
  if (a.seeds < 1) throw Error("--seeds: must be >= 1");
  for (int w : a.workers)
    if (w < 1) throw Error("--workers: each count must be >= 1");
  for (const auto& p : a.policies)
    if (p != "async" && p != "sync") throw Error("--policies: '" + p + "' is not async or sync");
  return a;
}

std::vector<double> read_durations(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read");
  std::vector<double> out;
  int line = 0;
  for (std::string l; std::getline(in, l);) {
    ++line;
    l = trim(l);
    if (l.empty() || l[0] == '#') continue;
    double s = 0;
    try {
      s = std::stod(l);
    } catch (const std::exception&) {
      throw Error(path + ":" + std::to_string(line) + ": expected seconds, got '" + l + "'");
    }
    if (!(s > 0)) throw Error(path + ":" + std::to_string(line) + ": seconds must be > 0");
    out.push_back(s);
  }
  if (out.empty()) throw Error(path + ": no durations");
  return out;
}

struct World {
  const Nb201Space& space;
  const TabularEvaluator& table;
  double optimum;
  const std::vector<double>& durations;
};

struct Outcome {
  int trials = 0;            // started when the optimum finished (or max_trials + 1)
  double wall = 0;           // simulated seconds until then
  double searcher_us = 0;    // searcher CPU per trial
};

struct Running {
  double finish;
  uint64_t order;            // ties finish in proposal order
  Proposal p;
  bool operator>(const Running& o) const { return finish != o.finish ? finish > o.finish : order > o.order; }
};

// One search with W workers under `policy`; see the top of this file.
Outcome simulate(const World& w, const SearchOptions& so, uint64_t seed, int workers, bool async, int max_trials) {
  auto searcher = make_searcher(so, w.space, seed);
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  Outcome out{max_trials + 1, 0, 0};
  double now = 0, cpu = 0;
  int started = 0;
  auto timed = [&](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    cpu += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  auto start = [&](int n) {
    std::vector<Proposal> ps;
    timed([&] { ps = searcher->propose(std::min(n, max_trials - started)); });
    for (auto& p : ps) {
      const uint64_t h = hash_combine(seed, exact_hash(p.arch.choices));
      const double d = w.durations[h % w.durations.size()];
      running.push(Running{now + d, static_cast<uint64_t>(started++), std::move(p)});
    }
  };
  start(workers);
  while (!running.empty()) {
    Running r = running.top();
    running.pop();
    now = r.finish;
    const double* s = w.table.find(w.space.key(r.p.arch));
    timed([&] { searcher->observe(r.p, s ? *s : NAN); });
    if (s && *s >= w.optimum) {
      out = {started, now, 0};
      break;
    }
    if (async) start(1);
    else if (running.empty()) start(workers);
  }
  out.searcher_us = cpu / std::max(1, started);
  return out;
}

void print_row(const World& w, const Args& a, const std::string& algorithm, const std::string& policy, int workers) {
  std::vector<ConfigOverride> sets = a.sets;
  sets.push_back({"search.algorithm", algorithm});
  sets.push_back({"task.table", a.table});
  const SearchOptions so = load_config_text("space: {kind: nb201}\n", "(defaults)", sets).search;
  std::vector<int> trials;
  std::vector<double> wall, us;
  int reached = 0;
  for (int s = 0; s < a.seeds; ++s) {
    Outcome o = simulate(w, so, a.first_seed + static_cast<uint64_t>(s), workers, policy == "async", a.max_trials);
    trials.push_back(o.trials);
    us.push_back(o.searcher_us);
    if (o.trials <= a.max_trials) {
      ++reached;
      wall.push_back(o.wall);
    }
  }
  const double mean_d = [&] {
    double m = 0;
    for (double d : w.durations) m += d;
    return m / static_cast<double>(w.durations.size());
  }();
  std::sort(trials.begin(), trials.end());
  const int j = bench::median_ci_rank(a.seeds);
  char ci[48] = "n/a";
  if (j > 0) std::snprintf(ci, sizeof ci, "[%d, %d]", trials[static_cast<size_t>(j - 1)], trials[static_cast<size_t>(a.seeds - j)]);
  const double med_wall = wall.empty() ? NAN : bench::quantile(wall, 0.5);
  std::printf("%-10s %-6s %6d | %9.1f %15s %7.1f%% | %10.0f %8.1f | %9.1f\n", algorithm.c_str(), policy.c_str(), workers,
              bench::quantile(trials, 0.5), ci, 100.0 * reached / a.seeds, med_wall, med_wall / mean_d,
              bench::quantile(us, 0.5));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse_args(argc, argv);
  Nb201Space space;
  TabularEvaluator table(space, TabularOptions{a.table, "arch", "test_accuracy"});
  const std::vector<double> durations = read_durations(a.durations);
  const World w{space, table, table.best_score(true), durations};
  std::printf("table %s: %zu entries, optimum %.4f; %zu trial durations from %s; %d seeds (%llu..), at most %d trials\n",
              a.table.c_str(), table.size(), w.optimum, durations.size(), a.durations.c_str(), a.seeds,
              static_cast<unsigned long long>(a.first_seed), a.max_trials);
  std::printf("%-10s %-6s %6s | %9s %15s %8s | %10s %8s | %9s\n", "algorithm", "policy", "W", "trials", "median 95% CI",
              "reached", "wall s", "/trial", "us/trial");
  for (const auto& alg : a.algorithms)
    for (const auto& pol : a.policies)
      for (int wk : a.workers) print_row(w, a, alg, pol, wk);
  std::printf("trials: median trials started when the optimum finished; wall s: median simulated seconds to it "
              "(runs that reached it), /trial: the same in mean trial durations; us/trial: median searcher CPU "
              "(propose + observe) per trial\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_simulate_cluster: %s\n", e.what());
  return 1;
}
