#pragma once
// Elementwise activations σ of the networks, with σ' and the Gaussian moments that the
// infinite-width kernels and the variance-preserving scale c_σ need.
#include <string>

#include "gradflow/core/types.hpp"

namespace gradflow {

enum class Activation { relu, tanh, softplus, identity };

/// "relu", "tanh", "softplus" or "identity" (the caller has checked the name).
Activation activation_from_name(const std::string& name);

/// σ(Z) and σ'(Z) elementwise, either may be null; softplus is log(1 + e^{βz})/β.
void activate(Activation activation, double beta, const Mat& Z, Mat* phi, Mat* dphi);

/// E σ(g)² for g ~ N(0, 1): c_σ = 1/E σ(g)² keeps the forward pass's scale layer to layer
/// (Du et al.'s deep nets; relu 1/2, identity 1, tanh and softplus by quadrature).
double gaussian_second_moment(Activation activation, double beta);

/// Gauss–Hermite rule for E h(g), g ~ N(0, 1): nodes and weights (Golub–Welsch), weights sum to 1.
void gauss_hermite(int order, Vec& nodes, Vec& weights);

}  // namespace gradflow
