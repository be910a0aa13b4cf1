#pragma once
// A cheap model of reward as a function of the architecture, fitted on finished
// trials. The tree uses it only to rank candidates (priors, which edit first), so
// any monotone error in its scale does no harm. The ridge regression
// (search/ridge_surrogate.h) is the one shipped.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/binary_io.h"
#include "search/search_options.h"
#include "space/search_space.h"

namespace mctsnas {

// Per-candidate cache for Surrogate::predict_ucb_memo, owned by the caller (one
// per candidate list) and filled by the surrogate: the candidate's active
// features and its score terms at the surrogate state they were computed at.
// Drop it (reset) when the candidate list changes or the surrogate is loaded.
struct ScoreMemos {
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr uint32_t kEmpty32 = ~uint32_t{0};
  struct Entry {
    uint64_t version = kEmpty;     // surrogate state of mean/var (kEmpty: none yet)
    double mean = 0, var = 0;
    uint32_t feat_begin = kEmpty32;  // into feats (kEmpty32: not computed yet)
  };
  std::vector<Entry> entry;        // one per candidate: one cache line per lookup
  std::vector<uint32_t> feats;
  void reset(size_t n) {
    entry.assign(n, Entry{});
    feats.clear();
  }
};

class Surrogate {
 public:
  virtual ~Surrogate() = default;
  virtual std::string name() const = 0;
  // reward must be finite (callers skip failed trials).
  virtual void observe(const Architecture& a, double reward) = 0;
  virtual double predict(const Architecture& a) const = 0;
  // Standard deviation of the prediction (model uncertainty x noise level); 0 when unknown.
  virtual double uncertainty(const Architecture& a) const { (void)a; return 0.0; }
  // out[i] = predict(a_i) + beta * uncertainty(a_i) (predict alone when beta == 0),
  // bit for bit what those calls return; archs[i] points at `decisions` choices.
  // The tree scores every child of every node on a descent this way, so a
  // surrogate may override it with a faster batch computation.
  virtual void predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const;
  // The same values as predict_ucb, with memos[idx[i]] caching candidate i's
  // work between calls (memos sized for the whole list, at least max idx + 1).
  // The result never depends on what the memo held (bit for bit), so a cache
  // hit or miss changes no ranking; it only makes rescoring after a few new
  // observations cheap. The default ignores the memo.
  virtual void predict_ucb_memo(std::span<const Choice* const> archs, std::span<const uint32_t> idx,
                                size_t decisions, double beta, ScoreMemos& memos, double* out) const {
    (void)idx;
    (void)memos;
    predict_ucb(archs, decisions, beta, out);
  }
  // Batch fantasies (GP-BUCB, Desautels et al. 2014): `a`, a trial still in
  // flight, counts as observed at the surrogate's own prediction, so the mean
  // stays and the uncertainty of architectures that share its features shrinks.
  // They last until clear_fantasies() or the next observe(), and are not part of
  // the saved state (the caller sets them again from its trials in flight).
  // The default ignores them.
  virtual void add_fantasy(const Architecture& a) { (void)a; }
  virtual void clear_fantasies() {}
  virtual int64_t num_observations() const = 0;
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in) = 0;
};

// nullptr for SurrogateKind::none (uniform priors).
std::unique_ptr<Surrogate> make_surrogate(SurrogateKind kind, const SearchSpace& space);

}  // namespace mctsnas
