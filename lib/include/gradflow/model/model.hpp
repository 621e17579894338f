#pragma once
// The model concept: predictions f(θ) ∈ R^{n·k} (the n×k prediction matrix, column-major),
// with Jacobian products and the neural tangent kernel H = J Jᵀ (MATH.md §1).
//
//   valid expression                       meaning
//   m.num_params()                         P, the length of θ
//   m.num_outputs()                        n·k, the length of f and Δ
//   m.predict(θ, f)                        f = f(θ)
//   m.gradient(θ, r, g)                    g = Jᵀ r           (never forms J)
//   m.jvp(θ, v, Jv)                        Jv = J v           (Δ̇ = J θ̇ for second-order flows)
//   m.ntk(θ, H)                            H = J Jᵀ           (GEMM form for the two-layer nets)
//   m.residual_gradient(θ, y, c, f, g)     f = f(θ), g = Jᵀ c (f − y), fused where cheaper
//   m.diagnostic_columns()                 names of model-specific columns (invariants, patterns)
//   m.diagnostics(θ, θ0, out)              their values at θ, relative to the start θ0
//
// Models are chosen at run time by the experiment file, so this is a small abstract class.
#include <span>
#include <string>
#include <vector>

#include "gradflow/core/types.hpp"

namespace gradflow {

class PiecewiseLinear;    // model/piecewise_linear.hpp
class SwitchingSurfaces;  // model/switching_surfaces.hpp

class Model {
 public:
  virtual ~Model() = default;

  virtual std::string kind() const = 0;
  virtual Index num_params() const = 0;
  virtual Index num_outputs() const = 0;

  virtual void predict(const Vec& theta, Vec& f) const = 0;
  virtual void gradient(const Vec& theta, const Vec& r, Vec& g) const = 0;
  virtual void jvp(const Vec& theta, const Vec& v, Vec& Jv) const = 0;
  virtual void ntk(const Vec& theta, Mat& H) const = 0;

  virtual void residual_gradient(const Vec& theta, const Vec& y, double c, Vec& f, Vec& g) const {
    predict(theta, f);
    gradient(theta, c * (f - y), g);
  }

  /// The switching integrators' view of a piecewise-linear model (ReLU), or null.
  virtual const PiecewiseLinear* as_piecewise_linear() const { return nullptr; }
  /// Its switching surfaces in general form (curved ones too), or null: the second-order
  /// flows cross them event by event where the flat view above is missing.
  virtual const SwitchingSurfaces* as_switching_surfaces() const { return nullptr; }
  /// True when the model is piecewise linear in θ with switching surfaces (ReLU).
  virtual bool piecewise_linear() const { return as_piecewise_linear() != nullptr; }

  virtual std::vector<std::string> diagnostic_columns() const { return {}; }
  virtual void diagnostics(const Vec& /*theta*/, const Vec& /*theta0*/, std::span<double> /*out*/) const {}
};

}  // namespace gradflow
