#include "gradflow/discrete/iterate.hpp"

#include <chrono>
#include <cmath>

namespace gradflow {

Outcome iterate(const Step& step, Vec& state, const std::vector<long>& sample_iterations,
                const IterationObserver& observe, long gradients_per_step) {
  const auto start = std::chrono::steady_clock::now();
  Outcome outcome;
  long k = 0;
  for (const long target : sample_iterations) {
    for (; k < target; ++k) {
      step(k, state);
      ++outcome.counters.steps_accepted;
    }
    outcome.t = static_cast<double>(k);
    if (!state.allFinite()) {
      outcome.status = Status::diverged;
      outcome.message = "iterate is not finite at iteration " + std::to_string(k);
      break;
    }
    if (!observe(k, state)) break;
  }
  outcome.counters.rhs_evals = outcome.counters.steps_accepted * gradients_per_step;
  outcome.counters.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

Step gradient_descent(const Objective& objective, double eta, double weight_decay) {
  return [&objective, eta, weight_decay, g = Vec()](long, Vec& theta) mutable {
    objective.value_gradient(theta, g);
    if (weight_decay != 0) g += weight_decay * theta;
    theta -= eta * g;
  };
}

Vec momentum_state(const Vec& theta0) {
  Vec s(3 * theta0.size());
  s << theta0, theta0, theta0;
  return s;
}

namespace {

/// x⁺ = y − η∇L(y), y⁺ = x⁺ + β_k (x⁺ − x), shared by the Nesterov variants.
Step extrapolated(const Objective& objective, double eta, std::function<double(long)> beta) {
  return [&objective, eta, beta = std::move(beta), g = Vec()](long k, Vec& s) mutable {
    const Index P = s.size() / 3;
    objective.value_gradient(s.segment(2 * P, P), g);
    s.segment(P, P) = s.head(P);                                   // x_{k−1} ← x_k
    s.head(P) = s.segment(2 * P, P) - eta * g;                     // x_{k+1}
    s.segment(2 * P, P) = s.head(P) + beta(k + 1) * (s.head(P) - s.segment(P, P));
  };
}

}  // namespace

Step heavy_ball(const Objective& objective, double eta, double beta) {
  return [&objective, eta, beta, g = Vec(), next = Vec()](long, Vec& s) mutable {
    const Index P = s.size() / 3;
    objective.value_gradient(s.head(P), g);
    next = s.head(P) - eta * g + beta * (s.head(P) - s.segment(P, P));
    s.segment(P, P) = s.head(P);
    s.head(P) = next;
    s.segment(2 * P, P) = next;
  };
}

Step nesterov(const Objective& objective, double eta, double gamma) {
  return extrapolated(objective, eta, [gamma](long k) { return (k - 1.0) / (k + gamma - 1.0); });
}

Step nesterov_strongly_convex(const Objective& objective, double eta, double mu) {
  const double r = std::sqrt(mu * eta), beta = (1.0 - r) / (1.0 + r);
  return extrapolated(objective, eta, [beta](long) { return beta; });
}

}  // namespace gradflow
