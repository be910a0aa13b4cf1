#include "search/evolution.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {

EvolutionSearch::EvolutionSearch(const SearchSpace& space, const EvolutionOptions& options,
                                 TranspositionKey key, uint64_t seed)
    : space_(space), options_(options), seen_(space, key), rng_(seed) {}

size_t EvolutionSearch::pick_mutation(const Architecture& parent, const std::vector<Architecture>& nbrs) {
  MCTSNAS_CHECK(!nbrs.empty(), "pick_mutation needs a neighbour");
  if (options_.mutation == Mutation::neighbour) return rng_.below(nbrs.size());
  // Group the neighbours by the (first) decision they change; a space's
  // neighbour may change a dependent decision too (a removed input's op).
  std::vector<size_t> decision_of(nbrs.size());
  std::vector<size_t> count(parent.choices.size(), 0);
  for (size_t i = 0; i < nbrs.size(); ++i) {
    size_t d = 0;
    while (d < parent.choices.size() && nbrs[i].choices[d] == parent.choices[d]) ++d;
    MCTSNAS_CHECK(d < parent.choices.size(), "a neighbour equals its parent");
    decision_of[i] = d;
    ++count[d];
  }
  std::vector<size_t> decisions;  // those with at least one alternative
  for (size_t d = 0; d < count.size(); ++d)
    if (count[d] > 0) decisions.push_back(d);
  // Equal groups: uniform over neighbours is the same distribution; one draw
  // keeps the random stream of the `neighbour` convention on spaces like NB201.
  if (std::all_of(decisions.begin(), decisions.end(), [&](size_t d) { return count[d] == count[decisions[0]]; }))
    return rng_.below(nbrs.size());
  const size_t d = decisions[rng_.below(decisions.size())];
  uint64_t r = rng_.below(count[d]);
  for (size_t i = 0; i < nbrs.size(); ++i)
    if (decision_of[i] == d && r-- == 0) return i;
  MCTSNAS_CHECK(false, "pick_mutation: no neighbour left in the chosen group");
  return 0;
}

bool EvolutionSearch::beats(size_t c, size_t best, const std::vector<int>& ranks,
                            const std::vector<double>& crowding) const {
  if (ranks.empty()) return better_reward(population_[c].reward, population_[best].reward);
  return ranks[c] < ranks[best] || (ranks[c] == ranks[best] && crowding[c] > crowding[best]);
}

size_t EvolutionSearch::tournament_winner() {
  const size_t n = population_.size();
  const size_t s = std::min<size_t>(static_cast<size_t>(options_.tournament), n);
  std::vector<int> ranks;
  std::vector<double> crowding;
  if (objectives_ > 0) {
    std::vector<Objectives> points;
    for (const auto& m : population_) points.push_back(m.objectives);
    ranks = nondomination_ranks(points);
    crowding = crowding_distances(points, ranks);
  }
  // Ties: the first member drawn wins (strictly better replaces), as Python's max().
  if (options_.sampling == TournamentSampling::with_replacement) {
    size_t best = rng_.below(n);
    for (size_t i = 1; i < s; ++i) {
      const size_t c = rng_.below(n);
      if (beats(c, best, ranks, crowding)) best = c;
    }
    return best;
  }
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  // Partial Fisher-Yates: the first s are a uniform sample without replacement.
  for (size_t i = 0; i < s; ++i) std::swap(idx[i], idx[i + rng_.below(n - i)]);
  size_t best = idx[0];
  for (size_t i = 1; i < s; ++i)
    if (beats(idx[i], best, ranks, crowding)) best = idx[i];
  return best;
}

std::optional<Architecture> EvolutionSearch::mutate_from_tournament() {
  // A child is a random one-edit mutation (options_.mutation) of the tournament winner.
  // A child evaluated before costs nothing: its known result joins the
  // population (as in regularized evolution over a result cache, which keeps
  // good architectures alive) and another tournament runs. Bounded, then any
  // unseen neighbour of a winner, then any unseen architecture.
  for (int attempt = 0; attempt < 64 && !population_.empty(); ++attempt) {
    const size_t best = tournament_winner();
    auto nbrs = space_.neighbours(population_[best].arch);
    if (nbrs.empty()) continue;
    Architecture child = nbrs[pick_mutation(population_[best].arch, nbrs)];
    if (!seen_.contains(child)) return child;
    if (attempt >= 32) {  // many repeats: take any unseen neighbour of this winner
      shuffle(nbrs.begin(), nbrs.end(), rng_);
      for (auto& a : nbrs)
        if (!seen_.contains(a)) return std::move(a);
      continue;
    }
    if (auto r = seen_.reward(child); r && !std::isnan(*r)) {
      Objectives known = objectives_ > 0 ? known_.at(seen_.key(child)) : Objectives{};
      add_member(std::move(child), *r, std::move(known));
    }
  }
  return sample_unseen(space_, seen_, rng_);
}

void EvolutionSearch::add_member(Architecture a, double reward, Objectives objectives) {
  population_.push_back(Member{std::move(a), reward, std::move(objectives)});
  while (static_cast<int>(population_.size()) > options_.population) population_.pop_front();
}

std::vector<Proposal> EvolutionSearch::propose(int k) {
  std::vector<Proposal> out;
  while (static_cast<int>(out.size()) < k) {
    std::optional<Architecture> a;
    if (initial_proposed_ < options_.population || population_.empty()) {
      a = sample_unseen(space_, seen_, rng_);
      if (a) ++initial_proposed_;
    } else {
      a = mutate_from_tournament();
    }
    if (!a) break;  // space exhausted
    seen_.insert_pending(*a);
    out.push_back(Proposal{next_id_++, std::move(*a)});
  }
  return out;
}

void EvolutionSearch::observe(const Proposal& p, double reward) {
  seen_.set_reward(p.arch, reward);
  if (std::isnan(reward)) return;  // a failed child never becomes a parent
  add_member(p.arch, reward);
}

void EvolutionSearch::observe_objectives(const Proposal& p, std::span<const double> rewards) {
  MCTSNAS_CHECK(!rewards.empty() && (objectives_ == 0 || objectives_ == rewards.size()),
                "evolution: every trial of a Pareto search has the same number of objectives");
  objectives_ = static_cast<uint32_t>(rewards.size());
  const bool failed = std::any_of(rewards.begin(), rewards.end(), [](double r) { return !std::isfinite(r); });
  // The scalar reward only says "evaluated" (0) or "failed" (NaN): selection reads the objectives.
  seen_.set_reward(p.arch, failed ? std::nan("") : 0.0);
  if (failed) return;
  Objectives y(rewards.begin(), rewards.end());
  known_[seen_.key(p.arch)] = y;
  add_member(p.arch, 0.0, std::move(y));
}

// After the single-objective state, so a single-objective checkpoint reads as before.
void EvolutionSearch::save_objectives(ByteWriter& out) const {
  if (objectives_ == 0) return;
  out.put(objectives_);
  for (const auto& m : population_) out.put_vector(m.objectives);
  std::vector<std::pair<uint64_t, const Objectives*>> known;
  for (const auto& [k, v] : known_) known.emplace_back(k, &v);
  std::sort(known.begin(), known.end());   // a fixed order: the same state saves the same bytes
  out.put<uint64_t>(known.size());
  for (const auto& [k, v] : known) {
    out.put(k);
    out.put_vector(*v);
  }
}

void EvolutionSearch::load_objectives(ByteReader& in) {
  objectives_ = 0;
  known_.clear();
  if (in.at_end()) return;
  objectives_ = in.get<uint32_t>();
  if (objectives_ < 1 || objectives_ > 64) in.fail("evolution: a Pareto search's objective count is damaged");
  auto read = [&] {
    Objectives y = in.get_vector<double>(objectives_);
    if (y.size() != objectives_ || !std::all_of(y.begin(), y.end(), [](double x) { return std::isfinite(x); }))
      in.fail("evolution: a Pareto search's objectives are damaged");
    return y;
  };
  for (auto& m : population_) m.objectives = read();
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    const auto k = in.get<uint64_t>();
    known_[k] = read();
  }
}

void EvolutionSearch::save(ByteWriter& out) const {
  out.put(rng_.state());
  out.put(next_id_);
  out.put(initial_proposed_);
  out.put<uint64_t>(population_.size());
  for (const auto& m : population_) {
    put_arch(out, m.arch);
    out.put(m.reward);
  }
  seen_.save(out);
  save_objectives(out);
}

void EvolutionSearch::load(ByteReader& in) {
  rng_.set_state(in.get<std::array<uint64_t, 4>>());
  next_id_ = in.get<uint64_t>();
  initial_proposed_ = in.get<int64_t>();
  const auto n = in.get<uint64_t>();
  if (n > static_cast<uint64_t>(options_.population)) in.fail("evolution population larger than configured");
  population_.clear();
  for (uint64_t i = 0; i < n; ++i) {
    Architecture a = get_arch(in);
    double r = in.get<double>();
    population_.push_back(Member{std::move(a), r});
  }
  seen_.load(in);
  load_objectives(in);
}

const SearcherInfo& evolution_searcher() {
  static const SearcherInfo info{
      "evolution", "regularized (aging) evolution: mutate a tournament's winner, the oldest dies (Real et al. 2019)",
      [](const SearchOptions& o, const SearchSpace& space, uint64_t seed) -> std::unique_ptr<Searcher> {
        return std::make_unique<EvolutionSearch>(space, o.evolution, o.transposition, seed);
      },
      [](config::FieldVisitor& v, SearchOptions& o) { v.field("evolution", o.evolution); }};
  return info;
}

}  // namespace mctsnas
