#include "search/evolution.h"

#include <cmath>

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {

EvolutionSearch::EvolutionSearch(const SearchSpace& space, const EvolutionOptions& options,
                                 TranspositionKey key, uint64_t seed)
    : space_(space), options_(options), seen_(space, key), rng_(seed) {
  if (options_.population < 1) throw Error("search.evolution.population: must be >= 1");
  if (options_.tournament < 1 || options_.tournament > options_.population)
    throw Error("search.evolution.tournament: must be between 1 and search.evolution.population");
}

std::optional<Architecture> EvolutionSearch::mutate_from_tournament() {
  // A child is a uniformly random one-edit mutation of the tournament winner.
  // A child evaluated before costs nothing: its known result joins the
  // population (as in regularized evolution over a result cache, which keeps
  // good architectures alive) and another tournament runs. Bounded, then any
  // unseen neighbour of a winner, then any unseen architecture.
  for (int attempt = 0; attempt < 64 && !population_.empty(); ++attempt) {
    const size_t n = population_.size();
    const size_t s = std::min<size_t>(static_cast<size_t>(options_.tournament), n);
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    // Partial Fisher-Yates: the first s are a uniform sample without replacement.
    for (size_t i = 0; i < s; ++i) std::swap(idx[i], idx[i + rng_.below(n - i)]);
    size_t best = idx[0];
    for (size_t i = 1; i < s; ++i)
      if (better_reward(population_[idx[i]].reward, population_[best].reward)) best = idx[i];
    auto nbrs = space_.neighbours(population_[best].arch);
    if (nbrs.empty()) continue;
    Architecture child = nbrs[rng_.below(nbrs.size())];
    if (!seen_.contains(child)) return child;
    if (attempt >= 32) {  // many repeats: take any unseen neighbour of this winner
      shuffle(nbrs.begin(), nbrs.end(), rng_);
      for (auto& a : nbrs)
        if (!seen_.contains(a)) return std::move(a);
      continue;
    }
    if (auto r = seen_.reward(child); r && !std::isnan(*r)) add_member(std::move(child), *r);
  }
  return sample_unseen(space_, seen_, rng_);
}

void EvolutionSearch::add_member(Architecture a, double reward) {
  population_.push_back(Member{std::move(a), reward});
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
}

}  // namespace mctsnas
