#include "gradflow/core/outcome.hpp"

namespace gradflow {

std::string to_string(Status s) {
  switch (s) {
    case Status::completed: return "completed";
    case Status::target_reached: return "target_reached";
    case Status::diverged: return "diverged";
    case Status::step_budget: return "step_budget";
    case Status::failed: return "failed";
    case Status::interrupted: return "interrupted";
    case Status::pending: return "pending";
  }
  return "?";
}

}  // namespace gradflow
