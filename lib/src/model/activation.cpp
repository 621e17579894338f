#include "gradflow/model/activation.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>

#include "gradflow/core/simd_math.hpp"

namespace gradflow {

Activation activation_from_name(const std::string& name) {
  if (name == "tanh") return Activation::tanh;
  if (name == "softplus") return Activation::softplus;
  if (name == "identity") return Activation::identity;
  return Activation::relu;
}

void activate(Activation activation, double beta, const Mat& Z, Mat* phi, Mat* dphi) {
  const Index N = Z.size();
  const double* z = Z.data();
  switch (activation) {
    case Activation::relu:
      if (phi) *phi = Z.cwiseMax(0.0);
      if (dphi) *dphi = (Z.array() > 0.0).cast<double>();
      break;
    case Activation::identity:
      if (phi) *phi = Z;
      if (dphi) dphi->setOnes(Z.rows(), Z.cols());
      break;
    case Activation::tanh: {
      if (!phi && !dphi) break;
      Mat T(Z.rows(), Z.cols());
      simd::tanh(z, T.data(), N);
      if (dphi) *dphi = 1.0 - T.array().square();
      if (phi) *phi = std::move(T);
      break;
    }
    case Activation::softplus: {
      if (phi) {
        phi->resize(Z.rows(), Z.cols());
        double* p = phi->data();
#pragma omp simd
        for (Index k = 0; k < N; ++k) p[k] = simd::softplus(z[k], beta);
      }
      if (dphi) {
        dphi->resize(Z.rows(), Z.cols());
        double* q = dphi->data();
#pragma omp simd
        for (Index k = 0; k < N; ++k) q[k] = simd::logistic(beta * z[k]);
      }
      break;
    }
  }
}

void gauss_hermite(int order, Vec& nodes, Vec& weights) {
  // Probabilists' Hermite polynomials: x He_k = He_{k+1} + k He_{k−1}, so the Jacobi matrix
  // has zero diagonal and off-diagonal √k; weights are the squared first eigenvector entries.
  Mat J = Mat::Zero(order, order);
  for (int k = 1; k < order; ++k) J(k, k - 1) = J(k - 1, k) = std::sqrt(static_cast<double>(k));
  const Eigen::SelfAdjointEigenSolver<Mat> es(J);
  nodes = es.eigenvalues();
  weights = es.eigenvectors().row(0).transpose().array().square();
}

double gaussian_second_moment(Activation activation, double beta) {
  if (activation == Activation::relu) return 0.5;
  if (activation == Activation::identity) return 1.0;
  Vec g, w;
  gauss_hermite(96, g, w);
  Mat Z = g, phi;
  activate(activation, beta, Z, &phi, nullptr);
  return w.dot(phi.col(0).cwiseAbs2());
}

}  // namespace gradflow
