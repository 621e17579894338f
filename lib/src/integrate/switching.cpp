#include "gradflow/integrate/switching.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "dense_loop.hpp"
#include "event_math.hpp"
#include "gradflow/core/error.hpp"
#include "unit_paths.hpp"

namespace gradflow {

namespace odeint = boost::numeric::odeint;

namespace {

using Clock = std::chrono::steady_clock;
using Dopri = detail::Dopri5;
using detail::Hermite;
using detail::box_qp;
using detail::illinois;
using detail::Slide;
using detail::UnitPath;

using detail::kActive;
using detail::kInactive;
using detail::kSliding;

/// Something that may have happened inside the last step: a pair crossed (kind 0) or a sliding
/// coefficient left [0, 1] (kind 1). q > 0 means "not yet"; q(t_end) < 0.
struct Item {
  int kind = 0;
  Index i = 0, r = 0;   ///< the pair (kind 1: r and the position j = i in the neuron's slide)
  double sign = 1.0;    ///< kind 0: +1 active, −1 inactive; kind 1: −1 lower bound, +1 upper
  double eps = 0.0;
  double t_end = 0.0, q_end = 0.0, estimate = 0.0;
};

/// A crossing stepped over (auto, second order): pair (i, r) goes to mode `to` at time t; zdot
/// is the rate of its z there (continuous: the velocity moves z). The field on v_r jumps by
/// coef·u, u = x_i: coef = ∓gain·res_i.
struct Kink {
  Index i = 0, r = 0;
  double t = 0.0, zdot = 0.0, coef = 0.0;
  signed char to = 0;
};

/// Everything the two integrators share: the pattern, the sliding sets, the pattern-fixed field,
/// the end-of-step checks, event location and the sampling loop.
class Switcher {
 public:
  Switcher(const Objective& objective, const PiecewiseLinear& model, const IntegrateOptions& options,
           const SwitchingOptions& sw, SwitchingStats& stats, bool second, std::function<double(double)> damping)
      : model_(model),
        X_(model.unit_inputs()),
        y_(objective.targets()),
        c_(objective.scale()),
        n_(model.samples()),
        d_(model.unit_dim()),
        m_(model.units()),
        P_(objective.model().num_params()),
        second_(second),
        damping_(std::move(damping)),
        options_(options),
        sw_(sw),
        stats_(stats) {
    options.validate();
    if (options.stepper != "dopri5")
      throw input_error("run.stepper: the switching integrator uses dopri5 (dense output), not '" +
                        options.stepper + "'");
    const PiecewiseLinear* bound = objective.model().as_piecewise_linear();
    if (!bound) throw input_error("model.activation: the switching integrator needs a piecewise-linear (ReLU) model");
    if (bound != &model) throw input_error("integrate_switching: the objective is bound to another model");
    if (y_.size() != n_) throw input_error("integrate_switching: one target per sample expected");
    xnorm_ = X_.rowwise().norm();
    A_ = Mat::Zero(n_, m_);
    Sg_ = Mat::Constant(n_, m_, -1.0);
    mode_.assign(static_cast<std::size_t>(n_ * m_), kInactive);
    crossings_ = detail::CrossingLog(mode_.size());
    slides_.resize(static_cast<std::size_t>(m_));
    // Whether the units' gains are parameters (two_layer's outer layer): their paths move them too.
    if (m_ > 0) {
      Vec probe = Vec::Zero(P_);
      model.add_gain_gradient(probe.data(), 0, 1.0, probe.data());
      gain_trained_ = probe.any();
    }
  }

  Outcome run(Vec& x, double t0, const std::vector<double>& times, const SampleObserver& observe);

 private:
  // ---- views into a state -------------------------------------------------------------
  Eigen::Map<const Mat> W(const Vec& x) const { return model_.unit_weights(x.data()); }
  std::size_t id(Index i, Index r) const { return static_cast<std::size_t>(i + n_ * r); }

  // ---- the pattern-fixed field ------------------------------------------------------------
  /// g = ∇L with the activation pattern frozen at P (sliding pairs: projected, Filippov), for targets y.
  void gradient(const double* th, double* g, const Vec& y);
  void rhs(const Vec& x, Vec& dx, double t);
  /// res = c (f − y) with f computed from Z = X Wᵀ and the pattern.
  void residual_from(const Mat& Z, const double* th, Vec& res) const;
  /// c_r = s a_r Σ_{i: P_ir = 1} res_i x_i, the gradient of neuron r's non-sliding active samples.
  Vec neuron_c(Index r, const double* th, const Vec& res) const;
  /// neuron_c of every sliding neuron (the columns, in the order of sliding_neurons_), in one product.
  Mat sliding_fields(const double* th, const Vec& res) const;
  /// Filippov weights β = −(X_S X_Sᵀ)⁻¹ X_S c_r of neuron r's sliding samples and their bounds
  /// u = s a_r res, from its field c_r.
  void slide_weights(Index r, const Vec& cr, const double* th, const Vec& res, Vec& beta, Vec& u) const;
  /// How far a sliding coefficient α = β/u is inside its bound, with the hysteresis ε = alpha_tol:
  /// sign < 0 the lower one, β + ε u; sign > 0 the upper one, (1 + ε) u − β. Negative: it left.
  double inside(double beta, double u, double sign) const {
    return sign < 0 ? beta + sw_.alpha_tol * u : (1.0 + sw_.alpha_tol) * u - beta;
  }
  bool within(double beta, double u) const { return inside(beta, u, -1) >= 0 && inside(beta, u, 1) >= 0; }
  void rebuild_slide(Index r);
  void project_slides(Vec& x) const;

  // ---- events ----------------------------------------------------------------------------
  void velocity_Z(const Vec& x, const Vec& dx, Mat& Zd) const;
  double eps(Index i, Index r, const Vec& wnorm) const { return sw_.z_tol * xnorm_(i) * wnorm(r) + 1e-300; }
  void collect(std::vector<Item>& items);
  void collect_slides(std::vector<Item>& items);
  /// Calls visit(i, r, sg, e, hermite) for each non-sliding pair that may have crossed in the
  /// step: its end more than ε on the wrong side, or a Hermite dip across (check_double_crossings).
  template <class Visit>
  void scan_crossings(Visit&& visit);
  // ---- auto, first order: the units that change inside a step, integrated alone -------------
  std::optional<double> accepted_paths();
  /// The residual along the step as a polynomial, the gains and norms its units' paths share.
  void prepare_paths();
  /// The change `delta` that the units' paths make to the pattern-fixed state xe at te: their
  /// deviations, and the feedback of the residual change they cause, −J_Aᵀ ∫δr dt; returns the
  /// weighted size of what the feedback misses (≤ 1: within the tolerance).
  double path_correction(double te, const Vec& xe, Vec& delta);

  // ---- auto, second order: crossings as kinks ---------------------------------------------
  std::optional<double> accepted_kinks();
  template <class EventAt>
  void settle_kinks(EventAt&& event_at);
  /// The change `delta` that the kinks before te make to the pattern-fixed state xe at te;
  /// returns the weighted size of its second-order part (≤ 1: within the tolerance).
  double kink_correction(double te, const Vec& xe, Vec& delta);
  double corrected_z(Index i, Index r, double t);
  double refine_event(double t_event);
  double lerp(const Vec& at0, const Vec& at1, Index k, double t) const {
    return at0(k) + (t - t0_) / (t1_ - t0_) * (at1(k) - at0(k));
  }
  const Vec& state_at(double tau);
  double q(const Item& item, double tau);
  double locate(std::vector<Item>& items, std::vector<std::pair<Index, Index>>& forced);
  /// At an event at t: Z = Z(x) on entry, kept equal to it as x changes.
  bool resolve(Vec& x, Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced);
  bool resolve_first(Vec& x, Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced);
  bool resolve_second(Vec& x, const Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced);
  void record_crossing(Index i, Index r, double t);
  void set_mode(Index i, Index r, signed char mode) {
    mode_[id(i, r)] = mode;
    A_(i, r) = mode == kActive ? 1.0 : 0.0;
    Sg_(i, r) = mode;
  }
  /// The pairs of column r (non-sliding) that are more than ε on the wrong side of Z.
  void wrong_side(const Mat& Z, const Vec& wnorm, std::vector<std::pair<Index, Index>>& out);
  void count_sliding();

  // ---- the event policy of the shared loop (dense_loop.hpp) -------------------------------
 public:
  void begin(const Dopri& dopri, const Vec& x, const Vec& dxdt, double);
  std::optional<double> accepted(double t_old, double t, const Vec& x, const Vec& dxdt, Vec& x_new, const Vec& dxdt_new);
  void advanced();
  bool restart(Vec& x, Vec& dxdt, double t, double t_old, Outcome& outcome);
  void sample(double t, Vec& x);
  double max_dt() const { return max_dt_; }

 private:
  void end_views(const Vec& xe, const Vec& dxe, Mat& Z, Mat& Zd);
  std::vector<Item> items_;
  std::vector<std::pair<Index, Index>> forced_;
  long stalled_ = 0;

  const PiecewiseLinear& model_;
  const Mat& X_;
  const Vec& y_;
  const double c_;
  const Index n_, d_, m_, P_;
  const bool second_;
  std::function<double(double)> damping_;
  const IntegrateOptions& options_;
  const SwitchingOptions& sw_;
  SwitchingStats& stats_;
  Outcome outcome_;

  Vec xnorm_;
  Mat A_;                          ///< n×m, 1 where the pair is active (0: inactive or sliding)
  Mat Sg_;                         ///< n×m, the side: +1 active, −1 inactive, 0 sliding
  std::vector<signed char> mode_;  ///< n·m, column-major (i + n r)
  detail::CrossingLog crossings_;
  std::vector<Slide> slides_;      ///< per neuron
  std::vector<Index> sliding_neurons_;

  // workspaces
  PatternWork pw_;
  Mat Zl_;
  Vec resl_;
  // the last accepted step: x0 → x1 over [t0, t1], with Z and Ż at both ends
  const Dopri* dopri_ = nullptr;
  const Vec *x0_ = nullptr, *dx0_ = nullptr, *x1_ = nullptr, *dx1_ = nullptr;
  double t0_ = 0.0, t1_ = 0.0;
  Mat Z0_, Zd0_, Z1_, Zd1_, H1_, E_;
  Vec xs_;
  // auto: the kinks (second order) or units' paths (first order) of the last step, the
  // correction at its cut, the ends' residuals and gains
  std::vector<Kink> kinks_;
  std::vector<UnitPath> paths_;
  detail::StepShared shared_;
  bool gain_trained_ = false;  ///< the units' gains are parameters (two_layer): their paths move them too
  Vec delta_, res0_, res1_, gain0_, gain1_, gshift_;
  double delta_t_ = std::numeric_limits<double>::quiet_NaN();  ///< where delta_ holds the correction
  double max_dt_ = std::numeric_limits<double>::infinity();
  double xs_t_ = std::numeric_limits<double>::quiet_NaN();
};

// ---------------------------------------------------------------------------------------------
// The field

void Switcher::gradient(const double* th, double* g, const Vec& y) {
  model_.pattern_gradient(th, A_, y, c_, pw_, g);
  // Sliding units move on their surfaces: their weight gradient is projected (Filippov).
  Eigen::Map<Mat> gW = model_.unit_weights(g);
  for (const Index r : sliding_neurons_) {
    const Mat& Q = slides_[r].Q;
    const Vec gr = gW.row(r).transpose();
    gW.row(r) -= (Q.transpose() * (Q * gr)).transpose();
  }
}

void Switcher::rhs(const Vec& x, Vec& dx, double t) {
  ++outcome_.counters.rhs_evals;
  dx.resize(x.size());
  if (!second_) {
    gradient(x.data(), dx.data(), y_);
    dx = -dx;
  } else {
    dx.head(P_) = x.tail(P_);
    gradient(x.data(), dx.data() + P_, y_);
    const double a = damping_(t);
    dx.tail(P_) = -a * x.tail(P_) - dx.tail(P_);
  }
}

void Switcher::residual_from(const Mat& Z, const double* th, Vec& res) const {
  model_.pattern_predict(th, Z, A_, res);
  res = c_ * (res - y_);
}

Vec Switcher::neuron_c(Index r, const double* th, const Vec& res) const {
  return model_.unit_gain(th, r) * (X_.transpose() * A_.col(r).cwiseProduct(res));
}

Mat Switcher::sliding_fields(const double* th, const Vec& res) const {
  const Index k = static_cast<Index>(sliding_neurons_.size());
  Mat M(n_, k);
  for (Index j = 0; j < k; ++j) {
    const Index r = sliding_neurons_[static_cast<std::size_t>(j)];
    M.col(j) = model_.unit_gain(th, r) * A_.col(r).cwiseProduct(res);
  }
  return X_.transpose() * M;
}

void Switcher::slide_weights(Index r, const Vec& cr, const double* th, const Vec& res, Vec& beta, Vec& u) const {
  const Slide& sl = slides_[r];
  beta = -sl.gram.solve(sl.XS * cr);
  const double sa = model_.unit_gain(th, r);
  u.resize(static_cast<Index>(sl.samples.size()));
  for (std::size_t j = 0; j < sl.samples.size(); ++j) u(static_cast<Index>(j)) = sa * res(sl.samples[j]);
}

void Switcher::rebuild_slide(Index r) {
  Slide& sl = slides_[r];
  sl.samples.clear();
  for (Index i = 0; i < n_; ++i)
    if (mode_[id(i, r)] == kSliding) sl.samples.push_back(i);
  sl.build(X_);
}

void Switcher::count_sliding() {
  sliding_neurons_.clear();
  long pairs = 0, largest = 0;
  for (Index r = 0; r < m_; ++r) {
    const long k = static_cast<long>(slides_[r].samples.size());
    if (k == 0) continue;
    sliding_neurons_.push_back(r);
    pairs += k;
    largest = std::max(largest, k);
  }
  stats_.sliding_pairs = pairs;
  stats_.sliding_pairs_max = std::max(stats_.sliding_pairs_max, pairs);
  stats_.sliding_neurons_max = std::max(stats_.sliding_neurons_max, static_cast<long>(sliding_neurons_.size()));
  stats_.sliding_set_max = std::max(stats_.sliding_set_max, largest);
}

/// Removes the round-off drift of sliding pairs off their surfaces: w_r ← (I − Π_r) w_r.
void Switcher::project_slides(Vec& x) const {
  if (sliding_neurons_.empty()) return;
  Eigen::Map<Mat> Wm = model_.unit_weights(x.data());
  for (const Index r : sliding_neurons_) {
    const Mat& Q = slides_[r].Q;
    const Vec wr = Wm.row(r).transpose();
    Wm.row(r) -= (Q.transpose() * (Q * wr)).transpose();
  }
}

// ---------------------------------------------------------------------------------------------
// Events

/// Ż = X Ẇᵀ at a state: Ẇ is the field's W part (first order) or the velocity's (second).
void Switcher::velocity_Z(const Vec& x, const Vec& dx, Mat& Zd) const {
  model_.preactivation_rates(x.data(), second_ ? x.data() + P_ : dx.data(), Zd);
  ++stats_.forward_evals;
}

const Vec& Switcher::state_at(double tau) {
  if (tau == xs_t_) return xs_;
  if (tau == t0_) return *x0_;
  if (tau == t1_) return *x1_;
  dopri_->calc_state(tau, xs_, *x0_, *dx0_, t0_, *x1_, *dx1_, t1_);
  ++stats_.locate_evals;
  xs_t_ = tau;
  return xs_;
}

double Switcher::q(const Item& item, double tau) {
  const Vec& x = state_at(tau);
  if (item.kind == 0) return item.sign * model_.preactivation(x.data(), item.i, item.r) + item.eps;
  // A sliding coefficient α = β/u with u = s a_r res_i > 0: lower bound q = β + ε u, upper q = (1 + ε) u − β.
  model_.preactivations(x.data(), Zl_);
  ++stats_.forward_evals;
  residual_from(Zl_, x.data(), resl_);
  Vec beta, u;
  slide_weights(item.r, neuron_c(item.r, x.data(), resl_), x.data(), resl_, beta, u);
  const Index j = item.i;
  return inside(beta(j), u(j), item.sign);
}

/// Whole-matrix tests pick the neurons to look at; only their columns are scanned pair by pair.
template <class Visit>
void Switcher::scan_crossings(Visit&& visit) {
  const Vec wnorm = W(*x1_).rowwise().norm();
  const double h = t1_ - t0_;
  E_.noalias() = (sw_.z_tol * xnorm_) * wnorm.transpose();
  E_.array() += 1e-300;
  H1_.array() = Sg_.array() * Z1_.array();  // σ z at the end: ≥ −ε on the pattern's side
  const Eigen::RowVectorXd end_min = (H1_ + E_).colwise().minCoeff();
  Eigen::Array<bool, 1, Eigen::Dynamic> dip = Eigen::Array<bool, 1, Eigen::Dynamic>::Constant(m_, false);
  if (sw_.check_double_crossings) {
    // Moving towards the surface at the start, away from it at the end, and close enough that
    // the Hermite cubic can dip across: |p − (1−s)h0 − s h1| ≤ (4/27)(|D0| + |D1|).
    const auto S = Sg_.array();
    const auto D0 = S * Zd0_.array() * h;
    const auto D1 = S * Zd1_.array() * h;
    dip = ((D0 < 0) && (D1 > 0) && ((S * Z0_.array()).min(H1_.array()) < (4.0 / 27.0) * (D1 - D0))).colwise().any();
  }
  for (Index r = 0; r < m_; ++r) {
    if (!(end_min(r) < 0) && !dip(r)) continue;
    for (Index i = 0; i < n_; ++i) {
      const signed char md = mode_[id(i, r)];
      if (md == kSliding) continue;
      const double sg = md, e = E_(i, r);
      // First order: a start within ε on the wrong side is the round-off of the last projection
      // onto the surface; it counts as on it, or its sign change at s = 0 would be an event at
      // once, again after every bounce (Zeno). Second-order flows are never projected: such a
      // start is where the stepped-over kinks left the pair, and treating it as 0 made events of
      // a chattering pair's crossings (NAG flow at gamma = 12: 30x slower).
      const double z0 = sg * Z0_(i, r);
      const bool on_surface = !second_ && z0 < 0 && z0 >= -e;
      const Hermite p{on_surface ? 0.0 : z0, sg * Zd0_(i, r) * h, H1_(i, r), sg * Zd1_(i, r) * h};
      if (p.h1 < -e) {
        visit(i, r, sg, e, p);
        continue;
      }
      if (!dip(r) || !(p.D0 < 0 && p.D1 > 0)) continue;
      if (std::min(p.h0, p.h1) >= (4.0 / 27.0) * (p.D1 - p.D0)) continue;
      // A dip counts only beyond the hysteresis ε, as an end does: a grazing pair put back on its
      // surface by a bounce would otherwise be found again at once, step after step (Zeno).
      if (p.min_value() >= -e) continue;
      visit(i, r, sg, e, p);
    }
  }
}

/// Gathers what happened in the step [t0_, t1_] (Z0_/Zd0_ at its start, Z1_/Zd1_ at its end).
void Switcher::collect(std::vector<Item>& items) {
  items.clear();
  const double h = t1_ - t0_;
  scan_crossings([&](Index i, Index r, double sg, double e, const Hermite& p) {
    if (p.h1 < -e) {
      const double h0 = p.h0 + e;
      Item it{0, i, r, sg, e, t1_, p.h1 + e, 0.0};
      it.estimate = h0 > 0 ? t0_ + h * h0 / (h0 - (p.h1 + e)) : t0_;
      items.push_back(it);
      return;
    }
    // A double crossing? The Hermite cubic's minimum (p'(0) < 0 < p'(1): one inside) below −ε.
    double lo = 0.0, hi = 1.0;
    for (int k = 0; k < 50; ++k) {
      const double mid = 0.5 * (lo + hi);
      (p.slope(mid) < 0 ? lo : hi) = mid;
    }
    const double s = 0.5 * (lo + hi);
    if (p(s) >= -e) return;
    Item it{0, i, r, sg, e, t0_ + s * h, 0.0, 0.0};
    it.q_end = q(it, it.t_end);  // confirm on the dense output itself
    if (it.q_end >= 0) return;
    it.estimate = it.t_end;
    ++stats_.double_crossings;
    items.push_back(it);
  });
  collect_slides(items);
}

/// Sliding coefficients out of [0, 1] at the step's end.
void Switcher::collect_slides(std::vector<Item>& items) {
  if (second_ || sliding_neurons_.empty()) return;
  Vec res, beta, u;
  residual_from(Z1_, x1_->data(), res);
  const Mat fields = sliding_fields(x1_->data(), res);
  for (std::size_t k = 0; k < sliding_neurons_.size(); ++k) {
    const Index r = sliding_neurons_[k];
    slide_weights(r, fields.col(static_cast<Index>(k)), x1_->data(), res, beta, u);
    for (Index j = 0; j < beta.size(); ++j) {
      const double lo = inside(beta(j), u(j), -1), up = inside(beta(j), u(j), 1);
      if (lo >= 0 && up >= 0) continue;
      Item it{1, j, r, lo < up ? -1.0 : 1.0, 0.0, t1_, std::min(lo, up), t1_};
      items.push_back(it);
    }
  }
}

/// The first time any item happens (the right end of its final bracket, so the event has
/// happened there); `forced` receives what defines it (below).
double Switcher::locate(std::vector<Item>& items, std::vector<std::pair<Index, Index>>& forced) {
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.estimate < b.estimate; });
  double best = std::numeric_limits<double>::infinity();
  const Item* first = nullptr;
  const double tol = 1e-13 * (t1_ - t0_) + 4 * std::numeric_limits<double>::epsilon() * std::abs(t1_);
  for (const Item& it : items) {
    double tb = it.t_end, fb = it.q_end;
    if (best <= t0_) break;
    if (best < tb) {
      fb = q(it, best);
      if (fb >= 0) continue;  // happens after the best so far
      tb = best;
    }
    double ta = t0_, fa = q(it, t0_);
    if (fa < 0) {  // already past at the start (round-off): an event right here
      tb = t0_;
    } else {
      tb = illinois([&](double t) { return q(it, t); }, ta, fa, tb, fb, tol);
    }
    if (tb < best) {
      best = tb;
      first = &it;
    }
  }
  // The crossing pair, or (−1, r) for a neuron whose sliding coefficient left [0, 1]: resolved at
  // the cut whatever the resolution's own check finds there (a coefficient located just past its
  // bound may look inside it to a product summed in another order, and would be found again).
  forced.clear();
  if (first) forced.emplace_back(first->kind == 0 ? first->i : -1, first->r);
  return best;
}

void Switcher::wrong_side(const Mat& Z, const Vec& wnorm, std::vector<std::pair<Index, Index>>& out) {
  out.clear();
  E_.noalias() = (sw_.z_tol * xnorm_) * wnorm.transpose();
  E_.array() += 1e-300;
  const Eigen::RowVectorXd worst = (Sg_.cwiseProduct(Z) + E_).colwise().minCoeff();
  for (Index r = 0; r < m_; ++r) {
    if (!(worst(r) < 0)) continue;
    for (Index i = 0; i < n_; ++i)
      if (mode_[id(i, r)] != kSliding && Sg_(i, r) * Z(i, r) < -E_(i, r)) out.emplace_back(i, r);
  }
}

void Switcher::record_crossing(Index i, Index r, double t) {
  crossings_.record(id(i, r), t, sw_.reversal_window, stats_);
}

bool Switcher::resolve(Vec& x, Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced) {
  return second_ ? resolve_second(x, Z, t, forced) : resolve_first(x, Z, t, forced);
}

/// At an event of the first-order flow: the pairs that crossed (and sliding pairs whose
/// coefficient left [0, 1]) are put exactly on their surfaces; per neuron, the minimal-norm
/// element of the subdifferential over those pairs decides which slide and which go to a side.
bool Switcher::resolve_first(Vec& x, Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced) {
  Eigen::Map<Mat> Wm = model_.unit_weights(x.data());
  const Vec wnorm = Wm.rowwise().norm();
  std::map<Index, std::vector<Index>> cand;  // neuron → samples that reached its surface
  std::vector<std::pair<Index, Index>> wrong;
  wrong_side(Z, wnorm, wrong);
  for (const auto& [i, r] : wrong) cand[r].push_back(i);
  for (const auto& [i, r] : forced) {
    auto& v = cand[r];
    if (i >= 0 && mode_[id(i, r)] != kSliding && std::find(v.begin(), v.end(), i) == v.end()) v.push_back(i);
  }
  if (!sliding_neurons_.empty()) {  // sliding coefficients out of [0, 1]
    Vec res, beta, u;
    residual_from(Z, x.data(), res);
    const Mat fields = sliding_fields(x.data(), res);
    for (std::size_t k = 0; k < sliding_neurons_.size(); ++k) {
      const Index r = sliding_neurons_[k];
      slide_weights(r, fields.col(static_cast<Index>(k)), x.data(), res, beta, u);
      for (Index j = 0; j < beta.size(); ++j)
        if (!within(beta(j), u(j))) {
          cand[r];
          break;
        }
    }
  }
  if (cand.empty()) return false;

  // Project each affected neuron onto all its surfaces (its sliding ones and the new ones).
  std::map<Index, std::vector<Index>> C;
  for (auto& [r, K] : cand) {
    std::vector<Index>& c = C[r];
    c = slides_[r].samples;
    for (const Index i : K) {
      const double rel = std::abs(Z(i, r)) / (xnorm_(i) * wnorm(r) + 1e-300);
      if (rel > sw_.project_limit) {
        // Far on its own side: a forced pair that did not cross after all.
        if (Sg_(i, r) * Z(i, r) > 0) continue;
        // Far across: a missed event; flip it, do not project.
        ++stats_.large_jumps;
        set_mode(i, r, static_cast<signed char>(-mode_[id(i, r)]));
        ++stats_.switches;
        record_crossing(i, r, t);
        continue;
      }
      stats_.max_projection = std::max(stats_.max_projection, rel);
      c.push_back(i);
    }
    if (c.empty()) continue;
    const Index k = static_cast<Index>(c.size());
    Mat XC(k, d_);
    for (Index j = 0; j < k; ++j) XC.row(j) = X_.row(c[j]);
    const Vec wr = Wm.row(r).transpose();
    Wm.row(r) -= (XC.transpose() * (XC * XC.transpose()).ldlt().solve(XC * wr)).transpose();
    Z.col(r).noalias() = X_ * Wm.row(r).transpose();
    for (const Index i : c) A_(i, r) = 0.0;  // decided below
  }
  Vec res;
  residual_from(Z, x.data(), res);  // the pairs in C sit at z = 0: f does not depend on their α

  for (auto& [r, c] : C) {
    if (c.empty()) continue;
    const double sa = model_.unit_gain(x.data(), r);
    const Index k = static_cast<Index>(c.size());
    Mat XC(k, d_);
    Vec u(k);
    std::vector<signed char> old(c.size());
    for (Index j = 0; j < k; ++j) {
      XC.row(j) = X_.row(c[j]);
      u(j) = sa * res(c[j]);
      old[j] = mode_[id(c[j], r)];
    }
    const std::vector<signed char> fresh = detail::resolve_unit(XC, old, u, neuron_c(r, x.data(), res), stats_.repelling);
    for (std::size_t j = 0; j < c.size(); ++j) {
      const Index i = c[j];
      const signed char old = mode_[id(i, r)];
      set_mode(i, r, fresh[j]);
      if (fresh[j] == old) {
        if (old != kSliding) ++stats_.bounces;
        continue;
      }
      ++stats_.switches;
      if (fresh[j] == kSliding) ++stats_.sliding_episodes;
      else if (old == kSliding) ++stats_.sliding_exits;
      else record_crossing(i, r, t);
    }
    rebuild_slide(r);
  }
  count_sliding();
  return true;
}

/// At an event of a second-order flow: flip the pairs that crossed.
bool Switcher::resolve_second(Vec& x, const Mat& Z, double t, const std::vector<std::pair<Index, Index>>& forced) {
  const Vec wnorm = W(x).rowwise().norm();
  std::vector<std::pair<Index, Index>> K;
  wrong_side(Z, wnorm, K);
  for (const auto& p : forced)
    if (std::find(K.begin(), K.end(), p) == K.end()) K.push_back(p);
  if (K.empty()) return false;
  Vec res;
  residual_from(Z, x.data(), res);
  for (const auto& [i, r] : K) {
    // Would the first-order flow slide here? Both one-sided fields push into the surface.
    const double sa = model_.unit_gain(x.data(), r);
    Vec cr = neuron_c(r, x.data(), res);
    if (A_(i, r) > 0) cr -= sa * res(i) * X_.row(i).transpose();
    const double zin = -X_.row(i).dot(cr), zact = zin - sa * res(i) * xnorm_(i) * xnorm_(i);
    if (zin > 0 && zact < 0) ++stats_.attractive_crossings;
    set_mode(i, r, static_cast<signed char>(-mode_[id(i, r)]));
    ++stats_.switches;
    record_crossing(i, r, t);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The loop

void Switcher::end_views(const Vec& xe, const Vec& dxe, Mat& Z, Mat& Zd) {
  model_.preactivations(xe.data(), Z);
  ++stats_.forward_evals;
  if (sw_.check_double_crossings || sw_.step_over) velocity_Z(xe, dxe, Zd);
}

void Switcher::begin(const Dopri& dopri, const Vec& x, const Vec& dxdt, double) {
  dopri_ = &dopri;
  end_views(x, dxdt, Z0_, Zd0_);
}

std::optional<double> Switcher::accepted(double t_old, double t, const Vec& x, const Vec& dxdt, Vec& x_new,
                                         const Vec& dxdt_new) {
  if (!second_) project_slides(x_new);
  end_views(x_new, dxdt_new, Z1_, Zd1_);
  x0_ = &x;
  dx0_ = &dxdt;
  x1_ = &x_new;
  dx1_ = &dxdt_new;
  t0_ = t_old;
  t1_ = t;
  xs_t_ = std::numeric_limits<double>::quiet_NaN();
  if (sw_.step_over) return second_ ? accepted_kinks() : accepted_paths();
  collect(items_);
  if (items_.empty()) return std::nullopt;
  ++stats_.events;
  return locate(items_, forced_);
}

/// auto, second order: the crossings of the step, from the Hermite cubics of z, become kinks
/// (stepped over); a crossing whose timing the earlier kinks of its unit make unsure is an event.
std::optional<double> Switcher::accepted_kinks() {
  kinks_.clear();
  forced_.clear();
  max_dt_ = std::numeric_limits<double>::infinity();
  const double h = t1_ - t0_;
  double t_event = std::numeric_limits<double>::infinity();
  auto event_at = [&](double t, Index i, Index r) {
    if (t < t_event) {
      t_event = t;
      forced_.assign(1, {i, r});
    }
  };
  std::vector<double> roots;
  scan_crossings([&](Index i, Index r, double sg, double, const Hermite& p) {
    p.sign_changes(roots);
    double side = sg;
    for (const double s : roots) {
      kinks_.push_back({i, r, t0_ + s * h, sg * p.slope(s) / h, 0.0, side > 0 ? kInactive : kActive});
      side = -side;
    }
  });
  if (kinks_.empty()) return std::nullopt;
  // The residuals and gains at both ends, for the kinks' fields.
  residual_from(Z0_, x0_->data(), res0_);
  residual_from(Z1_, x1_->data(), res1_);
  gain0_.resize(m_);
  gain1_.resize(m_);
  for (Index q = 0; q < m_; ++q) {
    gain0_(q) = model_.unit_gain(x0_->data(), q);
    gain1_(q) = model_.unit_gain(x1_->data(), q);
  }
  settle_kinks(event_at);
  if (!forced_.empty() && t_event <= t1_) t_event = refine_event(t_event);
  const bool event = t_event <= t1_;
  if (event) ++stats_.events;
  double t_cut = std::min(t_event, t1_);
  std::sort(kinks_.begin(), kinks_.end(), [](const Kink& a, const Kink& b) { return a.t < b.t; });
  auto drop_after = [&](double tc) {
    kinks_.erase(std::find_if(kinks_.begin(), kinks_.end(), [&](const Kink& k) { return k.t >= tc; }), kinks_.end());
  };
  drop_after(t_cut);
  // Kink error control: cut the step shorter while the estimated error of the correction
  // exceeds the tolerance (it grows like (t − t0)⁴: the number of kinks times their offset cubed).
  for (int attempt = 0;; ++attempt) {
    if (kinks_.empty()) {
      delta_.setZero(x1_->size());
      break;
    }
    const Vec& xe = state_at(t_cut);
    const double err = kink_correction(t_cut, xe, delta_);
    const double factor = err > 0 ? 0.9 * std::pow(err, -0.25) : 5.0;
    // A limit only where the kinks' error would bind: a step cut at an event just after its
    // kinks says nothing about how long the next may be.
    max_dt_ = factor < 5.0 ? (t_cut - t0_) * std::max(factor, 0.2) : std::numeric_limits<double>::infinity();
    if (err <= 1.0 || attempt == 3) break;
    t_cut = t0_ + (t_cut - t0_) * std::clamp(factor, 0.2, 0.9);
    forced_.clear();
    drop_after(t_cut);
    ++stats_.kink_cuts;
  }
  return t_cut;
}

/// The kinks of one unit interact: each changes v̇_r, which moves the z of every sample of the
/// unit. Per unit, in time order, each crossing time is shifted by what the earlier kinks moved
/// its z, and its rate is updated; a crossing that the earlier kinks make unsure (its rate
/// turned, or its z moved by more than half a step's worth) is an event. A pair of the unit that
/// crosses only on the corrected path (found at the step's end) is an event too.
template <class EventAt>
void Switcher::settle_kinks(EventAt&& event_at) {
  const double h = t1_ - t0_;
  std::sort(kinks_.begin(), kinks_.end(), [](const Kink& a, const Kink& b) { return a.r != b.r ? a.r < b.r : a.t < b.t; });
  std::vector<Kink> settled;
  const Vec wn = W(*x1_).rowwise().norm();  // for the hysteresis ε of every pair
  // Pair j's z moved by the unit's settled kinks [first, end) by time t: Σ coef x_jᵀx_i τ²/2.
  auto moved = [&](Index j, std::size_t first, double t) {
    double z = 0.0;
    for (std::size_t q = first; q < settled.size(); ++q) {
      const double tau = std::max(0.0, t - settled[q].t);
      z += settled[q].coef * X_.row(j).dot(X_.row(settled[q].i)) * 0.5 * tau * tau;
    }
    return z;
  };
  std::size_t begin = 0;
  while (begin < kinks_.size()) {
    const Index r = kinks_[begin].r;
    std::size_t end = begin;
    while (end < kinks_.size() && kinks_[end].r == r) ++end;
    const std::size_t first = settled.size();
    for (std::size_t q = begin; q < end; ++q) {
      Kink k = kinks_[q];
      const auto xi = X_.row(k.i);
      double dz = 0.0, dzdot = 0.0;
      for (std::size_t j = first; j < settled.size(); ++j) {
        const double g = settled[j].coef * xi.dot(X_.row(settled[j].i));
        const double tau = std::max(0.0, k.t - settled[j].t);
        dz += g * 0.5 * tau * tau;
        dzdot += g * tau;
      }
      const double sig = k.to == kActive ? 1.0 : -1.0;
      const double before = k.zdot + dzdot;
      if (!(before * sig > 0) || std::abs(dz) > 0.5 * std::abs(before) * h) {
        event_at(k.t, k.i, r);
        break;
      }
      k.t = std::clamp(k.t - dz / before, t0_, t1_);
      k.zdot = before;
      k.coef = -sig * lerp(gain0_, gain1_, r, k.t) * lerp(res0_, res1_, k.i, k.t);
      settled.push_back(k);
    }
    // Every pair of the unit: on its side (after its kinks) at the end of the corrected path?
    // A kinked pair that went back is resolved at its kink; another pair crossed on the way.
    if (settled.size() > first) {
      Vec e = Vec::Zero(d_);
      for (std::size_t q = first; q < settled.size(); ++q) {
        const double tau = t1_ - settled[q].t;
        e += (settled[q].coef * 0.5 * tau * tau) * X_.row(settled[q].i).transpose();
      }
      const Vec z_end = Z1_.col(r) + X_ * e;
      for (Index j = 0; j < n_; ++j) {
        const signed char md = mode_[id(j, r)];
        signed char side = md;
        double kinked_at = -1.0;
        for (std::size_t q = first; q < settled.size(); ++q)
          if (settled[q].i == j) {
            side = settled[q].to;
            kinked_at = settled[q].t;
          }
        if (side * z_end(j) >= -eps(j, r, wn)) continue;
        if (kinked_at >= 0) {
          event_at(kinked_at, j, r);
          continue;
        }
        const Hermite p{md * Z0_(j, r), md * Zd0_(j, r) * h, md * Z1_(j, r), md * Zd1_(j, r) * h};
        double lo = t0_, hi = t1_;
        for (int it = 0; it < 60; ++it) {
          const double mid = 0.5 * (lo + hi);
          ((p((mid - t0_) / h) + md * moved(j, first, mid) >= 0) ? lo : hi) = mid;
        }
        event_at(hi, j, r);
      }
    }
    begin = end;
  }
  kinks_.swap(settled);
}

/// The z of pair (i, r) at t on the corrected path: the dense output plus what the kinks of
/// neuron r before t moved it (first order in their offsets).
double Switcher::corrected_z(Index i, Index r, double t) {
  double z = model_.preactivation(state_at(t).data(), i, r);
  for (const Kink& k : kinks_) {
    if (k.r != r || !(k.t < t) || (k.i == i)) continue;
    const double tau = t - k.t;
    z += k.coef * 0.5 * tau * tau * X_.row(i).dot(X_.row(k.i));
  }
  return z;
}

/// A hard crossing's time, found on the Hermite cubic, refined on the step's dense output (with
/// the neuron's kinks) by Illinois regula falsi: the right end of the final bracket, so that the
/// pair has crossed there by round-off only, as in exact's location. A pair that does not cross
/// on the corrected path (an earlier kink of its neuron turned it back) is not forced: the step
/// is still cut there, and the next one looks again.
double Switcher::refine_event(double t_event) {
  const auto [i, r] = forced_.front();
  const double sg = Sg_(i, r), h = t1_ - t0_;
  auto g = [&](double t) { return sg * corrected_z(i, r, t); };
  // A bracket near the estimate, widened to the whole step when it does not hold the sign change.
  double a = std::max(t0_, t_event - 0.02 * h), b = std::min(t1_, t_event + 0.02 * h);
  double ga = g(a), gb = g(b);
  if (ga < 0) ga = g(a = t0_);
  if (gb >= 0) gb = g(b = t1_);
  if (!(ga >= 0 && gb < 0)) {
    if (ga >= 0 && gb >= 0) forced_.clear();
    return t_event;
  }
  const double tol = 1e-13 * h + 4 * std::numeric_limits<double>::epsilon() * std::abs(t1_);
  return illinois(g, a, ga, b, gb, tol);
}

double Switcher::kink_correction(double te, const Vec& xe, Vec& delta) {
  delta.setZero(xe.size());
  // The kinks' field jumps act on v̇, and through v on θ.
  Eigen::Map<Mat> jumpW = model_.unit_weights(delta.data() + P_);
  Eigen::Map<Mat> posW = model_.unit_weights(delta.data());
  Vec v = Vec::Zero(P_);  // ∫ e dt ≈ Σ D_k τ²/2: what the damping acts on
  Eigen::Map<Mat> vW = model_.unit_weights(v.data());
  Vec gamma = Vec::Zero(n_);  // ∫ of the residual change that follows each pair's z
  Vec t2 = Vec::Zero(P_);
  for (const Kink& k : kinks_) {
    if (k.t >= te) break;
    const double tau = te - k.t, sig = k.to == kActive ? 1.0 : -1.0;
    // D(t) x_i is the jump of the field on v_r: −σ gain_r res_i x_i, along the step.
    auto D = [&](double t) { return -sig * lerp(gain0_, gain1_, k.r, t) * lerp(res0_, res1_, k.i, t); };
    const auto u = X_.row(k.i);
    jumpW.row(k.r) += (D(k.t + 0.5 * tau) * tau) * u;
    vW.row(k.r) += (D(k.t) * 0.5 * tau * tau) * u;
    posW.row(k.r) += (D(k.t + tau / 3) * 0.5 * tau * tau) * u;
    const double zint = 0.5 * k.zdot * tau * tau;  // ∫ z dt since the crossing
    gamma(k.i) += c_ * sig * lerp(gain0_, gain1_, k.r, k.t) * zint;
    model_.add_gain_gradient(xe.data(), k.r, sig * lerp(res0_, res1_, k.i, k.t) * zint, t2.data());
  }
  // J_A'ᵀγ, the residual shift γ fed back, with the kinks' pattern A' (the pairs switched), which
  // also brings in the kinks' effect on their own residuals.
  for (const Kink& k : kinks_)
    if (k.t < te) A_(k.i, k.r) = k.to == kActive ? 1.0 : 0.0;
  gshift_.resize(P_);
  model_.pattern_backward(xe.data(), A_, gamma, gshift_.data());
  for (const Kink& k : kinks_)
    if (k.t < te) A_(k.i, k.r) = mode_[id(k.i, k.r)] == kActive ? 1.0 : 0.0;
  ++stats_.backward_evals;
  t2 += gshift_ + damping_(te) * v;
  delta.tail(P_) -= t2;
  // The correction is exact to second order in the kinks' offsets; what it misses is of the
  // order of its second-order part times (Lipschitz constant of the field) × offset / 3. The
  // estimate drops the 1/3 as a safety factor; the constant is measured along the step.
  const double lipschitz = (*dx1_ - *dx0_).norm() / std::max((*x1_ - *x0_).norm(), 1e-300);
  const double third = lipschitz * (te - kinks_.front().t);
  const auto ref = xe.tail(P_);
  return third * (t2.array().abs() / (options_.atol + options_.rtol * ref.array().abs())).maxCoeff();
}

/// auto, first order: every unit with a pair that crosses inside the step (on the Hermite cubics
/// of z), or a sliding coefficient out of [0, 1] at its end, is integrated alone across the step
/// (unit_paths.hpp); the step is cut shorter only where the feedback of their residual change
/// is too large for the tolerance, or a unit has too many events in it.
std::optional<double> Switcher::accepted_paths() {
  paths_.clear();
  forced_.clear();
  max_dt_ = std::numeric_limits<double>::infinity();
  std::vector<char> changes(static_cast<std::size_t>(m_), 0);
  scan_crossings([&](Index, Index r, double, double, const Hermite&) { changes[r] = 1; });
  items_.clear();
  collect_slides(items_);
  for (const Item& it : items_) changes[it.r] = 1;
  const bool any = std::find(changes.begin(), changes.end(), 1) != changes.end();
  if (!any) return std::nullopt;
  prepare_paths();
  const double h = t1_ - t0_;
  double t_cut = t1_, first = std::numeric_limits<double>::infinity();
  for (Index r = 0; r < m_; ++r) {
    if (!changes[r]) continue;
    paths_.push_back(detail::trace_unit(shared_, r, &mode_[id(0, r)], slides_[r]));
    const UnitPath& p = paths_.back();
    if (p.end < 1.0) t_cut = std::min(t_cut, t0_ + p.end * h);
    if (!p.switches.empty()) first = std::min(first, t0_ + p.switches.front().s * h);
  }
  // Units whose pairs only came close (a Hermite dip the path does not follow) leave the step as it is.
  if (std::all_of(paths_.begin(), paths_.end(), [](const UnitPath& p) { return p.pieces.size() == 1; })) {
    paths_.clear();
    return std::nullopt;
  }
  if (t_cut < t1_) ++stats_.events;
  // The feedback's error grows like τ³ in the time τ since the first switch: cut the step
  // shorter while it exceeds the tolerance.
  for (int attempt = 0;; ++attempt) {
    const double err = path_correction(t_cut, state_at(t_cut), delta_);
    delta_t_ = t_cut;
    const double factor = err > 0 ? 0.9 * std::cbrt(1.0 / err) : 5.0;
    max_dt_ = factor < 5.0 ? (t_cut - t0_) * std::max(factor, 0.2) : std::numeric_limits<double>::infinity();
    if (err <= 1.0 || attempt == 3 || !(first < t_cut)) break;
    t_cut = first + (t_cut - first) * std::clamp(factor, 0.2, 0.9);
    ++stats_.kink_cuts;
  }
  return t_cut;
}

void Switcher::prepare_paths() {
  detail::StepShared& S = shared_;
  S.X = &X_;
  S.xnorm = &xnorm_;
  S.t0 = t0_;
  S.h = t1_ - t0_;
  S.Z0 = &Z0_;
  S.Zd0 = &Zd0_;
  S.Z1 = &Z1_;
  S.Zd1 = &Zd1_;
  S.z_tol = sw_.z_tol;
  S.gains_trained = gain_trained_;
  S.alpha_tol = sw_.alpha_tol;
  // The residual along the pattern-fixed step: its values at both ends and the middle, its rates at the ends.
  residual_from(Z0_, x0_->data(), res0_);
  residual_from(Z1_, x1_->data(), res1_);
  const Vec& xm = state_at(t0_ + 0.5 * S.h);
  model_.preactivations(xm.data(), Zl_);
  ++stats_.forward_evals;
  residual_from(Zl_, xm.data(), resl_);
  Vec rate0, rate1;
  model_.pattern_rate(x0_->data(), dx0_->data(), Z0_, Zd0_, A_, rate0);
  model_.pattern_rate(x1_->data(), dx1_->data(), Z1_, Zd1_, A_, rate1);
  S.set_residual(res0_, c_ * rate0, resl_, res1_, c_ * rate1);
  S.g0.resize(m_);
  S.g1.resize(m_);
  for (Index r = 0; r < m_; ++r) {
    S.g0(r) = model_.unit_gain(x0_->data(), r);
    S.g1(r) = model_.unit_gain(x1_->data(), r);
  }
  S.wnorm = W(*x1_).rowwise().norm();
}

double Switcher::path_correction(double te, const Vec& xe, Vec& delta) {
  const double h = t1_ - t0_, se = (te - t0_) / h;
  delta.setZero(xe.size());
  Eigen::Map<Mat> dW = model_.unit_weights(delta.data());
  Vec flux = Vec::Zero(n_);  // ∫ of the residual change the paths cause, over [t0, te]
  double first = std::numeric_limits<double>::infinity();
  detail::UnitContribution u;
  Mat V(d_, static_cast<Index>(paths_.size()));  // each changed unit's ∫δw_r, for one product X V
  std::vector<std::pair<Index, double>> weight;    // its unit and weight c h g_r in the flux
  for (const UnitPath& p : paths_) {
    if (p.unchanged_by(se)) continue;
    p.contribution(shared_, se, u);
    const double w = c_ * h * shared_.gain(p.r, 0.5 * se);
    dW.row(p.r) += u.dw.transpose();
    V.col(static_cast<Index>(weight.size())) = u.V;
    weight.emplace_back(p.r, w);
    for (const auto& [i, rho] : u.rho) flux(i) += w * rho;
    if (gain_trained_) model_.add_gain_gradient(xe.data(), p.r, u.outer, delta.data());
    if (!p.switches.empty()) first = std::min(first, p.switches.front().s);
  }
  if (!weight.empty()) {
    const Mat XV = X_ * V.leftCols(static_cast<Index>(weight.size()));
    for (std::size_t j = 0; j < weight.size(); ++j)
      flux += weight[j].second * XV.col(static_cast<Index>(j)).cwiseProduct(A_.col(weight[j].first));
  }
  if (!(first < se)) return 0.0;
  // The feedback −J_Aᵀ flux on every unit, with the pattern at te, projected on the sliding
  // units' surfaces.
  auto set_pattern = [&](bool at_te) {
    for (const UnitPath& p : paths_)
      for (const detail::UnitSwitch& sw : p.switches) {
        if (sw.s > se) break;
        A_(sw.i, p.r) = (at_te ? p.mode_at(sw.i, se, &mode_[id(0, p.r)]) : mode_[id(sw.i, p.r)]) == kActive;
      }
  };
  set_pattern(true);
  Vec t2(P_);
  model_.pattern_backward(xe.data(), A_, flux, t2.data());
  set_pattern(false);
  ++stats_.backward_evals;
  Eigen::Map<Mat> T2 = model_.unit_weights(t2.data());
  std::vector<char> traced(static_cast<std::size_t>(m_), 0);
  auto project = [&](Index r, const Mat& Q) {
    if (Q.rows() == 0) return;
    const Vec g = T2.row(r).transpose();
    T2.row(r) -= (Q.transpose() * (Q * g)).transpose();
  };
  for (const UnitPath& p : paths_) {
    traced[p.r] = 1;
    project(p.r, p.piece_at(se).Q);
  }
  for (const Index r : sliding_neurons_)
    if (!traced[r]) project(r, slides_[r].Q);
  delta -= t2;
  // What the feedback misses is of the order of itself times (Lipschitz constant of the field) ×
  // the time since the first switch (the 1/3 of its leading term dropped as a safety factor).
  const double lipschitz = (*dx1_ - *dx0_).norm() / std::max((*x1_ - *x0_).norm(), 1e-300);
  return lipschitz * (se - first) * h *
         (t2.array().abs() / (options_.atol + options_.rtol * xe.array().abs())).maxCoeff();
}

void Switcher::sample(double t, Vec& x) {
  if (!sw_.step_over || !(t > t0_)) return;
  Vec delta;
  if (!kinks_.empty() && kinks_.front().t < t) {
    kink_correction(t, x, delta);
    x += delta;
  } else if (!paths_.empty()) {
    if (t == delta_t_) {  // the step's cut: the correction is known
      x += delta_;
      return;
    }
    path_correction(t, x, delta);
    x += delta;
  }
}

void Switcher::advanced() {
  Z0_.swap(Z1_);
  Zd0_.swap(Zd1_);
  stalled_ = 0;
}

bool Switcher::restart(Vec& x, Vec& dxdt, double t, double t_old, Outcome& outcome) {
  if (!kinks_.empty()) {  // auto, second order: the crossings stepped over, and their correction
    x += delta_;
    for (const Kink& k : kinks_) {
      set_mode(k.i, k.r, k.to);
      ++stats_.switches;
      ++stats_.stepped_crossings;
      record_crossing(k.i, k.r, k.t);
    }
    kinks_.clear();
  }
  if (!paths_.empty()) {  // auto, first order: the units' paths up to t, and their correction
    x += delta_;
    const double h = t1_ - t0_, se = (t - t0_) / h;
    for (const UnitPath& p : paths_) {
      bool slides = false;
      for (const detail::UnitSwitch& sw : p.switches) {
        if (sw.s > se) break;
        set_mode(sw.i, p.r, sw.to);
        ++stats_.switches;
        if (sw.to == kSliding) {
          ++stats_.sliding_episodes;
          ++stats_.stepped_onsets;
          slides = true;
        } else if (sw.from == kSliding) {
          ++stats_.sliding_exits;
          ++stats_.stepped_exits;
          slides = true;
        } else {
          ++stats_.stepped_crossings;
          record_crossing(sw.i, p.r, t0_ + sw.s * h);
        }
      }
      stats_.bounces += p.bounces;
      stats_.repelling += p.repelling;
      if (slides) rebuild_slide(p.r);
    }
    count_sliding();
    paths_.clear();
  }
  model_.preactivations(x.data(), Z0_);
  ++stats_.forward_evals;
  resolve(x, Z0_, t, forced_);
  if (!second_) {
    project_slides(x);
    for (const Index r : sliding_neurons_) Z0_.col(r).noalias() = X_ * W(x).row(r).transpose();
  }
  stalled_ = t > t_old ? 0 : stalled_ + 1;
  if (stalled_ > 1000) {
    outcome.status = Status::failed;
    outcome.t = t;
    outcome.message = "switching events do not advance at t = " + std::to_string(t);
    return false;
  }
  rhs(x, dxdt, t);
  if (sw_.check_double_crossings || sw_.step_over) velocity_Z(x, dxdt, Zd0_);
  return true;
}

Outcome Switcher::run(Vec& x, double t, const std::vector<double>& times, const SampleObserver& observe) {
  const auto start = Clock::now();
  stats_ = SwitchingStats{};
  outcome_.t = t;
  const Index N = second_ ? 2 * P_ : P_;
  if (x.size() != N)
    throw input_error("integrate_switching: the state has " + std::to_string(x.size()) + " entries, expected " +
                      std::to_string(N));
  auto finish = [&]() {
    outcome_.counters.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return outcome_;
  };
  if (times.empty()) return finish();
  if (!x.allFinite()) {
    outcome_.status = Status::diverged;
    outcome_.message = "state is not finite at t = " + std::to_string(t);
    return finish();
  }

  // The initial pattern: the sign of z; pairs on a surface are resolved like an event.
  {
    Mat Z;
    model_.preactivations(x.data(), Z);
    ++stats_.forward_evals;
    const Vec wnorm = W(x).rowwise().norm();
    Mat Zd;
    if (second_) velocity_Z(x, x, Zd);
    std::vector<std::pair<Index, Index>> on_surface;
    for (Index r = 0; r < m_; ++r)
      for (Index i = 0; i < n_; ++i) {
        const double z = Z(i, r);
        signed char md = z > 0 ? kActive : kInactive;
        if (second_ && z == 0.0) md = Zd(i, r) > 0 ? kActive : kInactive;
        set_mode(i, r, md);
        if (!second_ && std::abs(z) <= eps(i, r, wnorm)) on_surface.emplace_back(i, r);
      }
    if (!on_surface.empty()) resolve_first(x, Z, t, on_surface);
  }
  auto sys = [this](const Vec& s, Vec& ds, double tt) { rhs(s, ds, tt); };
  detail::dense_loop(sys, x, t, times, options_, observe, outcome_, *this);
  return finish();
}

}  // namespace

Outcome integrate_switching(const Objective& objective, const PiecewiseLinear& model, Vec& theta, double t0,
                            const std::vector<double>& times, const IntegrateOptions& options,
                            const SampleObserver& observe, SwitchingStats& stats, const SwitchingOptions& switching) {
  Switcher sw(objective, model, options, switching, stats, false, {});
  return sw.run(theta, t0, times, observe);
}

Outcome integrate_switching_second_order(const Objective& objective, const PiecewiseLinear& model,
                                         std::function<double(double)> damping, Vec& state, double t0,
                                         const std::vector<double>& times, const IntegrateOptions& options,
                                         const SampleObserver& observe, SwitchingStats& stats,
                                         const SwitchingOptions& switching) {
  if (!damping) throw input_error("integrate_switching_second_order: no damping a(t) given");
  Switcher sw(objective, model, options, switching, stats, true, std::move(damping));
  return sw.run(state, t0, times, observe);
}

}  // namespace gradflow
