// The L-layer mlp: Jᵀr, Jv and the NTK against an explicit finite-difference Jacobian over
// activations, parametrisations, bias and trained layers; the infinite-width NTK against
// closed forms and against the empirical kernel of a wide net; the two-layer switching view
// of a ReLU net trained in its last two layers, and gradient flow through it; the general
// (curved) surfaces of a deep ReLU net, their normals and sensitivities, and first- and
// second-order flows across them (gradient flow sliding on them).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "gradflow/experiment/runner.hpp"
#include "gradflow/flow/momentum.hpp"
#include "gradflow/integrate/switching.hpp"
#include "gradflow/model/mlp.hpp"
#include "gradflow/theory/kernels.hpp"
#include "support.hpp"

using namespace gradflow;
using namespace gradflow::test;

// One namespace per file: the suite compiles in batches (tests/CMakeLists.txt).
namespace GRADFLOW_TEST_FILE {

namespace {

struct Net {
  Mat X, Y;
  std::unique_ptr<Mlp> model;
};

Net net(Index n, Index d, Index k, const MlpOptions& o, double scale = 1.0, std::uint64_t seed = 5) {
  Rng rng(seed);
  Net out;
  out.X = rng.normal(n, d);
  for (Index i = 0; i < n; ++i) out.X.row(i).normalize();
  out.Y = rng.normal(n, k);
  out.model = std::make_unique<Mlp>(out.X, k, o, draw_mlp(d, k, o, scale, rng));
  return out;
}

MlpOptions options(Activation act, std::vector<Index> hidden, Parametrisation p = Parametrisation::ntk,
                   bool bias = false, std::vector<bool> trained = {}) {
  MlpOptions o;
  o.activation = act;
  o.hidden = std::move(hidden);
  o.parametrisation = p;
  o.bias = bias;
  o.trained = std::move(trained);
  return o;
}

double rel(const Mat& a, const Mat& b) { return (a - b).norm() / std::max(b.norm(), 1e-300); }

}  // namespace

BOOST_AUTO_TEST_SUITE(mlp)

BOOST_AUTO_TEST_CASE(derivatives_match_an_explicit_jacobian) {
  // ReLU at random points is differentiable with probability one (no z within h of 0 here).
  const std::vector<std::vector<bool>> trained_sets{{}, {false, true, false}, {true, false, true}, {false, false, true}};
  int cases = 0;
  for (const Activation act : {Activation::relu, Activation::tanh, Activation::softplus, Activation::identity})
    for (const Parametrisation p : {Parametrisation::ntk, Parametrisation::standard, Parametrisation::mean_field})
      for (const bool bias : {false, true})
        for (const auto& trained : trained_sets)
          for (const Index k : {1, 2}) {
            const Net n = net(6, 4, k, options(act, {5, 7}, p, bias, trained), 0.9, 17 + cases);
            const Mlp& m = *n.model;
            const Vec& th = m.theta0();
            const Mat J = fd_jacobian(m, th, 1e-6);
            Rng rng(3);
            const Vec r = rng.normal(m.num_outputs(), 1).col(0), v = rng.normal(m.num_params(), 1).col(0);
            Vec g, Jv;
            Mat H;
            m.gradient(th, r, g);
            m.jvp(th, v, Jv);
            m.ntk(th, H);
            BOOST_TEST(rel(g, J.transpose() * r) < 1e-7);
            BOOST_TEST(rel(Jv, J * v) < 1e-7);
            BOOST_TEST(rel(H, J * J.transpose()) < 1e-7);
            // The fused residual gradient is the plain one.
            const Vec y = Eigen::Map<const Vec>(n.Y.data(), n.Y.size());
            Vec f, gf, f2, g2;
            m.residual_gradient(th, y, 0.5, f, gf);
            m.predict(th, f2);
            m.gradient(th, 0.5 * (f2 - y), g2);
            BOOST_TEST((f - f2).norm() == 0.0);
            BOOST_TEST(rel(gf, g2) < 1e-15);
            ++cases;
          }
  BOOST_TEST(cases == 4 * 3 * 2 * 4 * 2);
}

BOOST_AUTO_TEST_CASE(standard_and_ntk_parametrisations_compute_the_same_function_at_init) {
  // Same draws, the 1/√fan_in moved from the forward pass into the weights; the NTKs then differ
  // by each layer's fan-in (standard's gradient is larger by √fan_in per trained layer).
  const Net a = net(5, 3, 1, options(Activation::tanh, {40, 30}, Parametrisation::ntk, true));
  const Net b = net(5, 3, 1, options(Activation::tanh, {40, 30}, Parametrisation::standard, true));
  Vec fa, fb;
  a.model->predict(a.model->theta0(), fa);
  b.model->predict(b.model->theta0(), fb);
  BOOST_TEST(rel(fa, fb) < 1e-14);
  // Only the output layer trained: H = s_L² H_{L−1}H_{L−1}ᵀ, ntk's s_L² = c_σ/31 and standard's 1.
  const Net c = net(5, 3, 1, options(Activation::tanh, {40, 30}, Parametrisation::ntk, true, {false, false, true}));
  const Net e = net(5, 3, 1, options(Activation::tanh, {40, 30}, Parametrisation::standard, true, {false, false, true}));
  Mat Hc, He;
  c.model->ntk(c.model->theta0(), Hc);
  e.model->ntk(e.model->theta0(), He);
  const double c_sigma = 1.0 / gaussian_second_moment(Activation::tanh, 1.0);
  BOOST_TEST(rel(He, 31.0 / c_sigma * Hc) < 1e-13);
}

BOOST_AUTO_TEST_CASE(infinite_kernel_matches_closed_forms) {
  Rng rng(2);
  Mat X = rng.normal(6, 4);
  for (Index i = 0; i < X.rows(); ++i) X.row(i).normalize();
  // Two layers, ReLU, no c_σ, only W_1 trained: Θ = Σ_1 Σ̇_1 = (x_iᵀx_j/d)(π − θ_ij)/(2π), Du et al.'s H∞/d.
  MlpOptions o = options(Activation::relu, {10}, Parametrisation::ntk, false, {true, false});
  o.normalise = false;
  BOOST_TEST(rel(mlp_ntk_infinite(X, 1, o, 1.0), relu_ntk_infinite(X) / 4.0) < 1e-14);
  // Identity, all L layers trained, weights N(0, s²): Σ_l = s^{2l} XXᵀ/d and each layer adds
  // Σ_l/s² · s^{2(L−l)}, so Θ = L s^{2(L−1)} XXᵀ/d (a deep linear net's NTK mean).
  for (const Index L : {2, 3, 5}) {
    const Mat H = mlp_ntk_infinite(X, 2, options(Activation::identity, std::vector<Index>(L - 1, 8)), 0.8);
    const Mat Theta = static_cast<double>(L) * std::pow(0.64, L - 1) * X * X.transpose() / 4.0;
    BOOST_TEST(rel(H.topLeftCorner(6, 6), Theta) < 1e-13);
    BOOST_TEST(rel(H.bottomRightCorner(6, 6), Theta) < 1e-13);
    BOOST_TEST(H.topRightCorner(6, 6).norm() == 0.0);
  }
  // c_σ keeps the scale: ‖x‖² = d gives Σ_l(x, x) = 1 at every layer, so with only the output
  // layer trained (Θ = Σ_L/s²) the diagonal is 1 for every activation.
  for (const Activation act : {Activation::relu, Activation::tanh, Activation::softplus}) {
    MlpOptions oo = options(act, {10, 10, 10}, Parametrisation::ntk, false, {false, false, false, true});
    const Mat H = mlp_ntk_infinite(2.0 * X, 1, oo, 1.0);
    BOOST_TEST((H.diagonal().array() - 1.0).abs().maxCoeff() < 1e-9);
  }
  BOOST_TEST(std::abs(gaussian_second_moment(Activation::relu, 1.0) - 0.5) < 1e-15);
  BOOST_TEST(std::abs(1.0 / gaussian_second_moment(Activation::tanh, 1.0) - 2.5360) < 1e-3);
}

BOOST_AUTO_TEST_CASE(wide_nets_approach_the_infinite_kernel) {
  // H(θ0) − H∞ = O(1/√m) for a fixed input set: measured at m = 4000 against m = 250, over the
  // depths and the smooth and ReLU activations (the recursion and the quadrature together).
  for (const Activation act : {Activation::relu, Activation::tanh})
    for (const Index L : {3, 4}) {
      std::vector<double> err;
      for (const Index m : {250, 4000}) {
        const Net w = net(4, 3, 1, options(act, std::vector<Index>(L - 1, m), Parametrisation::ntk, true), 1.0, 9);
        Mat H;
        w.model->ntk(w.model->theta0(), H);
        MlpOptions o = options(act, std::vector<Index>(L - 1, m), Parametrisation::ntk, true);
        err.push_back(rel(H, mlp_ntk_infinite(w.X, 1, o, 1.0)));
      }
      BOOST_TEST_MESSAGE("L=" << L << ": |H(0) - H_inf| / |H_inf| = " << err[0] << " (m=250), " << err[1] << " (m=4000)");
      BOOST_TEST(err[1] < 0.08);
      BOOST_TEST(err[1] < 0.5 * err[0]);  // 1/√16 = 0.25 expected
    }
}

BOOST_AUTO_TEST_CASE(last_two_layers_of_a_relu_net_give_the_two_layer_switching_view) {
  const Net n = net(8, 3, 1, options(Activation::relu, {12, 9}, Parametrisation::ntk, true, {false, true, true}));
  const Mlp& m = *n.model;
  BOOST_TEST_REQUIRE(m.as_piecewise_linear() == &m);
  const Vec& th = m.theta0();
  const Vec y = n.Y.col(0);
  Mat Z;
  m.preactivations(th.data(), Z);
  const Mat A = (Z.array() > 0.0).cast<double>();
  Vec f, fp, g, gp(m.num_params());
  m.residual_gradient(th, y, 0.7, f, g);
  m.pattern_predict(th.data(), Z, A, fp);
  PatternWork w;
  m.pattern_gradient(th.data(), A, y, 0.7, w, gp.data());
  BOOST_TEST(rel(fp, f) < 1e-14);
  BOOST_TEST(rel(gp, g) < 1e-14);
  BOOST_TEST(std::abs(m.preactivation(th.data(), 3, 5) - Z(3, 5)) < 1e-14);
  // The gain is ∂f_i/∂z_ir on the active side: the finite difference of f along w_r's block.
  Index i = 0, r = 0;
  BOOST_TEST_REQUIRE(A.maxCoeff(&i, &r) > 0);  // an active pair
  const Mat J = fd_jacobian(m, th);
  // ∂f_i/∂W(r, j) = gain · features(i, j); the bias feature j = 12 is never 0.
  const double gain_fd = J(i, r + 12 * 9) / m.unit_inputs()(i, 12);
  BOOST_TEST(std::abs(gain_fd - m.unit_gain(th.data(), r)) < 1e-6 * std::abs(gain_fd));
  // Training any layer below L−1 curves the surfaces: no view, still piecewise linear.
  const Net all = net(8, 3, 1, options(Activation::relu, {12, 9}));
  BOOST_TEST(all.model->as_piecewise_linear() == nullptr);
  BOOST_TEST(all.model->piecewise_linear());
  const Net head = net(8, 3, 1, options(Activation::relu, {12, 9}, Parametrisation::ntk, false, {false, false, true}));
  BOOST_TEST(!head.model->piecewise_linear());  // linear in θ
  // Flat surfaces but two outputs: the gain is no longer one number per unit, so no view either.
  const Net two = net(8, 3, 2, options(Activation::relu, {12, 9}, Parametrisation::ntk, false, {false, true, true}));
  BOOST_TEST(two.model->as_piecewise_linear() == nullptr);
  BOOST_TEST(two.model->piecewise_linear());
}

BOOST_AUTO_TEST_CASE(gradient_flow_through_the_switching_view_agrees_between_schemes) {
  // auto (crossings stepped over) against exact (cut at every event), both tight.
  const Net n = net(12, 4, 1, options(Activation::relu, {30, 40}, Parametrisation::ntk, false, {false, true, true}));
  const Mlp& m = *n.model;
  const Objective obj(m, n.Y.col(0), Reduction::sum);
  const std::vector<double> times = grid(3.0, 6);
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  std::vector<Vec> ends;
  std::vector<SwitchingStats> stats(2);
  for (const bool step_over : {false, true}) {
    Vec theta = m.theta0();
    SwitchingOptions so;
    so.step_over = step_over;
    const Outcome out = integrate_switching(obj, m, theta, 0.0, times, o, [](double, const Vec&) { return true; },
                                            stats[step_over], so);
    BOOST_TEST(out.status == Status::completed);
    ends.push_back(theta);
  }
  const double travelled = (ends[0] - m.theta0()).norm();
  BOOST_TEST_MESSAGE("mlp gf: crossings " << stats[0].crossings << " (exact), " << stats[1].crossings << " (auto), gap "
                                          << (ends[0] - ends[1]).norm() / travelled);
  BOOST_TEST(stats[0].crossings > 0);
  BOOST_TEST((ends[0] - ends[1]).norm() < 3e-7 * travelled);
  BOOST_TEST(obj.value(ends[0]) < obj.value(m.theta0()));
}

BOOST_AUTO_TEST_CASE(curved_surfaces_of_a_deep_relu_net) {
  // All layers trained, with bias: every hidden unit of both layers has a surface.
  const Net n = net(7, 3, 2, options(Activation::relu, {6, 5}, Parametrisation::ntk, true));
  const Mlp& m = *n.model;
  BOOST_TEST_REQUIRE(m.as_switching_surfaces() == &m);
  BOOST_TEST(m.as_piecewise_linear() == nullptr);
  BOOST_TEST(m.surfaces() == 7 * (6 + 5));
  const Vec& th = m.theta0();
  Vec z, scale;
  m.surface_values(th.data(), Vec(), z, &scale);
  const Vec A = (z.array() > 0.0).cast<double>();
  // The pattern of θ's own signs is the net itself: same z, same loss gradient.
  Vec zA;
  m.surface_values(th.data(), A, zA, nullptr);
  BOOST_TEST(rel(zA, z) < 1e-15);
  for (Index k = 0; k < m.surfaces(); k += 5) BOOST_TEST(std::abs(m.surface_value(th.data(), A, k) - z(k)) < 1e-13 * scale(k));
  const Vec y = Eigen::Map<const Vec>(n.Y.data(), n.Y.size());
  Vec f, g, gA(m.num_params());
  m.residual_gradient(th, y, 0.7, f, g);
  m.pattern_gradient(th.data(), A, y, 0.7, gA.data());
  BOOST_TEST(rel(gA, g) < 1e-14);
  // ż = ∇z·v: central differences of the pattern net (smooth in θ) along a random v.
  Rng rng(11);
  const Vec v = rng.normal(m.num_params(), 1);
  Vec zd, zp, zm;
  m.surface_rates(th.data(), v.data(), A, zd);
  const double h = 1e-6;
  const Vec tp = th + h * v, tm = th - h * v;
  m.surface_values(tp.data(), A, zp, nullptr);
  m.surface_values(tm.data(), A, zm, nullptr);
  BOOST_TEST(rel((zp - zm) / (2 * h), zd) < 1e-8);
  // The second layer's surfaces are curved: z is not linear along v (first layer: it is).
  const Vec t2 = th + 0.5 * v;
  Vec z2;
  m.surface_values(t2.data(), A, z2, nullptr);
  const Vec bend = z2 - z - 0.5 * zd;
  BOOST_TEST(bend.head(7 * 6).norm() < 1e-12 * z.norm());
  BOOST_TEST(bend.tail(7 * 5).norm() > 1e-3 * z.norm());
}

namespace {

/// Layer l's weights inside θ, writable.
Eigen::Map<Mat> layer_of(const Mlp& m, Vec& theta, Index l) {
  const Eigen::Map<const Mat> W = m.layer(theta.data(), l);
  return {theta.data() + (W.data() - theta.data()), W.rows(), W.cols()};
}

/// The pattern net's normal ∇z_k by central differences (it is smooth in θ).
Vec normal_fd(const Mlp& m, const Vec& th, const Vec& A, Index k) {
  Vec n(th.size());
  const double h = 1e-6;
  for (Index p = 0; p < th.size(); ++p) {
    Vec tp = th, tm = th;
    tp(p) += h;
    tm(p) -= h;
    n(p) = (m.surface_value(tp.data(), A, k) - m.surface_value(tm.data(), A, k)) / (2 * h);
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(normals_gram_and_sensitivities_of_curved_surfaces) {
  const Net n = net(7, 3, 2, options(Activation::relu, {6, 5}, Parametrisation::ntk, true));
  const Mlp& m = *n.model;
  const Index N = 7;  // samples
  Vec th = m.theta0();
  const Vec y = Eigen::Map<const Vec>(n.Y.data(), n.Y.size());
  // Put pair (layer 1, sample 2, unit 3) and the pair above it on the same sample, (layer 2,
  // sample 2, unit 1), on their surfaces: w ← w minus its component along the unit's input.
  const Index k1 = 2 + N * 3, k2 = 7 * 6 + 2 + N * 1;
  Eigen::RowVectorXd x2(4);
  x2 << n.X.row(2), 1.0;
  auto W1 = layer_of(m, th, 1);
  W1.row(3) -= (W1.row(3).dot(x2) / x2.squaredNorm()) * x2;
  Vec z;
  m.surface_values(th.data(), Vec(), z, nullptr);
  Eigen::RowVectorXd h2(7);
  for (Index u = 0; u < 6; ++u) h2(u) = std::max(z(2 + N * u), 0.0);
  h2(6) = 1.0;
  auto W2 = layer_of(m, th, 2);
  W2.row(1) -= (W2.row(1).dot(h2) / h2.squaredNorm()) * h2;
  m.surface_values(th.data(), Vec(), z, nullptr);
  BOOST_TEST(std::abs(z(k1)) < 1e-14);
  BOOST_TEST(std::abs(z(k2)) < 1e-14);
  Vec A = (z.array() > 1e-12).cast<double>();
  A(k1) = A(k2) = 0.0;
  // The Gram matrix and Nᵀβ against normals by finite differences, over pairs of both layers.
  const std::vector<Index> pairs{k1, k2, 5, 7 * 6 + 3, 7 * 6 + 20};
  Mat Nfd(static_cast<Index>(pairs.size()), th.size());
  for (std::size_t q = 0; q < pairs.size(); ++q) Nfd.row(static_cast<Index>(q)) = normal_fd(m, th, A, pairs[q]).transpose();
  Mat G;
  m.surface_gram(th.data(), A, pairs, G);
  BOOST_TEST(rel(G, Nfd * Nfd.transpose()) < 1e-8);
  const Vec beta = Vec::LinSpaced(static_cast<Index>(pairs.size()), -1.0, 2.0);
  Vec Nb = Vec::Zero(th.size());
  m.add_surface_normals(th.data(), A, pairs, beta, Nb.data());
  BOOST_TEST(rel(Nb, Nfd.transpose() * beta) < 1e-8);
  // On its surface, switching a pair on adds exactly u_k ∇z_k to the gradient.
  Vec u;
  m.unit_sensitivities(th.data(), A, y, 0.7, {k1, k2}, nullptr, u);
  Vec g0(th.size()), n1 = Vec::Zero(th.size()), n2 = Vec::Zero(th.size());
  m.pattern_gradient(th.data(), A, y, 0.7, g0.data());
  m.add_surface_normals(th.data(), A, {k1}, Vec::Ones(1), n1.data());
  m.add_surface_normals(th.data(), A, {k2}, Vec::Ones(1), n2.data());
  for (Index q = 0; q < 2; ++q) {
    Vec on = A, g1(th.size());
    on(q == 0 ? k1 : k2) = 1.0;
    m.pattern_gradient(th.data(), on, y, 0.7, g1.data());
    BOOST_TEST(std::abs(u(q)) > 1e-6);
    BOOST_TEST(rel(g1 - g0, u(q) * (q == 0 ? n1 : n2)) < 1e-12);
  }
  // Both sliding, with slopes α (the unit above feeds the one below): the field is g0 + β1 n1 +
  // β2 n2 with β2 = α2 u2 and β1 = α1 u1, u1 counting the slope α2 of the unit above.
  const double a1 = 0.3, a2 = 0.8;
  Vec frac = A, ga(th.size()), uc;
  frac(k1) = a1;
  frac(k2) = a2;
  m.pattern_gradient(th.data(), frac, y, 0.7, ga.data());
  const Vec b2{{0.0, a2 * u(1)}};
  m.unit_sensitivities(th.data(), A, y, 0.7, {k1, k2}, &b2, uc);
  BOOST_TEST(std::abs(uc(1) - u(1)) < 1e-15 * std::abs(u(1)));
  BOOST_TEST(std::abs(uc(0) - u(0)) > 1e-6 * std::abs(u(0)));  // the chain does couple them
  BOOST_TEST(rel(ga - g0, a1 * uc(0) * n1 + a2 * u(1) * n2) < 1e-12);
}

namespace {

IntegrateOptions tight_flow() {
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(curved_and_flat_gradient_flows_slide_alike) {
  // Only the last two layers trained, one output: both views exist. The general integrator,
  // which couples sliding pairs through their Gram matrix, must reproduce the two-layer one's
  // per-unit sliding (exact scheme): the same crossings, sliding episodes and end state.
  const Net n = net(10, 4, 1, options(Activation::relu, {20, 24}, Parametrisation::ntk, false, {false, true, true}));
  const Mlp& m = *n.model;
  const Objective obj(m, n.Y.col(0), Reduction::sum);
  SwitchingStats curved, flat;
  Vec a = m.theta0(), b = m.theta0();
  auto any = [](double, const Vec&) { return true; };
  BOOST_TEST_REQUIRE(integrate_curved_gradient_flow(obj, m, a, 0.0, grid(6.0, 8), tight_flow(), any, curved).status ==
                     Status::completed);
  SwitchingOptions exact;
  exact.step_over = false;
  BOOST_TEST_REQUIRE(integrate_switching(obj, m, b, 0.0, grid(6.0, 8), tight_flow(), any, flat, exact).status ==
                     Status::completed);
  const double travelled = (b - m.theta0()).norm();
  BOOST_TEST_MESSAGE("flat net, gf: crossings " << curved.crossings << " / " << flat.crossings << ", sliding episodes "
                                                << curved.sliding_episodes << " / " << flat.sliding_episodes << ", gap "
                                                << (a - b).norm() / travelled);
  BOOST_TEST(flat.sliding_episodes > 0);
  BOOST_TEST(curved.sliding_episodes == flat.sliding_episodes);
  BOOST_TEST(curved.crossings == flat.crossings);
  BOOST_TEST((a - b).norm() < 1e-7 * travelled);
}

BOOST_AUTO_TEST_CASE(gradient_flow_slides_on_curved_surfaces_as_gd_does_in_the_limit) {
  // Depth 3, every layer trained. GD zigzags across a sliding surface at amplitude O(η), and
  // its mean motion is the Filippov flow: GD must approach the integrated flow at first order
  // in η. Along the flow L decreases and L(0) − L(T) = ∫|θ̇|² (θ̇ is tangent to every
  // sliding surface, where L's kinks do not act).
  const Net n = net(8, 3, 1, options(Activation::relu, {10, 10}));
  const Mlp& m = *n.model;
  const Objective obj(m, n.Y.col(0), Reduction::sum);
  const double T = 3.0;
  const std::vector<double> times = grid(T, 3000);
  std::vector<Vec> path;
  SwitchingStats st;
  Vec th = m.theta0();
  BOOST_TEST_REQUIRE(integrate_curved_gradient_flow(obj, m, th, 0.0, times, tight_flow(),
                                                    [&](double, const Vec& s) {
                                                      path.push_back(s);
                                                      return true;
                                                    },
                                                    st)
                         .status == Status::completed);
  BOOST_TEST_MESSAGE("curved gf: crossings " << st.crossings << ", sliding episodes " << st.sliding_episodes
                                             << ", exits " << st.sliding_exits << ", most sliding " << st.sliding_pairs_max
                                             << ", events " << st.events);
  BOOST_TEST(st.sliding_episodes > 0);
  double dissipated = 0.0;
  for (std::size_t k = 1; k < path.size(); ++k) {
    BOOST_TEST(obj.value(path[k]) <= obj.value(path[k - 1]));
    dissipated += (path[k] - path[k - 1]).squaredNorm() / (times[k] - times[k - 1]);
  }
  const double drop = obj.value(path.front()) - obj.value(path.back());
  BOOST_TEST(std::abs(dissipated - drop) < 1e-3 * drop);
  auto gd = [&](double eta) {
    Vec w = m.theta0(), g;
    for (long k = 0; k < std::lround(T / eta); ++k) {
      obj.value_gradient(w, g);
      w -= eta * g;
    }
    return w;
  };
  const double travelled = (th - m.theta0()).norm();
  std::vector<double> etas{4e-4, 2e-4, 1e-4}, gaps;
  for (const double eta : etas) gaps.push_back((gd(eta) - th).norm() / travelled);
  const double order = loglog_slope(etas, gaps);
  BOOST_TEST_MESSAGE("GD against the flow: gaps " << gaps[0] << ", " << gaps[1] << ", " << gaps[2] << ", order " << order);
  BOOST_TEST(order > 0.7);
  BOOST_TEST(order < 1.3);
  BOOST_TEST(gaps.back() < 1e-3);
}

namespace {

/// The heavy-ball flow (a = 1) of an mlp across its surfaces, tight, to t = T.
Vec hbf_across(const Objective& obj, const SwitchingSurfaces& m, const Vec& theta0, double T, SwitchingStats& st,
               std::vector<double>* energy = nullptr) {
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  Vec x = at_rest(theta0);
  const Index P = theta0.size();
  const Outcome out = integrate_curved_second_order(obj, m, constant_damping(1.0), x, 0.0, grid(T, 8), o,
                                                    [&](double, const Vec& s) {
                                                      if (energy)
                                                        energy->push_back(0.5 * s.tail(P).squaredNorm() +
                                                                          obj.value(s.head(P)));
                                                      return true;
                                                    },
                                                    st);
  BOOST_TEST(out.status == Status::completed);
  return x;
}

}  // namespace

BOOST_AUTO_TEST_CASE(heavy_ball_crosses_curved_surfaces_like_the_plain_stepper) {
  // Depth 3, every layer trained: curved surfaces, crossed transversally by the second-order
  // flow. Reference: plain dopri5 on the discontinuous field at rtol 1e-12 (it only has to
  // resolve kinks of the acceleration, no sliding). E = ½|v|² + L decreases (dE/dt = −|v|²).
  const Net n = net(8, 3, 1, options(Activation::relu, {10, 10}));
  const Mlp& m = *n.model;
  const Objective obj(m, n.Y.col(0), Reduction::sum);
  SwitchingStats st;
  std::vector<double> energy;
  const Vec x = hbf_across(obj, m, m.theta0(), 3.0, st, &energy);
  Vec plain = at_rest(m.theta0());
  IntegrateOptions tight;
  tight.rtol = 1e-12;
  tight.atol = 1e-14;
  BOOST_TEST_REQUIRE(integrate(momentum_flow(obj, constant_damping(1.0)), plain, 0.0, grid(3.0, 8), tight,
                               [](double, const Vec&) { return true; })
                         .status == Status::completed);
  const double travelled = (x.head(m.num_params()) - m.theta0()).norm();
  BOOST_TEST_MESSAGE("curved hbf: crossings " << st.crossings << ", reversals " << st.reversals << ", events "
                                              << st.events << ", gap " << (x - plain).norm() / travelled);
  BOOST_TEST(st.crossings >= 5);
  BOOST_TEST((x - plain).norm() < 1e-7 * travelled);
  for (std::size_t k = 1; k < energy.size(); ++k) BOOST_TEST(energy[k] < energy[k - 1]);
}

BOOST_AUTO_TEST_CASE(curved_and_flat_integrators_agree_on_flat_surfaces) {
  // Only the last two layers trained, one output: both views exist; the general integrator
  // must find the same crossings as the two-layer one (exact scheme) and the same end.
  const Net n = net(10, 4, 1, options(Activation::relu, {20, 24}, Parametrisation::ntk, false, {false, true, true}));
  const Mlp& m = *n.model;
  const Objective obj(m, n.Y.col(0), Reduction::sum);
  SwitchingStats curved, flat;
  const Vec x = hbf_across(obj, m, m.theta0(), 4.0, curved);
  Vec y = at_rest(m.theta0());
  IntegrateOptions o;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  SwitchingOptions exact;
  exact.step_over = false;
  integrate_switching_second_order(obj, m, constant_damping(1.0), y, 0.0, grid(4.0, 8), o,
                                   [](double, const Vec&) { return true; }, flat, exact);
  const double travelled = (x.head(m.num_params()) - m.theta0()).norm();
  BOOST_TEST_MESSAGE("flat net: crossings " << curved.crossings << " (curved) / " << flat.crossings << " (flat)");
  BOOST_TEST(curved.crossings > 0);
  BOOST_TEST(curved.crossings == flat.crossings);
  BOOST_TEST((x - y).norm() < 1e-8 * travelled);
}

BOOST_AUTO_TEST_CASE(runs_send_deep_relu_second_order_flows_across_their_surfaces) {
  // Through the runner: hbf and gradient flow on a depth-3 ReLU mlp record their crossings.
  const std::string base = R"(
    seed = 3
    [data]
    kind = "sphere"
    n = 10
    d = 4
    [model]
    kind = "mlp"
    depth = 3
    width = 12
    [run]
    t_end = 2.0
    samples = 5
    [[methods]]
  )";
  Config hbf = Config::parse(base + "kind = \"hbf\"\ndamping = 1.0\n", "test");
  const RunResult r = run_experiment(parse_experiment(hbf), {});
  BOOST_TEST_REQUIRE(r.methods.size() == 1u);
  BOOST_TEST(r.methods[0].outcome.status == Status::completed);
  BOOST_TEST(r.methods[0].switching.at("crossings") > 0);
  BOOST_TEST(r.methods[0].final_value("loss") < r.loss0);
  Config gf = Config::parse(base + "kind = \"gf\"\n", "test");
  const RunResult f = run_experiment(parse_experiment(gf), {});
  BOOST_TEST_REQUIRE(f.methods.size() == 1u);
  BOOST_TEST(f.methods[0].outcome.status == Status::completed);
  BOOST_TEST(f.methods[0].switching.at("crossings") + f.methods[0].switching.at("sliding_episodes") > 0);
  BOOST_TEST(f.methods[0].final_value("loss") < f.loss0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace GRADFLOW_TEST_FILE
