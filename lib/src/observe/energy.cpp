#include "gradflow/core/types.hpp"
#include "gradflow/observe/energy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "gradflow/core/error.hpp"
#include "gradflow/theory/lyapunov.hpp"

namespace gradflow {
namespace {

using Dynamics = EnergyOptions::Dynamics;

class Energy final : public Diagnostic {
 public:
  explicit Energy(const EnergyOptions& o) : o_(o) {
    switch (o_.dynamics) {
      case Dynamics::first_order: has_bound_ = o_.lambda0 > 0; break;
      case Dynamics::heavy_ball:
        // Bu et al.'s bound is proved for their damping only.
        has_bound_ = o_.lambda0 > 0 && std::abs(o_.damping - hbf_damping(o_.lambda0)) <= 1e-9 * o_.damping;
        break;
      case Dynamics::nesterov:
        try {
          nag_bound_ = nag_loss_bound(o_.alpha, o_.gamma, o_.lambda0 / 2);
          has_bound_ = true;
        } catch (const input_error&) {
          has_bound_ = false;  // (α, γ) outside the theorem's range, or λ0 = 0
        }
        break;
      case Dynamics::other: break;
    }
  }

  std::vector<std::string> columns() const override {
    if (!o_.quadratic_loss) return {};
    std::vector<std::string> c{"pseudo_loss"};
    if (o_.dynamics == Dynamics::heavy_ball) c.push_back("siegel");
    if (o_.dynamics == Dynamics::nesterov) {
      c.push_back("su");
      c.push_back("su_corrected");
    }
    if (has_bound_) c.push_back("bound");
    return c;
  }

  void evaluate(Sample& s, std::span<double> out) override {
    if (!o_.quadratic_loss) return;
    const double t = s.t(), lhat = s.pseudo_loss();
    if (!start_) start_ = {s.loss(), lhat};
    std::size_t i = 0;
    out[i++] = lhat;
    if (o_.dynamics == Dynamics::heavy_ball)
      out[i++] = siegel_energy(lhat, s.residual(), s.residual_rate(), o_.lambda0);
    if (o_.dynamics == Dynamics::nesterov) {
      // V = t^α L̂ + t^{α−2}/8 ‖cΔ + 2tΔ̇‖² (c = 2γ − α, MATH.md §4): at t = 0 it is 0 for α > 2
      // and c²‖Δ0‖²/8 for α = 2, but for α < 2 it grows like t^{α−2} without bound as t → 0+,
      // so that first cell is left empty (nan) rather than given a number it does not have.
      const bool defined = t > 0 || o_.alpha >= 2;
      out[i++] = defined ? su_energy(t, s.residual(), s.residual_rate(), lhat, o_.alpha, o_.gamma) : nan;
      out[i++] = defined ? su_energy_corrected(t, s.residual(), s.residual_rate(), lhat, o_.alpha, o_.gamma) : nan;
    }
    if (!has_bound_) return;
    switch (o_.dynamics) {
      case Dynamics::first_order: out[i] = gf_loss_bound(t, o_.lambda0, start_->first); break;
      case Dynamics::heavy_ball: out[i] = hbf_loss_bound(t, o_.lambda0, start_->second); break;
      case Dynamics::nesterov: out[i] = t > 0 ? (*nag_bound_)(t, start_->first, start_->second) : nan; break;
      case Dynamics::other: break;
    }
  }

 private:
  EnergyOptions o_;
  bool has_bound_ = false;
  std::optional<NagBound> nag_bound_;
  std::optional<std::pair<double, double>> start_;  ///< L(0), L̂(0)
};

}  // namespace

std::unique_ptr<Diagnostic> energy_diagnostic(const EnergyOptions& options) {
  return std::make_unique<Energy>(options);
}

const std::vector<std::string>& energy_columns() {
  static const std::vector<std::string> names{"pseudo_loss", "siegel", "su", "su_corrected", "bound"};
  return names;
}

void require_energy_columns_exist(const std::vector<std::string>& columns, const LossSpec& loss,
                                  const std::string& where) {
  if (loss.quadratic()) return;
  for (const auto& c : columns)
    if (std::find(energy_columns().begin(), energy_columns().end(), c) != energy_columns().end())
      throw input_error(where + ": the column " + c + " exists only for the squared loss (p = 2: it is a Lyapunov "
                        "function or bound of the linear error dynamics), but loss.kind = " + loss.describe());
}

}  // namespace gradflow
