#pragma once
// `mpirun -np K gradflow sweep ...`: rank 0 runs the sweep (experiment/sweep.hpp) and hands out
// points, largest first, to ranks 1..K-1, which run them one at a time. Built with MPI
// (GRADFLOW_MPI, sweep_mpi.cpp) or without (sweep_no_mpi.cpp); the same binary started without
// mpirun runs serially.
#include <memory>
#include <string>

#include "gradflow/experiment/sweep.hpp"

namespace gradflow::cli {

/// MPI for this process's lifetime, when it was started by an MPI launcher.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  bool active() const { return size_ > 1; }
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
  bool initialised_ = false;
};

/// Rank 0: an executor whose slots are the other ranks.
std::unique_ptr<SweepExecutor> mpi_executor(const SweepPlan& plan);
/// Ranks > 0: runs the points rank 0 sends until it says stop.
void mpi_worker(const SweepPlan& plan, const std::string& points_dir, const PointOptions& options);
/// Rank 0: tells every worker to stop (idempotent; the executor does it when it dies).
void mpi_release_workers();

}  // namespace gradflow::cli
