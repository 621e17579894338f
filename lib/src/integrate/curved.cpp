// Flows across curved switching surfaces (docs/switching.md, "Curved surfaces").
//
// The integrator keeps the activation pattern A, integrates the pattern net's smooth field
// with dopri5, and after each accepted step looks for pairs on the wrong side at its end, or
// dipping across inside it (Hermite test on z and ż at both ends). The first such crossing is
// located on the step's dense output and the step is cut just past it.
//
// Second order: the velocity is continuous, so ż_k = ∇z_k · v is continuous across a surface
// and a generic crossing is transversal: every pair then on the wrong side is flipped.
//
// First order (gradient flow): where both sides push into a surface the flow slides on it.
// The sliding pairs S sit at z = 0 with A = 0, and the field is −(g + Nᵀβ), g = ∇L_A, N the
// normals of S, (N Nᵀ)β = −N g: the projection of −g onto the surfaces' common tangent space,
// which is the Filippov field, since switching a pair on moves g along its own normal
// (SwitchingSurfaces::unit_sensitivities). At an event, a box QP over the pairs involved
// (min ½‖g + Nᵀβ‖², 0 ≤ β_k ≤ u_k) decides which slide, which go active and which inactive; a
// sliding pair leaves (an event) when its coefficient α_k = β_k/u_k leaves [0, 1]. After
// each step, sliding pairs are put back on their surfaces by one Newton step. Where a sliding
// unit feeds another pair of the same sample, that pair's u counts the unit's slope α (the
// field is multilinear in the slopes): u is computed top-down with the sliding β passed on.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dense_loop.hpp"
#include "event_math.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/integrate/switching.hpp"

namespace gradflow {

namespace {

/// A pair that may have crossed inside the last step: q(τ) = sign·z_k(x(τ)) + ε ≥ 0 before;
/// or (slot ≥ 0) the sliding pair slides_[slot] whose coefficient may have left [0, 1]
/// through its upper or lower end.
struct Candidate {
  Index k = 0;
  double sign = 1.0, eps = 0.0;
  double t_end = 0.0, q_end = 0.0, estimate = 0.0;
  Index slot = -1;
  bool upper = false;
};

class CurvedCrosser {
 public:
  /// A damping a(t): the second-order flow on [θ, v]; none: gradient flow on θ.
  CurvedCrosser(const Objective& objective, const SwitchingSurfaces& model, std::function<double(double)> damping,
                const IntegrateOptions& options, const SwitchingOptions& sw, SwitchingStats& stats)
      : model_(model),
        y_(objective.targets()),
        c_(objective.scale()),
        P_(objective.model().num_params()),
        S_(model.surfaces()),
        second_(static_cast<bool>(damping)),
        damping_(std::move(damping)),
        options_(options),
        sw_(sw),
        stats_(stats),
        crossings_(static_cast<std::size_t>(S_)),
        sliding_(static_cast<std::size_t>(S_), 0) {
    options.validate();
    if (options.stepper != "dopri5")
      throw input_error("run.stepper: the switching integrator uses dopri5 (dense output), not '" +
                        options.stepper + "'");
    if (objective.model().as_switching_surfaces() != &model)
      throw input_error("integrate_curved: the objective is bound to another model");
  }

  Outcome run(Vec& x, double t, const std::vector<double>& times, const SampleObserver& observe);

  // ---- the event policy of the shared loop (dense_loop.hpp) -------------------------------
  void begin(const detail::Dopri5& dopri, const Vec& x, const Vec& dxdt, double) {
    dopri_ = &dopri;
    end_views(x, dxdt, z0_, zd0_, scale0_);
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
    if (!second_) {
      sliding_gradient(x.data(), dx.data(), &beta_);
      dx = -dx;
      return;
    }
    dx.head(P_) = x.tail(P_);
    model_.pattern_gradient(x.data(), A_, y_, c_, dx.data() + P_);
    dx.tail(P_) = -damping_(t) * x.tail(P_) - dx.tail(P_);
  }
  /// g = ∇L_A + Nᵀβ, tangent to the sliding pairs' surfaces.
  void sliding_gradient(const double* th, double* g, Vec* beta);
  /// (N Nᵀ)⁻¹ b over `pairs` (a pseudo-inverse where normals are dependent).
  Vec gram_solve(const double* th, const std::vector<Index>& pairs, const Vec& b);
  /// N v over `pairs`.
  Vec rates_of(const double* th, const double* v, const std::vector<Index>& pairs);
  /// Newton steps θ ← θ − Nᵀ(N Nᵀ)⁻¹ z onto the surfaces of `pairs`.
  void project(double* th, const std::vector<Index>& pairs, int steps);
  /// z, ż (along the velocity, or the field of the first order) and the pairs' sizes.
  void end_views(const Vec& x, const Vec& dxdt, Vec& z, Vec& zd, Vec& scale) {
    model_.surface_values(x.data(), A_, z, &scale);
    model_.surface_rates(x.data(), second_ ? x.data() + P_ : dxdt.data(), A_, zd);
    stats_.forward_evals += 2;
  }
  double sign(Index k) const { return A_(k) > 0 ? 1.0 : -1.0; }
  /// The hysteresis of pair k: relative to its size, with a floor at the round-off of the
  /// largest pair (a unit whose inputs all vanish has z = 0 up to round-off, and no effect).
  static double eps_floor(const Vec& scale) {
    return 64 * std::numeric_limits<double>::epsilon() * (scale.size() ? scale.maxCoeff() : 0.0) + 1e-300;
  }
  double eps(Index k, const Vec& scale, double floor) const { return sw_.z_tol * scale(k) + floor; }
  const Vec& state_at(double tau);
  /// β and u of the sliding pairs at the state at τ (cached per τ).
  void coefficients_at(double tau);
  double q(const Candidate& c, double tau);
  void collect();
  void collect_exits(double t_end);
  double locate();
  void resolve_first(Vec& x, double t);
  void resolve_second(Vec& x, double t);
  void count_sliding();

  const SwitchingSurfaces& model_;
  const Vec& y_;
  const double c_;
  const Index P_, S_;
  const bool second_;
  std::function<double(double)> damping_;
  const IntegrateOptions& options_;
  const SwitchingOptions& sw_;
  SwitchingStats& stats_;
  Outcome outcome_;
  detail::CrossingLog crossings_;
  Vec A_;  ///< the pattern, one entry per pair (0 for sliding pairs)
  std::vector<char> sliding_;  ///< per pair: on its surface (first order)
  std::vector<Index> slides_;  ///< the sliding pairs, in order
  Vec beta_;                   ///< β of the last field evaluation
  long stalled_ = 0;
  std::vector<Candidate> candidates_;
  Index located_ = -1;  ///< the pair whose crossing cut the last step
  // the last accepted step x0 → x1 over [t0, t1], with z and ż at both ends
  const detail::Dopri5* dopri_ = nullptr;
  const Vec *x0_ = nullptr, *dx0_ = nullptr, *x1_ = nullptr, *dx1_ = nullptr;
  double t0_ = 0.0, t1_ = 0.0;
  Vec z0_, zd0_, scale0_, z1_, zd1_, scale1_, xs_;
  double xs_t_ = std::numeric_limits<double>::quiet_NaN();
  Vec cb_, cu_;  ///< β and u at cb_t_
  double cb_t_ = std::numeric_limits<double>::quiet_NaN();
};

// ---------------------------------------------------------------------------------------------
// The sliding field

Vec CurvedCrosser::rates_of(const double* th, const double* v, const std::vector<Index>& pairs) {
  Vec zd;
  model_.surface_rates(th, v, A_, zd);
  ++stats_.forward_evals;
  Vec out(static_cast<Index>(pairs.size()));
  for (std::size_t q = 0; q < pairs.size(); ++q) out(static_cast<Index>(q)) = zd(pairs[q]);
  return out;
}

Vec CurvedCrosser::gram_solve(const double* th, const std::vector<Index>& pairs, const Vec& b) {
  Mat G;
  model_.surface_gram(th, A_, pairs, G);
  ++stats_.forward_evals;
  Eigen::CompleteOrthogonalDecomposition<Mat> cod;
  cod.setThreshold(1e-12);
  cod.compute(G);
  return cod.solve(b);
}

void CurvedCrosser::sliding_gradient(const double* th, double* g, Vec* beta) {
  model_.pattern_gradient(th, A_, y_, c_, g);
  if (slides_.empty()) {
    if (beta) beta->resize(0);
    return;
  }
  const Vec b = -gram_solve(th, slides_, rates_of(th, g, slides_));
  model_.add_surface_normals(th, A_, slides_, b, g);
  ++stats_.forward_evals;
  if (beta) *beta = b;
}

void CurvedCrosser::project(double* th, const std::vector<Index>& pairs, int steps) {
  if (pairs.empty()) return;
  for (int it = 0; it < steps; ++it) {
    Vec z;
    model_.surface_values(th, A_, z, nullptr);
    ++stats_.forward_evals;
    Vec zp(static_cast<Index>(pairs.size()));
    for (std::size_t q = 0; q < pairs.size(); ++q) zp(static_cast<Index>(q)) = z(pairs[q]);
    Vec step = -gram_solve(th, pairs, zp);
    Vec dtheta = Vec::Zero(P_);
    model_.add_surface_normals(th, A_, pairs, step, dtheta.data());
    ++stats_.forward_evals;
    Eigen::Map<Vec>(th, P_) += dtheta;
  }
}

void CurvedCrosser::count_sliding() {
  slides_.clear();
  for (Index k = 0; k < S_; ++k)
    if (sliding_[static_cast<std::size_t>(k)]) slides_.push_back(k);
  stats_.sliding_pairs = static_cast<long>(slides_.size());
  stats_.sliding_pairs_max = std::max(stats_.sliding_pairs_max, stats_.sliding_pairs);
}

// ---------------------------------------------------------------------------------------------
// Events

const Vec& CurvedCrosser::state_at(double tau) {
  if (tau == t0_) return *x0_;
  if (tau == t1_) return *x1_;
  if (tau == xs_t_) return xs_;
  dopri_->calc_state(tau, xs_, *x0_, *dx0_, t0_, *x1_, *dx1_, t1_);
  ++stats_.locate_evals;
  xs_t_ = tau;
  return xs_;
}

void CurvedCrosser::coefficients_at(double tau) {
  if (tau == cb_t_) return;
  const Vec& x = state_at(tau);
  Vec g(P_);
  sliding_gradient(x.data(), g.data(), &cb_);
  model_.unit_sensitivities(x.data(), A_, y_, c_, slides_, &cb_, cu_);
  ++stats_.forward_evals;
  cb_t_ = tau;
}

double CurvedCrosser::q(const Candidate& c, double tau) {
  if (c.slot < 0) return c.sign * model_.surface_value(state_at(tau).data(), A_, c.k) + c.eps;
  coefficients_at(tau);
  const double b = cb_(c.slot), u = cu_(c.slot);
  return c.upper ? (1.0 + sw_.alpha_tol) * u - b : b + sw_.alpha_tol * u;
}

std::optional<double> CurvedCrosser::accepted(double t_old, double t, const Vec& x, const Vec& dxdt, Vec& x_new,
                                              const Vec& dxdt_new) {
  x0_ = &x;
  dx0_ = &dxdt;
  x1_ = &x_new;
  dx1_ = &dxdt_new;
  t0_ = t_old;
  t1_ = t;
  xs_t_ = cb_t_ = std::numeric_limits<double>::quiet_NaN();
  candidates_.clear();
  if (!slides_.empty()) {
    collect_exits(t);  // on the step's own end, before the drift is removed
    project(x_new.data(), slides_, 1);
  }
  end_views(x_new, dxdt_new, z1_, zd1_, scale1_);
  collect();
  if (candidates_.empty()) return std::nullopt;
  ++stats_.events;
  return locate();
}

/// Sliding pairs whose coefficient is out of [0, 1] at the step's end (β from the FSAL field).
void CurvedCrosser::collect_exits(double t_end) {
  Vec u;
  model_.unit_sensitivities(x1_->data(), A_, y_, c_, slides_, &beta_, u);
  ++stats_.forward_evals;
  cb_ = beta_;
  cu_ = u;
  cb_t_ = t_end;
  for (Index j = 0; j < u.size(); ++j)
    for (const bool upper : {false, true}) {
      Candidate c{slides_[static_cast<std::size_t>(j)], 1.0, 0.0, t_end, 0.0, t0_, j, upper};
      c.q_end = q(c, t_end);
      if (c.q_end < 0) candidates_.push_back(c);
    }
}

/// The pairs more than ε on the wrong side at the step's end, and those whose Hermite cubic
/// through z and ż at both ends dips below −ε inside it (confirmed on the dense output).
void CurvedCrosser::collect() {
  const double h = t1_ - t0_, floor = eps_floor(scale1_);
  for (Index k = 0; k < S_; ++k) {
    if (sliding_[static_cast<std::size_t>(k)]) continue;
    const double sg = sign(k), e = eps(k, scale1_, floor);
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

/// The first event time: the right end of its final bracket, so the event has happened there.
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
      if (fb >= 0) continue;  // happens after the best so far
      tb = best;
    }
    const double fa = q(c, t0_);
    if (fa >= 0) tb = detail::illinois([&](double tau) { return q(c, tau); }, t0_, fa, tb, fb, tol);
    else tb = t0_;  // past already at the start (round-off)
    if (tb < best) {
      best = tb;
      located_ = c.slot < 0 ? c.k : -1;
    }
  }
  return best;
}

bool CurvedCrosser::restart(Vec& x, Vec& dxdt, double t, double t_old, Outcome& outcome) {
  if (second_) resolve_second(x, t);
  else resolve_first(x, t);
  stalled_ = t > t_old ? 0 : stalled_ + 1;
  if (stalled_ > 1000) {
    outcome.status = Status::failed;
    outcome.t = t;
    outcome.message = "switching events do not advance at t = " + std::to_string(t);
    return false;
  }
  rhs(x, dxdt, t);
  end_views(x, dxdt, z0_, zd0_, scale0_);
  return true;
}

/// Second order: the located pair and every other pair beyond ε on the wrong side flip.
void CurvedCrosser::resolve_second(Vec& x, double t) {
  Vec z, scale;
  model_.surface_values(x.data(), A_, z, &scale);
  ++stats_.forward_evals;
  const double floor = eps_floor(scale);
  for (Index k = 0; k < S_; ++k)
    if (k == located_ || sign(k) * z(k) < -eps(k, scale, floor)) {
      A_(k) = 1.0 - A_(k);
      ++stats_.switches;
      crossings_.record(static_cast<std::size_t>(k), t, sw_.reversal_window, stats_);
    }
}

/// First order: the pairs that reached their surfaces, and every sliding pair, are put on their
/// surfaces; a box QP over those that the loss pushes into their surface (u_k > 0) decides
/// which slide, which go active and which inactive; the others cross (or, sliding, leave).
void CurvedCrosser::resolve_first(Vec& x, double t) {
  Vec z, scale;
  model_.surface_values(x.data(), A_, z, &scale);
  ++stats_.forward_evals;
  std::vector<Index> C = slides_;  // the pairs to decide
  std::vector<double> before(slides_.size(), -1.0);  // their sides before (1, 0; −1: sliding)
  const double floor = eps_floor(scale);
  for (Index k = 0; k < S_; ++k) {
    if (sliding_[static_cast<std::size_t>(k)] || !(k == located_ || sign(k) * z(k) < -eps(k, scale, floor))) continue;
    const double rel = std::abs(z(k)) / (scale(k) + floor / sw_.z_tol);
    if (rel > sw_.project_limit) {  // far across: a missed event; flip it, do not project
      ++stats_.large_jumps;
      A_(k) = 1.0 - A_(k);
      ++stats_.switches;
      crossings_.record(static_cast<std::size_t>(k), t, sw_.reversal_window, stats_);
      continue;
    }
    stats_.max_projection = std::max(stats_.max_projection, rel);
    C.push_back(k);
    before.push_back(A_(k));
  }
  if (C.empty()) return;
  // The sliding pairs' β (a pair below a sliding one on the same sample feels its slope).
  Vec beta_C = Vec::Zero(static_cast<Index>(C.size()));
  if (!slides_.empty()) {
    Vec g(P_), b;
    sliding_gradient(x.data(), g.data(), &b);
    beta_C.head(b.size()) = b;
  }
  for (const Index k : C) A_(k) = 0.0;
  project(x.data(), C, 2);

  Vec u;
  model_.unit_sensitivities(x.data(), A_, y_, c_, C, &beta_C, u);
  ++stats_.forward_evals;
  std::vector<double> after(C.size(), -1.0);  // 1 active, 0 inactive, −1 decided by the QP
  std::vector<Index> T;                        // attractive: their own push points off the active side
  std::vector<double> beta_T;
  for (std::size_t j = 0; j < C.size(); ++j) {
    if (u(static_cast<Index>(j)) > 0) {
      T.push_back(C[j]);
      beta_T.push_back(beta_C(static_cast<Index>(j)));
    } else if (before[j] >= 0) {
      after[j] = 1.0 - before[j];  // a concave kink is crossed transversally
    } else {
      ++stats_.repelling;
      after[j] = 0.0;
    }
    if (after[j] >= 0) A_(C[j]) = after[j];
  }
  // The box QP over T, with every pair of T off (A = 0): β_k = α_k u_k, 0 ≤ α_k ≤ 1. A pair's
  // u counts the α of the pairs above it on the same sample (the field is multilinear in the
  // slopes), so the bounds are updated from the solution until they repeat.
  const Index kT = static_cast<Index>(T.size());
  std::vector<int> state;
  if (kT > 0) {
    Vec g(P_), uT, beta = Eigen::Map<const Vec>(beta_T.data(), kT);
    model_.pattern_gradient(x.data(), A_, y_, c_, g.data());
    Mat G;
    model_.surface_gram(x.data(), A_, T, G);
    ++stats_.forward_evals;
    G.diagonal().array() += 1e-13 * G.diagonal().cwiseAbs().maxCoeff();  // the QP needs G definite
    const Vec b = rates_of(x.data(), g.data(), T);
    Vec bound = Vec::Constant(kT, -1.0);
    for (int round = 0; round < 8; ++round) {
      model_.unit_sensitivities(x.data(), A_, y_, c_, T, &beta, uT);
      ++stats_.forward_evals;
      if ((uT - bound).cwiseAbs().maxCoeff() <= 1e-12 * uT.cwiseAbs().maxCoeff()) break;
      bound = uT;
      detail::box_qp(G, b, Vec::Zero(kT), uT.cwiseMax(0.0), beta, state);
    }
  }
  for (std::size_t j = 0, p = 0; j < C.size(); ++j)
    if (u(static_cast<Index>(j)) > 0) {
      const int at = state[p++];
      after[j] = at == 0 ? -1.0 : at < 0 ? 0.0 : 1.0;
    }
  for (std::size_t j = 0; j < C.size(); ++j) {
    const Index k = C[j];
    const bool slides = after[j] < 0;
    sliding_[static_cast<std::size_t>(k)] = slides;
    A_(k) = slides ? 0.0 : after[j];
    if ((slides ? -1.0 : A_(k)) == before[j]) {
      if (!slides) ++stats_.bounces;
      continue;
    }
    ++stats_.switches;
    if (slides) ++stats_.sliding_episodes;
    else if (before[j] < 0) ++stats_.sliding_exits;
    else crossings_.record(static_cast<std::size_t>(k), t, sw_.reversal_window, stats_);
  }
  count_sliding();
}

Outcome CurvedCrosser::run(Vec& x, double t, const std::vector<double>& times, const SampleObserver& observe) {
  const auto start = std::chrono::steady_clock::now();
  stats_ = SwitchingStats{};
  outcome_.t = t;
  const Index N = second_ ? 2 * P_ : P_;
  if (x.size() != N)
    throw input_error("integrate_curved: the state has " + std::to_string(x.size()) + " entries, expected " +
                      std::to_string(N));
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
  // side its velocity (first order: the field) points to.
  Vec z, zd;
  model_.surface_values(x.data(), Vec(), z, nullptr);
  A_ = (z.array() > 0.0).cast<double>();
  Vec field;
  if (!second_) {
    field.resize(P_);
    model_.pattern_gradient(x.data(), A_, y_, c_, field.data());
    field = -field;
  }
  model_.surface_rates(x.data(), second_ ? x.data() + P_ : field.data(), A_, zd);
  for (Index k = 0; k < S_; ++k)
    if (z(k) == 0.0) A_(k) = zd(k) > 0 ? 1.0 : 0.0;
  auto sys = [this](const Vec& s, Vec& ds, double tt) { rhs(s, ds, tt); };
  detail::dense_loop(sys, x, t, times, options_, observe, outcome_, *this);
  return finish();
}

}  // namespace

Outcome integrate_curved_gradient_flow(const Objective& objective, const SwitchingSurfaces& model, Vec& theta, double t0,
                                       const std::vector<double>& times, const IntegrateOptions& options,
                                       const SampleObserver& observe, SwitchingStats& stats,
                                       const SwitchingOptions& switching) {
  CurvedCrosser crosser(objective, model, {}, options, switching, stats);
  return crosser.run(theta, t0, times, observe);
}

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
