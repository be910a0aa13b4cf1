#pragma once
// A cheap model of reward as a function of the architecture, fitted on finished
// trials. The tree uses it only to rank candidates (priors, which edit first), so
// any monotone error in its scale does no harm.
//
// Features come from the decision vector alone (every space has one); a richer
// feature map (e.g. graph features from the LibTorch evaluator) plugs in through
// FeatureMap without touching the regression.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/binary_io.h"
#include "space/search_space.h"

namespace mctsnas {

// Sparse binary features: the indices of the active ones, each < size().
class FeatureMap {
 public:
  virtual ~FeatureMap() = default;
  virtual size_t size() const = 0;
  virtual void active(std::span<const Choice> choices, std::vector<uint32_t>& out) const = 0;
  void active(const Architecture& a, std::vector<uint32_t>& out) const { active(std::span<const Choice>(a.choices), out); }
};

// One-hot per decision, plus one-hot per pair of decisions (i, j): all pairs while
// that stays under `max_features`, else only pairs of consecutive decisions.
// Pairs let a linear model see interactions (e.g. two ops that only help together).
class DecisionPairFeatures final : public FeatureMap {
 public:
  explicit DecisionPairFeatures(const SearchSpace& space, size_t max_features = 2048);
  using FeatureMap::active;
  size_t size() const override { return size_; }
  void active(std::span<const Choice> choices, std::vector<uint32_t>& out) const override;
  bool all_pairs() const { return all_pairs_; }

 private:
  std::vector<uint32_t> single_offset_;   // per decision
  std::vector<uint32_t> width_;           // choices per decision
  struct Pair { uint32_t i, j, offset; };
  std::vector<Pair> pairs_;
  size_t size_ = 0;
  bool all_pairs_ = false;
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
  virtual int64_t num_observations() const = 0;
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in) = 0;
};

// Ridge regression (penalty lambda on every weight but the intercept), updated
// exactly after every observation by recursive least squares: after n
// observations the weights equal the batch ridge solution on those n.
// Cost per observation O(F^2) for F features, O(active) per prediction.
class RidgeSurrogate final : public Surrogate {
 public:
  RidgeSurrogate(std::unique_ptr<FeatureMap> features, double lambda = 1.0);
  std::string name() const override { return "ridge"; }
  void observe(const Architecture& a, double reward) override;
  double predict(const Architecture& a) const override;
  double uncertainty(const Architecture& a) const override;
  void predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const override;
  int64_t num_observations() const override { return n_; }
  void save(ByteWriter& out) const override;
  void load(ByteReader& in) override;
  const std::vector<double>& weights() const { return w_; }

 private:
  std::unique_ptr<FeatureMap> features_;
  size_t dim_ = 0;            // features + 1 (intercept, last)
  std::vector<double> w_;     // dim_
  std::vector<double> p_;     // dim_ x dim_, inverse of (X'X + Lambda), row-major
  double offset_ = 0;         // first reward: rewards are fitted relative to it
  int64_t n_ = 0;
  double sq_err_sum_ = 0;     // sum of e^2 / (1 + x'Px): estimates the noise variance
  mutable std::vector<uint32_t> scratch_;
  mutable std::vector<uint32_t> batch_active_;
  mutable std::vector<uint32_t> batch_begin_;
  std::vector<double> px_;
};

// "ridge" or "none" (nullptr: uniform priors). Throws Error for another name.
std::unique_ptr<Surrogate> make_surrogate(const std::string& name, const SearchSpace& space);

}  // namespace mctsnas
