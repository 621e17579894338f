#pragma once
// Problems and helpers shared by the switching integrators' test suites.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "support.hpp"

namespace gradflow::test {

struct Small {
  Dataset ds;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

inline Small make_small(const std::string& kind, Index n, Index d, Index m, std::uint64_t seed = 1) {
  Rng rng(seed);
  DataOptions dopt;
  dopt.kind = "sphere";
  dopt.n = n;
  dopt.d = d;
  Small s;
  s.ds = make_dataset(dopt, rng);
  ModelOptions mo;
  mo.kind = kind;
  mo.width = m;
  s.inst = make_model(mo, s.ds, rng);
  s.obj = std::make_unique<Objective>(*s.inst.model, s.ds.Y, Reduction::sum);
  return s;
}

inline SwitchingOptions exact_scheme() {
  SwitchingOptions o;
  o.step_over = false;
  return o;
}

/// The samples of a gradient flow (second order: damping a) with the switching integrator.
inline std::vector<Vec> switching_run(const Objective& obj, const PiecewiseLinear& model, const Vec& x0, double t0,
                               const std::vector<double>& times, const IntegrateOptions& o,
                               const SwitchingOptions& so, SwitchingStats& st, const Damping& a = {}) {
  std::vector<Vec> out;
  Vec x = x0;
  auto keep = [&](double, const Vec& s) {
    out.push_back(s);
    return true;
  };
  const Outcome r = a ? integrate_switching_second_order(obj, model, a, x, t0, times, o, keep, st, so)
                      : integrate_switching(obj, model, x, t0, times, o, keep, st, so);
  BOOST_REQUIRE(r.status == Status::completed);
  BOOST_REQUIRE(out.size() == times.size());
  return out;
}

/// max_k ‖a_k − b_k‖_∞ / max_k ‖b_k − b_0‖_∞: the gap relative to how far the state moved.
inline double relative_gap(const std::vector<Vec>& a, const std::vector<Vec>& b) {
  double gap = 0, moved = 0;
  for (std::size_t k = 0; k < b.size(); ++k) {
    gap = std::max(gap, (a[k] - b[k]).cwiseAbs().maxCoeff());
    moved = std::max(moved, (b[k] - b[0]).cwiseAbs().maxCoeff());
  }
  return gap / moved;
}

}  // namespace gradflow::test
