#pragma once
// Order statistics the benchmarks print: quantiles and a distribution-free 95%
// confidence interval for the median.
#include <algorithm>
#include <cmath>
#include <vector>

namespace mctsnas::bench {

// Ranks (1-based) of the order statistics that bound a 95% confidence interval
// for the median of n samples: [j, n + 1 - j], j the largest with
// P(Binomial(n, 1/2) <= j - 1) <= 0.025. j = 0 when n is too small (no bound).
inline int median_ci_rank(int n) {
  double cdf = 0;
  int j = 0;
  for (int i = 0; i < n; ++i) {  // cdf = P(B <= i)
    cdf += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
    if (cdf > 0.025) break;
    j = i + 1;
  }
  return j;
}

// Linear interpolation between the order statistics around q (0..1).
template <class T>
double quantile(std::vector<T> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return static_cast<double>(v[lo]) + (pos - static_cast<double>(lo)) * static_cast<double>(v[hi] - v[lo]);
}

}  // namespace mctsnas::bench
