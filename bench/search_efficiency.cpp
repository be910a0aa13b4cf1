// Sample efficiency of every search algorithm on the NB201 CIFAR-10 table, or on
// another objective (--objective, bench/efficiency_objectives.h).
//
// One evaluation = one proposal, i.e. one distinct table entry (the transposition
// key is `exact`, so no architecture string is proposed twice). A run stops when
// it evaluates an architecture at the table's maximum or after --max-evals.
// With --k > 1 the searcher proposes k at a time and results are observed in
// proposal order after the whole batch; evaluations are counted in proposal order.
// Seeds are first_seed .. first_seed + seeds - 1 (default 1000..).
//
// The search options come from the CLI's config loader: a config file (--config;
// default: the built-in defaults on the NB201 table), `--set key.path=value`
// overrides for every row, and per row (--variant) an algorithm, k and overrides of
// keys under `search:`. By default: one row per registered algorithm
// (search/searcher_registry.h), each followed by its extra rows below.
//
// Noise is quantified per row: a distribution-free 95% confidence interval for
// the median evaluations to the optimum (order statistics: [x_(j), x_(n+1-j)] with
// j the largest rank such that P(Binomial(n, 1/2) < j) <= 2.5%), and the standard
// error of the mean best accuracy after 50 evaluations (sample sd / sqrt(n)).
//
//   bench_search_efficiency [--seeds 300] [--first-seed 1000] [--max-evals 1500]
//                           [--table data/nb201_cifar10.csv] [--only NAME[,NAME...]]
//                           [--objective nb201|nb201-noisy|synthetic]
//                           [--config FILE] [--set key.path=value]...
//                           [--variant "name:algorithm:k[:key=value,...]"]...
//   e.g. --variant "t5_nbr:evolution:1:evolution.tournament=5,evolution.mutation=neighbour"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/config_loader.h"
#include "bench/bench_stats.h"
#include "common/error.h"
#include "common/strings.h"
#include "bench/efficiency_objectives.h"
#include "search/searcher.h"

using namespace mctsnas;
using mctsnas::bench::IndexedScores;
using mctsnas::bench::median_ci_rank;
using mctsnas::bench::Objective;
using mctsnas::bench::quantile;

namespace {

struct Variant {
  std::string name;
  SearchOptions options;
  int k = 1;
};

struct Args {
  int seeds = 300, max_evals = 1500;
  uint64_t first_seed = 1000;
  std::string table_path = std::string(MCTSNAS_SOURCE_DIR) + "/data/nb201_cifar10.csv";
  std::string objective = "nb201";
  std::optional<std::string> config;
  std::vector<ConfigOverride> sets;
  std::vector<std::string> variants, only;
};

// Rows besides each algorithm's own default row, printed right after it.
struct ExtraRow {
  const char* algorithm;
  const char* spec;
};
const ExtraRow kExtraRows[] = {
    {"mcts", "mcts_k8:mcts:8"},
    {"evolution", "evolution_t5:evolution:1:evolution.tournament=5"},
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(flag + ": missing value");
      return argv[++i];
    };
    if (flag == "--seeds") a.seeds = std::stoi(next());
    else if (flag == "--first-seed") a.first_seed = std::stoull(next());
    else if (flag == "--max-evals") a.max_evals = std::stoi(next());
    else if (flag == "--table") a.table_path = next();
    else if (flag == "--objective") a.objective = next();
    else if (flag == "--config") a.config = next();
    else if (flag == "--set") a.sets.push_back(parse_override(next()));
    else if (flag == "--variant") a.variants.push_back(next());
    else if (flag == "--only") a.only = split(next(), ',');
    else throw Error("unknown argument '" + flag + "'");
  }
  if (a.seeds < 1) throw Error("--seeds: must be >= 1");
  return a;
}

// "name:algorithm:k[:key=value,...]": the config with --set, then search.algorithm
// and the row's keys (under search:) applied, through the loader's checks.
Variant parse_variant(const Args& a, const std::string& spec) {
  auto parts = split(spec, ':');
  if (parts.size() < 3 || parts.size() > 4)
    throw Error("--variant: expected name:algorithm:k[:key=value,...], got '" + spec + "'");
  std::vector<ConfigOverride> sets = a.sets;
  sets.push_back({"search.algorithm", parts[1]});
  if (parts.size() == 4)
    for (const auto& kv : split(parts[3], ',')) sets.push_back(parse_override("search." + kv));
  if (!a.config) sets.insert(sets.begin(), ConfigOverride{"task.table", a.table_path});
  RunOptions o = a.config ? load_config(*a.config, sets) : load_config_text("space: {kind: nb201}\n", "(defaults)", sets);
  if (o.space.kind != SpaceKind::nb201) throw Error(o.config_path.string() + ": space.kind must be nb201");
  return Variant{parts[0], o.search, std::stoi(parts[2])};
}

std::vector<Variant> variants_of(const Args& a) {
  std::vector<std::string> specs = a.variants;
  if (specs.empty())
    for (const SearcherInfo* s : searchers()) {
      specs.push_back(std::string(s->name) + ":" + std::string(s->name) + ":1");
      for (const ExtraRow& e : kExtraRows)
        if (s->name == e.algorithm) specs.emplace_back(e.spec);
    }
  std::vector<Variant> out;
  for (const auto& spec : specs) out.push_back(parse_variant(a, spec));
  for (const auto& n : a.only)
    if (std::none_of(out.begin(), out.end(), [&](const Variant& v) { return v.name == n; }))
      throw Error("--only: no variant named '" + n + "'");
  if (!a.only.empty())
    std::erase_if(out, [&](const Variant& v) { return std::find(a.only.begin(), a.only.end(), v.name) == a.only.end(); });
  return out;
}

struct RunResult {
  int evals_to_optimum;  // max_evals + 1 when not reached
  std::vector<double> best_at;
};

const int kCheckpoints[] = {25, 50, 100, 150, 300};

RunResult run_one(const Variant& v, const Objective& objective, uint64_t seed, int max_evals) {
  const IndexedScores table = objective.scores_for(seed);
  const double optimum = table.optimum();
  auto searcher = make_searcher(v.options, objective.space(), seed);
  RunResult r{max_evals + 1, {}};
  double best = -INFINITY;
  int evals = 0;
  size_t next_cp = 0;
  auto record = [&](int e) {
    while (next_cp < std::size(kCheckpoints) && kCheckpoints[next_cp] == e) {
      r.best_at.push_back(best);
      ++next_cp;
    }
  };
  while (evals < max_evals && r.evals_to_optimum > max_evals) {
    auto props = searcher->propose(v.k);
    if (props.empty()) break;
    std::vector<double> rewards;
    for (const auto& p : props) {
      const double reward = table.score(p.arch);
      rewards.push_back(reward);
      if (evals >= max_evals || r.evals_to_optimum <= max_evals) continue;
      ++evals;
      if (std::isfinite(reward)) best = std::max(best, reward);
      if (reward >= optimum) r.evals_to_optimum = evals;
      record(evals);
    }
    for (size_t i = 0; i < props.size(); ++i) searcher->observe(props[i], rewards[i]);
  }
  while (next_cp < std::size(kCheckpoints)) {  // stopped early: best stays
    r.best_at.push_back(best);
    ++next_cp;
  }
  return r;
}

// One row: every seed of variant v, then the summary columns.
void print_row(const Variant& v, const Args& a, const Objective& objective) {
  const int seeds = a.seeds, max_evals = a.max_evals;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int> evals;
  std::vector<double> best_sum(std::size(kCheckpoints), 0.0);
  std::vector<double> best50;
  int reached = 0;
  for (int s = 0; s < seeds; ++s) {
    RunResult r = run_one(v, objective, a.first_seed + static_cast<uint64_t>(s), max_evals);
    best50.push_back(r.best_at[1]);
    evals.push_back(r.evals_to_optimum);
    reached += r.evals_to_optimum <= max_evals;
    for (size_t c = 0; c < best_sum.size(); ++c) best_sum[c] += r.best_at[c];
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto fmt = [&](double x) {
    char b[32];
    if (x > max_evals) std::snprintf(b, sizeof b, ">%d", max_evals);
    else std::snprintf(b, sizeof b, "%.1f", x);
    return std::string(b);
  };
  double mean = 0;
  for (int e : evals) mean += e;
  mean /= evals.size();
  std::sort(evals.begin(), evals.end());
  const int j = median_ci_rank(seeds);
  std::string ci = j == 0 ? "n/a"
                          : "[" + fmt(evals[static_cast<size_t>(j - 1)]) + ", " +
                                fmt(evals[static_cast<size_t>(seeds - j)]) + "]";
  double m50 = best_sum[1] / seeds, var50 = 0;
  for (double b : best50) var50 += (b - m50) * (b - m50);
  const double se50 = seeds > 1 ? std::sqrt(var50 / (seeds - 1) / seeds) : NAN;
  std::printf("%-12s %4d %8s %8s %8s %8.1f%% | %7.3f %7.3f %7.3f %7.3f %7.3f | %15s %6.3f | %6.1f\n",
              v.name.c_str(), v.k, reached == seeds ? fmt(mean).c_str() : ("(" + fmt(mean) + ")").c_str(),
              fmt(quantile(evals, 0.5)).c_str(), fmt(quantile(evals, 0.9)).c_str(), 100.0 * reached / seeds,
              best_sum[0] / seeds, m50, best_sum[2] / seeds, best_sum[3] / seeds, best_sum[4] / seeds, ci.c_str(),
              se50, secs);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse_args(argc, argv);
  const std::vector<Variant> variants = variants_of(a);
  const Objective objective(bench::objective_kind(a.objective), a.table_path);
  const IndexedScores first = objective.scores_for(a.first_seed);
  std::printf("objective %s, table %s: %zu entries, optimum %.4f (seed %llu); %d seeds per algorithm (%llu..%llu), "
              "at most %d evaluations\n",
              objective.describe(), a.table_path.c_str(), first.size(), first.optimum(),
              static_cast<unsigned long long>(a.first_seed), a.seeds, static_cast<unsigned long long>(a.first_seed),
              static_cast<unsigned long long>(a.first_seed + a.seeds - 1), a.max_evals);
  std::printf("%-12s %4s %8s %8s %8s %9s | %7s %7s %7s %7s %7s | %15s %6s | %6s\n", "algorithm", "k", "mean",
              "median", "p90", "reached", "@25", "@50", "@100", "@150", "@300", "median 95% CI", "se@50", "sec");
  for (const auto& v : variants) print_row(v, a, objective);
  std::printf("mean in parentheses: runs that never reached the optimum count as %d\n", a.max_evals + 1);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_search_efficiency: %s\n", e.what());
  return 1;
}
