#pragma once
// Scalar, vector and matrix types shared by every layer.
#include <Eigen/Dense>
#include <limits>

namespace gradflow {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
using Index = Eigen::Index;

/// "No value": a metric that is undefined, a CSV cell left empty.
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

}  // namespace gradflow
