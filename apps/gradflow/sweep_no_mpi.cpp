// Built without MPI: a launch under mpirun is refused rather than run K times over.
#include <cstdlib>

#include "gradflow/core/error.hpp"
#include "sweep_mpi.hpp"

namespace gradflow::cli {

MpiSession::MpiSession() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(var) && std::atoi(std::getenv(var)) > 1)
      throw input_error("this gradflow was built without MPI (GRADFLOW_MPI); run the sweep without mpirun, with -j");
}
MpiSession::~MpiSession() = default;
std::unique_ptr<SweepExecutor> mpi_executor(const SweepPlan&) { throw input_error("MPI is not built"); }
void mpi_worker(const SweepPlan&, const std::string&, const PointOptions&) { throw input_error("MPI is not built"); }
void mpi_release_workers() {}

}  // namespace gradflow::cli
