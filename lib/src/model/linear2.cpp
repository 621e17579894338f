#include "gradflow/model/linear2.hpp"

namespace gradflow {

void Linear2::diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const {
  out[0] = (imbalance(theta) - imbalance(theta0)).norm();
}

}  // namespace gradflow
