// The switching integrators (docs/switching.md): a one-neuron toy whose Filippov sliding
// solution is known in closed form, agreement with the plain dopri5 driver on small relu2 and
// two_layer problems (where it still finishes), monotone loss and cost, the balance invariant
// through sliding, the second-order variant against plain dopri5 on heavy ball with friction,
// and the driver contract (observer stop, step budget). `measure_default` (a no-op unless GF_MEASURE=1) produced
// the numbers in docs/switching.md.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "gradflow/gradflow.hpp"
#include "gradflow/integrate/switching.hpp"

using namespace gradflow;

namespace {

struct Small {
  Dataset ds;
  ModelInstance inst;
  std::unique_ptr<Objective> obj;
  const TwoLayer& model() const { return dynamic_cast<const TwoLayer&>(*inst.model); }
};

Small make_small(const std::string& kind, Index n, Index d, Index m, std::uint64_t seed = 1) {
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

std::vector<double> grid(double t_end, int k) {
  std::vector<double> t;
  for (int i = 0; i <= k; ++i) t.push_back(t_end * i / k);
  return t;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Heavy ball with friction on the weights, x = [θ, v]: the plain (non-switching) system.
System hbf(const Objective& obj, double a) {
  return [&obj, a](const Vec& x, Vec& dx, double) {
    const Index P = x.size() / 2;
    Vec g;
    obj.value_gradient(x.head(P), g);
    dx.resize(x.size());
    dx.head(P) = x.tail(P);
    dx.tail(P) = -a * x.tail(P) - g;
  };
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
BOOST_AUTO_TEST_CASE(one_neuron_sliding_matches_closed_form) {
  const double phi = M_PI / 3, c = std::cos(phi), s = std::sin(phi);
  Mat X(3, 2);
  X << 1, 0, c, s, -1 / std::sqrt(2.0), -1 / std::sqrt(2.0);
  Vec y(3);
  y << -1, 1, 0.3;
  TwoLayerOptions to;
  to.width = 1;
  to.scale = 1.0;
  to.train_outer = false;
  const TwoLayer model(X, to, Vec::Ones(1));
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
}

// A transversal crossing: x2 = (−0.6, 0.8) with y2 = 1 pushes w1 down on both sides of
// w1 = 0, so pair 1 turns off without sliding; then sample 2 alone: x2ᵀw → y2, w1 < 0.
BOOST_AUTO_TEST_CASE(one_neuron_transversal_crossing) {
  Mat X(2, 2);
  X << 1, 0, -0.6, 0.8;
  Vec y(2);
  y << -1, 1;
  TwoLayerOptions to;
  to.width = 1;
  to.scale = 1.0;
  to.train_outer = false;
  const TwoLayer model(X, to, Vec::Ones(1));
  const Objective obj(model, y, Reduction::sum);
  Vec theta(2);
  theta << 0.3, 0.5;
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  SwitchingStats st;
  const Outcome out = integrate_switching(obj, model, theta, 0.0, grid(20, 20), o, [](double, const Vec&) { return true; }, st);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(st.crossings == 1);
  BOOST_TEST(st.sliding_episodes == 0);
  // Sample 1 inactive, sample 2 fitted: x2ᵀw → y2, loss → ½ y1².
  BOOST_TEST(std::abs(X.row(1).dot(theta) - y(1)) < 1e-6);
  BOOST_TEST(X.row(0).dot(theta) < 0);
}

// relu2 with and without switch handling agree where the plain stepper still finishes;
// the loss never increases along the samples and the switching integrator is far cheaper.
BOOST_AUTO_TEST_CASE(relu2_agrees_with_plain_dopri5) {
  const Small p = make_small("relu2", 6, 3, 8);
  const std::vector<double> times = grid(1.0, 20);
  // Plain dopri5 chatters once a pair slides (t ≈ 0.12 here): at rtol 1e-7 it exhausts
  // 2·10⁶ steps before t = 0.6; at 1e-6 it finishes with ~3·10⁶ evaluations.
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
  BOOST_TEST(out.counters.rhs_evals * 1000 < op.counters.rhs_evals);
  // The plain solutions converge to the switching one as their tolerance shrinks.
  plain.rtol = 1e-5;
  plain.atol = 1e-7;
  Vec th_loose = p.inst.theta0;
  const Outcome ol = integrate(gradient_flow(*p.obj), th_loose, 0.0, times, plain, [](double, const Vec&) { return true; });
  BOOST_REQUIRE(ol.status == Status::completed);
  const double err_loose = (th_loose - th).cwiseAbs().maxCoeff(), err_tight = (th_plain - th).cwiseAbs().maxCoeff();
  BOOST_TEST_MESSAGE("plain at t = 1: rtol 1e-5 differs by " << err_loose << ", rtol 1e-6 by " << err_tight);
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
    Vec th = p.inst.theta0;
    SwitchingStats st;
    double worst = 0, drift = 0;
    std::size_t k = 0;
    const Outcome out = integrate_switching(*p.obj, model, th, 0.0, times, o, [&](double, const Vec& x) {
      if (!ref.empty()) worst = std::max(worst, (x - ref[k++]).cwiseAbs().maxCoeff());
      drift = std::max(drift, (balance(x) - b0).cwiseAbs().maxCoeff());
      return true;
    }, st);
    BOOST_TEST_MESSAGE("two_layer n=6 d=3 m=8 seed " << seed << ": switching rhs " << out.counters.rhs_evals << ", "
                       << st.crossings << " crossings, " << st.sliding_episodes << " sliding, " << st.sliding_exits
                       << " exits, balance drift " << drift
                       << (ref.empty() ? std::string() : ", plain rhs " + std::to_string(op.counters.rhs_evals) +
                                                             ", max diff " + std::to_string(worst)));
    BOOST_TEST(out.status == Status::completed);
    BOOST_TEST(drift < 1e-8);
    if (!ref.empty()) {
      BOOST_TEST(worst < 1e-5);  // the plain run's own error at rtol 1e-6
      BOOST_TEST(st.sliding_episodes > 0);
      BOOST_TEST(out.counters.rhs_evals * 100 < op.counters.rhs_evals);
    }
    exits += st.sliding_exits;
    slides += st.sliding_episodes;
  }
  BOOST_TEST(slides > 0);
  BOOST_TEST(exits > 0);
}

// Heavy ball with friction on the weights: the switching variant agrees with plain dopri5
// (whose solution is C¹ here, so it finishes, just slowly).
BOOST_AUTO_TEST_CASE(second_order_agrees_with_plain_dopri5) {
  const Small p = make_small("relu2", 6, 3, 8);
  const Index P = p.inst.theta0.size();
  Vec x0 = Vec::Zero(2 * P);
  x0.head(P) = p.inst.theta0;
  const double a = 1.0;
  const std::vector<double> times = grid(2.0, 20);
  IntegrateOptions plain;
  plain.rtol = 1e-10;
  plain.atol = 1e-12;
  Vec xp = x0;
  std::vector<Vec> ref;
  const Outcome op = integrate(hbf(*p.obj, a), xp, 0.0, times, plain, [&](double, const Vec& x) {
    ref.push_back(x);
    return true;
  });
  BOOST_REQUIRE(op.status == Status::completed);
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  Vec x = x0;
  SwitchingStats st;
  double worst = 0;
  std::size_t k = 0;
  const Outcome out = integrate_switching_second_order(*p.obj, p.model(), [a](double) { return a; }, x, 0.0, times, o,
                                                       [&](double, const Vec& s) {
                                                         worst = std::max(worst, (s - ref[k++]).cwiseAbs().maxCoeff());
                                                         return true;
                                                       }, st);
  BOOST_TEST_MESSAGE("HBF relu2 n=6 d=3 m=8: plain rhs " << op.counters.rhs_evals << ", switching rhs "
                     << out.counters.rhs_evals << ", " << st.crossings << " crossings, " << st.reversals
                     << " reversals, " << st.attractive_crossings << " attractive, max diff " << worst);
  BOOST_TEST(out.status == Status::completed);
  BOOST_TEST(k == times.size());
  BOOST_TEST(worst < 1e-7);
  BOOST_TEST(st.crossings > 0);
  BOOST_TEST(st.sliding_episodes == 0);
  BOOST_TEST(out.counters.rhs_evals < op.counters.rhs_evals);
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

// The measurements of docs/switching.md (slow; does nothing unless GF_MEASURE=1):
//   GF_MEASURE=1 build-switching/bin/gradflow_tests --run_test=switching/measure_default --log_level=message
// Environment: GF_M (width, default 1000), GF_T (t_end, default 60), GF_RTOL (default 1e-6),
// GF_ATOL (default 1e-9), GF_DOUBLE=0 turns the double-crossing test off, GF_PLAIN=1 also runs
// plain dopri5 with the same tolerances and at most GF_PLAIN_STEPS steps (default 2e6),
// GF_SECOND=1 runs heavy ball with friction (a = GF_A, default 1) instead.
BOOST_AUTO_TEST_CASE(measure_default) {
  auto env = [](const char* k, double dflt) { const char* v = std::getenv(k); return v ? std::atof(v) : dflt; };
  BOOST_TEST(true);
  if (env("GF_MEASURE", 0) == 0) return;
  const Index m = static_cast<Index>(env("GF_M", 1000));
  const double t_end = env("GF_T", 60), rtol = env("GF_RTOL", 1e-6);
  const bool second = env("GF_SECOND", 0) != 0;
  const Small p = make_small("relu2", 50, 10, m);
  const double L0 = p.obj->value(p.inst.theta0);
  IntegrateOptions o;
  o.rtol = rtol;
  o.atol = env("GF_ATOL", 1e-9);
  o.max_steps = 10'000'000;
  const std::vector<double> times = grid(t_end, 60);
  SwitchingStats st;
  SwitchingOptions so;
  so.check_double_crossings = env("GF_DOUBLE", 1) != 0;
  Outcome out;
  Vec x;
  std::vector<double> losses;
  if (!second) {
    x = p.inst.theta0;
    out = integrate_switching(*p.obj, p.model(), x, 0.0, times, o, [&](double, const Vec& s) {
      losses.push_back(p.obj->value(s));
      return true;
    }, st, so);
  } else {
    const Index P = p.inst.theta0.size();
    x = Vec::Zero(2 * P);
    x.head(P) = p.inst.theta0;
    const double a = env("GF_A", 1.0);
    out = integrate_switching_second_order(*p.obj, p.model(), [a](double) { return a; }, x, 0.0, times, o,
                                           [&](double, const Vec& s) {
                                             losses.push_back(p.obj->value(s.head(P)));
                                             return true;
                                           }, st, so);
  }
  BOOST_TEST_MESSAGE("m=" << m << " t_end=" << t_end << " rtol=" << rtol << (second ? " HBF" : " GF") << ": status "
                     << to_string(out.status) << " t=" << out.t << " L0=" << L0 << " L=" << losses.back()
                     << " ratio=" << L0 / losses.back() << " rhs=" << out.counters.rhs_evals
                     << " forward=" << st.forward_evals << " accepted=" << out.counters.steps_accepted
                     << " rejected=" << out.counters.steps_rejected << " wall=" << out.counters.wall_seconds
                     << " | switches=" << st.switches << " crossings=" << st.crossings
                     << " sliding_episodes=" << st.sliding_episodes << " exits=" << st.sliding_exits
                     << " sliding_pairs_max=" << st.sliding_pairs_max << " sliding_end=" << st.sliding_pairs
                     << " set_max=" << st.sliding_set_max << " events=" << st.events
                     << " double=" << st.double_crossings << " bounces=" << st.bounces
                     << " repelling=" << st.repelling << " attractive=" << st.attractive_crossings
                     << " reversals=" << st.reversals << " rapid=" << st.rapid_reversals
                     << " min_gap=" << st.min_reversal_interval << " max_per_pair=" << st.max_crossings_per_pair
                     << " large_jumps=" << st.large_jumps << " max_proj=" << st.max_projection
                     << " locate=" << st.locate_evals);
  if (env("GF_PLAIN", 0) != 0 && !second) {
    Vec th = p.inst.theta0;
    double Lp = 0;
    o.max_steps = static_cast<long>(env("GF_PLAIN_STEPS", 2e6));
    const Outcome op = integrate(gradient_flow(*p.obj), th, 0.0, times, o, [&](double, const Vec& s) {
      Lp = p.obj->value(s);
      return true;
    });
    BOOST_TEST_MESSAGE("plain dopri5: status " << to_string(op.status) << " t=" << op.t << " L=" << Lp
                       << " rhs=" << op.counters.rhs_evals << " accepted=" << op.counters.steps_accepted
                       << " rejected=" << op.counters.steps_rejected << " wall=" << op.counters.wall_seconds
                       << " |dtheta|max=" << (th - x).cwiseAbs().maxCoeff());
  }
}

BOOST_AUTO_TEST_SUITE_END()
