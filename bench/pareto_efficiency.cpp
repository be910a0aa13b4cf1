// Multi-objective search on the NB201 CIFAR-10 table: test accuracy (maximized)
// against the table's analytic cost column conv_weights (minimized; data/README.md).
//
// Every algorithm runs through make_pareto_searcher (search/multi_objective.h), as a
// `search` with objective.metrics does, with its default options; one evaluation =
// one proposal (transposition key exact: no architecture is proposed twice). After
// 50, 100 and 300 evaluations the hypervolume of the evaluated points is divided by
// the hypervolume of the whole table's front (1 = the true front found). Reference
// point: the table's median accuracy and one more than the largest cost, so only
// architectures better than half the table count. `acc_only` is MCTS maximizing
// accuracy alone (what a single-objective search gives on this measure);
// `evolution` selects as NSGA-II does, `evolution_scalar` is evolution wrapped in the
// ScalarizingSearcher like the others.
//
//   bench_pareto_efficiency [--seeds 100] [--first-seed 1000] [--k 1]
//                           [--only NAME[,NAME...]] [--table data/nb201_cifar10.csv]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_stats.h"
#include "common/error.h"
#include "common/strings.h"
#include "evaluator/tabular_evaluator.h"
#include "search/multi_objective.h"
#include "search/pareto.h"
#include "search/search_options.h"
#include "search/searcher_registry.h"
#include "space/nb201_space.h"

using namespace mctsnas;

namespace {

const int kCheckpoints[] = {50, 100, 300};

struct Args {
  int seeds = 100, k = 1;
  double ref_quantile = 0.5;   // of the table's accuracies: the reference point's accuracy
  uint64_t first_seed = 1000;
  std::string table = std::string(MCTSNAS_SOURCE_DIR) + "/data/nb201_cifar10.csv";
  std::vector<std::string> only;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) throw Error(flag + ": missing value");
    std::string v = argv[++i];
    if (flag == "--seeds") a.seeds = std::stoi(v);
    else if (flag == "--first-seed") a.first_seed = std::stoull(v);
    else if (flag == "--k") a.k = std::stoi(v);
    else if (flag == "--ref-quantile") a.ref_quantile = std::stod(v);
    else if (flag == "--table") a.table = v;
    else if (flag == "--only") a.only = split(v, ',');
    else throw Error("unknown argument '" + flag + "'");
  }
  if (a.seeds < 1 || a.k < 1) throw Error("--seeds and --k must be >= 1");
  return a;
}

// The table as (accuracy, -cost) per key: both higher is better.
struct Problem {
  std::unordered_map<std::string, Objectives> points;
  std::vector<double> reference;
  double best_volume = 0;
};

// Every architecture of the space (decision by decision, an odometer).
std::vector<Architecture> all_architectures(const SearchSpace& space) {
  std::vector<Architecture> out;
  Architecture a;
  a.choices.assign(static_cast<size_t>(space.num_decisions()), 0);
  while (true) {
    out.push_back(a);
    int d = space.num_decisions() - 1;
    for (; d >= 0; --d) {
      auto& c = a.choices[static_cast<size_t>(d)];
      if (static_cast<size_t>(c) + 1 < space.decision(d).choices.size()) {
        ++c;
        break;
      }
      c = 0;
    }
    if (d < 0) return out;
  }
}

Problem load_problem(const Nb201Space& space, const std::string& path, double ref_quantile) {
  TabularEvaluator table(space, TabularOptions{path, "arch", "test_accuracy", {{"params", "conv_weights"}}});
  Problem p;
  std::vector<double> acc;
  double max_cost = 0;
  for (const Architecture& a : all_architectures(space)) {
    TrialResult r = table.evaluate(a, {}, {});
    if (r.status != TrialStatus::ok) continue;
    p.points[space.key(a)] = {r.score, -r.metrics.at("params")};
    acc.push_back(r.score);
    max_cost = std::max(max_cost, r.metrics.at("params"));
  }
  p.reference = {bench::quantile(acc, ref_quantile), -(max_cost + 1)};
  std::vector<Objectives> all;
  for (const auto& [k, v] : p.points) all.push_back(v);
  p.best_volume = hypervolume(all, p.reference);
  return p;
}

// Hypervolume ratio after each checkpoint's number of evaluations.
std::vector<double> run_one(const std::string& algo, const Nb201Space& space, const Problem& p, uint64_t seed, int k) {
  SearchOptions o;
  o.algorithm = algo == "acc_only" ? "mcts" : algo == "evolution_scalar" ? "evolution" : algo;
  std::unique_ptr<Searcher> s = make_searcher(o, space, seed);
  if (algo == "evolution_scalar") s = std::make_unique<ScalarizingSearcher>(std::move(s), 2);
  else if (algo != "acc_only") s = make_pareto_searcher(std::move(s), 2);
  std::vector<Objectives> seen;
  std::vector<double> out;
  while (out.size() < std::size(kCheckpoints)) {
    auto props = s->propose(k);
    if (props.empty()) break;
    for (const auto& prop : props) {
      const Objectives& y = p.points.at(space.key(prop.arch));
      if (algo == "acc_only") s->observe(prop, y[0]);
      else s->observe_objectives(prop, y);
      seen.push_back(y);
      if (out.size() < std::size(kCheckpoints) && seen.size() == static_cast<size_t>(kCheckpoints[out.size()]))
        out.push_back(hypervolume(seen, p.reference) / p.best_volume);
    }
  }
  return out;
}

void print_row(const std::string& algo, const Args& a, const Nb201Space& space, const Problem& p) {
  std::vector<std::vector<double>> at(std::size(kCheckpoints));
  for (int s = 0; s < a.seeds; ++s) {
    auto r = run_one(algo, space, p, a.first_seed + static_cast<uint64_t>(s), a.k);
    for (size_t c = 0; c < r.size(); ++c) at[c].push_back(r[c]);
  }
  std::printf("%-16s %3d", algo.c_str(), a.k);
  for (const auto& v : at) {
    double mean = 0, var = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    for (double x : v) var += (x - mean) * (x - mean);
    const double se = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1) / static_cast<double>(v.size())) : NAN;
    std::printf(" | %.4f +- %.4f  %.4f", mean, se, bench::quantile(v, 0.5));
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse_args(argc, argv);
  Nb201Space space;
  const Problem p = load_problem(space, a.table, a.ref_quantile);
  std::printf("table %s: %zu entries; objectives test_accuracy (max) and conv_weights (min); reference point "
              "(%.4f, %.0f); whole-table hypervolume %.4f; %d seeds (%llu..), k = %d\n",
              a.table.c_str(), p.points.size(), p.reference[0], -p.reference[1], p.best_volume, a.seeds,
              static_cast<unsigned long long>(a.first_seed), a.k);
  std::printf("hypervolume / whole-table hypervolume after N evaluations: mean +- se, median\n");
  std::printf("%-16s %3s | %-25s | %-25s | %-25s\n", "algorithm", "k", "@50", "@100", "@300");
  std::vector<std::string> algos = {"mcts", "evolution", "evolution_scalar", "local", "random", "acc_only"};
  if (!a.only.empty()) algos = a.only;
  for (const auto& algo : algos) print_row(algo, a, space, p);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_pareto_efficiency: %s\n", e.what());
  return 1;
}
