#include "search/surrogate.h"

namespace mctsnas {

void Surrogate::predict_ucb(std::span<const Choice* const> archs, size_t decisions, double beta, double* out) const {
  Architecture a;
  for (size_t i = 0; i < archs.size(); ++i) {
    a.choices.assign(archs[i], archs[i] + decisions);
    double v = predict(a);
    if (beta != 0) v += beta * uncertainty(a);
    out[i] = v;
  }
}

}  // namespace mctsnas
