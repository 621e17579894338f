#pragma once
// Adaptive integration of an odeint system with samples at requested times.
//
// dopri5 samples from its dense output (Hermite/continuous extension of the step);
// cash_karp54, fehlberg78 and bulirsch_stoer step exactly onto each sample time.
// Unlike odeint's integrate_* functions, this loop has a step budget, counts rejected
// steps and right-hand-side evaluations, and lets the observer stop the run.
#include <functional>
#include <string>
#include <vector>

#include "gradflow/flow/system.hpp"
#include "gradflow/core/outcome.hpp"

namespace gradflow {

struct IntegrateOptions {
  std::string stepper = "dopri5";  ///< dopri5 | cash_karp54 | fehlberg78 | bulirsch_stoer
  double rtol = 1e-6;
  double atol = 1e-9;
  double dt0 = 0.0;          ///< first trial step; 0 chooses one from the tolerances
  long max_steps = 2'000'000;  ///< accepted + rejected steps before giving up

  void validate() const;     ///< throws input_error naming the bad run.* key
};

/// Called at each sample time with the state there; returning false stops the run
/// (the outcome is then `completed` with t at that sample; the caller decides why it stopped).
using SampleObserver = std::function<bool(double t, const Vec& x)>;

/// Integrates x from t0 through the sorted sample `times` (all ≥ t0) and leaves x at the
/// last time reached. The observer is called at every sample time reached.
Outcome integrate(const System& system, Vec& x, double t0, const std::vector<double>& times,
                  const IntegrateOptions& options, const SampleObserver& observe);

/// The stepper names accepted by IntegrateOptions::stepper.
const std::vector<std::string>& stepper_names();

}  // namespace gradflow
