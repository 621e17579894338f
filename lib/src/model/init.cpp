#include "gradflow/model/init.hpp"

#include <cmath>

#include "gradflow/core/error.hpp"

namespace gradflow {

void InitOptions::validate(const std::string& key) const {
  if (scheme != "normal" && scheme != "ntk" && scheme != "lecun" && scheme != "xavier" && scheme != "he" &&
      scheme != "uniform")
    throw input_error(key + ": unknown initialiser '" + scheme +
                      "' (expected normal, ntk, lecun, xavier, he or uniform)");
  if (!(scale > 0) || !std::isfinite(scale)) throw input_error(key + "_scale: must be positive");
}

Mat init_matrix(Index rows, Index cols, Index fan_in, Index fan_out, const InitOptions& o, Rng& rng) {
  const double fi = static_cast<double>(fan_in), fo = static_cast<double>(fan_out);
  if (o.scheme == "uniform") {
    const double b = o.scale / std::sqrt(fi);
    return rng.uniform(rows, cols, -b, b);
  }
  double sd = o.scale;
  if (o.scheme == "xavier") sd *= std::sqrt(2.0 / (fi + fo));
  if (o.scheme == "he") sd *= std::sqrt(2.0 / fi);
  if (o.scheme == "lecun") sd *= std::sqrt(1.0 / fi);
  return rng.normal(rows, cols, sd);
}

}  // namespace gradflow
