// Second-order flows across curved switching surfaces (docs/switching.md, "Curved surfaces").
//
// The velocity is continuous, so ż_k = ∇z_k · v is continuous across a surface and a generic
// crossing is transversal: the integrator keeps the activation pattern A, integrates the
// pattern net's smooth field with dopri5, and after each accepted step looks for pairs on the
// wrong side at its end, or dipping across inside it (Hermite test on z and ż at both ends).
// The first such crossing is located on the step's dense output, the step is cut just past it
// and every pair then on the wrong side is flipped. Nothing is stepped over and nothing slides.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "dense_loop.hpp"
#include "event_math.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/integrate/switching.hpp"

namespace gradflow {

namespace {

/// A pair that may have crossed inside the last step: q(τ) = sign·z_k(x(τ)) + ε ≥ 0 before.
struct Candidate {
  Index k = 0;
  double sign = 1.0, eps = 0.0;
  double t_end = 0.0, q_end = 0.0, estimate = 0.0;
};

class CurvedCrosser {
 public:
  CurvedCrosser(const Objective& objective, const SwitchingSurfaces& model, std::function<double(double)> damping,
                const IntegrateOptions& options, const SwitchingOptions& sw, SwitchingStats& stats)
      : model_(model),
        y_(objective.targets()),
        c_(objective.scale()),
        P_(objective.model().num_params()),
        S_(model.surfaces()),
        damping_(std::move(damping)),
        options_(options),
        sw_(sw),
        stats_(stats),
        crossings_(static_cast<std::size_t>(S_)) {
    options.validate();
    if (options.stepper != "dopri5")
      throw input_error("run.stepper: the switching integrator uses dopri5 (dense output), not '" +
                        options.stepper + "'");
    if (objective.model().as_switching_surfaces() != &model)
      throw input_error("integrate_curved_second_order: the objective is bound to another model");
  }

  Outcome run(Vec& x, double t, const std::vector<double>& times, const SampleObserver& observe);

  // ---- the event policy of the shared loop (dense_loop.hpp) -------------------------------
  void begin(const detail::Dopri5& dopri, const Vec& x, const Vec&, double) {
    dopri_ = &dopri;
    end_views(x, z0_, zd0_, scale0_);
  }
  std::optional<double> accepted(double t_old, double t, const Vec& x, const Vec& dxdt, Vec& x_new,
                                 const Vec& dxdt_new);
  void sample(double, Vec&) {}
  double max_dt() const { return std::numeric_limits<double>::infinity(); }
  void advanced() {
    z0_.swap(z1_);
    zd0_.swap(zd1_);
    scale0_.swap(scale1_);
    stalled_ = 0;
  }
  bool restart(Vec& x, Vec& dxdt, double t, double t_old, Outcome& outcome);

 private:
  void rhs(const Vec& x, Vec& dx, double t) {
    ++outcome_.counters.rhs_evals;
    dx.resize(x.size());
    dx.head(P_) = x.tail(P_);
    model_.pattern_gradient(x.data(), A_, y_, c_, dx.data() + P_);
    dx.tail(P_) = -damping_(t) * x.tail(P_) - dx.tail(P_);
  }
  /// z, ż (along the velocity) and the pairs' sizes at a state.
  void end_views(const Vec& x, Vec& z, Vec& zd, Vec& scale) {
    model_.surface_values(x.data(), A_, z, &scale);
    model_.surface_rates(x.data(), x.data() + P_, A_, zd);
    stats_.forward_evals += 2;
  }
  double sign(Index k) const { return A_(k) > 0 ? 1.0 : -1.0; }
  double eps(Index k, const Vec& scale) const { return sw_.z_tol * scale(k) + 1e-300; }
  const Vec& state_at(double tau);
  double q(const Candidate& c, double tau) { return c.sign * model_.surface_value(state_at(tau).data(), A_, c.k) + c.eps; }
  void collect();
  double locate();

  const SwitchingSurfaces& model_;
  const Vec& y_;
  const double c_;
  const Index P_, S_;
  std::function<double(double)> damping_;
  const IntegrateOptions& options_;
  const SwitchingOptions& sw_;
  SwitchingStats& stats_;
  Outcome outcome_;
  detail::CrossingLog crossings_;
  Vec A_;  ///< the pattern, one entry per pair
  long stalled_ = 0;
  std::vector<Candidate> candidates_;
  Index located_ = -1;  ///< the pair whose crossing cut the last step
  // the last accepted step x0 → x1 over [t0, t1], with z and ż at both ends
  const detail::Dopri5* dopri_ = nullptr;
  const Vec *x0_ = nullptr, *dx0_ = nullptr, *x1_ = nullptr, *dx1_ = nullptr;
  double t0_ = 0.0, t1_ = 0.0;
  Vec z0_, zd0_, scale0_, z1_, zd1_, scale1_, xs_;
  double xs_t_ = std::numeric_limits<double>::quiet_NaN();
};

const Vec& CurvedCrosser::state_at(double tau) {
  if (tau == t0_) return *x0_;
  if (tau == t1_) return *x1_;
  if (tau == xs_t_) return xs_;
  dopri_->calc_state(tau, xs_, *x0_, *dx0_, t0_, *x1_, *dx1_, t1_);
  ++stats_.locate_evals;
  xs_t_ = tau;
  return xs_;
}

std::optional<double> CurvedCrosser::accepted(double t_old, double t, const Vec& x, const Vec& dxdt, Vec& x_new,
                                              const Vec& dxdt_new) {
  end_views(x_new, z1_, zd1_, scale1_);
  x0_ = &x;
  dx0_ = &dxdt;
  x1_ = &x_new;
  dx1_ = &dxdt_new;
  t0_ = t_old;
  t1_ = t;
  xs_t_ = std::numeric_limits<double>::quiet_NaN();
  collect();
  if (candidates_.empty()) return std::nullopt;
  ++stats_.events;
  return locate();
}

/// The pairs more than ε on the wrong side at the step's end, and those whose Hermite cubic
/// through z and ż at both ends dips below −ε inside it (confirmed on the dense output).
void CurvedCrosser::collect() {
  candidates_.clear();
  const double h = t1_ - t0_;
  for (Index k = 0; k < S_; ++k) {
    const double sg = sign(k), e = eps(k, scale1_);
    const detail::Hermite p{sg * z0_(k), sg * zd0_(k) * h, sg * z1_(k), sg * zd1_(k) * h};
    if (p.h1 < -e) {
      const double h0 = p.h0 + e;
      Candidate c{k, sg, e, t1_, p.h1 + e, t0_};
      if (h0 > 0) c.estimate = t0_ + h * h0 / (h0 - (p.h1 + e));
      candidates_.push_back(c);
      continue;
    }
    // Towards the surface at the start, away at the end, and close enough to dip across.
    if (!sw_.check_double_crossings || !(p.D0 < 0 && p.D1 > 0)) continue;
    if (std::min(p.h0, p.h1) >= (4.0 / 27.0) * (p.D1 - p.D0)) continue;
    double lo = 0.0, hi = 1.0;  // the cubic's minimum
    for (int it = 0; it < 50; ++it) ((p.slope(0.5 * (lo + hi)) < 0) ? lo : hi) = 0.5 * (lo + hi);
    const double s = 0.5 * (lo + hi);
    if (p(s) >= -e) continue;
    Candidate c{k, sg, e, t0_ + s * h, 0.0, t0_ + s * h};
    c.q_end = q(c, c.t_end);
    if (c.q_end >= 0) continue;
    ++stats_.double_crossings;
    candidates_.push_back(c);
  }
}

/// The first crossing time: the right end of its final bracket, so the pair has crossed there.
double CurvedCrosser::locate() {
  std::sort(candidates_.begin(), candidates_.end(),
            [](const Candidate& a, const Candidate& b) { return a.estimate < b.estimate; });
  const double tol = 1e-13 * (t1_ - t0_) + 4 * std::numeric_limits<double>::epsilon() * std::abs(t1_);
  double best = std::numeric_limits<double>::infinity();
  located_ = -1;
  for (const Candidate& c : candidates_) {
    if (best <= t0_) break;
    double tb = c.t_end, fb = c.q_end;
    if (best < tb) {
      fb = q(c, best);
      if (fb >= 0) continue;  // crosses after the best so far
      tb = best;
    }
    const double fa = q(c, t0_);
    if (fa >= 0) tb = detail::illinois([&](double tau) { return q(c, tau); }, t0_, fa, tb, fb, tol);
    else tb = t0_;  // past already at the start (round-off)
    if (tb < best) {
      best = tb;
      located_ = c.k;
    }
  }
  return best;
}

/// At the cut: the located pair and every other pair beyond ε on the wrong side flip.
bool CurvedCrosser::restart(Vec& x, Vec& dxdt, double t, double t_old, Outcome& outcome) {
  Vec z, scale;
  model_.surface_values(x.data(), A_, z, &scale);
  ++stats_.forward_evals;
  for (Index k = 0; k < S_; ++k)
    if (k == located_ || sign(k) * z(k) < -eps(k, scale)) {
      A_(k) = 1.0 - A_(k);
      ++stats_.switches;
      crossings_.record(static_cast<std::size_t>(k), t, sw_.reversal_window, stats_);
    }
  stalled_ = t > t_old ? 0 : stalled_ + 1;
  if (stalled_ > 1000) {
    outcome.status = Status::failed;
    outcome.t = t;
    outcome.message = "switching events do not advance at t = " + std::to_string(t);
    return false;
  }
  rhs(x, dxdt, t);
  end_views(x, z0_, zd0_, scale0_);
  return true;
}

Outcome CurvedCrosser::run(Vec& x, double t, const std::vector<double>& times, const SampleObserver& observe) {
  const auto start = std::chrono::steady_clock::now();
  stats_ = SwitchingStats{};
  outcome_.t = t;
  if (x.size() != 2 * P_)
    throw input_error("integrate_curved_second_order: the state has " + std::to_string(x.size()) +
                      " entries, expected " + std::to_string(2 * P_));
  auto finish = [&]() {
    outcome_.counters.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome_;
  };
  if (times.empty()) return finish();
  if (!x.allFinite()) {
    outcome_.status = Status::diverged;
    outcome_.message = "state is not finite at t = " + std::to_string(t);
    return finish();
  }
  // The initial pattern: the signs of the net's own z; a pair exactly on its surface takes the
  // side its velocity points to.
  Vec z, zd;
  model_.surface_values(x.data(), Vec(), z, nullptr);
  A_ = (z.array() > 0.0).cast<double>();
  model_.surface_rates(x.data(), x.data() + P_, A_, zd);
  for (Index k = 0; k < S_; ++k)
    if (z(k) == 0.0) A_(k) = zd(k) > 0 ? 1.0 : 0.0;
  auto sys = [this](const Vec& s, Vec& ds, double tt) { rhs(s, ds, tt); };
  detail::dense_loop(sys, x, t, times, options_, observe, outcome_, *this);
  return finish();
}

}  // namespace

Outcome integrate_curved_second_order(const Objective& objective, const SwitchingSurfaces& model,
                                      std::function<double(double)> damping, Vec& state, double t0,
                                      const std::vector<double>& times, const IntegrateOptions& options,
                                      const SampleObserver& observe, SwitchingStats& stats,
                                      const SwitchingOptions& switching) {
  if (!damping) throw input_error("integrate_curved_second_order: no damping a(t) given");
  CurvedCrosser crosser(objective, model, std::move(damping), options, switching, stats);
  return crosser.run(state, t0, times, observe);
}

}  // namespace gradflow
