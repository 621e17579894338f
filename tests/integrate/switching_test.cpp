// The switching integrators (docs/switching.md): a one-neuron toy whose Filippov sliding
// solution is known in closed form, a transversal crossing at its closed-form time, agreement
// with the plain dopri5 driver on small relu2 and two_layer problems (where it still finishes),
// monotone loss, the balance invariant through sliding, the second-order variant against plain
// dopri5 on heavy ball with friction and on the Nesterov flow, and the driver contract (observer
// stop, step budget). Costs are measured in bench/switching_bench.cpp, not here.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <Eigen/Geometry>
#include <random>

#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"
#include "integrate/switching_problems.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

/// One ReLU neuron w with outer weight 1 and no scaling: f_i = max(0, wᵀx_i).
TwoLayer one_neuron(const Mat& X) {
  TwoLayerOptions to;
  to.width = 1;
  to.scale = 1.0;
  to.train_outer = false;
  return TwoLayer(X, to, Vec::Ones(1));
}

/// The largest deviation from the closed form `exact` of an "exact"-scheme run from w0 over times.
template <class Exact>
double exact_scheme_error(const Objective& obj, const TwoLayer& model, const Vec& w0, const std::vector<double>& times,
                          const IntegrateOptions& o, Exact&& exact, SwitchingStats& se) {
  Vec theta = w0;
  double worst = 0;
  integrate_switching(obj, model, theta, 0.0, times, o, [&](double t, const Vec& x) {
    worst = std::max(worst, (x - exact(t)).cwiseAbs().maxCoeff());
    return true;
  }, se, exact_scheme());
  return worst;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(switching)

// One neuron f(x) = σ(wᵀx), a = 1, s = 1, sum loss, d = 2:
//   x1 = e1, y1 = −1;  x2 = (cos φ, sin φ), y2 = 1;  x3 = −(1, 1)/√2, y3 = 0.3 (stays inactive).
// Phase 1 (x1, x2 active): ẇ = −G w + b, G = x1x1ᵀ + x2x2ᵀ, b = y1 x1 + y2 x2, so
// w(t) = w∞ + e^{−Gt}(w0 − w∞) with w∞ = G⁻¹b = (−1, ·): w1 reaches 0 at t_s.
// There the inactive side pushes w1 up (ẇ1 = (y2 − w2 sin φ) cos φ > 0) and the active side
// down (by −res1 = −1 more), so w slides on w1 = 0 with Filippov weight α = (1 − w2 sin φ) cos φ
// ∈ (0, 1) and ẇ2 = (y2 − w2 sin φ) sin φ: w2(t) = w2* + (w2(t_s) − w2*) e^{−sin²φ (t − t_s)}.
// auto steps over the onset (the step is not cut at t_s); exact cuts it there.
BOOST_AUTO_TEST_CASE(one_neuron_sliding_matches_closed_form) {
  const double phi = M_PI / 3, c = std::cos(phi), s = std::sin(phi);
  Mat X(3, 2);
  X << 1, 0, c, s, -1 / std::sqrt(2.0), -1 / std::sqrt(2.0);
  Vec y(3);
  y << -1, 1, 0.3;
  const TwoLayer model = one_neuron(X);
  const Objective obj(model, y, Reduction::sum);
  Vec w0(2);
  w0 << 0.5, 0.3;

  const Mat G = X.topRows(2).transpose() * X.topRows(2);
  const Vec b = y(0) * X.row(0).transpose() + y(1) * X.row(1).transpose();
  const Vec winf = G.ldlt().solve(b);
  Eigen::SelfAdjointEigenSolver<Mat> eig(G);
  auto phase1 = [&](double t) -> Vec {
    const Vec decay = (-eig.eigenvalues() * t).array().exp();
    return winf + eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() * (w0 - winf);
  };
  double lo = 0, hi = 5;  // w1(lo) > 0 > w1(hi)
  BOOST_REQUIRE(phase1(hi)(0) < 0);
  for (int k = 0; k < 200; ++k) ((phase1(0.5 * (lo + hi))(0) > 0) ? lo : hi) = 0.5 * (lo + hi);
  const double ts = 0.5 * (lo + hi), w2s = phase1(ts)(1), w2star = y(1) / s;
  const double alpha_s = (1 - w2s * s) * c;
  BOOST_TEST_MESSAGE("closed form: surface reached at t_s = " << ts << ", w2 = " << w2s << ", alpha = " << alpha_s);
  BOOST_REQUIRE(alpha_s > 0 && alpha_s < 1);  // it slides
  auto exact = [&](double t) -> Vec {
    if (t <= ts) return phase1(t);
    Vec w(2);
    w << 0.0, w2star + (w2s - w2star) * std::exp(-s * s * (t - ts));
    return w;
  };

  IntegrateOptions o;
  o.rtol = 1e-12;
  o.atol = 1e-14;
  Vec theta = w0;
  SwitchingStats st;
  double worst = 0, prev_loss = obj.value(theta);
  bool monotone = true;
  const std::vector<double> times{0.0, 0.1, 0.3, 0.5, ts, 0.9, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0};
  const Outcome out = integrate_switching(obj, model, theta, 0.0, times, o, [&](double t, const Vec& x) {
    worst = std::max(worst, (x - exact(t)).cwiseAbs().maxCoeff());
    const double l = obj.value(x);
    monotone = monotone && l <= prev_loss + 1e-14;
    prev_loss = l;
    return true;
  }, st);
  BOOST_TEST_MESSAGE("toy: max error " << worst << ", rhs " << out.counters.rhs_evals << ", events " << st.events);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(worst < 1e-8);
  BOOST_TEST(monotone);
  BOOST_TEST(st.sliding_episodes == 1);
  BOOST_TEST(st.sliding_pairs == 1);
  BOOST_TEST(st.sliding_exits == 0);
  BOOST_TEST(st.crossings == 0);
  BOOST_TEST(std::abs(theta(0)) < 1e-14);  // kept exactly on the surface
  BOOST_TEST(out.counters.rhs_evals < 3000);
  BOOST_TEST(st.stepped_onsets == 1);  // auto steps over the onset of sliding
  BOOST_TEST(st.events == 0);
  // exact cuts the step there instead, to the same closed form.
  SwitchingStats se;
  BOOST_TEST(exact_scheme_error(obj, model, w0, times, o, exact, se) < 1e-8);
  BOOST_TEST(se.events == 1);
  BOOST_TEST(se.sliding_episodes == 1);
  BOOST_TEST(se.stepped_onsets == 0);
}

// The same neuron with a third sample x3 = (cos 1.3, sin 1.3), y3 = 2, active throughout: the
// pair slides from t_s on, and on the surface w2 → w2* = (y2 sin φ + y3 x3₂)/(sin²φ + x3₂²), where
// the Filippov weight α = (y2 − w2 sin φ) cos φ + (y3 − w2 x3₂) x3₁ is negative. So α reaches 0 at
// t_x and the pair leaves to the inactive side; from there samples 2 and 3 alone drive w
// (w1 < 0 stays). Each phase is linear, w(t) = w∞ + e^{−G(t − t_a)}(w(t_a) − w∞); t_s and t_x by
// bisection. exact cuts a step at each of the two events. auto steps over the onset, and over the
// exit too, cutting the step short after it where its estimate of the exit's error (L τ/3 × the
// shift) exceeds the tolerance.
BOOST_AUTO_TEST_CASE(one_neuron_sliding_exit_matches_closed_form) {
  const double phi = M_PI / 3, c = std::cos(phi), s = std::sin(phi), c3 = std::cos(1.3), s3 = std::sin(1.3);
  Mat X(3, 2);
  X << 1, 0, c, s, c3, s3;
  Vec y(3);
  y << -1, 1, 2;
  Vec w0(2);
  w0 << 0.5, 0.3;
  // The integrator sees the problem turned by 45°, x_i → Rᵀx_i and w → Rᵀw, so that on the
  // surface neither weight is 0 and rtol, not atol alone, sets the tolerance of the normal.
  const Mat R = Eigen::Rotation2Dd(M_PI / 4).toRotationMatrix();
  const TwoLayer model = one_neuron(X * R);
  const Objective obj(model, y, Reduction::sum);
  auto linear_phase = [](const Mat& Xa, const Vec& ya, const Vec& wa, double dt) -> Vec {
    const Mat G = Xa.transpose() * Xa;
    const Vec winf = G.ldlt().solve(Xa.transpose() * ya);
    Eigen::SelfAdjointEigenSolver<Mat> eig(G);
    const Vec decay = (-eig.eigenvalues() * dt).array().exp();
    return winf + eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() * (wa - winf);
  };
  auto bisect = [](auto&& positive_before, double lo, double hi) {
    for (int k = 0; k < 200; ++k) ((positive_before(0.5 * (lo + hi)) > 0) ? lo : hi) = 0.5 * (lo + hi);
    return 0.5 * (lo + hi);
  };
  const double ts = bisect([&](double t) { return linear_phase(X, y, w0, t)(0); }, 0.0, 5.0);
  const double w2s = linear_phase(X, y, w0, ts)(1);
  const double k = s * s + s3 * s3, w2star = (y(1) * s + y(2) * s3) / k;
  auto w2 = [&](double t) { return w2star + (w2s - w2star) * std::exp(-k * (t - ts)); };
  auto alpha = [&](double t) { return (y(1) - w2(t) * s) * c + (y(2) - w2(t) * s3) * c3; };
  BOOST_REQUIRE(alpha(ts) > 0 && alpha(ts) < 1);  // it slides
  const double tx = bisect(alpha, ts, 20.0);
  Vec wx(2);
  wx << 0.0, w2(tx);
  const Mat X23 = X.bottomRows(2);
  const Vec y23 = y.tail(2);
  auto exact = [&](double t) -> Vec {
    if (t <= ts) return linear_phase(X, y, w0, t);
    if (t <= tx) return Vec((Vec(2) << 0.0, w2(t)).finished());
    return linear_phase(X23, y23, wx, t - tx);
  };
  BOOST_TEST_MESSAGE("closed form: slides from t_s = " << ts << " (alpha " << alpha(ts) << "), leaves at t_x = " << tx);
  BOOST_REQUIRE(exact(6.0)(0) < 0);

  const std::vector<double> times = grid(6.0, 24);
  for (const double rtol : {1e-6, 1e-10})
  for (const bool step_over : {true, false}) {
    IntegrateOptions o;
    o.rtol = rtol;
    o.atol = rtol / 100;
    const bool loose = rtol > 1e-8;
    SwitchingOptions sw;
    sw.step_over = step_over;
    Vec theta = R.transpose() * w0;
    SwitchingStats st;
    double worst = 0;
    const Outcome out = integrate_switching(obj, model, theta, 0.0, times, o, [&](double t, const Vec& x) {
      worst = std::max(worst, (R * x - exact(t)).cwiseAbs().maxCoeff());
      return true;
    }, st, sw);
    BOOST_TEST_MESSAGE((step_over ? "auto" : "exact") << " rtol " << rtol << ": max error " << worst << ", events " << st.events
                       << ", stepped exits " << st.stepped_exits << ", rhs " << out.counters.rhs_evals);
    BOOST_TEST_CONTEXT((step_over ? "auto" : "exact")) {
      BOOST_TEST(out.status == Status::completed);
      BOOST_TEST(worst < (loose ? 2e-6 : 1e-8));
      BOOST_TEST(st.sliding_episodes == 1);
      BOOST_TEST(st.sliding_exits == 1);
      BOOST_TEST(st.sliding_pairs == 0);
      BOOST_TEST(st.stepped_onsets == (step_over ? 1 : 0));
      BOOST_TEST(st.stepped_exits == (step_over ? 1 : 0));
      BOOST_TEST(st.events == (step_over ? 0 : 2));
    }
  }
}

// A transversal crossing: x2 = (−0.6, 0.8) with y2 = 1 pushes w1 down on both sides of
// w1 = 0 (while 0.8 w2 < 1), so pair 1 turns off without sliding. Closed form: with both active,
// w(t) = w∞ + e^{−Gt}(w0 − w∞) as above until w1(t_c) = 0; then sample 2 alone (‖x2‖ = 1):
// w(t) = w_c + x2 (y2 − x2ᵀw_c)(1 − e^{−(t − t_c)}), so x2ᵀw → y2 and w1 < 0 stays.
BOOST_AUTO_TEST_CASE(one_neuron_transversal_crossing) {
  Mat X(2, 2);
  X << 1, 0, -0.6, 0.8;
  Vec y(2);
  y << -1, 1;
  const TwoLayer model = one_neuron(X);
  const Objective obj(model, y, Reduction::sum);
  Vec w0(2);
  w0 << 0.3, 0.5;
  const Mat G = X.transpose() * X;
  const Vec winf = G.ldlt().solve(X.transpose() * y);
  Eigen::SelfAdjointEigenSolver<Mat> eig(G);
  auto phase1 = [&](double t) -> Vec {
    const Vec decay = (-eig.eigenvalues() * t).array().exp();
    return winf + eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() * (w0 - winf);
  };
  double lo = 0, hi = 5;
  BOOST_REQUIRE(phase1(hi)(0) < 0);
  for (int k = 0; k < 200; ++k) ((phase1(0.5 * (lo + hi))(0) > 0) ? lo : hi) = 0.5 * (lo + hi);
  const double tc = 0.5 * (lo + hi);
  const Vec wc = phase1(tc), x2 = X.row(1).transpose();
  BOOST_REQUIRE(0.8 * wc(1) < 1);  // transversal at t_c
  auto exact = [&](double t) -> Vec {
    return t <= tc ? phase1(t) : Vec(wc + x2 * (y(1) - x2.dot(wc)) * (1 - std::exp(-(t - tc))));
  };

  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  Vec theta = w0;
  SwitchingStats st;
  double worst = 0;
  std::vector<double> times = grid(20, 40);
  times.push_back(tc);
  std::sort(times.begin(), times.end());
  const Outcome out = integrate_switching(obj, model, theta, 0.0, times, o, [&](double t, const Vec& x) {
    worst = std::max(worst, (x - exact(t)).cwiseAbs().maxCoeff());
    return true;
  }, st);
  BOOST_TEST_MESSAGE("transversal: t_c = " << tc << ", max error " << worst << ", rhs " << out.counters.rhs_evals);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(worst < 1e-8);
  BOOST_TEST(st.crossings == 1);
  BOOST_TEST(st.stepped_crossings == 1);  // auto steps over it
  BOOST_TEST(st.events == 0);
  BOOST_TEST(st.sliding_episodes == 0);
  BOOST_TEST(std::abs(X.row(1).dot(theta) - y(1)) < 1e-8);
  BOOST_TEST(X.row(0).dot(theta) < 0);
  // exact cuts the step there instead.
  SwitchingStats se;
  BOOST_TEST(exact_scheme_error(obj, model, w0, times, o, exact, se) < 1e-8);
  BOOST_TEST(se.events == 1);
  BOOST_TEST(se.stepped_crossings == 0);
}

// relu2 with and without switch handling agree where the plain stepper still finishes (one
// pair slides from t ≈ 0.12 on; the horizon is short because plain dopri5 chatters there);
// the loss never increases along the samples.
BOOST_AUTO_TEST_CASE(relu2_agrees_with_plain_dopri5) {
  const Small p = make_small("relu2", 6, 3, 8);
  const std::vector<double> times = grid(0.3, 15);
  // Plain dopri5 chatters once the pair slides: about 3·10⁶ evaluations per unit time at rtol 1e-6.
  IntegrateOptions plain;
  plain.rtol = 1e-6;
  plain.atol = 1e-8;
  Vec th_plain = p.inst.theta0;
  std::vector<Vec> ref;
  auto t0 = std::chrono::steady_clock::now();
  const Outcome op = integrate(gradient_flow(*p.obj), th_plain, 0.0, times, plain, [&](double, const Vec& x) {
    ref.push_back(x);
    return true;
  });
  const double plain_s = seconds_since(t0);
  BOOST_TEST_MESSAGE("plain: " << to_string(op.status) << " " << op.message << " steps " << op.counters.steps_accepted);
  BOOST_REQUIRE(op.status == Status::completed);

  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  Vec th = p.inst.theta0;
  SwitchingStats st;
  double worst = 0, prev = p.obj->value(th);
  bool monotone = true;
  std::size_t k = 0;
  t0 = std::chrono::steady_clock::now();
  const Outcome out = integrate_switching(*p.obj, p.model(), th, 0.0, times, o, [&](double, const Vec& x) {
    worst = std::max(worst, (x - ref[k++]).cwiseAbs().maxCoeff());
    const double l = p.obj->value(x);
    monotone = monotone && l <= prev * (1 + 1e-12);
    prev = l;
    return true;
  }, st);
  BOOST_TEST_MESSAGE("relu2 n=6 d=3 m=8: plain rhs " << op.counters.rhs_evals << " (" << plain_s << " s), switching rhs "
                     << out.counters.rhs_evals << " + " << st.forward_evals << " forward, " << st.switches
                     << " switches, " << st.sliding_episodes << " sliding, max diff " << worst);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(k == times.size());
  BOOST_TEST(worst < 1e-6);
  BOOST_TEST(monotone);
  BOOST_TEST(st.sliding_episodes > 0);
  // The plain solutions converge to the switching one as their tolerance shrinks.
  plain.rtol = 1e-5;
  plain.atol = 1e-7;
  Vec th_loose = p.inst.theta0;
  const Outcome ol = integrate(gradient_flow(*p.obj), th_loose, 0.0, times, plain, [](double, const Vec&) { return true; });
  BOOST_REQUIRE(ol.status == Status::completed);
  const double err_loose = (th_loose - th).cwiseAbs().maxCoeff(), err_tight = (th_plain - th).cwiseAbs().maxCoeff();
  BOOST_TEST_MESSAGE("plain at t = 0.3: rtol 1e-5 differs by " << err_loose << ", rtol 1e-6 by " << err_tight);
  BOOST_TEST(err_tight * 3 < err_loose);
}

// Both layers trained (two_layer, ReLU): agreement with plain dopri5 on a problem with
// crossings and sliding, and the balance a_r² − ‖w_r‖² is conserved through crossings, sliding
// and sliding exits (the Filippov field keeps d/dt ‖w_r‖² = d/dt a_r², docs/switching.md).
BOOST_AUTO_TEST_CASE(two_layer_agrees_and_conserves_balance) {
  const std::vector<double> times = grid(2.0, 10);
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  long exits = 0, slides = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Small p = make_small("two_layer", 6, 3, 8, seed);
    const TwoLayer& model = p.model();
    auto balance = [&](const Vec& th) -> Vec {
      return model.outer(th).array().square() - model.weights(th).rowwise().squaredNorm().array();
    };
    const Vec b0 = balance(p.inst.theta0);
    std::vector<Vec> ref;
    Outcome op;
    if (seed == 1) {
      IntegrateOptions plain;
      plain.rtol = 1e-6;
      plain.atol = 1e-8;
      Vec th_plain = p.inst.theta0;
      op = integrate(gradient_flow(*p.obj), th_plain, 0.0, times, plain, [&](double, const Vec& x) {
        ref.push_back(x);
        return true;
      });
      BOOST_REQUIRE(op.status == Status::completed);
    }
    // exact keeps the invariant to round-off through every event; auto to its kink error.
    Vec th = p.inst.theta0;
    SwitchingStats st, sa;
    double worst = 0, drift = 0, drift_auto = 0;
    std::size_t k = 0;
    const Outcome out = integrate_switching(*p.obj, model, th, 0.0, times, o, [&](double, const Vec& x) {
      if (!ref.empty()) worst = std::max(worst, (x - ref[k++]).cwiseAbs().maxCoeff());
      drift = std::max(drift, (balance(x) - b0).cwiseAbs().maxCoeff());
      return true;
    }, st, exact_scheme());
    th = p.inst.theta0;
    integrate_switching(*p.obj, model, th, 0.0, times, o, [&](double, const Vec& x) {
      drift_auto = std::max(drift_auto, (balance(x) - b0).cwiseAbs().maxCoeff());
      return true;
    }, sa);
    BOOST_TEST(drift_auto < 3e-7);
    BOOST_TEST_MESSAGE("two_layer n=6 d=3 m=8 seed " << seed << ": switching rhs " << out.counters.rhs_evals << ", "
                       << st.crossings << " crossings, " << st.sliding_episodes << " sliding, " << st.sliding_exits
                       << " exits, balance drift " << drift << " (auto " << drift_auto << ")"
                       << (ref.empty() ? std::string() : ", plain rhs " + std::to_string(op.counters.rhs_evals) +
                                                             ", max diff " + std::to_string(worst)));
    BOOST_TEST(out.status == Status::completed);
    BOOST_TEST(drift < 1e-8);
    if (!ref.empty()) {
      BOOST_TEST(worst < 1e-5);  // the plain run's own error at rtol 1e-6
      BOOST_TEST(st.sliding_episodes > 0);
    }
    exits += st.sliding_exits;
    slides += st.sliding_episodes;
  }
  BOOST_TEST(slides > 0);
  BOOST_TEST(exits > 0);
}

// Where the solution only crosses transversally (no sliding), plain dopri5 finishes at tight
// tolerance too (its steps shrink at each kink but it passes), and both integrators agree far
// below the loose-tolerance differences above. Seeds without sliding but with crossings are used.
BOOST_AUTO_TEST_CASE(tight_agreement_without_sliding) {
  const std::vector<double> times = grid(1.0, 10);
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  for (const std::string kind : {"relu2", "two_layer"}) {
    int used = 0;
    for (std::uint64_t seed = 1; seed <= 8 && used < 2; ++seed) {
      const Small p = make_small(kind, 6, 3, 8, seed);
      Vec th = p.inst.theta0;
      SwitchingStats st;
      std::vector<Vec> sw;
      const Outcome out = integrate_switching(*p.obj, p.model(), th, 0.0, times, o, [&](double, const Vec& x) {
        sw.push_back(x);
        return true;
      }, st, exact_scheme());
      BOOST_REQUIRE(out.status == Status::completed);
      if (st.sliding_episodes > 0 || st.crossings == 0) continue;
      ++used;
      Vec tp = p.inst.theta0;
      double worst = 0;
      std::size_t k = 0;
      const Outcome op = integrate(gradient_flow(*p.obj), tp, 0.0, times, o, [&](double, const Vec& x) {
        worst = std::max(worst, (x - sw[k++]).cwiseAbs().maxCoeff());
        return true;
      });
      BOOST_TEST_MESSAGE(kind << " seed " << seed << ": " << st.crossings << " crossings, plain rhs "
                         << op.counters.rhs_evals << ", switching rhs " << out.counters.rhs_evals << ", max diff " << worst);
      BOOST_TEST_CONTEXT(kind << " seed " << seed) {
        BOOST_TEST(op.status == Status::completed);
        BOOST_TEST(k == times.size());
        BOOST_TEST(worst < 3e-8);  // both at rtol 1e-10; plain loses a little at each kink
      }
    }
    BOOST_TEST(used > 0, kind << ": no seed with crossings and without sliding");
  }
}

// Second-order flows on the weights, heavy ball with friction (a = 1) and the Nesterov flow
// (a = 3/t from t0 = 0.1 at rest): the switching variant agrees with plain dopri5 (whose
// solution is C¹ here, so it finishes, just slowly); crossings are transversal, none slides.
BOOST_AUTO_TEST_CASE(second_order_agrees_with_plain_dopri5) {
  const Small p = make_small("relu2", 6, 3, 8);
  const Vec x0 = at_rest(p.inst.theta0);
  struct Case { const char* name; Damping a; double t0; };
  for (const Case& c : {Case{"HBF", constant_damping(1.0), 0.0}, Case{"NAG", nesterov_damping(3.0), 0.1}}) {
    std::vector<double> times;
    for (int k = 0; k <= 20; ++k) times.push_back(c.t0 + (2.0 - c.t0) * k / 20);
    IntegrateOptions o;
    o.rtol = 1e-10;
    o.atol = 1e-12;
    Vec xp = x0;
    std::vector<Vec> ref;
    const Outcome op = integrate(momentum_flow(*p.obj, c.a), xp, c.t0, times, o, [&](double, const Vec& x) {
      ref.push_back(x);
      return true;
    });
    BOOST_REQUIRE(op.status == Status::completed);
    Vec x = x0;
    SwitchingStats st;
    double worst = 0;
    std::size_t k = 0;
    const Outcome out = integrate_switching_second_order(*p.obj, p.model(), c.a, x, c.t0, times, o,
                                                         [&](double, const Vec& s) {
                                                           worst = std::max(worst, (s - ref[k++]).cwiseAbs().maxCoeff());
                                                           return true;
                                                         }, st);
    BOOST_TEST_MESSAGE(c.name << " relu2 n=6 d=3 m=8: plain rhs " << op.counters.rhs_evals << ", switching rhs "
                       << out.counters.rhs_evals << ", " << st.crossings << " crossings, " << st.reversals
                       << " reversals, " << st.attractive_crossings << " attractive, max diff " << worst);
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(out.status == Status::completed);
      BOOST_TEST(k == times.size());
      BOOST_TEST(worst < 1e-7);
      BOOST_TEST(st.crossings > 0);
      BOOST_TEST(st.sliding_episodes == 0);
      BOOST_TEST(st.large_jumps == 0);
    }
  }
}

// auto against exact (the reference) on the small relu2 and two_layer problems, with
// crossings and sliding; the larger ones (many crossings per step) are in switching_slow.
BOOST_AUTO_TEST_CASE(auto_agrees_with_exact_on_small_problems) {
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  for (const auto& [kind, seed] : {std::pair<const char*, std::uint64_t>{"relu2", 1}, {"two_layer", 1}, {"two_layer", 3}}) {
    const Small p = make_small(kind, 6, 3, 8, seed);
    const std::vector<double> times = grid(2.0, 12);
    SwitchingStats se, sa;
    const auto ref = switching_run(*p.obj, p.model(), p.inst.theta0, 0.0, times, o, exact_scheme(), se);
    const auto got = switching_run(*p.obj, p.model(), p.inst.theta0, 0.0, times, o, {}, sa);
    const double gap = relative_gap(got, ref);
    BOOST_TEST_MESSAGE(kind << " seed " << seed << ": exact " << se.events << " events, auto " << sa.events
                       << " events + " << sa.stepped_crossings << " stepped over, gap " << gap);
    BOOST_TEST_CONTEXT(kind << " seed " << seed) {
      BOOST_TEST(gap < 3e-7);
      BOOST_TEST(sa.large_jumps == 0);
      BOOST_TEST(sa.stepped_crossings > 0);
    }
  }
}

// The driver contract: an observer can stop the run; the step budget is honoured.
BOOST_AUTO_TEST_CASE(observer_stop_and_step_budget) {
  const Small p = make_small("relu2", 6, 3, 8);
  IntegrateOptions o;
  Vec th = p.inst.theta0;
  SwitchingStats st;
  int calls = 0;
  Outcome out = integrate_switching(*p.obj, p.model(), th, 0.0, grid(1.0, 10), o, [&](double, const Vec&) {
    return ++calls < 3;
  }, st);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(calls == 3);
  BOOST_TEST(out.t == 0.2, boost::test_tools::tolerance(1e-12));
  o.max_steps = 3;
  th = p.inst.theta0;
  out = integrate_switching(*p.obj, p.model(), th, 0.0, grid(1.0, 10), o, [](double, const Vec&) { return true; }, st);
  BOOST_TEST(out.status == Status::step_budget);
  BOOST_TEST(out.counters.steps_accepted + out.counters.steps_rejected == 3);
  o.max_steps = 1000;
  o.stepper = "cash_karp54";
  BOOST_CHECK_THROW(integrate_switching(*p.obj, p.model(), th, 0.0, grid(1.0, 10), o,
                                        [](double, const Vec&) { return true; }, st),
                    input_error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
