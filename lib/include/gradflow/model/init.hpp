#pragma once
// Seeded weight initialisers. `scale` multiplies the scheme's standard deviation
// (normal: the standard deviation itself).
#include <string>

#include "gradflow/core/rng.hpp"

namespace gradflow {

struct InitOptions {
  std::string scheme = "normal";  ///< normal | ntk | lecun | xavier | he | uniform
  double scale = 1.0;

  void validate(const std::string& key) const;
};

/// A rows×cols weight matrix for a layer with the given fan-in and fan-out:
///   normal   N(0, scale²)
///   ntk      N(0, 1)·scale         (the model's own 1/√m carries the scaling)
///   lecun    N(0, 1/fan_in)·scale²  (NTK's variance without a 1/√m in the model, e.g. linear2)
///   xavier   N(0, 2/(fan_in + fan_out))·scale²
///   he       N(0, 2/fan_in)·scale²
///   uniform  U(−b, b), b = scale/√fan_in
Mat init_matrix(Index rows, Index cols, Index fan_in, Index fan_out, const InitOptions& o, Rng& rng);

}  // namespace gradflow
