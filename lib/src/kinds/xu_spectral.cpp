// GD on the linear models with the fixed step 2/(K β0 + μ α0) from the spectrum at
// initialisation (theory/xu.hpp, xu_spectral_step): the step behind the slide's init table
// (issue 16), beside the theorem's η* of gd_xu_fixed.
#include <cmath>

#include "families.hpp"
#include "gradflow/core/error.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/model/linear.hpp"
#include "gradflow/model/linear2.hpp"
#include "gradflow/theory/xu.hpp"

namespace gradflow {
namespace {

/// The step of the problem's model at θ0 (linear2 or linear, sum loss); input_error otherwise.
XuSpectralStep spectral_of(const Problem& problem, const std::string& where) {
  if (problem.experiment().reduction != Reduction::sum)
    throw input_error(where + ": gd_xu_spectral needs the sum loss");
  if (const auto* one = dynamic_cast<const Linear*>(&problem.model())) return xu_spectral_step(one->inputs());
  const auto* lin = dynamic_cast<const Linear2*>(&problem.model());
  if (!lin || lin->kind() != "linear2") throw input_error(where + ": gd_xu_spectral needs model.kind = linear2 or linear");
  return xu_spectral_step(lin->inputs(), lin->W1(problem.theta0()), lin->W2(problem.theta0()));
}

const Registration<MethodKind> gd_xu_spectral{{
    .name = "gd_xu_spectral",
    .summary = "linear2 (or linear): GD with the fixed step 2/(K beta0 + mu alpha0), alpha0, beta0 = "
               "lambda_min, lambda_max of tau at initialisation (linear: 2/(K + mu))",
    .space = Space::discrete,
    .twins = {"gf"},
    .time_unit = [](double eta) { return eta; },
    .step_from_theory = true,
    .squared_loss_only = "its step 2/(K beta0 + mu alpha0) is derived for the squared loss",
    .keys = {{"eta", KeyType::number, 1.0, "the time unit only, t = k eta (the step is 2/(K beta0 + mu alpha0))"}},
    .default_name = [](const Params& p) { return with_eta("gd_xu_spectral", p); },
    .validate =
        [](const Params& p, const std::string& prefix) {
          if (!(p.number("eta") > 0) || !std::isfinite(p.number("eta"))) throw input_error(prefix + "eta: must be positive");
        },
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const XuSpectralStep s = spectral_of(ctx.problem(), ctx.key("kind"));
          ctx.resolved["eta_spectral"] = s.eta;
          ctx.resolved["tau_min0"] = s.tau_min;
          ctx.resolved["tau_max0"] = s.tau_max;
          ctx.resolved["contraction"] = s.contraction;
          return [objective = &ctx.problem().objective(), eta = s.eta](MethodContext& c) {
            c.iterate_on_weights([objective, eta, g = Vec()](long, Vec& theta) mutable {
              objective->value_gradient(theta, g);
              theta -= eta * g;
            }, c.spec().eta(), false);
          };
        },
    .theory =
        [](const Problem& problem, const MethodSpec& spec, double, nlohmann::json& j) {
          try {
            const XuSpectralStep s = spectral_of(problem, "methods." + spec.name);
            j["eta"] = s.eta;  // replaces the model's η* entry: this kind's step is its own
            j["eta_spectral"] = s.eta;
            j["tau_min0"] = s.tau_min;
            j["tau_max0"] = s.tau_max;
            j["spectral_contraction"] = s.contraction;
            j.erase("f_eta_0");  // Xu's f(η, 0) at η* does not describe this step
            j.erase("eta_within_eta_max");
          } catch (const input_error& e) {
            j["note"] = e.what();
          }
        },
}};

}  // namespace
}  // namespace gradflow
