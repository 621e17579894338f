// Methods on the error Δ = f − y: the error dynamics Δ̇ = −KΔ and Δ̈ + a(t)Δ̇ + KΔ = 0
// integrated (error_*), and their modal closed forms for constant K (exact_*), MATH.md §5.
// For an ℓp loss the integrated ones follow Δ̇ = −H∇_f ℓ(Δ) (KΔ → K∇_f ℓ(Δ)/c, the driver's
// objective supplies ∇_f ℓ); the closed forms exist for the squared loss only.
#include <memory>

#include "families.hpp"
#include "gradflow/experiment/problem.hpp"
#include "gradflow/theory/modal.hpp"

namespace gradflow {
namespace {

KeySpec kernel_key(bool coupled) {
  std::vector<std::string> choices{"frozen", "infinite"};
  if (coupled) choices.push_back("coupled");
  return {"kernel", KeyType::text, std::string("frozen"),
          coupled ? "K = cH of H(theta0) (frozen), H_inf (infinite) or H(theta(t)) of co-evolving weights (coupled)"
                  : "K = cH of H(theta0) (frozen) or H_inf (infinite)",
          choices};
}

std::vector<KeySpec> with_kernel(std::vector<KeySpec> keys, bool coupled) {
  keys.push_back(kernel_key(coupled));
  return keys;
}

std::function<std::string(const Params&)> kernel_name(const std::string& kind) {
  return [kind](const Params& p) { return p.text("kernel") == "frozen" ? kind : kind + "_" + p.text("kernel"); };
}

const Registration<MethodKind> error_gf{{
    .name = "error_gf",
    .summary = "first-order error dynamics Delta' = -K Delta",
    .space = Space::error,
    .twins = {"gf"},
    .keys = with_kernel({}, true),
    .default_name = kernel_name("error_gf"),
    .prepare =
        [](MethodContext&) -> MethodRun {
          return [](MethodContext& c) { c.error_flow(c.spec().params.text("kernel"), {}); };
        },
}};

const Registration<MethodKind> error_hbf{{
    .name = "error_hbf",
    .summary = "heavy-ball error dynamics Delta'' + a Delta' + K Delta = 0",
    .space = Space::error,
    .order = 2,
    .twins = {"hbf"},
    .keys = with_kernel(heavy_ball_keys(), true),
    .default_name = kernel_name("error_hbf"),
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double a = heavy_ball_damping(ctx);
          return [a](MethodContext& c) { c.error_flow(c.spec().params.text("kernel"), constant_damping(a)); };
        },
}};

std::vector<KeySpec> nesterov_error_keys() {
  auto keys = nesterov_keys();
  keys.push_back(t0_key());
  return with_kernel(keys, true);
}

const Registration<MethodKind> error_nag{{
    .name = "error_nag",
    .summary = "Nesterov error dynamics Delta'' + (gamma/t) Delta' + K Delta = 0, from the series start at t0",
    .space = Space::error,
    .order = 2,
    .twins = {"nag_flow"},
    .keys = nesterov_error_keys(),
    .default_name = kernel_name("error_nag"),
    .validate = validate_nesterov_start,
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double gamma = nesterov_gamma(ctx), t0 = nesterov_start(ctx);
          return [gamma, t0](MethodContext& c) {
            c.error_flow(c.spec().params.text("kernel"), nesterov_damping(gamma), gamma, t0);
          };
        },
    .theory = nesterov_theory,
}};

// Δ̇ = −H∇_f ℓ(Δ) is linear only for the squared loss; the modal closed forms solve that case.
const char* const kClosedFormReason = "a closed form of the linear error dynamics Delta' = -c H Delta";

/// The closed form of one modal solution, built once for K (which already carries c).
template <class At>
MethodRun modal(At at) {
  return [at](MethodContext& c) {
    c.closed_form(c.spec().params.text("kernel"), [&](const Mat& K) -> MethodContext::ClosedForm {
      auto modes = std::make_shared<ModalSolution>(K, 1.0);
      const Vec delta0 = c.problem().delta0();
      return [modes, delta0, at](double t) {
        const ModalState s = at(*modes, t, delta0);
        return std::pair<Vec, Vec>{s.delta, s.delta_dot};
      };
    });
  };
}

const Registration<MethodKind> exact_gf{{
    .name = "exact_gf",
    .summary = "closed form of Delta' = -K Delta for constant K",
    .space = Space::exact,
    .twins = {"gf"},
    .squared_loss_only = kClosedFormReason,
    .keys = with_kernel({}, false),
    .default_name = kernel_name("exact_gf"),
    .prepare =
        [](MethodContext&) -> MethodRun {
          return modal([](const ModalSolution& m, double t, const Vec& d0) { return m.gradient_flow(t, d0); });
        },
}};

const Registration<MethodKind> exact_hbf{{
    .name = "exact_hbf",
    .summary = "closed form of the damped oscillator Delta'' + a Delta' + K Delta = 0",
    .space = Space::exact,
    .order = 2,
    .twins = {"hbf"},
    .squared_loss_only = kClosedFormReason,
    .keys = with_kernel(heavy_ball_keys(), false),
    .default_name = kernel_name("exact_hbf"),
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double a = heavy_ball_damping(ctx);
          return modal([a](const ModalSolution& m, double t, const Vec& d0) { return m.heavy_ball(t, a, d0); });
        },
}};

const Registration<MethodKind> exact_nag{{
    .name = "exact_nag",
    .summary = "closed form (Bessel modes) of Delta'' + (gamma/t) Delta' + K Delta = 0",
    .space = Space::exact,
    .order = 2,
    .twins = {"nag_flow"},
    .squared_loss_only = kClosedFormReason,
    .keys = with_kernel(nesterov_keys(), false),
    .default_name = kernel_name("exact_nag"),
    .validate = validate_gamma,
    .prepare =
        [](MethodContext& ctx) -> MethodRun {
          const double gamma = nesterov_gamma(ctx);
          return modal([gamma](const ModalSolution& m, double t, const Vec& d0) { return m.nesterov(t, gamma, d0); });
        },
    .theory = nesterov_theory,
}};

}  // namespace
}  // namespace gradflow
