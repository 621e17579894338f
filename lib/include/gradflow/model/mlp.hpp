#pragma once
// L-layer fully connected network (seed 003's W_L ∘ ϱ ∘ … ∘ ϱ ∘ W_1), k outputs:
//   H_0 = X̃,  Z_l = s_l H_{l−1} W_lᵀ,  H_l = [σ(Z_l), 1̃]  (l < L),  f = vec(Z_L)  (n×k).
// W_l is out_l × in_l with rows the units' incoming weights; X̃ and 1̃ are X and σ(Z_l) with
// a column of ones appended when `bias` is set (seed 003: x ↦ (x, 1), W ↦ [W b; 0 1]).
// Parametrisations (docs/theory.md §8), with g_l = √c_σ on the layers fed by activations
// (l ≥ 2) when `normalise` (Du et al.'s x^(h) = √(c_σ/m) σ(W x^(h−1))), else 1:
//   ntk         s_l = g_l/√in_l, weights N(0, scale²)
//   standard    s_l = 1, weights N(0, g_l² scale²/in_l): the ntk net's function, not its flow
//   mean_field  as ntk, but the output layer has s_L = g_L/in_L
// With ‖x‖² = in_1 and scale 1, every preactivation is N(0, 1) at init (c_σ's definition).
// θ holds the trained layers only, in order, each vec(W_l) column-major; the others are fixed.
// gradient = one backward pass, jvp one forward tangent pass, and the NTK
//   H[(i,a),(j,b)] = Σ_{l trained} s_l² (H_{l−1}H_{l−1}ᵀ)_ij (S_l^a S_l^bᵀ)_ij,
// with S_l^a = ∂f_a/∂Z_l (n×out_l) backpropagated from the output: never an n×P Jacobian.
#include <utility>
#include <vector>

#include "gradflow/core/rng.hpp"
#include "gradflow/model/activation.hpp"
#include "gradflow/model/model.hpp"
#include "gradflow/model/piecewise_linear.hpp"
#include "gradflow/model/switching_surfaces.hpp"

namespace gradflow {

enum class Parametrisation { ntk, standard, mean_field };

struct MlpOptions {
  std::vector<Index> hidden{256, 256};  ///< h_1 … h_{L−1}
  Activation activation = Activation::relu;
  double beta = 1.0;                    ///< softplus sharpness
  Parametrisation parametrisation = Parametrisation::ntk;
  bool normalise = true;                ///< hidden layers carry √c_σ, c_σ = 1/E σ(g)²
  bool bias = false;
  std::vector<bool> trained;            ///< per layer 1 … L (empty: all)
};

/// With ReLU and only layers L−1 and L trained, z of the last hidden layer is linear in θ
/// (its inputs are fixed features): as_piecewise_linear() is then the two-layer view the
/// switching integrators use (one output: its gain is one number per unit). Training a lower
/// layer curves the surfaces of every unit above it; the model then offers only the general
/// SwitchingSurfaces view (every hidden unit from the lowest trained layer up), which the
/// second-order flows cross event by event (docs/switching.md).
class Mlp final : public Model, public PiecewiseLinear, public SwitchingSurfaces {
 public:
  /// Layer l's weights `layers[l−1]` (out_l × in_l) at θ0; the trained ones go into theta0().
  Mlp(Mat X, Index outputs, MlpOptions options, std::vector<Mat> layers);

  std::string kind() const override { return "mlp"; }
  Index num_params() const override { return offsets_.back(); }
  Index num_outputs() const override { return X_.rows() * outputs_; }

  void predict(const Vec& theta, Vec& f) const override;
  void gradient(const Vec& theta, const Vec& r, Vec& g) const override;
  void jvp(const Vec& theta, const Vec& v, Vec& Jv) const override;
  void ntk(const Vec& theta, Mat& H) const override;
  void residual_gradient(const Vec& theta, const Vec& y, double c, Vec& f, Vec& g) const override;

  const PiecewiseLinear* as_piecewise_linear() const override { return two_layer_view_ ? this : nullptr; }
  const SwitchingSurfaces* as_switching_surfaces() const override { return surfaces_ ? this : nullptr; }
  bool piecewise_linear() const override { return surfaces_; }

  /// dist_l = ‖W_l − W_l(0)‖_F / ‖W_l(0)‖_F per trained layer; with ReLU, pattern_change,
  /// the fraction of (sample, hidden unit) pairs whose activation differs from θ0's.
  std::vector<std::string> diagnostic_columns() const override;
  void diagnostics(const Vec& theta, const Vec& theta0, std::span<double> out) const override;

  Index depth() const { return static_cast<Index>(out_.size()); }  ///< L
  bool trained(Index l) const { return offset_of_[l - 1] >= 0; }
  double layer_scale(Index l) const { return scale_[l - 1]; }       ///< s_l
  /// θ0: the trained layers of the constructor's weights.
  const Vec& theta0() const { return theta0_; }
  /// W_l at θ (out_l × in_l).
  Eigen::Map<const Mat> layer(const double* theta, Index l) const;

  // PiecewiseLinear (only when as_piecewise_linear() is this): the units of layer L−1.
  Index samples() const override { return X_.rows(); }
  Index units() const override { return out_[depth() - 2]; }
  Index unit_dim() const override { return in_[depth() - 2]; }
  void preactivations(const double* theta, Mat& Z) const override;
  void preactivation_rates(const double* theta, const double* theta_dot, Mat& Zd) const override;
  double preactivation(const double* theta, Index i, Index r) const override;
  void pattern_predict(const double* theta, const Mat& Z, const Mat& A, Vec& f) const override;
  void pattern_rate(const double* theta, const double* theta_dot, const Mat& Z, const Mat& Zd, const Mat& A,
                    Vec& fdot) const override;
  void pattern_gradient(const double* theta, const Mat& A, const Vec& y, double c, PatternWork& w,
                        double* g) const override;
  void pattern_backward(const double* theta, const Mat& A, const Vec& r, double* g) const override;
  const Mat& unit_inputs() const override { return features_; }
  Eigen::Map<const Mat> unit_weights(const double* theta) const override { return {theta, units(), unit_dim()}; }
  Eigen::Map<Mat> unit_weights(double* theta) const override { return {theta, units(), unit_dim()}; }
  double unit_gain(const double* theta, Index r) const override;
  void add_gain_gradient(const double* theta, Index r, double weight, double* g) const override;

  // SwitchingSurfaces (when piecewise_linear()): pairs of layers l = lowest trained … L−1, each
  // an n × out_l block, column-major, in layer order.
  Index surfaces() const override { return surface_offset_.back(); }
  void surface_values(const double* theta, const Vec& A, Vec& z, Vec* scale) const override;
  void surface_rates(const double* theta, const double* theta_dot, const Vec& A, Vec& zd) const override;
  double surface_value(const double* theta, const Vec& A, Index k) const override;
  void pattern_gradient(const double* theta, const Vec& A, const Vec& y, double c, double* g) const override;
  void surface_gram(const double* theta, const Vec& A, const std::vector<Index>& pairs, Mat& G) const override;
  void add_surface_normals(const double* theta, const Vec& A, const std::vector<Index>& pairs, const Vec& beta,
                           double* g) const override;
  void unit_sensitivities(const double* theta, const Vec& A, const Vec& y, double c, const std::vector<Index>& pairs,
                          const Vec* beta, Vec& u) const override;

 private:
  /// The backward half of pattern_gradient: g = J_Aᵀ r, from AZ = A∘Z.
  void pattern_backward(const double* theta, const Mat& A, const Mat& AZ, const Vec& r, double* g) const;
  struct Unit {
    Index layer, sample, unit;
  };
  /// Pair k's (layer, sample, unit).
  Unit pair_unit(Index k) const;
  /// The listed pairs' units, and the highest and lowest of their layers.
  std::vector<Unit> pair_units(const std::vector<Index>& pairs, Index& top, Index& bottom) const;
  struct Pass;  // a forward pass's activations (mlp.cpp)
  /// With a pattern (SwitchingSurfaces), the surface layers use A∘Z and A instead of σ and σ'.
  void forward(const double* theta, Pass& pass, bool derivatives, const Vec* pattern = nullptr) const;
  /// The forward tangents dZ_l along v, l = 1 … L (empty below the lowest trained layer).
  std::vector<Mat> tangents(const double* theta, const double* v, const Pass& pass) const;
  /// g = Jᵀ vec(R) from a forward pass (R n×k).
  void backward(const double* theta, const Pass& pass, Mat R, double* g) const;
  /// The input of layer l: X̃ for l = 1, else the pass's H_{l−1}.
  const Mat& input(const Pass& pass, Index l) const;
  /// ∂/∂Z_{l−1} from ∂/∂Z_l: (s_l delta W_l)_{:, 1:h} ∘ σ'(Z_{l−1}).
  Mat back_step(const double* theta, const Pass& pass, Index l, const Mat& delta) const;

  Mat X_;          ///< X̃
  Index outputs_;
  MlpOptions options_;
  std::vector<Mat> fixed_;      ///< W_l of the untrained layers (empty for trained ones)
  std::vector<Index> in_, out_, offset_of_, offsets_;
  std::vector<double> scale_;
  Vec theta0_;
  Index lowest_trained_ = 1;
  bool surfaces_ = false;        ///< ReLU with a trained layer below the output
  bool two_layer_view_ = false;  ///< ... and flat: lowest trained layer L−1, one output
  Mat features_;  ///< s_{L−1} H_{L−2}: the fixed inputs of layer L−1 (two-layer view)
  std::vector<Index> surface_offset_{0};  ///< where layer lowest_trained_ + j starts among the pairs
};

/// c_σ = 1/E σ(g)² with `normalise`, else 1.
double mlp_c_sigma(const MlpOptions& options);

/// (out_l, in_l) of layers 1 … L on d inputs (in_l counts the bias's column of ones).
std::vector<std::pair<Index, Index>> mlp_layer_shapes(Index d, Index outputs, const MlpOptions& options);

/// The layers of an mlp at θ0: W_l with N(0, 1) entries times the parametrisation's standard
/// deviation (see above) and `scale`, drawn layer by layer.
std::vector<Mat> draw_mlp(Index d, Index outputs, const MlpOptions& options, double scale, Rng& rng);

/// The infinite-width NTK of an ntk-parametrised mlp with weights N(0, scale²) (docs/theory.md §8),
/// I_k ⊗ Θ (nk × nk): Σ_1 = scale² X̃X̃ᵀ/in_1, Σ_l = c_σ scale² E σ(u)σ(v) over (u, v) ~ N(0, Σ_{l−1}),
/// Σ̇_l = E σ'(u)σ'(v) over N(0, Σ_l); Θ = Σ_{l trained} (Σ_l/scale²) Π_{j>l} c_σ scale² Σ̇_{j−1}
/// (c_σ = 1 without `normalise`; the bias's 1/in_l vanishes in the limit for l ≥ 2).
/// ReLU by the arc-cosine closed forms, tanh and softplus by Gauss–Hermite quadrature.
Mat mlp_ntk_infinite(const Mat& X, Index outputs, const MlpOptions& options, double scale);

}  // namespace gradflow
