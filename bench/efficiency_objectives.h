#pragma once
// The objectives bench_search_efficiency measures on (--objective), so that a
// change to the search is not tuned to the NB201 CIFAR-10 table alone. Each is a
// score for every architecture of a small space where every combination is legal,
// stored by mixed-radix index over the decisions; a run looks its proposals up
// there and stops at the objective's own maximum.
//
//  - nb201: the table's test accuracy (the same every run).
//  - nb201-noisy: the same architectures, score -ln(100.5 - accuracy) (a
//    rank-preserving stretch of the top: accuracy as a log error rate) plus
//    Gaussian noise of sd kNoisySigma per architecture, drawn afresh per run from
//    the run's seed. 0.02 is about 0.12 accuracy points at the top (d/dacc =
//    1 / (100.5 - acc) ~ 1/6.1), the size of NB201's seed-to-seed spread, so the
//    noisy table's maximum is a different architecture in most runs.
//  - synthetic: a space of another shape (8 decisions of 2, 3, 4, 5, 6, 7, 4, 3
//    choices: 60,480 architectures) with a random function per run: main effects
//    N(0, 1) per choice, an interaction N(0, 0.5^2) per pair of choices for a
//    random 40% of the decision pairs, and N(0, 0.3^2) per choice triple of 4
//    random decision triples (which the surrogate's pair features cannot fit).
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "evaluator/tabular_evaluator.h"
#include "space/categorical_space.h"
#include "space/nb201_space.h"

namespace mctsnas::bench {

enum class ObjectiveKind { nb201, nb201_noisy, synthetic };

inline ObjectiveKind objective_kind(const std::string& name) {
  if (name == "nb201") return ObjectiveKind::nb201;
  if (name == "nb201-noisy") return ObjectiveKind::nb201_noisy;
  if (name == "synthetic") return ObjectiveKind::synthetic;
  throw Error("--objective: expected nb201, nb201-noisy or synthetic, got '" + name + "'");
}

inline constexpr double kNoisySigma = 0.02;

// Scores by mixed-radix index: decision 0 varies fastest.
class IndexedScores {
 public:
  explicit IndexedScores(const SearchSpace& space) : space_(&space) {
    size_t n = 1;
    for (const Decision& d : space.decisions()) {
      radix_.push_back(d.choices.size());
      n *= d.choices.size();
    }
    score_.assign(n, NAN);
  }
  const SearchSpace& space() const { return *space_; }
  size_t size() const { return score_.size(); }
  size_t index(const Architecture& a) const {
    size_t i = 0, mul = 1;
    for (size_t d = 0; d < radix_.size(); ++d) {
      i += a.choices[d] * mul;
      mul *= radix_[d];
    }
    return i;
  }
  Architecture arch(size_t i) const {
    Architecture a;
    for (size_t r : radix_) {
      a.choices.push_back(static_cast<Choice>(i % r));
      i /= r;
    }
    return a;
  }
  double score(const Architecture& a) const { return score_[index(a)]; }
  double& at(size_t i) { return score_[i]; }
  double at(size_t i) const { return score_[i]; }
  double optimum() const {
    double best = -INFINITY;
    for (double s : score_)
      if (std::isfinite(s)) best = std::max(best, s);
    return best;
  }

 private:
  const SearchSpace* space_;
  std::vector<size_t> radix_;
  std::vector<double> score_;
};

inline CategoricalSpaceOptions synthetic_space_options() {
  CategoricalSpaceOptions o;
  const int sizes[] = {2, 3, 4, 5, 6, 7, 4, 3};
  for (size_t d = 0; d < std::size(sizes); ++d) {
    CategoricalDecisionOptions dec{"d" + std::to_string(d), {}};
    for (int c = 0; c < sizes[d]; ++c) dec.choices.push_back("c" + std::to_string(c));
    o.decisions.push_back(dec);
  }
  return o;
}

// One objective: its space and table, and the per-run scores of `seed`.
class Objective {
 public:
  Objective(ObjectiveKind kind, const std::string& table_path) : kind_(kind) {
    if (kind == ObjectiveKind::synthetic) {
      space_ = std::make_unique<CategoricalSpace>(synthetic_space_options());
      base_ = std::make_unique<IndexedScores>(*space_);
      return;
    }
    space_ = std::make_unique<Nb201Space>();
    base_ = std::make_unique<IndexedScores>(*space_);
    TabularEvaluator table(*space_, TabularOptions{table_path, "arch", "test_accuracy"});
    for (size_t i = 0; i < base_->size(); ++i)
      if (const double* s = table.find(space_->key(base_->arch(i)))) base_->at(i) = *s;
  }
  const SearchSpace& space() const { return *space_; }
  const char* describe() const {
    switch (kind_) {
      case ObjectiveKind::nb201: return "nb201 (table test accuracy)";
      case ObjectiveKind::nb201_noisy: return "nb201-noisy (-ln(100.5 - accuracy) + N(0, 0.02^2) per run)";
      case ObjectiveKind::synthetic: return "synthetic (8 decisions, 60480 archs, random pair+triple function per run)";
    }
    return "";
  }
  // The scores a run with `seed` sees.
  IndexedScores scores_for(uint64_t seed) const {
    IndexedScores s = *base_;
    Rng rng(seed ^ 0x6f626a6563746976ULL);  // a stream of its own, not the searcher's
    if (kind_ == ObjectiveKind::nb201_noisy) {
      for (size_t i = 0; i < s.size(); ++i)
        if (std::isfinite(s.at(i))) s.at(i) = -std::log(100.5 - s.at(i)) + kNoisySigma * rng.normal();
    } else if (kind_ == ObjectiveKind::synthetic) {
      fill_synthetic(s, rng);
    }
    return s;
  }

 private:
  static void fill_synthetic(IndexedScores& s, Rng& rng) {
    const auto& decs = s.space().decisions();
    const size_t nd = decs.size();
    std::vector<std::vector<double>> main(nd);
    for (size_t d = 0; d < nd; ++d)
      for (size_t c = 0; c < decs[d].choices.size(); ++c) main[d].push_back(rng.normal());
    struct Term {
      std::vector<size_t> dims;
      std::vector<double> w;  // mixed radix over dims' choices
    };
    std::vector<Term> terms;
    auto add_term = [&](std::vector<size_t> dims, double sd) {
      size_t n = 1;
      for (size_t d : dims) n *= decs[d].choices.size();
      Term t{std::move(dims), {}};
      for (size_t i = 0; i < n; ++i) t.w.push_back(sd * rng.normal());
      terms.push_back(std::move(t));
    };
    for (size_t i = 0; i < nd; ++i)
      for (size_t j = i + 1; j < nd; ++j)
        if (rng.uniform() < 0.4) add_term({i, j}, 0.5);
    for (int t = 0; t < 4; ++t) {
      std::vector<size_t> pool(nd);
      for (size_t d = 0; d < nd; ++d) pool[d] = d;
      shuffle(pool.begin(), pool.end(), rng);
      add_term({pool[0], pool[1], pool[2]}, 0.3);
    }
    for (size_t i = 0; i < s.size(); ++i) {
      const Architecture a = s.arch(i);
      double y = 0;
      for (size_t d = 0; d < nd; ++d) y += main[d][a.choices[d]];
      for (const Term& t : terms) {
        size_t at = 0, mul = 1;
        for (size_t d : t.dims) {
          at += a.choices[d] * mul;
          mul *= decs[d].choices.size();
        }
        y += t.w[at];
      }
      s.at(i) = y;
    }
  }

  ObjectiveKind kind_;
  std::unique_ptr<SearchSpace> space_;
  std::unique_ptr<IndexedScores> base_;
};

}  // namespace mctsnas::bench
