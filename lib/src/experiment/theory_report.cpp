#include "gradflow/experiment/run_report.hpp"
#include "gradflow/core/types.hpp"
#include "gradflow/experiment/theory_report.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "gradflow/experiment/problem.hpp"
#include "gradflow/theory/lyapunov.hpp"

namespace gradflow {
namespace {



double lambda_max_sym(const Mat& H) {
  Eigen::SelfAdjointEigenSolver<Mat> es(H, Eigen::EigenvaluesOnly);
  return es.eigenvalues().maxCoeff();
}

}  // namespace

nlohmann::json theory_report(const Experiment& e, const TheoryOptions& opt) {
  const Problem problem(e);
  const double c = problem.c();
  const Vec& delta0 = problem.delta0();

  nlohmann::json j = provenance(e);
  j["model_kind"] = e.model.kind;
  j["data_name"] = problem.data().name;
  j["loss_scale_c"] = c;
  j["n"] = problem.data().n();
  j["d"] = problem.data().d();
  j["k"] = problem.data().k();
  j["num_params"] = problem.model().num_params();
  j["width"] = e.model.params.has("width") ? e.model.params.integer("width") : 0;
  j["delta"] = opt.delta;
  j["loss0"] = problem.loss0();
  // The pseudo-loss and the rate bounds below are those of the squared loss's linear error
  // dynamics; for an ℓp loss with p ≠ 2 they are left out rather than reported wrongly.
  const bool quadratic = e.loss.quadratic();
  if (const auto& H = problem.H0()) {
    j["lambda_min_H0"] = finite_or_null(problem.lambda_min_h0());
    j["lambda_max_H0"] = finite_or_null(lambda_max_sym(*H));
    if (quadratic) j["pseudo_loss0"] = 0.5 * c * delta0.dot(*H * delta0);
  }
  j["lambda0"] = finite_or_null(problem.lambda0());
  j["lambda0_source"] = problem.lambda0_source();
  if (const auto& theory = e.model.descriptor().theory) theory(problem, e.model.params, opt.delta, j);

  // Bound constants of the flows (MATH.md §4), with the effective λ0 of K = cH.
  const double lambda0 = problem.lambda0();
  if (quadratic && std::isfinite(lambda0) && lambda0 > 0) {
    const double l0 = c * lambda0;
    j["gf_rate_bound"] = l0;
    j["hbf_damping"] = hbf_damping(l0);
    j["hbf_rate_bound"] = std::sqrt(l0 / 2);
    j["hbf_prefactor"] = 4.0 / l0;
    for (const auto& m : e.methods)
      if (const auto& theory = m.descriptor().theory) theory(problem, m, opt.delta, j["methods"][m.name]);
  }
  return j;
}

std::string theory_text(const nlohmann::json& r) {
  std::ostringstream s;
  std::set<std::string> shown{"seed", "loss_p", "loss_scale_c"};  // the header and provenance say these
  auto line = [&](const char* key, const char* what) {
    shown.insert(key);
    if (!r.contains(key) || r[key].is_null()) return;
    char buf[256];
    if (r[key].is_number())
      std::snprintf(buf, sizeof buf, "  %-22s %14.6g   %s\n", key, r[key].get<double>(), what);
    else
      std::snprintf(buf, sizeof buf, "  %-22s %14s   %s\n", key, r[key].dump().c_str(), what);
    s << buf;
  };
  s << "gradflow theory | " << r.value("model_kind", "") << " on " << r.value("data_name", "") << " ("
    << r.value("loss_reduction", "") << " loss, c = " << r.value("loss_scale_c", 1.0) << ")\n";
  if (r.value("loss_kind", "squared") == "lp" && r.value("loss_p", 2.0) != 2.0)
    s << "  (lp loss with p = " << r.value("loss_p", 2.0) << ": the squared loss's pseudo-loss and rate bounds do not apply)\n";
  line("n", "samples");
  line("d", "input dimension");
  line("k", "outputs");
  line("width", "hidden width in the file");
  line("num_params", "P");
  line("loss0", "L(0)");
  line("pseudo_loss0", "pseudo-loss L^(0) = 1/2 D0' cH0 D0");
  line("lambda_min_H0", "lambda_min(H(theta0))");
  line("lambda_max_H0", "lambda_max(H(theta0))");
  line("lambda0", "lambda0 of the theory (see lambda0_source)");
  line("lambda0_source", "");
  line("H_inf_lambda_max", "lambda_max(H_inf)");
  line("H_inf_diag_mean", "mean diagonal of H_inf (relu2 on unit inputs: 1/2)");
  line("width_required_du", "Du et al.: m = n^6/(lambda0^4 delta^3), Omega-constant 1");
  line("width_required_bu_hbf", "Bu et al. HBF: same order");
  line("width_ratio_du", "file width / required width");
  line("delta", "failure probability delta used above");
  line("K_a_lambda_min", "lambda_min(K^(a)) (outer-layer kernel)");
  line("K_w_lambda_min", "lambda_min(K^(w)) (hidden-layer kernel)");
  line("lambda_S", "lambda_min(K^(a) + K^(w)) (Yang)");
  line("yang_rate", "c * lambda_S: R_S(t) <= exp(-c lambda_S t) R_S(0)");
  line("gf_rate_bound", "GF: L(t) <= exp(-c lambda0 t) L(0)");
  line("hbf_damping", "HBF damping sqrt(2 c lambda0) (Bu et al.)");
  line("hbf_rate_bound", "HBF rate sqrt(c lambda0 / 2)");
  line("hbf_prefactor", "HBF: L(t) <= (4/(c lambda0)) exp(-rate t) L^(0)");
  line("sigma_min_X", "Xu: sigma_min(X)");
  line("sigma_max_X", "Xu: sigma_max(X)");
  line("kappa_X", "Xu: kappa = (sigma_max/sigma_min)^2");
  line("alpha0", "Xu: alpha0 = alpha(D(0), p1)");
  line("beta0", "Xu: beta0 = beta(D(0), p2)");
  line("p1", "Xu: lower bound on sigma_min(W(t))");
  line("p2", "Xu: upper bound on sigma_max(W(t))");
  line("a1", "Xu: f(eta,0) = 1 - a1 eta + a2 eta^2 + a3 eta^3 + a4 eta^4");
  line("a2", "");
  line("a3", "");
  line("a4", "");
  line("eta_max_1", "Xu eq. (24) eta1");
  line("eta_max_2", "Xu eq. (24) eta2");
  line("eta_max", "min(eta1, eta2)");
  line("eta_star", "argmin_{0<eta<=eta_max} f(eta, 0)");
  line("xu_rate", "f(eta*, 0): L(t) <= f^t L(0)");
  line("xu_asymptotic_rate", "min_eta f(eta, inf)");
  line("xu_note", "");
  line("loss_star", "least-squares minimum of the loss (linear models)");
  // A model kind's own numbers (its theory hook) that the list above does not describe.
  for (const auto& [key, value] : r.items())
    if (value.is_number() && !shown.count(key)) line(key.c_str(), "(model kind)");
  if (r.contains("methods"))
    for (const auto& [name, m] : r["methods"].items()) s << "  method " << name << ": " << m.dump() << "\n";
  return s.str();
}

}  // namespace gradflow
