#pragma once
// What a run of one method reports: how it ended, and what it cost.
#include <ostream>
#include <string>

namespace gradflow {

enum class Status {
  completed,      ///< reached t_end
  target_reached, ///< the loss fell below run.loss_target
  diverged,       ///< loss or state not finite, or loss grew past the divergence bound
  step_budget,    ///< run.max_steps exhausted before t_end
  failed,         ///< the stepper could not continue (step size underflow)
  interrupted,    ///< SIGINT or SIGTERM stopped it; its rows so far are kept
  pending         ///< not started (the run was interrupted before it)
};

/// A finished method keeps its result when a run is resumed; the others run again.
inline bool finished(Status s) { return s != Status::interrupted && s != Status::pending; }

std::string to_string(Status s);
inline std::ostream& operator<<(std::ostream& os, Status s) { return os << to_string(s); }

struct Counters {
  long rhs_evals = 0;       ///< right-hand-side (gradient) evaluations
  long steps_accepted = 0;  ///< accepted steps (discrete methods: iterations)
  long steps_rejected = 0;
  double wall_seconds = 0.0;
};

struct Outcome {
  Status status = Status::completed;
  double t = 0.0;           ///< time reached
  std::string message;      ///< one line, empty when completed
  Counters counters;
};

}  // namespace gradflow
