#pragma once
// A small, fast, fully specified RNG (xoshiro256**), so that seeded runs give the
// same trials on every platform and standard library (std:: distributions do not
// promise that) and its state fits in a checkpoint as four words.
#include <array>
#include <cstdint>

namespace mctsnas {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);

  uint64_t next();
  // Uniform in [0, n), n > 0, without modulo bias (Lemire's method).
  uint64_t below(uint64_t n);
  // Uniform in [0, 1).
  double uniform();
  // Standard normal (Box-Muller; one value per call, deterministic).
  double normal();

  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

  // For std::shuffle and friends.
  using result_type = uint64_t;
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }
  uint64_t operator()() { return next(); }

 private:
  std::array<uint64_t, 4> s_{};
};

// Fisher-Yates with Rng::below: std::shuffle's algorithm is not specified.
template <class It>
void shuffle(It first, It last, Rng& rng) {
  auto n = last - first;
  for (decltype(n) i = n - 1; i > 0; --i) {
    auto j = static_cast<decltype(n)>(rng.below(static_cast<uint64_t>(i) + 1));
    using std::swap;
    swap(first[i], first[j]);
  }
}

uint64_t splitmix64(uint64_t& x);
// Mixes a value into a running hash (order-sensitive).
inline uint64_t hash_combine(uint64_t h, uint64_t v) {
  uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  return splitmix64(x);
}

}  // namespace mctsnas
