#include "gradflow/model/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace gradflow {

struct Mlp::Pass {
  std::vector<Mat> H;  ///< H[l] = H_l, the input of layer l+1 (n × in_{l+1}), l ≥ 1 (input(): X̃ for layer 1)
  std::vector<Mat> D;  ///< D[l] = σ'(Z_l), l = 1 … L−1 (D[0] unused)
  std::vector<Mat> Z;  ///< Z[l] = Z_l (kept for the pattern columns)
  Mat out;             ///< Z_L (n×k)
};

namespace {

/// [M, 1] when `bias`, M otherwise.
Mat with_ones(Mat M, bool bias) {
  if (!bias) return M;
  M.conservativeResize(Eigen::NoChange, M.cols() + 1);
  M.col(M.cols() - 1).setOnes();
  return M;
}

}  // namespace

double mlp_c_sigma(const MlpOptions& o) { return o.normalise ? 1.0 / gaussian_second_moment(o.activation, o.beta) : 1.0; }

std::vector<std::pair<Index, Index>> mlp_layer_shapes(Index d, Index outputs, const MlpOptions& o) {
  const Index L = static_cast<Index>(o.hidden.size()) + 1, b = o.bias ? 1 : 0;
  std::vector<std::pair<Index, Index>> shapes;
  for (Index l = 1; l <= L; ++l) shapes.emplace_back(l == L ? outputs : o.hidden[l - 1], (l == 1 ? d : o.hidden[l - 2]) + b);
  return shapes;
}

Mlp::Mlp(Mat X, Index outputs, MlpOptions options, std::vector<Mat> layers)
    : outputs_(outputs), options_(std::move(options)) {
  const Index L = static_cast<Index>(options_.hidden.size()) + 1;
  if (static_cast<Index>(layers.size()) != L) throw std::invalid_argument("Mlp: one weight matrix per layer");
  if (options_.trained.empty()) options_.trained.assign(L, true);
  const auto shapes = mlp_layer_shapes(X.cols(), outputs, options_);
  X_ = with_ones(std::move(X), options_.bias);
  const double g = std::sqrt(mlp_c_sigma(options_));
  offsets_.push_back(0);
  for (Index l = 1; l <= L; ++l) {
    const auto [out, in] = shapes[l - 1];
    if (layers[l - 1].rows() != out || layers[l - 1].cols() != in) throw std::invalid_argument("Mlp: layer shape");
    in_.push_back(in);
    out_.push_back(out);
    const double gl = l == 1 ? 1.0 : g;
    const bool mean_field_out = l == L && options_.parametrisation == Parametrisation::mean_field;
    scale_.push_back(options_.parametrisation == Parametrisation::standard ? 1.0
                     : mean_field_out                                        ? gl / static_cast<double>(in)
                                                                             : gl / std::sqrt(static_cast<double>(in)));
    const bool train = options_.trained[l - 1];
    offset_of_.push_back(train ? offsets_.back() : -1);
    if (train) offsets_.push_back(offsets_.back() + in * out);
    fixed_.push_back(train ? Mat() : std::move(layers[l - 1]));
    if (train) {
      theta0_.conservativeResize(offsets_.back());
      theta0_.segment(offset_of_.back(), in * out) = Eigen::Map<const Vec>(layers[l - 1].data(), in * out);
    }
  }
  lowest_trained_ = L + 1;
  for (Index l = L; l >= 1; --l)
    if (trained(l)) lowest_trained_ = l;
  // Surfaces exist once a trained layer sits below the output; the two-layer view needs them
  // flat (nothing below L−1 trained) and one output (see the header).
  const bool relu = options_.activation == Activation::relu;
  surfaces_ = relu && lowest_trained_ < L;
  two_layer_view_ = surfaces_ && lowest_trained_ == L - 1 && outputs_ == 1;
  if (surfaces_)
    for (Index l = lowest_trained_; l < L; ++l) surface_offset_.push_back(surface_offset_.back() + X_.rows() * out_[l - 1]);
  if (two_layer_view_) {
    // The fixed features feeding layer L−1, scaled so that z = features · w_r.
    Pass pass;
    forward(theta0_.data(), pass, false);
    features_ = scale_[L - 2] * input(pass, L - 1);
  }
}

const Mat& Mlp::input(const Pass& pass, Index l) const { return l == 1 ? X_ : pass.H[l - 1]; }

Mat Mlp::back_step(const double* theta, const Pass& pass, Index l, const Mat& delta) const {
  return (scale_[l - 1] * (delta * layer(theta, l).leftCols(out_[l - 2]))).cwiseProduct(pass.D[l - 1]);
}

Eigen::Map<const Mat> Mlp::layer(const double* theta, Index l) const {
  const Index off = offset_of_[l - 1];
  return {off >= 0 ? theta + off : fixed_[l - 1].data(), out_[l - 1], in_[l - 1]};
}

void Mlp::forward(const double* theta, Pass& pass, bool derivatives, const Vec* pattern) const {
  const Index L = depth(), n = X_.rows();
  pass.H.resize(L);
  pass.D.resize(L);
  pass.Z.resize(L);
  for (Index l = 1; l < L; ++l) {
    pass.Z[l].noalias() = scale_[l - 1] * (input(pass, l) * layer(theta, l).transpose());
    Mat phi;
    if (pattern && pattern->size() && l >= lowest_trained_) {
      const Eigen::Map<const Mat> A(pattern->data() + surface_offset_[l - lowest_trained_], n, out_[l - 1]);
      phi = A.cwiseProduct(pass.Z[l]);
      if (derivatives) pass.D[l] = A;
    } else {
      activate(options_.activation, options_.beta, pass.Z[l], &phi, derivatives ? &pass.D[l] : nullptr);
    }
    pass.H[l] = with_ones(std::move(phi), options_.bias);
  }
  pass.out.noalias() = scale_[L - 1] * (input(pass, L) * layer(theta, L).transpose());
}

void Mlp::backward(const double* theta, const Pass& pass, Mat delta, double* g) const {
  // delta = ∂L/∂Z_l, from the output down to the lowest trained layer; ∂L/∂W_l = s_l deltaᵀ H_{l−1}.
  for (Index l = depth(); l >= lowest_trained_; --l) {
    if (trained(l))
      Eigen::Map<Mat>(g + offset_of_[l - 1], out_[l - 1], in_[l - 1]).noalias() =
          scale_[l - 1] * (delta.transpose() * input(pass, l));
    if (l > lowest_trained_) delta = back_step(theta, pass, l, delta);
  }
}

void Mlp::predict(const Vec& theta, Vec& f) const {
  Pass pass;
  forward(theta.data(), pass, false);
  f = Eigen::Map<const Vec>(pass.out.data(), pass.out.size());
}

void Mlp::gradient(const Vec& theta, const Vec& r, Vec& g) const {
  Pass pass;
  forward(theta.data(), pass, true);
  g.resize(num_params());
  backward(theta.data(), pass, Eigen::Map<const Mat>(r.data(), X_.rows(), outputs_), g.data());
}

void Mlp::residual_gradient(const Vec& theta, const Vec& y, double c, Vec& f, Vec& g) const {
  Pass pass;
  forward(theta.data(), pass, true);
  f = Eigen::Map<const Vec>(pass.out.data(), pass.out.size());
  g.resize(num_params());
  backward(theta.data(), pass, c * (pass.out - Eigen::Map<const Mat>(y.data(), X_.rows(), outputs_)), g.data());
}

std::vector<Mat> Mlp::tangents(const double* theta, const double* v, const Pass& pass) const {
  // dZ_l = s_l (dH_{l−1} W_lᵀ + H_{l−1} V_lᵀ), dH_l = [σ'(Z_l) ∘ dZ_l, 0].
  const Index L = depth(), n = X_.rows();
  std::vector<Mat> dZ(L + 1);
  Mat dH;  // empty while nothing upstream moves
  for (Index l = lowest_trained_; l <= L; ++l) {
    dZ[l] = Mat::Zero(n, out_[l - 1]);
    if (dH.size()) dZ[l].noalias() += dH * layer(theta, l).transpose();
    if (trained(l)) dZ[l].noalias() += input(pass, l) * layer(v, l).transpose();
    dZ[l] *= scale_[l - 1];
    if (l == L) break;
    dH = Mat::Zero(n, in_[l]);
    dH.leftCols(out_[l - 1]) = pass.D[l].cwiseProduct(dZ[l]);
  }
  return dZ;
}

void Mlp::jvp(const Vec& theta, const Vec& v, Vec& Jv) const {
  Pass pass;
  forward(theta.data(), pass, true);
  const Mat dZ = std::move(tangents(theta.data(), v.data(), pass).back());
  Jv = Eigen::Map<const Vec>(dZ.data(), dZ.size());
}

void Mlp::ntk(const Vec& theta, Mat& H) const {
  Pass pass;
  forward(theta.data(), pass, true);
  const Index L = depth(), n = X_.rows(), k = outputs_;
  std::vector<Mat> inner(L + 1);  // s_l² H_{l−1}H_{l−1}ᵀ of the trained layers
  for (Index l = 1; l <= L; ++l)
    if (trained(l)) inner[l] = scale_[l - 1] * scale_[l - 1] * (input(pass, l) * input(pass, l).transpose());
  // S[a][l] = ∂f_a/∂Z_l, one backward pass per output, down to the lowest trained layer.
  std::vector<std::vector<Mat>> S(k, std::vector<Mat>(L + 1));
  for (Index a = 0; a < k; ++a) {
    S[a][L] = Mat::Zero(n, k);
    S[a][L].col(a).setOnes();
    for (Index l = L; l > lowest_trained_; --l) S[a][l - 1] = back_step(theta.data(), pass, l, S[a][l]);
  }
  H.setZero(n * k, n * k);
  for (Index a = 0; a < k; ++a)
    for (Index b = 0; b <= a; ++b) {
      auto block = H.block(a * n, b * n, n, n);
      for (Index l = 1; l <= L; ++l)
        if (trained(l)) block.array() += inner[l].array() * (S[a][l] * S[b][l].transpose()).array();
      if (b != a) H.block(b * n, a * n, n, n) = block.transpose();
    }
}

std::vector<std::string> Mlp::diagnostic_columns() const {
  std::vector<std::string> cols;
  for (Index l = 1; l <= depth(); ++l)
    if (trained(l)) cols.push_back("dist_" + std::to_string(l));
  if (options_.activation == Activation::relu) cols.push_back("pattern_change");
  return cols;
}

void Mlp::diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const {
  std::size_t c = 0;
  for (Index l = 1; l <= depth(); ++l)
    if (trained(l)) {
      const auto W0 = layer(theta0.data(), l);
      const double norm0 = W0.norm();
      out[c++] = norm0 > 0 ? (layer(theta.data(), l) - W0).norm() / norm0 : (layer(theta.data(), l) - W0).norm();
    }
  if (options_.activation != Activation::relu) return;
  Pass now, start;
  forward(theta.data(), now, false);
  forward(theta0.data(), start, false);
  double changed = 0, pairs = 0;
  for (Index l = 1; l < depth(); ++l) {
    changed += ((now.Z[l].array() > 0.0) != (start.Z[l].array() > 0.0)).cast<double>().sum();
    pairs += static_cast<double>(now.Z[l].size());
  }
  out[c] = pairs > 0 ? changed / pairs : 0.0;
}

// ---- PiecewiseLinear: layer L−1 on fixed features (only when linear_surfaces_) -----------

void Mlp::preactivations(const double* theta, Mat& Z) const { Z.noalias() = features_ * unit_weights(theta).transpose(); }

void Mlp::preactivation_rates(const double*, const double* theta_dot, Mat& Zd) const {
  Zd.noalias() = features_ * unit_weights(theta_dot).transpose();
}

double Mlp::preactivation(const double* theta, Index i, Index r) const {
  return features_.row(i).dot(unit_weights(theta).row(r));
}

double Mlp::unit_gain(const double* theta, Index r) const { return scale_.back() * layer(theta, depth())(0, r); }

void Mlp::add_gain_gradient(const double*, Index r, double weight, double* g) const {
  if (trained(depth())) g[offset_of_.back() + r] += weight * scale_.back();  // W_L is 1 × in_L: entry r
}

void Mlp::pattern_predict(const double* theta, const Mat& Z, const Mat& A, Vec& f) const {
  const auto w = layer(theta, depth());
  const Index m = units();
  f.noalias() = scale_.back() * (A.cwiseProduct(Z) * w.row(0).head(m).transpose());
  if (options_.bias) f.array() += scale_.back() * w(0, m);
}

void Mlp::pattern_rate(const double* theta, const double* theta_dot, const Mat& Z, const Mat& Zd, const Mat& A,
                       Vec& fdot) const {
  // f = s ((A∘Z) w + b) with the output layer [w, b]: ḟ = s ((A∘Ż) w + (A∘Z) ẇ + ḃ), ẇ = ḃ = 0 when fixed.
  const auto w = layer(theta, depth());
  const Index m = units();
  fdot.noalias() = scale_.back() * (A.cwiseProduct(Zd) * w.row(0).head(m).transpose());
  if (!trained(depth())) return;
  const auto wd = layer(theta_dot, depth());
  fdot.noalias() += scale_.back() * (A.cwiseProduct(Z) * wd.row(0).head(m).transpose());
  if (options_.bias) fdot.array() += scale_.back() * wd(0, m);
}

void Mlp::pattern_gradient(const double* theta, const Mat& A, const Vec& y, double c, PatternWork& w,
                           double* g) const {
  const Index m = units();
  const double s = scale_.back();
  const auto out = layer(theta, depth());
  w.Z.noalias() = features_ * unit_weights(theta).transpose();
  w.Z.array() *= A.array();
  w.f.noalias() = s * (w.Z * out.row(0).head(m).transpose());
  if (options_.bias) w.f.array() += s * out(0, m);
  w.res = c * (w.f - y);
  pattern_backward(theta, A, w.Z, w.res, g);
}

void Mlp::pattern_backward(const double* theta, const Mat& A, const Vec& r, double* g) const {
  Mat AZ = features_ * unit_weights(theta).transpose();
  AZ.array() *= A.array();
  pattern_backward(theta, A, AZ, r, g);
}

void Mlp::pattern_backward(const double* theta, const Mat& A, const Mat& AZ, const Vec& r, double* g) const {
  const Index m = units();
  const double s = scale_.back();
  const auto out = layer(theta, depth());
  Mat M = A.array().colwise() * r.array();
  M.array().rowwise() *= (s * out.row(0).head(m)).array();
  Eigen::Map<Mat>(g, m, unit_dim()).noalias() = M.transpose() * features_;
  if (trained(depth())) {
    double* go = g + offset_of_.back();
    Eigen::Map<Vec>(go, m).noalias() = s * (AZ.transpose() * r);
    if (options_.bias) go[m] = s * r.sum();
  }
}

// ---- SwitchingSurfaces: every hidden unit from the lowest trained layer up ----------------

void Mlp::surface_values(const double* theta, const Vec& A, Vec& z, Vec* scale) const {
  Pass pass;
  forward(theta, pass, false, &A);
  z.resize(surfaces());
  if (scale) scale->resize(surfaces());
  for (Index l = lowest_trained_; l < depth(); ++l) {
    const Index off = surface_offset_[l - lowest_trained_], size = pass.Z[l].size();
    z.segment(off, size) = Eigen::Map<const Vec>(pass.Z[l].data(), size);
    if (scale) {
      const Vec h = input(pass, l).rowwise().norm(), w = layer(theta, l).rowwise().norm();
      Eigen::Map<Mat>(scale->data() + off, X_.rows(), out_[l - 1]).noalias() = scale_[l - 1] * h * w.transpose();
    }
  }
}

void Mlp::surface_rates(const double* theta, const double* theta_dot, const Vec& A, Vec& zd) const {
  Pass pass;
  forward(theta, pass, true, &A);
  const std::vector<Mat> dZ = tangents(theta, theta_dot, pass);
  zd.resize(surfaces());
  for (Index l = lowest_trained_; l < depth(); ++l)
    zd.segment(surface_offset_[l - lowest_trained_], dZ[l].size()) = Eigen::Map<const Vec>(dZ[l].data(), dZ[l].size());
}

Mlp::Unit Mlp::pair_unit(Index k) const {
  const Index n = X_.rows();
  Index l = lowest_trained_;
  while (k >= surface_offset_[l - lowest_trained_ + 1]) ++l;
  const Index pair = k - surface_offset_[l - lowest_trained_];
  return {l, pair % n, pair / n};
}

std::vector<Mlp::Unit> Mlp::pair_units(const std::vector<Index>& pairs, Index& top, Index& bottom) const {
  std::vector<Unit> at;
  top = lowest_trained_;
  bottom = depth();
  for (const Index k : pairs) {
    at.push_back(pair_unit(k));
    top = std::max(top, at.back().layer);
    bottom = std::min(bottom, at.back().layer);
  }
  return at;
}

double Mlp::surface_value(const double* theta, const Vec& A, Index k) const {
  const Index n = X_.rows();
  const auto [l, i, j] = pair_unit(k);
  // Sample i's pass up to layer l, then unit j alone.
  Eigen::RowVectorXd h = X_.row(i);
  for (Index m = 1; m < l; ++m) {
    Eigen::RowVectorXd zm = scale_[m - 1] * (h * layer(theta, m).transpose());
    if (A.size() && m >= lowest_trained_) {
      const Index off = surface_offset_[m - lowest_trained_];
      for (Index u = 0; u < zm.size(); ++u) zm(u) *= A(off + i + n * u);
    } else {
      zm = zm.cwiseMax(0.0);  // surfaces exist only for ReLU
    }
    h.resize(in_[m]);
    h.head(out_[m - 1]) = zm;
    if (options_.bias) h(in_[m] - 1) = 1.0;
  }
  return scale_[l - 1] * h.dot(layer(theta, l).row(j));
}

void Mlp::pattern_gradient(const double* theta, const Vec& A, const Vec& y, double c, double* g) const {
  Pass pass;
  forward(theta, pass, true, &A);
  backward(theta, pass, c * (pass.out - Eigen::Map<const Mat>(y.data(), X_.rows(), outputs_)), g);
}

void Mlp::surface_gram(const double* theta, const Vec& A, const std::vector<Index>& pairs, Mat& G) const {
  const Index s = static_cast<Index>(pairs.size());
  G = Mat::Zero(s, s);
  if (s == 0) return;
  Pass pass;
  forward(theta, pass, true, &A);
  Index top = 0, bottom = 0;
  const std::vector<Unit> at = pair_units(pairs, top, bottom);
  // Row q of Delta is ∂z_q/∂Z_m at pair q's own sample; n_q·n_p sums, over the trained layers
  // below both, s_m² (Delta_q · Delta_p)(h_{m−1,i_q} · h_{m−1,i_p}) (the NTK's factorisation).
  Mat Delta = Mat::Zero(s, out_[top - 1]), Hs;
  for (Index m = top; m >= lowest_trained_; --m) {
    for (Index q = 0; q < s; ++q)
      if (at[q].layer == m) Delta(q, at[q].unit) = 1.0;
    if (trained(m)) {
      Hs.resize(s, in_[m - 1]);
      for (Index q = 0; q < s; ++q) Hs.row(q) = input(pass, m).row(at[q].sample);
      G.noalias() += (scale_[m - 1] * scale_[m - 1]) * (Delta * Delta.transpose()).cwiseProduct(Hs * Hs.transpose());
    }
    if (m == lowest_trained_) break;
    Mat below = scale_[m - 1] * (Delta * layer(theta, m).leftCols(out_[m - 2]));
    for (Index q = 0; q < s; ++q) below.row(q).array() *= pass.D[m - 1].row(at[q].sample).array();
    Delta = std::move(below);
  }
}

void Mlp::add_surface_normals(const double* theta, const Vec& A, const std::vector<Index>& pairs, const Vec& beta,
                              double* g) const {
  if (pairs.empty()) return;
  Pass pass;
  forward(theta, pass, true, &A);
  Index top = 0, bottom = 0;
  const std::vector<Unit> at = pair_units(pairs, top, bottom);
  // One backward pass from the surface layers down, each pair's β seeded at its own unit.
  Mat delta = Mat::Zero(X_.rows(), out_[top - 1]);
  for (Index m = top; m >= lowest_trained_; --m) {
    for (std::size_t q = 0; q < at.size(); ++q)
      if (at[q].layer == m) delta(at[q].sample, at[q].unit) += beta(static_cast<Index>(q));
    if (trained(m))
      Eigen::Map<Mat>(g + offset_of_[m - 1], out_[m - 1], in_[m - 1]).noalias() +=
          scale_[m - 1] * (delta.transpose() * input(pass, m));
    if (m > lowest_trained_) delta = back_step(theta, pass, m, delta);
  }
}

void Mlp::unit_sensitivities(const double* theta, const Vec& A, const Vec& y, double c, const std::vector<Index>& pairs,
                             const Vec* beta, Vec& u) const {
  u.resize(static_cast<Index>(pairs.size()));
  if (pairs.empty()) return;
  Pass pass;
  forward(theta, pass, true, &A);
  Index top = 0, bottom = 0;
  const std::vector<Unit> at = pair_units(pairs, top, bottom);
  Mat delta = c * (pass.out - Eigen::Map<const Mat>(y.data(), X_.rows(), outputs_));
  for (Index m = depth(); m > bottom; --m) {
    const Mat dH = scale_[m - 1] * (delta * layer(theta, m).leftCols(out_[m - 2]));  // ∂L/∂H_{m−1}
    delta = dH.cwiseProduct(pass.D[m - 1]);
    for (std::size_t q = 0; q < at.size(); ++q)
      if (at[q].layer == m - 1) {
        u(static_cast<Index>(q)) = dH(at[q].sample, at[q].unit);
        if (beta) delta(at[q].sample, at[q].unit) = (*beta)(static_cast<Index>(q));  // u_k α_k
      }
  }
}

// ---- initialisation and the infinite-width kernel ----------------------------------------

std::vector<Mat> draw_mlp(Index d, Index outputs, const MlpOptions& options, double scale, Rng& rng) {
  const auto shapes = mlp_layer_shapes(d, outputs, options);
  const double g = std::sqrt(mlp_c_sigma(options));
  std::vector<Mat> layers;
  for (Index l = 1; l <= static_cast<Index>(shapes.size()); ++l) {
    const auto [out, in] = shapes[l - 1];
    Mat W(out, in);
    for (Index j = 0; j < W.cols(); ++j)
      for (Index i = 0; i < W.rows(); ++i) W(i, j) = rng.normal();
    double std = scale;
    if (options.parametrisation == Parametrisation::standard) std *= (l == 1 ? 1.0 : g) / std::sqrt(static_cast<double>(in));
    layers.push_back(std * W);
  }
  return layers;
}

namespace {

/// E σ(u)σ(v) and E σ'(u)σ'(v) for (u, v) ~ N(0, [[a, c], [c, b]]).
struct GaussianPair {
  Activation activation;
  double beta;
  Vec nodes;
  Mat weights;  ///< the product rule's weights w_i w_j

  void moments(double a, double b, double c, double& phi, double& dphi) const {
    const double sa = std::sqrt(std::max(a, 0.0)), sb = std::sqrt(std::max(b, 0.0));
    const double rho = sa > 0 && sb > 0 ? std::clamp(c / (sa * sb), -1.0, 1.0) : 0.0;
    if (activation == Activation::identity) {
      phi = c;
      dphi = 1.0;
      return;
    }
    if (activation == Activation::relu) {  // arc-cosine kernels of degree 1 and 0
      const double theta = std::acos(rho);
      phi = sa * sb * (std::sqrt(1 - rho * rho) + (std::numbers::pi - theta) * rho) / (2 * std::numbers::pi);
      dphi = (std::numbers::pi - theta) / (2 * std::numbers::pi);
      return;
    }
    // u = √a g1, v = √b (ρ g1 + √(1−ρ²) g2): a product Gauss–Hermite rule.
    const Index q = nodes.size();
    Mat U(q, q), V(q, q);
    const double r2 = std::sqrt(std::max(0.0, 1 - rho * rho));
    for (Index i = 0; i < q; ++i)
      for (Index j = 0; j < q; ++j) {
        U(i, j) = sa * nodes(i);
        V(i, j) = sb * (rho * nodes(i) + r2 * nodes(j));
      }
    Mat pu, du, pv, dv;
    activate(activation, beta, U, &pu, &du);
    activate(activation, beta, V, &pv, &dv);
    phi = (weights.array() * pu.array() * pv.array()).sum();
    dphi = (weights.array() * du.array() * dv.array()).sum();
  }
};

}  // namespace

Mat mlp_ntk_infinite(const Mat& X, Index outputs, const MlpOptions& options, double scale) {
  const Index n = X.rows(), L = static_cast<Index>(options.hidden.size()) + 1;
  const std::vector<bool> trained = options.trained.empty() ? std::vector<bool>(L, true) : options.trained;
  const double g2 = mlp_c_sigma(options);
  const double s2 = scale * scale;
  GaussianPair pair{options.activation, options.beta, {}, {}};
  if (options.activation == Activation::tanh || options.activation == Activation::softplus) {
    Vec w;
    gauss_hermite(80, pair.nodes, w);  // tanh's poles at ±iπ/2 slow Gauss–Hermite down
    pair.weights = w * w.transpose();
  }
  // Σ_l and Σ̇_l for l = 1 … L (Σ̇_l taken under Σ_l, for the units of layer l).
  const Mat Xt = with_ones(X, options.bias);
  std::vector<Mat> Sigma(L + 1), Dot(L + 1);
  Sigma[1] = s2 * (Xt * Xt.transpose()) / static_cast<double>(Xt.cols());
  for (Index l = 1; l < L; ++l) {
    Mat next(n, n), dot(n, n);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j <= i; ++j) {
        double phi, dphi;
        pair.moments(Sigma[l](i, i), Sigma[l](j, j), Sigma[l](i, j), phi, dphi);
        next(i, j) = next(j, i) = g2 * s2 * phi;
        dot(i, j) = dot(j, i) = dphi;
      }
    Sigma[l + 1] = std::move(next);
    Dot[l] = std::move(dot);
  }
  Mat Theta = Mat::Zero(n, n), P = Mat::Ones(n, n);  // P = Π_{j>l} c_σ s² Σ̇_{j−1}, built downward
  for (Index l = L; l >= 1; --l) {
    if (trained[l - 1]) Theta.array() += (Sigma[l] / s2).array() * P.array();
    if (l > 1) P.array() *= g2 * s2 * Dot[l - 1].array();
  }
  Mat H = Mat::Zero(n * outputs, n * outputs);
  for (Index a = 0; a < outputs; ++a) H.block(a * n, a * n, n, n) = Theta;
  return H;
}

}  // namespace gradflow
