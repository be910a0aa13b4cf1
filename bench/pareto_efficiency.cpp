// Multi-objective search: hypervolume after 50, 100 and 300 evaluations.
//
// Objectives (--objective):
//  - nb201: the NB201 CIFAR-10 table's test accuracy (maximized) against its
//    analytic cost column conv_weights (minimized; data/README.md).
//  - synthetic: bench_search_efficiency's random function per run on a categorical
//    space of another shape (bench/efficiency_objectives.h: 8 decisions, 60,480
//    architectures) against a random additive cost (each choice costs U(0, 1), drawn
//    per run); the quality is the function plus 2 x the cost, so the better
//    architectures tend to cost more and the two objectives trade off.
//
// Every algorithm runs through make_pareto_searcher (search/multi_objective.h), as a
// `search` with objective.metrics does, with its default options; one evaluation =
// one proposal (transposition key exact: no architecture is proposed twice). The
// hypervolume of the evaluated points is divided by that of the whole space's front
// (1 = the true front found). Reference point: an accuracy (quality) quantile of the
// space (--ref-quantile, default the median: only architectures better than half the
// space count) and one more than the largest cost. `acc_only` is MCTS maximizing the
// quality alone (what a single-objective search gives on this measure);
// `evolution_nsga2` is evolution with pareto_selection: nsga2.
//
//   bench_pareto_efficiency [--objective nb201|synthetic] [--seeds 100] [--first-seed 1000]
//                           [--k 1] [--ref-quantile 0.5] [--only NAME[,NAME...]]
//                           [--table data/nb201_cifar10.csv]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_stats.h"
#include "bench/efficiency_objectives.h"
#include "common/error.h"
#include "common/strings.h"
#include "evaluator/tabular_evaluator.h"
#include "search/multi_objective.h"
#include "search/pareto.h"
#include "search/search_options.h"
#include "search/searcher_registry.h"

using namespace mctsnas;

namespace {

const int kCheckpoints[] = {50, 100, 300};
constexpr double kQualityPerCost = 2;   // synthetic: quality = function + 2 x cost

struct Args {
  int seeds = 100, k = 1;
  double ref_quantile = 0.5;
  uint64_t first_seed = 1000;
  std::string objective = "nb201";
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
    else if (flag == "--objective") a.objective = v;
    else if (flag == "--table") a.table = v;
    else if (flag == "--only") a.only = split(v, ',');
    else throw Error("unknown argument '" + flag + "'");
  }
  if (a.seeds < 1 || a.k < 1) throw Error("--seeds and --k must be >= 1");
  if (a.objective != "nb201" && a.objective != "synthetic")
    throw Error("--objective: expected nb201 or synthetic, got '" + a.objective + "'");
  return a;
}

// One run's problem: (quality, -cost) of every architecture by its index in the
// space (both higher is better), the reference point and the whole space's volume.
struct Problem {
  std::vector<Objectives> points;
  std::vector<double> reference;
  double best_volume = 0;
};

// NB201's conv_weights by index, read once from the table's cost column.
std::vector<double> nb201_costs(const bench::IndexedScores& index, const std::string& table_path) {
  TabularEvaluator table(index.space(), TabularOptions{table_path, "arch", "test_accuracy", {{"params", "conv_weights"}}});
  std::vector<double> cost(index.size(), NAN);
  for (size_t i = 0; i < index.size(); ++i) {
    TrialResult r = table.evaluate(index.arch(i), {}, {});
    if (r.status == TrialStatus::ok) cost[i] = r.metrics.at("params");
  }
  return cost;
}

std::vector<double> synthetic_costs(const bench::IndexedScores& index, uint64_t seed) {
  Rng rng(seed ^ 0x636f73742d636f73ULL);   // a stream of its own
  std::vector<std::vector<double>> per_choice;
  for (const Decision& d : index.space().decisions()) {
    per_choice.emplace_back();
    for (size_t c = 0; c < d.choices.size(); ++c) per_choice.back().push_back(rng.uniform());
  }
  std::vector<double> cost(index.size(), 0.0);
  for (size_t i = 0; i < index.size(); ++i) {
    const Architecture a = index.arch(i);
    for (size_t d = 0; d < a.choices.size(); ++d) cost[i] += per_choice[d][a.choices[d]];
  }
  return cost;
}

Problem make_problem(const bench::IndexedScores& quality, const std::vector<double>& cost, bool synthetic,
                     double ref_quantile) {
  Problem p;
  p.points.assign(quality.size(), {});
  std::vector<double> q;
  double max_cost = 0;
  for (size_t i = 0; i < quality.size(); ++i) {
    if (!std::isfinite(quality.at(i)) || !std::isfinite(cost[i])) continue;
    const double y = quality.at(i) + (synthetic ? kQualityPerCost * cost[i] : 0);
    p.points[i] = {y, -cost[i]};
    q.push_back(y);
    max_cost = std::max(max_cost, cost[i]);
  }
  p.reference = {bench::quantile(q, ref_quantile), -(max_cost + 1)};
  std::vector<Objectives> all;
  for (const auto& v : p.points)
    if (!v.empty()) all.push_back(v);
  p.best_volume = hypervolume(all, p.reference);
  return p;
}

// Hypervolume share after each checkpoint's number of evaluations.
std::vector<double> run_one(const std::string& algo, const bench::IndexedScores& index, const Problem& p,
                            uint64_t seed, int k) {
  SearchOptions o;
  o.algorithm = algo == "acc_only" ? "mcts" : algo == "evolution_nsga2" ? "evolution" : algo;
  if (algo == "evolution_nsga2") o.evolution.pareto_selection = ParetoSelection::nsga2;
  std::unique_ptr<Searcher> s = make_searcher(o, index.space(), seed);
  if (algo != "acc_only") s = make_pareto_searcher(std::move(s), 2);
  std::vector<Objectives> seen;
  std::vector<double> out;
  while (out.size() < std::size(kCheckpoints)) {
    auto props = s->propose(k);
    if (props.empty()) break;
    for (const auto& prop : props) {
      const Objectives& y = p.points.at(index.index(prop.arch));
      if (algo == "acc_only") s->observe(prop, y[0]);
      else s->observe_objectives(prop, y);
      seen.push_back(y);
      if (out.size() < std::size(kCheckpoints) && seen.size() == static_cast<size_t>(kCheckpoints[out.size()]))
        out.push_back(hypervolume(seen, p.reference) / p.best_volume);
    }
  }
  return out;
}

void print_stats(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) var += (x - mean) * (x - mean);
  const double n = static_cast<double>(v.size());
  const double se = v.size() > 1 ? std::sqrt(var / (n - 1) / n) : NAN;
  std::printf(" | %.4f +- %.4f  %.4f", mean, se, bench::quantile(v, 0.5));
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse_args(argc, argv);
  const bool synthetic = a.objective == "synthetic";
  const bench::Objective objective(synthetic ? bench::ObjectiveKind::synthetic : bench::ObjectiveKind::nb201, a.table);
  const bench::IndexedScores index = objective.scores_for(a.first_seed);   // (its space and indexing)
  const std::vector<double> table_cost = synthetic ? std::vector<double>{} : nb201_costs(index, a.table);
  auto problem_for = [&](uint64_t seed) {
    return synthetic ? make_problem(objective.scores_for(seed), synthetic_costs(index, seed), true, a.ref_quantile)
                     : make_problem(index, table_cost, false, a.ref_quantile);
  };
  std::optional<Problem> fixed;   // nb201: the same problem for every seed
  if (!synthetic) fixed = problem_for(a.first_seed);
  std::printf("objective %s: %zu architectures; quality (max) against cost (min); reference: the %.2f quantile of "
              "the quality and the largest cost + 1; %d seeds (%llu..), k = %d\n",
              synthetic ? "synthetic (random function + 2 x random additive cost, per run)"
                        : "nb201 (test_accuracy against conv_weights)",
              index.size(), a.ref_quantile, a.seeds, static_cast<unsigned long long>(a.first_seed), a.k);
  if (fixed)
    std::printf("reference point (%.4f, %.0f); whole-table hypervolume %.4f\n", fixed->reference[0],
                -fixed->reference[1], fixed->best_volume);
  std::printf("hypervolume / whole-space hypervolume after N evaluations: mean +- se, median\n");
  std::printf("%-16s %3s | %-25s | %-25s | %-25s\n", "algorithm", "k", "@50", "@100", "@300");
  std::vector<std::string> algos = {"mcts", "evolution", "evolution_nsga2", "local", "random", "acc_only"};
  if (!a.only.empty()) algos = a.only;
  for (const auto& algo : algos) {
    std::vector<std::vector<double>> at(std::size(kCheckpoints));
    for (int s = 0; s < a.seeds; ++s) {
      const uint64_t seed = a.first_seed + static_cast<uint64_t>(s);
      const Problem p = fixed ? *fixed : problem_for(seed);
      auto r = run_one(algo, index, p, seed, a.k);
      for (size_t c = 0; c < r.size(); ++c) at[c].push_back(r[c]);
    }
    std::printf("%-16s %3d", algo.c_str(), a.k);
    for (const auto& v : at) print_stats(v);
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_pareto_efficiency: %s\n", e.what());
  return 1;
}
