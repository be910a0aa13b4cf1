#include "search/local_search.h"

#include "common/error.h"
#include "search/sampling.h"

namespace mctsnas {

LocalSearch::LocalSearch(const SearchSpace& space, const LocalSearchOptions& options,
                         TranspositionKey key, uint64_t seed)
    : space_(space), options_(options), seen_(space, key), rng_(seed) {
  first_improvement_ = options_.variant == LocalVariant::first;
  restart();
}

void LocalSearch::restart() {
  phase_ = Phase::sampling;
  samples_left_ = options_.initial_samples;
  candidate_.reset();
  candidate_reward_ = NAN;
  current_.reset();
  current_reward_ = NAN;
  queue_.clear();
}

void LocalSearch::move_to(const Architecture& a, double reward) {
  phase_ = Phase::climbing;
  current_ = a;
  current_reward_ = reward;
  candidate_.reset();
  candidate_reward_ = NAN;
  queue_ = space_.neighbours(a);
  shuffle(queue_.begin(), queue_.end(), rng_);
}

void LocalSearch::consider(const Architecture& a, double reward) {
  if (phase_ == Phase::sampling || !first_improvement_) {
    if (better_reward(reward, candidate_reward_)) {
      candidate_ = a;
      candidate_reward_ = reward;
    }
    return;
  }
  if (better_reward(reward, current_reward_)) move_to(a, reward);
}

std::vector<Proposal> LocalSearch::propose(int k) {
  std::vector<Proposal> out;
  // Each pass proposes, stops, or changes state; moves strictly raise the
  // current reward and restarts need fresh samples, so this ends.
  bool sampled_nothing = false;
  while (static_cast<int>(out.size()) < k) {
    if (phase_ == Phase::sampling) {
      if (samples_left_ > 0) {
        auto a = sample_unseen(space_, seen_, rng_);
        if (!a) {
          samples_left_ = 0;
          sampled_nothing = true;
          continue;
        }
        --samples_left_;
        seen_.insert_pending(*a);
        ++in_flight_;
        out.push_back(Proposal{next_id_++, std::move(*a)});
        continue;
      }
      if (in_flight_ > 0) break;  // wait for the samples
      if (candidate_) {
        Architecture a = *candidate_;
        move_to(a, candidate_reward_);
        continue;
      }
      if (sampled_nothing) break;  // exhausted, or every sample failed and nothing is left
      restart();
      sampled_nothing = !sample_unseen(space_, seen_, rng_).has_value();
      if (sampled_nothing) break;
      continue;
    }
    // Climbing.
    if (!queue_.empty()) {
      Architecture a = std::move(queue_.back());
      queue_.pop_back();
      if (seen_.pending(a)) continue;
      if (auto r = seen_.reward(a)) {
        consider(a, *r);
        continue;
      }
      seen_.insert_pending(a);
      ++in_flight_;
      out.push_back(Proposal{next_id_++, std::move(a)});
      continue;
    }
    if (in_flight_ > 0) break;  // the neighbourhood's last results decide the move
    if (!first_improvement_ && candidate_ && better_reward(candidate_reward_, current_reward_)) {
      Architecture a = *candidate_;
      move_to(a, candidate_reward_);
      continue;
    }
    restart();  // local optimum
  }
  return out;
}

void LocalSearch::observe(const Proposal& p, double reward) {
  seen_.set_reward(p.arch, reward);
  MCTSNAS_CHECK(in_flight_ > 0, "local search observed a trial it did not propose");
  --in_flight_;
  consider(p.arch, reward);
}

void LocalSearch::save(ByteWriter& out) const {
  out.put(rng_.state());
  out.put(next_id_);
  out.put(in_flight_);
  out.put(phase_);
  out.put(samples_left_);
  out.put<uint8_t>(candidate_.has_value());
  if (candidate_) put_arch(out, *candidate_);
  out.put(candidate_reward_);
  out.put<uint8_t>(current_.has_value());
  if (current_) put_arch(out, *current_);
  out.put(current_reward_);
  out.put<uint64_t>(queue_.size());
  for (const auto& a : queue_) put_arch(out, a);
  seen_.save(out);
}

void LocalSearch::load(ByteReader& in) {
  rng_.set_state(in.get<std::array<uint64_t, 4>>());
  next_id_ = in.get<uint64_t>();
  in_flight_ = in.get<int64_t>();
  phase_ = in.get<Phase>();
  if (phase_ != Phase::sampling && phase_ != Phase::climbing) in.fail("local search phase is invalid");
  samples_left_ = in.get<int64_t>();
  candidate_.reset();
  if (in.get<uint8_t>()) candidate_ = get_arch(in);
  candidate_reward_ = in.get<double>();
  current_.reset();
  if (in.get<uint8_t>()) current_ = get_arch(in);
  current_reward_ = in.get<double>();
  const auto n = in.get<uint64_t>();
  if (n > (1u << 24)) in.fail("local search queue length is implausible");
  queue_.clear();
  for (uint64_t i = 0; i < n; ++i) queue_.push_back(get_arch(in));
  seen_.load(in);
}

const SearcherInfo& local_searcher() {
  static const SearcherInfo info{
      "local", "hill climbing over one-edit neighbours from the best of a random sample, restarting at a local optimum",
      [](const SearchOptions& o, const SearchSpace& space, uint64_t seed) -> std::unique_ptr<Searcher> {
        return std::make_unique<LocalSearch>(space, o.local, o.transposition, seed);
      },
      [](config::FieldVisitor& v, SearchOptions& o) { v.field("local", o.local); }};
  return info;
}

}  // namespace mctsnas
